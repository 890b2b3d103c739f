//! Races for money: charges, top-ups and deductions at once; a channel
//! deleted while a pass polls it. The books must agree with the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::kit::{
    MUSIC_CHARGE, Settings, as_root, assert_clean, instant_mock, spawn_app_with, spawn_relay_app,
};

#[test]
fn top_ups_and_deductions_racing_charges_keep_the_books_exact() {
    let (app, _up) = spawn_relay_app();
    let app = Arc::new(app);
    let start = 20 * MUSIC_CHARGE;
    let c = app.customer("racer", start);
    let accepted = Arc::new(AtomicI64::new(0));
    let granted = Arc::new(AtomicI64::new(0));
    let deducted = Arc::new(AtomicI64::new(0));
    let mut threads = Vec::new();
    for i in 0..6 {
        let (app, accepted, key) = (app.clone(), accepted.clone(), c.key.clone());
        threads.push(std::thread::spawn(move || {
            for n in 0..25 {
                let (status, _) =
                    app.submit(&key, "music", &json!({"prompt": format!("race {i} {n}")}));
                assert!(status == 200 || status == 403, "submit answered {status}");
                if status == 200 {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for sign in [1i64, -1] {
        let (app, granted, deducted) = (app.clone(), granted.clone(), deducted.clone());
        let id = c.id;
        threads.push(std::thread::spawn(move || {
            for _ in 0..25 {
                let delta = sign * 30_000;
                let (status, body) = app.post(
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
    let quota = app.db.quota(c.id);
    assert!(quota >= 0, "balance went negative: {quota}");
    assert_eq!(quota, expected, "balance equals what the requests did");
    assert_eq!(
        app.db.task_count(c.id),
        accepted,
        "one task per accepted charge"
    );
    assert_clean(&app.audit());
}

#[test]
fn a_channel_deleted_while_a_pass_polls_it_refunds_each_task_once() {
    let app = Arc::new(spawn_app_with(Settings::manual()));
    let up = app.attach(instant_mock(1.0), "racing", 0);
    let payer = app.payer();
    let tasks: Vec<String> = (0..10)
        .map(|_| app.submit_tracked(&payer.key).task_id)
        .collect();
    app.move_to_due();
    let (app2, channel) = (app.clone(), up.channel_id);
    let deleter = std::thread::spawn(move || {
        let (status, body) = app2.delete(&format!("/api/channel/{channel}"), &as_root());
        assert_eq!(status, 200, "{body}");
    });
    let first = app.pass();
    deleter.join().unwrap();
    app.advance_ms(Duration::from_secs(1).as_millis() as i64);
    let second = app.pass();
    assert_eq!(
        first.refunded() + second.refunded(),
        tasks.len(),
        "every task refunded once: {first} / {second}"
    );
    for id in &tasks {
        app.assert_refunded_once(id);
    }
    assert_clean(&app.audit());
}
