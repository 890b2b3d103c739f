//! Video upstreams: OpenAI video mocks with secrets nobody else uses, the
//! `sora` channels in front of them, and the `/v1/videos` calls the tests
//! make (JSON, multipart, binary downloads). Every mock attached here is
//! watched by the app's leak check.

use std::sync::Arc;

use serde_json::{Value, json};

use super::app::{Settings, TestApp, spawn_app_with};
use super::http::{HeaderList, Headers, bearer};
use super::upstream::unique_secret;
use crate::mock::video::{VideoMock, VideoMockConfig};

/// The charge of a default video (sora-2, 4 s at 0.10 USD/s).
pub const VIDEO_CHARGE: i64 = 200_000;

/// A video mock and the channel that points at it.
pub struct VideoUpstream {
    /// The mock.
    pub mock: Arc<VideoMock>,
    /// The channel's id.
    pub channel_id: i64,
}

/// A video mock whose videos end after `duration_ms` (0: at once),
/// `failure_ratio` of them failed.
pub fn video_mock(duration_ms: u64, failure_ratio: f64) -> VideoMock {
    let cfg = VideoMockConfig {
        secret: unique_secret("video-secret"),
        failure_ratio,
        ..VideoMockConfig::default()
    }
    .lasting(duration_ms);
    VideoMock::start("127.0.0.1:0", cfg)
}

/// An app with `settings` and `mock` behind the video channel `main`.
pub fn spawn_video_app(settings: Settings, mock: VideoMock) -> (TestApp, VideoUpstream) {
    let app = spawn_app_with(settings);
    let up = app.attach_video(mock, "main", 0);
    (app, up)
}

/// An OpenAI error answer: asserts the status and the body's shape;
/// returns the message.
pub fn assert_openai_error(status: u16, body: &Value, expected: u16) -> String {
    assert_eq!(status, expected, "{body}");
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("an error body: {body}"));
    let mut names: Vec<&str> = error.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["code", "message", "param", "type"], "{body}");
    assert!(
        error["type"].is_string() && error["code"].is_string(),
        "{body}"
    );
    let message = error["message"].as_str().expect("a message");
    assert!(!message.is_empty(), "{body}");
    message.to_string()
}

/// A multipart body of text `fields` and an optional `input_reference`
/// file (name, type, bytes), with its content type.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (Vec<u8>, String) {
    let boundary = "kit-boundary-7d3f";
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, content_type, bytes)) = file {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"input_reference\"; \
                 filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (out, format!("multipart/form-data; boundary={boundary}"))
}

impl TestApp {
    /// `mock` behind a new `sora` channel `name` serving both video models
    /// to the default group.
    pub fn attach_video(&self, mock: VideoMock, name: &str, priority: i64) -> VideoUpstream {
        let mock = Arc::new(mock);
        self.leaks.watch_video_mock(mock.clone());
        let channel_id = self.channel(&json!({
            "name": name,
            "type": "sora",
            "base_url": mock.base_url(),
            "key": mock.secret(),
            "models": "sora-2,sora-2-pro",
            "priority": priority,
        }));
        VideoUpstream { mock, channel_id }
    }

    /// `POST /v1/videos` with a JSON body.
    pub fn create_video(&self, key: &str, body: &Value) -> (u16, Value) {
        self.post("/v1/videos", &bearer(key), body)
    }

    /// `POST /v1/videos` that must be accepted; the video object.
    pub fn create_video_ok(&self, key: &str, body: &Value) -> Value {
        let (status, video) = self.create_video(key, body);
        assert_eq!(status, 200, "{video}");
        assert_eq!(video["status"], "queued", "{video}");
        video
    }

    /// `POST /v1/videos` with a multipart body.
    pub fn create_video_multipart(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> (u16, Value) {
        let mut headers: Headers = bearer(key);
        headers.push(("Content-Type", content_type.to_string()));
        self.raw_request("POST", "/v1/videos", &headers, Some(body))
    }

    /// `GET /v1/videos/{id}`.
    pub fn video(&self, key: &str, id: &str) -> (u16, Value) {
        self.get(&format!("/v1/videos/{id}"), &bearer(key))
    }

    /// A request sent as is (headers given, content type included), its
    /// JSON answer recorded for the leak check.
    pub fn raw_request(
        &self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let (status, answer_headers, bytes) = self.binary_request(method, path, headers, body);
        let text = String::from_utf8_lossy(&bytes);
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: {status}, not JSON ({e}): {text:?}"));
        self.leaks.record(&value);
        let _ = answer_headers;
        (status, value)
    }

    /// A request whose answer is bytes; the answer's headers are recorded
    /// for the leak check.
    pub fn binary_request(
        &self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<Vec<u8>>,
    ) -> (u16, HeaderList, Vec<u8>) {
        let url = format!("{}{path}", self.base_url());
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            builder = builder.header(*name, value.as_str());
        }
        let result = match body {
            Some(bytes) => self
                .agent
                .run(builder.body(bytes).expect("build the request")),
            None => self.agent.run(builder.body(()).expect("build the request")),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let answer_headers: HeaderList = response
            .headers()
            .iter()
            .map(|(n, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_ascii_lowercase(), v)
            })
            .collect();
        for (name, value) in &answer_headers {
            self.leaks.record_text(&format!("{name}: {value}"));
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{method} {url}: cannot read the body: {e}"));
        (status, answer_headers, bytes)
    }

    /// `GET /v1/videos/{id}/content?variant=` with an optional `Range`.
    pub fn download(
        &self,
        key: &str,
        id: &str,
        variant: &str,
        range: Option<&str>,
    ) -> (u16, HeaderList, Vec<u8>) {
        let mut headers = bearer(key);
        if let Some(r) = range {
            headers.push(("Range", r.to_string()));
        }
        let path = format!("/v1/videos/{id}/content?variant={variant}");
        self.binary_request("GET", &path, &headers, None)
    }
}
