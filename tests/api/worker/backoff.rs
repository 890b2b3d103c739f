//! A failing upstream: a whole-request failure leaves the task as it was
//! and backs it off, then the next due pass settles it once the upstream
//! recovers; another channel is not held back; fetches go in batches.

use super::{PAST_ANY_BACKOFF_MS, assert_succeeded_with_two_clips};
use crate::kit::{Balances, Settings, slow_mock, spawn_payer_app};
use crate::mock::Fault;

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
