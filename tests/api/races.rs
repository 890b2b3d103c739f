//! Races for money: charges, top-ups and deductions at once; a channel
//! deleted while a pass polls it. The books must agree with the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::helpers::as_root;
use crate::relay_support::{Env, MUSIC_CHARGE};
use crate::worker_support::{World, instant_mock};

#[test]
fn top_ups_and_deductions_racing_charges_keep_the_books_exact() {
    let env = Arc::new(Env::new());
    let _up = env.upstream("racing", 0);
    let start = 20 * MUSIC_CHARGE;
    let c = env.customer("racer", start);
    let accepted = Arc::new(AtomicI64::new(0));
    let granted = Arc::new(AtomicI64::new(0));
    let deducted = Arc::new(AtomicI64::new(0));
    let mut threads = Vec::new();
    for i in 0..6 {
        let (env, accepted, key) = (env.clone(), accepted.clone(), c.key.clone());
        threads.push(std::thread::spawn(move || {
            for n in 0..25 {
                let (status, _) =
                    env.submit(&key, "music", &json!({"prompt": format!("race {i} {n}")}));
                assert!(status == 200 || status == 403, "submit answered {status}");
                if status == 200 {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for sign in [1i64, -1] {
        let (env, granted, deducted) = (env.clone(), granted.clone(), deducted.clone());
        let id = c.id;
        threads.push(std::thread::spawn(move || {
            for _ in 0..25 {
                let delta = sign * 30_000;
                let (status, body) = env.post(
                    &format!("/api/user/{id}/quota"),
                    &as_root(),
                    &json!({"delta": delta, "reason": "race"}),
                );
                match status {
                    200 if sign > 0 => {
                        granted.fetch_add(30_000, Ordering::SeqCst);
                    }
                    200 => {
                        deducted.fetch_add(30_000, Ordering::SeqCst);
                    }
                    400 if sign < 0 => {} // would go below zero: refused, nothing changed
                    other => panic!("quota change answered {other}: {body}"),
                }
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let accepted = accepted.load(Ordering::SeqCst);
    let expected = start + granted.load(Ordering::SeqCst)
        - deducted.load(Ordering::SeqCst)
        - accepted * MUSIC_CHARGE;
    let quota = env.quota(c.id);
    assert!(quota >= 0, "balance went negative: {quota}");
    assert_eq!(quota, expected, "balance equals what the requests did");
    assert_eq!(
        env.task_count(c.id),
        accepted,
        "one task per accepted charge"
    );
    let report = env
        .app
        .store
        .audit(taskcenter::clock::unix_now(), 3600)
        .unwrap();
    assert!(report.ok, "{:?}", report.violations);
}

#[test]
fn a_channel_deleted_while_a_pass_polls_it_refunds_each_task_once() {
    let w = Arc::new(World::new(instant_mock(1.0)));
    let tasks: Vec<String> = (0..10).map(|_| w.submit().task_id).collect();
    w.move_to_due();
    let (w2, channel) = (w.clone(), w.channel_id);
    let deleter = std::thread::spawn(move || {
        let (status, body) = w2.app.request(
            "DELETE",
            &format!("/api/channel/{channel}"),
            &as_root(),
            None,
        );
        assert_eq!(status, 200, "{body}");
    });
    let first = w.pass();
    deleter.join().unwrap();
    w.advance_ms(Duration::from_secs(1).as_millis() as i64);
    let second = w.pass();
    assert_eq!(
        first.refunded() + second.refunded(),
        tasks.len(),
        "every task refunded once: {first} / {second}"
    );
    for id in &tasks {
        w.assert_refunded_once(id);
    }
    let report = w
        .app
        .store
        .audit(taskcenter::clock::unix_now(), 3600)
        .unwrap();
    assert!(report.ok, "{:?}", report.violations);
}
