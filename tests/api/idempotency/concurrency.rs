//! Many requests with one key at once: one charge, one task, one upstream
//! call; every answer the stored success or a 409.

use std::collections::HashSet;

use serde_json::json;

use super::{replayed, submit_keyed};
use crate::kit::{MUSIC_CHARGE, accepted_task_id, assert_relay_error, spawn_relay_app};
use crate::mock::Fault;

#[test]
fn fifty_concurrent_identical_requests_with_one_key_charge_once() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 10_000_000);
    let body = json!({"prompt": "fifty at once"});
    // The upstream takes its time, so the requests overlap the first one.
    up.mock.fail_next(1, Fault::Stall(400));
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| s.spawn(|| submit_keyed(&app, &c.key, "burst", "music", &body)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    assert_eq!(app.db.task_count(c.id), 1, "one task");
    assert_eq!(app.db.quota(c.id), 10_000_000 - MUSIC_CHARGE, "one charge");
    assert_eq!(up.mock.stats().submit, 1, "one upstream call");
    let task_id = app.db.task_ids_of(c.id).remove(0);
    let success = json!({"code": "success", "message": "", "data": task_id});
    let mut fresh = 0;
    let mut conflicts = 0;
    for a in &answers {
        if a.status == 409 {
            let message = assert_relay_error(a.status, &a.body, 409, "idempotency_key_in_use");
            assert_eq!(
                message,
                "a request with this Idempotency-Key is in progress"
            );
            conflicts += 1;
        } else {
            assert_eq!(accepted_task_id(a.status, &a.body), task_id);
            assert_eq!(a.body, success);
            if !replayed(a) {
                fresh += 1;
            }
        }
    }
    assert_eq!(fresh, 1, "exactly one answer is the first request's");
    assert!(conflicts > 0, "the burst overlapped the first request");
    let distinct: HashSet<String> = answers.iter().map(|a| a.body.to_string()).collect();
    assert!(distinct.len() <= 2, "{distinct:?}");
    // Once answered, every retry replays.
    let after = submit_keyed(&app, &c.key, "burst", "music", &body);
    assert_eq!((after.status, &after.body), (200, &success));
    assert!(replayed(&after));
}
