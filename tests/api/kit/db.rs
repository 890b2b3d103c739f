//! Raw SQL on a server's database file, behind the service's back: rows as
//! the tests read them (users, keys, tasks with their private columns, log
//! rows), counts, a whole-database fingerprint, and tampering for the audit
//! tests. It opens its own SQLite connections, so it depends on the schema
//! (`schema.sql`), not on the library's store API.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Params, Row, params};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Log type of a top-up.
pub const LOG_TOP_UP: i64 = 1;
/// Log type of a charge.
pub const LOG_CONSUME: i64 = 2;
/// Log type of an operator's deduction.
pub const LOG_MANAGE: i64 = 3;
/// Log type of a refund.
pub const LOG_REFUND: i64 = 6;

/// Statuses of a task that is not final yet.
const IN_FLIGHT: &str = "('NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'UNKNOWN')";

/// A database file.
#[derive(Debug, Clone)]
pub struct Db {
    path: PathBuf,
}

/// A user as stored (columns as in `schema.sql`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub role: i64,
    pub status: i64,
    pub group: String,
    pub quota: i64,
    pub used_quota: i64,
    pub request_count: i64,
    pub access_token_hash: Option<String>,
}

/// An API key as stored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KeyRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub status: i64,
    pub remain_quota: i64,
    pub used_quota: i64,
}

/// A task as stored, private columns included.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TaskRow {
    pub id: i64,
    pub updated_at: i64,
    pub task_id: String,
    pub user_id: i64,
    pub channel_id: i64,
    pub quota: i64,
    pub action: String,
    pub status: String,
    pub fail_reason: String,
    pub submit_time: i64,
    pub start_time: i64,
    pub finish_time: i64,
    pub progress: String,
    pub data: String,
    pub upstream_task_id: String,
    pub token_id: i64,
    pub model_name: String,
    pub model_price: f64,
    pub group_ratio: f64,
    pub refunded: i64,
    pub next_poll_at_ms: i64,
}

/// A log row as stored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LogRow {
    /// [`LOG_CONSUME`], [`LOG_REFUND`], ...
    #[serde(rename = "type")]
    pub log_type: i64,
    /// Whose balance moved.
    pub user_id: i64,
    /// The key involved (0 when none or gone).
    pub token_id: i64,
    /// The channel named.
    pub channel_id: i64,
    /// The model charged.
    pub model_name: String,
    /// The amount.
    pub quota: i64,
    /// What the row says.
    pub content: String,
    /// Its extra JSON, as text.
    pub other: String,
}

/// A column's value as JSON (blobs as lowercase hex).
fn json_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => n.into(),
        ValueRef::Real(x) => x.into(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
        ValueRef::Blob(b) => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
            .into(),
    }
}

impl Db {
    /// The database at `path`.
    pub fn at(path: &Path) -> Db {
        Db {
            path: path.to_path_buf(),
        }
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Connection {
        let conn = Connection::open(&self.path)
            .unwrap_or_else(|e| panic!("open {}: {e}", self.path.display()));
        conn.busy_timeout(Duration::from_secs(5))
            .expect("set a busy timeout");
        conn
    }

    /// Every row `sql` selects, read by `read`.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: impl Params,
        read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Vec<T> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        stmt.query_map(params, read)
            .and_then(|rows| rows.collect())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one integer `sql` selects.
    pub fn scalar(&self, sql: &str, params: impl Params) -> i64 {
        self.conn()
            .query_row(sql, params, |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs a statement; how many rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> usize {
        self.conn()
            .execute(sql, params)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs one statement that must change exactly one row.
    pub fn tamper(&self, sql: &str) {
        assert_eq!(self.execute(sql, []), 1, "{sql} changes one row");
    }

    /// [`Db::tamper`] with the CHECK constraints off: how a balance came
    /// to hold a REAL before the schema's v2 constraints.
    pub fn tamper_unchecked(&self, sql: &str) {
        let conn = self.conn();
        conn.execute_batch("PRAGMA ignore_check_constraints = ON")
            .expect("turn the CHECK constraints off");
        let changed = conn
            .execute(sql, [])
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(changed, 1, "{sql} changes one row");
    }

    /// Every row `sql` selects, its columns read by name into `T`
    /// (columns `T` does not name are ignored).
    pub fn records<T: DeserializeOwned>(&self, sql: &str, params: impl Params) -> Vec<T> {
        let rows = self.rows(sql, params, |r| {
            let columns = r.as_ref().column_names();
            let values = (0..columns.len()).map(|i| r.get_ref(i).map(json_value));
            let row: Map<String, Value> = columns
                .iter()
                .map(|c| c.to_string())
                .zip(values.collect::<Result<Vec<_>, _>>()?)
                .collect();
            Ok(Value::Object(row))
        });
        rows.into_iter()
            .map(|row| {
                serde_json::from_value(row.clone()).unwrap_or_else(|e| panic!("{sql}: {e}: {row}"))
            })
            .collect()
    }

    /// The first row `sql` selects, if any, read as in [`Db::records`].
    pub fn record<T: DeserializeOwned>(&self, sql: &str, params: impl Params) -> Option<T> {
        self.records(sql, params).into_iter().next()
    }

    /// The user, if there is one.
    pub fn find_user(&self, id: i64) -> Option<UserRow> {
        self.record("SELECT * FROM users WHERE id = ?1", [id])
    }

    /// The user, who must exist.
    pub fn user(&self, id: i64) -> UserRow {
        self.find_user(id)
            .unwrap_or_else(|| panic!("user {id} exists"))
    }

    /// The user's quota balance.
    pub fn quota(&self, id: i64) -> i64 {
        self.user(id).quota
    }

    /// The API key, if it was not deleted.
    pub fn find_key(&self, id: i64) -> Option<KeyRow> {
        self.record("SELECT * FROM tokens WHERE id = ?1", [id])
    }

    /// The API key, which must exist.
    pub fn key(&self, id: i64) -> KeyRow {
        self.find_key(id)
            .unwrap_or_else(|| panic!("key {id} exists"))
    }

    /// Inserts an unlimited key row for `user_id` whose secret nobody knows,
    /// for tests that only delete it (even a disabled user's); its id.
    pub fn insert_key(&self, user_id: i64, name: &str) -> i64 {
        self.scalar(
            "INSERT INTO tokens (user_id, name, key_hash, unlimited_quota, created_at)
             VALUES (?1, ?2, lower(hex(randomblob(32))), 1, unixepoch()) RETURNING id",
            params![user_id, name],
        )
    }

    /// A channel's used_quota, or `None` once it was deleted.
    pub fn channel_used(&self, id: i64) -> Option<i64> {
        let used = self.rows("SELECT used_quota FROM channels WHERE id = ?1", [id], |r| {
            r.get(0)
        });
        used.into_iter().next()
    }

    /// The task with public id `task_id`.
    pub fn task(&self, task_id: &str) -> TaskRow {
        self.record("SELECT * FROM tasks WHERE task_id = ?1", [task_id])
            .unwrap_or_else(|| panic!("task {task_id} exists"))
    }

    /// The public ids of a user's tasks, oldest first.
    pub fn task_ids_of(&self, user_id: i64) -> Vec<String> {
        self.rows(
            "SELECT task_id FROM tasks WHERE user_id = ?1 ORDER BY id",
            [user_id],
            |r| r.get(0),
        )
    }

    /// The public id of the task in row `id`.
    pub fn public_task_id(&self, id: i64) -> String {
        let ids = self.rows("SELECT task_id FROM tasks WHERE id = ?1", [id], |r| {
            r.get(0)
        });
        ids.into_iter()
            .next()
            .unwrap_or_else(|| panic!("task row {id} exists"))
    }

    /// How many tasks the user has.
    pub fn task_count(&self, user_id: i64) -> i64 {
        self.scalar("SELECT COUNT(*) FROM tasks WHERE user_id = ?1", [user_id])
    }

    /// How many charge and refund rows the user has (creating a user with
    /// quota writes a top-up row, which is not counted).
    pub fn task_log_count(&self, user_id: i64) -> i64 {
        self.scalar(
            "SELECT COUNT(*) FROM logs WHERE user_id = ?1 AND type IN (?2, ?3)",
            params![user_id, LOG_CONSUME, LOG_REFUND],
        )
    }

    /// The log rows written for a task, oldest first.
    pub fn logs_of(&self, task_id: &str) -> Vec<LogRow> {
        self.records(
            "SELECT * FROM logs WHERE task_id = ?1 ORDER BY id",
            [task_id],
        )
    }

    /// The refund rows of a task.
    pub fn refunds(&self, task_id: &str) -> Vec<LogRow> {
        let mut rows = self.logs_of(task_id);
        rows.retain(|r| r.log_type == LOG_REFUND);
        rows
    }

    /// Refund rows in the whole database.
    pub fn refund_count(&self) -> i64 {
        self.scalar("SELECT COUNT(*) FROM logs WHERE type = ?1", [LOG_REFUND])
    }

    /// (type, quota) of a user's log rows, oldest first.
    pub fn log_rows(&self, user_id: i64) -> Vec<(i64, i64)> {
        self.rows(
            "SELECT type, quota FROM logs WHERE user_id = ?1 ORDER BY id",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// How many rows `table` holds.
    pub fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {table}"), [])
    }

    /// Tasks that are not final yet.
    pub fn in_flight_count(&self) -> i64 {
        self.scalar(
            &format!("SELECT COUNT(*) FROM tasks WHERE status IN {IN_FLIGHT}"),
            [],
        )
    }

    /// When the last task that is not final is due for a poll (unix ms).
    pub fn latest_due_ms(&self) -> Option<i64> {
        let sql = format!("SELECT MAX(next_poll_at_ms) FROM tasks WHERE status IN {IN_FLIGHT}");
        self.conn()
            .query_row(&sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every row of every table, with row counts and quota sums, as text.
    pub fn fingerprint(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (table, sum) in [
            ("users", "quota"),
            ("tokens", "remain_quota"),
            ("tasks", "quota"),
            ("logs", "quota"),
            ("channels", "used_quota"),
            ("options", "length(value)"),
        ] {
            let (count, total) = self.rows(
                &format!("SELECT COUNT(*), COALESCE(SUM({sum}), 0) FROM {table}"),
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )[0];
            lines.push(format!("{table}: {count} rows, SUM({sum}) = {total}"));
            let sql = format!("SELECT * FROM {table} ORDER BY rowid");
            let rows = self.rows(&sql, [], |r| {
                (0..r.as_ref().column_count())
                    .map(|i| {
                        r.get_ref(i).map(|v| match v {
                            rusqlite::types::ValueRef::Text(t) => {
                                format!("{:?}", String::from_utf8_lossy(t))
                            }
                            other => format!("{other:?}"),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            });
            lines.extend(
                rows.into_iter()
                    .map(|row| format!("{table}: {}", row.join(" | "))),
            );
        }
        lines
    }
}

/// Asserts that two fingerprints hold the same rows.
pub fn assert_unchanged(before: &[String], after: &[String]) {
    let gone: Vec<_> = before.iter().filter(|l| !after.contains(l)).collect();
    let added: Vec<_> = after.iter().filter(|l| !before.contains(l)).collect();
    assert!(
        gone.is_empty() && added.is_empty(),
        "requests that were refused changed the database\nrows before: {gone:#?}\nrows after: {added:#?}"
    );
}
