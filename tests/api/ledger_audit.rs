//! The ledger audit (`GET /api/audit` and `taskcenter audit`): it passes on
//! the books a busy lifecycle leaves behind, and each of its rules catches
//! the breach it is written for, naming who is concerned.
//!
use serde_json::{Value, json};

use crate::kit::app::MANUAL_TASK_TIMEOUT_SECS as TIMEOUT_SECS;
use crate::kit::process::{path_str, taskcenter};
use crate::kit::{
    Customer, MUSIC_CHARGE, Settings, TaskSpec, TaskStatus, TestApp, Upstream, as_root, as_user,
    assert_clean, assert_error, assert_ok, slow_mock, spawn_app, spawn_app_with, task, unix_now,
};
use crate::mock::Fault;

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

/// The lifecycle app: passes by hand on the manual clock, no retries.
fn lifecycle() -> TestApp {
    spawn_app_with(Settings::manual().retry_times(0))
}

/// A music job with `key` that must be accepted; returns the public task id.
fn song(app: &TestApp, key: &str) -> String {
    app.submit_music(key, "a song about ledgers")
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

    let report = app.audit();
    assert_clean(&report);
    assert_eq!(report["users"], 3, "root, admin and common: {report}");
}

#[test]
fn audit_passes_after_a_busy_lifecycle_and_fails_naming_the_user_after_a_balance_is_changed_behind_its_back()
 {
    let app = lifecycle();
    let up = app.attach(slow_mock(), "mock", 0);
    let alice = app.customer_with_key(
        "alice",
        1_000_000,
        &json!({"name": "alice-key", "remain_quota": 600_000}),
    );
    let bob = app.customer_with_key(
        "bob",
        400_000,
        &json!({"name": "bob-key", "unlimited_quota": true}),
    );
    let broke = app.customer_with_key(
        "broke",
        10_000,
        &json!({"name": "k", "unlimited_quota": true}),
    );

    let a: Vec<String> = (0..5).map(|_| song(&app, &alice.key)).collect();
    let b: Vec<String> = (0..3).map(|_| song(&app, &bob.key)).collect();
    let (status, body) = app.submit(&alice.key, "lyrics", &json!({"prompt": "ledgers"}));
    assert_eq!(status, 200, "lyrics accepted: {body}");
    // Too poor to pay: refused, nothing charged.
    let (status, body) = app.submit(&broke.key, "music", &json!({"prompt": "x"}));
    assert_eq!(status, 403, "insufficient quota: {body}");
    // The upstream refuses one submission: the relay fails it and refunds.
    up.mock.set_fault(Fault::Http(500));
    let (status, body) = app.submit(&alice.key, "music", &json!({"prompt": "x"}));
    assert_ne!(status, 200, "the upstream refused: {body}");
    up.mock.set_fault(Fault::None);

    app.pass_when_due();
    for (id, word) in [
        (&a[0], "SUCCESS"),
        (&a[1], "SUCCESS"),
        (&a[2], "FAILURE"),
        (&b[0], "SUCCESS"),
        (&b[1], "FAILURE"),
    ] {
        assert!(
            up.mock.set_status(&app.db.task(id).upstream_task_id, word),
            "{id} known"
        );
    }
    let report = app.pass_when_due();
    assert_eq!((report.succeeded, report.failed), (3, 2), "{report}");

    // An operator's top-up and deduction.
    let (status, body) = app.post(
        &format!("/api/user/{}/quota", alice.id),
        &as_root(),
        &json!({"delta": 200_000, "reason": "monthly top-up"}),
    );
    assert_ok(status, &body);
    let (status, body) = app.post(
        &format!("/api/user/{}/quota", bob.id),
        &as_root(),
        &json!({"delta": -10_000, "reason": "correction"}),
    );
    assert_ok(status, &body);
    // Bob deletes his key while b[2] is in flight; its refund goes to him alone.
    let (status, body) = app.delete(&format!("/api/token/{}", bob.key_id), &bob.headers);
    assert_ok(status, &body);

    // Past the timeout, everything still in flight fails with a refund.
    let latest = app.db.scalar(
        "SELECT MAX(submit_time) FROM tasks WHERE status NOT IN ('SUCCESS', 'FAILURE')",
        [],
    );
    app.move_to_ms((latest + TIMEOUT_SECS + 1) * 1000);
    let report = app.pass();
    assert!(
        report.timed_out >= 3,
        "a[3], a[4] and b[2] time out: {report}"
    );
    for id in [&a[2], &a[3], &a[4], &b[1], &b[2]] {
        assert_eq!(app.db.task(id).status, "FAILURE", "{id}");
    }
    for id in [&a[0], &a[1], &b[0]] {
        assert_eq!(app.db.task(id).status, "SUCCESS", "{id}");
    }
    // Two more in flight while the audit runs.
    song(&app, &alice.key);
    song(&app, &alice.key);

    let bob_now = app.db.user(bob.id);
    assert_eq!(
        bob_now.quota,
        400_000 - MUSIC_CHARGE - 10_000,
        "bob paid for his one success and the deduction"
    );
    assert_eq!(bob_now.used_quota, MUSIC_CHARGE);

    let report = app.audit();
    assert_clean(&report);
    assert_eq!(report["tasks"], app.db.count("tasks"));
    assert_eq!(report["logs"], app.db.count("logs"));
    let db = path_str(app.db_path());
    let out = taskcenter(&["audit", "--db", db]);
    assert_eq!(out.status.code(), Some(0), "taskcenter audit: {out:?}");

    app.db.tamper(&format!(
        "UPDATE users SET quota = quota + 777 WHERE id = {}",
        bob.id
    ));
    let report = app.audit();
    let v = assert_violation(&report, "balance_mismatch", "bob");
    assert_eq!(v["user_id"], bob.id, "{v}");
    assert_eq!(
        report["violations"].as_array().map(Vec::len),
        Some(1),
        "only bob's balance is off: {report}"
    );
    let out = taskcenter(&["audit", "--db", db]);
    assert_eq!(out.status.code(), Some(1), "taskcenter audit: {out:?}");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("bob"), "the CLI names the user: {text}");
}

/// A charged, submitted task of a fresh customer; returns the app, the customer and the task.
fn one_charge() -> (TestApp, Upstream, Customer, String) {
    let app = lifecycle();
    let up = app.attach(slow_mock(), "mock", 0);
    let carol = app.customer_with_key(
        "carol",
        500_000,
        &json!({"name": "carol-key", "remain_quota": 300_000}),
    );
    let task_id = song(&app, &carol.key);
    assert_clean(&app.audit());
    (app, up, carol, task_id)
}

/// The audit's report after `sql` changed one row of [`one_charge`]'s
/// books behind the service's back (`{user}`, `{key}` and `{task}` stand
/// for carol's ids and her task's); with carol and her task.
fn audit_after(sql: &str) -> (Value, Customer, String) {
    let (app, _up, carol, task_id) = one_charge();
    app.db.tamper(
        &sql.replace("{user}", &carol.id.to_string())
            .replace("{key}", &carol.key_id.to_string())
            .replace("{task}", &task_id),
    );
    (app.audit(), carol, task_id)
}

#[test]
fn audit_names_the_user_whose_used_quota_disagrees_with_the_log() {
    let (report, _, _) =
        audit_after("UPDATE users SET used_quota = used_quota - 1 WHERE id = {user}");
    assert_violation(&report, "used_quota_mismatch", "carol");
}

#[test]
fn audit_catches_a_keys_used_quota_changed_behind_its_back() {
    let (report, carol, _) =
        audit_after("UPDATE tokens SET used_quota = used_quota + 5 WHERE id = {key}");
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
    let (report, _, _) =
        audit_after("UPDATE tokens SET remain_quota = remain_quota + 1000000 WHERE id = {key}");
    assert_eq!(
        report["ok"],
        json!(false),
        "a key balance raised behind the audit's back is a violation: {report}"
    );
}

#[test]
fn audit_catches_a_task_refunded_twice() {
    let (app, up, carol, task_id) = one_charge();
    assert!(
        up.mock
            .set_status(&app.db.task(&task_id).upstream_task_id, "FAILURE")
    );
    assert_eq!(app.pass_when_due().failed, 1);
    assert_clean(&app.audit());

    // A second refund row, with the balance moved to match it.
    app.db.tamper(&format!(
        "INSERT INTO logs (created_at, type, user_id, username, quota, content, task_id)
             SELECT created_at, type, user_id, username, quota, content, task_id
             FROM logs WHERE type = 6 AND task_id = '{task_id}'"
    ));
    app.db.tamper(
        &format!(
            "UPDATE users SET quota = quota + {MUSIC_CHARGE}, used_quota = MAX(used_quota - {MUSIC_CHARGE}, 0) WHERE id = {}",
            carol.id
        ),
    );
    let v = assert_violation(&app.audit(), "double_refund", &task_id);
    assert_eq!(v["user_id"], carol.id, "{v}");
}

#[test]
fn audit_catches_a_failed_task_that_kept_its_charge() {
    let (report, carol, task_id) =
        audit_after("UPDATE tasks SET status = 'FAILURE' WHERE task_id = '{task}'");
    let v = assert_violation(&report, "failure_not_refunded", &task_id);
    assert_eq!(v["user_id"], carol.id, "{v}");
}

#[test]
fn audit_reports_a_task_stuck_past_the_timeout_plus_one_poll_interval() {
    // Stuck after 600 s + 1 s of poll interval.
    let app = lifecycle();
    let (dave, _) = app.create_user("dave", 1, 0);
    let now = unix_now();
    let in_progress = |submit_time| TaskSpec {
        status: TaskStatus::InProgress,
        progress: "50%".into(),
        finish_time: 0,
        ..task(dave, submit_time)
    };
    // Seconds of margin on both sides of the 601 s horizon.
    let ids = app.insert_tasks(&[in_progress(now - 590), in_progress(now - 620)]);
    let (young, stuck) = (app.db.public_task_id(ids[0]), app.db.public_task_id(ids[1]));

    let report = app.audit();
    let v = assert_violation(&report, "stuck_task", &stuck);
    assert_eq!(v["user_id"], dave, "{v}");
    assert!(
        !report.to_string().contains(&young),
        "a task inside the horizon is not stuck: {report}"
    );

    let db = path_str(app.db_path());
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
    let (app, _up, carol, _) = one_charge();
    let db = path_str(app.db_path());
    let out = taskcenter(&["audit", "--db", db, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let http = app.audit();
    for field in ["ok", "users", "tokens", "tasks", "logs", "violations"] {
        assert_eq!(cli[field], http[field], "{field}: {cli} vs {http}");
    }

    app.db.tamper(&format!(
        "UPDATE users SET quota = 1 WHERE id = {}",
        carol.id
    ));
    let out = taskcenter(&["audit", "--db", db, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_violation(&cli, "balance_mismatch", "carol");
}
