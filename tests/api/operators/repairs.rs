//! Operators' repairs: settling a stuck task by hand over HTTP and the CLI
//! (exactly-once refund, 404/409/403/400 that change nothing, a race with
//! the worker has one winner), `taskcenter task show`, and `taskcenter
//! doctor` on a healthy and on a sick database while the server runs.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::kit::process::{cli_on, path_str, taskcenter};
use crate::kit::upstream::unique_secret;
use crate::kit::{
    Balances, LOG_CONSUME, LOG_REFUND, Settings, TaskStatus, as_root, assert_error, assert_ok,
    assert_unchanged, dead_base_url, mock, mock_with, spawn_payer_app, task, unix_now,
};

/// A system log row (type 4).
const LOG_SYSTEM: i64 = 4;

fn settle(app: &crate::kit::TestApp, task_id: &str, body: &Value) -> (u16, Value) {
    app.post(&format!("/api/task/{task_id}/settle"), &as_root(), body)
}

#[test]
fn settling_by_hand_as_failure_refunds_once_and_logs_who_did_it() {
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock());
    let sub = app.submit_tracked(&payer.key);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));

    let (status, body) = settle(
        &app,
        &sub.task_id,
        &json!({"status": "FAILURE", "reason": "upstream lost the job"}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["status"], "FAILURE", "{body}");
    assert_eq!(data["fail_reason"], "upstream lost the job", "{body}");
    assert_eq!(data["task_id"], sub.task_id.as_str());

    let row = app.assert_refunded_once(&sub.task_id);
    assert_eq!(row.fail_reason, "upstream lost the job");
    assert_eq!(app.balances(&payer), Balances::payer_start());
    let system: Vec<_> = app
        .db
        .logs_of(&sub.task_id)
        .into_iter()
        .filter(|l| l.log_type == LOG_SYSTEM)
        .collect();
    assert_eq!(system.len(), 1, "one system row: {system:?}");
    assert!(
        system[0].content.contains("FAILURE") && system[0].content.contains("root"),
        "the row names the outcome and the operator: {system:?}"
    );
    assert_eq!(system[0].quota, 0, "a system row moves no quota");

    // Settled is settled: a second try is 409 and changes nothing, and the
    // worker's next look at the upstream (still running there) neither.
    let before = app.db.fingerprint();
    let (status, body) = settle(
        &app,
        &sub.task_id,
        &json!({"status": "SUCCESS", "reason": "changed my mind"}),
    );
    assert_error(status, &body, 409);
    assert_unchanged(&before, &app.db.fingerprint());
    app.pass_when_due();
    app.assert_refunded_once(&sub.task_id);
    assert_eq!(app.audit()["ok"], true, "{}", app.audit());
}

#[test]
fn settling_by_hand_as_success_keeps_the_charge() {
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock());
    let sub = app.submit_tracked(&payer.key);
    let (status, body) = settle(&app, &sub.task_id, &json!({"status": "success"}));
    let data = assert_ok(status, &body);
    assert_eq!(data["status"], "SUCCESS", "{body}");
    assert_eq!(data["progress"], "100%", "{body}");
    let row = app.db.task(&sub.task_id);
    assert_eq!(row.refunded, 0);
    assert!(row.finish_time > 0);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
    assert!(app.db.refunds(&sub.task_id).is_empty());
    app.pass_when_due();
    assert_eq!(app.db.task(&sub.task_id).status, "SUCCESS");
    assert_eq!(app.audit()["ok"], true, "{}", app.audit());
}

#[test]
fn refused_settlements_change_nothing() {
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock());
    let sub = app.submit_tracked(&payer.key);
    let path = format!("/api/task/{}/settle", sub.task_id);
    let failure = json!({"status": "FAILURE", "reason": "r"});
    let (_, common) = app.common_user("mallory");
    let before = app.db.fingerprint();

    let (status, body) = app.post(&path, &common, &failure);
    assert_error(status, &body, 403);
    let (status, body) = app.post(&path, &vec![], &failure);
    assert_error(status, &body, 401);
    let (status, body) = settle(&app, "task_doesnotexist", &failure);
    assert_error(status, &body, 404);
    for bad in [
        json!({"status": "QUEUED", "reason": "r"}),
        json!({"status": "DONE"}),
        json!({"status": "FAILURE"}),
        json!({"status": "FAILURE", "reason": "   "}),
        json!({"status": "FAILURE", "reason": "x".repeat(1001)}),
        json!({"reason": "no status"}),
    ] {
        let (status, body) = app.post(&path, &as_root(), &bad);
        assert_error(status, &body, 400);
    }
    assert_unchanged(&before, &app.db.fingerprint());
    assert_eq!(app.db.task(&sub.task_id).status, "SUBMITTED");
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

#[test]
fn a_hand_settlement_racing_the_worker_has_one_winner_per_task() {
    // Every job fails upstream at once: the worker refunds what it sees
    // first, the operator what they reach first; never both.
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock_with(0, 1.0));
    let ids: Vec<String> = (0..12)
        .map(|_| app.submit_tracked(&payer.key).task_id)
        .collect();
    let app = Arc::new(app);
    let worker = {
        let app = Arc::clone(&app);
        std::thread::spawn(move || {
            for _ in 0..3 {
                app.pass_when_due();
            }
        })
    };
    let mut answers = Vec::new();
    for id in &ids {
        let (status, _) = settle(&app, id, &json!({"status": "FAILURE", "reason": "by hand"}));
        answers.push(status);
    }
    worker.join().expect("the passes");
    app.pass_when_due();
    for (id, status) in ids.iter().zip(&answers) {
        assert!(
            *status == 200 || *status == 409,
            "{id}: 200 or 409, got {status}"
        );
        app.assert_refunded_once(id);
    }
    assert_eq!(app.balances(&payer), Balances::payer_start());
    assert_eq!(app.audit()["ok"], true, "{}", app.audit());
}

#[test]
fn the_cli_settles_and_shows_a_task_with_its_ledger() {
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock());
    let sub = app.submit_tracked(&payer.key);
    let db = app.db_path();

    let settled = cli_on(
        db,
        &[
            "task",
            "settle",
            &sub.task_id,
            "--status",
            "FAILURE",
            "--reason",
            "stuck for a day",
        ],
    );
    assert_eq!(settled["status"], "FAILURE", "{settled}");
    assert_eq!(settled["fail_reason"], "stuck for a day");
    app.assert_refunded_once(&sub.task_id);
    assert_eq!(app.balances(&payer), Balances::payer_start());

    let shown = cli_on(db, &["task", "show", &sub.task_id]);
    assert_eq!(shown["task"]["task_id"], sub.task_id.as_str(), "{shown}");
    assert_eq!(
        shown["task"]["username"], "payer",
        "the admin view: {shown}"
    );
    let types: Vec<i64> = shown["ledger"]
        .as_array()
        .expect("ledger rows")
        .iter()
        .map(|l| l["type"].as_i64().unwrap_or(0))
        .collect();
    let mut sorted = types.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![LOG_CONSUME, LOG_SYSTEM, LOG_REFUND],
        "charge, settlement note and refund: {shown}"
    );
    assert!(
        shown["ledger"]
            .as_array()
            .expect("ledger rows")
            .iter()
            .any(|l| l["type"] == LOG_SYSTEM
                && l["content"]
                    .as_str()
                    .unwrap_or("")
                    .contains("taskcenter CLI")),
        "the system row names the CLI: {shown}"
    );

    // Already final: exit 1, one line, nothing changed.
    let before = app.db.fingerprint();
    let out = taskcenter(&[
        "task",
        "settle",
        &sub.task_id,
        "--status",
        "SUCCESS",
        "--db",
        path_str(db),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already final"),
        "{out:?}"
    );
    let out = taskcenter(&["task", "show", "task_nope", "--db", path_str(db)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_unchanged(&before, &app.db.fingerprint());
}

fn doctor(db: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out = taskcenter(&[&["doctor", "--db", path_str(db)], extra].concat());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn doctor_passes_a_healthy_database_while_the_server_runs() {
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock());
    app.submit_tracked(&payer.key);
    let (code, text) = doctor(app.db_path(), &["--allow-private-upstreams"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("integrity_check: ok"), "{text}");
    assert!(text.contains("schema version"), "{text}");
    assert!(text.contains("answered its probe"), "{text}");
    assert!(text.trim_end().ends_with("doctor: no problems"), "{text}");

    let out = taskcenter(&[
        "doctor",
        "--db",
        path_str(app.db_path()),
        "--json",
        "--allow-private-upstreams",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["probes"][0]["ok"], true, "{report}");
}

#[test]
fn doctor_names_each_problem_on_its_own_line_and_exits_1() {
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock());
    app.submit_tracked(&payer.key);
    // A channel nobody answers on, a task in flight for two days, and a
    // balance the log does not explain.
    app.channel(
        &json!({"name": "dead", "type": "suno", "base_url": dead_base_url(),
                        "key": unique_secret("dead"), "models": "suno_music"}),
    );
    let mut stuck = task(payer.id, unix_now() - 2 * 86_400);
    stuck.status = TaskStatus::InProgress;
    stuck.finish_time = 0;
    stuck.progress = "50%".into();
    app.insert_tasks(&[stuck]);
    app.db.tamper(&format!(
        "UPDATE users SET quota = quota + 7 WHERE id = {}",
        payer.id
    ));

    let (code, text) = doctor(app.db_path(), &["--allow-private-upstreams"]);
    assert_eq!(code, 1, "{text}");
    let problems: Vec<&str> = text.lines().filter(|l| l.starts_with("PROBLEM")).collect();
    assert!(
        problems
            .iter()
            .any(|l| l.contains("channel") && l.contains("dead")),
        "{text}"
    );
    assert!(problems.iter().any(|l| l.contains("stuck_task")), "{text}");
    assert!(
        problems.iter().any(|l| l.contains("payer")),
        "the audit names the user: {text}"
    );
    assert!(text.contains("problem(s)"), "{text}");

    // Without probes the channel is not called, the rest still found.
    let (code, text) = doctor(app.db_path(), &["--no-probes"]);
    assert_eq!(code, 1, "{text}");
    assert!(!text.contains("dead"), "{text}");
    assert!(text.contains("channel probes skipped"), "{text}");

    // A database from a newer binary.
    app.db.execute("PRAGMA user_version = 99", []);
    let (code, text) = doctor(app.db_path(), &["--no-probes"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("PROBLEM  schema"), "{text}");

    let out = taskcenter(&["doctor", "--db", "/nonexistent/taskcenter.db"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn hand_settlements_reach_the_owners_webhooks_like_the_workers() {
    let (app, _up, payer) = spawn_payer_app(Settings::manual(), mock());
    app.register_endpoint(
        &payer.headers,
        "http://127.0.0.1:9/hook",
        &["task.succeeded", "task.failed"],
    );
    let won = app.submit_tracked(&payer.key);
    let lost = app.submit_tracked(&payer.key);
    let (status, body) = settle(&app, &won.task_id, &json!({"status": "SUCCESS"}));
    assert_ok(status, &body);
    let (status, body) = settle(
        &app,
        &lost.task_id,
        &json!({"status": "FAILURE", "reason": "by hand"}),
    );
    assert_ok(status, &body);
    let events: Vec<(String, String)> = app.db.rows(
        "SELECT task_id, event_type FROM webhook_deliveries ORDER BY id",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    assert_eq!(
        events,
        vec![
            (won.task_id.clone(), "task.succeeded".to_string()),
            (lost.task_id.clone(), "task.failed".to_string()),
        ],
        "one outbox row per hand settlement, written with it"
    );
}
