//! The refund of a failed task's charge: back to the user's quota and to
//! the key's *current* remain_quota, each capped at [`MAX_QUOTA`], with the
//! log row saying where every unit went. Called by
//! [`super::ledger::settle_failure_in`] once its conditional update has
//! decided that this call settles the task, so it runs exactly once.

use rusqlite::{Transaction, params};
use serde_json::json;

use super::error::StoreResult;
use super::logs::{LOG_REFUND, LOG_SYSTEM, NewLog, insert_log};
use crate::domain::quota::{MAX_QUOTA, credit};

/// What a refund needs to know about the charge it reverses, read under the
/// settling transaction's write lock (so the balances cannot move before
/// the updates below).
struct Charged {
    user_id: i64,
    token_id: i64,
    channel_id: i64,
    quota: i64,
    task_id: String,
    model_name: String,
    accepted_upstream: bool,
    username: String,
    /// The user's quota before the refund.
    user_quota: i64,
    /// `None` when the key was deleted meanwhile: the user alone is refunded.
    key: Option<Key>,
}

/// The key as the refund finds it.
struct Key {
    name: String,
    remain_quota: i64,
    unlimited: bool,
}

/// What the refund did to a limited key's remain_quota.
struct KeyCredit {
    before: i64,
    after: i64,
    capped: i64,
    /// A type-4 log row moved the key's limit after the charge was taken.
    limit_changed: bool,
}

/// Gives task `task_row_id`'s charge back to user and key and writes the
/// refund log row (type 6); returns the units refunded (the row's quota)
/// and those credited to the user (fewer when capped).
///
/// The key is credited on top of its remain_quota as it is now, which may
/// have been set to a new limit since the charge (new-api's rule: a limit
/// set while a job runs does not absorb that job's refund). A credit that
/// would pass the ceiling stops at it; the units that did not fit are
/// named in the row (`other.capped` for the user's quota,
/// `other.key_capped` for the key's remain_quota) so the audit and a
/// reader can account for them.
pub(super) fn refund_task(
    tx: &Transaction<'_>,
    task_row_id: i64,
    reason: &str,
    now: i64,
) -> StoreResult<(i64, i64)> {
    let c = charged(tx, task_row_id)?;
    let q = c.quota;
    if q <= 0 {
        return Ok((0, 0));
    }
    let (_, user_capped) = credit(c.user_quota, q);
    tx.prepare_cached(
        "UPDATE users SET quota = MIN(quota + ?2, ?3), used_quota = MAX(used_quota - ?2, 0)
         WHERE id = ?1",
    )?
    .execute(params![c.user_id, q, MAX_QUOTA])?;
    let mut key_credit = None;
    if let Some(key) = &c.key {
        tx.prepare_cached(
            "UPDATE tokens SET
                remain_quota = CASE WHEN unlimited_quota = 1 THEN remain_quota
                                    ELSE MIN(remain_quota + ?2, ?3) END,
                used_quota = MAX(used_quota - ?2, 0)
             WHERE id = ?1",
        )?
        .execute(params![c.token_id, q, MAX_QUOTA])?;
        if !key.unlimited {
            let (after, capped) = credit(key.remain_quota, q);
            key_credit = Some(KeyCredit {
                before: key.remain_quota,
                after,
                capped,
                limit_changed: limit_changed_since_charge(tx, c.token_id, &c.task_id)?,
            });
        }
    }
    if c.accepted_upstream {
        // mark_submitted raised the channel's used quota; give it back.
        tx.prepare_cached(
            "UPDATE channels SET used_quota = MAX(used_quota - ?2, 0) WHERE id = ?1",
        )?
        .execute(params![c.channel_id, q])?;
    }
    insert_log(
        tx,
        &NewLog {
            log_type: LOG_REFUND,
            user_id: c.user_id,
            username: c.username.clone(),
            token_id: if c.key.is_some() { c.token_id } else { 0 },
            token_name: c.key.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
            channel_id: c.channel_id,
            model_name: c.model_name.clone(),
            quota: q,
            content: content(&c, reason, user_capped, key_credit.as_ref()),
            task_id: c.task_id.clone(),
            other: Some(other(reason, user_capped, key_credit.as_ref())),
        },
        now,
    )?;
    Ok((q, q - user_capped))
}

/// The charge of task `task_row_id` and the balances it goes back to.
fn charged(tx: &Transaction<'_>, task_row_id: i64) -> StoreResult<Charged> {
    Ok(tx
        .prepare_cached(
            "SELECT t.user_id, t.token_id, t.channel_id, t.quota, t.task_id, t.model_name,
                    t.upstream_task_id != '', COALESCE(u.username, ''), COALESCE(u.quota, 0),
                    k.name, k.remain_quota, k.unlimited_quota
             FROM tasks t LEFT JOIN users u ON u.id = t.user_id LEFT JOIN tokens k ON k.id = t.token_id
             WHERE t.id = ?1",
        )?
        .query_row(params![task_row_id], |r| {
            let key = match r.get::<_, Option<String>>(9)? {
                Some(name) => Some(Key {
                    name,
                    remain_quota: r.get(10)?,
                    unlimited: r.get::<_, i64>(11)? != 0,
                }),
                None => None,
            };
            Ok(Charged {
                user_id: r.get(0)?,
                token_id: r.get(1)?,
                channel_id: r.get(2)?,
                quota: r.get(3)?,
                task_id: r.get(4)?,
                model_name: r.get(5)?,
                accepted_upstream: r.get(6)?,
                username: r.get(7)?,
                user_quota: r.get(8)?,
                key,
            })
        })?)
}

/// Whether the key's remain_quota was set (a type-4 row) after the task's
/// charge row. The type index walks only type-4 rows newer than the
/// charge: limit changes are rare, and a refund comes at most a task
/// timeout after its charge. A task without a charge row (seeded) says no.
fn limit_changed_since_charge(
    tx: &Transaction<'_>,
    token_id: i64,
    task_id: &str,
) -> StoreResult<bool> {
    Ok(tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM logs l WHERE l.type = ?3 AND l.token_id = ?1
                AND l.id > (SELECT MIN(c.id) FROM logs c WHERE c.task_id = ?2 AND +c.type = 2))",
        )?
        .query_row(params![token_id, task_id, LOG_SYSTEM], |r| r.get(0))?)
}

/// The row's words: the task and the reason, then what the key got and
/// any units the ceiling kept out.
fn content(c: &Charged, reason: &str, user_capped: i64, key: Option<&KeyCredit>) -> String {
    let mut s = format!("refund for failed task {}: {reason}", c.task_id);
    if let Some(k) = key {
        s.push_str(&format!(
            "; API key remain_quota {} -> {}",
            k.before, k.after
        ));
        if k.limit_changed {
            s.push_str(" (its limit was changed after the charge: the refund is added to the current limit)");
        }
    }
    if user_capped > 0 {
        s.push_str(&format!(
            "; {user_capped} not credited to the user: quota is capped at {MAX_QUOTA}"
        ));
    }
    if let Some(k) = key.filter(|k| k.capped > 0) {
        s.push_str(&format!(
            "; {} not credited to the API key: remain_quota is capped at {MAX_QUOTA}",
            k.capped
        ));
    }
    s
}

/// The row's `other`: `key_refunded` (the audit adds up the key's
/// remain_quota with it), the key's remain_quota before and after, and the
/// units kept out by the ceiling when there were any (the audit subtracts
/// them).
fn other(reason: &str, user_capped: i64, key: Option<&KeyCredit>) -> serde_json::Value {
    let mut o = json!({"reason": reason, "key_refunded": key.is_some()});
    if let Some(k) = key {
        o["key_remain_before"] = json!(k.before);
        o["key_remain_after"] = json!(k.after);
        o["key_limit_changed"] = json!(k.limit_changed);
        if k.capped > 0 {
            o["key_capped"] = json!(k.capped);
        }
    }
    if user_capped > 0 {
        o["capped"] = json!(user_capped);
    }
    o
}
