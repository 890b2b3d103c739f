//! WAL checkpoints off the commit path (`store/checkpoint.rs`): commits
//! never copy the WAL back themselves, the store's checkpoint thread does,
//! soon after, and keeps the WAL from growing without end under writes
//! that never pause.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use taskcenter::store::Store;

use crate::kit::{spawn_app, unix_now};

/// The database file alone, without its WAL: what a checkpoint copied.
fn file_alone(db: &Path) -> Connection {
    let uri = format!("file:{}?immutable=1", db.display());
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .expect("open the database file alone")
}

fn wal_bytes(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

#[test]
fn a_commit_reaches_the_database_file_soon_after_without_waiting_for_it() {
    let app = spawn_app();
    let store = Store::open(app.db_path()).expect("open");
    let probe = format!("checkpoint-probe-{}", unix_now());
    store
        .grouped({
            let probe = probe.clone();
            move |tx| Ok(tx.execute("INSERT INTO options (key, value) VALUES (?1, 'x')", [probe])?)
        })
        .expect("a write");
    let copied = |probe: &str| -> bool {
        file_alone(app.db_path())
            .query_row(
                "SELECT COUNT(*) FROM options WHERE key = ?1",
                [probe],
                |r| r.get::<_, i64>(0),
            )
            .is_ok_and(|n| n == 1)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !copied(&probe) {
        assert!(
            Instant::now() < deadline,
            "the committed row never reached the database file (no checkpoint ran)"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn writes_that_never_pause_keep_the_wal_bounded() {
    let app = spawn_app();
    let store = Store::open(app.db_path()).expect("open");
    store
        .grouped(|tx| {
            Ok(tx.execute_batch(
                "CREATE TABLE test_load (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
            )?)
        })
        .expect("the test table");
    let pages = |store: &Store| -> i64 {
        store
            .conn()
            .expect("a connection")
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .expect("page_count")
    };
    let pages_before = pages(&store);
    // Two writers of 8,192 rows of about one page each, each paced to at
    // most 2,000 rows a second: five times the 4,096 frames past which the
    // checkpoint makes the WAL start over. A slower machine only takes
    // longer (and gives the checkpoints an easier time).
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (store, done) = (store.clone(), done.clone());
            thread::spawn(move || {
                let mut n = 0u64;
                while n < 8_192 {
                    if n as f64 > started.elapsed().as_secs_f64() * 2_000.0 {
                        thread::sleep(Duration::from_millis(1));
                        continue;
                    }
                    n += 1;
                    let body = format!("{w}-{n}-{}", "x".repeat(3_500));
                    store
                        .grouped(move |tx| {
                            Ok(tx.execute("INSERT INTO test_load (body) VALUES (?1)", [body])?)
                        })
                        .expect("a write");
                }
                done.fetch_add(1, Ordering::SeqCst);
                n
            })
        })
        .collect();
    let mut largest = 0;
    while done.load(Ordering::SeqCst) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the writes did not finish"
        );
        largest = largest.max(wal_bytes(app.db_path()));
        thread::sleep(Duration::from_millis(5));
    }
    let written: u64 = writers.into_iter().map(|w| w.join().expect("writer")).sum();
    largest = largest.max(wal_bytes(app.db_path()));
    let grown = pages(&store) - pages_before;
    let restart_frames: i64 = 4_096;
    // Every new page went through the WAL at least once: a WAL that never
    // started over would be at least that long.
    assert!(
        grown >= 3 * restart_frames,
        "the test wrote too little to tell: {grown} pages in {written} rows"
    );
    let bound = 2 * restart_frames as u64 * 4_120;
    assert!(
        largest < bound,
        "the WAL reached {largest} bytes (bound {bound}) while {grown} pages were written"
    );
}
