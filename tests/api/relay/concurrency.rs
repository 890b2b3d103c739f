//! Quota under 200 concurrent submissions: never overdrawn, by the user or
//! by the key, and refused jobs never go upstream.

use std::sync::Barrier;

use serde_json::json;

use crate::kit::{
    Customer, MUSIC_CHARGE, TestApp, accepted_task_id, assert_relay_error, spawn_relay_app,
};

/// 200 threads submit at once for a user who can afford exactly 50 jobs.
fn race(app: &TestApp, c: &Customer) -> (usize, usize) {
    let barrier = Barrier::new(200);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let (status, body) =
                        app.submit(&c.key, "music", &json!({"prompt": format!("song {i}")}));
                    match status {
                        200 => {
                            accepted_task_id(status, &body);
                        }
                        _ => {
                            assert_relay_error(status, &body, 403, "forbidden");
                        }
                    }
                    status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a submitting thread"))
            .collect()
    });
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 403).count();
    (ok, refused)
}

#[test]
fn concurrent_submits_never_overdraw_the_user() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 50 * MUSIC_CHARGE);
    let (ok, refused) = race(&app, &c);
    assert_eq!(
        (ok, refused),
        (50, 150),
        "exactly the affordable jobs are accepted"
    );
    assert_eq!(app.db.quota(c.id), 0, "the balance ends at exactly zero");
    let user = app.db.user(c.id);
    assert_eq!(user.used_quota, 50 * MUSIC_CHARGE);
    assert_eq!(user.request_count, 50);
    assert_eq!(app.db.task_count(c.id), 50);
    assert_eq!(
        app.db.task_log_count(c.id),
        50,
        "one consume row per accepted job"
    );
    assert_eq!(
        up.mock.stats().submit,
        50,
        "refused jobs never went upstream"
    );
}

#[test]
fn concurrent_submits_never_overdraw_the_key() {
    let (app, up) = spawn_relay_app();
    let c = app.customer_with_key(
        "alice",
        1_000 * MUSIC_CHARGE,
        &json!({"name": "k", "remain_quota": 50 * MUSIC_CHARGE}),
    );
    let (ok, refused) = race(&app, &c);
    assert_eq!(
        (ok, refused),
        (50, 150),
        "exactly the affordable jobs are accepted"
    );
    assert_eq!(
        app.db.key(c.key_id).remain_quota,
        0,
        "the key ends at exactly zero"
    );
    assert_eq!(app.db.quota(c.id), 950 * MUSIC_CHARGE);
    assert_eq!(app.db.task_count(c.id), 50);
    assert_eq!(up.mock.stats().submit, 50);
}
