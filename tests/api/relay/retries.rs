//! Channel choice and retries: priorities and weights, which upstream
//! failures move a job to another channel within `retry_times`, and the
//! full refund when every attempt fails.

use serde_json::{Value, json};

use super::{alice_with_two_channels, only_task};
use crate::kit::{
    Customer, LOG_CONSUME, LOG_REFUND, MUSIC_CHARGE, Settings, TestApp, assert_relay_error,
    dead_base_url, spawn_app_with,
};
use crate::mock::Fault;

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
    let (app, first, second, c) = alice_with_two_channels(Fault::Http(500));

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
    let (app, first, second, c) = alice_with_two_channels(Fault::Http(500));
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

/// Alice's job fails with `code` on the first channel: refused with that
/// status, never tried on the second channel, refunded in full.
fn assert_not_retried(code: u16) {
    let (app, first, second, c) = alice_with_two_channels(Fault::Http(code));
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    assert_relay_error(status, &body, code, "upstream_error");
    assert_eq!(first.mock.stats().submit, 1);
    assert_eq!(
        second.mock.stats().submit,
        0,
        "HTTP {code} is never retried"
    );
    assert_failed_and_refunded(&app, &c, 1_000_000);
}

#[test]
fn a_4xx_other_than_429_and_the_credential_ones_is_not_retried_and_is_refunded() {
    // 401, 402 and 403 refuse the channel, not the job: another channel is
    // tried (channels/health.rs).
    for code in [400, 409] {
        assert_not_retried(code);
    }
}

#[test]
fn a_gateway_timeout_is_not_retried() {
    // 504/524: the job may have been taken, so another channel would run it twice.
    for code in [504, 524] {
        assert_not_retried(code);
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
    let (app, first, second, c) = alice_with_two_channels(Fault::Http(429));
    second.mock.set_fault(Fault::Http(429));
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
    let (app, high, low, c) = alice_with_two_channels(Fault::None);
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
