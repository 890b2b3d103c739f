//! Login sessions: the cookie's random id is kept only as a hash, a session
//! lives [`SESSION_TTL_SECS`] after its last use, and ending one deletes it.

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::error::StoreResult;
use super::users::{USER_COLUMNS, User, user_from_row_at};
use crate::secrets::{hash_secret, random_alphanumeric};

/// A session ends this long after its last use (7 days, sliding).
pub const SESSION_TTL_SECS: i64 = 7 * 24 * 3600;

/// Uses closer together than this do not move the expiry again: a busy
/// console must not turn every read into a write.
pub const TOUCH_EVERY_SECS: i64 = 60;

/// Deletes every session of a user, inside the caller's transaction (a
/// password change, a disabled account).
pub(super) fn end_sessions_of(conn: &Connection, user_id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", params![user_id])
}

impl Store {
    /// Starts a session for `user_id` and returns its id (the cookie's
    /// value, about 256 bits, never stored in clear). Every login gets a
    /// fresh id, so no id chosen before the login survives it. The user's
    /// expired sessions are swept on the way.
    pub fn start_session(&self, user_id: i64) -> StoreResult<String> {
        let id = random_alphanumeric(43);
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2",
            params![user_id, now],
        )?;
        tx.execute(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen, expires_at)
             VALUES (?1, ?2, ?3, ?3, ?4)",
            params![hash_secret(&id), user_id, now, now + SESSION_TTL_SECS],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The user of a live session, its expiry moved forward when the last
    /// move is at least [`TOUCH_EVERY_SECS`] old. `None` for an unknown,
    /// ended or expired session.
    pub fn user_by_session(&self, id: &str) -> StoreResult<Option<User>> {
        let now = self.now();
        let hash = hash_secret(id);
        let conn = self.conn()?;
        let found = conn
            .prepare_cached(&format!(
                "SELECT s.last_seen, {} FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = ?1 AND s.expires_at > ?2",
                USER_COLUMNS
                    .split(", ")
                    .map(|c| format!("u.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?
            .query_row(params![hash, now], |r| {
                Ok((r.get::<_, i64>(0)?, user_from_row_at(r, 1)?))
            })
            .optional()?;
        let Some((last_seen, user)) = found else {
            return Ok(None);
        };
        if now - last_seen >= TOUCH_EVERY_SECS {
            // Conditional on what was read: of two requests at once, one
            // writes; the other's update matches nothing and is harmless.
            conn.execute(
                "UPDATE sessions SET last_seen = ?2, expires_at = ?3
                 WHERE id_hash = ?1 AND last_seen = ?4",
                params![hash, now, now + SESSION_TTL_SECS, last_seen],
            )?;
        }
        Ok(Some(user))
    }

    /// Ends one session (logout); ending an unknown one is not an error.
    pub fn end_session(&self, id: &str) -> StoreResult<()> {
        let conn = self.conn()?;
        conn.execute(
            "DELETE FROM sessions WHERE id_hash = ?1",
            params![hash_secret(id)],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    fn expiry(store: &Store) -> i64 {
        let conn = store.conn().unwrap();
        conn.query_row("SELECT expires_at FROM sessions", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_session_slides_on_use_at_most_once_a_minute_and_ends_unused() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at_ms(1_000_000_000);
        let store = Store::open(&dir.path().join("t.db"))
            .unwrap()
            .with_clock(Arc::new(clock.clone()));
        let id = store.start_session(1).unwrap();
        let start = store.now();
        assert_eq!(expiry(&store), start + SESSION_TTL_SECS);

        clock.advance_ms(59_000);
        assert!(store.user_by_session(&id).unwrap().is_some());
        assert_eq!(expiry(&store), start + SESSION_TTL_SECS, "not written yet");
        clock.advance_ms(1_000);
        assert!(store.user_by_session(&id).unwrap().is_some());
        assert_eq!(expiry(&store), start + 60 + SESSION_TTL_SECS, "moved");

        // Unused for the whole lifetime: gone.
        clock.advance_ms((SESSION_TTL_SECS + 60) * 1000);
        assert!(store.user_by_session(&id).unwrap().is_none());
        assert!(store.user_by_session("made-up").unwrap().is_none());
        let again = store.start_session(1).unwrap();
        assert_ne!(again, id);
        store.end_session(&again).unwrap();
        assert!(store.user_by_session(&again).unwrap().is_none());
    }
}
