//! The audit's rules: each compares stored rows with what the log pass
//! ([`super::sums`]) found, and names who is concerned.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use super::sums::LogSums;
use super::{Violation, amount, violation};
use crate::audit::Horizons;
use crate::store::error::StoreResult;

/// Every user, each read once in id order.
const USERS: &str = "SELECT id, username, quota, used_quota FROM users ORDER BY id";

/// Every key, each read once in id order.
const KEYS: &str = "SELECT id, user_id, used_quota, remain_quota FROM tokens ORDER BY id";

/// The failed tasks, through the status index (pinned: the planner has no
/// statistics to prefer it over a scan of every task).
const FAILED_TASKS: &str = "SELECT id, task_id, user_id, quota
     FROM tasks INDEXED BY idx_tasks_status WHERE status = 'FAILURE'";

/// Whether a task has a charge row. `+type`: only the task-id index may
/// serve it; `idx_logs_type` would read every charge ever logged.
const CHARGED: &str = "SELECT EXISTS (SELECT 1 FROM logs WHERE task_id = ?1 AND +type = 2)";

/// One task by public id (its unique index).
const TASK_BY_ID: &str = "SELECT id, user_id, quota, status FROM tasks WHERE task_id = ?1";

/// Tasks not final long after their timeout. The status list is the
/// worker's partial index `idx_tasks_due`, which holds only such tasks.
const STUCK: &str = "SELECT task_id, user_id, ?1 - submit_time
     FROM tasks INDEXED BY idx_tasks_due
     WHERE status IN ('NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'UNKNOWN')
       AND submit_time < ?1 - CASE WHEN status = 'NOT_START' AND upstream_task_id = ''
                                  THEN ?3 ELSE ?2 END";

/// A user's quota is what the log grants minus what it takes; used_quota
/// is charges minus refunds; no balance is negative or a non-integer.
pub(super) fn user_balances(
    tx: &Connection,
    sums: &LogSums,
    v: &mut Vec<Violation>,
) -> StoreResult<()> {
    let mut stmt = tx.prepare(USERS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let username: String = r.get(1)?;
        let expected = sums.users.get(&id).copied().unwrap_or_default();
        let mut push = |kind: &str, detail: String| {
            v.push(Violation {
                user_id: Some(id),
                username: Some(username.clone()),
                ..violation(kind, detail)
            })
        };
        let not_integer = |column: &str, shown: String| {
            format!("user {username} (id {id}) has {column} {shown}, not an integer")
        };
        match amount(r.get_ref(2)?) {
            Err(shown) => push("non_integer_balance", not_integer("quota", shown)),
            Ok(quota) => {
                if quota < 0 {
                    push("negative_balance", format!("quota is {quota}"));
                }
                if i128::from(quota) != expected.balance {
                    push(
                        "balance_mismatch",
                        format!(
                            "user {username} (id {id}) has quota {quota} but the log says {}",
                            expected.balance
                        ),
                    );
                }
            }
        }
        match amount(r.get_ref(3)?) {
            Err(shown) => push("non_integer_balance", not_integer("used_quota", shown)),
            Ok(used) if i128::from(used) != expected.used => push(
                "used_quota_mismatch",
                format!(
                    "user {username} (id {id}) has used_quota {used} but the log says {}",
                    expected.used
                ),
            ),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// A key's remain_quota is its limits minus the charges it paid plus the
/// refunds it got back; used_quota is charges minus refunds.
pub(super) fn key_balances(
    tx: &Connection,
    sums: &LogSums,
    v: &mut Vec<Violation>,
) -> StoreResult<()> {
    let mut stmt = tx.prepare(KEYS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let user_id: i64 = r.get(1)?;
        let expected = sums.keys.get(&id).copied().unwrap_or_default();
        let mut push = |kind: &str, detail: String| {
            v.push(Violation {
                user_id: Some(user_id),
                token_id: Some(id),
                ..violation(kind, detail)
            })
        };
        let used = amount(r.get_ref(2)?);
        let remain = amount(r.get_ref(3)?);
        for (column, value) in [("remain_quota", &remain), ("used_quota", &used)] {
            if let Err(shown) = value {
                push(
                    "non_integer_balance",
                    format!("key {id} has {column} {shown}, not an integer"),
                );
            }
        }
        if let Ok(remain) = remain
            && i128::from(remain) != expected.balance
        {
            push(
                "token_balance_mismatch",
                format!(
                    "key {id} has remain_quota {remain} but the log says {}",
                    expected.balance
                ),
            );
        }
        if let Ok(used) = used
            && i128::from(used) != expected.used
        {
            push(
                "token_used_quota_mismatch",
                format!(
                    "key {id} has used_quota {used} but the log says {}",
                    expected.used
                ),
            );
        }
        if let Ok(remain) = remain
            && remain < 0
        {
            push(
                "negative_balance",
                format!("key {id} remain_quota is {remain}"),
            );
        }
    }
    Ok(())
}

/// Every failed task that was charged has exactly one refund row, and no
/// other task has any.
///
/// The failed tasks are read once and matched against the refunds the log
/// pass collected (and taken out of them); only the few tasks that break a
/// rule are looked up one by one, each through an index on the task id.
pub(super) fn refunds(
    tx: &Connection,
    sums: &mut LogSums,
    v: &mut Vec<Violation>,
) -> StoreResult<()> {
    let task_violation = |kind: &str, task_id: &str, user_id: i64, what: String| Violation {
        user_id: Some(user_id),
        task_id: Some(task_id.to_string()),
        ..violation(kind, format!("task {task_id} {what}"))
    };
    let mut twice: Vec<(&str, i64, i64)> = sums
        .refunds
        .iter()
        .filter(|(_, r)| r.rows > 1)
        .map(|(task_id, r)| (&**task_id, r.user_id, r.rows))
        .collect();
    twice.sort();
    for (task_id, user_id, rows) in twice {
        v.push(task_violation(
            "double_refund",
            task_id,
            user_id,
            format!("was refunded more than once: refund rows ({rows})"),
        ));
    }

    // (row id, violation) so each rule lists its tasks in row order.
    let mut kept: Vec<(i64, Violation)> = Vec::new();
    let mut charged = tx.prepare(CHARGED)?;
    let mut stmt = tx.prepare(FAILED_TASKS)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let task_id: String = r.get(1)?;
        // Refunded as it should be: what stays in the map afterwards are
        // the refunds of tasks that did not fail.
        if sums.refunds.remove(task_id.as_str()).is_some() {
            continue;
        }
        let quota = r.get_ref(3)?;
        let positive = match quota {
            ValueRef::Integer(n) => n > 0,
            ValueRef::Real(x) => x > 0.0,
            _ => false,
        };
        if positive && charged.query_row(params![task_id], |c| c.get::<_, bool>(0))? {
            let shown = amount(quota).map_or_else(|s| s, |n| n.to_string());
            let violation = task_violation(
                "failure_not_refunded",
                &task_id,
                r.get(2)?,
                format!("failed but kept its charge: quota ({shown})"),
            );
            kept.push((r.get(0)?, violation));
        }
    }
    kept.sort_by_key(|(id, _)| *id);
    v.extend(kept.into_iter().map(|(_, violation)| violation));

    let mut refunded: Vec<(i64, Violation)> = Vec::new();
    let mut task = tx.prepare(TASK_BY_ID)?;
    for task_id in sums.refunds.keys() {
        // A refund row of a task that no longer exists breaks no rule here.
        let Some((id, user_id, quota, status)) = task
            .query_row(params![&**task_id], |r| {
                let shown = amount(r.get_ref(2)?).map_or_else(|s| s, |n| n.to_string());
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get(1)?,
                    shown,
                    r.get::<_, String>(3)?,
                ))
            })
            .optional()?
        else {
            continue;
        };
        if status != "FAILURE" {
            let what = format!("was refunded but did not fail: quota ({quota})");
            refunded.push((
                id,
                task_violation("refund_without_failure", task_id, user_id, what),
            ));
        }
    }
    refunded.sort_by_key(|(id, _)| *id);
    v.extend(refunded.into_iter().map(|(_, violation)| violation));
    Ok(())
}

/// Tasks that are not final long after the sweep that should have settled
/// them.
pub(super) fn stuck_tasks(
    tx: &Connection,
    now: i64,
    horizons: Horizons,
    v: &mut Vec<Violation>,
) -> StoreResult<()> {
    let mut stmt = tx.prepare(STUCK)?;
    let mut rows = stmt.query(params![
        now,
        horizons.stale_after_secs,
        horizons.orphan_after_secs
    ])?;
    while let Some(r) = rows.next()? {
        let task_id: String = r.get(0)?;
        let age = amount(r.get_ref(2)?).map_or_else(|s| s, |n| n.to_string());
        v.push(Violation {
            user_id: Some(r.get(1)?),
            task_id: Some(task_id.clone()),
            ..violation(
                "stuck_task",
                format!(
                    "task {task_id} is not final long after its timeout: age in seconds ({age})"
                ),
            )
        });
    }
    Ok(())
}
