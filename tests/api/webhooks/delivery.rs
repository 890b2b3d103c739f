//! Deliveries: signed as Standard Webhooks says (checked by the kit's own
//! verifier), carrying the task as its owner sees it, listed per endpoint,
//! resent with the same id, and kept in settlement order per task while a
//! receiver is down.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::kit::receiver::{Receiver, verify};
use crate::kit::{MUSIC_CHARGE, Settings, assert_ok, slow_mock, spawn_payer_app, unix_now};

#[test]
fn a_settled_task_is_delivered_signed_with_the_task_as_its_owner_sees_it() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let receiver = Receiver::start();
    let endpoint = app.register_endpoint(
        &payer.headers,
        &receiver.url(),
        &["task.succeeded", "task.failed"],
    );
    let won = app.submit_tracked(&payer.key);
    let lost = app.submit_tracked(&payer.key);
    assert!(up.mock.set_status(&won.upstream_id, "SUCCESS"));
    let r = app.pass_when_due();
    assert_eq!(r.succeeded, 1, "{r}");
    assert!(app.fail_submitted_task(&lost.task_id, "upstream gave up"));
    assert_eq!(app.outbox().len(), 2, "one event per settlement");
    assert!(receiver.received().is_empty(), "nothing sent before a pass");

    let report = app.deliver();
    assert_eq!((report.attempted, report.delivered), (2, 2), "{report:?}");
    let got = receiver.delivered();
    assert_eq!(got.len(), 2);
    let by_type: HashMap<String, Value> = got
        .iter()
        .map(|r| {
            verify(&endpoint.secret, r, unix_now()).unwrap_or_else(|e| panic!("{e}"));
            assert!(r.header("webhook-id").starts_with("msg_"), "{r:?}");
            assert_eq!(r.header("content-type"), "application/json");
            let body = r.json();
            (body["type"].as_str().expect("type").to_string(), body)
        })
        .collect();
    let succeeded = &by_type["task.succeeded"];
    assert_eq!(
        succeeded["data"],
        app.task_self(&payer.headers, &won.task_id),
        "the task exactly as /api/task/self shows it"
    );
    let timestamp = succeeded["timestamp"].as_str().expect("a timestamp");
    assert!(
        timestamp.len() == 24 && timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T',
        "ISO 8601: {timestamp}"
    );
    let failed = &by_type["task.failed"];
    assert_eq!(failed["data"]["refunded_quota"], MUSIC_CHARGE, "{failed}");
    let mut view = app.task_self(&payer.headers, &lost.task_id);
    view["refunded_quota"] = json!(MUSIC_CHARGE);
    assert_eq!(failed["data"], view);
    let text = serde_json::to_string(&by_type).unwrap();
    assert!(
        !text.contains(&won.upstream_id) && !text.contains("fail_detail"),
        "no private task field: {text}"
    );

    // Listed newest first, and one resent keeps its webhook-id.
    let listed = app.deliveries(&payer.headers, endpoint.id);
    let kinds: Vec<&str> = listed
        .iter()
        .map(|d| d["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["task.failed", "task.succeeded"]);
    for d in &listed {
        assert_eq!(
            (
                d["status"].as_str(),
                d["attempts"].as_i64(),
                d["last_http_status"].as_i64()
            ),
            (Some("delivered"), Some(1), Some(200)),
            "{d}"
        );
    }
    assert_eq!(listed[1]["task_id"], won.task_id.as_str());
    let (status, body) = app.post(
        &format!(
            "/api/webhook/{}/deliveries/{}/resend",
            endpoint.id, listed[1]["id"]
        ),
        &payer.headers,
        &json!({}),
    );
    assert_ok(status, &body);
    assert_eq!(app.deliver().delivered, 1);
    let again = receiver.delivered();
    assert_eq!(again.len(), 3);
    assert_eq!(
        again[2].header("webhook-id"),
        listed[1]["msg_id"].as_str().unwrap()
    );
}

#[test]
fn a_receiver_down_then_up_gets_each_event_once_in_settlement_order() {
    let settings = Settings::manual().webhook_retry_base_ms(10);
    let (app, up, payer) = spawn_payer_app(settings, slow_mock());
    let mut receiver = Receiver::start();
    app.register_endpoint(
        &payer.headers,
        &receiver.url(),
        &["task.succeeded", "task.failed", "task.progress"],
    );
    receiver.down();
    let tasks: Vec<_> = (0..3).map(|_| app.submit_tracked(&payer.key)).collect();
    app.pass_when_due();
    // Each step settles a change and tries to deliver into the closed port.
    for word in ["QUEUED", "IN_PROGRESS"] {
        for t in &tasks {
            assert!(up.mock.set_status(&t.upstream_id, word));
        }
        app.pass_when_due();
        let r = app.deliver();
        assert_eq!(r.delivered, 0, "{r:?}");
    }
    for (i, t) in tasks.iter().enumerate() {
        let word = if i == 1 { "FAILURE" } else { "SUCCESS" };
        assert!(up.mock.set_status(&t.upstream_id, word));
    }
    app.pass_when_due();
    assert_eq!(app.deliver().delivered, 0);
    let rows = app.outbox();
    assert_eq!(
        rows.len(),
        9,
        "two progress events and a final one per task: {rows:?}"
    );
    assert!(rows.iter().any(|r| r.attempts > 0), "attempted while down");

    receiver.up();
    for _ in 0..10 {
        app.advance_ms(60_000);
        app.deliver_all();
    }
    assert!(
        app.outbox().iter().all(|r| r.status == "delivered"),
        "{:?}",
        app.outbox()
    );
    let got = receiver.delivered();
    let ids: HashSet<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!((got.len(), ids.len()), (9, 9), "each event once");
    for (i, t) in tasks.iter().enumerate() {
        let seen: Vec<(String, String)> = got
            .iter()
            .map(|r| r.json())
            .filter(|b| b["data"]["task_id"] == t.task_id.as_str())
            .map(|b| {
                (
                    b["type"].as_str().unwrap().to_string(),
                    b["data"]["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let last = if i == 1 {
            ("task.failed", "FAILURE")
        } else {
            ("task.succeeded", "SUCCESS")
        };
        let expected: Vec<(String, String)> = [
            ("task.progress", "QUEUED"),
            ("task.progress", "IN_PROGRESS"),
            last,
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(seen, expected, "task {i} in settlement order");
    }
}

#[test]
fn the_servers_delivery_thread_sends_a_settlement_without_being_asked() {
    let (app, _up, payer) = spawn_payer_app(Settings::relay(), slow_mock());
    let receiver = Receiver::start();
    let endpoint = app.register_endpoint(&payer.headers, &receiver.url(), &["task.failed"]);
    let task = app.submit_tracked(&payer.key);
    assert!(app.fail_submitted_task(&task.task_id, "upstream gave up"));
    let got = receiver.wait_delivered(1, std::time::Duration::from_secs(10));
    verify(&endpoint.secret, &got[0], unix_now()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got[0].json()["data"]["task_id"], task.task_id.as_str());
}
