//! The worker tests' world: an app whose own worker does not poll, a Suno
//! simulator behind a channel, a user with an API key, and a manual clock
//! the tests move before each `run_once` pass.
//!
//! Tasks submitted through the relay are stamped with the wall clock
//! (`submit_time`, `next_poll_at_ms`), so the manual clock starts at the
//! wall clock's now and only ever moves forward from there.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};
use taskcenter::Config;
use taskcenter::clock::{Clock, ManualClock, SystemClock};
use taskcenter::platform::Platforms;
use taskcenter::store::ledger::{self, Reservation};
use taskcenter::store::tasks::Task;
use taskcenter::worker::{PassReport, run_once};

use crate::helpers::{Headers, TestApp, as_root, as_user, assert_ok, spawn_app_with};
use crate::mock::{Mock, MockConfig};

/// The user's quota at the start of every test.
pub const USER_QUOTA: i64 = 1_000_000;
/// The API key's remain_quota at the start of every test.
pub const KEY_QUOTA: i64 = 800_000;
/// What one music task costs at the default price (0.1 USD × 500,000).
pub const CHARGE: i64 = 50_000;
/// The poll interval of every test app, in ms.
pub const POLL_INTERVAL_MS: i64 = 1000;
/// The task timeout of every test app, in s.
pub const TASK_TIMEOUT_SECS: i64 = 600;
/// Refund log rows.
const LOG_REFUND: i64 = 6;

/// A simulator whose own clock never finishes a task during a test: the
/// tests force each status word they need with `Mock::set_status`.
pub fn slow_mock() -> Mock {
    mock_with(3_600_000, 0.0)
}

/// A simulator whose music tasks are final at once; `failure_ratio` 1.0
/// fails all of them.
pub fn instant_mock(failure_ratio: f64) -> Mock {
    mock_with(0, failure_ratio)
}

fn mock_with(music_duration_ms: u64, failure_ratio: f64) -> Mock {
    Mock::start(
        "127.0.0.1:0",
        MockConfig {
            music_duration_ms,
            failure_ratio,
            ..MockConfig::default()
        },
    )
}

/// The configuration of a test app whose own worker thread stays off.
pub fn manual_config() -> Config {
    Config {
        worker: false,
        poll_interval_ms: POLL_INTERVAL_MS as u64,
        task_timeout_secs: TASK_TIMEOUT_SECS as u64,
        ..Config::default()
    }
}

/// A task as the relay client knows it, with its upstream id.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The public id (`task_...`).
    pub task_id: String,
    /// The id the simulator gave it.
    pub upstream_id: String,
}

/// A refund log row (type 6).
#[derive(Debug, Clone)]
pub struct RefundRow {
    /// Quota given back.
    pub quota: i64,
    /// What the row says.
    pub content: String,
    /// Who got it back.
    pub user_id: i64,
    /// Which key got it back (0 when the key was gone).
    pub token_id: i64,
}

/// The balances a charge and a refund move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    /// The user's quota.
    pub user_quota: i64,
    /// The user's used_quota.
    pub user_used: i64,
    /// The key's remain_quota.
    pub key_remain: i64,
    /// The key's used_quota.
    pub key_used: i64,
}

impl Balances {
    /// Where every test starts, and where every refunded charge returns to.
    pub fn start() -> Balances {
        Balances::after_charges(0)
    }

    /// After `n` charges that were not refunded.
    pub fn after_charges(n: i64) -> Balances {
        Balances {
            user_quota: USER_QUOTA - n * CHARGE,
            user_used: n * CHARGE,
            key_remain: KEY_QUOTA - n * CHARGE,
            key_used: n * CHARGE,
        }
    }
}

/// An app, its simulator and channel, a paying user, and the clock of the passes.
pub struct World {
    /// The server (its own worker off unless the config said otherwise).
    pub app: TestApp,
    /// The simulator behind `channel_id`.
    pub mock: Mock,
    /// The configuration the passes run with (the app's).
    pub config: Config,
    /// The clock the passes read.
    pub clock: ManualClock,
    /// The platforms the passes poll through.
    pub platforms: Platforms,
    /// The paying user.
    pub user_id: i64,
    /// Headers authenticating as the paying user.
    pub user_headers: Headers,
    /// The user's API key (`sk-...`).
    pub key: String,
    /// The API key's id.
    pub token_id: i64,
    /// The channel in front of `mock`.
    pub channel_id: i64,
}

impl World {
    /// A manual-clock world over `mock`, polling with a 2 s upstream timeout.
    pub fn new(mock: Mock) -> World {
        World::with(mock, manual_config(), Duration::from_secs(2))
    }

    /// A world with its own configuration and the passes' upstream timeout.
    pub fn with(mock: Mock, config: Config, upstream_timeout: Duration) -> World {
        let app = spawn_app_with(config.clone());
        let (user_id, access) = app.create_user("payer", 1, USER_QUOTA);
        let user_headers = as_user(user_id, &access);
        let (token_id, key) = create_key(
            &app,
            &user_headers,
            &json!({"name": "worker-tests", "remain_quota": KEY_QUOTA}),
        );
        let channel_id = add_channel(&app, &mock, 0);
        World {
            app,
            mock,
            config,
            clock: ManualClock::at_ms(SystemClock.now_ms()),
            platforms: Platforms::builtin(upstream_timeout),
            user_id,
            user_headers,
            key,
            token_id,
            channel_id,
        }
    }

    /// Headers of a relay client using the user's API key.
    pub fn relay_headers(&self) -> Headers {
        vec![("Authorization", format!("Bearer {}", self.key))]
    }

    /// Submits a music job through the relay with the user's key; it lands
    /// on the channel of the highest priority.
    pub fn submit(&self) -> Submitted {
        self.submit_with(&self.key)
    }

    /// Submits a music job through the relay with `key`.
    pub fn submit_with(&self, key: &str) -> Submitted {
        let (status, body) = self.app.post_json(
            "/suno/submit/music",
            &vec![("Authorization", format!("Bearer {key}"))],
            &json!({"prompt": "[Verse]\nWalking down the streets", "mv": "chirp-v3-5",
                    "title": "City Lights", "tags": "emotional punk"}),
        );
        assert_eq!(status, 200, "submit: {body}");
        assert_eq!(body["code"], "success", "submit: {body}");
        let task_id = body["data"].as_str().expect("a task id").to_string();
        let task = self.task(&task_id);
        assert_eq!(task.status, "SUBMITTED", "just submitted: {task:?}");
        Submitted {
            task_id,
            upstream_id: task.upstream_task_id,
        }
    }

    /// Charges the user and inserts a NOT_START task without submitting it,
    /// as a crash between the two would leave it. Stamped with the pass clock.
    pub fn reserve_only(&self) -> Task {
        let quote = self
            .app
            .store
            .quote("suno_music", "default")
            .expect("the default price");
        ledger::reserve(
            &self.app.store,
            &Reservation {
                user_id: self.user_id,
                token_id: self.token_id,
                channel_id: self.channel_id,
                platform: "suno".into(),
                action: "MUSIC".into(),
                model_name: "suno_music".into(),
                quote,
                properties: json!({"prompt": "never sent"}),
            },
            self.clock.now(),
        )
        .expect("reserve a task")
    }

    /// One worker pass at the clock's time.
    pub fn pass(&self) -> PassReport {
        run_once(
            &self.app.store,
            &self.platforms,
            &self.config,
            &self.clock,
            &AtomicBool::new(false),
        )
    }

    /// Moves the clock forward by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        assert!(ms >= 0, "the clock only moves forward");
        self.clock.advance_ms(ms);
    }

    /// Moves the clock forward to `ms` (unix ms).
    pub fn move_to_ms(&self, ms: i64) {
        self.advance_ms(ms - self.clock.now_ms());
    }

    /// Moves the clock to when every in-flight task is due (if not there yet).
    pub fn move_to_due(&self) {
        let latest: Option<i64> = self
            .app
            .store
            .conn()
            .expect("a connection")
            .query_row(
                "SELECT MAX(next_poll_at_ms) FROM tasks
                 WHERE status IN ('NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'UNKNOWN')",
                [],
                |r| r.get(0),
            )
            .expect("read the due times");
        if let Some(latest) = latest
            && latest > self.clock.now_ms()
        {
            self.move_to_ms(latest);
        }
    }

    /// Moves the clock to when every in-flight task is due, then runs a pass.
    pub fn pass_when_due(&self) -> PassReport {
        self.move_to_due();
        self.pass()
    }

    /// The stored task, private columns included.
    pub fn task(&self, task_id: &str) -> Task {
        self.app
            .store
            .user_task(self.user_id, task_id)
            .expect("read the task")
            .unwrap_or_else(|| panic!("task {task_id} exists"))
    }

    /// The user's and key's balances now.
    pub fn balances(&self) -> Balances {
        let (user_quota, user_used) = self.user_balance();
        let (key_remain, key_used) = self
            .key_balance(self.token_id)
            .expect("the user's key exists");
        Balances {
            user_quota,
            user_used,
            key_remain,
            key_used,
        }
    }

    /// The user's (quota, used_quota).
    pub fn user_balance(&self) -> (i64, i64) {
        self.app
            .store
            .conn()
            .expect("a connection")
            .query_row(
                "SELECT quota, used_quota FROM users WHERE id = ?1",
                params![self.user_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("read the user's balance")
    }

    /// A key's (remain_quota, used_quota), or `None` once it was deleted.
    pub fn key_balance(&self, token_id: i64) -> Option<(i64, i64)> {
        self.app
            .store
            .conn()
            .expect("a connection")
            .query_row(
                "SELECT remain_quota, used_quota FROM tokens WHERE id = ?1",
                params![token_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .expect("read the key's balance")
    }

    /// A channel's used_quota, or `None` once it was deleted.
    pub fn channel_used(&self, channel_id: i64) -> Option<i64> {
        self.app
            .store
            .conn()
            .expect("a connection")
            .query_row(
                "SELECT used_quota FROM channels WHERE id = ?1",
                params![channel_id],
                |r| r.get(0),
            )
            .optional()
            .expect("read the channel")
    }

    /// The refund log rows of a task.
    pub fn refunds(&self, task_id: &str) -> Vec<RefundRow> {
        let conn = self.app.store.conn().expect("a connection");
        let mut stmt = conn
            .prepare(
                "SELECT quota, content, user_id, token_id FROM logs
                 WHERE type = ?1 AND task_id = ?2 ORDER BY id",
            )
            .expect("prepare the log query");
        stmt.query_map(params![LOG_REFUND, task_id], |r| {
            Ok(RefundRow {
                quota: r.get(0)?,
                content: r.get(1)?,
                user_id: r.get(2)?,
                token_id: r.get(3)?,
            })
        })
        .expect("read the refund rows")
        .collect::<Result<Vec<_>, _>>()
        .expect("read the refund rows")
    }

    /// Refund log rows of the whole database.
    pub fn refund_count(&self) -> i64 {
        self.app
            .store
            .conn()
            .expect("a connection")
            .query_row(
                "SELECT COUNT(*) FROM logs WHERE type = ?1",
                params![LOG_REFUND],
                |r| r.get(0),
            )
            .expect("count the refund rows")
    }

    /// Asserts that `task_id` ended FAILURE, refunded by exactly one log row
    /// that names the task and its reason; returns the task.
    pub fn assert_refunded_once(&self, task_id: &str) -> Task {
        let task = self.task(task_id);
        assert_eq!(task.status, "FAILURE", "{task:?}");
        assert_eq!(task.progress, "100%", "{task:?}");
        assert!(!task.fail_reason.is_empty(), "a failure says why: {task:?}");
        assert!(
            task.finish_time > 0,
            "a failed task has a finish time: {task:?}"
        );
        assert_eq!(task.refunded, 1, "{task:?}");
        let refunds = self.refunds(task_id);
        assert_eq!(
            refunds.len(),
            1,
            "one refund row for {task_id}: {refunds:?}"
        );
        let row = &refunds[0];
        assert_eq!(row.quota, CHARGE, "the refund gives the charge back");
        assert_eq!(row.user_id, self.user_id, "{row:?}");
        assert!(
            row.content.contains(task_id) && row.content.contains(&task.fail_reason),
            "the refund row names the task and the reason: {row:?}"
        );
        task
    }

    /// The task as `GET /api/task/self?task_id=` shows it to its owner.
    pub fn task_self(&self, task_id: &str) -> Value {
        let (status, body) = self.app.get(
            &format!("/api/task/self?task_id={task_id}"),
            &self.user_headers,
        );
        let data = assert_ok(status, &body);
        let items = data["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "one task {task_id}: {body}");
        items[0].clone()
    }

    /// The task as `GET /suno/fetch/{id}` shows it to the API key.
    pub fn relay_fetch(&self, task_id: &str) -> Value {
        let (status, body) = self
            .app
            .get(&format!("/suno/fetch/{task_id}"), &self.relay_headers());
        assert_eq!(status, 200, "fetch {task_id}: {body}");
        assert_eq!(body["code"], "success", "fetch {task_id}: {body}");
        body["data"].clone()
    }

    /// Polls `GET /api/task/self` until the task is final; panics after `limit`.
    pub fn wait_until_final(&self, task_id: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let task = self.task_self(task_id);
            if matches!(task["status"].as_str(), Some("SUCCESS" | "FAILURE")) {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "task {task_id} not final after {limit:?}: {task}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// Creates a Suno channel in front of `mock` through `POST /api/channel/`; returns its id.
pub fn add_channel(app: &TestApp, mock: &Mock, priority: i64) -> i64 {
    let (status, body) = app.post_json(
        "/api/channel/",
        &as_root(),
        &json!({"name": format!("mock {}", mock.addr()), "type": "suno",
                "base_url": mock.base_url(), "key": mock.secret(),
                "models": "suno_music,suno_lyrics", "group": "default", "priority": priority}),
    );
    assert_ok(status, &body)["id"]
        .as_i64()
        .expect("the new channel's id")
}

/// Creates an API key for the user behind `headers` through `POST /api/token/`;
/// returns (id, key).
pub fn create_key(app: &TestApp, headers: &Headers, body: &Value) -> (i64, String) {
    let (status, reply) = app.post_json("/api/token/", headers, body);
    let data = assert_ok(status, &reply);
    let id = data["id"].as_i64().expect("the new key's id");
    let key = data["key"].as_str().expect("the new key").to_string();
    (id, key)
}
