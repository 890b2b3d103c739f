//! Operators' work on users: listing, updates, and quota adjustments.

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::logs::{LOG_MANAGE, LOG_TOPUP, NewLog, insert_log};
use super::users::{USER_COLUMNS, User, user_from_row};
use crate::clock::unix_now;
use crate::domain::{Page, Role};
use crate::error::{AppError, AppResult};

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
    pub fn list_users(&self, keyword: Option<&str>, page: Page) -> AppResult<(Vec<User>, i64)> {
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

    /// Updates a user on behalf of `actor`: an admin cannot change an admin
    /// or root, only root grants admin, nobody disables or demotes root.
    pub fn update_user(&self, actor: &User, id: i64, up: &UserUpdate) -> AppResult<User> {
        let target = self
            .get_user(id)?
            .ok_or_else(|| AppError::NotFound(format!("user {id} not found")))?;
        let actor_role = actor.role();
        // Admins included themselves: no one raises their own quota or group.
        if target.role() >= Role::Admin && actor_role < Role::Root {
            return Err(AppError::Forbidden(
                "only root can change an administrator".into(),
            ));
        }
        if target.role() == Role::Root {
            if up.role.is_some_and(|r| r != Role::Root) {
                return Err(AppError::Forbidden("root cannot be demoted".into()));
            }
            if up.status.is_some_and(|s| s != 1) {
                return Err(AppError::Forbidden("root cannot be disabled".into()));
            }
        } else if up.role == Some(Role::Root) {
            return Err(AppError::Forbidden("nobody can be made root".into()));
        }
        if up.role.is_some_and(|r| r >= Role::Admin) && actor_role < Role::Root {
            return Err(AppError::Forbidden(
                "only root can grant the admin role".into(),
            ));
        }
        if let Some(s) = up.status
            && s != 1
            && s != 2
        {
            return Err(AppError::bad("status must be 1 (enabled) or 2 (disabled)"));
        }
        if up
            .display_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 64)
        {
            return Err(AppError::bad("display_name must be at most 64 characters"));
        }
        let conn = self.conn()?;
        conn.execute(
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
                up.password.as_deref().map(super::users::password_hash)
            ],
        )?;
        self.get_user(id)?
            .ok_or_else(|| AppError::NotFound(format!("user {id} not found")))
    }

    /// Adds `delta` (signed) to a user's quota with its log row (type 1 for a
    /// grant, 3 for a deduction) in one transaction; below zero → 400.
    pub fn adjust_quota(
        &self,
        user_id: i64,
        delta: i64,
        reason: &str,
        actor: &str,
    ) -> AppResult<User> {
        if delta == 0 {
            return Err(AppError::bad("delta must not be zero"));
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
            .ok_or_else(|| AppError::NotFound(format!("user {user_id} not found")))?;
        let new_quota = quota
            .checked_add(delta)
            .ok_or_else(|| AppError::bad("delta is out of range"))?;
        if new_quota < 0 {
            return Err(AppError::bad(format!(
                "the balance would become negative ({quota} + {delta})"
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
            unix_now(),
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
