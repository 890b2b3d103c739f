//! Group commit: the relay's writes of many requests in one transaction.
//!
//! Each submission writes twice (its charge, then its acceptance) and every
//! write used to be a transaction of its own: a turn at the writer, a
//! `BEGIN IMMEDIATE`, a `COMMIT` appending its pages to the WAL, a hand-over
//! to the next waiting thread. One writer thread now takes every write
//! waiting at that moment, runs each in a savepoint of one transaction and
//! commits them together: the pages they share (the last leaf of the task
//! table and of each index that grows at its end, the user's row, the
//! key's) go to the WAL once per batch instead of once per write.
//!
//! Each write stays all or nothing: a failing one is rolled back to its
//! savepoint and answered with its error while its batch-mates go on. No
//! write is answered before its batch committed; a failed commit answers
//! every write of the batch with the commit's error (nothing of it is kept).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};

use super::error::{StoreError, StoreResult};
use super::{Store, WriteTx};

/// The most writes one transaction takes (more wait for the next one).
const MAX_BATCH: usize = 256;

/// Answers a write once its batch is over: `Ok` when it committed.
type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// Runs a write in the batch's transaction: whether it succeeded (to
/// keep) and how to answer its caller.
type Run = Box<dyn FnOnce(&WriteTx<'_>) -> (bool, Finish) + Send>;

/// Answers a write that never ran, or panicked, with why.
type Fail = Box<dyn FnOnce(StoreError) + Send>;

/// A waiting write.
struct Job {
    /// Runs in the batch's transaction and says whether it succeeded (to
    /// keep) and how to answer its caller.
    run: Run,
    /// Answers the caller with an error when the write never ran or
    /// panicked.
    fail: Fail,
}

/// The queue of one database's grouped writes, shared by every clone of
/// its [`Store`]; its writer thread starts with the first write and ends
/// when the last clone is dropped.
#[derive(Default)]
pub(super) struct Group {
    queue: OnceLock<Sender<Job>>,
    /// Writes sent and not yet taken by the writer thread.
    waiting: Arc<AtomicUsize>,
}

impl Store {
    /// Runs `write` in a transaction shared with the other grouped writes
    /// waiting at the same moment, and returns its result once that
    /// transaction committed. `write` must leave the transaction usable
    /// when it fails (return the error; the savepoint undoes its changes).
    /// Blocking.
    pub fn grouped<T, F>(&self, write: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> StoreResult<T> + Send + 'static,
    {
        let Some(group) = &self.group else {
            return self.write_alone(write);
        };
        let (answer, answered) = mpsc::sync_channel::<StoreResult<T>>(1);
        let failed = answer.clone();
        let job = Job {
            run: Box::new(move |tx: &WriteTx<'_>| {
                let result = write(tx);
                let ok = result.is_ok();
                let finish: Finish = Box::new(move |committed| {
                    let _ = answer.send(committed.and(result));
                });
                (ok, finish)
            }),
            fail: Box::new(move |e| {
                let _ = failed.send(Err(e));
            }),
        };
        let queue = group
            .queue
            .get_or_init(|| self.start_writer(group.waiting.clone()));
        group.waiting.fetch_add(1, Ordering::SeqCst);
        if queue.send(job).is_err() {
            group.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::Io(
                "the store's writer thread has stopped".into(),
            ));
        }
        answered.recv().unwrap_or_else(|_| {
            Err(StoreError::Io(
                "the store's writer thread has stopped (nothing of this write was kept)".into(),
            ))
        })
    }

    /// Grouped writes sent and not yet taken into a transaction.
    pub fn grouped_waiting(&self) -> usize {
        self.group
            .as_ref()
            .map_or(0, |g| g.waiting.load(Ordering::SeqCst))
    }

    /// One write in its own transaction, on the calling thread (a store
    /// without a writer thread).
    fn write_alone<T>(&self, write: impl FnOnce(&WriteTx<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let value = write(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Starts the writer thread and returns its queue.
    fn start_writer(&self, waiting: Arc<AtomicUsize>) -> Sender<Job> {
        let (queue, jobs) = mpsc::channel::<Job>();
        // The thread's own handle has no group: it must not keep the queue
        // open (the thread ends when every other handle is gone).
        let store = Store {
            group: None,
            ..self.clone()
        };
        let started = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer(store, jobs, waiting));
        if let Err(e) = started {
            // The queue's receiver is gone with the closure: every write
            // is answered "stopped" rather than waiting forever.
            log::error!("cannot start the store's writer thread: {e}");
        }
        queue
    }
}

/// The writer thread: one transaction per batch of waiting writes.
fn writer(store: Store, jobs: Receiver<Job>, waiting: Arc<AtomicUsize>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        waiting.fetch_sub(batch.len(), Ordering::SeqCst);
        run_batch(&store, batch);
    }
}

/// Runs `batch` in one transaction and answers each write.
fn run_batch(store: &Store, batch: Vec<Job>) {
    let mut conn = match store.conn() {
        Ok(conn) => conn,
        Err(e) => return refuse(batch, &e),
    };
    let tx = match store.immediate(&mut conn) {
        Ok(tx) => tx,
        Err(e) => return refuse(batch, &e),
    };
    store.metrics().record_grouped_writes(batch.len());
    let mut finishes: Vec<Finish> = Vec::with_capacity(batch.len());
    let mut broken: Option<StoreError> = None;
    for job in batch {
        if let Some(e) = &broken {
            // The transaction is gone: no later write runs in it.
            refuse_one(job, e);
            continue;
        }
        match run_one(&tx, job) {
            Ok(finish) => finishes.push(finish),
            Err((finish, e)) => {
                finishes.extend(finish);
                broken = Some(e);
            }
        }
    }
    let committed = match broken {
        Some(e) => Err(e),
        None => tx.commit().map_err(StoreError::from),
    };
    match committed {
        Ok(()) => finishes.into_iter().for_each(|f| f(Ok(()))),
        Err(e) => {
            log::error!("a grouped write transaction failed: {e}");
            finishes.into_iter().for_each(|f| f(Err(copy_error(&e))));
        }
    }
}

/// Runs one write in a savepoint: kept when it succeeded, undone when it
/// failed or panicked. Err when the transaction itself is unusable after
/// it (with the write's answer when it has one).
fn run_one(tx: &WriteTx<'_>, job: Job) -> Result<Finish, (Option<Finish>, StoreError)> {
    let Job { run, fail } = job;
    if let Err(e) = tx.execute_batch("SAVEPOINT grouped_write") {
        let e = StoreError::from(e);
        fail(copy_error(&e));
        return Err((None, e));
    }
    let (charged, refunded) = tx.noted();
    let (ok, finish) = match catch_unwind(AssertUnwindSafe(|| run(tx))) {
        Ok((ok, finish)) => (ok, finish),
        Err(panic) => {
            let message = panic_message(&panic).to_string();
            log::error!("a grouped write panicked: {message}");
            let answer: Finish = Box::new(move |_| {
                fail(StoreError::Io(format!(
                    "the write failed (nothing of it was kept): {message}"
                )))
            });
            (false, answer)
        }
    };
    let end = if ok {
        tx.execute_batch("RELEASE grouped_write")
    } else {
        tx.restore_noted(charged, refunded);
        tx.execute_batch("ROLLBACK TO grouped_write; RELEASE grouped_write")
    };
    match end {
        Ok(()) => Ok(finish),
        Err(e) => Err((Some(finish), StoreError::from(e))),
    }
}

/// Answers every write of a batch that could not start.
fn refuse(batch: Vec<Job>, e: &StoreError) {
    log::error!("a grouped write transaction could not start: {e}");
    batch.into_iter().for_each(|job| refuse_one(job, e));
}

/// Answers a write that never ran with why.
fn refuse_one(job: Job, e: &StoreError) {
    (job.fail)(copy_error(e));
}

/// A copy of a batch's error for each of its writes.
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(code, message)) => {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        StoreError::Pool(p) => StoreError::Io(format!("database unavailable: {p}")),
        other => StoreError::Io(other.to_string()),
    }
}

/// What a panic said, for the log.
fn panic_message(panic: &Box<dyn Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
