//! The quota log: one row for every balance change.

use rusqlite::{Connection, params};

use super::error::StoreResult;

/// Log type: quota granted.
pub const LOG_TOPUP: i64 = 1;
/// Log type: quota charged for a task.
pub const LOG_CONSUME: i64 = 2;
/// Log type: an operator's adjustment.
pub const LOG_MANAGE: i64 = 3;
/// Log type: system event.
pub const LOG_SYSTEM: i64 = 4;
/// Log type: a charge given back.
pub const LOG_REFUND: i64 = 6;

/// A log row to write.
#[derive(Debug, Clone, Default)]
pub struct NewLog {
    /// One of the `LOG_*` types.
    pub log_type: i64,
    /// Whose balance changed.
    pub user_id: i64,
    /// Their username at the time.
    pub username: String,
    /// The API key involved, if any.
    pub token_id: i64,
    /// Its name at the time.
    pub token_name: String,
    /// The channel involved, if any.
    pub channel_id: i64,
    /// The model charged.
    pub model_name: String,
    /// The amount moved (always positive; the type says which way).
    pub quota: i64,
    /// Human-readable explanation.
    pub content: String,
    /// Public task id, if any.
    pub task_id: String,
    /// Extra JSON.
    pub other: Option<serde_json::Value>,
}

/// Writes a log row on the caller's connection (inside its transaction).
pub fn insert_log(conn: &Connection, log: &NewLog, now: i64) -> StoreResult<i64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO logs (created_at, type, user_id, username, token_id, token_name, channel_id,
                           model_name, quota, content, task_id, other)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    stmt.execute(params![
        now,
        log.log_type,
        log.user_id,
        log.username,
        log.token_id,
        log.token_name,
        log.channel_id,
        log.model_name,
        log.quota,
        log.content,
        log.task_id,
        log.other
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "{}".into()),
    ])?;
    Ok(conn.last_insert_rowid())
}
