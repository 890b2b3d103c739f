//! The SQLite store: a pool of connections and every SQL statement of the
//! service. Callers use functions named for what they mean; each write that
//! must be atomic is one function and one `BEGIN IMMEDIATE` transaction.
//!
//! All functions block: call them from `spawn_blocking` or the worker thread.

pub mod audit;
pub mod backup;
pub mod channel_health;
pub mod channel_status;
pub mod channels;
mod checkpoint;
mod day_counts;
pub mod deliveries;
pub mod error;
pub mod files;
pub mod gauges;
mod group;
pub mod health;
pub mod idempotency;
pub mod ledger;
pub mod log_list;
pub mod logs;
mod migrate;
pub mod options;
mod outbox;
pub mod poll;
mod refund;
pub mod repair;
pub mod seeding;
pub mod sessions;
pub mod task_lookup;
pub mod tasks;
pub mod tokens;
pub mod user_admin;
pub mod users;
pub mod webhooks;

use std::cell::Cell;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use error::{StoreError, StoreResult};

use crate::clock::{Clock, SystemClock};
use crate::metrics::Metrics;

/// A pooled connection.
pub type Conn = PooledConnection<SqliteConnectionManager>;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool<SqliteConnectionManager>,
    /// SQLite has one writer at a time. Writers of this process queue here
    /// instead of in SQLite's busy handler, which waits by sleeping (slow
    /// hand-over, long tails). Other processes (the CLI) still meet the
    /// busy timeout.
    writer: Arc<Mutex<()>>,
    /// Where every "now" of the store comes from (the wall clock unless a
    /// test or the server injects another with [`Store::with_clock`]).
    clock: Arc<dyn Clock>,
    /// `ModelPrice` when never set: the platforms' list prices, as JSON.
    default_prices: Arc<str>,
    /// The service's metrics: one registry per opened database, shared by
    /// every context over it (the server's, a test's manual-clock passes).
    metrics: Arc<Metrics>,
    /// Grouped writes ([`Store::grouped`]); `None` runs each on its
    /// caller's thread in a transaction of its own.
    group: Option<Arc<group::Group>>,
    /// The checkpoint thread's wake-up line (stores that write).
    checkpoints: Option<Arc<checkpoint::Checkpoints>>,
}

/// A `BEGIN IMMEDIATE` transaction holding this process's writer turn.
/// Dropped without [`WriteTx::commit`], it rolls back.
pub struct WriteTx<'a> {
    tx: Transaction<'a>,
    // Dropped before the turn: the hold is timed up to the turn's release.
    _held: Held<'a>,
    _turn: MutexGuard<'a, ()>,
    metrics: &'a Metrics,
    /// Units charged and refunded in this transaction, counted in the
    /// metrics only once it commits.
    charged: Cell<i64>,
    refunded: Cell<i64>,
    checkpoints: Option<&'a checkpoint::Checkpoints>,
}

/// Times how long a transaction held the writer turn, until dropped.
struct Held<'a> {
    since: Option<Instant>,
    metrics: &'a Metrics,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(since) = self.since {
            self.metrics.record_writer_hold(since.elapsed());
        }
    }
}

impl<'a> std::ops::Deref for WriteTx<'a> {
    type Target = Transaction<'a>;
    fn deref(&self) -> &Transaction<'a> {
        &self.tx
    }
}

impl WriteTx<'_> {
    /// Commits, then gives the writer turn to the next one.
    pub fn commit(self) -> Result<(), rusqlite::Error> {
        self.tx.commit()?;
        if let Some(checkpoints) = self.checkpoints {
            checkpoints.committed();
        }
        self.metrics.record_charge(self.charged.get());
        self.metrics.record_refund(self.refunded.get());
        Ok(())
    }

    /// Notes `units` charged, for the metrics once this commits.
    pub fn note_charge(&self, units: i64) {
        self.charged.set(self.charged.get().saturating_add(units));
    }

    /// Notes `units` refunded, for the metrics once this commits.
    pub fn note_refund(&self, units: i64) {
        self.refunded.set(self.refunded.get().saturating_add(units));
    }

    /// Units charged and refunded so far.
    fn noted(&self) -> (i64, i64) {
        (self.charged.get(), self.refunded.get())
    }

    /// Back to what [`WriteTx::noted`] said (a write rolled back to its
    /// savepoint).
    fn restore_noted(&self, charged: i64, refunded: i64) {
        self.charged.set(charged);
        self.refunded.set(refunded);
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating parent folders and the file) and migrates the database.
    pub fn open(path: &Path) -> StoreResult<Store> {
        Self::open_with_pool_size(path, 16)
    }

    /// Like [`Store::open`] with a chosen pool size.
    pub fn open_with_pool_size(path: &Path, size: u32) -> StoreResult<Store> {
        files::create_private_file(path)?;
        // Migrate on a plain connection first so the pool's connections all
        // see the final schema.
        let mut conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        init_connection(&conn).map_err(|e| open_error(path, e))?;
        migrate::migrate(&mut conn)?;
        drop(conn);
        let manager = SqliteConnectionManager::file(path).with_init(|c| init_connection(c));
        let mut store = Self::with_pool(manager, size)?;
        let checkpoints = checkpoint::Checkpoints::start(path, store.writer.clone())
            .map_err(|e| StoreError::Io(format!("cannot start the checkpoint thread: {e}")))?;
        store.checkpoints = Some(Arc::new(checkpoints));
        Ok(store)
    }

    /// Opens an existing database for reading only (the CLI's read-only
    /// commands): works on a file this process may not write, never
    /// creates or migrates anything.
    pub fn open_read_only(path: &Path) -> StoreResult<Store> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "no database at {}",
                path.display()
            )));
        }
        std::fs::File::open(path).map_err(|e| files::io_error("read", path, &e))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // A read-only connection to a WAL database creates its `-wal` and
        // `-shm` when they are missing, and fails where it may not create
        // them (a copy in a read-only folder). Without a `-wal`, no
        // connection has the database open (the last one to close removes
        // it), so the whole database is in the file: read it as immutable,
        // which creates no file and takes no lock (a writer starting during
        // the read writes to a new WAL; only its checkpoint, when it
        // closes, reaches the file). With one, a server or a writer is at
        // work: read through its WAL.
        let (target, flags) = if files::sibling(path, "-wal").exists() {
            (path.to_path_buf(), flags)
        } else {
            let uri = files::immutable_uri(path);
            (uri.into(), flags | OpenFlags::SQLITE_OPEN_URI)
        };
        // A file that is not a database fails here, at once and naming
        // it: the pool would retry for its whole timeout, logging each try.
        let version: i64 = Connection::open_with_flags(&target, flags)
            .and_then(|c| {
                c.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()))?;
                c.query_row("PRAGMA user_version", [], |r| r.get(0))
            })
            .map_err(|e| {
                StoreError::Io(format!("cannot read the database {}: {e}", path.display()))
            })?;
        // Reading never migrates: an older schema lacks columns this
        // binary reads, so say what to do rather than fail on one of them.
        if version > 0 && version < migrate::LATEST {
            return Err(StoreError::Io(format!(
                "the database {} has schema version {version}, this binary reads version {}: \
                 run `taskcenter serve` (or any command that writes) on it once to migrate it",
                path.display(),
                migrate::LATEST
            )));
        }
        let manager = SqliteConnectionManager::file(target)
            .with_flags(flags)
            .with_init(|c| {
                c.busy_timeout(Duration::from_secs(5))?;
                c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")
            });
        Self::with_pool(manager, 2)
    }

    fn with_pool(manager: SqliteConnectionManager, size: u32) -> StoreResult<Store> {
        // No test on check-out: a connection to a local file does not go
        // stale, and the test (an empty `execute_batch`) was about 2 % of
        // the CPU of a task list.
        let pool = Pool::builder()
            .max_size(size)
            .connection_timeout(Duration::from_secs(10))
            .test_on_check_out(false)
            .build(manager)?;
        Ok(Store {
            pool,
            writer: Arc::new(Mutex::new(())),
            clock: Arc::new(SystemClock),
            default_prices: Arc::from("{}"),
            metrics: Arc::new(Metrics::new()),
            group: Some(Arc::default()),
            checkpoints: None,
        })
    }

    /// The same store running each [`Store::grouped`] write on its
    /// caller's thread in a transaction of its own (statement tracing in
    /// tests, comparisons in benchmarks).
    pub fn ungrouped(mut self) -> Store {
        self.group = None;
        self
    }

    /// The same store reading time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// The same store with `prices` (a JSON object of model → USD per
    /// unit) as the default of `ModelPrice`.
    pub fn with_default_prices(mut self, prices: &str) -> Store {
        self.default_prices = Arc::from(prices);
        self
    }

    /// The metrics of the service over this database.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Now in unix seconds, from the store's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Now in unix milliseconds, from the store's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Starts a `BEGIN IMMEDIATE` transaction on `conn`: the write lock is
    /// taken up front, so a read-then-write never fails half-way with
    /// "database is locked".
    /// The wait for the turn and the lock goes to
    /// `taskcenter_store_writer_wait_seconds`.
    pub fn immediate<'a>(&'a self, conn: &'a mut Connection) -> StoreResult<WriteTx<'a>> {
        let asked = self.metrics.enabled().then(Instant::now);
        let turn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let since = asked.map(|asked| {
            self.metrics.record_writer_wait(asked.elapsed());
            Instant::now()
        });
        Ok(WriteTx {
            tx,
            _held: Held {
                since,
                metrics: &self.metrics,
            },
            _turn: turn,
            metrics: &self.metrics,
            charged: Cell::new(0),
            refunded: Cell::new(0),
            checkpoints: self.checkpoints.as_deref(),
        })
    }

    /// A connection from the pool.
    pub fn conn(&self) -> StoreResult<Conn> {
        Ok(self.pool.get()?)
    }
}

/// SQLite's "unable to open database file", with the path and the likely
/// reason.
fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Err(io) => files::io_error("open the database", path, &io),
        Ok(_) => StoreError::Io(format!("cannot open the database {}: {e}", path.display())),
    }
}

/// The pragmas every connection of a writing store runs with. The WAL is
/// copied back by the store's checkpoint thread, never by a commit
/// (`store/checkpoint.rs`); a WAL that grew past 64 MiB under a burst is
/// cut back to that when it starts over.
fn init_connection(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA wal_autocheckpoint = 0;
         PRAGMA journal_size_limit = 67108864;
         PRAGMA foreign_keys = ON;
         PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -8192;
         PRAGMA mmap_size = 1073741824;
         PRAGMA temp_store = MEMORY;",
    )
}

/// Parses stored JSON text, falling back to `{}` for anything unreadable.
pub fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}
