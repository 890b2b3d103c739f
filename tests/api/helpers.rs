//! The test harness: a real server on 127.0.0.1:0 over a fresh temporary
//! database, and blocking HTTP helpers to talk to it.
//!
//! Set `TEST_LOG=1` to see the server's request log on stderr.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Once;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};
use taskcenter::Config;
use taskcenter::domain::TaskStatus;
use taskcenter::store::Store;
use taskcenter::store::tasks::NewTask;
use tokio::sync::oneshot;

/// Access token of the root user (id 1) of every test app.
pub const ROOT_TOKEN: &str = "test-root-token-0123456789abcdefghij";

/// Request headers as (name, value) pairs.
pub type Headers = Vec<(&'static str, String)>;

/// A running server with its own database; stops when dropped.
pub struct TestApp {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// The server's database, for arranging fixtures directly.
    pub store: Store,
    agent: ureq::Agent,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    // Removed only after `drop` has stopped the server.
    _db_dir: tempfile::TempDir,
}

/// Starts a server with the default configuration.
pub fn spawn_app() -> TestApp {
    spawn_app_with(Config::default())
}

/// Starts a server with `config`; its `db` is replaced by a fresh temporary file.
pub fn spawn_app_with(mut config: Config) -> TestApp {
    init_logging();
    let db_dir = tempfile::tempdir().expect("create a temporary directory");
    let path = db_dir.path().join("taskcenter.db");
    let store = Store::open(&path).expect("open the test database");
    store
        .ensure_root(Some(ROOT_TOKEN))
        .expect("create the root user");
    config.db = path;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("make the listener non-blocking");
    let addr = listener.local_addr().expect("listener address");
    let (shutdown, signal) = oneshot::channel::<()>();
    let server_store = store.clone();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build the server runtime");
        runtime.block_on(async move {
            let listener =
                tokio::net::TcpListener::from_std(listener).expect("register the listener");
            let signal = async move {
                // A dropped sender also means "stop".
                let _ = signal.await;
            };
            taskcenter::run(listener, server_store, config, signal).await;
        });
    });

    // The listener is bound before the thread starts, so connections made now
    // wait in its backlog: no need to poll for readiness.
    //
    // No pooled connections: a request the server answers before reading its
    // body (a 401 on a POST, a 405) may leave hyper closing that connection,
    // and a reused one would then fail the next request with a broken pipe.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    TestApp {
        addr,
        store,
        agent,
        shutdown: Some(shutdown),
        server: Some(server),
        _db_dir: db_dir,
    }
}

fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = env_logger::Builder::from_env(
                env_logger::Env::default().default_filter_or("debug"),
            )
            .target(env_logger::Target::Stderr)
            .try_init();
        }
    });
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take()
            && server.join().is_err()
            && !std::thread::panicking()
        {
            panic!("the server thread panicked");
        }
    }
}

/// Headers that authenticate as the root user.
pub fn as_root() -> Headers {
    as_user(1, ROOT_TOKEN)
}

/// Headers that authenticate as user `id` with its access token.
pub fn as_user(id: i64, token: &str) -> Headers {
    vec![
        ("Authorization", format!("Bearer {token}")),
        ("New-Api-User", id.to_string()),
    ]
}

impl TestApp {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends a request and returns the status with the body parsed as JSON.
    /// Every response of the service is JSON, so a body that is not fails the test.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_url()));
        for (name, value) in headers {
            builder = builder.header(*name, value.as_str());
        }
        let result = match body {
            Some(bytes) => {
                let req = builder
                    .header("Content-Type", "application/json")
                    .body(bytes)
                    .expect("build the request");
                self.agent.run(req)
            }
            None => self.agent.run(builder.body(()).expect("build the request")),
        };
        let mut response =
            result.unwrap_or_else(|e| panic!("{method} {path}: transport error: {e}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|e| panic!("{method} {path}: cannot read the body: {e}"));
        let value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: answered {status} with a body that is not JSON ({e}): {text:?}"
            )
        });
        (status, value)
    }

    /// Writes `head` (request line and headers, no body) on a fresh
    /// connection and returns the status and JSON body of the answer. For
    /// answers a server gives before reading the body: an HTTP client would
    /// try to send the body first and could fail on the closed socket.
    pub fn raw_head(&self, head: &str) -> (u16, Value) {
        let mut stream = TcpStream::connect(self.addr).expect("connect to the app");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("set a read timeout");
        stream.write_all(head.as_bytes()).expect("send the head");
        let mut reply = Vec::new();
        stream
            .read_to_end(&mut reply)
            .expect("read the answer until the server closes");
        let reply = String::from_utf8_lossy(&reply);
        let (response_head, body) = reply
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("an HTTP answer: {reply:?}"));
        let status = response_head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {response_head:?}"));
        let value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("a JSON body ({e}): {reply:?}"));
        (status, value)
    }

    /// `GET path`.
    pub fn get(&self, path: &str, headers: &Headers) -> (u16, Value) {
        self.request("GET", path, headers, None)
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, headers: &Headers, body: &Value) -> (u16, Value) {
        self.request("POST", path, headers, Some(body.to_string().into_bytes()))
    }

    /// Creates a user through `POST /api/user/` as root; returns (id, access token).
    pub fn create_user(&self, username: &str, role: i64, quota: i64) -> (i64, String) {
        let (status, body) = self.post_json(
            "/api/user/",
            &as_root(),
            &json!({"username": username, "role": role, "quota": quota}),
        );
        assert_eq!(status, 200, "creating user {username}: {body}");
        let data = &body["data"];
        let id = data["id"].as_i64().expect("new user id");
        let token = data["access_token"]
            .as_str()
            .expect("new user access token")
            .to_string();
        (id, token)
    }

    /// Creates a common user with no quota; returns (id, headers authenticating as them).
    pub fn common_user(&self, username: &str) -> (i64, Headers) {
        let (id, token) = self.create_user(username, 1, 0);
        (id, as_user(id, &token))
    }

    /// Inserts tasks directly into the store; returns their row ids in order.
    pub fn insert_tasks(&self, tasks: &[NewTask]) -> Vec<i64> {
        self.store
            .insert_tasks_raw(tasks)
            .expect("insert test tasks")
    }
}

/// A successful Suno music task of `user_id` on channel 1, submitted at `submit_time`.
pub fn task(user_id: i64, submit_time: i64) -> NewTask {
    NewTask {
        task_id: String::new(),
        platform: "suno".into(),
        user_id,
        channel_id: 1,
        quota: 50_000,
        action: "MUSIC".into(),
        status: TaskStatus::Success,
        fail_reason: String::new(),
        submit_time,
        start_time: submit_time + 1,
        finish_time: submit_time + 60,
        progress: "100%".into(),
        properties: json!({}),
        data: json!({}),
        upstream_task_id: format!("upstream-{user_id}-{submit_time}"),
    }
}

/// Asserts the success envelope with status 200 and returns its `data`.
pub fn assert_ok(status: u16, body: &Value) -> &Value {
    assert_eq!(status, 200, "expected 200, got {status}: {body}");
    assert_eq!(body["success"], json!(true), "success flag: {body}");
    assert!(body["message"].is_string(), "message is a string: {body}");
    assert!(body.get("data").is_some(), "data present: {body}");
    &body["data"]
}

/// Asserts the error envelope `{"success": false, "message": "..."}` with
/// `expected` status, and returns the message.
pub fn assert_error(status: u16, body: &Value, expected: u16) -> String {
    assert_eq!(
        status, expected,
        "expected {expected}, got {status}: {body}"
    );
    assert_eq!(body["success"], json!(false), "success flag: {body}");
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("message is a string: {body}"));
    assert!(!message.trim().is_empty(), "message is empty: {body}");
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "an error carries no data: {body}"
    );
    message.to_string()
}

/// True when `message` names `word` as a whole word (`p` in "invalid p '-1'").
pub fn mentions(message: &str, word: &str) -> bool {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// The `items` of a task-list `data`.
pub fn items(data: &Value) -> &Vec<Value> {
    data["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is an array: {data}"))
}

/// The row ids of a task-list page, in order.
pub fn item_ids(data: &Value) -> Vec<i64> {
    items(data)
        .iter()
        .map(|t| t["id"].as_i64().expect("item id"))
        .collect()
}
