//! The ledger audit: do the balances agree with the log, and did every
//! failed task get its charge back exactly once?
//!
//! It reads the whole ledger, so its cost must stay linear in the rows:
//! one sequential pass over `logs` adds up every balance and collects the
//! refunded tasks (`sums.rs`), then the failed tasks are read once through
//! their status index and matched against those refunds in memory
//! (`rules.rs`). No statement searches the log once per task or per key:
//! that is what made the first audit quadratic (issue 10, item 13: over
//! ten minutes on 108k tasks).

mod rules;
mod sums;

use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode};
use serde::Serialize;

use super::Store;
use super::error::{StoreError, StoreResult};
use crate::audit::Horizons;

/// One broken rule.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Violation {
    /// Which rule.
    pub kind: String,
    /// The user concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Their username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The key concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<i64>,
    /// The task concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// What was found against what was expected.
    pub detail: String,
}

/// The audit's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditReport {
    /// No violation.
    pub ok: bool,
    /// Users checked.
    pub users: i64,
    /// Keys checked.
    pub tokens: i64,
    /// Tasks in the database.
    pub tasks: i64,
    /// Log rows in the database.
    pub logs: i64,
    /// Unix s of the snapshot.
    pub checked_at: i64,
    /// Every broken rule.
    pub violations: Vec<Violation>,
}

/// A violation of `kind` that names nobody yet.
fn violation(kind: &str, detail: String) -> Violation {
    Violation {
        kind: kind.into(),
        user_id: None,
        username: None,
        token_id: None,
        task_id: None,
        detail,
    }
}

/// A stored amount: an integer, or how the value that should have been
/// one reads. Databases from before the v2 CHECKs can hold a REAL (or
/// anything) in a balance column; the audit reports that as a violation
/// instead of failing to read the row.
fn amount(value: ValueRef<'_>) -> Result<i64, String> {
    match value {
        ValueRef::Integer(n) => Ok(n),
        // Debug shows 9.3e18 as `9.3e18` and 1.5 as `1.5`: never as an integer.
        ValueRef::Real(x) => Err(format!("{x:?} (a REAL)")),
        ValueRef::Text(t) => Err(format!("'{}' (text)", String::from_utf8_lossy(t))),
        ValueRef::Blob(_) => Err("a blob".into()),
        ValueRef::Null => Err("NULL".into()),
    }
}

/// How many SQLite VM steps pass between two looks at the deadline:
/// small enough to stop within a millisecond, large enough to cost
/// nothing.
const DEADLINE_CHECK_STEPS: i32 = 10_000;

/// Aborts every statement of a connection once a deadline has passed,
/// until dropped. SQLite's progress handler runs inside `sqlite3_step`, so
/// a long scan is stopped in the middle instead of after it.
struct Deadline<'c>(&'c Connection);

impl<'c> Deadline<'c> {
    fn arm(conn: &'c Connection, limit: Duration) -> StoreResult<Deadline<'c>> {
        let at = Instant::now() + limit;
        conn.progress_handler(DEADLINE_CHECK_STEPS, Some(move || Instant::now() >= at))?;
        Ok(Deadline(conn))
    }
}

impl Drop for Deadline<'_> {
    fn drop(&mut self) {
        // The connection goes back to the pool: a handler left behind would
        // abort whatever it runs next. Removing it fails only on a
        // connection this process does not own, and arming succeeded.
        let _ = self.0.progress_handler(0, None::<fn() -> bool>);
    }
}

impl Store {
    /// Audits the books at `now` (unix s); non-final tasks past their
    /// horizon are reported as stuck. Reads one consistent snapshot, so it
    /// is safe while the server writes; takes as long as it needs.
    pub fn audit(&self, now: i64, horizons: Horizons) -> StoreResult<AuditReport> {
        self.audit_limited(now, horizons, None)
    }

    /// [`Store::audit`] that gives up after `limit` with
    /// [`StoreError::TimedOut`]: SQLite aborts the statement running then,
    /// and the read transaction is rolled back, so the snapshot (which
    /// keeps the WAL from being checkpointed) is released at the deadline.
    pub fn audit_within(
        &self,
        now: i64,
        horizons: Horizons,
        limit: Duration,
    ) -> StoreResult<AuditReport> {
        self.audit_limited(now, horizons, Some(limit))
    }

    fn audit_limited(
        &self,
        now: i64,
        horizons: Horizons,
        limit: Option<Duration>,
    ) -> StoreResult<AuditReport> {
        let mut conn = self.conn()?;
        // A deferred transaction: one WAL snapshot for every query below.
        let tx = conn.transaction()?;
        let deadline = limit.map(|l| Deadline::arm(&tx, l)).transpose()?;
        let result = read_report(&tx, now, horizons);
        // Disarmed before the transaction ends: the commit or rollback
        // must not be aborted too.
        drop(deadline);
        match (result, limit) {
            (Err(StoreError::Sqlite(e)), Some(limit))
                if e.sqlite_error_code() == Some(ErrorCode::OperationInterrupted) =>
            {
                // Dropping `tx` rolls back and ends the snapshot.
                Err(StoreError::TimedOut(format!(
                    "the audit did not finish within {}",
                    seconds(limit)
                )))
            }
            (result, _) => {
                let report = result?;
                tx.commit()?;
                Ok(report)
            }
        }
    }
}

/// `30 s`, or `0.005 s` for a limit under a second.
fn seconds(limit: Duration) -> String {
    if limit.subsec_nanos() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} s", limit.as_secs_f64())
    }
}

/// Every rule, read inside the caller's transaction.
fn read_report(tx: &Connection, now: i64, horizons: Horizons) -> StoreResult<AuditReport> {
    let count = |sql: &str| -> rusqlite::Result<i64> { tx.query_row(sql, [], |r| r.get(0)) };
    let users = count("SELECT COUNT(*) FROM users")?;
    let tokens = count("SELECT COUNT(*) FROM tokens")?;
    let tasks = count("SELECT COUNT(*) FROM tasks")?;
    let logs = count("SELECT COUNT(*) FROM logs")?;

    let mut v = Vec::new();
    let mut sums = sums::LogSums::read(tx, &mut v)?;
    rules::user_balances(tx, &sums, &mut v)?;
    rules::key_balances(tx, &sums, &mut v)?;
    rules::refunds(tx, &mut sums, &mut v)?;
    rules::stuck_tasks(tx, now, horizons, &mut v)?;
    Ok(AuditReport {
        ok: v.is_empty(),
        users,
        tokens,
        tasks,
        logs,
        checked_at: now,
        violations: v,
    })
}
