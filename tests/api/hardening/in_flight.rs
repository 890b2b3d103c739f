//! The sweeps and a submission in flight: a task NOT_START without an
//! upstream id belongs to the request submitting it until the longest a
//! submission can take has passed. Neither the timeout sweep nor the
//! orphan sweep may fail and refund it while the upstream may still take
//! the job (which would then run for free, and the client get a 500).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::kit::{
    Balances, LOG_CONSUME, LOG_REFUND, Settings, TestApp, accepted_task_id, slow_mock,
    spawn_app_with, spawn_payer_app,
};
use crate::mock::Fault;

/// Kinds of the log rows written for a task, oldest first.
fn log_kinds(app: &TestApp, task_id: &str) -> Vec<i64> {
    app.db.logs_of(task_id).iter().map(|r| r.log_type).collect()
}

#[test]
fn the_running_worker_leaves_a_submission_in_flight_to_its_relay() {
    // Pins: the timeout sweep took every task past --task-timeout-secs, a
    // reservation whose submission was still in flight included: it was
    // failed and refunded, the upstream took the job anyway, and the
    // client got a 500 ("settled while its submission was in flight").
    let settings = Settings::default()
        .with_worker()
        .poll_interval_ms(20)
        .task_timeout_secs(1)
        .upstream_timeout_secs(10);
    let (app, up, payer) = spawn_payer_app(settings, slow_mock());
    // The upstream answers after three timeouts, while the worker passes
    // every 20 ms.
    up.mock.fail_next(1, Fault::Stall(3000));

    let started = Instant::now();
    let (status, body) = app.submit(&payer.key, "music", &json!({"prompt": "slowly"}));
    let task_id = accepted_task_id(status, &body);
    assert!(
        started.elapsed() >= Duration::from_millis(2900),
        "the submission was in flight for longer than the timeout"
    );
    let task = app.db.task(&task_id);
    assert_ne!(task.upstream_task_id, "", "accepted upstream: {task:?}");
    assert_eq!(log_kinds(&app, &task_id)[0], LOG_CONSUME, "charged");

    // Accepted more than a timeout after its submission, it now times out
    // like any task: refunded once, never as an orphan.
    app.wait_until_final(&payer.headers, &task_id, Duration::from_secs(10));
    let failed = app.assert_refunded_once(&task_id);
    assert_eq!(failed.fail_reason, "task timed out after 1 s");
    assert_eq!(failed.upstream_task_id, task.upstream_task_id);
    assert_eq!(log_kinds(&app, &task_id), [LOG_CONSUME, LOG_REFUND]);
    assert_eq!(app.balances(&payer), Balances::payer_start());
}

#[test]
fn no_sweep_settles_a_submission_in_flight_before_the_longest_submission_has_passed() {
    // Pins two bugs: the timeout sweep took in-flight reservations, and
    // the orphan grace ((retry_times + 1) × timeout + margin, 16 s here)
    // was shorter than a submission may take when each attempt uses every
    // stage's timeout (connect plus four stages: 30 s here), so a slow but
    // live submission was refunded as an orphan.
    let settings = Settings::manual().task_timeout_secs(5);
    let (app, up, payer) = spawn_payer_app(settings, slow_mock());
    // Inside the 2 s upstream timeout of the manual settings.
    up.mock.fail_next(1, Fault::Stall(1500));
    let old_grace = 3 * 2 + 10;
    let grace = app.orphan_grace_secs();
    assert!(grace > app.max_submission_secs() && app.max_submission_secs() > old_grace);

    let (status, body) = std::thread::scope(|s| {
        let submission = s.spawn(|| app.submit(&payer.key, "music", &json!({"prompt": "slowly"})));
        let deadline = Instant::now() + Duration::from_secs(5);
        while app.db.task_count(payer.id) == 0 {
            assert!(Instant::now() < deadline, "no reservation after 5 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        let reserved = &app.db.task_ids_of(payer.id)[0];
        let row = app.db.task(reserved);
        assert_eq!(
            (row.status.as_str(), row.upstream_task_id.as_str()),
            ("NOT_START", "")
        );
        // Passes at moments past the task timeout and the old grace, and
        // one second before the orphan grace.
        for after_secs in [5 + 1, old_grace + 1, grace - 1] {
            let report = app.pass_at_ms((row.submit_time + after_secs) * 1000);
            assert_eq!(
                (report.timed_out, report.orphaned),
                (0, 0),
                "{after_secs} s after the submission: {report:?}"
            );
        }
        assert!(
            !submission.is_finished(),
            "the passes ran while the submission was in flight"
        );
        submission.join().expect("the submission thread")
    });

    let task_id = accepted_task_id(status, &body);
    let task = app.db.task(&task_id);
    assert_eq!(task.status, "SUBMITTED", "{task:?}");
    assert_ne!(task.upstream_task_id, "", "{task:?}");
    assert_eq!(log_kinds(&app, &task_id), [LOG_CONSUME], "charged once");
    assert_eq!(app.balances(&payer), Balances::payer_after_charges(1));
}

#[test]
fn the_orphan_grace_outlasts_the_longest_submission() {
    // Pins: with the defaults, the old grace (3 × 60 + 60 = 240 s) was
    // shorter than a submission may take (3 × (10 + 4 × 60) = 750 s).
    let app = spawn_app_with(Settings::default().without_worker());
    assert_eq!(app.max_submission_secs(), 750, "as the README says");
    assert_eq!(app.orphan_grace_secs(), 810, "as the README says");
    assert!(app.orphan_grace_secs() > app.max_submission_secs());
}
