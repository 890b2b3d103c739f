//! The polling worker against the Suno simulator: status mapping, exactly-once
//! refunds (upstream failure, timeout, orphan, deleted channel, concurrent
//! passes), backoff on a failing upstream, and the server's own worker thread.
//!
//! Passes are driven by hand with `run_once` and a manual clock; each test
//! places the clock on both sides of the horizon it checks.

use std::sync::Barrier;
use std::time::Duration;

use serde_json::{Value, json};

use crate::kit::app::MANUAL_TASK_TIMEOUT_SECS as TASK_TIMEOUT_SECS;
use crate::kit::worker::PAYER_QUOTA;
use crate::kit::{
    Balances, MUSIC_CHARGE, PassReport, Settings, as_root, assert_ok, instant_mock, slow_mock,
    spawn_payer_app, unix_now,
};
use crate::mock::{FAIL_REASON, FORCED_FAIL_REASON, Fault};

/// Longer than the largest backoff (32 poll intervals plus 25% jitter).
const PAST_ANY_BACKOFF_MS: i64 = 60_000;

/// Asserts the shape of a finished music task as a client sees it.
fn assert_succeeded_with_two_clips(view: &Value) {
    assert_eq!(view["status"], "SUCCESS", "{view}");
    assert_eq!(view["progress"], "100%", "{view}");
    assert_eq!(view["fail_reason"], "", "{view}");
    let finish = view["finish_time"].as_i64().expect("finish_time");
    assert!(finish > 0, "finish_time is set: {view}");
    assert!(
        finish >= view["submit_time"].as_i64().expect("submit_time"),
        "finished after submission: {view}"
    );
    let clips = view["data"].as_array().expect("data is the list of clips");
    assert_eq!(clips.len(), 2, "a music job makes two clips: {view}");
    for clip in clips {
        assert_eq!(clip["status"], "complete", "{clip}");
        let audio = clip["audio_url"].as_str().expect("audio_url");
        assert!(audio.ends_with(".mp3"), "the final audio: {clip}");
    }
}

#[test]
fn a_submitted_task_walks_through_the_statuses_to_success_with_two_clips() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
    assert_eq!(app.db.channel_used(up.channel_id), Some(MUSIC_CHARGE));

    let early = app.pass();
    assert_eq!(early.polled, 0, "not due before one poll interval: {early}");

    // The simulator still says NOT_START: the task does not fall back.
    let r = app.pass_when_due();
    assert_eq!((r.polled, r.updated), (1, 1), "{r}");
    let view = app.task_self(&payer.headers, &sub.task_id);
    assert_eq!(
        (view["status"].as_str(), view["progress"].as_str()),
        (Some("SUBMITTED"), Some("10%"))
    );

    for (word, progress) in [("QUEUED", "20%"), ("IN_PROGRESS", "30%")] {
        assert!(up.mock.set_status(&sub.upstream_id, word));
        let r = app.pass_when_due();
        assert_eq!((r.polled, r.updated, r.succeeded), (1, 1, 0), "{word}: {r}");
        let view = app.task_self(&payer.headers, &sub.task_id);
        assert_eq!(view["status"], word, "{view}");
        assert_eq!(view["progress"], progress, "{view}");
        assert_eq!(view["finish_time"], 0, "{view}");
    }
    let running = app.task_self(&payer.headers, &sub.task_id);
    assert!(
        running["start_time"].as_i64() > Some(0),
        "IN_PROGRESS sets start_time: {running}"
    );
    let clips = running["data"].as_array().expect("streaming clips");
    assert_eq!(clips.len(), 2, "{running}");
    assert!(
        clips.iter().all(|c| c["status"] == "streaming"),
        "{running}"
    );

    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    let r = app.pass_when_due();
    assert_eq!((r.polled, r.succeeded, r.refunded()), (1, 1, 0), "{r}");
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &sub.task_id));
    let relayed = app.relay_fetch(&payer.key, &sub.task_id);
    assert_succeeded_with_two_clips(&relayed);
    assert_eq!(relayed["task_id"], sub.task_id.as_str());

    // A success keeps its charge.
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
    assert_eq!(app.db.channel_used(up.channel_id), Some(MUSIC_CHARGE));
    assert!(app.db.refunds(&sub.task_id).is_empty());

    // A final task is never polled again.
    up.mock.reset_stats();
    app.advance_ms(PAST_ANY_BACKOFF_MS);
    let r = app.pass();
    assert!(r.is_idle(), "{r}");
    assert_eq!(up.mock.stats().fetch, 0);
}

#[test]
fn an_upstream_failure_is_refunded_exactly_once() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    app.pass_when_due();
    assert!(up.mock.set_status(&sub.upstream_id, "FAILURE"));

    let r = app.pass_when_due();
    assert_eq!((r.polled, r.failed, r.refunded()), (1, 1, 1), "{r}");
    let task = app.assert_refunded_once(&sub.task_id);
    assert_eq!(
        task.fail_reason, FORCED_FAIL_REASON,
        "the upstream's reason is kept"
    );
    let data: Value = serde_json::from_str(&task.data).expect("data is JSON");
    let clips = data.as_array().expect("the upstream's clips are kept");
    assert!(
        clips.len() == 2 && clips.iter().all(|c| c["status"] == "error"),
        "{data}"
    );
    assert_eq!(app.balances(&payer), Balances::payer_start());
    assert_eq!(app.db.channel_used(up.channel_id), Some(0));
    let view = app.task_self(&payer.headers, &sub.task_id);
    assert_eq!(view["status"], "FAILURE", "{view}");
    assert_eq!(view["fail_reason"], FORCED_FAIL_REASON, "{view}");

    // Later passes, past every horizon, find nothing to do, whatever the upstream says.
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    for step in [1_000, PAST_ANY_BACKOFF_MS, TASK_TIMEOUT_SECS * 1000] {
        app.advance_ms(step);
        let r = app.pass();
        assert!(r.is_idle(), "{r}");
    }
    let task = app.assert_refunded_once(&sub.task_id);
    assert_eq!(task.fail_reason, FORCED_FAIL_REASON);
    assert_eq!(app.balances(&payer), Balances::payer_start());
}

#[test]
fn a_failed_task_whose_key_was_deleted_refunds_the_user_alone() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    let (status, body) = app.delete(&format!("/api/token/{}", payer.key_id), &payer.headers);
    assert_ok(status, &body);
    assert!(up.mock.set_status(&sub.upstream_id, "FAILURE"));

    let r = app.pass_when_due();
    assert_eq!((r.failed, r.errors), (1, 0), "{r}");
    app.assert_refunded_once(&sub.task_id);
    assert_eq!(app.user_balance(payer.id), (PAYER_QUOTA, 0));
    assert_eq!(
        app.key_balance(payer.key_id),
        None,
        "no key is brought back"
    );
    assert_eq!(
        app.db.refunds(&sub.task_id)[0].token_id,
        0,
        "the row names no key"
    );
}

#[test]
fn a_failed_task_on_an_unlimited_key_leaves_its_remain_quota_alone() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let (unlimited_id, unlimited) = app.new_key(
        &payer.headers,
        &json!({"name": "unlimited", "unlimited_quota": true}),
    );
    let before = app.key_balance(unlimited_id).expect("the unlimited key");
    let sub = app.submit_tracked(&unlimited);
    assert_eq!(
        app.key_balance(unlimited_id),
        Some((before.0, MUSIC_CHARGE))
    );
    assert!(up.mock.set_status(&sub.upstream_id, "FAILURE"));

    assert_eq!(app.pass_when_due().failed, 1);
    app.assert_refunded_once(&sub.task_id);
    assert_eq!(app.user_balance(payer.id), (PAYER_QUOTA, 0));
    assert_eq!(app.key_balance(unlimited_id), Some((before.0, 0)));
    assert_eq!(
        app.balances(&payer),
        Balances::payer_start(),
        "the other key is untouched"
    );
}

#[test]
fn a_task_past_the_timeout_fails_with_a_refund() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    app.pass_when_due();
    // The poll may have copied the upstream's submit time: the horizon counts from the stored one.
    let submitted = app.db.task(&sub.task_id).submit_time;

    app.move_to_ms((submitted + TASK_TIMEOUT_SECS - 1) * 1000);
    let r = app.pass();
    assert_eq!((r.timed_out, r.polled), (0, 1), "one second early: {r}");
    assert_eq!(app.db.task(&sub.task_id).status, "SUBMITTED");

    app.move_to_ms((submitted + TASK_TIMEOUT_SECS + 1) * 1000);
    let r = app.pass();
    assert_eq!((r.timed_out, r.refunded()), (1, 1), "{r}");
    let task = app.assert_refunded_once(&sub.task_id);
    assert_eq!(
        task.fail_reason,
        format!("task timed out after {TASK_TIMEOUT_SECS} s")
    );
    assert_eq!(app.balances(&payer), Balances::payer_start());
    assert_eq!(app.db.channel_used(up.channel_id), Some(0));

    // A late success upstream does not bring it back.
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    app.advance_ms(PAST_ANY_BACKOFF_MS);
    assert!(app.pass().is_idle());
    assert_eq!(app.db.task(&sub.task_id).status, "FAILURE");
    assert_eq!(app.balances(&payer), Balances::payer_start());
}

#[test]
fn an_orphaned_reservation_is_refunded_after_the_grace() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let orphan = app.reserve_only(&payer, up.channel_id);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
    let grace = app.orphan_grace_secs();
    assert!(
        grace < TASK_TIMEOUT_SECS,
        "the orphan sweep, not the timeout, decides here"
    );

    // Within the grace the submission may still be in flight.
    app.move_to_ms((orphan.submit_time + grace - 1) * 1000);
    let r = app.pass();
    assert_eq!(r.orphaned, 0, "{r}");
    assert_eq!(app.db.task(&orphan.task_id).status, "NOT_START");
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));

    app.move_to_ms((orphan.submit_time + grace + 1) * 1000);
    let r = app.pass();
    assert_eq!((r.orphaned, r.refunded(), r.polled), (1, 1, 0), "{r}");
    app.assert_refunded_once(&orphan.task_id);
    assert_eq!(app.balances(&payer), Balances::payer_start());
    assert_eq!(
        app.db.channel_used(up.channel_id),
        Some(0),
        "never charged to the channel"
    );

    // A submission that completes after all cannot revive or re-refund it.
    let accepted = app.accept_late(orphan.id, up.channel_id, "late-upstream-id");
    assert!(!accepted, "a settled reservation cannot be accepted");
    app.advance_ms(PAST_ANY_BACKOFF_MS);
    assert!(app.pass().is_idle());
    app.assert_refunded_once(&orphan.task_id);
    assert_eq!(app.balances(&payer), Balances::payer_start());
}

#[test]
fn a_task_of_a_deleted_channel_is_refunded() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    app.pass_when_due();
    let (status, body) = app.delete(&format!("/api/channel/{}", up.channel_id), &as_root());
    assert_ok(status, &body);

    up.mock.reset_stats();
    let r = app.pass_when_due();
    assert_eq!((r.channel_gone, r.refunded(), r.polled), (1, 1, 0), "{r}");
    let task = app.assert_refunded_once(&sub.task_id);
    assert!(task.fail_reason.contains("channel"), "{task:?}");
    assert_eq!(app.balances(&payer), Balances::payer_start());
    assert_eq!(up.mock.stats().fetch, 0, "a deleted channel is not polled");

    app.advance_ms(PAST_ANY_BACKOFF_MS);
    assert!(app.pass().is_idle());
    app.assert_refunded_once(&sub.task_id);
}

#[test]
fn a_disabled_channel_keeps_being_polled() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    let (status, body) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": up.channel_id, "status": 2}),
    );
    assert_ok(status, &body);
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));

    let r = app.pass_when_due();
    assert_eq!((r.polled, r.succeeded, r.refunded()), (1, 1, 0), "{r}");
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &sub.task_id));
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

/// A whole-request failure leaves the task as it was and pushes it back:
/// over 20 passes in 5 s the upstream sees a couple of requests, not 20.
/// Once the upstream recovers, the next due pass settles the task.
fn a_failing_upstream_is_backed_off_then_recovers(fault: Fault, upstream_timeout_secs: u64) {
    let settings = Settings::manual().upstream_timeout_secs(upstream_timeout_secs);
    let (app, up, payer) = spawn_payer_app(settings, slow_mock());
    let sub = app.submit_tracked(&payer.key);
    let before = app.db.task(&sub.task_id);
    up.mock.set_fault(fault.clone());
    up.mock.reset_stats();

    let first = app.pass_when_due();
    assert_eq!(
        (
            first.polled,
            first.request_failures,
            first.deferred,
            first.updated
        ),
        (1, 1, 1, 0),
        "{fault}: {first}"
    );
    let mut failures = first.request_failures;
    for _ in 0..20 {
        app.advance_ms(250);
        let r = app.pass();
        assert_eq!(
            (r.updated, r.refunded(), r.errors),
            (0, 0, 0),
            "{fault}: {r}"
        );
        assert_eq!(
            r.deferred, r.polled,
            "{fault}: every polled task is pushed back: {r}"
        );
        failures += r.request_failures;
    }
    let fetches = up.mock.stats().fetch;
    assert_eq!(fetches, failures as u64, "{fault}: every fetch failed");
    assert!(
        (2..=3).contains(&fetches),
        "{fault}: retried with backoff, not hammered: {fetches} fetches in 21 passes"
    );

    let after = app.db.task(&sub.task_id);
    assert_eq!(
        (
            &after.status,
            &after.progress,
            &after.fail_reason,
            &after.data
        ),
        (
            &before.status,
            &before.progress,
            &before.fail_reason,
            &before.data
        ),
        "{fault}: no state change"
    );
    assert_eq!(
        (
            after.submit_time,
            after.start_time,
            after.finish_time,
            after.refunded,
            after.updated_at
        ),
        (
            before.submit_time,
            before.start_time,
            before.finish_time,
            before.refunded,
            before.updated_at
        ),
        "{fault}: no state change"
    );
    assert!(after.next_poll_at_ms > app.now_ms(), "{fault}: pushed back");
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
    assert_eq!(app.db.refund_count(), 0);

    up.mock.set_fault(Fault::None);
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    app.advance_ms(PAST_ANY_BACKOFF_MS);
    let r = app.pass();
    assert_eq!(
        (r.polled, r.succeeded, r.request_failures),
        (1, 1, 0),
        "{fault}: {r}"
    );
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &sub.task_id));
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

#[test]
fn an_upstream_500_defers_without_change_then_recovers() {
    a_failing_upstream_is_backed_off_then_recovers(Fault::Http(500), 2);
}

#[test]
fn an_upstream_429_defers_without_change_then_recovers() {
    a_failing_upstream_is_backed_off_then_recovers(Fault::Http(429), 2);
}

#[test]
fn a_stalled_upstream_times_out_and_defers_then_recovers() {
    a_failing_upstream_is_backed_off_then_recovers(Fault::Stall(3_000), 1);
}

#[test]
fn malformed_json_defers_without_change_then_recovers() {
    a_failing_upstream_is_backed_off_then_recovers(Fault::MalformedJson, 2);
}

#[test]
fn a_code_other_than_success_defers_without_change_then_recovers() {
    a_failing_upstream_is_backed_off_then_recovers(Fault::CodeNotSuccess, 2);
}

#[test]
fn a_dropped_connection_defers_without_change_then_recovers() {
    a_failing_upstream_is_backed_off_then_recovers(Fault::Disconnect, 2);
}

#[test]
fn a_failing_channel_does_not_hold_back_another() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let on_first = app.submit_tracked(&payer.key);
    let other = app.attach(slow_mock(), "other", 10);
    let on_other = app.submit_tracked(&payer.key);
    assert_eq!(
        app.db.task(&on_other.task_id).channel_id,
        other.channel_id,
        "the higher priority wins"
    );

    up.mock.set_fault(Fault::Http(503));
    assert!(other.mock.set_status(&on_other.upstream_id, "SUCCESS"));
    let r = app.pass_when_due();
    assert_eq!(
        (r.polled, r.request_failures, r.deferred, r.succeeded),
        (2, 1, 1, 1),
        "{r}"
    );
    assert_eq!(app.db.task(&on_first.task_id).status, "SUBMITTED");
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &on_other.task_id));
}

#[test]
fn fetches_go_in_batches_of_fetch_batch() {
    let settings = Settings::manual().fetch_batch(2);
    let (app, up, payer) = spawn_payer_app(settings, slow_mock());
    let tasks: Vec<_> = (0..5).map(|_| app.submit_tracked(&payer.key)).collect();
    for t in &tasks {
        assert!(up.mock.set_status(&t.upstream_id, "SUCCESS"));
    }
    up.mock.reset_stats();
    let r = app.pass_when_due();
    assert_eq!((r.polled, r.succeeded), (5, 5), "{r}");
    let stats = up.mock.stats();
    assert_eq!(
        (stats.fetch, stats.fetched_ids),
        (3, 5),
        "batches of 2, 2 and 1"
    );
}

#[test]
fn an_unknown_status_word_is_unknown_then_success() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    assert!(up.mock.set_status(&sub.upstream_id, "WEIRD"));

    for _ in 0..2 {
        let r = app.pass_when_due();
        assert_eq!((r.polled, r.updated, r.refunded()), (1, 1, 0), "{r}");
        let view = app.task_self(&payer.headers, &sub.task_id);
        assert_eq!(view["status"], "UNKNOWN", "{view}");
        assert_eq!(
            view["progress"], "10%",
            "the last known progress stays: {view}"
        );
        assert_eq!(view["finish_time"], 0, "{view}");
    }

    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    let r = app.pass_when_due();
    assert_eq!(r.succeeded, 1, "an UNKNOWN task keeps being polled: {r}");
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &sub.task_id));
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

#[test]
fn a_task_missing_from_the_answer_keeps_polling_until_the_timeout() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    let submitted = app.db.task(&sub.task_id).submit_time;
    assert!(up.mock.forget(&sub.upstream_id));

    let r = app.pass_when_due();
    assert_eq!(
        (r.polled, r.missing, r.deferred, r.updated),
        (1, 1, 1, 0),
        "{r}"
    );
    for round in 1..=3u64 {
        up.mock.reset_stats();
        app.advance_ms(PAST_ANY_BACKOFF_MS);
        let r = app.pass();
        assert_eq!(
            (r.polled, r.missing, r.refunded()),
            (1, 1, 0),
            "round {round}: {r}"
        );
        assert_eq!(
            up.mock.stats().fetched_ids,
            1,
            "asked again in round {round}"
        );
        let task = app.db.task(&sub.task_id);
        assert_eq!(
            (task.status.as_str(), task.progress.as_str()),
            ("SUBMITTED", "10%")
        );
        assert_eq!(task.refunded, 0);
    }
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));

    app.move_to_ms((submitted + TASK_TIMEOUT_SECS + 1) * 1000);
    let r = app.pass();
    assert_eq!(r.timed_out, 1, "{r}");
    let task = app.assert_refunded_once(&sub.task_id);
    assert_eq!(
        task.fail_reason,
        format!("task timed out after {TASK_TIMEOUT_SECS} s")
    );
    assert_eq!(app.balances(&payer), Balances::payer_start());
}

#[test]
fn a_task_never_moves_backwards() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    assert!(up.mock.set_status(&sub.upstream_id, "IN_PROGRESS"));
    app.pass_when_due();
    let running = app.db.task(&sub.task_id);
    assert_eq!(
        (running.status.as_str(), running.progress.as_str()),
        ("IN_PROGRESS", "30%")
    );
    assert!(running.start_time > 0);

    for word in ["QUEUED", "SUBMITTED", "NOT_START"] {
        assert!(up.mock.set_status(&sub.upstream_id, word));
        let r = app.pass_when_due();
        assert_eq!(r.polled, 1, "{word}: {r}");
        let task = app.db.task(&sub.task_id);
        assert_eq!(
            (
                task.status.as_str(),
                task.progress.as_str(),
                task.start_time
            ),
            ("IN_PROGRESS", "30%", running.start_time),
            "upstream said {word}"
        );
    }

    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    assert_eq!(app.pass_when_due().succeeded, 1);
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &sub.task_id));
}

#[test]
fn answers_about_ids_not_asked_for_are_ignored() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    // Two made-up FAILURE tasks lead the answer.
    up.mock.set_fault(Fault::ExtraIds);
    let r = app.pass_when_due();
    assert_eq!((r.succeeded, r.failed, r.refunded()), (1, 0, 0), "{r}");
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &sub.task_id));
    assert_eq!(app.db.refund_count(), 0);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

#[test]
fn upstream_times_in_milliseconds_are_read_as_seconds() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    up.mock.set_fault(Fault::MillisecondTimes);
    assert_eq!(app.pass_when_due().succeeded, 1);
    let task = app.db.task(&sub.task_id);
    let now = unix_now();
    for (name, t) in [
        ("submit_time", task.submit_time),
        ("finish_time", task.finish_time),
    ] {
        assert!(
            (t - now).abs() < 3600,
            "{name} is in unix seconds: {t} (now {now})"
        );
    }
}

#[test]
fn a_huge_answer_neither_panics_nor_corrupts() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    up.mock.set_fault(Fault::HugeBody);
    let r = app.pass_when_due();
    assert_eq!((r.polled, r.errors, r.refunded()), (1, 0, 0), "{r}");
    let task = app.db.task(&sub.task_id);
    assert!(
        (task.status == "SUCCESS" && r.succeeded == 1)
            || (task.status == "SUBMITTED" && r.request_failures == 1),
        "either read or refused as a whole: {r}, {task:?}"
    );
    assert!(!task.data.contains("xxxxxxxx"), "the padding is not stored");
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

/// Runs `passes` at the same moment, one per thread; returns their reports.
fn at_once(passes: Vec<Box<dyn FnOnce() -> PassReport + Send + '_>>) -> Vec<PassReport> {
    let barrier = Barrier::new(passes.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = passes
            .into_iter()
            .map(|pass| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    pass()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a pass panicked"))
            .collect()
    })
}

#[test]
fn two_passes_at_once_refund_each_failed_task_once() {
    const TASKS: usize = 10;
    let (app, up, payer) = spawn_payer_app(Settings::manual(), instant_mock(1.0));
    for round in 1..=3 {
        let subs: Vec<_> = (0..TASKS).map(|_| app.submit_tracked(&payer.key)).collect();
        assert_eq!(
            app.balances(&payer),
            Balances::payer_after_charges(TASKS as i64)
        );
        app.move_to_due();
        let reports = at_once(vec![Box::new(|| app.pass()), Box::new(|| app.pass())]);
        let refunded: usize = reports.iter().map(PassReport::refunded).sum();
        assert_eq!(refunded, TASKS, "round {round}: {reports:?}");

        assert_eq!(
            reports.iter().map(|r| r.errors).sum::<usize>(),
            0,
            "{reports:?}"
        );
        for sub in &subs {
            let task = app.assert_refunded_once(&sub.task_id);
            assert_eq!(task.fail_reason, FAIL_REASON);
        }
        assert_eq!(
            app.balances(&payer),
            Balances::payer_start(),
            "round {round}"
        );
        assert_eq!(app.db.refund_count(), (round * TASKS) as i64);
        assert_eq!(app.db.channel_used(up.channel_id), Some(0));
    }
}

#[test]
fn a_poll_and_the_timeout_sweep_at_once_refund_each_task_once() {
    const TASKS: usize = 10;
    let (app, _, payer) = spawn_payer_app(Settings::manual(), instant_mock(1.0));
    let subs: Vec<_> = (0..TASKS).map(|_| app.submit_tracked(&payer.key)).collect();
    app.move_to_due();
    // A second pass whose clock is past every task's timeout.
    let late = app.now_ms() + (TASK_TIMEOUT_SECS + 5) * 1000;
    let late_pass = || app.pass_at_ms(late);
    let reports = at_once(vec![Box::new(|| app.pass()), Box::new(late_pass)]);
    let refunded: usize = reports.iter().map(PassReport::refunded).sum();
    assert_eq!(refunded, TASKS, "{reports:?}");
    for sub in &subs {
        app.assert_refunded_once(&sub.task_id);
    }
    assert_eq!(app.balances(&payer), Balances::payer_start());
    assert_eq!(app.db.refund_count(), TASKS as i64);
}

#[test]
fn the_servers_own_worker_settles_tasks_end_to_end() {
    let settings = Settings::manual().with_worker().poll_interval_ms(200);
    // Every second task fails: the first succeeds, the second fails.
    let (app, _, payer) = spawn_payer_app(settings, instant_mock(0.5));
    let good = app.submit_tracked(&payer.key);
    let bad = app.submit_tracked(&payer.key);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(2));

    let done = app.wait_until_final(&payer.headers, &good.task_id, Duration::from_secs(10));
    assert_succeeded_with_two_clips(&done);
    let failed = app.wait_until_final(&payer.headers, &bad.task_id, Duration::from_secs(10));
    assert_eq!(failed["status"], "FAILURE", "{failed}");
    assert_eq!(failed["fail_reason"], FAIL_REASON, "{failed}");
    app.assert_refunded_once(&bad.task_id);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
    assert_succeeded_with_two_clips(&app.relay_fetch(&payer.key, &good.task_id));
}
