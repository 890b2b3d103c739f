//! Every path that refunds adds to `taskcenter_quota_refunded_total` once
//! its transaction commits: the timeout sweep, a deleted channel's sweep,
//! a hand settlement; a refused one (already final) adds nothing.

use serde_json::json;

use super::scrape;
use crate::kit::app::MANUAL_TASK_TIMEOUT_SECS;
use crate::kit::{LOG_REFUND, MUSIC_CHARGE, Settings, as_root, slow_mock, spawn_payer_app};

#[test]
fn timeouts_deleted_channels_and_hand_settlements_count_their_refunds_once() {
    let (app, up, payer) = spawn_payer_app(Settings::manual().metrics(), slow_mock());
    let refunded = || scrape(&app, None).sum("taskcenter_quota_refunded_total", &[]);
    let ledger = || {
        app.db.scalar(
            "SELECT COALESCE(SUM(quota), 0) FROM logs WHERE type = ?1",
            [LOG_REFUND],
        ) as f64
    };

    // By hand: refunded once; a second try is 409 and adds nothing.
    let by_hand = app.submit_tracked(&payer.key);
    let path = format!("/api/task/{}/settle", by_hand.task_id);
    let body = json!({"status": "FAILURE", "reason": "stuck"});
    assert_eq!(app.post(&path, &as_root(), &body).0, 200);
    assert_eq!(app.post(&path, &as_root(), &body).0, 409);
    assert_eq!(refunded(), MUSIC_CHARGE as f64);

    // A deleted channel's task.
    let _orphan = app.submit_tracked(&payer.key);
    let (status, _) = app.delete(&format!("/api/channel/{}", up.channel_id), &as_root());
    assert_eq!(status, 200);
    let r = app.pass();
    assert_eq!(r.channel_gone, 1, "{r}");
    assert_eq!(refunded(), 2.0 * MUSIC_CHARGE as f64);

    // The timeout sweep, on another channel.
    let _second = app.upstream("second", 0);
    let _late = app.submit_tracked(&payer.key);
    app.advance_ms((MANUAL_TASK_TIMEOUT_SECS + 1) * 1000);
    let r = app.pass();
    assert_eq!(r.timed_out, 1, "{r}");

    let s = scrape(&app, None);
    assert_eq!(
        s.sum("taskcenter_quota_refunded_total", &[]),
        3.0 * MUSIC_CHARGE as f64
    );
    assert_eq!(s.sum("taskcenter_quota_refunded_total", &[]), ledger());
    assert_eq!(
        s.sum("taskcenter_worker_tasks_total", &[("event", "timed_out")]),
        1.0
    );
    assert_eq!(
        s.sum(
            "taskcenter_worker_tasks_total",
            &[("event", "channel_gone")]
        ),
        1.0
    );
    assert_eq!(s.sum("taskcenter_tasks_in_flight", &[]), 0.0);
}
