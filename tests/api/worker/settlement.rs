//! Settlement: a task walks to SUCCESS and keeps its charge, or fails and
//! is refunded exactly once, whoever ended it (the upstream, the timeout,
//! the orphan sweep, a deleted channel), whatever happened to its key.

use serde_json::{Value, json};

use super::{PAST_ANY_BACKOFF_MS, assert_succeeded_with_two_clips};
use crate::kit::app::MANUAL_TASK_TIMEOUT_SECS as TASK_TIMEOUT_SECS;
use crate::kit::worker::PAYER_QUOTA;
use crate::kit::{
    Balances, MUSIC_CHARGE, Settings, as_root, assert_ok, slow_mock, spawn_payer_app,
};
use crate::mock::FORCED_FAIL_REASON;

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
