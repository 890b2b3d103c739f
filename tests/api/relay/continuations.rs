//! Continuations: a job that extends an earlier song runs on the channel
//! of the original, with the upstream's own id, and nowhere else.

use serde_json::{Value, json};

use super::{alice_with_one_channel, only_task};
use crate::kit::{
    Customer, MUSIC_CHARGE, Settings, TestApp, accepted_task_id, as_root, assert_ok,
    assert_relay_error, items, spawn_app_with, spawn_relay_app,
};
use crate::mock::Fault;

/// A music task of `c` accepted on `up`; returns (public id, upstream id).
fn original(app: &TestApp, c: &Customer) -> (String, String) {
    let task_id = app.submit_music(&c.key, "[Verse] the original");
    let upstream_id = app.db.task(&task_id).upstream_task_id;
    assert!(!upstream_id.is_empty());
    (task_id, upstream_id)
}

fn continuation(parent: &str) -> Value {
    json!({
        "prompt": "[Verse] and it goes on",
        "continue_clip_id": "clip-0001",
        "continue_at": 42.5,
        "task_id": parent,
    })
}

#[test]
fn a_continuation_runs_on_the_original_channel_with_the_upstream_id() {
    let (app, old, c) = alice_with_one_channel();
    let (parent, parent_upstream) = original(&app, &c);
    // A better channel appears: new jobs go there, the continuation may not.
    let new = app.upstream("new", 100);

    let (status, body) = app.submit(&c.key, "music", &continuation(&parent));
    let task_id = accepted_task_id(status, &body);
    assert_ne!(task_id, parent);

    assert_eq!(
        new.mock.stats().submit,
        0,
        "the continuation stayed on its channel"
    );
    let sent = old.mock.submitted();
    assert_eq!(sent.len(), 2);
    let body = &sent[1].body;
    assert_eq!(
        body["task_id"],
        parent_upstream.as_str(),
        "the upstream's own id: {body}"
    );
    assert_eq!(body["continue_clip_id"], "clip-0001", "{body}");
    assert_eq!(body["continue_at"], 42.5, "{body}");

    let stored = app.db.task(&task_id);
    assert_eq!(stored.channel_id, old.channel_id);
    assert_eq!(
        stored.quota, MUSIC_CHARGE,
        "a continuation is a charged job"
    );
    let (status, resp) = app.get(&format!("/api/task/self?task_id={task_id}"), &c.headers);
    let props = &items(assert_ok(status, &resp))[0]["properties"];
    assert_eq!(
        props["task_id"],
        parent.as_str(),
        "the user sees their own id: {props}"
    );
    assert_eq!(props["continue_clip_id"], "clip-0001", "{props}");
    assert_eq!(app.db.quota(c.id), 1_000_000 - 2 * MUSIC_CHARGE);

    // Ordinary jobs do go to the new channel.
    app.submit_music(&c.key, "fresh");
    assert_eq!(new.mock.stats().submit, 1);
}

#[test]
fn a_continuation_of_someone_elses_or_an_unknown_task_is_400() {
    let (app, up) = spawn_relay_app();
    let [alice, bob] = app.customers(["alice", "bob"], 1_000_000);
    let (alices, _) = original(&app, &alice);

    for parent in [
        alices.as_str(),
        "task_00000000000000000000000000000000",
        "whatever",
    ] {
        let (status, body) = app.submit(&bob.key, "music", &continuation(parent));
        assert_relay_error(status, &body, 400, "invalid_request");
    }
    assert_eq!(app.db.quota(bob.id), 1_000_000, "bob paid nothing");
    assert_eq!(app.db.task_count(bob.id), 0);
    assert_eq!(app.db.task_log_count(bob.id), 0);
    assert_eq!(
        up.mock.stats().submit,
        1,
        "only alice's original went upstream"
    );
}

#[test]
fn a_continuation_whose_channel_is_disabled_or_gone_is_400() {
    let app = spawn_app_with(Settings::relay());
    let old = app.upstream("old", 0);
    let other = app.upstream("other", 0);
    let c = app.customer("alice", 1_000_000);
    // Make sure the original runs on `old`.
    let (status, body) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": other.channel_id, "status": 2}),
    );
    assert_ok(status, &body);
    let (parent, _) = original(&app, &c);
    let (status, body) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": other.channel_id, "status": 1}),
    );
    assert_ok(status, &body);
    let after_original = app.db.quota(c.id);

    let (status, body) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": old.channel_id, "status": 2}),
    );
    assert_ok(status, &body);
    let (status, body) = app.submit(&c.key, "music", &continuation(&parent));
    assert_relay_error(status, &body, 400, "invalid_request");

    let (status, body) = app.delete(&format!("/api/channel/{}", old.channel_id), &as_root());
    assert_ok(status, &body);
    let (status, body) = app.submit(&c.key, "music", &continuation(&parent));
    assert_relay_error(status, &body, 400, "invalid_request");

    assert_eq!(app.db.quota(c.id), after_original, "refusals cost nothing");
    assert_eq!(app.db.task_count(c.id), 1);
    assert_eq!(other.mock.stats().submit, 0, "never sent elsewhere");
}

#[test]
fn a_continuation_is_not_retried_on_other_channels() {
    let (app, old, c) = alice_with_one_channel();
    let (parent, _) = original(&app, &c);
    let other = app.upstream("other", 0);
    old.mock.set_fault(Fault::Http(500));

    let (status, body) = app.submit(&c.key, "music", &continuation(&parent));
    assert_relay_error(status, &body, 500, "upstream_error");
    assert_eq!(
        other.mock.stats().submit,
        0,
        "the continuation only runs where it started"
    );
    assert_eq!(
        app.db.quota(c.id),
        1_000_000 - MUSIC_CHARGE,
        "the continuation was refunded"
    );
}

#[test]
fn a_continuation_of_a_task_that_never_reached_the_upstream_is_400() {
    let (app, up, c) = alice_with_one_channel();
    up.mock.set_fault(Fault::Http(500));
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "doomed"}));
    assert_eq!(status, 500, "{body}");
    let failed = only_task(&app, &c)["task_id"]
        .as_str()
        .expect("task_id")
        .to_string();
    up.mock.set_fault(Fault::None);

    let (status, body) = app.submit(&c.key, "music", &continuation(&failed));
    assert_relay_error(status, &body, 400, "invalid_request");
    assert_eq!(app.db.quota(c.id), 1_000_000);
}
