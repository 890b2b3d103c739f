//! Group commit (`Store::grouped`): the relay's charges and acceptances of
//! many requests in one transaction, each write all or nothing, none
//! answered before its transaction committed.
//!
//! Each test holds the writer thread inside a "gate" write until the
//! writes under test are all waiting, so they share the next transaction.

use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use taskcenter::store::ledger::{self, Reservation};
use taskcenter::store::tasks::Task;
use taskcenter::store::{Store, StoreError};

use crate::kit::store_paths::reservation;
use crate::kit::{MUSIC_CHARGE, TestApp, assert_clean, instant_mock, spawn_app, unix_now};
use crate::metrics::Scrape;

/// A store of its own over the app's database, with metrics recorded.
fn open(app: &TestApp) -> Store {
    let store = Store::open(app.db_path()).expect("open the app's database");
    store.metrics().enable(unix_now());
    store
}

/// Keeps the writer thread busy in a write of its own until the returned
/// sender is used (or dropped).
fn hold_writer(store: &Store) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (release, released) = mpsc::channel::<()>();
    let (inside, entered) = mpsc::channel::<()>();
    let s = store.clone();
    let gate = thread::spawn(move || {
        s.grouped(move |_tx| {
            let _ = inside.send(());
            let _ = released.recv();
            Ok(())
        })
        .expect("the gate write commits");
    });
    entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the writer thread runs the gate");
    (release, gate)
}

/// Waits until `n` grouped writes wait behind the gate.
fn wait_for_waiting(store: &Store, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.grouped_waiting() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} writes reached the queue",
            store.grouped_waiting()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// `n` charges sent at once from threads of their own.
fn charges(store: &Store, r: &Reservation, n: usize) -> Vec<JoinHandle<Result<Task, StoreError>>> {
    (0..n)
        .map(|_| {
            let (s, r) = (store.clone(), r.clone());
            thread::spawn(move || ledger::reserve(&s, &r, unix_now()))
        })
        .collect()
}

fn outcomes(handles: Vec<JoinHandle<Result<Task, StoreError>>>) -> Vec<Result<Task, StoreError>> {
    handles
        .into_iter()
        .map(|h| h.join().expect("a charging thread"))
        .collect()
}

/// (tasks, consume log rows, quota) of a user, read straight from the file.
fn books(app: &TestApp, user_id: i64) -> (i64, i64, i64) {
    let db = rusqlite::Connection::open(app.db_path()).expect("open the database");
    let count = |sql: &str| -> i64 { db.query_row(sql, [user_id], |r| r.get(0)).expect("a count") };
    (
        count("SELECT COUNT(*) FROM tasks WHERE user_id = ?1"),
        count("SELECT COUNT(*) FROM logs WHERE user_id = ?1 AND type = 2"),
        count("SELECT quota FROM users WHERE id = ?1"),
    )
}

/// How many grouped transactions ran, and how many writes they held.
fn grouped_counts(store: &Store) -> (f64, f64) {
    let text = store
        .metrics()
        .render(&[], unix_now())
        .expect("render the metrics");
    let scrape = Scrape::parse(&text);
    (
        scrape.sum("taskcenter_store_grouped_writes_count", &[]),
        scrape.sum("taskcenter_store_grouped_writes_sum", &[]),
    )
}

#[test]
fn charges_refused_for_quota_do_not_fail_the_charges_they_share_a_transaction_with() {
    let app = spawn_app();
    let up = app.attach(instant_mock(0.0), "grouped", 0);
    let who = app.customer("grouped", 10 * MUSIC_CHARGE);
    let store = open(&app);

    let (release, gate) = hold_writer(&store);
    let handles = charges(&store, &reservation(&who, up.channel_id), 30);
    wait_for_waiting(&store, 30);
    release.send(()).expect("release the gate");
    gate.join().expect("the gate thread");
    let results = outcomes(handles);

    let accepted = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 10, "as many charges as the quota pays for");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(refused, StoreError::Refused(m) if m.contains("insufficient user quota")),
            "a charge past the quota is refused for it alone: {refused}"
        );
    }
    assert_eq!(books(&app, who.id), (10, 10, 0), "tasks, charges, quota");
    let (transactions, writes) = grouped_counts(&store);
    assert_eq!(writes, 31.0, "the gate and the 30 charges");
    assert_eq!(
        transactions, 2.0,
        "the 30 charges waiting behind the gate shared one transaction"
    );
    assert_clean(&app.audit());
}

#[test]
fn a_write_that_panics_is_answered_with_an_error_and_its_batch_mates_commit() {
    let app = spawn_app();
    let up = app.attach(instant_mock(0.0), "grouped", 0);
    let who = app.customer("grouped", 100 * MUSIC_CHARGE);
    let store = open(&app);

    let (release, gate) = hold_writer(&store);
    let before = charges(&store, &reservation(&who, up.channel_id), 3);
    wait_for_waiting(&store, 3);
    let s = store.clone();
    let panicking = thread::spawn(move || {
        s.grouped(|tx| -> Result<(), StoreError> {
            tx.execute("UPDATE users SET quota = 0", [])?;
            panic!("a write gone wrong");
        })
    });
    wait_for_waiting(&store, 4);
    let after = charges(&store, &reservation(&who, up.channel_id), 3);
    wait_for_waiting(&store, 7);
    release.send(()).expect("release the gate");
    gate.join().expect("the gate thread");

    let failed = panicking.join().expect("the panicking write's caller");
    match failed {
        Err(StoreError::Io(m)) => assert!(m.contains("a write gone wrong"), "{m}"),
        other => panic!("the panicking write is answered with its failure: {other:?}"),
    }
    for r in outcomes(before).into_iter().chain(outcomes(after)) {
        r.expect("a batch-mate of the panicking write commits");
    }
    assert_eq!(
        books(&app, who.id),
        (6, 6, 94 * MUSIC_CHARGE),
        "the panicking write's change was undone, the six charges kept"
    );
    // The writer thread lives on.
    ledger::reserve(&store, &reservation(&who, up.channel_id), unix_now()).expect("a later charge");
    assert_clean(&app.audit());
}

#[test]
fn a_transaction_whose_commit_fails_answers_every_write_in_it_with_the_error_and_keeps_nothing() {
    let app = spawn_app();
    let up = app.attach(instant_mock(0.0), "grouped", 0);
    let who = app.customer("grouped", 100 * MUSIC_CHARGE);
    let store = open(&app);
    // A deferred foreign key: a write breaking it succeeds, and the
    // transaction's COMMIT fails.
    rusqlite::Connection::open(app.db_path())
        .expect("open the database")
        .execute_batch(
            "CREATE TABLE test_parent (id INTEGER PRIMARY KEY);
             CREATE TABLE test_child (parent INTEGER
                 REFERENCES test_parent(id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .expect("the test tables");

    let (release, gate) = hold_writer(&store);
    let handles = charges(&store, &reservation(&who, up.channel_id), 5);
    wait_for_waiting(&store, 5);
    let s = store.clone();
    let breaking = thread::spawn(move || {
        s.grouped(|tx| Ok(tx.execute("INSERT INTO test_child VALUES (999)", [])?))
    });
    wait_for_waiting(&store, 6);
    release.send(()).expect("release the gate");
    gate.join().expect("the gate thread");

    let broke = breaking.join().expect("the breaking write's caller");
    assert!(
        broke
            .as_ref()
            .is_err_and(|e| e.to_string().contains("FOREIGN KEY")),
        "the write is answered with the commit's failure: {broke:?}"
    );
    for r in outcomes(handles) {
        let e = r.expect_err("no write of a failed commit is answered as done");
        assert!(e.to_string().contains("FOREIGN KEY"), "{e}");
    }
    assert_eq!(
        books(&app, who.id),
        (0, 0, 100 * MUSIC_CHARGE),
        "nothing of the failed transaction was kept"
    );
    // The next transaction commits.
    ledger::reserve(&store, &reservation(&who, up.channel_id), unix_now()).expect("a later charge");
    assert_eq!(books(&app, who.id), (1, 1, 99 * MUSIC_CHARGE));
    assert_clean(&app.audit());
}
