//! Operators' work on users: listing, updates, and quota adjustments.

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::error::{StoreError, StoreResult};
use super::logs::{LOG_MANAGE, LOG_TOPUP, NewLog, insert_log};
use super::users::{USER_COLUMNS, User, user_from_row};
use crate::domain::quota::{MAX_QUOTA, parse_change};
use crate::domain::{Page, Role};

/// Changes to a user; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New display name.
    pub display_name: Option<String>,
    /// New group.
    pub group: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New status (1 or 2).
    pub status: Option<i64>,
    /// New password.
    pub password: Option<String>,
}

impl Store {
    /// A page of users whose username or display name contains `keyword`.
    pub fn list_users(&self, keyword: Option<&str>, page: Page) -> StoreResult<(Vec<User>, i64)> {
        let conn = self.conn()?;
        let pattern = keyword.map(|k| {
            let escaped = k
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let filter =
            "(?1 IS NULL OR username LIKE ?1 ESCAPE '\\' OR display_name LIKE ?1 ESCAPE '\\')";
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM users WHERE {filter}"),
            params![pattern],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {filter} ORDER BY id DESC LIMIT +?2 OFFSET +?3"
        ))?;
        let items = stmt
            .query_map(
                params![pattern, page.page_size, page.offset()],
                user_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }

    /// Updates a user (404 when unknown). Who may change what is decided
    /// before, by [`crate::policy::may_update_user`].
    pub fn update_user(&self, id: i64, up: &UserUpdate) -> StoreResult<User> {
        if let Some(s) = up.status
            && s != 1
            && s != 2
        {
            return Err(StoreError::invalid(
                "status must be 1 (enabled) or 2 (disabled)",
            ));
        }
        if up
            .display_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 64)
        {
            return Err(StoreError::invalid(
                "display_name must be at most 64 characters",
            ));
        }
        // Hashed before the write lock is taken: Argon2 takes a while.
        let password_hash = up
            .password
            .as_deref()
            .map(super::users::password_hash)
            .transpose()?;
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        tx.execute(
            "UPDATE users SET display_name = COALESCE(?2, display_name), \"group\" = COALESCE(?3, \"group\"),
                role = COALESCE(?4, role), status = COALESCE(?5, status),
                password_hash = COALESCE(?6, password_hash)
             WHERE id = ?1",
            params![
                id,
                up.display_name,
                up.group.as_ref().filter(|g| !g.trim().is_empty()),
                up.role.map(|r| r.as_i64()),
                up.status,
                password_hash
            ],
        )?;
        // A new password or a disabled account ends the user's sessions.
        if password_hash.is_some() || up.status.is_some_and(|s| s != 1) {
            super::sessions::end_sessions_of(&tx, id)?;
        }
        tx.commit()?;
        self.get_user(id)?
            .ok_or_else(|| StoreError::NotFound(format!("user {id} not found")))
    }

    /// Adds `delta` (signed) to a user's quota with its log row (type 1 for a
    /// grant, 3 for a deduction) in one transaction; a balance below zero or
    /// over [`MAX_QUOTA`] → invalid, nothing changed.
    pub fn adjust_quota(
        &self,
        user_id: i64,
        delta: i64,
        reason: &str,
        actor: &str,
    ) -> StoreResult<User> {
        if parse_change("delta", delta)? == 0 {
            return Err(StoreError::invalid("delta must not be zero"));
        }
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let (username, quota): (String, i64) = tx
            .query_row(
                "SELECT username, quota FROM users WHERE id = ?1",
                params![user_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id} not found")))?;
        // Both are within one ceiling of zero: the sum cannot overflow.
        let new_quota = quota + delta;
        if new_quota < 0 {
            return Err(StoreError::invalid(format!(
                "the balance would become negative ({quota} + {delta})"
            )));
        }
        if new_quota > MAX_QUOTA {
            return Err(StoreError::invalid(format!(
                "delta would take quota to {new_quota} ({quota} + {delta}), over the ceiling of {MAX_QUOTA}"
            )));
        }
        tx.execute(
            "UPDATE users SET quota = ?2 WHERE id = ?1 AND quota = ?3",
            params![user_id, new_quota, quota],
        )?;
        let (log_type, verb) = if delta > 0 {
            (LOG_TOPUP, "granted")
        } else {
            (LOG_MANAGE, "deducted")
        };
        let reason = reason.trim();
        insert_log(
            &tx,
            &NewLog {
                log_type,
                user_id,
                username,
                quota: delta.abs(),
                content: format!(
                    "{actor} {verb} {} quota{}",
                    delta.abs(),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                ),
                other: Some(serde_json::json!({"delta": delta, "reason": reason, "by": actor})),
                ..Default::default()
            },
            self.now(),
        )?;
        let user = tx.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            params![user_id],
            user_from_row,
        )?;
        tx.commit()?;
        Ok(user)
    }
}
