//! Channel choice, retries across channels, full refunds when every attempt
//! fails, and continuations that must run on their original channel.

use serde_json::{Value, json};

use crate::kit::{
    Customer, LOG_CONSUME, LOG_REFUND, MUSIC_CHARGE, Settings, TestApp, accepted_task_id, as_root,
    assert_ok, assert_relay_error, dead_base_url, items, spawn_app_with,
};
use crate::mock::Fault;

/// The customer's only task as the task list shows it.
fn only_task(app: &TestApp, c: &Customer) -> Value {
    let (status, body) = app.get("/api/task/self", &c.headers);
    let data = assert_ok(status, &body);
    let list = items(data);
    assert_eq!(list.len(), 1, "one task: {data}");
    list[0].clone()
}

/// Asserts the job failed, was refunded in full and the log shows the
/// charge and its refund side by side.
fn assert_failed_and_refunded(app: &TestApp, c: &Customer, start: i64) -> Value {
    let task = only_task(app, c);
    assert_eq!(task["status"], "FAILURE", "{task}");
    assert_eq!(task["progress"], "100%", "{task}");
    let reason = task["fail_reason"].as_str().unwrap_or_default();
    assert!(!reason.is_empty(), "a fail_reason: {task}");
    let task_id = task["task_id"].as_str().expect("task_id");

    assert_eq!(
        app.db.quota(c.id),
        start,
        "the balance is back to the start"
    );
    let user = app.db.user(c.id);
    assert_eq!(user.used_quota, 0, "the refund lowers used_quota");
    assert_eq!(
        user.request_count, 0,
        "a failed submission is not a request"
    );
    let key = app.db.key(c.key_id);
    assert_eq!(key.used_quota, 0, "the key's used quota is given back");

    let logs = app.db.logs_of(task_id);
    let kinds: Vec<(i64, i64)> = logs.iter().map(|l| (l.log_type, l.quota)).collect();
    assert_eq!(
        kinds,
        [(LOG_CONSUME, MUSIC_CHARGE), (LOG_REFUND, MUSIC_CHARGE)],
        "one charge and one refund: {logs:?}"
    );
    assert!(
        logs.iter()
            .all(|l| l.user_id == c.id && l.token_id == c.key_id)
    );
    assert_eq!(app.db.task_log_count(c.id), 2, "no other log row");
    assert_eq!(app.db.task(task_id).refunded, 1);
    task
}

#[test]
fn a_500_moves_the_job_to_another_channel() {
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    first.mock.set_fault(Fault::Http(500));
    let c = app.customer("alice", 1_000_000);

    let task_id = app.submit_music(&c.key, "retry me");

    assert_eq!(
        first.mock.stats().submit,
        1,
        "the higher priority was tried first"
    );
    assert_eq!(second.mock.stats().submit, 1, "then the other channel");
    let accepted = &second.mock.submitted()[0];
    assert_eq!(
        accepted.body["prompt"], "retry me",
        "the same job was retried"
    );
    let stored = app.db.task(&task_id);
    assert_eq!(
        stored.channel_id, second.channel_id,
        "the task runs where it was accepted"
    );
    assert_eq!(Some(stored.upstream_task_id.clone()), accepted.upstream_id);
    assert_eq!(stored.status, "SUBMITTED");

    // Charged once, counted on the channel that took it.
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE);
    assert_eq!(app.db.user(c.id).request_count, 1);
    let logs = app.db.logs_of(&task_id);
    assert_eq!(logs.len(), 1, "one consume row, no refund: {logs:?}");
    assert_eq!(logs[0].log_type, LOG_CONSUME);
    assert_eq!(app.channel_view(first.channel_id)["used_quota"], 0);
    assert_eq!(
        app.channel_view(second.channel_id)["used_quota"],
        MUSIC_CHARGE
    );
}

#[test]
fn the_consume_log_names_the_channel_that_took_the_job() {
    // Channel accounting: the log row of a charge and the channel's
    // used_quota must name the same channel, also after a retry.
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    first.mock.set_fault(Fault::Http(500));
    let c = app.customer("alice", 1_000_000);
    let task_id = app.submit_music(&c.key, "retry me");
    let logs = app.db.logs_of(&task_id);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(
        logs[0].channel_id, second.channel_id,
        "the consume row names channel {} that ran the job, not {} that failed",
        second.channel_id, first.channel_id
    );
}

#[test]
fn a_timeout_and_a_refused_connection_are_retried_within_retry_times() {
    let app = spawn_app_with(Settings::relay().upstream_timeout_secs(1).retry_times(2));
    let stalled = app.upstream("stalled", 10);
    stalled.mock.set_fault(Fault::Stall(4_000));
    let dead_key = "dead-channel-secret-0123456789";
    app.remember_secret(dead_key);
    let dead = app.channel(&json!({
        "name": "dead",
        "type": "suno",
        "base_url": dead_base_url(),
        "key": dead_key,
        "models": "suno_music",
        "priority": 5,
    }));
    let healthy = app.upstream("healthy", 0);
    let c = app.customer("alice", 1_000_000);

    let started = std::time::Instant::now();
    let task_id = app.submit_music(&c.key, "patience");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the stall was cut at the 1 s timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(stalled.mock.stats().submit, 1);
    assert_eq!(healthy.mock.stats().submit, 1);
    let stored = app.db.task(&task_id);
    assert_eq!(stored.channel_id, healthy.channel_id);
    assert_ne!(stored.channel_id, dead);
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE);
}

#[test]
fn a_4xx_other_than_429_is_not_retried_and_is_refunded() {
    for code in [400, 402] {
        let app = spawn_app_with(Settings::relay());
        let first = app.upstream("first", 10);
        let second = app.upstream("second", 0);
        first.mock.set_fault(Fault::Http(code));
        let start = 1_000_000;
        let c = app.customer("alice", start);

        let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
        assert_relay_error(status, &body, code, "upstream_error");
        assert_eq!(first.mock.stats().submit, 1);
        assert_eq!(
            second.mock.stats().submit,
            0,
            "HTTP {code} is never retried"
        );
        assert_failed_and_refunded(&app, &c, start);
    }
}

#[test]
fn a_gateway_timeout_is_not_retried() {
    // 504/524: the job may have been taken, so another channel would run it twice.
    for code in [504, 524] {
        let app = spawn_app_with(Settings::relay());
        let first = app.upstream("first", 10);
        let second = app.upstream("second", 0);
        first.mock.set_fault(Fault::Http(code));
        let c = app.customer("alice", 1_000_000);
        let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
        assert_relay_error(status, &body, code, "upstream_error");
        assert_eq!(
            second.mock.stats().submit,
            0,
            "HTTP {code} is never retried"
        );
        assert_failed_and_refunded(&app, &c, 1_000_000);
    }
}

#[test]
fn every_channel_failing_returns_the_upstream_status_and_refunds_in_full() {
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    first.mock.set_fault(Fault::Http(500));
    second.mock.set_fault(Fault::Http(500));
    let start = 1_000_000;
    let c = app.customer_with_key(
        "alice",
        start,
        &json!({"name": "k", "remain_quota": 400_000}),
    );

    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "doomed"}));
    let message = assert_relay_error(status, &body, 500, "upstream_error");
    assert!(
        message.contains("500"),
        "carries the upstream's error: {message}"
    );
    assert_eq!(first.mock.stats().submit, 1);
    assert_eq!(second.mock.stats().submit, 1);

    let task = assert_failed_and_refunded(&app, &c, start);
    let reason = task["fail_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("500"), "the upstream's failure: {reason}");
    assert_eq!(
        app.db.key(c.key_id).remain_quota,
        400_000,
        "the key got its quota back"
    );
    assert_eq!(app.channel_view(first.channel_id)["used_quota"], 0);
    assert_eq!(app.channel_view(second.channel_id)["used_quota"], 0);
}

#[test]
fn a_rate_limit_on_every_channel_comes_back_as_429() {
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    first.mock.set_fault(Fault::Http(429));
    second.mock.set_fault(Fault::Http(429));
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "too fast"}));
    assert_relay_error(status, &body, 429, "upstream_error");
    assert_eq!(first.mock.stats().submit, 1, "429 is retried elsewhere");
    assert_eq!(second.mock.stats().submit, 1);
    assert_failed_and_refunded(&app, &c, 1_000_000);
}

#[test]
fn an_unusable_answer_from_the_upstream_is_502_and_refunded() {
    for fault in [
        Fault::MalformedJson,
        Fault::CodeNotSuccess,
        Fault::Disconnect,
    ] {
        let app = spawn_app_with(Settings::relay());
        let only = app.upstream("only", 0);
        only.mock.set_fault(fault.clone());
        let c = app.customer("alice", 1_000_000);
        let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
        assert_relay_error(status, &body, 502, "upstream_error");
        assert_failed_and_refunded(&app, &c, 1_000_000);
        assert!(only.mock.stats().submit >= 1, "{fault}");
    }
}

#[test]
fn retry_times_bounds_the_attempts() {
    for retry_times in [0u32, 1] {
        let app = spawn_app_with(Settings::relay().retry_times(retry_times));
        let ups: Vec<_> = [10, 5, 0]
            .into_iter()
            .map(|p| {
                let up = app.upstream(&format!("p{p}"), p);
                up.mock.set_fault(Fault::Http(503));
                up
            })
            .collect();
        let c = app.customer("alice", 1_000_000);
        let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
        assert_relay_error(status, &body, 503, "upstream_error");
        let attempts: Vec<u64> = ups.iter().map(|u| u.mock.stats().submit).collect();
        let expected: Vec<u64> = (0..3).map(|i| u64::from(i <= retry_times)).collect();
        assert_eq!(
            attempts, expected,
            "retry_times {retry_times}: one attempt plus the retries"
        );
        assert_failed_and_refunded(&app, &c, 1_000_000);
    }
}

#[test]
fn the_highest_priority_channel_takes_every_job_while_it_works() {
    let app = spawn_app_with(Settings::relay());
    let high = app.upstream("high", 10);
    let low = app.upstream("low", 0);
    let c = app.customer("alice", 1_000_000);
    for i in 0..5 {
        app.submit_music(&c.key, &format!("song {i}"));
    }
    assert_eq!(high.mock.stats().submit, 5);
    assert_eq!(low.mock.stats().submit, 0);
}

#[test]
fn channels_of_one_priority_share_the_jobs() {
    let app = spawn_app_with(Settings::relay());
    let a = app.upstream("a", 0);
    let b = app.upstream("b", 0);
    let c = app.customer("alice", 100 * MUSIC_CHARGE);
    for i in 0..40 {
        app.submit_music(&c.key, &format!("song {i}"));
    }
    let (na, nb) = (a.mock.stats().submit, b.mock.stats().submit);
    assert_eq!(na + nb, 40);
    // Equal weights: all 40 on one side has probability 2^-39.
    assert!(na > 0 && nb > 0, "both channels got jobs: {na} and {nb}");
}

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
    let app = spawn_app_with(Settings::relay());
    let old = app.upstream("old", 0);
    let c = app.customer("alice", 1_000_000);
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
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let alice = app.customer("alice", 1_000_000);
    let bob = app.customer("bob", 1_000_000);
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
    let app = spawn_app_with(Settings::relay());
    let old = app.upstream("old", 0);
    let c = app.customer("alice", 1_000_000);
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
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
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
