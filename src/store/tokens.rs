//! API keys (`sk-...`): creation, listing, updates, and lookup by key.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::users::{USER_COLUMNS, User, user_from_row_at};
use crate::domain::Page;
use crate::domain::quota::parse_amount;
use crate::secrets::{hash_secret, new_api_key};

/// Key status: enabled.
pub const TOKEN_ENABLED: i64 = 1;
/// Key status: disabled by its owner.
pub const TOKEN_DISABLED: i64 = 2;
/// Key status: past its expiry.
pub const TOKEN_EXPIRED: i64 = 3;
/// Key status: quota used up.
pub const TOKEN_EXHAUSTED: i64 = 4;

/// An API key as listed (never the key or its hash).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Token {
    /// Key id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Name given by the owner.
    pub name: String,
    /// 1 enabled, 2 disabled, 3 expired, 4 exhausted.
    pub status: i64,
    /// Quota this key may still spend (ignored when unlimited).
    pub remain_quota: i64,
    /// Whether remain_quota applies.
    pub unlimited_quota: bool,
    /// Quota spent through this key.
    pub used_quota: i64,
    /// Unix s, -1 = never.
    pub expired_time: i64,
    /// Unix s.
    pub created_at: i64,
    /// Unix s of last use.
    pub accessed_time: i64,
}

const TOKEN_COLUMNS: &str = "id, user_id, name, status, remain_quota, unlimited_quota, used_quota, expired_time, created_at, accessed_time";

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        status: r.get(3)?,
        remain_quota: r.get(4)?,
        unlimited_quota: r.get::<_, i64>(5)? != 0,
        used_quota: r.get(6)?,
        expired_time: r.get(7)?,
        created_at: r.get(8)?,
        accessed_time: r.get(9)?,
    })
}

/// Fields of a new key.
#[derive(Debug, Clone, Default)]
pub struct NewToken {
    /// Name.
    pub name: String,
    /// Spendable quota.
    pub remain_quota: i64,
    /// No per-key limit.
    pub unlimited_quota: bool,
    /// Unix s, -1 = never.
    pub expired_time: i64,
}

/// Changes to a key; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct TokenUpdate {
    /// New name.
    pub name: Option<String>,
    /// New status.
    pub status: Option<i64>,
    /// New remain_quota.
    pub remain_quota: Option<i64>,
    /// New unlimited flag.
    pub unlimited_quota: Option<bool>,
    /// New expiry.
    pub expired_time: Option<i64>,
}

fn check_expiry(t: i64) -> StoreResult<()> {
    if t < -1 {
        return Err(StoreError::invalid(
            "expired_time must be -1 (never) or a unix time",
        ));
    }
    Ok(())
}

impl Store {
    /// Creates a key for `user_id`; returns the listed form and the key itself
    /// (shown once).
    pub fn create_token(&self, user_id: i64, new: &NewToken) -> StoreResult<(Token, String)> {
        parse_amount("remain_quota", new.remain_quota)?;
        if new.name.chars().count() > 64 {
            return Err(StoreError::invalid("name must be at most 64 characters"));
        }
        check_expiry(new.expired_time)?;
        let key = new_api_key();
        let mut conn = self.conn()?;
        let conn = self.immediate(&mut conn)?;
        conn.execute(
            "INSERT INTO tokens (user_id, name, key_hash, status, remain_quota, unlimited_quota, expired_time, created_at)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7)",
            params![
                user_id,
                new.name,
                hash_secret(&key),
                new.remain_quota,
                new.unlimited_quota as i64,
                new.expired_time,
                self.now()
            ],
        )?;
        let id = conn.last_insert_rowid();
        let token = conn.query_row(
            &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"),
            params![id],
            token_from_row,
        )?;
        log_limit_change(&conn, &token, 0, token.remain_quota, self.now())?;
        conn.commit()?;
        Ok((token, key))
    }

    /// One of `user_id`'s keys.
    pub fn get_token(&self, user_id: i64, id: i64) -> StoreResult<Option<Token>> {
        let conn = self.conn()?;
        Ok(conn
            .query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1 AND user_id = ?2"),
                params![id, user_id],
                token_from_row,
            )
            .optional()?)
    }

    /// A page of `user_id`'s keys, newest first, with the total.
    pub fn list_tokens(&self, user_id: i64, page: Page) -> StoreResult<(Vec<Token>, i64)> {
        let conn = self.conn()?;
        let total: i64 = conn.query_row(
            "SELECT COUNT(*) FROM tokens WHERE user_id = ?1",
            params![user_id],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE user_id = ?1 ORDER BY id DESC LIMIT +?2 OFFSET +?3"
        ))?;
        let items = stmt
            .query_map(
                params![user_id, page.page_size, page.offset()],
                token_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }

    /// Updates one of `user_id`'s keys (404 when it is not theirs).
    pub fn update_token(&self, user_id: i64, id: i64, up: &TokenUpdate) -> StoreResult<Token> {
        if let Some(s) = up.status
            && !(1..=4).contains(&s)
        {
            return Err(StoreError::invalid(
                "status must be 1 (enabled), 2 (disabled), 3 (expired) or 4 (exhausted)",
            ));
        }
        if let Some(q) = up.remain_quota {
            parse_amount("remain_quota", q)?;
        }
        if let Some(t) = up.expired_time {
            check_expiry(t)?;
        }
        if up.name.as_ref().is_some_and(|n| n.chars().count() > 64) {
            return Err(StoreError::invalid("name must be at most 64 characters"));
        }
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let before: Option<i64> = tx
            .query_row(
                "SELECT remain_quota FROM tokens WHERE id = ?1 AND user_id = ?2",
                params![id, user_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(before) = before else {
            return Err(StoreError::NotFound(format!("token {id} not found")));
        };
        // The read above proved the key is the caller's, under the write lock.
        tx.execute(
            "UPDATE tokens SET
                name = COALESCE(?3, name),
                status = COALESCE(?4, status),
                remain_quota = COALESCE(?5, remain_quota),
                unlimited_quota = COALESCE(?6, unlimited_quota),
                expired_time = COALESCE(?7, expired_time)
             WHERE id = ?1 AND user_id = ?2",
            params![
                id,
                user_id,
                up.name,
                up.status,
                up.remain_quota,
                up.unlimited_quota.map(|b| b as i64),
                up.expired_time
            ],
        )?;
        let token = tx.query_row(
            &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"),
            params![id],
            token_from_row,
        )?;
        log_limit_change(&tx, &token, before, token.remain_quota, self.now())?;
        tx.commit()?;
        Ok(token)
    }

    /// Deletes one of `user_id`'s keys (404 when it is not theirs). Tasks
    /// submitted with it keep running; their refunds go to the user alone.
    pub fn delete_token(&self, user_id: i64, id: i64) -> StoreResult<()> {
        let conn = self.conn()?;
        let n = conn.execute(
            "DELETE FROM tokens WHERE id = ?1 AND user_id = ?2",
            params![id, user_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("token {id} not found")));
        }
        Ok(())
    }

    /// The key and its owner for an `sk-...` secret, if any.
    pub fn token_by_key(&self, key: &str) -> StoreResult<Option<(Token, User)>> {
        let conn = self.conn()?;
        // Built once: this runs on every relay request.
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            let prefixed = |cols: &str, p: &str| {
                cols.split(", ")
                    .map(|c| format!("{p}.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "SELECT {}, {} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.key_hash = ?1",
                prefixed(TOKEN_COLUMNS, "t"),
                prefixed(USER_COLUMNS, "u")
            )
        });
        let mut stmt = conn.prepare_cached(sql)?;
        let found = stmt
            .query_row(params![hash_secret(key)], |r| {
                let token = token_from_row(r)?;
                let user = user_from_row_at(r, 10)?;
                Ok((token, user))
            })
            .optional()?;
        Ok(found)
    }
}

/// Writes the log row of a change to a key's remain_quota (type 4 system:
/// it moves the key's spending limit, not the user's balance). The signed
/// change is in `other.remain_quota_delta`, which the audit adds up.
fn log_limit_change(
    conn: &rusqlite::Connection,
    token: &Token,
    before: i64,
    after: i64,
    now: i64,
) -> StoreResult<()> {
    let delta = after - before;
    if delta == 0 {
        return Ok(());
    }
    let username: String = conn
        .query_row(
            "SELECT username FROM users WHERE id = ?1",
            params![token.user_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    super::logs::insert_log(
        conn,
        &super::logs::NewLog {
            log_type: super::logs::LOG_SYSTEM,
            user_id: token.user_id,
            username,
            token_id: token.id,
            token_name: token.name.clone(),
            quota: delta.abs(),
            content: format!(
                "API key '{}' remain_quota set from {before} to {after}",
                token.name
            ),
            other: Some(serde_json::json!({"remain_quota_delta": delta})),
            ..Default::default()
        },
        now,
    )?;
    Ok(())
}
