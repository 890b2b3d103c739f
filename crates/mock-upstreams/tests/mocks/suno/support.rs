//! Suno mocks for the tests, and the Suno calls of the shared [`Client`].

use mock_upstreams::{Mock, MockConfig};
use serde_json::Value;

use crate::common::Client;

/// The secret every test mock expects.
pub const SECRET: &str = "s3cret";

/// A mock with [`SECRET`] whose songs last `music_duration_ms`.
pub fn mock(music_duration_ms: u64) -> Mock {
    mock_with(MockConfig {
        music_duration_ms,
        ..MockConfig::default()
    })
}

/// A mock with [`SECRET`] and the rest of `cfg`.
pub fn mock_with(cfg: MockConfig) -> Mock {
    Mock::start(
        "127.0.0.1:0",
        MockConfig {
            secret: SECRET.to_string(),
            ..cfg
        },
    )
}

/// What a Suno client does most.
pub trait SunoCalls {
    /// Submits a song with `prompt`; its upstream id.
    fn submit_music(&self, prompt: &str) -> String;
    /// Submits `n` songs; their upstream ids.
    fn submit_songs(&self, n: usize) -> Vec<String>;
    /// `POST /suno/fetch` of `ids`; the task objects answered.
    fn fetch(&self, ids: &[&str]) -> Vec<Value>;
}

impl SunoCalls for Client {
    fn submit_music(&self, prompt: &str) -> String {
        let reply = self
            .post("/suno/submit/music", &format!(r#"{{"prompt":"{prompt}"}}"#))
            .expect("submit");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json["data"]
            .as_str()
            .expect("upstream id")
            .to_string()
    }

    fn submit_songs(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| self.submit_music(&format!("song {i}")))
            .collect()
    }

    fn fetch(&self, ids: &[&str]) -> Vec<Value> {
        let body = serde_json::json!({ "ids": ids }).to_string();
        let reply = self.post("/suno/fetch", &body).expect("fetch");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json["data"].as_array().expect("task list").clone()
    }
}
