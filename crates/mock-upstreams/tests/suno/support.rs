//! A Suno client for the tests: one ureq agent that reports every status as a value.

use std::time::{Duration, Instant};

use mock_upstreams::{Mock, MockConfig};
use serde_json::Value;

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

/// An answer: the status, the raw body and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub json: Value,
}

/// Talks to one mock, with or without the right secret.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
}

impl Client {
    /// A client sending `Authorization: Bearer <SECRET>`.
    pub fn new(mock: &Mock) -> Client {
        Client::with_secret(mock, Some(SECRET))
    }

    /// A client sending `secret`, or no `Authorization` header at all.
    pub fn with_secret(mock: &Mock, secret: Option<&str>) -> Client {
        Client::with_timeout(mock, secret, Duration::from_secs(10))
    }

    /// A client that gives up on a request after `timeout`.
    pub fn with_timeout(mock: &Mock, secret: Option<&str>, timeout: Duration) -> Client {
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

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Reply, ureq::Error> {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        read(request.call()?)
    }

    /// `POST path` with a JSON `body`.
    pub fn post(&self, path: &str, body: &str) -> Result<Reply, ureq::Error> {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .content_type("application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        read(request.send(body)?)
    }

    /// Submits a song with `prompt`; its upstream id.
    pub fn submit_music(&self, prompt: &str) -> String {
        let reply = self
            .post("/suno/submit/music", &format!(r#"{{"prompt":"{prompt}"}}"#))
            .expect("submit");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json["data"]
            .as_str()
            .expect("upstream id")
            .to_string()
    }

    /// `POST /suno/fetch` of `ids`; the task objects answered.
    pub fn fetch(&self, ids: &[&str]) -> Vec<Value> {
        let body = serde_json::json!({ "ids": ids }).to_string();
        let reply = self.post("/suno/fetch", &body).expect("fetch");
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json["data"].as_array().expect("task list").clone()
    }
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> Result<Reply, ureq::Error> {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()?;
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply { status, text, json })
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
