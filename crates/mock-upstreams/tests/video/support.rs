//! A client of the video mock for the tests: one ureq agent that reports every status as a
//! value and keeps bodies as bytes.

use std::time::{Duration, Instant};

use mock_upstreams::video::VideoStatus;
use mock_upstreams::{VideoMock, VideoMockConfig};
use serde_json::Value;

/// The secret every test mock expects.
pub const SECRET: &str = "v1deo-secret";

/// A mock with [`SECRET`] whose videos take `duration_ms` from creation to the end.
pub fn mock(duration_ms: u64) -> VideoMock {
    mock_with(VideoMockConfig::default().lasting(duration_ms))
}

/// A mock with [`SECRET`] and the rest of `cfg`.
pub fn mock_with(cfg: VideoMockConfig) -> VideoMock {
    let cfg = VideoMockConfig {
        secret: SECRET.to_string(),
        ..cfg
    };
    VideoMock::start("127.0.0.1:0", cfg)
}

/// An answer: status, headers, the raw body and the body as JSON (`Null` when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Talks to one mock, with or without the right secret.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
}

impl Client {
    /// A client sending `Authorization: Bearer <SECRET>`.
    pub fn new(mock: &VideoMock) -> Client {
        Client::with_secret(mock, Some(SECRET))
    }

    /// A client sending `secret`, or no `Authorization` header at all.
    pub fn with_secret(mock: &VideoMock, secret: Option<&str>) -> Client {
        Client::with_timeout(mock, secret, Duration::from_secs(20))
    }

    /// A client that gives up on a request after `timeout`.
    pub fn with_timeout(mock: &VideoMock, secret: Option<&str>, timeout: Duration) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .new_agent();
        Client {
            agent,
            base: mock.base_url(),
            authorization: secret.map(|s| format!("Bearer {s}")),
        }
    }

    /// `GET path` with extra `headers`.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Result<Reply, ureq::Error> {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.call()?)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Reply, ureq::Error> {
        self.get_with(path, &[])
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> Result<Reply, ureq::Error> {
        let mut request = self.agent.delete(format!("{}{path}", self.base));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        read(request.call()?)
    }

    /// `POST path` with `body` of `content_type`.
    pub fn post_as(
        &self,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Reply, ureq::Error> {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .content_type(content_type);
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        read(request.send(body)?)
    }

    /// `POST path` with a JSON `body`.
    pub fn post(&self, path: &str, body: &str) -> Result<Reply, ureq::Error> {
        self.post_as(path, "application/json", body.as_bytes())
    }

    /// Creates a video from a JSON body; the video object answered.
    pub fn create(&self, body: &str) -> Value {
        let reply = self.post("/v1/videos", body).expect("create");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json
    }

    /// Creates a video with `prompt` and the defaults; its id.
    pub fn create_id(&self, prompt: &str) -> String {
        let video = self.create(&serde_json::json!({ "prompt": prompt }).to_string());
        video["id"].as_str().expect("id").to_string()
    }

    /// `GET /v1/videos/{id}`; the video object.
    pub fn retrieve(&self, id: &str) -> Value {
        let reply = self.get(&format!("/v1/videos/{id}")).expect("retrieve");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json
    }
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> Result<Reply, ureq::Error> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(128 * 1024 * 1024)
        .read_to_vec()?;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        bytes,
        json,
    })
}

/// A `multipart/form-data` body of text `fields` and an optional `input_reference` file
/// (`content type`, `bytes`); the content type header to send with it, and the body.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----mock-video-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"input_reference\"; \
                 filename=\"ref.png\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// Polls `check` every 20 ms until it returns `Some`, or panics after `within`.
pub fn eventually<T>(within: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A video created and forced to completed at once; its id.
pub fn completed_video(mock: &VideoMock, client: &Client) -> String {
    let id = client.create_id("a lighthouse at dusk");
    assert!(mock.set_status(&id, VideoStatus::Completed));
    id
}
