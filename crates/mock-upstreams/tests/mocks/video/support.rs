//! Video mocks for the tests, the video calls of the shared [`Client`], and multipart
//! bodies.

use mock_upstreams::video::VideoStatus;
use mock_upstreams::{VideoMock, VideoMockConfig};
use serde_json::Value;

use crate::common::{Client, Reply};

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

/// What a video client does most.
pub trait VideoCalls {
    /// Creates a video from a JSON body; the video object answered.
    fn create(&self, body: &str) -> Value;
    /// Creates a video with `prompt` and the defaults; its id.
    fn create_id(&self, prompt: &str) -> String;
    /// `GET /v1/videos/{id}`; the video object.
    fn retrieve(&self, id: &str) -> Value;
}

impl VideoCalls for Client {
    fn create(&self, body: &str) -> Value {
        let reply = self.post("/v1/videos", body).expect("create");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json
    }

    fn create_id(&self, prompt: &str) -> String {
        let video = self.create(&serde_json::json!({ "prompt": prompt }).to_string());
        video["id"].as_str().expect("id").to_string()
    }

    fn retrieve(&self, id: &str) -> Value {
        let reply = self.get(&format!("/v1/videos/{id}")).expect("retrieve");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json
    }
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

/// Asserts a 400 naming `param` in OpenAI's error body.
pub fn assert_invalid(reply: &Reply, param: &str) {
    assert_eq!(
        (reply.status, reply.json["error"]["param"].as_str()),
        (400, Some(param)),
        "{reply:?}"
    );
}

/// A video created and forced to completed at once; its id.
pub fn completed_video(mock: &VideoMock, client: &Client) -> String {
    let id = client.create_id("a lighthouse at dusk");
    assert!(mock.set_status(&id, VideoStatus::Completed));
    id
}
