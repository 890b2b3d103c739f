//! The test client of every mock: one ureq agent that reports every status as a value and
//! keeps bodies as bytes, and polling with a deadline.

use std::time::{Duration, Instant};

use mock_upstreams::{Fault, Platform, Running};
use serde_json::Value;

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

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Talks to one mock, with or without the right secret.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
}

impl Client {
    /// A client sending `Authorization: Bearer <the mock's secret>`.
    pub fn new<S: Platform>(mock: &Running<S>) -> Client {
        Client::with_secret(mock, Some(mock.secret()))
    }

    /// A client sending `secret`, or no `Authorization` header at all.
    pub fn with_secret<S: Platform>(mock: &Running<S>, secret: Option<&str>) -> Client {
        Client::with_timeout(mock, secret, Duration::from_secs(20))
    }

    /// A client that gives up on a request after `timeout`.
    pub fn with_timeout<S: Platform>(
        mock: &Running<S>,
        secret: Option<&str>,
        timeout: Duration,
    ) -> Client {
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

/// `mock` and a client sending its secret.
pub fn with_client<S: Platform>(mock: Running<S>) -> (Running<S>, Client) {
    let client = Client::new(&mock);
    (mock, client)
}

/// The statuses of `n` `GET path` requests in a row.
pub fn statuses(client: &Client, path: &str, n: usize) -> Vec<u16> {
    (0..n)
        .map(|_| client.get(path).expect("answer").status)
        .collect()
}

/// Asserts that [`Fault::Disconnect`] for one request leaves `GET path` unanswered, and the
/// next one is healthy again.
pub fn assert_disconnects_once<S: Platform>(mock: Running<S>, path: &str) {
    let (mock, client) = with_client(mock);
    mock.fail_next(1, Fault::Disconnect);
    assert!(client.get(path).is_err(), "no answer expected");
    assert_eq!(client.get(path).expect("answer").status, 200);
}

/// Asserts that a fault for the next two requests fails two `GET path` in a row, then
/// wears off into the standing fault (none).
pub fn assert_fail_next_wears_off<S: Platform>(mock: &Running<S>, client: &Client, path: &str) {
    mock.fail_next(2, Fault::Http(503));
    assert_eq!(statuses(client, path, 3), [503, 503, 200]);
    assert_eq!(mock.fault(), Fault::None);
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
