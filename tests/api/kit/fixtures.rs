//! Fixtures arranged through the API as a client would: users, API keys,
//! customers (a user with a key), prices, submissions and fetches on the
//! relay. And tasks placed straight into the store, for the list tests that
//! need every status and time (the one store write the kit makes).

use serde_json::{Value, json};
use taskcenter::store::tasks::NewTask;

pub use taskcenter::domain::TaskStatus;
pub use taskcenter::domain::status::ALL_STATUSES;

use super::app::TestApp;
use super::assert::{accepted_task_id, assert_ok};
use super::http::{Headers, as_root, as_user, bearer};

/// The charge of one `suno_music` call at the default price (0.1 USD) and ratio 1.
pub const MUSIC_CHARGE: i64 = 50_000;
/// The charge of one `suno_lyrics` call at the default price and ratio 1.
pub const LYRICS_CHARGE: i64 = 5_000;

/// A user with quota and one API key.
#[derive(Debug, Clone)]
pub struct Customer {
    /// User id.
    pub id: i64,
    /// Management headers (the user's access token).
    pub headers: Headers,
    /// The `sk-...` key.
    pub key: String,
    /// The key's id.
    pub key_id: i64,
}

/// A task to place in the store as it is (see [`TestApp::insert_tasks`]).
#[derive(Debug, Clone)]
pub struct TaskSpec {
    /// Public id (generated if empty).
    pub task_id: String,
    /// e.g. `suno`.
    pub platform: String,
    /// Owner.
    pub user_id: i64,
    /// The channel it ran on.
    pub channel_id: i64,
    /// The charge.
    pub quota: i64,
    /// e.g. `MUSIC`.
    pub action: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// Why it failed.
    pub fail_reason: String,
    /// Unix s.
    pub submit_time: i64,
    /// Unix s.
    pub start_time: i64,
    /// Unix s.
    pub finish_time: i64,
    /// e.g. `100%`.
    pub progress: String,
    /// What the user asked for.
    pub properties: Value,
    /// The upstream's result.
    pub data: Value,
    /// The upstream's id.
    pub upstream_task_id: String,
}

/// A successful Suno music task of `user_id` on channel 1, submitted at `submit_time`.
pub fn task(user_id: i64, submit_time: i64) -> TaskSpec {
    TaskSpec {
        task_id: String::new(),
        platform: "suno".into(),
        user_id,
        channel_id: 1,
        quota: MUSIC_CHARGE,
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

/// A fresh public task id (`task_` and 32 alphanumerics).
pub fn new_task_id() -> String {
    taskcenter::secrets::new_task_id()
}

impl TestApp {
    /// Creates a user through `POST /api/user/` as root from a whole body;
    /// returns (id, access token).
    pub fn add_user(&self, body: &Value) -> (i64, String) {
        let (status, answer) = self.post("/api/user/", &as_root(), body);
        let data = assert_ok(status, &answer);
        let id = data["id"].as_i64().expect("the new user's id");
        let token = data["access_token"]
            .as_str()
            .expect("the new user's access token");
        (id, token.to_string())
    }

    /// Creates a user with `role` and `quota`; returns (id, access token).
    pub fn create_user(&self, username: &str, role: i64, quota: i64) -> (i64, String) {
        self.add_user(&json!({"username": username, "role": role, "quota": quota}))
    }

    /// Creates a common user with no quota; returns (id, headers authenticating as them).
    pub fn common_user(&self, username: &str) -> (i64, Headers) {
        let (id, token) = self.create_user(username, 1, 0);
        (id, as_user(id, &token))
    }

    /// Creates a user with a display name and `role`; returns (id, headers).
    pub fn named_user(&self, username: &str, display_name: &str, role: i64) -> (i64, Headers) {
        let (id, token) = self
            .add_user(&json!({"username": username, "display_name": display_name, "role": role}));
        (id, as_user(id, &token))
    }

    /// Sets a user's status (1 enabled, 2 disabled) as root.
    pub fn set_user_status(&self, id: i64, status: i64) {
        let (code, body) = self.put(
            "/api/user/",
            &as_root(),
            &json!({"id": id, "status": status}),
        );
        assert_ok(code, &body);
    }

    /// `POST /api/user/{id}/quota` with `delta` (reason "test") as the caller behind `headers`.
    pub fn adjust_quota(&self, headers: &Headers, id: i64, delta: i64) -> (u16, Value) {
        self.post(
            &format!("/api/user/{id}/quota"),
            headers,
            &json!({"delta": delta, "reason": "test"}),
        )
    }

    /// `POST /api/token/` as the user behind `headers`; returns (id, key).
    pub fn new_key(&self, headers: &Headers, body: &Value) -> (i64, String) {
        let (status, answer) = self.post("/api/token/", headers, body);
        let data = assert_ok(status, &answer);
        let id = data["id"].as_i64().expect("the new key's id");
        let key = data["key"].as_str().expect("the new key").to_string();
        (id, key)
    }

    /// A common user with `quota` and an unlimited API key named `main`.
    pub fn customer(&self, username: &str, quota: i64) -> Customer {
        self.customer_with_key(username, quota, &unlimited_key())
    }

    /// A customer per name, each with `quota` and an unlimited key.
    pub fn customers<const N: usize>(&self, names: [&str; N], quota: i64) -> [Customer; N] {
        names.map(|name| self.customer(name, quota))
    }

    /// A common user with `quota` and an API key created from `key_body`.
    pub fn customer_with_key(&self, username: &str, quota: i64, key_body: &Value) -> Customer {
        let (id, token) = self.create_user(username, 1, quota);
        self.customer_of(id, &token, key_body)
    }

    /// A common user of pricing `group` with `quota` and an unlimited API key.
    pub fn customer_in_group(&self, username: &str, group: &str, quota: i64) -> Customer {
        let (id, token) =
            self.add_user(&json!({"username": username, "group": group, "quota": quota}));
        self.customer_of(id, &token, &unlimited_key())
    }

    /// User `id` (with access `token`) and a new key made from `key_body`.
    pub fn customer_of(&self, id: i64, token: &str, key_body: &Value) -> Customer {
        let headers = as_user(id, token);
        let (key_id, key) = self.new_key(&headers, key_body);
        Customer {
            id,
            headers,
            key,
            key_id,
        }
    }

    /// Sets an option (`ModelPrice`, `GroupRatio`) as root.
    pub fn set_option(&self, key: &str, value: &str) -> (u16, Value) {
        self.put(
            "/api/option/",
            &as_root(),
            &json!({"key": key, "value": value}),
        )
    }

    /// `GET /api/audit` as root: the ledger audit's report.
    pub fn audit(&self) -> Value {
        let (status, body) = self.get("/api/audit", &as_root());
        assert_ok(status, &body).clone()
    }

    /// `POST /suno/submit/{action}` with `key` and a JSON body.
    pub fn submit(&self, key: &str, action: &str, body: &Value) -> (u16, Value) {
        self.submit_bytes(key, action, body.to_string().into_bytes())
    }

    /// `POST /suno/submit/{action}` with `key` and raw body bytes.
    pub fn submit_bytes(&self, key: &str, action: &str, body: Vec<u8>) -> (u16, Value) {
        let path = format!("/suno/submit/{action}");
        self.request("POST", &path, &bearer(key), Some(body))
    }

    /// Submits a music job that must be accepted; returns the public task id.
    pub fn submit_music(&self, key: &str, prompt: &str) -> String {
        let (status, body) = self.submit(key, "music", &json!({"prompt": prompt}));
        accepted_task_id(status, &body)
    }

    /// `POST /suno/fetch` `{"ids": ids}` with `key`.
    pub fn fetch(&self, key: &str, ids: &[String]) -> (u16, Value) {
        self.post("/suno/fetch", &bearer(key), &json!({ "ids": ids }))
    }

    /// `GET /suno/fetch/{id}` with `key`.
    pub fn fetch_one(&self, key: &str, id: &str) -> (u16, Value) {
        self.get(&format!("/suno/fetch/{id}"), &bearer(key))
    }

    /// Places tasks straight into the store (no quota moves); returns their
    /// row ids in order.
    pub fn insert_tasks(&self, tasks: &[TaskSpec]) -> Vec<i64> {
        let rows: Vec<NewTask> = tasks
            .iter()
            .map(|t| NewTask {
                task_id: t.task_id.clone(),
                platform: t.platform.clone(),
                user_id: t.user_id,
                channel_id: t.channel_id,
                quota: t.quota,
                action: t.action.clone(),
                status: t.status,
                fail_reason: t.fail_reason.clone(),
                submit_time: t.submit_time,
                start_time: t.start_time,
                finish_time: t.finish_time,
                progress: t.progress.clone(),
                properties: t.properties.clone(),
                data: t.data.clone(),
                upstream_task_id: t.upstream_task_id.clone(),
            })
            .collect();
        self.store
            .insert_tasks_raw(&rows)
            .expect("insert test tasks")
    }

    /// Whether `examples/seed_tasks` may seed this app's database (see
    /// `Store::check_seedable`); the refusal's message when not.
    pub fn check_seedable(&self) -> Result<(), String> {
        self.store.check_seedable().map_err(|e| e.to_string())
    }
}

/// The body of an unlimited API key named `main`.
pub fn unlimited_key() -> Value {
    json!({"name": "main", "unlimited_quota": true})
}

/// Unix seconds now, from the wall clock.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}
