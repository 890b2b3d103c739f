//! Keys expire after `--idempotency-ttl-secs`; the worker purges them, a
//! bounded number per pass, on its injected clock.

use serde_json::json;

use super::{replayed, submit_keyed};
use crate::kit::upstream::mock;
use crate::kit::worker::KEY_PURGE_BATCH;
use crate::kit::{Settings, accepted_task_id, spawn_app_with, unix_now};

/// The default TTL: 24 h.
const TTL_SECS: i64 = 86_400;

#[test]
fn expired_keys_are_purged_by_the_worker_and_then_count_as_new() {
    let app = spawn_app_with(Settings::manual());
    app.attach(mock(), "main", 0);
    let c = app.customer("alice", 10_000_000);
    let body = json!({"prompt": "kept for a day"});
    let started = unix_now();
    let first = submit_keyed(&app, &c.key, "daily", "music", &body);
    let first_id = accepted_task_id(first.status, &first.body);

    // Just before the horizon: kept, still replayed.
    let report = app.pass_at_ms((started + TTL_SECS - 5) * 1000);
    assert_eq!(report.keys_expired, 0, "{report}");
    let kept = submit_keyed(&app, &c.key, "daily", "music", &body);
    assert!(replayed(&kept));
    assert_eq!(app.db.count("idempotency_keys"), 1);

    // Past it: purged, and the key is new again (another body is no 422).
    let report = app.pass_at_ms((started + TTL_SECS + 5) * 1000);
    assert_eq!(report.keys_expired, 1, "{report}");
    assert_eq!(app.db.count("idempotency_keys"), 0);
    let reused = submit_keyed(
        &app,
        &c.key,
        "daily",
        "music",
        &json!({"prompt": "a new day"}),
    );
    let new_id = accepted_task_id(reused.status, &reused.body);
    assert!(!replayed(&reused));
    assert_ne!(new_id, first_id);
}

#[test]
fn a_pass_purges_at_most_one_batch_of_expired_keys() {
    let app = spawn_app_with(Settings::manual());
    let batch = KEY_PURGE_BATCH as i64;
    let old = unix_now() - TTL_SECS - 60;
    // 1.5 batches of expired keys and 10 live ones.
    app.db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at)
         SELECT 1, 'old-' || i, 'h', 'done', ?2 FROM n",
        rusqlite::params![batch + batch / 2, old],
    );
    app.db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
         INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at)
         SELECT 1, 'live-' || i, 'h', 'done', ?1 FROM n",
        rusqlite::params![unix_now()],
    );
    assert_eq!(app.pass().keys_expired as i64, batch);
    assert_eq!(app.pass().keys_expired as i64, batch / 2);
    assert_eq!(app.pass().keys_expired, 0);
    assert_eq!(app.db.count("idempotency_keys"), 10, "the live keys stay");
}
