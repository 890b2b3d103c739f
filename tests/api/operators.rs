//! Operators' HTTP tools: the user list and lookup, user updates with their
//! permission rules, quota adjustments with their log rows, and the two log
//! lists with their filters, pagination and 400s.

use std::collections::BTreeSet;

use rusqlite::params;
use serde_json::{Value, json};

use crate::helpers::{
    Headers, TestApp, as_root, as_user, assert_error, assert_ok, item_ids, items, mentions,
    spawn_app, spawn_app_with,
};
use crate::ledger_audit::{
    MUSIC_CHARGE, add_channel, assert_clean, audit, customer, slow_mock, submit, submit_music,
};
use crate::mock::Fault;

/// Fields every log item shows, whoever asks.
const LOG_FIELDS: [&str; 12] = [
    "id",
    "created_at",
    "type",
    "user_id",
    "username",
    "token_id",
    "token_name",
    "model_name",
    "quota",
    "content",
    "task_id",
    "other",
];

fn put(app: &TestApp, headers: &Headers, body: &Value) -> (u16, Value) {
    app.request(
        "PUT",
        "/api/user/",
        headers,
        Some(body.to_string().into_bytes()),
    )
}

fn adjust(app: &TestApp, headers: &Headers, id: i64, delta: i64) -> (u16, Value) {
    app.post_json(
        &format!("/api/user/{id}/quota"),
        headers,
        &json!({"delta": delta, "reason": "test"}),
    )
}

/// Creates a user with a display name as root; returns (id, headers).
fn named_user(app: &TestApp, username: &str, display_name: &str, role: i64) -> (i64, Headers) {
    let (status, body) = app.post_json(
        "/api/user/",
        &as_root(),
        &json!({"username": username, "display_name": display_name, "role": role}),
    );
    let data = assert_ok(status, &body);
    let id = data["id"].as_i64().expect("user id");
    (
        id,
        as_user(id, data["access_token"].as_str().expect("token")),
    )
}

fn stored(app: &TestApp, id: i64) -> taskcenter::store::users::User {
    app.store.get_user(id).expect("read").expect("the user")
}

/// (type, quota) of a user's log rows, oldest first.
fn log_rows(app: &TestApp, user_id: i64) -> Vec<(i64, i64)> {
    let conn = app.store.conn().expect("a connection");
    let mut stmt = conn
        .prepare("SELECT type, quota FROM logs WHERE user_id = ?1 ORDER BY id")
        .expect("prepare");
    stmt.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("read")
}

fn list_data(app: &TestApp, path: &str, headers: &Headers) -> Value {
    let (status, body) = app.get(path, headers);
    assert_ok(status, &body).clone()
}

// ---------------------------------------------------------------------------
// GET /api/user/ and GET /api/user/{id}

#[test]
fn user_list_and_lookup_are_for_admins() {
    let app = spawn_app();
    let (admin, admin_headers) = named_user(&app, "admin", "Admin", 10);
    let (common, common_headers) = named_user(&app, "common", "Common", 1);
    for path in [
        "/api/user/".to_string(),
        format!("/api/user/{common}"),
        format!("/api/user/{admin}"),
    ] {
        let (status, body) = app.get(&path, &common_headers);
        assert_error(status, &body, 403);
        let (status, body) = app.get(&path, &vec![]);
        assert_error(status, &body, 401);
        for headers in [&admin_headers, &as_root()] {
            let (status, body) = app.get(&path, headers);
            assert_ok(status, &body);
        }
    }
}

#[test]
fn user_list_shows_every_user_without_secrets() {
    let app = spawn_app();
    let (alice, _) = named_user(&app, "alice", "Alice Liddell", 1);
    let data = list_data(&app, "/api/user/", &as_root());
    assert_eq!(data["total"], 2, "{data}");
    assert_eq!(data["page"], 1, "{data}");
    assert_eq!(data["page_size"], 20, "{data}");
    let ids: BTreeSet<i64> = item_ids(&data).into_iter().collect();
    assert_eq!(ids, BTreeSet::from([1, alice]));
    let item = items(&data)
        .iter()
        .find(|u| u["id"] == alice)
        .expect("alice");
    assert_eq!(item["username"], "alice");
    assert_eq!(item["display_name"], "Alice Liddell");
    assert_eq!(item["role"], 1);
    assert_eq!(item["status"], 1);
    assert_eq!(item["group"], "default");
    let text = data.to_string();
    for secret in ["password", "access_token", "hash"] {
        assert!(!text.contains(secret), "no {secret} in {text}");
    }
}

#[test]
fn user_keyword_matches_username_or_display_name() {
    let app = spawn_app();
    let (alice, _) = named_user(&app, "alice", "Alice Liddell", 1);
    let (bob, _) = named_user(&app, "bob", "Builder Bob", 1);
    let (carol, _) = named_user(&app, "carol", "Wonderland Queen", 1);
    let (dave, _) = named_user(&app, "dave_x", "100% Dave", 1);
    let cases: [(&str, Vec<i64>); 7] = [
        ("ali", vec![alice]),
        ("liddell", vec![alice]),
        ("wonder", vec![carol]),
        ("Builder", vec![bob]),
        // Wildcards of LIKE are plain characters in a keyword.
        ("%25", vec![dave]),
        ("_", vec![dave]),
        ("nobody-at-all", vec![]),
    ];
    for (keyword, expected) in cases {
        let data = list_data(&app, &format!("/api/user/?keyword={keyword}"), &as_root());
        let found: BTreeSet<i64> = item_ids(&data).into_iter().collect();
        let expected: BTreeSet<i64> = expected.into_iter().collect();
        assert_eq!(found, expected, "keyword={keyword}: {data}");
        assert_eq!(data["total"], expected.len(), "keyword={keyword}: {data}");
    }
    let data = list_data(&app, "/api/user/?keyword=", &as_root());
    assert_eq!(data["total"], 5, "an empty keyword means any: {data}");
}

#[test]
fn user_list_pages_like_the_task_lists() {
    let app = spawn_app();
    let mut all = vec![1];
    for i in 0..6 {
        all.push(named_user(&app, &format!("u{i}"), &format!("User {i}"), 1).0);
    }
    let mut seen = Vec::new();
    for (p, len) in [(1, 3), (2, 3), (3, 1)] {
        let data = list_data(&app, &format!("/api/user/?p={p}&page_size=3"), &as_root());
        assert_eq!(items(&data).len(), len, "p={p}: {data}");
        assert_eq!(data["total"], 7, "p={p}");
        assert_eq!(data["page"], p, "p={p}");
        assert_eq!(data["page_size"], 3, "p={p}");
        seen.extend(item_ids(&data));
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no user on two pages: {seen:?}");
    assert_eq!(unique, all.into_iter().collect(), "every user on some page");

    for p in ["4", "1000", "99999999999999999999"] {
        let data = list_data(&app, &format!("/api/user/?p={p}&page_size=3"), &as_root());
        assert_eq!(data["items"], json!([]), "p={p}");
        assert_eq!(data["total"], 7, "p={p}");
    }
    let data = list_data(&app, "/api/user/?p=0&page_size=3", &as_root());
    assert_eq!(data["page"], 1);
    assert_eq!(items(&data).len(), 3);
    let data = list_data(&app, "/api/user/?page_size=1000", &as_root());
    assert_eq!(data["page_size"], 100);
    assert_eq!(items(&data).len(), 7);
}

#[test]
fn user_list_bad_page_parameters_are_400() {
    let app = spawn_app();
    for (query, word) in [
        ("p=-1", "p"),
        ("p=abc", "p"),
        ("p=1.5", "p"),
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=ten", "page_size"),
    ] {
        let (status, body) = app.get(&format!("/api/user/?{query}"), &as_root());
        let message = assert_error(status, &body, 400);
        assert!(mentions(&message, word), "{query}: {message}");
    }
}

#[test]
fn user_lookup_shows_one_user_and_404s_the_unknown() {
    let app = spawn_app();
    let (bob, _) = named_user(&app, "bob", "Builder Bob", 1);
    let data = list_data(&app, &format!("/api/user/{bob}"), &as_root());
    assert_eq!(data["id"], bob);
    assert_eq!(data["username"], "bob");
    assert_eq!(data["display_name"], "Builder Bob");
    assert_eq!(data["quota"], 0);
    for secret in ["password", "access_token", "hash"] {
        assert!(!data.to_string().contains(secret), "no {secret}: {data}");
    }
    let (status, body) = app.get("/api/user/9999", &as_root());
    assert_error(status, &body, 404);
    let (status, body) = app.get("/api/user/abc", &as_root());
    assert_error(status, &body, 400);
}

// ---------------------------------------------------------------------------
// PUT /api/user/

#[test]
fn admin_updates_a_common_user() {
    let app = spawn_app();
    let (_, admin) = named_user(&app, "admin", "Admin", 10);
    let (bob, _) = named_user(&app, "bob", "Bob", 1);
    let (status, body) = put(
        &app,
        &admin,
        &json!({"id": bob, "display_name": "Robert", "group": "vip", "password": "s3cret!"}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["display_name"], "Robert", "{body}");
    assert_eq!(data["group"], "vip", "{body}");
    assert!(!body.to_string().contains("s3cret!"), "{body}");
    let seen = list_data(&app, &format!("/api/user/{bob}"), &as_root());
    assert_eq!(seen["display_name"], "Robert");
    assert_eq!(seen["group"], "vip");
    assert_eq!(seen["role"], 1, "unchanged");
    let hash: Option<String> = app
        .store
        .conn()
        .expect("a connection")
        .query_row(
            "SELECT password_hash FROM users WHERE id = ?1",
            [bob],
            |r| r.get(0),
        )
        .expect("read the hash");
    let hash = hash.expect("a password is set");
    assert!(!hash.contains("s3cret!"), "stored hashed: {hash}");
}

#[test]
fn admin_cannot_change_another_admin_or_root() {
    let app = spawn_app();
    let (_, admin) = named_user(&app, "admin", "Admin", 10);
    let (other, _) = named_user(&app, "other", "Other Admin", 10);
    for (id, body) in [
        (other, json!({"id": other, "display_name": "hacked"})),
        (other, json!({"id": other, "status": 2})),
        (other, json!({"id": other, "role": 1})),
        (1, json!({"id": 1, "display_name": "hacked"})),
        (1, json!({"id": 1, "status": 2})),
    ] {
        let before = stored(&app, id);
        let (status, reply) = put(&app, &admin, &body);
        assert_error(status, &reply, 403);
        assert_eq!(stored(&app, id), before, "{body} changed nothing");
    }
}

/// Issue 5 §1: "An admin cannot change an admin or root" — itself included,
/// or an admin could move itself to a cheaper pricing group.
#[test]
fn admin_cannot_change_its_own_record_through_the_admin_route() {
    let app = spawn_app();
    let (admin_id, admin) = named_user(&app, "admin", "Admin", 10);
    let before = stored(&app, admin_id);
    let (status, body) = put(&app, &admin, &json!({"id": admin_id, "group": "vip"}));
    assert_error(status, &body, 403);
    assert_eq!(stored(&app, admin_id), before);
}

#[test]
fn only_root_grants_or_removes_the_admin_role() {
    let app = spawn_app();
    let (_, admin) = named_user(&app, "admin", "Admin", 10);
    let (bob, bob_headers) = named_user(&app, "bob", "Bob", 1);

    let (status, body) = put(&app, &admin, &json!({"id": bob, "role": 10}));
    assert_error(status, &body, 403);
    assert_eq!(stored(&app, bob).role, 1);
    let (status, body) = app.get("/api/user/", &bob_headers);
    assert_error(status, &body, 403);

    let (status, body) = put(&app, &as_root(), &json!({"id": bob, "role": 10}));
    assert_eq!(assert_ok(status, &body)["role"], 10);
    let (status, body) = app.get("/api/user/", &bob_headers);
    assert_ok(status, &body);

    let (status, body) = put(&app, &as_root(), &json!({"id": bob, "role": 1}));
    assert_eq!(assert_ok(status, &body)["role"], 1);
    let (status, body) = app.get("/api/user/", &bob_headers);
    assert_error(status, &body, 403);
}

#[test]
fn nobody_disables_demotes_or_crowns_anyone_root() {
    let app = spawn_app();
    let (bob, _) = named_user(&app, "bob", "Bob", 1);
    let root_before = stored(&app, 1);
    for body in [
        json!({"id": 1, "status": 2}),
        json!({"id": 1, "role": 10}),
        json!({"id": 1, "role": 1}),
    ] {
        let (status, reply) = put(&app, &as_root(), &body);
        assert!(
            status == 400 || status == 403,
            "{body}: refused, got {status}: {reply}"
        );
        assert_eq!(reply["success"], json!(false), "{reply}");
    }
    assert_eq!(stored(&app, 1), root_before, "root is untouched");
    let (status, body) = app.get("/api/user/self", &as_root());
    assert_ok(status, &body);

    let (status, reply) = put(&app, &as_root(), &json!({"id": bob, "role": 100}));
    assert!(
        status == 400 || status == 403,
        "a second root: refused, got {status}: {reply}"
    );
    assert_eq!(stored(&app, bob).role, 1);
}

#[test]
fn a_disabled_user_gets_403_until_enabled_again() {
    let app = spawn_app_with(taskcenter::Config {
        worker: false,
        ..taskcenter::Config::default()
    });
    let mock = slow_mock();
    add_channel(&app, &mock);
    let (_, admin) = named_user(&app, "admin", "Admin", 10);
    let erin = customer(
        &app,
        "erin",
        200_000,
        &json!({"name": "k", "unlimited_quota": true}),
    );

    let (status, body) = put(&app, &admin, &json!({"id": erin.id, "status": 2}));
    assert_eq!(assert_ok(status, &body)["status"], 2);
    for path in ["/api/user/self", "/api/log/self", "/api/task/self"] {
        let (status, body) = app.get(path, &erin.headers);
        assert_error(status, &body, 403);
    }
    let (status, body) = submit(&app, &erin.key, "music", &json!({"prompt": "x"}));
    assert_eq!(status, 403, "a disabled user's key is refused: {body}");
    assert_eq!(stored(&app, erin.id).quota, 200_000, "nothing charged");

    let (status, body) = put(&app, &admin, &json!({"id": erin.id, "status": 1}));
    assert_ok(status, &body);
    let (status, body) = app.get("/api/user/self", &erin.headers);
    assert_ok(status, &body);
    submit_music(&app, &erin.key);
}

#[test]
fn bad_updates_are_400_unknown_users_404_common_users_403() {
    let app = spawn_app();
    let (bob, bob_headers) = named_user(&app, "bob", "Bob", 1);
    let before = stored(&app, bob);
    for body in [
        json!({"id": bob, "role": 5}),
        json!({"id": bob, "status": 3}),
        json!({"id": bob, "status": 0}),
        json!({"id": bob, "display_name": "x".repeat(65)}),
        json!({"display_name": "no id"}),
        json!({"id": "bob"}),
    ] {
        let (status, reply) = put(&app, &as_root(), &body);
        assert_error(status, &reply, 400);
    }
    let (status, reply) = app.request("PUT", "/api/user/", &as_root(), Some(b"{not json".to_vec()));
    assert_error(status, &reply, 400);
    assert_eq!(stored(&app, bob), before, "nothing changed");

    let (status, reply) = put(&app, &as_root(), &json!({"id": 9999, "display_name": "x"}));
    assert_error(status, &reply, 404);
    let (status, reply) = put(&app, &bob_headers, &json!({"id": bob, "group": "vip"}));
    assert_error(status, &reply, 403);
    assert_eq!(stored(&app, bob), before, "nothing changed");
}

// ---------------------------------------------------------------------------
// POST /api/user/{id}/quota

#[test]
fn a_grant_writes_exactly_one_top_up_row() {
    let app = spawn_app();
    let (_, admin) = named_user(&app, "admin", "Admin", 10);
    let (bob, bob_headers) = named_user(&app, "bob", "Bob", 1);
    let (status, body) = app.post_json(
        &format!("/api/user/{bob}/quota"),
        &admin,
        &json!({"delta": 123_456, "reason": "spring promotion"}),
    );
    assert_eq!(assert_ok(status, &body)["quota"], 123_456, "{body}");
    assert_eq!(stored(&app, bob).quota, 123_456);
    assert_eq!(log_rows(&app, bob), vec![(1, 123_456)]);

    // The owner sees it, with its reason.
    let data = list_data(&app, "/api/log/self", &bob_headers);
    assert_eq!(data["total"], 1, "{data}");
    let row = &items(&data)[0];
    assert_eq!(row["type"], 1, "{row}");
    assert_eq!(row["quota"], 123_456, "{row}");
    assert_eq!(row["user_id"], bob, "{row}");
    assert_eq!(row["username"], "bob", "{row}");
    assert!(
        row.to_string().contains("spring promotion"),
        "the reason is kept: {row}"
    );
    assert_clean(&audit(&app));
}

#[test]
fn a_deduction_writes_exactly_one_manage_row() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 10_000);
    let before = log_rows(&app, bob);
    let (status, body) = app.post_json(
        &format!("/api/user/{bob}/quota"),
        &as_root(),
        &json!({"delta": -2_500, "reason": "chargeback"}),
    );
    assert_eq!(assert_ok(status, &body)["quota"], 7_500, "{body}");
    assert_eq!(stored(&app, bob).quota, 7_500);
    let rows = log_rows(&app, bob);
    assert_eq!(rows.len(), before.len() + 1, "one new row: {rows:?}");
    let (kind, amount) = rows[rows.len() - 1];
    assert_eq!(kind, 3, "a deduction is a manage row: {rows:?}");
    assert_eq!(amount.abs(), 2_500, "{rows:?}");
    assert_clean(&audit(&app));
}

#[test]
fn a_result_below_zero_is_400_and_changes_nothing() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 1_000);
    let before = log_rows(&app, bob);
    for delta in [-1_001, -1_000_000, i64::MIN] {
        let (status, body) = adjust(&app, &as_root(), bob, delta);
        assert_error(status, &body, 400);
        assert_eq!(stored(&app, bob).quota, 1_000, "delta {delta}");
        assert_eq!(log_rows(&app, bob), before, "delta {delta}: no log row");
    }
    // An overflow is refused the same way.
    let (status, body) = adjust(&app, &as_root(), bob, i64::MAX);
    assert_error(status, &body, 400);
    assert_eq!(stored(&app, bob).quota, 1_000);
    assert_eq!(log_rows(&app, bob), before);

    // Exactly to zero is fine.
    let (status, body) = adjust(&app, &as_root(), bob, -1_000);
    assert_eq!(assert_ok(status, &body)["quota"], 0);
    assert_clean(&audit(&app));
}

#[test]
fn quota_changes_are_for_admins_and_only_root_changes_an_admins() {
    let app = spawn_app();
    let (admin_id, admin) = named_user(&app, "admin", "Admin", 10);
    let (other, _) = named_user(&app, "other", "Other Admin", 10);
    let (bob, bob_headers) = named_user(&app, "bob", "Bob", 1);

    for (headers, id) in [(&bob_headers, bob), (&bob_headers, admin_id)] {
        let (status, body) = adjust(&app, headers, id, 1_000);
        assert_error(status, &body, 403);
    }
    let (status, body) = adjust(&app, &vec![], bob, 1_000);
    assert_error(status, &body, 401);
    for id in [other, 1] {
        let (status, body) = adjust(&app, &admin, id, 1_000);
        assert_error(status, &body, 403);
    }
    for id in [bob, other, 1] {
        assert_eq!(stored(&app, id).quota, 0, "user {id} unchanged");
        assert_eq!(log_rows(&app, id), vec![], "user {id}: no log row");
    }

    let (status, body) = adjust(&app, &admin, bob, 1_000);
    assert_eq!(assert_ok(status, &body)["quota"], 1_000);
    let (status, body) = adjust(&app, &as_root(), other, 1_000);
    assert_eq!(assert_ok(status, &body)["quota"], 1_000);
}

/// Issue 5 §1: "An admin cannot change an admin or root": an admin who could
/// top itself up would print money.
#[test]
fn an_admin_cannot_grant_itself_quota() {
    let app = spawn_app();
    let (admin_id, admin) = named_user(&app, "admin", "Admin", 10);
    let (status, body) = adjust(&app, &admin, admin_id, 1_000_000);
    assert_error(status, &body, 403);
    assert_eq!(stored(&app, admin_id).quota, 0);
    assert_eq!(log_rows(&app, admin_id), vec![]);
}

#[test]
fn bad_quota_requests_are_400_or_404() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 500);
    for body in [
        json!({}),
        json!({"delta": "100"}),
        json!({"delta": 1.5}),
        json!({"reason": "no delta"}),
    ] {
        let (status, reply) = app.post_json(&format!("/api/user/{bob}/quota"), &as_root(), &body);
        assert_error(status, &reply, 400);
    }
    let (status, reply) = adjust(&app, &as_root(), 9999, 100);
    assert_error(status, &reply, 404);
    let (status, reply) = adjust(&app, &as_root(), -1, 100);
    assert!(
        status == 400 || status == 404,
        "a negative id: {status} {reply}"
    );
    assert_eq!(stored(&app, bob).quota, 500);
    assert_eq!(log_rows(&app, bob), vec![(1, 500)]);
}

#[test]
fn concurrent_adjustments_never_go_below_zero_and_each_has_its_row() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 1_000);
    let accepted: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let app = &app;
                s.spawn(move || {
                    let mut ok = Vec::new();
                    for i in 0..8 {
                        let delta = if (t + i) % 2 == 0 { 300 } else { -700 };
                        let (status, body) = adjust(app, &as_root(), bob, delta);
                        match status {
                            200 => ok.push(delta),
                            400 => {}
                            _ => panic!("delta {delta}: {status} {body}"),
                        }
                    }
                    ok
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker"))
            .collect()
    });
    assert!(
        accepted.iter().any(|d| *d < 0),
        "some deductions went through"
    );
    let user = stored(&app, bob);
    assert_eq!(user.quota, 1_000 + accepted.iter().sum::<i64>());
    assert!(user.quota >= 0);
    assert_eq!(
        log_rows(&app, bob).len(),
        1 + accepted.len(),
        "the creation row and one per accepted change"
    );
    assert_clean(&audit(&app));
}

// ---------------------------------------------------------------------------
// GET /api/log/self and GET /api/log/

/// A log row to place directly in the database.
#[derive(Debug, Clone)]
struct Row {
    created_at: i64,
    log_type: i64,
    /// 0 alice, 1 bob.
    who: usize,
    token_name: &'static str,
    channel_id: i64,
    model_name: &'static str,
    task_id: &'static str,
}

fn row(
    created_at: i64,
    log_type: i64,
    who: usize,
    token_name: &'static str,
    channel_id: i64,
    model_name: &'static str,
    task_id: &'static str,
) -> Row {
    Row {
        created_at,
        log_type,
        who,
        token_name,
        channel_id,
        model_name,
        task_id,
    }
}

/// Two users whose log rows vary in every filtered column, inserted out of
/// time order so that id order and time order differ.
struct Logs {
    app: TestApp,
    /// (user id, username, headers) of alice and bob.
    users: [(i64, &'static str, Headers); 2],
    /// (row id, what was inserted), in insertion order.
    rows: Vec<(i64, Row)>,
}

fn logs_fixture() -> Logs {
    let app = spawn_app();
    let (alice, alice_headers) = named_user(&app, "alice", "Alice", 1);
    let (bob, bob_headers) = named_user(&app, "bob", "Bob", 1);
    let users = [(alice, "alice", alice_headers), (bob, "bob", bob_headers)];
    let specs = [
        row(1000, 1, 0, "", 0, "", ""),
        row(2000, 2, 0, "main", 1, "suno_music", "task_a1"),
        row(3000, 2, 0, "spare", 2, "suno_lyrics", "task_a2"),
        row(3000, 6, 0, "main", 1, "suno_music", "task_a1"),
        row(4000, 3, 0, "", 0, "", ""),
        row(2500, 2, 1, "main", 2, "suno_music", "task_b1"),
        row(3500, 6, 1, "main", 2, "suno_music", "task_b1"),
        row(5000, 2, 0, "main", 2, "suno_music", "task_a3"),
        row(1500, 1, 1, "", 0, "", ""),
        row(4500, 2, 1, "spare", 1, "suno_lyrics", "task_b2"),
    ];
    let conn = app.store.conn().expect("a connection");
    let rows = specs
        .into_iter()
        .map(|r| {
            let (user_id, username, _) = &users[r.who];
            conn.execute(
                "INSERT INTO logs (created_at, type, user_id, username, token_id, token_name,
                                   channel_id, model_name, quota, content, task_id, other)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '{\"k\":1}')",
                params![
                    r.created_at,
                    r.log_type,
                    user_id,
                    username,
                    if r.token_name.is_empty() { 0 } else { 7 },
                    r.token_name,
                    r.channel_id,
                    r.model_name,
                    1000 + r.created_at,
                    format!("row at {}", r.created_at),
                    r.task_id
                ],
            )
            .expect("insert a log row");
            (conn.last_insert_rowid(), r)
        })
        .collect();
    drop(conn);
    Logs { app, users, rows }
}

impl Logs {
    /// Row ids matching `keep`, newest (highest id) first.
    fn expected(&self, keep: impl Fn(&Row) -> bool) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .rows
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(id, _)| *id)
            .collect();
        ids.reverse();
        ids
    }

    fn page(&self, path: &str, headers: &Headers, query: &str) -> Value {
        list_data(&self.app, &format!("{path}?{query}"), headers)
    }

    /// Asserts alice's own list under `query` holds exactly her rows matching `keep`.
    fn assert_self(&self, query: &str, keep: impl Fn(&Row) -> bool) {
        let data = self.page(
            "/api/log/self",
            &self.users[0].2,
            &format!("{query}&page_size=100"),
        );
        let expected = self.expected(|r| r.who == 0 && keep(r));
        assert_eq!(item_ids(&data), expected, "/api/log/self?{query}: {data}");
        assert_eq!(data["total"], expected.len(), "/api/log/self?{query}");
    }

    /// Asserts the admin list under `query` holds exactly the rows matching `keep`.
    fn assert_admin(&self, query: &str, keep: impl Fn(&Row) -> bool) {
        let data = self.page("/api/log/", &as_root(), &format!("{query}&page_size=100"));
        let expected = self.expected(keep);
        assert_eq!(item_ids(&data), expected, "/api/log/?{query}: {data}");
        assert_eq!(data["total"], expected.len(), "/api/log/?{query}");
    }
}

#[test]
fn log_self_holds_only_the_callers_rows_newest_first() {
    let f = logs_fixture();
    f.assert_self("", |_| true);
    let data = f.page("/api/log/self", &f.users[1].2, "");
    assert_eq!(item_ids(&data), f.expected(|r| r.who == 1));
    // Root has no rows of its own.
    let data = f.page("/api/log/self", &as_root(), "");
    assert_eq!(data["items"], json!([]));
    assert_eq!(data["total"], 0);
}

#[test]
fn log_self_items_never_show_a_channel_id() {
    let f = logs_fixture();
    let data = f.page("/api/log/self", &f.users[0].2, "page_size=100");
    for item in items(&data) {
        let keys: BTreeSet<&str> = item
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(LOG_FIELDS), "{item}");
    }
    // Not even when asked for.
    let data = f.page("/api/log/self", &f.users[0].2, "channel_id=2");
    assert!(!data.to_string().contains("channel_id"), "{data}");
}

#[test]
fn admin_log_items_show_the_channel_id_and_what_was_stored() {
    let f = logs_fixture();
    let data = f.page("/api/log/", &as_root(), "page_size=100");
    assert_eq!(item_ids(&data), f.expected(|_| true));
    for item in items(&data) {
        let keys: BTreeSet<&str> = item
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = BTreeSet::from(LOG_FIELDS);
        expected.insert("channel_id");
        assert_eq!(keys, expected, "{item}");
        let id = item["id"].as_i64().expect("id");
        let (_, r) = f.rows.iter().find(|(rid, _)| *rid == id).expect("a row");
        let (user_id, username, _) = &f.users[r.who];
        assert_eq!(item["created_at"], r.created_at, "{item}");
        assert_eq!(item["type"], r.log_type, "{item}");
        assert_eq!(item["user_id"], *user_id, "{item}");
        assert_eq!(item["username"], *username, "{item}");
        assert_eq!(item["token_name"], r.token_name, "{item}");
        assert_eq!(item["channel_id"], r.channel_id, "{item}");
        assert_eq!(item["model_name"], r.model_name, "{item}");
        assert_eq!(item["quota"], 1000 + r.created_at, "{item}");
        assert_eq!(item["task_id"], r.task_id, "{item}");
        assert_eq!(item["other"], json!({"k": 1}), "{item}");
    }
}

#[test]
fn log_self_filters_each_alone_and_together() {
    let f = logs_fixture();
    f.assert_self("type=2", |r| r.log_type == 2);
    f.assert_self("type=6", |r| r.log_type == 6);
    f.assert_self("model_name=suno_lyrics", |r| r.model_name == "suno_lyrics");
    f.assert_self("task_id=task_a1", |r| r.task_id == "task_a1");
    f.assert_self("task_id=task_b1", |_| false);
    f.assert_self("token_name=spare", |r| r.token_name == "spare");
    f.assert_self("start_timestamp=3000", |r| r.created_at >= 3000);
    f.assert_self("end_timestamp=3000", |r| r.created_at <= 3000);
    f.assert_self("start_timestamp=3000&end_timestamp=3000", |r| {
        r.created_at == 3000
    });
    f.assert_self(
        "type=2&token_name=main&model_name=suno_music&start_timestamp=1500&end_timestamp=4000",
        |r| {
            r.log_type == 2
                && r.token_name == "main"
                && r.model_name == "suno_music"
                && (1500..=4000).contains(&r.created_at)
        },
    );
    f.assert_self("type=&model_name=&task_id=", |_| true);
}

#[test]
fn log_self_ignores_the_admin_filters() {
    let f = logs_fixture();
    let bob = f.users[1].0;
    f.assert_self("username=bob", |_| true);
    f.assert_self(&format!("user_id={bob}"), |_| true);
    f.assert_self("channel_id=2", |_| true);
}

#[test]
fn admin_log_filters_by_user_and_channel_too() {
    let f = logs_fixture();
    let (alice, bob) = (f.users[0].0, f.users[1].0);
    f.assert_admin("", |_| true);
    f.assert_admin("username=bob", |r| r.who == 1);
    f.assert_admin(&format!("user_id={alice}"), |r| r.who == 0);
    f.assert_admin("channel_id=2", |r| r.channel_id == 2);
    f.assert_admin("type=6", |r| r.log_type == 6);
    f.assert_admin("task_id=task_b1", |r| r.task_id == "task_b1");
    f.assert_admin("channel_id=2&type=2&username=alice", |r| {
        r.channel_id == 2 && r.log_type == 2 && r.who == 0
    });
    f.assert_admin(
        &format!("user_id={bob}&token_name=spare&start_timestamp=4500&end_timestamp=4500"),
        |r| r.who == 1 && r.token_name == "spare" && r.created_at == 4500,
    );
    f.assert_admin(&format!("user_id={bob}&username=alice"), |_| false);
}

#[test]
fn admin_log_is_for_admins() {
    let f = logs_fixture();
    let (status, body) = f.app.get("/api/log/", &f.users[0].2);
    assert_error(status, &body, 403);
    let (status, body) = f.app.get("/api/log/", &vec![]);
    assert_error(status, &body, 401);
    let (status, body) = f.app.get("/api/log/self", &vec![]);
    assert_error(status, &body, 401);
    let (_, admin) = named_user(&f.app, "admin", "Admin", 10);
    let data = f.page("/api/log/", &admin, "page_size=100");
    assert_eq!(item_ids(&data), f.expected(|_| true));
}

#[test]
fn log_lists_page_like_the_task_lists() {
    let f = logs_fixture();
    let alice_rows = f.expected(|r| r.who == 0);
    let all_rows = f.expected(|_| true);
    for (path, headers, ids) in [
        ("/api/log/self", &f.users[0].2, &alice_rows),
        ("/api/log/", &as_root(), &all_rows),
    ] {
        let total = ids.len();
        let mut seen = Vec::new();
        let mut p = 1;
        while seen.len() < total {
            let data = f.page(path, headers, &format!("p={p}&page_size=3"));
            assert_eq!(data["total"], total, "{path} p={p}");
            assert_eq!(data["page"], p, "{path} p={p}");
            assert_eq!(data["page_size"], 3, "{path} p={p}");
            assert!(!items(&data).is_empty(), "{path} p={p}");
            seen.extend(item_ids(&data));
            p += 1;
        }
        assert_eq!(&seen, ids, "{path}: pages in order, no gaps, no repeats");
        for p in ["100", "99999999999999999999"] {
            let data = f.page(path, headers, &format!("p={p}&page_size=3"));
            assert_eq!(data["items"], json!([]), "{path} p={p}");
            assert_eq!(data["total"], total, "{path} p={p}");
        }
        let data = f.page(path, headers, "p=0&page_size=2");
        assert_eq!(data["page"], 1, "{path}");
        assert_eq!(item_ids(&data), ids[..2], "{path}");
        let data = f.page(path, headers, "");
        assert_eq!(data["page_size"], 20, "{path}");
        let data = f.page(path, headers, "page_size=1000");
        assert_eq!(data["page_size"], 100, "{path}");
        assert_eq!(&item_ids(&data), ids, "{path}");
    }
}

#[test]
fn log_lists_reject_bad_parameters_with_400() {
    let f = logs_fixture();
    let cases = [
        ("p=-1", "p"),
        ("p=abc", "p"),
        ("page_size=0", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_size=x", "page_size"),
        ("type=abc", "type"),
        ("start_timestamp=abc", "start_timestamp"),
        ("end_timestamp=1.5", "end_timestamp"),
        ("start_timestamp=2000&end_timestamp=1999", "start_timestamp"),
    ];
    for path in ["/api/log/self", "/api/log/"] {
        for (query, word) in cases {
            let (status, body) = f.app.get(&format!("{path}?{query}"), &as_root());
            let message = assert_error(status, &body, 400);
            assert!(mentions(&message, word), "{path}?{query}: {message}");
        }
    }
    for (query, word) in [("user_id=abc", "user_id"), ("channel_id=1.5", "channel_id")] {
        let (status, body) = f.app.get(&format!("/api/log/?{query}"), &as_root());
        let message = assert_error(status, &body, 400);
        assert!(mentions(&message, word), "{query}: {message}");
    }
}

#[test]
fn relay_charges_and_refunds_show_in_both_log_lists() {
    let app = spawn_app_with(taskcenter::Config {
        worker: false,
        retry_times: 0,
        ..taskcenter::Config::default()
    });
    let mock = slow_mock();
    let channel = add_channel(&app, &mock);
    let frank = customer(
        &app,
        "frank",
        500_000,
        &json!({"name": "frank-key", "unlimited_quota": true}),
    );
    let charged = submit_music(&app, &frank.key);
    mock.set_fault(Fault::Http(500));
    let (status, body) = submit(&app, &frank.key, "music", &json!({"prompt": "x"}));
    assert_ne!(status, 200, "{body}");
    mock.set_fault(Fault::None);

    let data = list_data(
        &app,
        &format!("/api/log/self?task_id={charged}"),
        &frank.headers,
    );
    assert_eq!(data["total"], 1, "one charge row: {data}");
    let item = &items(&data)[0];
    assert_eq!(item["type"], 2, "{item}");
    assert_eq!(item["quota"], MUSIC_CHARGE, "{item}");
    assert_eq!(item["token_name"], "frank-key", "{item}");
    assert_eq!(item["token_id"], frank.key_id, "{item}");
    assert_eq!(item["model_name"], "suno_music", "{item}");
    assert!(item.get("channel_id").is_none(), "{item}");

    // The refused submission: charged, then refunded, one row each.
    let data = list_data(&app, "/api/log/self?type=6", &frank.headers);
    assert_eq!(data["total"], 1, "one refund row: {data}");
    let refunded = items(&data)[0]["task_id"].as_str().expect("a task id");
    assert_ne!(refunded, charged);
    assert_eq!(items(&data)[0]["quota"], MUSIC_CHARGE);
    let data = list_data(
        &app,
        &format!("/api/log/?task_id={refunded}&channel_id={channel}"),
        &as_root(),
    );
    let kinds: Vec<i64> = items(&data)
        .iter()
        .map(|i| i["type"].as_i64().expect("type"))
        .collect();
    assert_eq!(kinds, vec![6, 2], "refund after charge: {data}");
    assert_eq!(items(&data)[0]["channel_id"], channel);
    assert_eq!(stored(&app, frank.id).quota, 500_000 - MUSIC_CHARGE);
    assert_clean(&audit(&app));
}

/// Issue 5 §2: "Every change to any balance (user quota, key remain_quota)
/// writes exactly one log row in the same transaction as the change."
#[test]
fn setting_a_keys_remain_quota_writes_one_log_row() {
    let app = spawn_app();
    let (gina, token) = app.create_user("gina", 1, 0);
    let headers = as_user(gina, &token);
    let (status, body) = app.post_json(
        "/api/token/",
        &headers,
        &json!({"name": "k", "remain_quota": 1000}),
    );
    let key_id = assert_ok(status, &body)["id"].as_i64().expect("key id");
    let rows_of_key = || -> i64 {
        app.store
            .conn()
            .expect("a connection")
            .query_row(
                "SELECT COUNT(*) FROM logs WHERE token_id = ?1",
                [key_id],
                |r| r.get(0),
            )
            .expect("count")
    };
    let before = rows_of_key();
    let (status, body) = app.request(
        "PUT",
        "/api/token/",
        &headers,
        Some(
            json!({"id": key_id, "remain_quota": 5000})
                .to_string()
                .into_bytes(),
        ),
    );
    assert_eq!(assert_ok(status, &body)["remain_quota"], 5000, "{body}");
    assert_eq!(
        rows_of_key(),
        before + 1,
        "the key's balance change has its log row"
    );
}
