//! Operators' repairs: settling a stuck task by hand, with the same
//! exactly-once rules as the worker (the conditional update on the status
//! read decides; a failure refunds through the one refund path).

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ledger::{Failure, read_task, settle_failure_in};
use super::logs::{LOG_SYSTEM, NewLog, insert_log};
use super::outbox::{self, Event};
use super::tasks::{TASK_COLUMN_COUNT, TASK_COLUMNS, Task, task_from_row};
use crate::domain::{Invalid, TaskStatus};

/// How an operator ends a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSettlement {
    /// SUCCESS or FAILURE; nothing else is final.
    pub status: TaskStatus,
    /// Why: the failure reason the owner sees, or a note on a success.
    pub reason: String,
    /// Who did it, for the system log row.
    pub operator: String,
}

/// Longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

impl ManualSettlement {
    /// Reads an operator's request: `status` is `SUCCESS` or `FAILURE`
    /// (any case); the reason is trimmed, at most [`MAX_REASON_CHARS`], and
    /// required for a failure (the owner sees it as the fail reason).
    pub fn parse(status: &str, reason: Option<&str>, operator: String) -> Result<Self, Invalid> {
        let status = match TaskStatus::from_word(status) {
            Some(s) if s.is_final() => s,
            _ => {
                return Err(Invalid::new(format!(
                    "status must be SUCCESS or FAILURE, not {status:?}"
                )));
            }
        };
        let reason = reason.unwrap_or("").trim().to_string();
        if status == TaskStatus::Failure && reason.is_empty() {
            return Err(Invalid::new(
                "reason is required to settle a task as FAILURE",
            ));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(Invalid::new(format!(
                "reason is longer than {MAX_REASON_CHARS} characters"
            )));
        }
        Ok(Self {
            status,
            reason,
            operator,
        })
    }
}

impl Store {
    /// Any task by public id, with its owner's username (operators' view).
    pub fn task_with_owner(&self, task_id: &str) -> StoreResult<Option<(Task, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS}, COALESCE(u.username, '') FROM tasks t
             LEFT JOIN users u ON u.id = t.user_id WHERE t.task_id = ?1"
        ))?;
        Ok(stmt
            .query_row(params![task_id], |r| {
                Ok((task_from_row(r)?, r.get(TASK_COLUMN_COUNT)?))
            })
            .optional()?)
    }

    /// Settles `task_id` by hand: FAILURE refunds its charge with the
    /// refund's log row, SUCCESS keeps it; either way a system log row
    /// (type 4) names the operator and the reason, all in one transaction.
    /// Unknown task → NotFound; a final task → Conflict, nothing changed.
    /// Returns the settled task and its owner's username.
    pub fn settle_by_hand(
        &self,
        task_id: &str,
        s: &ManualSettlement,
        now: i64,
    ) -> StoreResult<(Task, String)> {
        if !s.status.is_final() {
            return Err(StoreError::invalid(
                "status must be SUCCESS or FAILURE".to_string(),
            ));
        }
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let found: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT t.id, t.status, COALESCE(u.username, '') FROM tasks t
                 LEFT JOIN users u ON u.id = t.user_id WHERE t.task_id = ?1",
                params![task_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (row_id, status, username) =
            found.ok_or_else(|| StoreError::NotFound(format!("task {task_id} does not exist")))?;
        let current = TaskStatus::from_word(&status).unwrap_or(TaskStatus::Unknown);
        if current.is_final() {
            return Err(StoreError::Conflict(format!(
                "task {task_id} is already final ({status}); nothing changed"
            )));
        }
        let settled = match s.status {
            TaskStatus::Failure => settle_failure_in(
                &tx,
                row_id,
                current,
                &Failure {
                    reason: s.reason.clone(),
                    detail: format!("settled by hand by {}", s.operator),
                    ..Default::default()
                },
                now,
            )?,
            _ => {
                let n = tx
                    .prepare_cached(
                        "UPDATE tasks SET status = 'SUCCESS', progress = '100%', finish_time = ?3,
                            updated_at = ?3
                         WHERE id = ?1 AND status = ?2 AND refunded = 0",
                    )?
                    .execute(params![row_id, current.as_str(), now])?;
                if n == 1 {
                    // The owner's webhooks hear of it as of the worker's success.
                    let subs = outbox::subscribers(&tx, row_id)?;
                    outbox::record_event(&tx, row_id, &subs, Event::Succeeded, now)?;
                }
                n == 1
            }
        };
        if !settled {
            // Read and update share one write transaction, so only a row
            // that changed under a refund flag can get here.
            return Err(StoreError::Conflict(format!(
                "task {task_id} changed while being settled; nothing changed"
            )));
        }
        let task = read_task(&tx, row_id)?;
        insert_log(
            &tx,
            &NewLog {
                log_type: LOG_SYSTEM,
                user_id: task.user_id,
                username: username.clone(),
                channel_id: task.channel_id,
                model_name: task.model_name.clone(),
                content: format!(
                    "task settled by hand as {} by {}: {}",
                    s.status.as_str(),
                    s.operator,
                    s.reason
                ),
                task_id: task.task_id.clone(),
                ..Default::default()
            },
            now,
        )?;
        tx.commit()?;
        Ok((task, username))
    }
}
