//! An upstream's clock: the times in its answers never replace the task's
//! own `submit_time` (deadlines run from it), and its start and finish
//! times are kept only between the submission and now. The mock reports
//! true times (and milliseconds are read as such), so an upstream from the
//! year 5138 is a [`OneOff`].

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{OneOff, reply};
use crate::kit::app::MANUAL_TASK_TIMEOUT_SECS;
use crate::kit::upstream::unique_secret;
use crate::kit::{Customer, Settings, TestApp, assert_clean, spawn_app_with};

/// Unix seconds in the year 5138: the largest number still read as seconds.
const FAR_FUTURE: i64 = 99_999_999_999;
/// The id the upstream gives every job.
const UPSTREAM_ID: &str = "future-task-1";

/// A Suno upstream whose clock is far ahead: it takes every job and
/// reports it in the status word `status` says, with every time set to
/// [`FAR_FUTURE`].
fn future_upstream(status: Arc<Mutex<&'static str>>) -> OneOff {
    OneOff::answering(move |request| {
        let line = request.line();
        let data = if line.starts_with("POST /suno/submit/") {
            json!(UPSTREAM_ID)
        } else if line.starts_with("POST /suno/fetch") {
            json!([{
                "task_id": UPSTREAM_ID, "action": "MUSIC", "status": *status.lock().unwrap(),
                "fail_reason": "", "submit_time": FAR_FUTURE, "start_time": FAR_FUTURE,
                "finish_time": FAR_FUTURE, "data": [],
            }])
        } else {
            return reply("404 Not Found", "", "{}");
        };
        let body = json!({"code": "success", "message": "", "data": data});
        reply("200 OK", "", &body.to_string())
    })
}

/// A manual-clock app in front of `upstream`, and its payer.
fn app_in_front_of(upstream: &OneOff) -> (TestApp, Customer) {
    let app = spawn_app_with(Settings::manual());
    app.channel(&json!({
        "name": "future", "type": "suno", "base_url": upstream.url(),
        "key": unique_secret("channel-secret"), "models": "suno_music",
    }));
    let payer = app.payer();
    (app, payer)
}

/// The stuck-task violations of an audit report naming `task_id`.
fn stuck(report: &Value, task_id: &str) -> usize {
    report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["kind"] == "stuck_task" && v["task_id"] == task_id)
        .count()
}

#[test]
fn an_upstream_clock_far_ahead_moves_no_deadline() {
    // Pins: every poll copied the upstream's submit_time into the task, so
    // an upstream answering 99999999999 pushed the timeout to the year
    // 5138: the task never timed out, was never refunded, and the audit
    // never called it stuck.
    let status = Arc::new(Mutex::new("IN_PROGRESS"));
    let upstream = future_upstream(status);
    let (app, payer) = app_in_front_of(&upstream);
    let task_id = app.submit_tracked(&payer.key).task_id;
    let submitted = app.db.task(&task_id);

    app.pass_when_due();
    let polled = app.db.task(&task_id);
    assert_eq!(polled.status, "IN_PROGRESS", "{polled:?}");
    assert_eq!(polled.submit_time, submitted.submit_time, "{polled:?}");
    let now = app.now_ms() / 1000;
    assert!(
        (polled.submit_time..=now).contains(&polled.start_time),
        "a start time from the future is not believed: {polled:?}"
    );

    // Past the timeout plus one poll interval, no pass yet: stuck.
    app.move_to_ms((submitted.submit_time + MANUAL_TASK_TIMEOUT_SECS + 2) * 1000);
    assert_eq!(
        stuck(&app.audit_at_clock(), &task_id),
        1,
        "the audit flags it"
    );

    let report = app.pass();
    assert_eq!(report.timed_out, 1, "{report:?}");
    let failed = app.assert_refunded_once(&task_id);
    assert_eq!(
        failed.fail_reason,
        format!("task timed out after {MANUAL_TASK_TIMEOUT_SECS} s")
    );
    assert_eq!(failed.submit_time, submitted.submit_time);
    assert_clean(&app.audit_at_clock());
}

#[test]
fn a_finish_time_from_the_future_is_replaced_by_now() {
    // Pins: a final answer's finish_time was stored as given, so a task
    // could finish in the year 5138 (and, in the lists, after any filter's
    // end), and its submit_time moved along with it.
    let status = Arc::new(Mutex::new("SUCCESS"));
    let upstream = future_upstream(status);
    let (app, payer) = app_in_front_of(&upstream);
    let task_id = app.submit_tracked(&payer.key).task_id;
    let submitted = app.db.task(&task_id);

    app.pass_when_due();
    let done = app.db.task(&task_id);
    let now = app.now_ms() / 1000;
    assert_eq!(done.status, "SUCCESS", "{done:?}");
    assert_eq!(done.submit_time, submitted.submit_time, "{done:?}");
    assert!(
        (done.submit_time..=now).contains(&done.finish_time),
        "finish_time between the submission and now: {done:?}"
    );
    assert!(done.start_time <= now, "{done:?}");
    let view = app.relay_fetch(&payer.key, &task_id);
    assert_eq!(view["finish_time"], done.finish_time, "{view}");
    assert_eq!(view["submit_time"], submitted.submit_time, "{view}");
}
