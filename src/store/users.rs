//! Users, their access tokens and their passwords.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::sessions::end_sessions_of;
use crate::domain::Role;
use crate::domain::quota::parse_amount;
use crate::secrets::{hash_secret, new_access_token};

/// A user as the API shows it (never the password or token hash).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Unique login name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// 1 common, 10 admin, 100 root.
    pub role: i64,
    /// 1 enabled, 2 disabled.
    pub status: i64,
    /// Pricing group.
    pub group: String,
    /// Balance in quota units.
    pub quota: i64,
    /// Quota spent so far.
    pub used_quota: i64,
    /// Accepted submissions.
    pub request_count: i64,
    /// Unix seconds.
    pub created_at: i64,
}

impl User {
    /// The role as an enum.
    pub fn role(&self) -> Role {
        Role::from_i64(self.role)
    }
}

/// What is needed to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Unique login name.
    pub username: String,
    /// Optional password (stored hashed).
    pub password: Option<String>,
    /// Shown name; defaults to the username.
    pub display_name: Option<String>,
    /// Role.
    pub role: Option<Role>,
    /// Pricing group; defaults to `default`.
    pub group: Option<String>,
    /// Starting balance.
    pub quota: i64,
}

/// Column list matching [`user_from_row`].
pub const USER_COLUMNS: &str = "id, username, display_name, role, status, \"group\", quota, used_quota, request_count, created_at";

/// Reads a [`User`] from a row selected with [`USER_COLUMNS`].
pub fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    user_from_row_at(r, 0)
}

/// Reads a [`User`] whose [`USER_COLUMNS`] start at column `o`.
pub fn user_from_row_at(r: &Row<'_>, o: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(o)?,
        username: r.get(o + 1)?,
        display_name: r.get(o + 2)?,
        role: r.get(o + 3)?,
        status: r.get(o + 4)?,
        group: r.get(o + 5)?,
        quota: r.get(o + 6)?,
        used_quota: r.get(o + 7)?,
        request_count: r.get(o + 8)?,
        created_at: r.get(o + 9)?,
    })
}

/// The stored hash of a new password: the length rule, then Argon2id
/// (slow on purpose: call from the blocking pool).
pub fn password_hash(password: &str) -> StoreResult<String> {
    crate::password::check_rules(password)?;
    Ok(crate::password::hash(password))
}

impl Store {
    /// Gives the root user (id 1, created with the schema) its access
    /// token: `token` when given (replacing any earlier one), else a random
    /// one when it has none yet. Returns the token when one was generated.
    pub fn ensure_root(&self, token: Option<&str>) -> StoreResult<Option<String>> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let has_token: Option<bool> = tx
            .query_row(
                "SELECT access_token_hash IS NOT NULL FROM users WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if has_token.is_none() {
            tx.execute(
                "INSERT INTO users (id, username, display_name, role, status, created_at)
                 VALUES (1, 'root', 'Root User', 100, 1, ?1)",
                params![self.now()],
            )?;
        }
        let generated = match (token, has_token) {
            (Some(t), _) => {
                tx.execute(
                    "UPDATE users SET access_token_hash = ?1 WHERE id = 1",
                    params![hash_secret(t)],
                )?;
                None
            }
            (None, Some(true)) => None,
            (None, _) => {
                let t = new_access_token();
                tx.execute(
                    "UPDATE users SET access_token_hash = ?1 WHERE id = 1",
                    params![hash_secret(&t)],
                )?;
                Some(t)
            }
        };
        tx.commit()?;
        Ok(generated)
    }

    /// The user owning this access token, if any.
    pub fn user_by_access_token(&self, token: &str) -> StoreResult<Option<User>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE access_token_hash = ?1"
        ))?;
        Ok(stmt
            .query_row(params![hash_secret(token)], user_from_row)
            .optional()?)
    }

    /// One user by id.
    pub fn get_user(&self, id: i64) -> StoreResult<Option<User>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?;
        Ok(stmt.query_row(params![id], user_from_row).optional()?)
    }

    /// Creates a user with a fresh access token; duplicate username → 400.
    /// A starting balance is written with its top-up log row.
    pub fn create_user(&self, new: &NewUser) -> StoreResult<(User, String)> {
        let username = new.username.trim();
        if username.is_empty() || username.chars().count() > 64 {
            return Err(StoreError::invalid("username must be 1 to 64 characters"));
        }
        parse_amount("quota", new.quota)?;
        // Hashed before the write lock is taken: Argon2 takes a while.
        let password_hash = new.password.as_deref().map(password_hash).transpose()?;
        let token = new_access_token();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let taken: Option<i64> = tx
            .query_row(
                "SELECT id FROM users WHERE username = ?1",
                params![username],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(StoreError::invalid(format!(
                "username '{username}' is already taken"
            )));
        }
        let now = self.now();
        tx.execute(
            "INSERT INTO users (username, password_hash, display_name, role, status, \"group\", quota, access_token_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8)",
            params![
                username,
                password_hash,
                new.display_name.clone().unwrap_or_else(|| username.to_string()),
                new.role.unwrap_or(Role::Common).as_i64(),
                new.group.clone().filter(|g| !g.trim().is_empty()).unwrap_or_else(|| "default".into()),
                new.quota,
                hash_secret(&token),
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        if new.quota > 0 {
            super::logs::insert_log(
                &tx,
                &super::logs::NewLog {
                    log_type: super::logs::LOG_TOPUP,
                    user_id: id,
                    username: username.to_string(),
                    quota: new.quota,
                    content: "initial quota at user creation".into(),
                    ..Default::default()
                },
                now,
            )?;
        }
        let user = tx.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            params![id],
            user_from_row,
        )?;
        tx.commit()?;
        Ok((user, token))
    }

    /// Replaces a user's access token and returns the new one.
    pub fn rotate_access_token(&self, user_id: i64) -> StoreResult<String> {
        let token = new_access_token();
        let conn = self.conn()?;
        let n = conn.execute(
            "UPDATE users SET access_token_hash = ?1 WHERE id = ?2",
            params![hash_secret(&token), user_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user_id} not found")));
        }
        Ok(token)
    }

    /// Sets a user's status (tests and operators); disabling ends the
    /// user's sessions in the same transaction.
    pub fn set_user_status(&self, user_id: i64, status: i64) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        tx.execute(
            "UPDATE users SET status = ?1 WHERE id = ?2",
            params![status, user_id],
        )?;
        if status != crate::domain::role::USER_ENABLED {
            end_sessions_of(&tx, user_id)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A user by login name with their stored password hash (`None` when
    /// they have no password), for a login to check.
    pub fn user_for_login(&self, username: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?1"
        ))?;
        Ok(stmt
            .query_row(params![username], |r| Ok((user_from_row(r)?, r.get(10)?)))
            .optional()?)
    }

    /// The stored password hash of a user (`None`: no password yet).
    pub fn password_hash_of(&self, user_id: i64) -> StoreResult<Option<String>> {
        let conn = self.conn()?;
        conn.query_row(
            "SELECT password_hash FROM users WHERE id = ?1",
            params![user_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("user {user_id} not found")))
    }

    /// Sets a user's password (the length rule applies) and ends all their
    /// sessions, in one transaction: whoever held a session with the old
    /// password must log in with the new one.
    pub fn set_password(&self, user_id: i64, password: &str) -> StoreResult<()> {
        let hash = password_hash(password)?;
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let n = tx.execute(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            params![hash, user_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user_id} not found")));
        }
        end_sessions_of(&tx, user_id)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces an old fast hash by `new_hash` after a login proved the
    /// password, only if the hash is still the one that was checked (a
    /// password changed meanwhile wins). Sessions stay: the password did
    /// not change.
    pub fn upgrade_password_hash(
        &self,
        user_id: i64,
        old: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let conn = self.conn()?;
        let n = conn.execute(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2 AND password_hash = ?3",
            params![new_hash, user_id, old],
        )?;
        Ok(n == 1)
    }
}
