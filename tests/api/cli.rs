//! The compiled `taskcenter` binary's operator commands, run on the database
//! file of a live test server: `user add|list|quota`, `token add`,
//! `channel add|list|disable|enable`, `backup` under a write load, and the
//! error contract (non-zero exit, one line on stderr).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::kit::process::{cli_error_line, cli_json, path_str, taskcenter};
use crate::kit::{
    Db, MUSIC_CHARGE, Settings, as_root, as_user, assert_clean, assert_ok, instant_mock, slow_mock,
    spawn_app, spawn_app_with,
};

#[test]
fn user_add_prints_the_user_with_an_access_token_that_works_on_the_running_server() {
    let app = spawn_app();
    let db = app.db_path();
    let user = cli_json(&[
        "user",
        "add",
        "--db",
        path_str(db),
        "--username",
        "shelly",
        "--display-name",
        "Shelly Script",
        "--quota",
        "250000",
    ]);
    let id = user["id"].as_i64().expect("an id");
    let token = user["access_token"].as_str().expect("an access token");
    assert_eq!(user["username"], "shelly", "{user}");
    assert_eq!(user["quota"], 250_000, "{user}");

    let (status, body) = app.get("/api/user/self", &as_user(id, token));
    let me = assert_ok(status, &body);
    assert_eq!(me["username"], "shelly", "{body}");
    assert_eq!(me["display_name"], "Shelly Script", "{body}");
    assert_eq!(me["quota"], 250_000, "{body}");
    assert_eq!(me["role"], 1, "a common user by default: {body}");
    // The starting quota is in the books.
    assert_eq!(app.db.log_rows(id), vec![(1, 250_000)]);
    assert_clean(&app.audit());
}

#[test]
fn user_add_can_make_an_admin_but_never_a_root() {
    let app = spawn_app();
    let db = app.db_path();
    let admin = cli_json(&[
        "user",
        "add",
        "--db",
        path_str(db),
        "--username",
        "ops",
        "--role",
        "10",
    ]);
    let headers = as_user(
        admin["id"].as_i64().expect("id"),
        admin["access_token"].as_str().expect("token"),
    );
    let (status, body) = app.get("/api/user/", &headers);
    assert_ok(status, &body);

    cli_error_line(&[
        "user",
        "add",
        "--db",
        path_str(db),
        "--username",
        "king",
        "--role",
        "100",
    ]);
    let body = app.get_ok("/api/user/?keyword=king", &as_root());
    assert_eq!(body["total"], 0, "{body}");
}

#[test]
fn user_add_errors_exit_non_zero_with_one_line() {
    let app = spawn_app();
    let db = path_str(app.db_path());
    cli_json(&["user", "add", "--db", db, "--username", "taken"]);
    let message = cli_error_line(&["user", "add", "--db", db, "--username", "taken"]);
    assert!(message.contains("taken"), "{message}");
    cli_error_line(&["user", "add", "--db", db, "--username", "   "]);
    cli_error_line(&["user", "add", "--db", db, "--username", "x", "--role", "5"]);
    cli_error_line(&["user", "add", "--db", db, "--username", "y", "--quota=-5"]);
    let body = app.get_ok("/api/user/", &as_root());
    assert_eq!(body["total"], 2, "only root and taken: {body}");
}

/// Issue 5 §4: "Errors exit non-zero with a one-line message" — a mistyped
/// command line is an operator's error too, and a script logs one line.
#[test]
fn a_failing_command_exits_1_with_one_line_and_changes_nothing() {
    let app = spawn_app();
    let db = path_str(app.db_path());
    let (id, _) = app.create_user("walt", 1, 1000);
    let id = id.to_string();
    for args in [
        vec![
            "user",
            "add",
            "--db",
            db,
            "--username",
            "w",
            "--quota",
            "-5",
        ],
        vec!["user", "quota", "--db", db, "--id", &id, "--delta", "-2000"],
    ] {
        let message = cli_error_line(&args);
        assert!(message.starts_with("taskcenter: "), "{message}");
        assert_eq!(taskcenter(&args).status.code(), Some(1));
    }
    assert_eq!(app.db.quota(id.parse().expect("an id")), 1000);
}

#[test]
fn user_list_prints_matching_users_without_secrets() {
    let app = spawn_app();
    let db = path_str(app.db_path());
    for name in ["anna", "annabel", "bert"] {
        cli_json(&["user", "add", "--db", db, "--username", name]);
    }
    let all = cli_json(&["user", "list", "--db", db]);
    assert_eq!(all["total"], 4, "root and three: {all}");
    let names: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["username"].as_str().expect("username"))
        .collect();
    for name in ["root", "anna", "annabel", "bert"] {
        assert!(names.contains(&name), "{name} listed: {all}");
    }
    let text = all.to_string();
    for secret in ["access_token", "password", "hash"] {
        assert!(!text.contains(secret), "no {secret}: {text}");
    }
    let anns = cli_json(&["user", "list", "--db", db, "--keyword", "anna"]);
    assert_eq!(anns["total"], 2, "{anns}");
}

#[test]
fn user_quota_grants_and_deducts_with_one_log_row_each() {
    let app = spawn_app();
    let db = path_str(app.db_path());
    let (id, _) = app.create_user("tina", 1, 0);
    let id_arg = id.to_string();

    let user = cli_json(&[
        "user", "quota", "--db", db, "--id", &id_arg, "--delta", "300000", "--reason", "welcome",
    ]);
    assert_eq!(user["quota"], 300_000, "{user}");
    assert_eq!(app.db.log_rows(id), vec![(1, 300_000)]);

    let user = cli_json(&[
        "user", "quota", "--db", db, "--id", &id_arg, "--delta", "-1000", "--reason", "oops",
    ]);
    assert_eq!(user["quota"], 299_000, "{user}");
    let rows = app.db.log_rows(id);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1].0, 3, "a deduction is a manage row: {rows:?}");
    assert_eq!(rows[1].1.abs(), 1000, "{rows:?}");

    assert_eq!(app.db.quota(id), 299_000, "the server sees it");
    assert_clean(&app.audit());
}

#[test]
fn user_quota_below_zero_exits_non_zero_with_one_line_and_changes_nothing() {
    let app = spawn_app();
    let db = path_str(app.db_path());
    let (id, _) = app.create_user("ursula", 1, 1000);
    let id_arg = id.to_string();
    let before = app.db.log_rows(id);

    cli_error_line(&[
        "user", "quota", "--db", db, "--id", &id_arg, "--delta", "-1001",
    ]);
    assert_eq!(app.db.quota(id), 1000);
    assert_eq!(app.db.log_rows(id), before, "no log row");

    // Unknown user, absurd delta.
    cli_error_line(&["user", "quota", "--db", db, "--id", "999", "--delta", "5"]);
    cli_error_line(&[
        "user",
        "quota",
        "--db",
        db,
        "--id",
        &id_arg,
        "--delta",
        &i64::MAX.to_string(),
    ]);
    assert_eq!(app.db.quota(id), 1000);
    assert_eq!(app.db.log_rows(id), before, "no log row");

    // Down to exactly zero is allowed.
    let user = cli_json(&[
        "user", "quota", "--db", db, "--id", &id_arg, "--delta", "-1000",
    ]);
    assert_eq!(user["quota"], 0, "{user}");
    assert_clean(&app.audit());
}

#[test]
fn bootstrap_from_the_shell_channel_user_and_key_submit_a_song() {
    let app = spawn_app_with(Settings::default().without_worker());
    let mock = slow_mock();
    let db = path_str(app.db_path());
    let channel = cli_json(&[
        "channel",
        "add",
        "--db",
        db,
        "--name",
        "suno-mock",
        "--base-url",
        &mock.base_url(),
        "--key",
        mock.secret(),
    ]);
    let channel_id = channel["id"].as_i64().expect("channel id");
    let user = cli_json(&[
        "user",
        "add",
        "--db",
        db,
        "--username",
        "singer",
        "--quota",
        "500000",
    ]);
    let user_id = user["id"].as_i64().expect("user id");
    let key = cli_json(&[
        "token",
        "add",
        "--db",
        db,
        "--user-id",
        &user_id.to_string(),
        "--name",
        "shell",
        "--remain-quota",
        "200000",
    ]);
    let key_secret = key["key"].as_str().expect("the key");
    assert_eq!(key["user_id"], user_id, "{key}");
    assert_eq!(key["name"], "shell", "{key}");

    let task_id = app.submit_music(key_secret, "a song about ledgers");
    assert_eq!(app.db.quota(user_id), 500_000 - MUSIC_CHARGE);
    let (status, body) = app.get(&format!("/api/log/?task_id={task_id}"), &as_root());
    let data = assert_ok(status, &body);
    assert_eq!(data["total"], 1, "one charge row: {body}");
    assert_eq!(data["items"][0]["token_name"], "shell", "{body}");
    assert_eq!(data["items"][0]["channel_id"], channel_id, "{body}");
    assert_clean(&app.audit());
}

#[test]
fn token_add_errors_exit_non_zero_with_one_line() {
    let app = spawn_app();
    let db = path_str(app.db_path());
    cli_error_line(&["token", "add", "--db", db, "--user-id", "999"]);
    let (id, _) = app.create_user("vera", 1, 0);
    cli_error_line(&[
        "token",
        "add",
        "--db",
        db,
        "--user-id",
        &id.to_string(),
        "--remain-quota=-1",
    ]);
    assert_eq!(app.db.count("tokens"), 0, "no key was created");
}

#[test]
fn channel_commands_mask_the_key_and_disabling_stops_new_submissions() {
    let app = spawn_app_with(Settings::default().without_worker());
    let mock = slow_mock();
    let db = path_str(app.db_path());
    let added = cli_json(&[
        "channel",
        "add",
        "--db",
        db,
        "--base-url",
        &mock.base_url(),
        "--key",
        mock.secret(),
        "--priority",
        "5",
    ]);
    let id = added["id"].as_i64().expect("channel id");
    assert_eq!(added["priority"], 5, "{added}");
    assert_eq!(added["status"], 1, "enabled: {added}");
    let id_arg = id.to_string();

    let out = taskcenter(&["channel", "list", "--db", db]);
    assert!(out.status.success(), "{out:?}");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !printed.contains(mock.secret()),
        "channel list never shows the full key: {printed}"
    );
    assert!(
        !added.to_string().contains(mock.secret()),
        "nor does channel add: {added}"
    );
    let list: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let listed = list
        .as_array()
        .expect("a list of channels")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("channel {id} listed: {list}"));
    assert_eq!(listed["base_url"], mock.base_url(), "{listed}");

    let alice = app.customer_with_key(
        "alice",
        500_000,
        &json!({"name": "k", "unlimited_quota": true}),
    );
    app.submit_music(&alice.key, "a song about ledgers");

    let disabled = cli_json(&["channel", "disable", "--db", db, "--id", &id_arg]);
    assert_eq!(disabled["status"], 2, "{disabled}");
    assert!(!disabled.to_string().contains(mock.secret()), "{disabled}");
    let list = cli_json(&["channel", "list", "--db", db]);
    assert_eq!(list[0]["status"], 2, "{list}");
    // The running server reads the change from the database at once.
    let (status, body) = app.submit(&alice.key, "music", &json!({"prompt": "x"}));
    assert_eq!(status, 503, "no enabled channel: {body}");
    assert_eq!(
        app.db.quota(alice.id),
        500_000 - MUSIC_CHARGE,
        "a refused call costs nothing"
    );

    let enabled = cli_json(&["channel", "enable", "--db", db, "--id", &id_arg]);
    assert_eq!(enabled["status"], 1, "{enabled}");
    app.submit_music(&alice.key, "a song about ledgers");
    assert_clean(&app.audit());
}

#[test]
fn channel_command_errors_exit_non_zero_with_one_line() {
    let app = spawn_app();
    let db = path_str(app.db_path());
    cli_error_line(&["channel", "disable", "--db", db, "--id", "999"]);
    cli_error_line(&["channel", "enable", "--db", db, "--id", "999"]);
    cli_error_line(&["channel", "add", "--db", db, "--base-url", "not a url"]);
    cli_error_line(&[
        "channel",
        "add",
        "--db",
        db,
        "--base-url",
        "ftp://example.com",
    ]);
    cli_error_line(&[
        "channel",
        "add",
        "--db",
        db,
        "--type",
        "no-such-platform",
        "--base-url",
        "http://127.0.0.1:9",
    ]);
    let list = cli_json(&["channel", "list", "--db", db]);
    assert_eq!(list, json!([]), "nothing was created");
}

#[test]
fn backup_creates_missing_folders_and_refuses_a_missing_database() {
    let app = spawn_app();
    let db = app.db_path();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let to = dir
        .path()
        .join("no")
        .join("such")
        .join("folder")
        .join("b.db");
    let out = cli_json(&["backup", "--db", path_str(db), "--to", path_str(&to)]);
    assert!(out["bytes"].as_u64().unwrap_or(0) > 0, "{out}");
    assert!(to.exists());
    // A mistyped --db must not create and back up an empty database.
    let missing = dir.path().join("typo.db");
    cli_error_line(&["backup", "--db", path_str(&missing), "--to", path_str(&to)]);
    cli_error_line(&["audit", "--db", path_str(&missing)]);
    assert!(!missing.exists());
}

/// Raises the flag when dropped, also while unwinding.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `done` until it holds; panics after `limit`.
fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not after {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn backup_taken_under_a_write_load_opens_and_passes_the_audit() {
    let app = spawn_app_with(Settings::default().without_worker());
    app.attach(instant_mock(0.0), "mock", 0);
    let buyer = app.customer_with_key(
        "buyer",
        1_000_000_000,
        &json!({"name": "load", "unlimited_quota": true}),
    );
    let (granted, _) = app.create_user("granted", 1, 0);
    let db = app.db_path();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let copy = dir.path().join("backup.db");

    let stop = AtomicBool::new(false);
    let grants = AtomicU64::new(0);
    let submissions = AtomicU64::new(0);
    let (rows_before, rows_after) = std::thread::scope(|s| {
        // A failing assertion must still stop the load, or the scope never ends.
        let _stop_on_exit = StopOnDrop(&stop);
        let load = [
            s.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let (status, body) = app.post(
                        &format!("/api/user/{granted}/quota"),
                        &as_root(),
                        &json!({"delta": 7, "reason": "load"}),
                    );
                    assert_ok(status, &body);
                    grants.fetch_add(1, Ordering::SeqCst);
                }
            }),
            s.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    app.submit_music(&buyer.key, "a song about ledgers");
                    submissions.fetch_add(1, Ordering::SeqCst);
                }
            }),
        ];
        let both_running =
            || grants.load(Ordering::SeqCst) >= 3 && submissions.load(Ordering::SeqCst) >= 3;
        wait_for(
            "the write load starts",
            Duration::from_secs(20),
            both_running,
        );

        // The audit and the CLI also work while the server writes.
        assert_clean(&app.audit());
        cli_json(&[
            "user",
            "quota",
            "--db",
            path_str(db),
            "--id",
            &granted.to_string(),
            "--delta",
            "1000",
        ]);

        let counts = || {
            (
                grants.load(Ordering::SeqCst),
                submissions.load(Ordering::SeqCst),
            )
        };
        let rows_before = app.db.count("logs");
        let printed = cli_json(&["backup", "--db", path_str(db), "--to", path_str(&copy)]);
        assert!(printed["bytes"].as_u64().unwrap_or(0) > 0, "{printed}");
        // Two more writes of each kind: the second began after the copy
        // ended, so the live database has moved past the copy.
        let copied_at = counts();
        wait_for("writes continue", Duration::from_secs(20), || {
            let now = counts();
            now.0 >= copied_at.0 + 2 && now.1 >= copied_at.1 + 2
        });
        stop.store(true, Ordering::SeqCst);
        for worker in load {
            worker.join().expect("a load thread");
        }
        (rows_before, app.db.count("logs"))
    });

    let restored = Db::at(&copy);
    let copied_rows = restored.count("logs");
    assert!(
        (rows_before..rows_after).contains(&copied_rows),
        "the copy holds a moment of the load: {rows_before} <= {copied_rows} < {rows_after}"
    );
    assert!(
        restored.find_user(granted).is_some(),
        "users are in the copy"
    );
    let out = taskcenter(&["audit", "--db", path_str(&copy)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the backup passes the audit: {out:?}"
    );
    assert_clean(&app.audit());
}
