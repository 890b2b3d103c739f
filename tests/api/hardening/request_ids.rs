//! Request ids and 500s: every answer carries `X-Request-Id` (the client's
//! when it is sane, else a new `req_...`), and a 500 says only
//! `internal error (request <id>)`, in the envelope of its surface, with
//! what failed left to the server log under the same id.

use std::collections::HashSet;

use serde_json::json;

use crate::kit::http::Answer;
use crate::kit::{Headers, Settings, TestApp, bearer, spawn_app_with};

/// The one `X-Request-Id` of an answer.
fn request_id(answer: &Answer) -> String {
    let ids = answer.header_values("x-request-id");
    assert_eq!(ids.len(), 1, "one X-Request-Id: {answer:?}");
    ids[0].to_string()
}

/// Whether `id` is one the server made: `req_` and 20 alphanumerics.
fn is_generated(id: &str) -> bool {
    id.strip_prefix("req_")
        .is_some_and(|rest| rest.len() == 20 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// `GET path` with `X-Request-Id: given` added to `headers`.
fn get_with_id(app: &TestApp, path: &str, headers: &Headers, given: &str) -> Answer {
    let mut headers = headers.clone();
    headers.push(("X-Request-Id", given.to_string()));
    app.request_with_headers("GET", path, &headers, None)
}

#[test]
fn every_answer_carries_a_request_id_of_its_own() {
    // Pins: answers, errors and rejections included, carried no id, so a
    // client could not name a failed request to an operator.
    let app = spawn_app_with(Settings::relay());
    let alice = app.customer("alice", 0);
    let cases: [(&str, &str, Headers, u16); 7] = [
        ("GET", "/api/status", vec![], 200),
        ("GET", "/api/user/self", vec![], 401),
        ("GET", "/api/no/such/route", vec![], 404),
        ("GET", "/api/task/self?p=-1", alice.headers.clone(), 400),
        ("PATCH", "/api/user/self", alice.headers.clone(), 405),
        ("POST", "/suno/submit/music", bearer("sk-nobody"), 401),
        ("GET", "/suno/fetch/task_nothing", bearer(&alice.key), 404),
    ];
    let mut seen = HashSet::new();
    for (method, path, headers, status) in cases {
        let body = (method == "POST").then(|| json!({"prompt": "x"}).to_string().into_bytes());
        let answer = app.request_with_headers(method, path, &headers, body);
        assert_eq!(answer.status, status, "{method} {path}: {answer:?}");
        let id = request_id(&answer);
        assert!(is_generated(&id), "{method} {path}: {id:?}");
        assert!(seen.insert(id.clone()), "ids are not reused: {id}");
    }
}

#[test]
fn a_sane_client_id_is_echoed_and_any_other_replaced() {
    // Pins: the client's header was echoed and logged as it came, so a
    // client could forge log lines or flood them.
    let app = spawn_app_with(Settings::relay());
    let echoed = ["abc-123", "trace.7:span_9", &"a".repeat(64)];
    for given in echoed {
        let answer = get_with_id(&app, "/api/status", &vec![], given);
        assert_eq!(request_id(&answer), given);
    }
    let replaced = [
        "has spaces in it".to_string(),
        "x".repeat(200),
        "a".repeat(65),
        "semi;colon".to_string(),
        "quote\"d".to_string(),
    ];
    for given in &replaced {
        let answer = get_with_id(&app, "/api/status", &vec![], given);
        let id = request_id(&answer);
        assert!(
            is_generated(&id),
            "{given:?} is replaced by a new id: {id:?}"
        );
    }
}

/// Words of a database error that must never reach a client.
const SQL_WORDS: [&str; 5] = ["no such table", "sqlite", "SELECT", "tasks", "rusqlite"];

#[test]
fn a_database_failure_is_a_500_naming_only_the_request() {
    // Pins: a database error's text (SQL, table names, the driver's
    // message) was the 500's message; a client saw the schema, and an
    // operator had nothing to find the request by in the log.
    let app = spawn_app_with(Settings::relay());
    let alice = app.customer("alice", 1_000_000);
    app.db.execute("DROP TABLE tasks", []);

    let management = get_with_id(&app, "/api/task/self", &alice.headers, "mgmt-500");
    assert_eq!(management.status, 500, "{management:?}");
    assert_eq!(
        management.body,
        json!({"success": false, "message": "internal error (request mgmt-500)"})
    );
    assert_eq!(request_id(&management), "mgmt-500");

    let relay = app.request_with_headers("GET", "/suno/fetch/task_gone", &bearer(&alice.key), None);
    assert_eq!(relay.status, 500, "{relay:?}");
    let id = request_id(&relay);
    assert!(is_generated(&id), "{id}");
    assert_eq!(
        relay.body,
        json!({"code": "internal_error", "message": format!("internal error (request {id})"), "data": null})
    );

    for answer in [&management, &relay] {
        let text = answer.body.to_string();
        for word in SQL_WORDS {
            assert!(!text.contains(word), "{word:?} in {text}");
        }
    }
    // Routes that do not need the lost table still work.
    let me = app.request_with_headers("GET", "/api/user/self", &alice.headers, None);
    assert_eq!(me.status, 200, "{me:?}");
}
