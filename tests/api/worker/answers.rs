//! Reading the upstream's answers: unknown status words, tasks missing from
//! the answer, statuses that would move a task backwards, ids not asked
//! for, times in milliseconds, and an answer too large to read.

use super::{PAST_ANY_BACKOFF_MS, assert_succeeded_with_two_clips};
use crate::kit::app::MANUAL_TASK_TIMEOUT_SECS as TASK_TIMEOUT_SECS;
use crate::kit::worker::Submitted;
use crate::kit::{Balances, Customer, Settings, TestApp, slow_mock, spawn_payer_app, unix_now};
use crate::mock::Fault;

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

/// The payer's task, SUCCESS upstream, which answers the next fetches with `fault`.
fn a_success_answered_with(fault: Fault) -> (TestApp, Customer, Submitted) {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    up.mock.set_fault(fault);
    (app, payer, sub)
}

#[test]
fn answers_about_ids_not_asked_for_are_ignored() {
    // Two made-up FAILURE tasks lead the answer.
    let (app, payer, sub) = a_success_answered_with(Fault::ExtraIds);
    let r = app.pass_when_due();
    assert_eq!((r.succeeded, r.failed, r.refunded()), (1, 0, 0), "{r}");
    assert_succeeded_with_two_clips(&app.task_self(&payer.headers, &sub.task_id));
    assert_eq!(app.db.refund_count(), 0);
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

#[test]
fn upstream_times_in_milliseconds_are_read_as_seconds() {
    let (app, _, sub) = a_success_answered_with(Fault::MillisecondTimes);
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
    let (app, payer, sub) = a_success_answered_with(Fault::HugeBody);
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
