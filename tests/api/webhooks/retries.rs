//! An endpoint that answers 500 forever: retried on the schedule (base ×
//! 1, 60, 360, … with at most a tenth of jitter), with the same
//! webhook-id, then its delivery fails and the endpoint is disabled with a
//! system log row; nothing more is queued for it until its owner enables
//! it again.

use serde_json::json;
use taskcenter::webhook::{MAX_ATTEMPTS, SCHEDULE};

use crate::kit::receiver::Receiver;
use crate::kit::{Settings, assert_ok, slow_mock, spawn_payer_app};

const BASE_MS: i64 = 1000;

#[test]
fn an_endpoint_answering_500_forever_is_retried_on_schedule_then_disabled() {
    let settings = Settings::manual().webhook_retry_base_ms(BASE_MS as u64);
    let (app, _up, payer) = spawn_payer_app(settings, slow_mock());
    let receiver = Receiver::start();
    receiver.answer(500);
    let endpoint = app.register_endpoint(&payer.headers, &receiver.url(), &["task.failed"]);
    let task = app.submit_tracked(&payer.key);
    assert!(app.fail_submitted_task(&task.task_id, "upstream gave up"));

    for attempt in 1..=MAX_ATTEMPTS {
        let row = app.outbox().remove(0);
        assert_eq!(
            (row.status.as_str(), row.attempts),
            ("pending", attempt - 1)
        );
        app.move_to_ms(row.next_attempt_at_ms.max(app.now_ms()));
        let before = app.now_ms();
        let r = app.deliver();
        assert_eq!(r.attempted, 1, "attempt {attempt}: {r:?}");
        let row = app.outbox().remove(0);
        if attempt < MAX_ATTEMPTS {
            let wait = row.next_attempt_at_ms - before;
            let step = SCHEDULE[attempt as usize - 1] * BASE_MS;
            assert!(
                (step..=step + step / 10 + 50).contains(&wait),
                "after attempt {attempt}: waits {wait} ms, schedule says {step}"
            );
            // Not a moment early.
            app.move_to_ms(row.next_attempt_at_ms - 1);
            assert_eq!(app.deliver().attempted, 0, "early after attempt {attempt}");
        } else {
            assert_eq!(
                (row.status.as_str(), row.attempts),
                ("failed", MAX_ATTEMPTS)
            );
        }
    }
    let got = receiver.received();
    assert_eq!(got.len() as i64, MAX_ATTEMPTS);
    assert!(
        got.iter()
            .all(|r| r.header("webhook-id") == got[0].header("webhook-id")),
        "every retry carries the same webhook-id"
    );

    let (status, body) = app.get("/api/webhook/", &payer.headers);
    let listed = &assert_ok(status, &body)["items"][0];
    assert_eq!(listed["enabled"], json!(false), "{listed}");
    assert!(
        listed["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{listed}"
    );
    let logs = app.db.rows(
        "SELECT content FROM logs WHERE type = 4 AND user_id = ?1 AND content LIKE 'webhook%'",
        [payer.id],
        |r| r.get::<_, String>(0),
    );
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains(&format!("webhook endpoint {} disabled", endpoint.id)),
        "{logs:?}"
    );

    // Disabled: a new settlement queues nothing for it.
    let later = app.submit_tracked(&payer.key);
    assert!(app.fail_submitted_task(&later.task_id, "again"));
    assert_eq!(app.outbox().len(), 1);
    // Enabled again by its owner: the reason is gone, new events flow.
    let (status, body) = app.put(
        "/api/webhook/",
        &payer.headers,
        &json!({"id": endpoint.id, "enabled": true}),
    );
    let enabled = assert_ok(status, &body);
    assert_eq!(
        (
            enabled["enabled"].as_bool(),
            enabled["disabled_reason"].as_str()
        ),
        (Some(true), Some(""))
    );
    receiver.answer(204);
    let third = app.submit_tracked(&payer.key);
    assert!(app.fail_submitted_task(&third.task_id, "once more"));
    assert_eq!(app.deliver().delivered, 1);
}
