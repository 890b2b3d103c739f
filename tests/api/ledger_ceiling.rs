//! The ceiling of the books (issue 10): every balance and limit a client or
//! operator gives is 0..=MAX_QUOTA (2^53 − 1), else a 400 naming the field
//! with nothing changed; a refund that would pass the ceiling is capped and
//! says so; a refund lands on the key's current limit and its row says how;
//! and the seed tool refuses a live database.

use serde_json::{Value, json};

use crate::kit::db::LogRow;
use crate::kit::process::{cli_error_line, cli_json, path_str, seed_example, taskcenter};
use crate::kit::{
    Customer, MUSIC_CHARGE, Settings, TestApp, Upstream, as_root, assert_clean, assert_error,
    assert_ok, assert_relay_error, assert_unchanged, slow_mock, spawn_app, spawn_app_with,
};

/// 2^53 − 1, the library's `MAX_QUOTA`, written out as a client sends it.
const MAX: i64 = 9_007_199_254_740_991;

/// Every money column the schema holds, by table.
const MONEY_COLUMNS: &[(&str, &str)] = &[
    ("users", "quota"),
    ("users", "used_quota"),
    ("tokens", "remain_quota"),
    ("tokens", "used_quota"),
    ("channels", "used_quota"),
    ("tasks", "quota"),
    ("logs", "quota"),
];

/// A worker app (passes by hand) with a slow simulator behind channel `main`.
fn worker_app() -> (TestApp, Upstream) {
    let app = spawn_app_with(Settings::manual().retry_times(0));
    let up = app.attach(slow_mock(), "main", 0);
    (app, up)
}

/// `PUT /api/token/` setting the customer's key's remain_quota.
fn set_key_limit(app: &TestApp, c: &Customer, remain_quota: i64) -> (u16, Value) {
    app.put(
        "/api/token/",
        &c.headers,
        &json!({"id": c.key_id, "remain_quota": remain_quota}),
    )
}

/// Fails the task upstream and lets one pass settle it; returns its one
/// refund row, checked by the kit (one row, the whole charge, the reason).
fn fail_and_refund(app: &TestApp, up: &Upstream, task_id: &str) -> LogRow {
    let upstream_id = app.db.task(task_id).upstream_task_id;
    assert!(up.mock.set_status(&upstream_id, "FAILURE"));
    let r = app.pass_when_due();
    assert_eq!(r.refunded(), 1, "{r}");
    app.assert_refunded_once(task_id);
    app.db.refunds(task_id).remove(0)
}

/// Sets the key's limit, which must be accepted.
fn assert_ok_limit(app: &TestApp, c: &Customer, remain_quota: i64) {
    let (status, body) = set_key_limit(app, c, remain_quota);
    assert_eq!(assert_ok(status, &body)["remain_quota"], remain_quota);
}

/// Asserts a 400 whose message contains `word` (the field it names).
fn assert_400_naming((status, body): (u16, Value), word: &str) {
    let message = assert_error(status, &body, 400);
    assert!(message.contains(word), "names {word}: {body}");
}

/// A command line's words (the test paths have no spaces).
fn words(command: &str) -> Vec<&str> {
    command.split_whitespace().collect()
}

/// A refund row's `other`, parsed.
fn other(row: &LogRow) -> Value {
    serde_json::from_str(&row.other).unwrap_or_else(|e| panic!("other is JSON ({e}): {row:?}"))
}

/// The key's remain_quota before and after the refund, from its `other`.
fn key_before_after(o: &Value) -> (i64, i64) {
    let read = |k: &str| o[k].as_i64().unwrap_or_else(|| panic!("{k}: {o}"));
    (read("key_remain_before"), read("key_remain_after"))
}

/// Asserts that SQLite holds every amount as an integer (an overflowing
/// integer sum becomes a REAL, which the old code let through).
fn assert_money_is_integers(app: &TestApp) {
    for (table, column) in MONEY_COLUMNS {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE typeof({column}) != 'integer'");
        assert_eq!(app.db.scalar(&sql, []), 0, "{table}.{column}");
    }
}

/// Asserts that the customer's lists, the relay with their key, and both
/// audits (HTTP and CLI) still answer, and that the books balance.
fn assert_everything_answers(app: &TestApp, c: &Customer) {
    assert_money_is_integers(app);
    for path in [
        "/api/token/",
        "/api/user/self",
        "/api/log/self",
        "/api/task/self",
    ] {
        let (status, body) = app.get(path, &c.headers);
        assert_ok(status, &body);
    }
    let task_id = app.submit_music(&c.key, "after the ceiling");
    app.relay_fetch(&c.key, &task_id);
    assert_clean(&app.audit());
    let out = taskcenter(&["audit", "--db", path_str(app.db_path())]);
    assert!(out.status.success(), "taskcenter audit: {out:?}");
}

#[test]
fn a_refund_onto_a_key_limit_at_the_ceiling_is_capped_and_logged_and_everything_still_answers() {
    let (app, up) = worker_app();
    let kim = app.customer_with_key("kim", 1_000_000, &json!({"name": "k", "remain_quota": 0}));
    // The report's repro set i64::MAX: now a 400 that changes nothing.
    let before = app.db.fingerprint();
    assert_400_naming(set_key_limit(&app, &kim, i64::MAX), "remain_quota");
    assert_unchanged(&before, &app.db.fingerprint());

    assert_ok_limit(&app, &kim, MAX);
    let task_id = app.submit_music(&kim.key, "one song at the ceiling");
    assert_eq!(app.db.key(kim.key_id).remain_quota, MAX - MUSIC_CHARGE);
    assert_ok_limit(&app, &kim, MAX);

    let refund = fail_and_refund(&app, &up, &task_id);
    let key = app.db.key(kim.key_id);
    assert_eq!((key.remain_quota, key.used_quota), (MAX, 0), "{key:?}");
    assert_eq!(app.db.user(kim.id).quota, 1_000_000, "the user gets it all");
    let o = other(&refund);
    assert_eq!(o["key_capped"], MUSIC_CHARGE, "{o}");
    assert_eq!(key_before_after(&o), (MAX, MAX), "{o}");
    assert!(o.get("capped").is_none(), "the user was not capped: {o}");
    let said = format!("{MUSIC_CHARGE} not credited to the API key");
    assert!(refund.content.contains(&said), "{refund:?}");

    let (status, body) = app.get("/api/token/", &kim.headers);
    assert_eq!(assert_ok(status, &body)["items"][0]["remain_quota"], MAX);
    assert_everything_answers(&app, &kim);
}

#[test]
fn a_refund_onto_a_user_quota_at_the_ceiling_is_capped_and_logged_and_everything_still_answers() {
    let (app, up) = worker_app();
    let ada = app.customer("ada", MAX);
    let task_id = app.submit_music(&ada.key, "one song at the ceiling");
    // Granted back up to exactly the ceiling; one more unit is a 400.
    let (status, body) = app.adjust_quota(&as_root(), ada.id, MUSIC_CHARGE);
    assert_eq!(assert_ok(status, &body)["quota"], MAX, "{body}");
    let before = app.db.fingerprint();
    assert_400_naming(app.adjust_quota(&as_root(), ada.id, 1), "ceiling");
    assert_unchanged(&before, &app.db.fingerprint());

    let refund = fail_and_refund(&app, &up, &task_id);
    let user = app.db.user(ada.id);
    assert_eq!((user.quota, user.used_quota), (MAX, 0), "capped: {user:?}");
    let o = other(&refund);
    assert_eq!(o["capped"], MUSIC_CHARGE, "{o}");
    assert_eq!(o["key_refunded"], false, "an unlimited key: {o}");
    let said = format!("{MUSIC_CHARGE} not credited to the user");
    assert!(refund.content.contains(&said), "{refund:?}");
    assert_everything_answers(&app, &ada);
}

#[test]
fn amounts_past_the_ceiling_are_400_naming_the_field_on_every_route_and_the_ceiling_itself_is_accepted()
 {
    let app = spawn_app();
    let bob = app.customer_with_key("bob", 1_000, &json!({"name": "k", "remain_quota": 5}));
    let (db, id) = (path_str(app.db_path()), bob.id);
    let before = app.db.fingerprint();
    for bad in [i64::MAX, MAX + 1] {
        let new_user = json!({"username": "x", "quota": bad});
        assert_400_naming(app.post("/api/user/", &as_root(), &new_user), "quota");
        assert_400_naming(app.adjust_quota(&as_root(), id, bad), "delta");
        assert_400_naming(app.adjust_quota(&as_root(), id, -bad), "delta");
        let new_key = json!({"name": "x", "remain_quota": bad});
        assert_400_naming(
            app.post("/api/token/", &bob.headers, &new_key),
            "remain_quota",
        );
        assert_400_naming(set_key_limit(&app, &bob, bad), "remain_quota");
        for (command, field) in [
            (
                format!("user add --db {db} --username x --quota {bad}"),
                "quota",
            ),
            (
                format!("user quota --db {db} --id {id} --delta {bad}"),
                "delta",
            ),
            (
                format!("token add --db {db} --user-id {id} --remain-quota {bad}"),
                "remain_quota",
            ),
        ] {
            let message = cli_error_line(&words(&command));
            assert!(
                message.contains(field),
                "{command}: names {field}: {message}"
            );
        }
    }
    // A grant whose result would pass the ceiling, though the delta fits.
    assert_400_naming(app.adjust_quota(&as_root(), id, MAX), "ceiling");
    let message = cli_error_line(&words(&format!(
        "user quota --db {db} --id {id} --delta {MAX}"
    )));
    assert!(message.contains("ceiling"), "{message}");
    assert_unchanged(&before, &app.db.fingerprint());

    // Exactly the ceiling, everywhere.
    let (status, body) = app.post(
        "/api/user/",
        &as_root(),
        &json!({"username": "rich", "quota": MAX}),
    );
    assert_eq!(assert_ok(status, &body)["quota"], MAX);
    let (status, body) = app.adjust_quota(&as_root(), id, MAX - 1_000);
    assert_eq!(assert_ok(status, &body)["quota"], MAX);
    let (status, body) = app.post(
        "/api/token/",
        &bob.headers,
        &json!({"name": "big", "remain_quota": MAX}),
    );
    assert_eq!(assert_ok(status, &body)["remain_quota"], MAX);
    assert_ok_limit(&app, &bob, MAX);
    let user = cli_json(&words(&format!(
        "user add --db {db} --username richer --quota {MAX}"
    )));
    assert_eq!(user["quota"], MAX, "{user}");
    let key = cli_json(&words(&format!(
        "token add --db {db} --user-id {id} --remain-quota {MAX}"
    )));
    assert_eq!(key["remain_quota"], MAX, "{key}");
    assert_money_is_integers(&app);
    assert_clean(&app.audit());
}

#[test]
fn a_price_whose_charge_passes_the_ceiling_is_400_before_anything_is_charged() {
    let (app, up) = worker_app();
    let ada = app.customer("ada", MAX);
    // 2e10 USD × 500,000 = 1e16 units, over 2^53 − 1 (the old code tried to
    // charge it and answered 403 for want of quota).
    let (status, body) = app.set_option("ModelPrice", r#"{"suno_music": 2e10}"#);
    assert_ok(status, &body);
    let before = app.db.fingerprint();
    let (status, body) = app.submit(&ada.key, "music", &json!({"prompt": "priceless"}));
    let message = assert_relay_error(status, &body, 400, "invalid_request");
    assert!(message.contains("ceiling"), "{message}");
    assert_unchanged(&before, &app.db.fingerprint());

    // 1.8e10 USD is 9e15 units: under the ceiling, charged and refunded whole.
    let (status, body) = app.set_option("ModelPrice", r#"{"suno_music": 1.8e10}"#);
    assert_ok(status, &body);
    let task_id = app.submit_music(&ada.key, "nearly priceless");
    assert_eq!(app.db.user(ada.id).quota, MAX - 9_000_000_000_000_000);
    let refund = fail_and_refund(&app, &up, &task_id);
    assert_eq!(refund.quota, 9_000_000_000_000_000);
    assert_eq!(app.db.user(ada.id).quota, MAX);
    assert!(other(&refund).get("capped").is_none(), "{refund:?}");
    assert_money_is_integers(&app);
    assert_clean(&app.audit());
}

#[test]
fn a_refund_goes_back_onto_the_keys_current_limit_and_its_row_says_so() {
    let (app, up) = worker_app();
    let eve = app.customer_with_key(
        "eve",
        1_000_000,
        &json!({"name": "k", "remain_quota": 200_000}),
    );
    let first = app.submit_music(&eve.key, "one");
    let second = app.submit_music(&eve.key, "two");
    let unchanged = app.submit_music(&eve.key, "three");
    assert_eq!(app.db.key(eve.key_id).remain_quota, 50_000);
    // One failure before any change of the limit.
    let row = fail_and_refund(&app, &up, &unchanged);
    let o = other(&row);
    assert_eq!(key_before_after(&o), (50_000, 100_000), "{o}");
    assert_eq!(o["key_limit_changed"], false, "{o}");
    assert!(
        row.content.contains("remain_quota 50000 -> 100000"),
        "{row:?}"
    );
    assert!(!row.content.contains("changed"), "{row:?}");

    // new-api's rule: a limit set while two charges are in flight does not
    // absorb them; their refunds are added on top of it.
    assert_ok_limit(&app, &eve, 1_000_000);
    for (task_id, before, after) in [
        (&first, 1_000_000, 1_050_000),
        (&second, 1_050_000, 1_100_000),
    ] {
        let row = fail_and_refund(&app, &up, task_id);
        let o = other(&row);
        assert_eq!(key_before_after(&o), (before, after), "{o}");
        assert_eq!(o["key_limit_changed"], true, "{o}");
        assert!(
            row.content
                .contains(&format!("remain_quota {before} -> {after}")),
            "{row:?}"
        );
        assert!(
            row.content.contains("limit was changed after the charge"),
            "{row:?}"
        );
    }
    assert_eq!(app.db.key(eve.key_id).remain_quota, 1_100_000);
    assert_eq!(app.db.user(eve.id).quota, 1_000_000);
    assert_clean(&app.audit());
}

#[test]
fn seeding_is_refused_on_a_database_with_channels_or_users_of_its_own() {
    let app = spawn_app();
    assert_eq!(app.check_seedable(), Ok(()), "root alone");
    app.create_user("bench_1767225600000_0", 1, 10_000_000);
    assert_eq!(app.check_seedable(), Ok(()), "root and a seeded user");
    app.create_user("bench_mark", 1, 0);
    let refusal = app.check_seedable().expect_err("a user of its own");
    assert!(
        refusal.contains("1 user(s)") && refusal.contains("minting"),
        "{refusal}"
    );

    let with_channel = spawn_app();
    with_channel.attach(slow_mock(), "main", 0);
    let refusal = with_channel.check_seedable().expect_err("a channel");
    assert!(refusal.contains("1 channel(s)"), "{refusal}");
}

#[test]
fn the_seed_example_refuses_a_live_database_and_leaves_it_untouched() {
    let Some(seed) = seed_example() else {
        eprintln!(
            "skipped: target/<profile>/examples/seed_tasks is not built (cargo build --release --examples)"
        );
        return;
    };
    let (app, _up) = worker_app();
    app.customer("alice", 1_000_000);
    let before = app.db.fingerprint();
    let out = std::process::Command::new(&seed)
        .args([
            "--db",
            path_str(app.db_path()),
            "--append",
            "--tasks",
            "10",
            "--users",
            "1",
        ])
        .output()
        .expect("run seed_tasks");
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("looks live"), "{stderr}");
    assert_unchanged(&before, &app.db.fingerprint());

    // A new file is seeded, and appended to, as before.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("seeded.db");
    for extra in [&[][..], &["--append"][..]] {
        let out = std::process::Command::new(&seed)
            .args(["--db", path_str(&db), "--tasks", "20", "--users", "2"])
            .args(extra)
            .output()
            .expect("run seed_tasks");
        assert!(out.status.success(), "{extra:?}: {out:?}");
    }
}
