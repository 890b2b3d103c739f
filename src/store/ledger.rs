//! Where quota moves: the charge at submission, acceptance, and the
//! settlement of a failure (whose refund is `store/refund.rs`). Each
//! function is one `BEGIN IMMEDIATE` transaction that changes the balances,
//! the task and the log row explaining them together.

use rusqlite::{OptionalExtension, params};

use super::error::{StoreError, StoreResult};
use super::idempotency::{self, KeyHold};
use super::logs::{LOG_CONSUME, NewLog, insert_log};
use super::options::PriceQuote;
use super::outbox::{self, Event};
use super::tasks::{TASK_COLUMNS, Task, task_from_row};
use super::{Store, WriteTx, refund};
use crate::domain::TaskStatus;
use crate::domain::quota::MAX_QUOTA;
use crate::secrets::new_task_id;

/// What is charged for and recorded when a job is accepted for relay.
#[derive(Debug, Clone)]
pub struct Reservation {
    /// Payer.
    pub user_id: i64,
    /// API key used.
    pub token_id: i64,
    /// First channel chosen.
    pub channel_id: i64,
    /// e.g. `suno`.
    pub platform: String,
    /// The platform's action word, upper-case.
    pub action: String,
    /// e.g. `suno_music`.
    pub model_name: String,
    /// Price snapshot.
    pub quote: PriceQuote,
    /// What the user asked for.
    pub properties: serde_json::Value,
    /// The task's own webhook URL (checked by the caller), empty for none.
    pub callback_url: String,
}

/// Takes the charge from user and key, inserts the task (NOT_START) and the
/// consume log row, all or nothing. Insufficient quota → 403, nothing charged.
/// The used_quota counters stop at [`MAX_QUOTA`] rather than pass it (a sum
/// over the ceiling would break the schema's CHECK, and SQLite turns an
/// overflowing integer sum into a REAL).
pub fn reserve(store: &Store, r: &Reservation, now: i64) -> StoreResult<Task> {
    reserve_with_key(store, r, None, now)
}

/// [`reserve`] for a request holding an idempotency claim: the new task is
/// tied to the claim in the same transaction, so no charge exists without
/// its key knowing it (a lost claim refuses the charge).
///
/// The charge is a grouped write ([`Store::grouped`]): it commits together
/// with the other requests' charges and acceptances waiting at the same
/// moment, and this returns once that commit is done.
pub fn reserve_with_key(
    store: &Store,
    r: &Reservation,
    key: Option<&KeyHold>,
    now: i64,
) -> StoreResult<Task> {
    let r = r.clone();
    let key = key.cloned();
    store.grouped(move |tx| reserve_in(tx, &r, key.as_ref(), now))
}

/// [`reserve_with_key`] inside the caller's transaction.
fn reserve_in(
    tx: &WriteTx<'_>,
    r: &Reservation,
    key: Option<&KeyHold>,
    now: i64,
) -> StoreResult<Task> {
    let charge = r.quote.charge;
    let (username, token_name, unlimited, status): (String, String, bool, i64) = tx
        .prepare_cached(
            "SELECT u.username, t.name, t.unlimited_quota, t.status FROM tokens t
             JOIN users u ON u.id = t.user_id WHERE t.id = ?1 AND u.id = ?2",
        )?
        .query_row(params![r.token_id, r.user_id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get::<_, i64>(2)? != 0,
                row.get(3)?,
            ))
        })
        .optional()?
        .ok_or_else(|| StoreError::Revoked("API key no longer exists".into()))?;
    if status != super::tokens::TOKEN_ENABLED {
        return Err(StoreError::Refused("API key is not enabled".into()));
    }
    let user_ok = tx
        .prepare_cached(
            "UPDATE users SET quota = quota - ?1, used_quota = MIN(used_quota + ?1, ?3)
             WHERE id = ?2 AND status = 1 AND quota >= ?1",
        )?
        .execute(params![charge, r.user_id, MAX_QUOTA])?;
    if user_ok == 0 {
        return Err(StoreError::Refused(format!(
            "insufficient user quota: this call costs {charge}"
        )));
    }
    if !unlimited {
        let key_ok = tx
            .prepare_cached(
                "UPDATE tokens SET remain_quota = remain_quota - ?1,
                    used_quota = MIN(used_quota + ?1, ?4), accessed_time = ?3
                 WHERE id = ?2 AND remain_quota >= ?1",
            )?
            .execute(params![charge, r.token_id, now, MAX_QUOTA])?;
        if key_ok == 0 {
            return Err(StoreError::Refused(format!(
                "insufficient API key quota: this call costs {charge}"
            )));
        }
    } else {
        tx.prepare_cached(
            "UPDATE tokens SET used_quota = MIN(used_quota + ?1, ?4), accessed_time = ?3
             WHERE id = ?2",
        )?
        .execute(params![charge, r.token_id, now, MAX_QUOTA])?;
    }
    let task_id = new_task_id();
    tx.prepare_cached(
        "INSERT INTO tasks (created_at, updated_at, task_id, platform, user_id, channel_id, quota, action,
            status, progress, submit_time, properties, data, token_id, model_name, model_price, group_ratio,
            next_poll_at_ms, callback_url)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'NOT_START', '0%', ?1, ?8, '{}', ?9, ?10, ?11, ?12, 0,
                 ?13)",
    )?
    .execute(params![
            now,
            task_id,
            r.platform,
            r.user_id,
            r.channel_id,
            charge,
            r.action,
            r.properties.to_string(),
            r.token_id,
            r.model_name,
            r.quote.model_price,
            r.quote.group_ratio,
            r.callback_url
        ])?;
    let row_id = tx.last_insert_rowid();
    if let Some(hold) = key {
        idempotency::link_task_in(tx, hold, row_id)?;
    }
    insert_log(
        tx,
        &NewLog {
            log_type: LOG_CONSUME,
            user_id: r.user_id,
            username,
            token_id: r.token_id,
            token_name,
            channel_id: r.channel_id,
            model_name: r.model_name.clone(),
            quota: charge,
            content: format!(
                "charge for {} {}: price {} USD x group ratio {}",
                r.platform, r.action, r.quote.model_price, r.quote.group_ratio
            ),
            task_id: task_id.clone(),
            // Whether the key's remain_quota paid too (the audit adds it up).
            other: Some(serde_json::json!({"key_charged": !unlimited})),
        },
        now,
    )?;
    let task = read_task(tx, row_id)?;
    tx.note_charge(charge);
    Ok(task)
}

/// Records the upstream's acceptance: upstream id, channel, SUBMITTED, the
/// user's request count and the channel's used quota. Returns false when the
/// task was settled meanwhile (e.g. failed as an orphan). A grouped write,
/// like the charge.
pub fn mark_submitted(
    store: &Store,
    task_row_id: i64,
    channel_id: i64,
    upstream_id: &str,
    first_poll_at_ms: i64,
    now: i64,
) -> StoreResult<bool> {
    let upstream_id = upstream_id.to_string();
    store.grouped(move |tx| {
        mark_submitted_in(
            tx,
            task_row_id,
            channel_id,
            &upstream_id,
            first_poll_at_ms,
            now,
        )
    })
}

/// [`mark_submitted`] inside the caller's transaction.
fn mark_submitted_in(
    tx: &WriteTx<'_>,
    task_row_id: i64,
    channel_id: i64,
    upstream_id: &str,
    first_poll_at_ms: i64,
    now: i64,
) -> StoreResult<bool> {
    let n = tx
        .prepare_cached(
            "UPDATE tasks SET upstream_task_id = ?2, channel_id = ?3, status = 'SUBMITTED',
                progress = '10%', updated_at = ?4, next_poll_at_ms = ?5
             WHERE id = ?1 AND status = 'NOT_START' AND upstream_task_id = ''",
        )?
        .execute(params![
            task_row_id,
            upstream_id,
            channel_id,
            now,
            first_poll_at_ms
        ])?;
    if n == 1 {
        let (user_id, quota, task_id): (i64, i64, String) = tx
            .prepare_cached("SELECT user_id, quota, task_id FROM tasks WHERE id = ?1")?
            .query_row(params![task_row_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        // The charge is booked against the channel that took the job, which
        // after a retry is not the first one chosen.
        // `+type` keeps the planner on the task-id index (the type index
        // would walk every charge ever logged).
        tx.prepare_cached(
            "UPDATE logs SET channel_id = ?2 WHERE task_id = ?1 AND +type = 2 AND channel_id != ?2",
        )?
        .execute(params![task_id, channel_id])?;
        tx.prepare_cached("UPDATE users SET request_count = request_count + 1 WHERE id = ?1")?
            .execute(params![user_id])?;
        tx.prepare_cached(
            "UPDATE channels SET used_quota = MIN(used_quota + ?2, ?3) WHERE id = ?1",
        )?
        .execute(params![channel_id, quota, MAX_QUOTA])?;
    }
    Ok(n == 1)
}

/// How a task ends in failure.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    /// Shown to the user.
    pub reason: String,
    /// Unix s; 0 = now.
    pub finish_time: i64,
    /// Replaces `data` (JSON text) when set.
    pub data: Option<String>,
    /// What went wrong in detail, for administrators only (an upstream's
    /// own words); never shown to the task's owner.
    pub detail: String,
    /// Start time copied when non-zero (already checked for plausibility).
    pub start_time: i64,
}

/// Moves a task from `expected` to FAILURE and refunds its charge, exactly
/// once: the conditional update decides, so a concurrent pass, the timeout
/// sweep or a replay after a crash finds nothing to do. Returns whether this
/// call settled it.
pub fn settle_failure(
    store: &Store,
    task_row_id: i64,
    expected: TaskStatus,
    failure: &Failure,
    now: i64,
) -> StoreResult<bool> {
    let mut conn = store.conn()?;
    let tx = store.immediate(&mut conn)?;
    let done = settle_failure_in(&tx, task_row_id, expected, failure, now)?;
    tx.commit()?;
    Ok(done)
}

/// [`settle_failure`] inside the caller's transaction; the `task.failed`
/// webhook event is written with it.
pub fn settle_failure_in(
    tx: &WriteTx<'_>,
    task_row_id: i64,
    expected: TaskStatus,
    failure: &Failure,
    now: i64,
) -> StoreResult<bool> {
    let finish = if failure.finish_time > 0 {
        failure.finish_time
    } else {
        now
    };
    let data = failure.data.as_deref();
    let n = tx.prepare_cached(
        "UPDATE tasks SET status = 'FAILURE', progress = '100%', fail_reason = ?3, finish_time = ?4,
             data = COALESCE(?5, data), refunded = 1, updated_at = ?6,
             fail_detail = ?7,
             start_time = CASE WHEN ?8 > 0 THEN ?8 ELSE start_time END
         WHERE id = ?1 AND status = ?2 AND refunded = 0",
    )?
    .execute(params![
            task_row_id,
            expected.as_str(),
            failure.reason,
            finish,
            data,
            now,
            failure.detail,
            failure.start_time
        ])?;
    if n == 0 {
        return Ok(false);
    }
    let (refunded, refunded_quota) = refund::refund_task(tx, task_row_id, &failure.reason, now)?;
    tx.note_refund(refunded);
    let subs = outbox::subscribers(tx, task_row_id)?;
    outbox::record_event(
        tx,
        task_row_id,
        &subs,
        Event::Failed { refunded_quota },
        now,
    )?;
    Ok(true)
}

/// One task by row id inside a transaction.
pub fn read_task(tx: &rusqlite::Connection, row_id: i64) -> StoreResult<Task> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t WHERE t.id = ?1"
        ))?
        .query_row(params![row_id], task_from_row)?)
}
