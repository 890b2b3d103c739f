//! The `/mock/...` control routes, driven over HTTP as an out-of-process user would.

use mock_upstreams::Fault;

use super::support::{SunoCalls, mock};
use crate::common::{Client, with_client};

#[test]
fn post_mock_fault_sets_a_standing_fault_that_get_shows() {
    let mock = mock(0);
    let client = Client::with_secret(&mock, None);
    let reply = client
        .post("/mock/fault", r#"{"fault":"http_502"}"#)
        .expect("set fault");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json["data"]["fault"], "http_502");
    assert_eq!(mock.fault(), Fault::Http(502));
    assert_eq!(client.get("/ping").expect("ping").status, 502);
    let shown = client.get("/mock/fault").expect("get fault");
    assert_eq!(shown.json["data"]["fault"], "http_502");
    assert!(shown.json["data"]["next"].is_null());
    client
        .post("/mock/fault", r#"{"fault":"none"}"#)
        .expect("heal");
    assert_eq!(client.get("/ping").expect("ping").status, 200);
}

#[test]
fn post_mock_fault_with_a_count_wears_off() {
    let mock = mock(0);
    let client = Client::with_secret(&mock, None);
    let reply = client
        .post(
            "/mock/fault",
            r#"{"fault":"stall","stall_ms":10,"count":2}"#,
        )
        .expect("set fault");
    assert_eq!(
        reply.json["data"],
        serde_json::json!({"fault": "stall_10", "count": 2})
    );
    let shown = client.get("/mock/fault").expect("get fault");
    assert_eq!(
        shown.json["data"]["next"],
        serde_json::json!({"fault": "stall_10", "count": 2})
    );
    assert_eq!(shown.json["data"]["fault"], "none");
    for _ in 0..3 {
        assert_eq!(client.get("/ping").expect("ping").status, 200);
    }
    assert_eq!(mock.stats().faulted, 2);
    assert!(client.get("/mock/fault").expect("get").json["data"]["next"].is_null());
}

#[test]
fn post_mock_fault_refuses_unknown_names_and_bad_bodies() {
    let mock = mock(0);
    let client = Client::with_secret(&mock, None);
    for body in [
        r#"{"fault":"teapot"}"#,
        r#"{"fault":"http_99"}"#,
        "{}",
        "nope",
    ] {
        let reply = client.post("/mock/fault", body).expect("answer");
        assert_eq!(
            (reply.status, reply.json["code"].as_str()),
            (400, Some("invalid_request")),
            "{body}"
        );
    }
    assert_eq!(mock.fault(), Fault::None);
}

#[test]
fn control_routes_show_stats_force_statuses_and_forget_tasks() {
    let mock = mock(60_000);
    let suno = Client::new(&mock);
    let control = Client::with_secret(&mock, None);
    let id = suno.submit_music("la");
    let stats = control.get("/mock/stats").expect("stats");
    assert_eq!(
        (
            stats.json["data"]["submit"].as_u64(),
            stats.json["data"]["tasks"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let reset = control.post("/mock/stats/reset", "").expect("reset");
    assert_eq!(reset.json["data"]["submit"], 0);

    let body = format!(r#"{{"id":"{id}","status":"IN_PROGRESS"}}"#);
    assert_eq!(
        control.post("/mock/status", &body).expect("status").status,
        200
    );
    assert_eq!(mock.status_of(&id).as_deref(), Some("IN_PROGRESS"));
    let missing = control
        .post("/mock/status", r#"{"id":"nope","status":"SUCCESS"}"#)
        .expect("status");
    assert_eq!(missing.status, 404);
    assert_eq!(
        control
            .post("/mock/status", r#"{"id":"x"}"#)
            .expect("status")
            .status,
        400
    );

    let body = format!(r#"{{"id":"{id}"}}"#);
    assert_eq!(
        control.post("/mock/forget", &body).expect("forget").status,
        200
    );
    assert_eq!(
        control.post("/mock/forget", &body).expect("forget").status,
        404
    );
    assert_eq!(mock.status_of(&id), None);
}

#[test]
fn unknown_paths_and_methods_answer_the_suno_envelope() {
    let (_mock, client) = with_client(mock(0));
    let missing = client.get("/suno/nowhere").expect("answer");
    assert_eq!(
        (missing.status, missing.json["message"].as_str()),
        (404, Some("not found"))
    );
    let wrong = client.get("/suno/submit/music").expect("answer");
    assert_eq!(
        (wrong.status, wrong.json["message"].as_str()),
        (405, Some("method not allowed"))
    );
}
