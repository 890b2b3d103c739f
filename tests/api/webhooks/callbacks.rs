//! A task's own callback URL (Suno's `callBackUrl`, OpenAI's `webhook_url`):
//! allowed to a user with an enabled endpoint, whose secret signs it; gets
//! the task's end; never sent upstream; failing it for good does not
//! disable the endpoint; refused (400, nothing charged) without an
//! endpoint, to a private address, or when not a string.

use serde_json::{Value, json};

use crate::kit::receiver::{Receiver, verify};
use crate::kit::video::{assert_openai_error, spawn_video_app, video_mock};
use crate::kit::{
    Settings, assert_relay_error, assert_unchanged, slow_mock, spawn_payer_app, suno_data, unix_now,
};

fn music(callback: &Value) -> Value {
    json!({"prompt": "[Verse]\nWalking down the streets", "mv": "chirp-v3-5",
           "title": "City Lights", "tags": "emotional punk", "callBackUrl": callback})
}

#[test]
fn a_callback_url_gets_the_tasks_end_signed_by_the_owners_endpoint() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let hooks = Receiver::start();
    let callback = Receiver::start();
    let endpoint = app.register_endpoint(&payer.headers, &hooks.url(), &["task.failed"]);

    let (status, body) = app.submit(&payer.key, "music", &music(&json!(callback.url())));
    let task_id = suno_data(status, &body)
        .as_str()
        .expect("a task id")
        .to_string();
    let task = app.db.task(&task_id);
    let sent: Vec<String> = up
        .mock
        .submitted()
        .iter()
        .map(|s| s.body.to_string())
        .collect();
    let sent = sent.join("\n");
    assert!(
        !sent.contains(&callback.url()),
        "the callback URL never goes upstream: {sent}"
    );
    assert!(up.mock.set_status(&task.upstream_task_id, "SUCCESS"));
    assert_eq!(app.pass_when_due().succeeded, 1);

    let report = app.deliver_all();
    assert_eq!(
        report.delivered, 1,
        "only the callback wants a success: {report:?}"
    );
    assert!(
        hooks.received().is_empty(),
        "the endpoint did not ask for successes"
    );
    let got = callback.delivered();
    assert_eq!(got.len(), 1);
    verify(&endpoint.secret, &got[0], unix_now()).unwrap_or_else(|e| panic!("{e}"));
    let body = got[0].json();
    assert_eq!(body["type"], "task.succeeded");
    assert_eq!(body["data"], app.task_self(&payer.headers, &task_id));

    let listed = app.deliveries(&payer.headers, endpoint.id);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["callback_url"], callback.url().as_str());
}

#[test]
fn a_callback_failing_for_good_leaves_the_endpoint_enabled() {
    let settings = Settings::manual().webhook_retry_base_ms(1);
    let (app, _up, payer) = spawn_payer_app(settings, slow_mock());
    let hooks = Receiver::start();
    let callback = Receiver::start();
    callback.answer(500);
    app.register_endpoint(&payer.headers, &hooks.url(), &["task.failed"]);
    let (status, body) = app.submit(&payer.key, "music", &music(&json!(callback.url())));
    let task_id = suno_data(status, &body)
        .as_str()
        .expect("a task id")
        .to_string();
    assert!(app.fail_submitted_task(&task_id, "upstream gave up"));

    for _ in 0..20 {
        app.advance_ms(60 * 60 * 1000);
        app.deliver_all();
    }
    let rows = app.outbox();
    let statuses: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["delivered", "failed"],
        "the endpoint's own event delivered, the callback's given up: {rows:?}"
    );
    assert_eq!(hooks.delivered().len(), 1);
    let enabled: i64 = app.db.scalar("SELECT enabled FROM webhook_endpoints", []);
    assert_eq!(
        enabled, 1,
        "a task's callback does not disable the endpoint"
    );
}

#[test]
fn callback_urls_are_refused_without_an_endpoint_or_to_private_hosts() {
    let (app, _up, payer) =
        spawn_payer_app(Settings::manual().without_private_webhooks(), slow_mock());
    let before = app.db.fingerprint();
    for bad in [
        json!("https://hooks.example.com/done"),
        json!("http://127.0.0.1:9/hook"),
        json!("http://169.254.169.254/latest"),
        json!("ftp://example.com/x"),
        json!(42),
    ] {
        let (status, body) = app.submit(&payer.key, "music", &music(&bad));
        assert_relay_error(status, &body, 400, "invalid_request");
    }
    assert_unchanged(&before, &app.db.fingerprint());

    // Video: `webhook_url`, in OpenAI's error body.
    let (app, _up) = spawn_video_app(Settings::manual(), video_mock(0, 0.0));
    let c = app.customer("vera", 10_000_000);
    let (status, body) = app.create_video(
        &c.key,
        &json!({"prompt": "a cat", "webhook_url": "https://hooks.example.com/v"}),
    );
    let message = assert_openai_error(status, &body, 400);
    assert!(message.contains("webhook_url"), "{message}");
}
