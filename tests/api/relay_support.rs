//! Fixtures of the relay tests: an app whose worker is off, mock upstreams
//! behind channels created through the API, customers with API keys, and a
//! record of every response so that a test can prove no channel key or
//! upstream id ever reached a client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use taskcenter::Config;
use taskcenter::store::tasks::Task;
use taskcenter::store::tokens::Token;
use taskcenter::store::users::User;

use crate::helpers::{Headers, TestApp, as_root, as_user, assert_ok, spawn_app_with};
use crate::mock::{Mock, MockConfig};

/// The charge of one `suno_music` call at the default price and ratio 1.
pub const MUSIC_CHARGE: i64 = 50_000;
/// The charge of one `suno_lyrics` call at the default price and ratio 1.
pub const LYRICS_CHARGE: i64 = 5_000;
/// Log type of a charge.
pub const LOG_CONSUME: i64 = 2;
/// Log type of a refund.
pub const LOG_REFUND: i64 = 6;

/// The configuration of relay tests: no worker, so nothing moves a task
/// behind the test's back. Stall tests shorten the upstream timeout.
pub fn relay_config() -> Config {
    Config {
        upstream_timeout_secs: 10,
        retry_times: 2,
        worker: false,
        ..Config::default()
    }
}

/// A secret nobody else uses, so finding it in a response means a leak.
fn unique_secret(what: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{what}-{n}-{nanos:08x}-{}", std::process::id())
}

/// An upstream and the channel that points at it.
pub struct Upstream {
    /// The simulator.
    pub mock: Arc<Mock>,
    /// The channel's id.
    pub channel_id: i64,
}

/// A user with quota and one API key.
#[derive(Debug, Clone)]
pub struct Customer {
    /// User id.
    pub id: i64,
    /// Management headers (access token).
    pub headers: Headers,
    /// The `sk-...` key.
    pub key: String,
    /// The key's id.
    pub key_id: i64,
}

/// A log row as the tests read it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// 2 consume, 6 refund, ...
    pub log_type: i64,
    /// Whose balance moved.
    pub user_id: i64,
    /// The key involved.
    pub token_id: i64,
    /// The channel named.
    pub channel_id: i64,
    /// The model charged.
    pub model_name: String,
    /// The amount.
    pub quota: i64,
}

/// A running app with its upstreams, recording every response it gives.
///
/// When an `Env` is dropped at the end of a passing test it checks that no
/// response carried a channel key or an upstream task id.
pub struct Env {
    /// The app.
    pub app: TestApp,
    mocks: Mutex<Vec<Arc<Mock>>>,
    channel_keys: Mutex<Vec<String>>,
    responses: Mutex<Vec<String>>,
}

impl Env {
    /// An app with [`relay_config`].
    pub fn new() -> Env {
        Env::with_config(relay_config())
    }

    /// An app with `config`.
    pub fn with_config(config: Config) -> Env {
        Env {
            app: spawn_app_with(config),
            mocks: Mutex::new(Vec::new()),
            channel_keys: Mutex::new(Vec::new()),
            responses: Mutex::new(Vec::new()),
        }
    }

    /// A new mock upstream (not yet behind a channel).
    pub fn mock(&self) -> Arc<Mock> {
        let mock = Arc::new(Mock::start(
            "127.0.0.1:0",
            MockConfig {
                secret: unique_secret("upstream-secret"),
                ..MockConfig::default()
            },
        ));
        self.mocks.lock().unwrap().push(mock.clone());
        mock
    }

    /// A mock behind a new channel serving both Suno models for `default`.
    pub fn upstream(&self, name: &str, priority: i64) -> Upstream {
        let mock = self.mock();
        let channel_id = self.channel(&json!({
            "name": name,
            "type": "suno",
            "base_url": mock.base_url(),
            "key": mock.secret(),
            "models": "suno_music,suno_lyrics",
            "priority": priority,
        }));
        Upstream { mock, channel_id }
    }

    /// Creates a channel as root from a full body; returns its id.
    pub fn channel(&self, body: &Value) -> i64 {
        if let Some(key) = body["key"].as_str() {
            self.channel_keys.lock().unwrap().push(key.to_string());
        }
        let (status, resp) = self.post("/api/channel/", &as_root(), body);
        let data = assert_ok(status, &resp);
        data["id"].as_i64().expect("channel id")
    }

    /// Remembers a channel key created outside [`Env::channel`] for the leak check.
    pub fn remember_channel_key(&self, key: &str) {
        self.channel_keys.lock().unwrap().push(key.to_string());
    }

    /// A common user with `quota` and an unlimited API key.
    pub fn customer(&self, username: &str, quota: i64) -> Customer {
        self.customer_with_key(
            username,
            quota,
            &json!({"name": "main", "unlimited_quota": true}),
        )
    }

    /// A common user of pricing `group` with `quota` and an unlimited API key.
    pub fn customer_in_group(&self, username: &str, group: &str, quota: i64) -> Customer {
        let (status, resp) = self.post(
            "/api/user/",
            &as_root(),
            &json!({"username": username, "group": group, "quota": quota}),
        );
        let data = assert_ok(status, &resp);
        let id = data["id"].as_i64().expect("user id");
        let headers = as_user(id, data["access_token"].as_str().expect("access token"));
        let (key_id, key) =
            self.new_key(&headers, &json!({"name": "main", "unlimited_quota": true}));
        Customer {
            id,
            headers,
            key,
            key_id,
        }
    }

    /// A common user with `quota` and an API key created from `key_body`.
    pub fn customer_with_key(&self, username: &str, quota: i64, key_body: &Value) -> Customer {
        let (id, token) = self.app.create_user(username, 1, quota);
        let headers = as_user(id, &token);
        let (key_id, key) = self.new_key(&headers, key_body);
        Customer {
            id,
            headers,
            key,
            key_id,
        }
    }

    /// `POST /api/token/` as the user behind `headers`; returns (id, key).
    pub fn new_key(&self, headers: &Headers, body: &Value) -> (i64, String) {
        let (status, resp) = self.post("/api/token/", headers, body);
        let data = assert_ok(status, &resp);
        let id = data["id"].as_i64().expect("key id");
        let key = data["key"].as_str().expect("the key").to_string();
        (id, key)
    }

    fn keep(&self, (status, body): (u16, Value)) -> (u16, Value) {
        self.responses.lock().unwrap().push(body.to_string());
        (status, body)
    }

    /// Any request, recorded.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        self.keep(self.app.request(method, path, headers, body))
    }

    /// `GET path`, recorded.
    pub fn get(&self, path: &str, headers: &Headers) -> (u16, Value) {
        self.request("GET", path, headers, None)
    }

    /// `POST path` with JSON, recorded.
    pub fn post(&self, path: &str, headers: &Headers, body: &Value) -> (u16, Value) {
        self.request("POST", path, headers, Some(body.to_string().into_bytes()))
    }

    /// `PUT path` with JSON, recorded.
    pub fn put(&self, path: &str, headers: &Headers, body: &Value) -> (u16, Value) {
        self.request("PUT", path, headers, Some(body.to_string().into_bytes()))
    }

    /// `DELETE path`, recorded.
    pub fn delete(&self, path: &str, headers: &Headers) -> (u16, Value) {
        self.request("DELETE", path, headers, None)
    }

    /// `POST /suno/submit/{action}` with `key` and a JSON body.
    pub fn submit(&self, key: &str, action: &str, body: &Value) -> (u16, Value) {
        self.submit_bytes(key, action, body.to_string().into_bytes())
    }

    /// `POST /suno/submit/{action}` with `key` and raw body bytes.
    pub fn submit_bytes(&self, key: &str, action: &str, body: Vec<u8>) -> (u16, Value) {
        self.request(
            "POST",
            &format!("/suno/submit/{action}"),
            &bearer(key),
            Some(body),
        )
    }

    /// Submits a music job that must be accepted; returns the public task id.
    pub fn submit_music(&self, key: &str, prompt: &str) -> String {
        let (status, body) = self.submit(key, "music", &json!({"prompt": prompt}));
        accepted_task_id(status, &body)
    }

    /// `POST /suno/fetch` `{"ids": ids}` with `key`.
    pub fn fetch(&self, key: &str, ids: &[String]) -> (u16, Value) {
        self.request(
            "POST",
            "/suno/fetch",
            &bearer(key),
            Some(json!({ "ids": ids }).to_string().into_bytes()),
        )
    }

    /// `GET /suno/fetch/{id}` with `key`.
    pub fn fetch_one(&self, key: &str, id: &str) -> (u16, Value) {
        self.get(&format!("/suno/fetch/{id}"), &bearer(key))
    }

    /// The user as stored.
    pub fn user(&self, id: i64) -> User {
        self.app
            .store
            .get_user(id)
            .expect("read the user")
            .expect("the user exists")
    }

    /// The user's quota balance.
    pub fn quota(&self, id: i64) -> i64 {
        self.user(id).quota
    }

    /// The API key as stored.
    pub fn key(&self, c: &Customer) -> Token {
        self.app
            .store
            .get_token(c.id, c.key_id)
            .expect("read the key")
            .expect("the key exists")
    }

    /// One of the user's tasks as stored, private columns included.
    pub fn task(&self, user_id: i64, task_id: &str) -> Task {
        self.app
            .store
            .user_task(user_id, task_id)
            .expect("read the task")
            .unwrap_or_else(|| panic!("task {task_id} of user {user_id} exists"))
    }

    /// How many tasks the user has.
    pub fn task_count(&self, user_id: i64) -> i64 {
        self.scalar("SELECT COUNT(*) FROM tasks WHERE user_id = ?1", user_id)
    }

    /// How many charge and refund log rows the user has (creating a user
    /// with quota writes a top-up row, which is not counted).
    pub fn task_log_count(&self, user_id: i64) -> i64 {
        self.scalar(
            "SELECT COUNT(*) FROM logs WHERE user_id = ?1 AND type IN (2, 6)",
            user_id,
        )
    }

    fn scalar(&self, sql: &str, arg: i64) -> i64 {
        let conn = self.app.store.conn().expect("a connection");
        conn.query_row(sql, [arg], |r| r.get(0)).expect(sql)
    }

    /// The log rows written for a task, oldest first.
    pub fn logs_of(&self, task_id: &str) -> Vec<LogRow> {
        let conn = self.app.store.conn().expect("a connection");
        let mut stmt = conn
            .prepare(
                "SELECT type, user_id, token_id, channel_id, model_name, quota
                 FROM logs WHERE task_id = ?1 ORDER BY id",
            )
            .expect("prepare the log query");
        stmt.query_map([task_id], |r| {
            Ok(LogRow {
                log_type: r.get(0)?,
                user_id: r.get(1)?,
                token_id: r.get(2)?,
                channel_id: r.get(3)?,
                model_name: r.get(4)?,
                quota: r.get(5)?,
            })
        })
        .expect("query the logs")
        .collect::<Result<Vec<_>, _>>()
        .expect("read the logs")
    }

    /// A channel as the admin API shows it.
    pub fn channel_view(&self, id: i64) -> Value {
        let (status, body) = self.get(&format!("/api/channel/{id}"), &as_root());
        assert_ok(status, &body).clone()
    }

    /// Asserts that no response so far holds a channel key or an upstream id.
    pub fn assert_nothing_leaked(&self) {
        let mut secrets: Vec<String> = self.channel_keys.lock().unwrap().clone();
        for mock in self.mocks.lock().unwrap().iter() {
            secrets.push(mock.secret().to_string());
            secrets.extend(mock.submitted().into_iter().filter_map(|s| s.upstream_id));
        }
        let responses = self.responses.lock().unwrap();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            for text in responses.iter() {
                assert!(
                    !text.contains(secret.as_str()),
                    "a response shows the secret or upstream id {secret:?}: {text}"
                );
            }
        }
    }

    /// How many responses were recorded.
    pub fn responses_seen(&self) -> usize {
        self.responses.lock().unwrap().len()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_nothing_leaked();
        }
    }
}

/// `Authorization: Bearer <key>`.
pub fn bearer(key: &str) -> Headers {
    vec![("Authorization", format!("Bearer {key}"))]
}

/// Asserts an accepted submission and returns the public task id.
pub fn accepted_task_id(status: u16, body: &Value) -> String {
    assert_eq!(status, 200, "the submission is accepted: {body}");
    assert_eq!(body["code"], "success", "{body}");
    assert_eq!(body["message"], "", "{body}");
    let id = body["data"]
        .as_str()
        .unwrap_or_else(|| panic!("data is the task id: {body}"));
    assert!(is_public_task_id(id), "task_ + 32 alphanumerics: {id:?}");
    id.to_string()
}

/// `task_` followed by 32 ASCII alphanumerics.
pub fn is_public_task_id(id: &str) -> bool {
    id.strip_prefix("task_")
        .is_some_and(|rest| rest.len() == 32 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Asserts the Suno error envelope with `status` and `code`; returns the message.
pub fn assert_relay_error(status: u16, body: &Value, expected: u16, code: &str) -> String {
    assert_eq!(
        status, expected,
        "expected {expected}, got {status}: {body}"
    );
    assert_eq!(body["code"], code, "code: {body}");
    assert!(
        body.get("data").is_some_and(Value::is_null),
        "data is null: {body}"
    );
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("message is a string: {body}"));
    assert!(!message.trim().is_empty(), "message is empty: {body}");
    message.to_string()
}

/// Sends `POST path` with a chunked body of `total` bytes (no Content-Length),
/// then reads the answer. Write errors are ignored: the server may answer and
/// stop reading before the whole body is sent.
pub fn post_chunked(app: &TestApp, path: &str, key: &str, total: usize) -> (u16, Value) {
    let mut stream = TcpStream::connect(app.addr).expect("connect to the app");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set a read timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).expect("send the head");
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let n = chunk.len().min(total - sent);
        let framed = [format!("{n:x}\r\n").as_bytes(), &chunk[..n], b"\r\n"].concat();
        if stream.write_all(&framed).is_err() {
            break;
        }
        sent += n;
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("an HTTP answer: {reply:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head:?}"));
    // A `Connection: close` answer without Content-Length may still be chunked.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    let value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("a JSON body ({e}): {reply:?}"));
    (status, value)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A base URL where nothing listens (a port bound and released at once).
pub fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{addr}")
}

/// The `data` of a successful Suno-style answer.
pub fn suno_data(status: u16, body: &Value) -> &Value {
    assert_eq!(status, 200, "expected 200: {body}");
    assert_eq!(body["code"], "success", "{body}");
    &body["data"]
}
