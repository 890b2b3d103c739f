//! The ledger audit: do the balances agree with the log, and did every
//! failed task get its charge back exactly once?

use rusqlite::params;
use serde::Serialize;

use super::Store;
use super::error::StoreResult;
use crate::audit::Horizons;

/// One broken rule.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Violation {
    /// Which rule.
    pub kind: String,
    /// The user concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Their username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The key concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<i64>,
    /// The task concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// What was found against what was expected.
    pub detail: String,
}

/// The audit's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditReport {
    /// No violation.
    pub ok: bool,
    /// Users checked.
    pub users: i64,
    /// Keys checked.
    pub tokens: i64,
    /// Tasks in the database.
    pub tasks: i64,
    /// Log rows in the database.
    pub logs: i64,
    /// Unix s of the snapshot.
    pub checked_at: i64,
    /// Every broken rule.
    pub violations: Vec<Violation>,
}

fn violation(kind: &str, detail: String) -> Violation {
    Violation {
        kind: kind.into(),
        user_id: None,
        username: None,
        token_id: None,
        task_id: None,
        detail,
    }
}

impl Store {
    /// Audits the books at `now` (unix s); non-final tasks past their
    /// horizon are reported as stuck. Reads one consistent
    /// snapshot, so it is safe while the server writes.
    pub fn audit(&self, now: i64, horizons: Horizons) -> StoreResult<AuditReport> {
        let mut conn = self.conn()?;
        // A deferred transaction: one WAL snapshot for every query below.
        let tx = conn.transaction()?;
        let mut v = Vec::new();
        let count = |sql: &str| -> rusqlite::Result<i64> { tx.query_row(sql, [], |r| r.get(0)) };
        let users = count("SELECT COUNT(*) FROM users")?;
        let tokens = count("SELECT COUNT(*) FROM tokens")?;
        let tasks = count("SELECT COUNT(*) FROM tasks")?;
        let logs = count("SELECT COUNT(*) FROM logs")?;

        // A refund row gives back its whole `quota` but for the units the
        // ceiling kept out (`other.capped`, `other.key_capped`); used_quota
        // goes down by the whole charge.
        let mut stmt = tx.prepare(
            "SELECT u.id, u.username, u.quota, u.used_quota,
                    COALESCE(SUM(CASE l.type WHEN 1 THEN l.quota
                                             WHEN 6 THEN l.quota - COALESCE(json_extract(l.other, '$.capped'), 0)
                                             WHEN 2 THEN -l.quota WHEN 3 THEN -l.quota ELSE 0 END), 0),
                    COALESCE(SUM(CASE l.type WHEN 2 THEN l.quota WHEN 6 THEN -l.quota ELSE 0 END), 0)
             FROM users u LEFT JOIN logs l ON l.user_id = u.id GROUP BY u.id ORDER BY u.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        for row in rows {
            let (id, username, quota, used, expected_quota, expected_used) = row?;
            let mut push = |kind: &str, detail: String| {
                v.push(Violation {
                    user_id: Some(id),
                    username: Some(username.clone()),
                    ..violation(kind, detail)
                })
            };
            if quota < 0 {
                push("negative_balance", format!("quota is {quota}"));
            }
            if quota != expected_quota {
                push(
                    "balance_mismatch",
                    format!(
                        "user {username} (id {id}) has quota {quota} but the log says {expected_quota}"
                    ),
                );
            }
            if used != expected_used {
                push(
                    "used_quota_mismatch",
                    format!(
                        "user {username} (id {id}) has used_quota {used} but the log says {expected_used}"
                    ),
                );
            }
        }
        drop(stmt);

        let mut stmt = tx.prepare(
            "SELECT t.id, t.user_id, t.used_quota, t.remain_quota,
                    COALESCE(SUM(CASE l.type WHEN 2 THEN l.quota WHEN 6 THEN -l.quota ELSE 0 END), 0),
                    COALESCE(SUM(CASE
                        WHEN l.type = 4 THEN COALESCE(json_extract(l.other, '$.remain_quota_delta'), 0)
                        WHEN l.type = 2 AND json_extract(l.other, '$.key_charged') THEN -l.quota
                        WHEN l.type = 6 AND json_extract(l.other, '$.key_refunded')
                            THEN l.quota - COALESCE(json_extract(l.other, '$.key_capped'), 0)
                        ELSE 0 END), 0)
             FROM tokens t LEFT JOIN logs l ON l.token_id = t.id AND l.type IN (2, 4, 6)
             GROUP BY t.id ORDER BY t.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        for row in rows {
            let (id, user_id, used, remain, expected_used, expected_remain) = row?;
            if remain != expected_remain {
                v.push(Violation {
                    user_id: Some(user_id),
                    token_id: Some(id),
                    ..violation(
                        "token_balance_mismatch",
                        format!(
                            "key {id} has remain_quota {remain} but the log says {expected_remain}"
                        ),
                    )
                });
            }
            if used != expected_used {
                v.push(Violation {
                    user_id: Some(user_id),
                    token_id: Some(id),
                    ..violation(
                        "token_used_quota_mismatch",
                        format!("key {id} has used_quota {used} but the log says {expected_used}"),
                    )
                });
            }
            if remain < 0 {
                v.push(Violation {
                    user_id: Some(user_id),
                    token_id: Some(id),
                    ..violation(
                        "negative_balance",
                        format!("key {id} remain_quota is {remain}"),
                    )
                });
            }
        }
        drop(stmt);

        let mut task_rule =
            |kind: &str, sql: &str, args: &[&dyn rusqlite::ToSql], what: &str| -> StoreResult<()> {
                let mut stmt = tx.prepare(sql)?;
                let rows = stmt.query_map(args, |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?;
                for row in rows {
                    let (task_id, user_id, n) = row?;
                    v.push(Violation {
                        user_id: Some(user_id),
                        task_id: Some(task_id.clone()),
                        ..violation(kind, format!("task {task_id} {what} ({n})"))
                    });
                }
                Ok(())
            };
        task_rule(
            "double_refund",
            "SELECT task_id, user_id, COUNT(*) FROM logs
             WHERE type = 6 AND task_id != ''
             GROUP BY task_id HAVING COUNT(*) > 1",
            &[],
            "was refunded more than once: refund rows",
        )?;
        task_rule(
            "failure_not_refunded",
            "SELECT t.task_id, t.user_id, t.quota FROM tasks t
             WHERE t.status = 'FAILURE' AND t.quota > 0
               AND EXISTS (SELECT 1 FROM logs c WHERE c.task_id = t.task_id AND c.type = 2)
               AND NOT EXISTS (SELECT 1 FROM logs r WHERE r.task_id = t.task_id AND r.type = 6)",
            &[],
            "failed but kept its charge: quota",
        )?;
        task_rule(
            "refund_without_failure",
            "SELECT t.task_id, t.user_id, t.quota FROM tasks t
             WHERE t.status != 'FAILURE'
               AND EXISTS (SELECT 1 FROM logs r WHERE r.task_id = t.task_id AND r.type = 6)",
            &[],
            "was refunded but did not fail: quota",
        )?;
        task_rule(
            "stuck_task",
            "SELECT task_id, user_id, ?1 - submit_time FROM tasks
             WHERE status IN ('NOT_START', 'SUBMITTED', 'QUEUED', 'IN_PROGRESS', 'UNKNOWN')
               AND submit_time < ?1 - CASE WHEN status = 'NOT_START' AND upstream_task_id = ''
                                          THEN ?3 ELSE ?2 END",
            params![now, horizons.stale_after_secs, horizons.orphan_after_secs],
            "is not final long after its timeout: age in seconds",
        )?;
        tx.commit()?;
        Ok(AuditReport {
            ok: v.is_empty(),
            users,
            tokens,
            tasks,
            logs,
            checked_at: now,
            violations: v,
        })
    }
}
