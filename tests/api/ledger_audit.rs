//! The ledger audit (`GET /api/audit` and `taskcenter audit`): it passes on
//! the books a busy lifecycle leaves behind, and each of its rules catches
//! the breach it is written for, naming who is concerned.
//!
//! Also the relay fixtures the operators' and CLI tests share: a slow Suno
//! simulator behind a channel, customers with keys, a manual-clock worker.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use rusqlite::params;
use serde_json::{Value, json};
use taskcenter::Config;
use taskcenter::clock::{Clock, ManualClock, SystemClock};
use taskcenter::platform::Platforms;
use taskcenter::worker::{PassReport, run_once};

use crate::cli::{db_path, taskcenter};
use crate::helpers::{
    Headers, TestApp, as_root, as_user, assert_error, assert_ok, spawn_app, spawn_app_with, task,
};
use crate::mock::{Fault, Mock, MockConfig};

/// What one `suno_music` call costs at the default price.
pub const MUSIC_CHARGE: i64 = 50_000;
/// The task timeout of the lifecycle app, in s.
const TIMEOUT_SECS: i64 = 600;
/// The poll interval of the lifecycle app, in ms.
const POLL_MS: i64 = 1000;

/// A Suno simulator whose tasks never finish by themselves during a test:
/// tests force the status words they need with `Mock::set_status`.
pub fn slow_mock() -> Mock {
    Mock::start(
        "127.0.0.1:0",
        MockConfig {
            music_duration_ms: 3_600_000,
            ..MockConfig::default()
        },
    )
}

/// Creates a Suno channel in front of `mock` as root; returns its id.
pub fn add_channel(app: &TestApp, mock: &Mock) -> i64 {
    let (status, body) = app.post_json(
        "/api/channel/",
        &as_root(),
        &json!({"name": "mock", "type": "suno", "base_url": mock.base_url(),
                "key": mock.secret(), "models": "suno_music,suno_lyrics"}),
    );
    assert_ok(status, &body)["id"].as_i64().expect("channel id")
}

/// A common user with an API key.
#[derive(Debug, Clone)]
pub struct Customer {
    /// User id.
    pub id: i64,
    /// Headers with the user's access token.
    pub headers: Headers,
    /// The `sk-...` key.
    pub key: String,
    /// The key's id.
    pub key_id: i64,
}

/// Creates a common user with `quota` and an API key made from `key_body`.
pub fn customer(app: &TestApp, name: &str, quota: i64, key_body: &Value) -> Customer {
    let (id, token) = app.create_user(name, 1, quota);
    let headers = as_user(id, &token);
    let (status, body) = app.post_json("/api/token/", &headers, key_body);
    let data = assert_ok(status, &body);
    Customer {
        id,
        headers,
        key: data["key"].as_str().expect("the key").to_string(),
        key_id: data["id"].as_i64().expect("key id"),
    }
}

/// `POST /suno/submit/{action}` with `key`.
pub fn submit(app: &TestApp, key: &str, action: &str, body: &Value) -> (u16, Value) {
    app.post_json(
        &format!("/suno/submit/{action}"),
        &vec![("Authorization", format!("Bearer {key}"))],
        body,
    )
}

/// Submits a music job that must be accepted; returns the public task id.
pub fn submit_music(app: &TestApp, key: &str) -> String {
    let (status, body) = submit(
        app,
        key,
        "music",
        &json!({"prompt": "a song about ledgers"}),
    );
    assert_eq!(status, 200, "the submission is accepted: {body}");
    assert_eq!(body["code"], "success", "{body}");
    body["data"].as_str().expect("the task id").to_string()
}

/// `GET /api/audit` as root: the report.
pub fn audit(app: &TestApp) -> Value {
    let (status, body) = app.get("/api/audit", &as_root());
    assert_ok(status, &body).clone()
}

/// Asserts a passing report.
pub fn assert_clean(report: &Value) {
    assert_eq!(report["ok"], json!(true), "the audit passes: {report}");
    assert_eq!(report["violations"], json!([]), "no violation: {report}");
}

/// Asserts a failing report with a violation of `kind` naming `who`; returns it.
fn assert_violation(report: &Value, kind: &str, who: &str) -> Value {
    assert_eq!(report["ok"], json!(false), "the audit fails: {report}");
    let found = report["violations"]
        .as_array()
        .expect("violations is an array")
        .iter()
        .find(|v| v["kind"] == kind && v.to_string().contains(who))
        .unwrap_or_else(|| panic!("a {kind} violation naming {who}: {report}"));
    found.clone()
}

/// Runs one SQL statement on the app's database, behind the service's back.
pub fn tamper(app: &TestApp, sql: &str) {
    let changed = app
        .store
        .conn()
        .expect("a connection")
        .execute(sql, [])
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(changed, 1, "{sql} changes one row");
}

fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.store
        .conn()
        .expect("a connection")
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn status_of(app: &TestApp, task_id: &str) -> String {
    app.store
        .conn()
        .expect("a connection")
        .query_row(
            "SELECT status FROM tasks WHERE task_id = ?1",
            params![task_id],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("task {task_id}: {e}"))
}

fn upstream_id(app: &TestApp, task_id: &str) -> String {
    app.store
        .conn()
        .expect("a connection")
        .query_row(
            "SELECT upstream_task_id FROM tasks WHERE task_id = ?1",
            params![task_id],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("task {task_id}: {e}"))
}

/// The worker, driven pass by pass on a manual clock.
struct Passes<'a> {
    app: &'a TestApp,
    config: Config,
    clock: ManualClock,
    platforms: Platforms,
}

impl Passes<'_> {
    fn run(&self) -> PassReport {
        run_once(
            &self.app.store,
            &self.platforms,
            &self.config,
            &self.clock,
            &AtomicBool::new(false),
        )
    }

    fn move_to_ms(&self, ms: i64) {
        let now = self.clock.now_ms();
        if ms > now {
            self.clock.advance_ms(ms - now);
        }
    }

    /// Moves the clock to when every in-flight task is due, then runs a pass.
    fn run_when_due(&self) -> PassReport {
        let due = scalar(
            self.app,
            "SELECT COALESCE(MAX(next_poll_at_ms), 0) FROM tasks
             WHERE status IN ('NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'UNKNOWN')",
        );
        self.move_to_ms(due);
        self.run()
    }
}

fn lifecycle_config() -> Config {
    Config {
        worker: false,
        retry_times: 0,
        poll_interval_ms: POLL_MS as u64,
        task_timeout_secs: TIMEOUT_SECS as u64,
        ..Config::default()
    }
}

#[test]
fn audit_is_for_root_only() {
    let app = spawn_app();
    let (admin, admin_token) = app.create_user("admin", 10, 0);
    let (common, common_token) = app.create_user("common", 1, 0);
    let (status, body) = app.get("/api/audit", &as_user(admin, &admin_token));
    assert_error(status, &body, 403);
    let (status, body) = app.get("/api/audit", &as_user(common, &common_token));
    assert_error(status, &body, 403);
    let (status, body) = app.get("/api/audit", &vec![]);
    assert_error(status, &body, 401);

    let report = audit(&app);
    assert_clean(&report);
    assert_eq!(report["users"], 3, "root, admin and common: {report}");
}

#[test]
fn audit_passes_after_a_busy_lifecycle_and_fails_naming_the_user_after_a_balance_is_changed_behind_its_back()
 {
    let app = spawn_app_with(lifecycle_config());
    let mock = slow_mock();
    add_channel(&app, &mock);
    let alice = customer(
        &app,
        "alice",
        1_000_000,
        &json!({"name": "alice-key", "remain_quota": 600_000}),
    );
    let bob = customer(
        &app,
        "bob",
        400_000,
        &json!({"name": "bob-key", "unlimited_quota": true}),
    );
    let broke = customer(
        &app,
        "broke",
        10_000,
        &json!({"name": "k", "unlimited_quota": true}),
    );
    let passes = Passes {
        app: &app,
        config: lifecycle_config(),
        clock: ManualClock::at_ms(SystemClock.now_ms()),
        platforms: Platforms::builtin(Duration::from_secs(2)),
    };

    let a: Vec<String> = (0..5).map(|_| submit_music(&app, &alice.key)).collect();
    let b: Vec<String> = (0..3).map(|_| submit_music(&app, &bob.key)).collect();
    let (status, body) = submit(&app, &alice.key, "lyrics", &json!({"prompt": "ledgers"}));
    assert_eq!(status, 200, "lyrics accepted: {body}");
    // Too poor to pay: refused, nothing charged.
    let (status, body) = submit(&app, &broke.key, "music", &json!({"prompt": "x"}));
    assert_eq!(status, 403, "insufficient quota: {body}");
    // The upstream refuses one submission: the relay fails it and refunds.
    mock.set_fault(Fault::Http(500));
    let (status, body) = submit(&app, &alice.key, "music", &json!({"prompt": "x"}));
    assert_ne!(status, 200, "the upstream refused: {body}");
    mock.set_fault(Fault::None);

    passes.run_when_due();
    for (id, word) in [
        (&a[0], "SUCCESS"),
        (&a[1], "SUCCESS"),
        (&a[2], "FAILURE"),
        (&b[0], "SUCCESS"),
        (&b[1], "FAILURE"),
    ] {
        assert!(mock.set_status(&upstream_id(&app, id), word), "{id} known");
    }
    let report = passes.run_when_due();
    assert_eq!((report.succeeded, report.failed), (3, 2), "{report}");

    // An operator's top-up and deduction.
    let (status, body) = app.post_json(
        &format!("/api/user/{}/quota", alice.id),
        &as_root(),
        &json!({"delta": 200_000, "reason": "monthly top-up"}),
    );
    assert_ok(status, &body);
    let (status, body) = app.post_json(
        &format!("/api/user/{}/quota", bob.id),
        &as_root(),
        &json!({"delta": -10_000, "reason": "correction"}),
    );
    assert_ok(status, &body);
    // Bob deletes his key while b[2] is in flight; its refund goes to him alone.
    let (status, body) = app.request(
        "DELETE",
        &format!("/api/token/{}", bob.key_id),
        &bob.headers,
        None,
    );
    assert_ok(status, &body);

    // Past the timeout, everything still in flight fails with a refund.
    let latest = scalar(
        &app,
        "SELECT MAX(submit_time) FROM tasks WHERE status NOT IN ('SUCCESS', 'FAILURE')",
    );
    passes.move_to_ms((latest + TIMEOUT_SECS + 1) * 1000);
    let report = passes.run();
    assert!(
        report.timed_out >= 3,
        "a[3], a[4] and b[2] time out: {report}"
    );
    for id in [&a[2], &a[3], &a[4], &b[1], &b[2]] {
        assert_eq!(status_of(&app, id), "FAILURE", "{id}");
    }
    for id in [&a[0], &a[1], &b[0]] {
        assert_eq!(status_of(&app, id), "SUCCESS", "{id}");
    }
    // Two more in flight while the audit runs.
    submit_music(&app, &alice.key);
    submit_music(&app, &alice.key);

    let bob_now = app.store.get_user(bob.id).expect("read").expect("bob");
    assert_eq!(
        bob_now.quota,
        400_000 - MUSIC_CHARGE - 10_000,
        "bob paid for his one success and the deduction"
    );
    assert_eq!(bob_now.used_quota, MUSIC_CHARGE);

    let report = audit(&app);
    assert_clean(&report);
    assert_eq!(report["tasks"], scalar(&app, "SELECT COUNT(*) FROM tasks"));
    assert_eq!(report["logs"], scalar(&app, "SELECT COUNT(*) FROM logs"));
    let db = db_path(&app);
    let out = taskcenter(&["audit", "--db", db.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "taskcenter audit: {out:?}");

    tamper(
        &app,
        &format!("UPDATE users SET quota = quota + 777 WHERE id = {}", bob.id),
    );
    let report = audit(&app);
    let v = assert_violation(&report, "balance_mismatch", "bob");
    assert_eq!(v["user_id"], bob.id, "{v}");
    assert_eq!(
        report["violations"].as_array().map(Vec::len),
        Some(1),
        "only bob's balance is off: {report}"
    );
    let out = taskcenter(&["audit", "--db", db.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1), "taskcenter audit: {out:?}");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("bob"), "the CLI names the user: {text}");
}

/// A charged, submitted task of a fresh customer; returns the app, the customer and the task.
fn one_charge() -> (TestApp, Mock, Customer, String) {
    let app = spawn_app_with(lifecycle_config());
    let mock = slow_mock();
    add_channel(&app, &mock);
    let carol = customer(
        &app,
        "carol",
        500_000,
        &json!({"name": "carol-key", "remain_quota": 300_000}),
    );
    let task_id = submit_music(&app, &carol.key);
    assert_clean(&audit(&app));
    (app, mock, carol, task_id)
}

#[test]
fn audit_names_the_user_whose_used_quota_disagrees_with_the_log() {
    let (app, _mock, carol, _) = one_charge();
    tamper(
        &app,
        &format!(
            "UPDATE users SET used_quota = used_quota - 1 WHERE id = {}",
            carol.id
        ),
    );
    assert_violation(&audit(&app), "used_quota_mismatch", "carol");
}

#[test]
fn audit_catches_a_keys_used_quota_changed_behind_its_back() {
    let (app, _mock, carol, _) = one_charge();
    tamper(
        &app,
        &format!(
            "UPDATE tokens SET used_quota = used_quota + 5 WHERE id = {}",
            carol.key_id
        ),
    );
    let report = audit(&app);
    assert_eq!(report["ok"], json!(false), "{report}");
    assert!(
        report["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .any(|v| v["token_id"] == carol.key_id),
        "a violation names the key: {report}"
    );
}

/// Issue 5 §3: "for every user and key: current balance = grants −
/// deductions − charges + refunds". A key's remain_quota is a balance too.
#[test]
fn audit_catches_a_keys_remain_quota_changed_behind_its_back() {
    let (app, _mock, carol, _) = one_charge();
    tamper(
        &app,
        &format!(
            "UPDATE tokens SET remain_quota = remain_quota + 1000000 WHERE id = {}",
            carol.key_id
        ),
    );
    let report = audit(&app);
    assert_eq!(
        report["ok"],
        json!(false),
        "a key balance raised behind the audit's back is a violation: {report}"
    );
}

#[test]
fn audit_catches_a_task_refunded_twice() {
    let (app, mock, carol, task_id) = one_charge();
    let passes = Passes {
        app: &app,
        config: lifecycle_config(),
        clock: ManualClock::at_ms(SystemClock.now_ms()),
        platforms: Platforms::builtin(Duration::from_secs(2)),
    };
    assert!(mock.set_status(&upstream_id(&app, &task_id), "FAILURE"));
    assert_eq!(passes.run_when_due().failed, 1);
    assert_clean(&audit(&app));

    // A second refund row, with the balance moved to match it.
    tamper(
        &app,
        &format!(
            "INSERT INTO logs (created_at, type, user_id, username, quota, content, task_id)
             SELECT created_at, type, user_id, username, quota, content, task_id
             FROM logs WHERE type = 6 AND task_id = '{task_id}'"
        ),
    );
    tamper(
        &app,
        &format!(
            "UPDATE users SET quota = quota + {MUSIC_CHARGE}, used_quota = used_quota - {MUSIC_CHARGE} WHERE id = {}",
            carol.id
        ),
    );
    let v = assert_violation(&audit(&app), "double_refund", &task_id);
    assert_eq!(v["user_id"], carol.id, "{v}");
}

#[test]
fn audit_catches_a_failed_task_that_kept_its_charge() {
    let (app, _mock, carol, task_id) = one_charge();
    tamper(
        &app,
        &format!("UPDATE tasks SET status = 'FAILURE' WHERE task_id = '{task_id}'"),
    );
    let v = assert_violation(&audit(&app), "failure_not_refunded", &task_id);
    assert_eq!(v["user_id"], carol.id, "{v}");
}

#[test]
fn audit_reports_a_task_stuck_past_the_timeout_plus_one_poll_interval() {
    // Stuck after 600 s + 1 s of poll interval.
    let app = spawn_app_with(lifecycle_config());
    let (dave, _) = app.create_user("dave", 1, 0);
    let now = SystemClock.now();
    let in_progress = |submit_time| taskcenter::store::tasks::NewTask {
        status: taskcenter::domain::TaskStatus::InProgress,
        progress: "50%".into(),
        finish_time: 0,
        ..task(dave, submit_time)
    };
    // Seconds of margin on both sides of the 601 s horizon.
    let ids = app.insert_tasks(&[in_progress(now - 590), in_progress(now - 620)]);
    let public = |row: i64| -> String {
        app.store
            .conn()
            .expect("a connection")
            .query_row("SELECT task_id FROM tasks WHERE id = ?1", [row], |r| {
                r.get(0)
            })
            .expect("the task")
    };
    let (young, stuck) = (public(ids[0]), public(ids[1]));

    let report = audit(&app);
    let v = assert_violation(&report, "stuck_task", &stuck);
    assert_eq!(v["user_id"], dave, "{v}");
    assert!(
        !report.to_string().contains(&young),
        "a task inside the horizon is not stuck: {report}"
    );

    let db = db_path(&app);
    let db = db.to_str().expect("utf-8 path");
    let out = taskcenter(&[
        "audit",
        "--db",
        db,
        "--task-timeout-secs",
        "600",
        "--poll-interval-ms",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&stuck), "{stdout}");
    assert!(!stdout.contains(&young), "{stdout}");
    // With the default one-hour timeout neither is stuck yet.
    let out = taskcenter(&["audit", "--db", db]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn audit_json_flag_prints_the_same_report() {
    let (app, _mock, carol, _) = one_charge();
    let db = db_path(&app);
    let db = db.to_str().expect("utf-8 path");
    let out = taskcenter(&["audit", "--db", db, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let http = audit(&app);
    for field in ["ok", "users", "tokens", "tasks", "logs", "violations"] {
        assert_eq!(cli[field], http[field], "{field}: {cli} vs {http}");
    }

    tamper(
        &app,
        &format!("UPDATE users SET quota = 1 WHERE id = {}", carol.id),
    );
    let out = taskcenter(&["audit", "--db", db, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_violation(&cli, "balance_mismatch", "carol");
}
