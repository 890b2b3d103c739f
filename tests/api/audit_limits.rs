//! The ledger audit at its limits: `GET /api/audit` gives up at its time
//! limit with a 503 and lets go of the database, and a balance that holds
//! a REAL (possible before the v2 CHECK constraints) is reported as a
//! violation instead of failing the audit (issue 10, item 13).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::kit::process::{path_str, taskcenter};
use crate::kit::{Settings, TestApp, as_root, assert_error, assert_ok, spawn_app_with};

/// Log rows of a type that moves no balance (5, an error row), added by
/// the thousand in one statement: an audit has to read them all, and they
/// leave the books balanced.
fn add_filler_log_rows(app: &TestApp, rows: i64) {
    app.db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO logs (created_at, type, user_id, content) SELECT unixepoch(), 5, 1, 'filler' FROM n",
        [rows],
    );
}

#[test]
fn an_audit_past_its_time_limit_answers_503_and_releases_its_snapshot() {
    let app = spawn_app_with(Settings::manual().audit_time_limit_ms(1));
    let erin = app.customer("erin", 1_000_000);
    add_filler_log_rows(&app, 200_000);

    let started = Instant::now();
    let (status, body) = app.get("/api/audit", &as_root());
    let message = assert_error(status, &body, 503);
    assert!(
        message.contains("did not finish within 0.001 s") && message.contains("taskcenter audit"),
        "says what happened and what to do instead: {message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered at the limit, not after the whole audit"
    );

    // The server still answers and writes go through.
    let (status, body) = app.get("/api/user/self", &erin.headers);
    assert_ok(status, &body);
    let (status, body) = app.adjust_quota(&as_root(), erin.id, 1_000);
    assert_ok(status, &body);
    assert_eq!(app.db.quota(erin.id), 1_001_000);
    // No reader still holds an old snapshot: a checkpoint can take back
    // the whole WAL (a reader would make it report busy, 1).
    let busy = app.db.scalar("PRAGMA wal_checkpoint(TRUNCATE)", []);
    assert_eq!(busy, 0, "the aborted audit released its read transaction");

    // The command has no limit and finds the books in order.
    let out = taskcenter(&["audit", "--db", path_str(app.db_path())]);
    assert_eq!(out.status.code(), Some(0), "taskcenter audit: {out:?}");
}

#[test]
fn an_audit_within_its_time_limit_answers_as_before() {
    let app = spawn_app_with(Settings::manual().audit_time_limit_ms(60_000));
    app.customer("frank", 1_000_000);
    add_filler_log_rows(&app, 20_000);
    let (status, body) = app.get("/api/audit", &as_root());
    let report = assert_ok(status, &body);
    assert_eq!(report["ok"], json!(true), "{report}");
    assert_eq!(report["logs"], app.db.count("logs"), "{report}");
}

/// The violations of `kind` in `report`.
fn violations<'r>(report: &'r Value, kind: &str) -> Vec<&'r Value> {
    report["violations"]
        .as_array()
        .expect("violations is an array")
        .iter()
        .filter(|v| v["kind"] == kind)
        .collect()
}

#[test]
fn a_balance_holding_a_real_is_a_violation_naming_the_row_not_an_audit_error() {
    let app = spawn_app_with(Settings::manual());
    let grace = app.customer_with_key(
        "grace",
        1_000_000,
        &json!({"name": "grace-key", "remain_quota": 500_000}),
    );
    app.db.tamper_unchecked(&format!(
        "UPDATE users SET quota = 9.3e18 WHERE id = {}",
        grace.id
    ));
    app.db.tamper_unchecked(&format!(
        "UPDATE tokens SET remain_quota = 1.5 WHERE id = {}",
        grace.key_id
    ));
    app.db.tamper_unchecked(&format!(
        "UPDATE logs SET quota = 0.5 WHERE user_id = {} AND type = 1",
        grace.id
    ));
    let stored = app.db.scalar(
        "SELECT typeof(quota) = 'real' FROM users WHERE id = ?1",
        [grace.id],
    );
    assert_eq!(stored, 1, "the balance really is a REAL");

    let report = app.audit();
    assert_eq!(report["ok"], json!(false), "{report}");
    let found = violations(&report, "non_integer_balance");
    let user = found
        .iter()
        .find(|v| {
            v["user_id"] == grace.id && v.get("token_id").is_none() && v["username"] == "grace"
        })
        .unwrap_or_else(|| panic!("the user's quota is named: {report}"));
    assert!(
        user["detail"]
            .as_str()
            .is_some_and(|d| d.contains("quota 9.3e18 (a REAL)")),
        "{user}"
    );
    assert!(
        found.iter().any(|v| v["token_id"] == grace.key_id
            && v["detail"]
                .as_str()
                .is_some_and(|d| d.contains("remain_quota 1.5 (a REAL)"))),
        "the key's remain_quota is named: {report}"
    );
    assert!(
        found.iter().any(|v| v["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("log row "))),
        "the log row is named: {report}"
    );

    let db = path_str(app.db_path());
    let out = taskcenter(&["audit", "--db", db]);
    assert_eq!(out.status.code(), Some(1), "taskcenter audit: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("VIOLATION non_integer_balance: user grace"),
        "{stdout}"
    );
    let out = taskcenter(&["audit", "--db", db, "--json"]);
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(cli["violations"], report["violations"], "the same report");
}
