//! What an upstream's answer may not do: send a submission elsewhere with
//! a redirect, or put its own words (which could carry anything: a
//! credential, an internal address) in front of users. Users read fixed
//! messages; the detail is the administrators' (`fail_detail`).

use serde_json::{Value, json};

use super::{OneOff, reply};
use crate::kit::upstream::unique_secret;
use crate::kit::{Customer, Settings, TestApp, as_root, assert_relay_error, items, spawn_app_with};

/// A relay app with one channel in front of `upstream`, and alice with
/// 1,000,000 quota and an unlimited key.
fn app_in_front_of(upstream: &OneOff) -> (TestApp, Customer) {
    let app = spawn_app_with(Settings::relay());
    app.channel(&json!({
        "name": "one-off",
        "type": "suno",
        "base_url": upstream.url(),
        "key": unique_secret("channel-secret"),
        "models": "suno_music",
    }));
    let alice = app.customer("alice", 1_000_000);
    (app, alice)
}

/// The public id of the user's only task.
fn only_task(app: &TestApp, c: &Customer) -> String {
    let ids = app.db.task_ids_of(c.id);
    assert_eq!(ids.len(), 1, "one task: {ids:?}");
    ids[0].clone()
}

#[test]
fn a_redirect_from_an_upstream_is_not_followed() {
    // Pins: ureq's agents follow up to 10 redirects by default, so a
    // channel answering 3xx could bounce a submission (and, for 307/308,
    // its body) to any address, a private one included.
    for status in ["302 Found", "307 Temporary Redirect"] {
        let target = OneOff::answering(|_| {
            reply(
                "200 OK",
                "",
                r#"{"code":"success","message":"","data":"bounced"}"#,
            )
        });
        let location = format!("Location: {}/suno/submit/music\r\n", target.url());
        let redirecting = OneOff::answering(move |_| reply(status, &location, ""));
        let (app, alice) = app_in_front_of(&redirecting);

        let (code, body) = app.submit(&alice.key, "music", &json!({"prompt": "la la"}));
        let message = assert_relay_error(code, &body, 502, "upstream_error");
        let http = status.split(' ').next().unwrap_or_default();
        assert_eq!(message, format!("upstream returned HTTP {http}"), "{body}");
        assert_eq!(
            redirecting.requests().len(),
            1,
            "{status}: asked once, not retried"
        );
        assert_eq!(
            target.connections(),
            0,
            "{status}: the redirect's target was never contacted"
        );
        let task = app.assert_refunded_once(&only_task(&app, &alice));
        assert_eq!(task.upstream_task_id, "", "{task:?}");
        assert_eq!(app.user_balance(alice.id).0, 1_000_000, "charge refunded");
    }
}

/// What the owner, the key and an administrator see of a task that failed
/// at submission.
struct Views {
    owner: Value,
    relay: Value,
    admin: Value,
}

fn views(app: &TestApp, c: &Customer, task_id: &str) -> Views {
    let admin_page = app.get_ok(&format!("/api/task/?task_id={task_id}"), &as_root());
    let admin = items(&admin_page)
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("the admin list shows {task_id}: {admin_page}"));
    Views {
        owner: app.task_self(&c.headers, task_id),
        relay: app.relay_fetch(&c.key, task_id),
        admin,
    }
}

#[test]
fn an_upstream_error_body_reaches_only_the_admins_fail_detail() {
    // Pins: the upstream's message (or raw body) was the client's error
    // message and the task's fail_reason, shown to the task's owner and to
    // every holder of the key.
    let secret = unique_secret("sk-live-upstream-internal");
    let cases = [
        (
            reply(
                "500 Internal Server Error",
                "",
                &format!(
                    r#"{{"code":"error","message":"db postgres://admin:{secret}@10.0.0.5 is down"}}"#
                ),
            ),
            500,
            "upstream returned HTTP 500",
        ),
        (
            reply("200 OK", "", &format!("<html>proxy error {secret}</html>")),
            502,
            "invalid upstream response",
        ),
        (
            reply(
                "503 Service Unavailable",
                "",
                &format!("maintenance by {secret}"),
            ),
            503,
            "upstream returned HTTP 503",
        ),
    ];
    for (answer, status, fixed) in cases {
        let upstream = OneOff::answering(move |_| answer.clone());
        let (app, alice) = app_in_front_of(&upstream);

        let (code, body) = app.submit(&alice.key, "music", &json!({"prompt": "la la"}));
        let message = assert_relay_error(code, &body, status, "upstream_error");
        assert_eq!(message, fixed, "the client reads a fixed message: {body}");
        assert!(!body.to_string().contains(&secret), "{body}");

        let task_id = only_task(&app, &alice);
        app.assert_refunded_once(&task_id);
        let Views {
            owner,
            relay,
            admin,
        } = views(&app, &alice, &task_id);
        for (who, view) in [("/api/task/self", &owner), ("/suno/fetch", &relay)] {
            assert_eq!(view["fail_reason"], fixed, "{who}: {view}");
            assert!(
                !view.to_string().contains(&secret),
                "{who} never shows the upstream's words: {view}"
            );
            assert!(view.get("fail_detail").is_none(), "{who}: {view}");
        }
        assert_eq!(admin["fail_reason"], fixed, "{admin}");
        let detail = admin["fail_detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(&secret),
            "the admin list keeps the upstream's words in fail_detail: {admin}"
        );
        assert!(
            !app.db.task(&task_id).fail_reason.contains(&secret),
            "the stored fail_reason is the fixed one"
        );
    }
}
