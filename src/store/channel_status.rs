//! A channel's status as the server changes it: disabled automatically when
//! the upstream refuses its credentials (status 3), probed with backoff,
//! enabled again by a probe that works or by hand. Each change is one
//! transaction with the system log row that explains it, conditional on the
//! status read, so one change wins however many callers race.

use rusqlite::{Connection, params};

use super::Store;
use super::channels::{CHANNEL_AUTO_DISABLED, CHANNEL_COLUMNS, CHANNEL_ENABLED, Channel};
use super::error::StoreResult;
use super::logs::{LOG_SYSTEM, NewLog, insert_log};

/// The longest wait between two probes of an auto-disabled channel, in s.
pub const MAX_PROBE_BACKOFF_SECS: i64 = 3600;

/// Writes the system log row of a channel's status change.
fn log_change(conn: &Connection, channel_id: i64, what: &str, now: i64) -> StoreResult<()> {
    let name: String = conn
        .query_row(
            "SELECT name FROM channels WHERE id = ?1",
            params![channel_id],
            |r| r.get(0),
        )
        .unwrap_or_default();
    insert_log(
        conn,
        &NewLog {
            log_type: LOG_SYSTEM,
            channel_id,
            content: format!("channel #{channel_id} ({name}) {what}"),
            ..Default::default()
        },
        now,
    )?;
    Ok(())
}

/// Called in [`Store::update_channel`]'s transaction when an operator set
/// `status`: the log row, and no reason or probe left behind.
pub(super) fn changed_by_hand(
    conn: &Connection,
    channel_id: i64,
    status: i64,
    by: &str,
    now: i64,
) -> StoreResult<()> {
    conn.execute(
        "UPDATE channels SET disabled_reason = '', disabled_at = 0, probe_at = 0,
            probe_backoff_secs = 0
         WHERE id = ?1",
        params![channel_id],
    )?;
    let what = if status == CHANNEL_ENABLED {
        format!("enabled by {by}")
    } else {
        format!("disabled by {by}")
    };
    log_change(conn, channel_id, &what, now)
}

impl Store {
    /// Disables an enabled channel because the upstream refused its
    /// credentials or balance: status 3, the reason and time, the first
    /// probe at unix s `first_probe`, and a log row. False (nothing
    /// written) when the channel was not enabled any more: another call
    /// disabled it first, or an operator did.
    pub fn auto_disable_channel(
        &self,
        channel_id: i64,
        reason: &str,
        first_probe: i64,
    ) -> StoreResult<bool> {
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let n = tx.execute(
            "UPDATE channels SET status = ?2, disabled_reason = ?3, disabled_at = ?4,
                probe_at = ?5, probe_backoff_secs = MAX(?5 - ?4, 1)
             WHERE id = ?1 AND status = ?6",
            params![
                channel_id,
                CHANNEL_AUTO_DISABLED,
                reason,
                now,
                first_probe,
                CHANNEL_ENABLED
            ],
        )?;
        if n == 1 {
            log_change(
                &tx,
                channel_id,
                &format!("disabled automatically: {reason}"),
                now,
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Auto-disabled channels whose probe is due at unix s `now`.
    pub fn channels_due_for_probe(&self, now: i64) -> StoreResult<Vec<Channel>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE status = ?1 AND probe_at <= ?2 ORDER BY id"
        ))?;
        let items = stmt
            .query_map(
                params![CHANNEL_AUTO_DISABLED, now],
                super::channels::channel_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// A probe of an auto-disabled channel worked: enabled again, reason
    /// cleared, a log row. False when it was not auto-disabled any more.
    pub fn reenable_after_probe(&self, channel_id: i64) -> StoreResult<bool> {
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let n = tx.execute(
            "UPDATE channels SET status = ?2, disabled_reason = '', disabled_at = 0,
                probe_at = 0, probe_backoff_secs = 0
             WHERE id = ?1 AND status = ?3",
            params![channel_id, CHANNEL_ENABLED, CHANNEL_AUTO_DISABLED],
        )?;
        if n == 1 {
            log_change(&tx, channel_id, "enabled again: a probe worked", now)?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// A probe of an auto-disabled channel failed: the next one after twice
    /// the last wait, at most [`MAX_PROBE_BACKOFF_SECS`]. Returns that wait
    /// (None when the channel is not auto-disabled any more).
    pub fn postpone_probe(&self, channel_id: i64) -> StoreResult<Option<i64>> {
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let n = tx.execute(
            "UPDATE channels SET probe_backoff_secs = MIN(MAX(probe_backoff_secs, 1) * 2, ?3),
                probe_at = ?4 + MIN(MAX(probe_backoff_secs, 1) * 2, ?3)
             WHERE id = ?1 AND status = ?2",
            params![
                channel_id,
                CHANNEL_AUTO_DISABLED,
                MAX_PROBE_BACKOFF_SECS,
                now
            ],
        )?;
        let wait = if n == 1 {
            Some(tx.query_row(
                "SELECT probe_backoff_secs FROM channels WHERE id = ?1",
                params![channel_id],
                |r| r.get(0),
            )?)
        } else {
            None
        };
        tx.commit()?;
        Ok(wait)
    }
}
