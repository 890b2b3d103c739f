//! Replays of the Suno submission: the stored answer, with its status,
//! for any of the user's keys; 422 for another request; other users'
//! keys apart; refunded failures replayed as failures; bad keys refused.

use serde_json::json;

use super::{keyed, replayed, submit_keyed};
use crate::kit::{
    Db, LOG_CONSUME, LYRICS_CHARGE, MUSIC_CHARGE, accepted_task_id, assert_relay_error,
    assert_unchanged, spawn_relay_app,
};
use crate::mock::Fault;

/// Consume rows of `task_id`.
fn charges(db: &Db, task_id: &str) -> usize {
    db.logs_of(task_id)
        .iter()
        .filter(|l| l.log_type == LOG_CONSUME)
        .count()
}

#[test]
fn a_retry_gets_the_stored_answer_without_a_second_charge_task_or_upstream_call() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let body = json!({"prompt": "a song about retries"});
    let first = submit_keyed(&app, &c.key, "order-1", "music", &body);
    let task_id = accepted_task_id(first.status, &first.body);
    assert!(!replayed(&first), "the first answer is not a replay");

    for _ in 0..3 {
        let again = submit_keyed(&app, &c.key, "order-1", "music", &body);
        assert_eq!((again.status, &again.body), (200, &first.body));
        assert!(replayed(&again), "{:?}", again.headers);
    }
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE, "charged once");
    assert_eq!(app.db.task_ids_of(c.id), vec![task_id.clone()], "one task");
    assert_eq!(charges(&app.db, &task_id), 1, "one consume row");
    assert_eq!(up.mock.stats().submit, 1, "one upstream call");

    // Any other key of the same user replays it too.
    let (_, second_key) = app.new_key(&c.headers, &json!({"name": "second"}));
    let other_key = submit_keyed(&app, &second_key, "order-1", "music", &body);
    assert_eq!((other_key.status, &other_key.body), (200, &first.body));
    assert!(replayed(&other_key));
    assert_eq!(up.mock.stats().submit, 1);
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE);
}

#[test]
fn the_same_key_with_another_body_or_path_is_a_422_that_changes_nothing() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let body = json!({"prompt": "first"});
    let first = submit_keyed(&app, &c.key, "k-422", "music", &body);
    accepted_task_id(first.status, &first.body);
    let before = app.db.fingerprint();

    let other_body = submit_keyed(&app, &c.key, "k-422", "music", &json!({"prompt": "second"}));
    let message = assert_relay_error(
        other_body.status,
        &other_body.body,
        422,
        "idempotency_key_reused",
    );
    assert!(message.contains("different request"), "{message}");
    // Lyrics take the same body, but the path differs.
    let other_path = submit_keyed(&app, &c.key, "k-422", "lyrics", &body);
    assert_relay_error(
        other_path.status,
        &other_path.body,
        422,
        "idempotency_key_reused",
    );
    assert!(!replayed(&other_path));

    assert_eq!(app.db.fingerprint(), before, "nothing changed");
    assert_eq!(up.mock.stats().submit, 1);
    // The key still replays its own request.
    let again = submit_keyed(&app, &c.key, "k-422", "music", &body);
    assert_eq!((again.status, &again.body), (200, &first.body));
}

#[test]
fn another_users_identical_key_is_a_different_key() {
    let (app, up) = spawn_relay_app();
    let [alice, bob] = app.customers(["alice", "bob"], 1_000_000);
    let body = json!({"prompt": "shared words"});
    let a = submit_keyed(&app, &alice.key, "same-string", "music", &body);
    let b = submit_keyed(&app, &bob.key, "same-string", "music", &body);
    let (a_id, b_id) = (
        accepted_task_id(a.status, &a.body),
        accepted_task_id(b.status, &b.body),
    );
    assert_ne!(a_id, b_id);
    assert!(!replayed(&b), "bob's first request runs");
    assert_eq!(app.db.task_ids_of(bob.id), vec![b_id]);
    assert_eq!(app.db.quota(bob.id), 1_000_000 - MUSIC_CHARGE);
    // A different body from bob is his own first use, not a 422.
    let lyrics = submit_keyed(&app, &bob.key, "other", "lyrics", &json!({"prompt": "x"}));
    accepted_task_id(lyrics.status, &lyrics.body);
    assert_eq!(
        app.db.quota(bob.id),
        1_000_000 - MUSIC_CHARGE - LYRICS_CHARGE
    );
    assert_eq!(up.mock.stats().submit, 3);
}

#[test]
fn a_refunded_failure_is_replayed_as_that_failure() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let body = json!({"prompt": "doomed"});
    up.mock.set_fault(Fault::Http(500));
    let first = submit_keyed(&app, &c.key, "fails", "music", &body);
    assert_relay_error(first.status, &first.body, 500, "upstream_error");
    let calls = up.mock.stats().submit;
    assert!(calls >= 1);
    let tasks = app.db.task_ids_of(c.id);
    assert_eq!(tasks.len(), 1, "the failed task was charged and refunded");
    assert_eq!(app.db.refunds(&tasks[0]).len(), 1);
    assert_eq!(app.db.quota(c.id), 1_000_000);

    // The upstream is healthy again, but the key's answer is its failure.
    up.mock.set_fault(Fault::None);
    let again = submit_keyed(&app, &c.key, "fails", "music", &body);
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    assert!(replayed(&again));
    assert_eq!(up.mock.stats().submit, calls, "no new upstream call");
    assert_eq!(app.db.task_ids_of(c.id), tasks, "no new task");
    assert_eq!(app.db.refunds(&tasks[0]).len(), 1, "refunded once");
    assert_eq!(app.db.quota(c.id), 1_000_000);

    // A new key is a new attempt.
    let fresh = submit_keyed(&app, &c.key, "fails-2", "music", &body);
    accepted_task_id(fresh.status, &fresh.body);
}

#[test]
fn a_request_refused_before_its_charge_frees_its_key() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let bad = submit_keyed(&app, &c.key, "fix-me", "music", &json!({"prompt": ""}));
    assert_relay_error(bad.status, &bad.body, 400, "invalid_request");
    assert_eq!(app.db.count("idempotency_keys"), 0, "nothing stored");
    let fixed = submit_keyed(&app, &c.key, "fix-me", "music", &json!({"prompt": "fixed"}));
    accepted_task_id(fixed.status, &fixed.body);
    assert!(!replayed(&fixed));
    assert_eq!(up.mock.stats().submit, 1);
}

#[test]
fn a_bad_key_header_is_a_400_in_the_suno_envelope_and_changes_nothing() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let before = app.db.fingerprint();
    let body = Some(json!({"prompt": "x"}).to_string().into_bytes());
    for bad in [String::new(), "k".repeat(256)] {
        let (status, answer) = app.request(
            "POST",
            "/suno/submit/music",
            &keyed(&c.key, &bad),
            body.clone(),
        );
        let message = assert_relay_error(status, &answer, 400, "invalid_request");
        assert!(message.contains("Idempotency-Key"), "{message}");
    }
    let mut two = keyed(&c.key, "a");
    two.push(("Idempotency-Key", "b".into()));
    let (status, answer) = app.request("POST", "/suno/submit/music", &two, body.clone());
    assert_relay_error(status, &answer, 400, "invalid_request");
    assert_unchanged(&before, &app.db.fingerprint());
    assert_eq!(up.mock.stats().submit, 0);
    // A key of 255 printable characters is fine.
    let longest = "~ ".repeat(127) + "!";
    let (status, answer) =
        app.request("POST", "/suno/submit/music", &keyed(&c.key, &longest), body);
    accepted_task_id(status, &answer);
    assert_eq!(up.mock.stats().submit, 1);
}

#[test]
fn a_claim_left_by_a_gone_server_is_recovered_from_its_task_or_taken_over() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let body = json!({"prompt": "crashed before the answer"});
    let first = submit_keyed(&app, &c.key, "gone", "music", &body);
    let task_id = accepted_task_id(first.status, &first.body);
    // As a SIGKILL after the charge and before the answer would leave it.
    app.db.tamper(
        "UPDATE idempotency_keys SET state = 'pending', instance = 'a-run-that-died', body = NULL, status = 0",
    );
    let recovered = submit_keyed(&app, &c.key, "gone", "music", &body);
    assert_eq!((recovered.status, &recovered.body), (200, &first.body));
    assert!(replayed(&recovered));
    let again = submit_keyed(&app, &c.key, "gone", "music", &body);
    assert_eq!((again.status, &again.body), (200, &first.body));
    assert_eq!(app.db.task_ids_of(c.id), vec![task_id.clone()]);
    assert_eq!(charges(&app.db, &task_id), 1);
    assert_eq!(up.mock.stats().submit, 1);

    // A claim that charged nothing before its server died is taken over:
    // the request runs afresh, once.
    app.db.tamper(&format!(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, state, instance, created_at)
         SELECT user_id, 'never-charged', request_hash, 'pending', 'a-run-that-died', created_at
         FROM idempotency_keys WHERE user_id = {}",
        c.id
    ));
    let taken = submit_keyed(&app, &c.key, "never-charged", "music", &body);
    let new_id = accepted_task_id(taken.status, &taken.body);
    assert!(!replayed(&taken));
    assert_ne!(new_id, task_id);
    let replay = submit_keyed(&app, &c.key, "never-charged", "music", &body);
    assert_eq!((replay.status, &replay.body), (200, &taken.body));
    assert_eq!(app.db.quota(c.id), 1_000_000 - 2 * MUSIC_CHARGE);
    assert_eq!(up.mock.stats().submit, 2);
}
