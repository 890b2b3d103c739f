//! Passes at once: two polls, or a poll and the timeout sweep, refund each
//! failed task once; and the server's own worker thread end to end.

use std::sync::Barrier;
use std::time::Duration;

use super::assert_succeeded_with_two_clips;
use crate::kit::app::MANUAL_TASK_TIMEOUT_SECS as TASK_TIMEOUT_SECS;
use crate::kit::{Balances, PassReport, Settings, instant_mock, spawn_payer_app};
use crate::mock::FAIL_REASON;

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
