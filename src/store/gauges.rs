//! What the metrics read at scrape time: the tasks in flight.

use super::Store;
use super::error::StoreResult;
use super::poll::IN_FLIGHT;
use crate::metrics::InFlight;

impl Store {
    /// Tasks not final yet, by platform and status, with the oldest one's
    /// submit time. `idx_tasks_status` (status, platform, submit_time, …)
    /// covers it: five seeks, one walk over the backlog, no table rows
    /// read (`tests/api/query_plans`).
    pub fn in_flight_summary(&self) -> StoreResult<Vec<InFlight>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&in_flight_sql())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(InFlight {
                    status: r.get(0)?,
                    platform: r.get(1)?,
                    count: r.get(2)?,
                    oldest_submit_time: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// The query of [`Store::in_flight_summary`] (its plan is tested).
pub fn in_flight_sql() -> String {
    format!(
        "SELECT status, platform, COUNT(*), MIN(submit_time) FROM tasks
         WHERE status IN {IN_FLIGHT} GROUP BY status, platform"
    )
}
