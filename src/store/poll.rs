//! What the worker reads and writes: due tasks, sweeps, and batched updates
//! whose moves to a final status are conditional on the status read.

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::error::StoreResult;
use super::ledger::{Failure, settle_failure_in};
use super::outbox::{self, Event};
use crate::domain::TaskStatus;
use crate::domain::webhook::WebhookEvent;

/// Statuses the worker still cares about.
pub(super) const IN_FLIGHT: &str = "('NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'UNKNOWN')";

/// A task due for a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct DueTask {
    /// Row id.
    pub id: i64,
    /// Status when read.
    pub status: TaskStatus,
    /// Channel polled.
    pub channel_id: i64,
    /// The upstream's id.
    pub upstream_task_id: String,
    /// Consecutive failed polls.
    pub poll_failures: i64,
    /// Current progress string.
    pub progress: String,
    /// Current start time.
    pub start_time: i64,
    /// When taskcenter took the job (its own clock): no upstream time is
    /// believed before it.
    pub submit_time: i64,
}

/// A change computed from an upstream answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskChange {
    /// Row id.
    pub id: i64,
    /// The status it had when read: the update only applies if it still has it.
    pub expected: TaskStatus,
    /// New status.
    pub status: TaskStatus,
    /// New progress.
    pub progress: String,
    /// Failure reason (FAILURE only).
    pub fail_reason: String,
    /// Unix s; 0 keeps the current value.
    pub start_time: i64,
    /// Unix s; 0 keeps the current value.
    pub finish_time: i64,
    /// Replaces `data` (JSON text) when set.
    pub data: Option<String>,
    /// Next poll (non-final only).
    pub next_poll_at_ms: i64,
}

/// What one batch of changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Rows changed (any status).
    pub updated: usize,
    /// Moved to SUCCESS.
    pub succeeded: usize,
    /// Moved to FAILURE and refunded.
    pub failed: usize,
    /// Skipped: someone else changed the task first.
    pub raced: usize,
}

impl Store {
    /// Up to `limit` tasks with an upstream id, not final, due at `cutoff_ms`,
    /// the longest-waiting first.
    pub fn due_tasks(&self, cutoff_ms: i64, limit: usize) -> StoreResult<Vec<DueTask>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id, status, channel_id, upstream_task_id, poll_failures, progress, start_time,
                    submit_time
             FROM tasks INDEXED BY idx_tasks_due
             WHERE status IN {IN_FLIGHT} AND next_poll_at_ms <= ?1 AND upstream_task_id != ''
             ORDER BY next_poll_at_ms LIMIT +?2"
        ))?;
        let rows = stmt
            .query_map(params![cutoff_ms, limit as i64], |r| {
                let status: String = r.get(1)?;
                Ok(DueTask {
                    id: r.get(0)?,
                    status: TaskStatus::from_word(&status).unwrap_or(TaskStatus::Unknown),
                    channel_id: r.get(2)?,
                    upstream_task_id: r.get(3)?,
                    poll_failures: r.get(4)?,
                    progress: r.get(5)?,
                    start_time: r.get(6)?,
                    submit_time: r.get(7)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Applies a batch of changes in one transaction. FAILURE goes through
    /// the refunding settlement; every update is conditional on `expected`.
    /// Webhook events (success, and progress for endpoints that want it)
    /// are written in the same transaction.
    pub fn apply_changes(&self, changes: &[TaskChange], now: i64) -> StoreResult<Applied> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let mut out = Applied::default();
        for c in changes {
            if c.status == TaskStatus::Failure {
                let failure = Failure {
                    reason: c.fail_reason.clone(),
                    finish_time: c.finish_time,
                    data: c.data.clone(),
                    detail: String::new(),
                    start_time: c.start_time,
                };
                if settle_failure_in(&tx, c.id, c.expected, &failure, now)? {
                    out.updated += 1;
                    out.failed += 1;
                } else {
                    out.raced += 1;
                }
                continue;
            }
            let subs = outbox::subscribers(&tx, c.id)?;
            // A progress event only when something moved: the worker
            // writes a change for every answer, moved or not.
            let before = if subs.want(WebhookEvent::Progress) && c.status != TaskStatus::Success {
                tx.prepare_cached("SELECT status, progress FROM tasks WHERE id = ?1")?
                    .query_row(params![c.id], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .optional()?
            } else {
                None
            };
            let n = tx
                .prepare_cached(
                    "UPDATE tasks SET status = ?3, progress = ?4, updated_at = ?5,
                        start_time = CASE WHEN ?6 > 0 THEN ?6 ELSE start_time END,
                        finish_time = CASE WHEN ?7 > 0 THEN ?7 ELSE finish_time END,
                        data = COALESCE(?8, data), next_poll_at_ms = ?9,
                        poll_attempts = poll_attempts + 1, poll_failures = 0
                     WHERE id = ?1 AND status = ?2 AND refunded = 0",
                )?
                .execute(params![
                    c.id,
                    c.expected.as_str(),
                    c.status.as_str(),
                    c.progress,
                    now,
                    c.start_time,
                    c.finish_time,
                    c.data,
                    c.next_poll_at_ms
                ])?;
            if n == 1 {
                out.updated += 1;
                if c.status == TaskStatus::Success {
                    out.succeeded += 1;
                    outbox::record_event(&tx, c.id, &subs, Event::Succeeded, now)?;
                } else if before.is_some_and(|(status, progress)| {
                    status != c.status.as_str() || progress != c.progress
                }) {
                    outbox::record_event(&tx, c.id, &subs, Event::Progress, now)?;
                }
            } else {
                out.raced += 1;
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Pushes tasks back after a failed or empty poll: `(id, next_poll_at_ms)`.
    pub fn defer_tasks(&self, deferrals: &[(i64, i64)]) -> StoreResult<()> {
        if deferrals.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE tasks SET next_poll_at_ms = ?2, poll_attempts = poll_attempts + 1,
                    poll_failures = poll_failures + 1
                 WHERE id = ?1 AND status IN {IN_FLIGHT}"
            ))?;
            for (id, next) in deferrals {
                stmt.execute(params![id, next])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Non-final tasks submitted at or before `cutoff` (unix s): timed out.
    /// A task whose submission may still be in flight (NOT_START, no
    /// upstream id) is its relay's, and the orphan rule's after that.
    pub fn timed_out_tasks(
        &self,
        cutoff: i64,
        limit: usize,
    ) -> StoreResult<Vec<(i64, TaskStatus)>> {
        self.sweep_query(
            &format!(
                "SELECT id, status FROM tasks INDEXED BY idx_tasks_due
                 WHERE status IN {IN_FLIGHT} AND submit_time <= ?1 AND refunded = 0
                   AND NOT (status = 'NOT_START' AND upstream_task_id = '') LIMIT +?2"
            ),
            params![cutoff, limit as i64],
        )
    }

    /// NOT_START tasks without an upstream id submitted at or before `cutoff`:
    /// reservations orphaned by a crash.
    pub fn orphaned_tasks(&self, cutoff: i64, limit: usize) -> StoreResult<Vec<(i64, TaskStatus)>> {
        self.sweep_query(
            &format!(
                "SELECT id, status FROM tasks INDEXED BY idx_tasks_due
                 WHERE status IN {IN_FLIGHT} AND status = 'NOT_START' AND upstream_task_id = ''
                   AND submit_time <= ?1 AND refunded = 0 LIMIT +?2"
            ),
            params![cutoff, limit as i64],
        )
    }

    /// Non-final tasks with an upstream id whose channel no longer exists.
    pub fn tasks_on_deleted_channels(&self, limit: usize) -> StoreResult<Vec<(i64, TaskStatus)>> {
        self.sweep_query(
            &format!(
                "SELECT t.id, t.status FROM tasks t INDEXED BY idx_tasks_due
                 WHERE t.status IN {IN_FLIGHT} AND t.upstream_task_id != '' AND t.refunded = 0
                   AND NOT EXISTS (SELECT 1 FROM channels c WHERE c.id = t.channel_id)
                 LIMIT +?1"
            ),
            params![limit as i64],
        )
    }

    fn sweep_query(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> StoreResult<Vec<(i64, TaskStatus)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(args, |r| {
                let status: String = r.get(1)?;
                Ok((
                    r.get(0)?,
                    TaskStatus::from_word(&status).unwrap_or(TaskStatus::Unknown),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
