//! A known workload, then one scrape: every number equals what happened
//! (the quota counters equal the ledger's sums).

use serde_json::json;

use super::{Scrape, scrape};
use crate::kit::{
    LOG_CONSUME, LOG_REFUND, MUSIC_CHARGE, Settings, as_root, slow_mock, spawn_payer_app,
};
use crate::mock::Fault;

#[test]
fn after_a_known_workload_the_scraped_numbers_equal_what_happened() {
    let (app, up, payer) = spawn_payer_app(Settings::manual().metrics(), slow_mock());
    let channel = up.channel_id.to_string();
    let channel = channel.as_str();

    // Three accepted submissions, then one the upstream refuses with a
    // 500: the relay refunds it before answering.
    let [done, failed, running] = [(); 3].map(|_| app.submit_tracked(&payer.key));
    up.mock.fail_next(1, Fault::Http(500));
    let (status, body) = app.submit(&payer.key, "music", &json!({"prompt": "refused"}));
    assert_ne!(status, 200, "{body}");
    // A job that never validates: rejected, under the action `other`.
    let (status, body) = app.submit(&payer.key, "no-such-action", &json!({}));
    assert!((400..500).contains(&status), "{status} {body}");

    // One pass: one task finishes, one fails with its refund, one runs on.
    assert!(up.mock.set_status(&done.upstream_id, "SUCCESS"));
    assert!(up.mock.set_status(&failed.upstream_id, "FAILURE"));
    let report = app.pass_when_due();
    assert_eq!(
        (report.polled, report.succeeded, report.failed),
        (3, 1, 1),
        "{report}"
    );

    // Some reads and a 404.
    for _ in 0..2 {
        let (status, _) = app.get("/api/task/self", &payer.headers);
        assert_eq!(status, 200);
    }
    let (status, _) = app.get(&format!("/api/user/{}", payer.id), &as_root());
    assert_eq!(status, 200);
    let (status, _) = app.get("/no-such-path", &as_root());
    assert_eq!(status, 404);

    let s = scrape(&app, None);
    let requests = |route: &str, method: &str, status: &str| {
        s.sum(
            "taskcenter_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/api/task/self", "GET", "200"), 2.0);
    assert_eq!(requests("/api/user/{id}", "GET", "200"), 1.0);
    assert_eq!(requests("other", "GET", "404"), 1.0);
    assert_eq!(requests("/suno/submit/{action}", "POST", "200"), 3.0);
    assert_eq!(
        s.sum(
            "taskcenter_http_request_duration_seconds_count",
            &[("route", "/api/task/self"), ("method", "GET")]
        ),
        2.0
    );
    // Raw paths never become labels.
    assert!(!s.has(
        "taskcenter_http_requests_total",
        &[("route", "/no-such-path")]
    ));

    let submissions = |action: &str, outcome: &str| {
        s.sum(
            "taskcenter_submissions_total",
            &[
                ("platform", "suno"),
                ("action", action),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(submissions("music", "accepted"), 3.0);
    assert_eq!(submissions("music", "upstream_failed"), 1.0);
    assert_eq!(submissions("other", "rejected"), 1.0);

    let upstream = |kind: &str, outcome: &str| {
        s.sum(
            "taskcenter_upstream_requests_total",
            &[("channel", channel), ("kind", kind), ("outcome", outcome)],
        )
    };
    assert_eq!(upstream("submit", "ok"), 3.0);
    assert_eq!(upstream("submit", "http_5xx"), 1.0);
    assert_eq!(upstream("fetch", "ok"), 1.0);
    assert_eq!(
        s.sum(
            "taskcenter_upstream_request_duration_seconds_count",
            &[("channel", channel), ("kind", "submit")]
        ),
        4.0
    );

    // Quota: 4 charges, 2 refunds (the relay's and the worker's), as the
    // ledger says.
    let ledger = |log_type: i64| {
        app.db.scalar(
            "SELECT COALESCE(SUM(quota), 0) FROM logs WHERE type = ?1",
            [log_type],
        ) as f64
    };
    let charged = s.sum("taskcenter_quota_charged_total", &[]);
    let refunded = s.sum("taskcenter_quota_refunded_total", &[]);
    assert_eq!(charged, ledger(LOG_CONSUME));
    assert_eq!(refunded, ledger(LOG_REFUND));
    assert_eq!(charged, 4.0 * MUSIC_CHARGE as f64);
    assert_eq!(refunded, 2.0 * MUSIC_CHARGE as f64);

    // The worker: one pass and what it did.
    assert_eq!(s.sum("taskcenter_worker_passes_total", &[]), 1.0);
    assert_eq!(
        s.sum("taskcenter_worker_pass_duration_seconds_count", &[]),
        1.0
    );
    let worker = |event: &str| s.sum("taskcenter_worker_tasks_total", &[("event", event)]);
    assert_eq!(worker("polled"), report.polled as f64);
    assert_eq!(worker("updated"), report.updated as f64);
    assert_eq!(worker("succeeded"), 1.0);
    assert_eq!(worker("failed"), 1.0);
    assert_eq!(worker("timed_out"), 0.0);
    assert!(s.sum("taskcenter_worker_last_pass_timestamp_seconds", &[]) > 0.0);

    // In flight: the one still running, as the store says.
    let in_flight = app.db.in_flight_count() as f64;
    assert_eq!(in_flight, 1.0, "{:?}", app.db.task(&running.task_id));
    assert_eq!(s.sum("taskcenter_tasks_in_flight", &[]), in_flight);
    assert_eq!(
        s.sum(
            "taskcenter_tasks_in_flight",
            &[
                ("platform", "suno"),
                ("status", &app.db.task(&running.task_id).status)
            ]
        ),
        1.0
    );
    assert!(s.has(
        "taskcenter_oldest_in_flight_age_seconds",
        &[("platform", "suno")]
    ));

    // Every write waited for the writer lock once: at least the charges,
    // the acceptances, the refund and the pass's batch.
    assert!(s.sum("taskcenter_store_writer_wait_seconds_count", &[]) >= 9.0);
}

#[test]
fn the_in_flight_gauges_drop_a_status_that_emptied_since_the_last_scrape() {
    let (app, up, payer) = spawn_payer_app(Settings::manual().metrics(), slow_mock());
    let sub = app.submit_tracked(&payer.key);
    let before = scrape(&app, None);
    assert_eq!(before.sum("taskcenter_tasks_in_flight", &[]), 1.0);
    assert!(up.mock.set_status(&sub.upstream_id, "SUCCESS"));
    app.pass_when_due();
    let after = scrape(&app, None);
    assert_eq!(after.sum("taskcenter_tasks_in_flight", &[]), 0.0);
    assert!(!after.has("taskcenter_oldest_in_flight_age_seconds", &[]));
    let _: &Scrape = &after;
}
