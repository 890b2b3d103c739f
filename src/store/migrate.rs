//! Schema creation and migrations keyed on `PRAGMA user_version`.
//!
//! A new database gets `schema.sql` and is at [`LATEST`] at once. A
//! version-1 database (before the balance ceiling) is rebuilt table by table
//! to the latest schema, its data copied and balances past the ceiling
//! capped, which also brings it to [`LATEST`]. Later versions will add
//! numbered steps to [`STEPS`], run in order from the database's version.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::error::StoreResult;
use crate::domain::quota::MAX_QUOTA;

/// The schema of a new database (the latest version).
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// The version `schema.sql` describes.
pub const LATEST: i64 = 9;

/// Steps after version 2: entry `i` takes the database from version `i + 2`
/// to `i + 3`. Append only; never edit a released entry.
const STEPS: &[&str] = &[
    // 2 → 3: an owner may delete a task from their own lists (a video).
    "ALTER TABLE tasks ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;",
    // 3 → 4: a channel may call a model by another name upstream.
    "ALTER TABLE channels ADD COLUMN model_mapping TEXT NOT NULL DEFAULT '';",
    // 4 → 5: idempotency keys of submissions.
    "CREATE TABLE idempotency_keys (
    user_id          INTEGER NOT NULL,
    key              TEXT    NOT NULL,
    request_hash     TEXT    NOT NULL,                -- hex SHA-256 of method, path and body
    state            TEXT    NOT NULL DEFAULT 'pending', -- pending, done (answer stored)
    instance         TEXT    NOT NULL DEFAULT '',     -- the server run holding a pending claim
    task_row_id      INTEGER,                         -- tasks.id charged for it
    status           INTEGER NOT NULL DEFAULT 0,      -- the stored answer's HTTP status
    body             BLOB,                            -- the stored answer's body
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys(created_at);",
    // 5 → 6: completion webhooks (endpoints and the outbox of deliveries).
    "CREATE TABLE webhook_endpoints (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL,
    url              TEXT    NOT NULL,
    events           TEXT    NOT NULL,                -- space-separated: task.succeeded task.failed task.progress
    secret           TEXT    NOT NULL,                -- whsec_...: shown once, signs every delivery
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX idx_webhook_endpoints_user ON webhook_endpoints(user_id, enabled);
-- The outbox: one row per event and endpoint, written in the transaction
-- that settles the task, its payload frozen then.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id           TEXT    NOT NULL,                -- webhook-id: msg_ + 32 alphanumerics (190 random bits), the same on every retry
    endpoint_id      INTEGER NOT NULL,
    event_type       TEXT    NOT NULL,
    task_row_id      INTEGER NOT NULL,
    task_id          TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending', -- pending, delivered, failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_status      INTEGER NOT NULL DEFAULT 0,      -- last HTTP status, 0 = none (no answer)
    response_excerpt TEXT    NOT NULL DEFAULT '',     -- the first 256 bytes of the last answer or error
    url              TEXT    NOT NULL DEFAULT '',     -- a task's own callback URL; '' = the endpoint's
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- The delivery thread: only pending rows, so it stays as small as the backlog.
CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries(next_attempt_at_ms)
    WHERE status = 'pending';
-- Per-task order (an earlier pending row of the same endpoint and task
-- holds back the later ones) and the endpoint's list, newest first.
CREATE INDEX idx_webhook_deliveries_order ON webhook_deliveries(endpoint_id, task_row_id, id)
    WHERE status = 'pending';
CREATE INDEX idx_webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
ALTER TABLE tasks ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';
",
    // 6 → 7: login sessions of the console, kept as hashes.
    "CREATE TABLE sessions (
        id_hash    TEXT    PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX idx_sessions_user ON sessions(user_id);",
    // 7 → 8: channel health: why and when a channel was auto-disabled, when
    // the worker probes it next, and the figures kept between restarts.
    "ALTER TABLE channels ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE channels ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE channels ADD COLUMN probe_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE channels ADD COLUMN probe_backoff_secs INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE channel_health (
        channel_id           INTEGER PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        healthy              INTEGER NOT NULL DEFAULT 1,
        last_success_at      INTEGER NOT NULL DEFAULT 0,
        last_error           TEXT    NOT NULL DEFAULT '',
        last_error_at        INTEGER NOT NULL DEFAULT 0,
        hours                TEXT    NOT NULL DEFAULT '[]',
        updated_at           INTEGER NOT NULL
    );",
    // 8 → 9: per-day counters of tasks for the admin lists' totals, kept by
    // triggers, filled from the tasks there are; with them no list count
    // seeks platform + time any more, so its index goes.
    "CREATE TABLE task_day_counts (
        day              INTEGER NOT NULL,
        status           TEXT    NOT NULL,
        platform         TEXT    NOT NULL,
        action           TEXT    NOT NULL,
        channel_id       INTEGER NOT NULL,
        tasks            INTEGER NOT NULL,
        PRIMARY KEY (day, status, platform, action, channel_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER task_day_counts_insert AFTER INSERT ON tasks BEGIN
        INSERT INTO task_day_counts (day, status, platform, action, channel_id, tasks)
        VALUES ((NEW.submit_time - (NEW.submit_time % 86400 + 86400) % 86400) / 86400,
                NEW.status, NEW.platform, NEW.action, NEW.channel_id, 1)
        ON CONFLICT DO UPDATE SET tasks = tasks + 1;
    END;
    CREATE TRIGGER task_day_counts_update
    AFTER UPDATE OF status, platform, action, channel_id, submit_time ON tasks
    WHEN OLD.status IS NOT NEW.status OR OLD.platform IS NOT NEW.platform
        OR OLD.action IS NOT NEW.action OR OLD.channel_id IS NOT NEW.channel_id
        OR OLD.submit_time IS NOT NEW.submit_time
    BEGIN
        UPDATE task_day_counts SET tasks = tasks - 1
        WHERE day = (OLD.submit_time - (OLD.submit_time % 86400 + 86400) % 86400) / 86400
          AND status = OLD.status AND platform = OLD.platform AND action = OLD.action
          AND channel_id = OLD.channel_id;
        INSERT INTO task_day_counts (day, status, platform, action, channel_id, tasks)
        VALUES ((NEW.submit_time - (NEW.submit_time % 86400 + 86400) % 86400) / 86400,
                NEW.status, NEW.platform, NEW.action, NEW.channel_id, 1)
        ON CONFLICT DO UPDATE SET tasks = tasks + 1;
    END;
    CREATE TRIGGER task_day_counts_delete AFTER DELETE ON tasks BEGIN
        UPDATE task_day_counts SET tasks = tasks - 1
        WHERE day = (OLD.submit_time - (OLD.submit_time % 86400 + 86400) % 86400) / 86400
          AND status = OLD.status AND platform = OLD.platform AND action = OLD.action
          AND channel_id = OLD.channel_id;
    END;
    INSERT INTO task_day_counts (day, status, platform, action, channel_id, tasks)
    SELECT (submit_time - (submit_time % 86400 + 86400) % 86400) / 86400,
           status, platform, action, channel_id, COUNT(*)
    FROM tasks GROUP BY 1, 2, 3, 4, 5;
    DROP INDEX idx_tasks_platform;",
];

/// Fills `task_day_counts` from the tasks (the end of the 8 → 9 step, for a
/// version-1 database rebuilt with the counters empty).
const COUNT_TASKS_BY_DAY: &str =
    "INSERT INTO task_day_counts (day, status, platform, action, channel_id, tasks)
    SELECT (submit_time - (submit_time % 86400 + 86400) % 86400) / 86400,
           status, platform, action, channel_id, COUNT(*)
    FROM tasks GROUP BY 1, 2, 3, 4, 5;";

/// Columns holding a balance or an amount: copied capped into the ceiling.
const BALANCES: &[(&str, &str)] = &[
    ("users", "quota"),
    ("users", "used_quota"),
    ("tokens", "remain_quota"),
    ("tokens", "used_quota"),
    ("channels", "used_quota"),
    ("tasks", "quota"),
    ("logs", "quota"),
];

/// Brings the database to [`LATEST`], each step in its own transaction.
pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have created it between our read and our lock.
        let again: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if again == 0 {
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(&format!("PRAGMA user_version = {LATEST}"))?;
        }
        tx.commit()?;
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 1 {
        rebuild_to_latest(conn)?;
    }
    loop {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        // Entry `i` of STEPS starts from version `i + 2`; a database at
        // LATEST (new, or rebuilt from version 1) has nothing left to run.
        if version >= LATEST {
            break;
        }
        let Some(step) = STEPS.get((version - 2).max(0) as usize) else {
            break;
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(step)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
        tx.commit()?;
    }
    Ok(())
}

/// Rebuilds every table of `schema.sql` from the version-1 one (SQLite
/// cannot add CHECK constraints to a table in place), in one transaction.
fn rebuild_to_latest(conn: &mut Connection) -> StoreResult<()> {
    let fresh = Connection::open_in_memory()?;
    fresh.execute_batch(SCHEMA)?;
    let tables: Vec<(String, String)> = fresh
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence' ORDER BY rowid")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    // Dropping a table others refer to needs foreign keys off, and the
    // pragma is a no-op inside a transaction.
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let again: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if again == 1 {
        for (table, sql) in &tables {
            rebuild_table(&tx, &fresh, table, sql)?;
        }
        // Triggers after the copies, then what they would have counted.
        for sql in fresh
            .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid")?
            .query_map([], |r| r.get::<_, String>(0))?
        {
            tx.execute_batch(&sql?)?;
        }
        tx.execute_batch(COUNT_TASKS_BY_DAY)?;
        tx.execute_batch(&format!("PRAGMA user_version = {LATEST}"))?;
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    Ok(())
}

fn rebuild_table(
    tx: &Connection,
    fresh: &Connection,
    table: &str,
    create_sql: &str,
) -> StoreResult<()> {
    let old_cols = columns(tx, table)?;
    let indexes: Vec<String> = fresh
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")?
        .query_map([table], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if old_cols.is_empty() {
        // A table version 1 did not have: create it as it is.
        tx.execute_batch(create_sql)?;
        for sql in &indexes {
            tx.execute_batch(sql)?;
        }
        return Ok(());
    }
    let new = format!("{table}__v{LATEST}");
    let quoted = |c: &str| format!("\"{c}\"");
    let new_cols = columns(fresh, table)?;
    let common: Vec<&String> = new_cols.iter().filter(|c| old_cols.contains(c)).collect();
    let select: Vec<String> = common
        .iter()
        .map(|c| {
            if BALANCES.contains(&(table, c.as_str())) {
                format!("MIN(MAX(CAST({0} AS INTEGER), 0), {MAX_QUOTA})", quoted(c))
            } else {
                quoted(c)
            }
        })
        .collect();
    let names: Vec<String> = common.iter().map(|c| quoted(c)).collect();
    let seq: Option<i64> = tx
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .optional()?;
    tx.execute_batch(&create_sql.replacen(
        &format!("CREATE TABLE {table} "),
        &format!("CREATE TABLE {new} "),
        1,
    ))?;
    tx.execute_batch(&format!(
        "INSERT INTO {new} ({}) SELECT {} FROM {table};
         DROP TABLE {table};
         ALTER TABLE {new} RENAME TO {table};",
        names.join(", "),
        select.join(", ")
    ))?;
    for sql in &indexes {
        tx.execute_batch(sql)?;
    }
    // Ids of deleted rows are never handed out again.
    if let Some(seq) = seq {
        tx.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?2) WHERE name = ?1",
            rusqlite::params![table, seq],
        )?;
    }
    Ok(())
}

fn columns(conn: &Connection, table: &str) -> StoreResult<Vec<String>> {
    Ok(conn
        .prepare(&format!("PRAGMA table_info({table})"))?
        .query_map([], |r| r.get(1))?
        .collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What undoes each entry of [`STEPS`], in the same order: a test takes
    /// a database back to an older version with [`rewind`].
    const UNDO: &[&str] = &[
        "ALTER TABLE tasks DROP COLUMN deleted;",
        "ALTER TABLE channels DROP COLUMN model_mapping;",
        "DROP TABLE idempotency_keys;",
        "DROP TABLE webhook_deliveries; DROP TABLE webhook_endpoints;
         ALTER TABLE tasks DROP COLUMN callback_url;",
        "DROP TABLE sessions;",
        "DROP TABLE channel_health;
         ALTER TABLE channels DROP COLUMN probe_backoff_secs;
         ALTER TABLE channels DROP COLUMN probe_at;
         ALTER TABLE channels DROP COLUMN disabled_at;
         ALTER TABLE channels DROP COLUMN disabled_reason;",
        "DROP TRIGGER task_day_counts_insert; DROP TRIGGER task_day_counts_update;
         DROP TRIGGER task_day_counts_delete; DROP TABLE task_day_counts;
         CREATE INDEX idx_tasks_platform ON tasks(platform, submit_time, status, action, channel_id);",
    ];

    /// Takes a database at [`LATEST`] back to `version` (2 or later).
    fn rewind(conn: &Connection, version: i64) {
        for undo in UNDO[(version - 2) as usize..].iter().rev() {
            conn.execute_batch(undo).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {version}"))
            .unwrap();
    }

    #[test]
    fn every_step_has_its_undo() {
        assert_eq!(UNDO.len(), STEPS.len());
        assert_eq!(STEPS.len() as i64, LATEST - 2);
    }

    /// The version-1 tables that matter, as they were.
    const V1: &str = "
        CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
            password_hash TEXT, display_name TEXT NOT NULL DEFAULT '', role INTEGER NOT NULL DEFAULT 1,
            status INTEGER NOT NULL DEFAULT 1, \"group\" TEXT NOT NULL DEFAULT 'default',
            quota INTEGER NOT NULL DEFAULT 0 CHECK (quota >= 0), used_quota INTEGER NOT NULL DEFAULT 0,
            request_count INTEGER NOT NULL DEFAULT 0, access_token_hash TEXT UNIQUE, created_at INTEGER NOT NULL);
        CREATE TABLE tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL, task_id TEXT NOT NULL UNIQUE, platform TEXT NOT NULL,
            user_id INTEGER NOT NULL, quota INTEGER NOT NULL DEFAULT 0, action TEXT NOT NULL, status TEXT NOT NULL);
        INSERT INTO users (id, username, quota, used_quota, created_at) VALUES (1, 'root', 0, 0, 1);
        INSERT INTO users (id, username, quota, used_quota, created_at) VALUES (7, 'big', 10, 9.3e18, 1);
        DELETE FROM users WHERE id = 7;
        INSERT INTO users (id, username, quota, used_quota, created_at) VALUES (2, 'alice', 500, 9.3e18, 1);
        INSERT INTO tasks (created_at, updated_at, task_id, platform, user_id, quota, action, status)
            VALUES (1, 1, 'task_a', 'some-platform', 2, 50, 'SOME_ACTION', 'SUCCESS');
        PRAGMA user_version = 1;";

    #[test]
    fn a_version_2_database_gets_the_deleted_marker_and_keeps_its_tasks() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        migrate(&mut conn).unwrap();
        // Back to how version 2 was: no `deleted` column, nor any later one.
        rewind(&conn, 2);
        migrate(&mut conn).unwrap();
        let (version, deleted): (i64, i64) = (
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap(),
            conn.query_row(
                "SELECT deleted FROM tasks WHERE task_id = 'task_a'",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        );
        assert_eq!((version, deleted), (LATEST, 0));
        assert_eq!(counted_tasks(&conn), 1, "the 8 → 9 step counts the tasks");
        migrate(&mut conn).unwrap();
    }

    /// The tasks in the day counters, which the triggers keep from then on.
    fn counted_tasks(conn: &Connection) -> i64 {
        conn.execute(
            "UPDATE tasks SET status = 'FAILURE' WHERE task_id = 'task_a'",
            [],
        )
        .unwrap();
        conn.query_row(
            "SELECT SUM(tasks) FROM task_day_counts WHERE status = 'FAILURE'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn a_version_6_database_gets_an_empty_sessions_table() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        migrate(&mut conn).unwrap();
        rewind(&conn, 6);
        migrate(&mut conn).unwrap();
        let (version, sessions): (i64, i64) = (
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap(),
            conn.query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
                .unwrap(),
        );
        assert_eq!((version, sessions), (LATEST, 0));
        let users: i64 = conn
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(users, 2, "the users are kept");
    }

    #[test]
    fn a_version_3_database_keeps_its_channels_with_no_model_mapping() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        migrate(&mut conn).unwrap();
        // Back to how version 3 was: channels without `model_mapping`.
        rewind(&conn, 3);
        conn.execute_batch(
            "INSERT INTO channels (id, type, name, base_url, key, models, created_at)
                 VALUES (5, 'sora', 'old', 'https://v.example.com', 'secret', 'sora-2', 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (version, channel): (i64, (String, String, String, String)) = (
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap(),
            conn.query_row(
                "SELECT name, key, models, model_mapping FROM channels WHERE id = 5",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap(),
        );
        assert_eq!(version, LATEST);
        assert_eq!(
            channel,
            (
                "old".into(),
                "secret".into(),
                "sora-2".into(),
                String::new()
            )
        );
        migrate(&mut conn).unwrap();
    }

    #[test]
    fn a_version_5_database_gets_the_webhook_tables() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        migrate(&mut conn).unwrap();
        rewind(&conn, 5);
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST);
        assert_eq!(columns(&conn, "webhook_deliveries").unwrap().len(), 15);
        assert!(!columns(&conn, "webhook_endpoints").unwrap().is_empty());
    }

    #[test]
    fn a_version_1_database_is_rebuilt_with_its_data_and_capped_balances() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST);
        let (quota, used): (i64, i64) = conn
            .query_row(
                "SELECT quota, used_quota FROM users WHERE id = 2",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((quota, used), (500, MAX_QUOTA));
        assert_eq!(counted_tasks(&conn), 1, "the rebuild counts the tasks");
        let detail: String = conn
            .query_row(
                "SELECT fail_detail FROM tasks WHERE task_id = 'task_a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(detail, "");
        // A REAL can no longer be stored, and a deleted id is not reused.
        assert!(
            conn.execute("UPDATE users SET quota = 1e19 WHERE id = 2", [])
                .is_err()
        );
        conn.execute(
            "INSERT INTO users (username, created_at) VALUES ('next', 1)",
            [],
        )
        .unwrap();
        let id: i64 = conn
            .query_row("SELECT id FROM users WHERE username = 'next'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(id, 8);
    }
}
