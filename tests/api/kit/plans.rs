//! Query plans of the store's own statements. A store on one connection
//! has SQLite's trace hook set on it, so every statement a store function
//! runs is caught as it starts, in the text the store prepared; each is
//! then asked for its `EXPLAIN QUERY PLAN` on a second connection. The
//! tests see exactly what the code runs, with no copy of its SQL to drift.

use std::cell::RefCell;
use std::path::Path;

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::types::Null;
use rusqlite::{Connection, params_from_iter};
use taskcenter::store::Store;

thread_local! {
    /// Statements started on this thread since the last [`TracedStore::run`].
    /// Store functions run on the caller's thread, so a test sees only its
    /// own.
    static CAUGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The trace hook: SQLite passes a plain function, hence the thread-local.
fn catch(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(stmt, _) = event {
        CAUGHT.with(|c| c.borrow_mut().push(stmt.sql().into_owned()));
    }
}

/// One line of `EXPLAIN QUERY PLAN`: loops nest under their `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    /// This line's id.
    pub id: i64,
    /// The id of the line it runs inside (0 at the top).
    pub parent: i64,
    /// What SQLite does (`SCAN logs`, `SEARCH t USING INDEX ...`).
    pub detail: String,
}

/// A store whose every statement is recorded, over an existing database.
pub struct TracedStore {
    store: Store,
    explain: Connection,
}

impl TracedStore {
    /// Opens the database at `path` with a pool of one connection, so the
    /// trace set on it sees every statement, and grouped writes run on the
    /// caller's thread (the trace's statements are kept per thread).
    pub fn open(path: &Path) -> TracedStore {
        let store = Store::open_with_pool_size(path, 1)
            .expect("open the traced store")
            .ungrouped();
        store
            .conn()
            .expect("the traced connection")
            .trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(catch));
        let explain = Connection::open(path).expect("open a connection for EXPLAIN");
        TracedStore { store, explain }
    }

    /// Runs `f` on the store; its result and the distinct statements it
    /// ran, first-run order, transaction control left out.
    pub fn run<T>(&self, f: impl FnOnce(&Store) -> T) -> (T, Vec<String>) {
        CAUGHT.with(|c| c.borrow_mut().clear());
        let out = f(&self.store);
        let mut seen: Vec<String> = Vec::new();
        for sql in CAUGHT.with(|c| c.take()) {
            let word = sql.split_whitespace().next().unwrap_or("").to_uppercase();
            let control = [
                "BEGIN",
                "COMMIT",
                "ROLLBACK",
                "SAVEPOINT",
                "RELEASE",
                "PRAGMA",
            ];
            // `SELECT 1;` is r2d2's health check of the pooled connection.
            let pool_check = sql == "SELECT 1;";
            if !control.contains(&word.as_str()) && !pool_check && !seen.contains(&sql) {
                seen.push(sql);
            }
        }
        (out, seen)
    }

    /// `EXPLAIN QUERY PLAN` of `sql`, its parameters bound to NULL (the
    /// planner has no statistics, so values would not change the plan).
    pub fn plan(&self, sql: &str) -> Vec<PlanLine> {
        let mut stmt = self
            .explain
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"));
        let nulls = vec![Null; stmt.parameter_count()];
        stmt.query_map(params_from_iter(nulls), |r| {
            Ok(PlanLine {
                id: r.get(0)?,
                parent: r.get(1)?,
                detail: r.get(3)?,
            })
        })
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"))
    }
}
