//! The channels' health as saved between restarts: one row per channel,
//! written by the worker once per pass for the channels that changed.

use rusqlite::params;

use super::Store;
use super::error::StoreResult;

/// A channel's saved health.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRow {
    /// The channel.
    pub channel_id: i64,
    /// Failures since the last working call.
    pub consecutive_failures: i64,
    /// Whether the relay tries it with the first channels.
    pub healthy: bool,
    /// Unix s of the last working call (0 = none).
    pub last_success_at: i64,
    /// What the last failed call said (administrators only).
    pub last_error: String,
    /// Unix s of the last failed call (0 = none).
    pub last_error_at: i64,
    /// The last 24 h per hour, as JSON (`health::Window`'s text).
    pub hours: String,
}

impl Store {
    /// Every saved row.
    pub fn channel_health_rows(&self) -> StoreResult<Vec<HealthRow>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT channel_id, consecutive_failures, healthy, last_success_at, last_error,
                    last_error_at, hours
             FROM channel_health ORDER BY channel_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(HealthRow {
                    channel_id: r.get(0)?,
                    consecutive_failures: r.get(1)?,
                    healthy: r.get(2)?,
                    last_success_at: r.get(3)?,
                    last_error: r.get(4)?,
                    last_error_at: r.get(5)?,
                    hours: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Saves `rows` in one transaction; rows of deleted channels are left
    /// out.
    pub fn save_channel_health(&self, rows: &[HealthRow]) -> StoreResult<()> {
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO channel_health (channel_id, consecutive_failures, healthy,
                    last_success_at, last_error, last_error_at, hours, updated_at)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS (SELECT 1 FROM channels WHERE id = ?1)
                 ON CONFLICT (channel_id) DO UPDATE SET
                    consecutive_failures = excluded.consecutive_failures,
                    healthy = excluded.healthy, last_success_at = excluded.last_success_at,
                    last_error = excluded.last_error, last_error_at = excluded.last_error_at,
                    hours = excluded.hours, updated_at = excluded.updated_at",
            )?;
            for r in rows {
                stmt.execute(params![
                    r.channel_id,
                    r.consecutive_failures,
                    r.healthy,
                    r.last_success_at,
                    r.last_error,
                    r.last_error_at,
                    r.hours,
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
