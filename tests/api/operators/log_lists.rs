//! `GET /api/log/self` and `GET /api/log/`: whose rows each list holds,
//! what an item shows, every filter, pagination and the 400s; and the rows
//! the relay's charges and refunds leave there.

use std::collections::BTreeSet;

use rusqlite::params;
use serde_json::{Value, json};

use crate::kit::{
    Headers, MUSIC_CHARGE, Settings, TestApp, as_root, assert_clean, assert_error, field_names,
    item_ids, items, mentions, newest_first, slow_mock, spawn_app, spawn_app_with,
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

impl From<Spec> for Row {
    #[rustfmt::skip]
    fn from((created_at, log_type, who, token_name, channel_id, model_name, task_id): Spec) -> Row {
        Row { created_at, log_type, who, token_name, channel_id, model_name, task_id }
    }
}

/// A [`Row`] as a table line: (created_at, type, who, token_name,
/// channel_id, model_name, task_id).
#[rustfmt::skip]
type Spec = (i64, i64, usize, &'static str, i64, &'static str, &'static str);

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
    let (alice, alice_headers) = app.named_user("alice", "Alice", 1);
    let (bob, bob_headers) = app.named_user("bob", "Bob", 1);
    let users = [(alice, "alice", alice_headers), (bob, "bob", bob_headers)];
    let specs: [Spec; 10] = [
        (1000, 1, 0, "", 0, "", ""),
        (2000, 2, 0, "main", 1, "suno_music", "task_a1"),
        (3000, 2, 0, "spare", 2, "suno_lyrics", "task_a2"),
        (3000, 6, 0, "main", 1, "suno_music", "task_a1"),
        (4000, 3, 0, "", 0, "", ""),
        (2500, 2, 1, "main", 2, "suno_music", "task_b1"),
        (3500, 6, 1, "main", 2, "suno_music", "task_b1"),
        (5000, 2, 0, "main", 2, "suno_music", "task_a3"),
        (1500, 1, 1, "", 0, "", ""),
        (4500, 2, 1, "spare", 1, "suno_lyrics", "task_b2"),
    ];
    let rows = specs
        .into_iter()
        .map(Row::from)
        .map(|r| {
            let (user_id, username, _) = &users[r.who];
            let id = app.db.scalar(
                "INSERT INTO logs (created_at, type, user_id, username, token_id, token_name,
                                   channel_id, model_name, quota, content, task_id, other)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, '{\"k\":1}')
                 RETURNING id",
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
            );
            (id, r)
        })
        .collect();
    Logs { app, users, rows }
}

impl Logs {
    /// Row ids matching `keep`, newest (highest id) first.
    fn expected(&self, keep: impl Fn(&Row) -> bool) -> Vec<i64> {
        newest_first(&self.rows, keep)
    }

    fn page(&self, path: &str, headers: &Headers, query: &str) -> Value {
        self.app.get_ok(&format!("{path}?{query}"), headers)
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
        assert_eq!(field_names(item), BTreeSet::from(LOG_FIELDS), "{item}");
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
        let mut expected = BTreeSet::from(LOG_FIELDS);
        expected.insert("channel_id");
        assert_eq!(field_names(item), expected, "{item}");
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
    let (_, admin) = f.app.named_user("admin", "Admin", 10);
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
    let app = spawn_app_with(Settings::default().without_worker().retry_times(0));
    let up = app.attach(slow_mock(), "mock", 0);
    let channel = up.channel_id;
    let frank = app.customer_with_key(
        "frank",
        500_000,
        &json!({"name": "frank-key", "unlimited_quota": true}),
    );
    let charged = app.submit_music(&frank.key, "a song about ledgers");
    up.mock.set_fault(Fault::Http(500));
    let (status, body) = app.submit(&frank.key, "music", &json!({"prompt": "x"}));
    assert_ne!(status, 200, "{body}");
    up.mock.set_fault(Fault::None);

    let data = app.get_ok(&format!("/api/log/self?task_id={charged}"), &frank.headers);
    assert_eq!(data["total"], 1, "one charge row: {data}");
    let item = &items(&data)[0];
    assert_eq!(item["type"], 2, "{item}");
    assert_eq!(item["quota"], MUSIC_CHARGE, "{item}");
    assert_eq!(item["token_name"], "frank-key", "{item}");
    assert_eq!(item["token_id"], frank.key_id, "{item}");
    assert_eq!(item["model_name"], "suno_music", "{item}");
    assert!(item.get("channel_id").is_none(), "{item}");

    // The refused submission: charged, then refunded, one row each.
    let data = app.get_ok("/api/log/self?type=6", &frank.headers);
    assert_eq!(data["total"], 1, "one refund row: {data}");
    let refunded = items(&data)[0]["task_id"].as_str().expect("a task id");
    assert_ne!(refunded, charged);
    assert_eq!(items(&data)[0]["quota"], MUSIC_CHARGE);
    let data = app.get_ok(
        &format!("/api/log/?task_id={refunded}&channel_id={channel}"),
        &as_root(),
    );
    let kinds: Vec<i64> = items(&data)
        .iter()
        .map(|i| i["type"].as_i64().expect("type"))
        .collect();
    assert_eq!(kinds, vec![6, 2], "refund after charge: {data}");
    assert_eq!(items(&data)[0]["channel_id"], channel);
    assert_eq!(app.db.user(frank.id).quota, 500_000 - MUSIC_CHARGE);
    assert_clean(&app.audit());
}
