//! Idempotency keys of submissions: the claim taken before any work, the
//! link to the task charged for it (written by `ledger::reserve_with_key`
//! in the charge's own transaction), the stored answer, and the purge of
//! expired keys.
//!
//! A pending claim names the server run (`instance`) that holds it. The
//! one-server lock (`files.rs`) means a pending claim of another run was
//! left by a process that is gone: its task, if one was charged, decides
//! the answer; without a task it is taken over and run afresh.

use rusqlite::{OptionalExtension, params};

use super::error::{StoreError, StoreResult};
use super::ledger::read_task;
use super::tasks::Task;
use super::{Store, WriteTx};

/// A claim on `(user, key)` held by one server run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHold {
    /// The key's owner.
    pub user_id: i64,
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// The server run holding it ([`crate::context::Context::instance`]).
    pub instance: String,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claimed {
    /// The key is this request's now: run it.
    Fresh,
    /// The key was answered: status and body as stored.
    Answered {
        /// HTTP status.
        status: u16,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// A request with this key is running in this server.
    InProgress,
    /// The key was used with another request.
    Mismatch,
    /// A server that is gone charged this task for the key and never
    /// answered; the claim is this request's now.
    Abandoned(Box<Task>),
}

/// Pending claim, not answered yet.
const PENDING: &str = "pending";
/// Answered; the answer is stored.
const DONE: &str = "done";

impl Store {
    /// Claims `hold`'s key for the request hashed as `request_hash`; a key
    /// created at or before `expired_before` counts as absent.
    pub fn claim_idempotency_key(
        &self,
        hold: &KeyHold,
        request_hash: &str,
        expired_before: i64,
        now: i64,
    ) -> StoreResult<Claimed> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        type Row = (
            String,
            String,
            String,
            Option<i64>,
            u16,
            Option<Vec<u8>>,
            i64,
        );
        let row: Option<Row> = tx
            .prepare_cached(
                "SELECT request_hash, state, instance, task_row_id, status, body, created_at
                 FROM idempotency_keys WHERE user_id = ?1 AND key = ?2",
            )?
            .query_row(params![hold.user_id, hold.key], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .optional()?;
        let claimed = match row {
            Some((_, _, _, _, _, _, created)) if created <= expired_before => {
                tx.prepare_cached("DELETE FROM idempotency_keys WHERE user_id = ?1 AND key = ?2")?
                    .execute(params![hold.user_id, hold.key])?;
                insert_claim(&tx, hold, request_hash, now)?;
                Claimed::Fresh
            }
            None => {
                insert_claim(&tx, hold, request_hash, now)?;
                Claimed::Fresh
            }
            Some((hash, ..)) if hash != request_hash => Claimed::Mismatch,
            Some((_, state, _, _, status, body, _)) if state == DONE => Claimed::Answered {
                status,
                body: body.unwrap_or_default(),
            },
            Some((_, _, instance, _, _, _, _)) if instance == hold.instance => Claimed::InProgress,
            Some((_, _, _, task_row_id, ..)) => {
                tx.prepare_cached(
                    "UPDATE idempotency_keys SET instance = ?3 WHERE user_id = ?1 AND key = ?2",
                )?
                .execute(params![hold.user_id, hold.key, hold.instance])?;
                match task_row_id {
                    Some(id) => Claimed::Abandoned(Box::new(read_task(&tx, id)?)),
                    None => Claimed::Fresh,
                }
            }
        };
        tx.commit()?;
        Ok(claimed)
    }

    /// Stores the answer of `hold`'s request when it charged a task;
    /// otherwise deletes the claim, so the key can be used again. Whether
    /// the answer was stored.
    pub fn settle_idempotency_key(
        &self,
        hold: &KeyHold,
        status: u16,
        body: &[u8],
    ) -> StoreResult<bool> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let stored = tx
            .prepare_cached(
                "UPDATE idempotency_keys SET state = ?4, status = ?5, body = ?6
                 WHERE user_id = ?1 AND key = ?2 AND instance = ?3 AND state = ?7
                   AND task_row_id IS NOT NULL",
            )?
            .execute(params![
                hold.user_id,
                hold.key,
                hold.instance,
                DONE,
                status,
                body,
                PENDING
            ])?;
        if stored == 0 {
            tx.prepare_cached(
                "DELETE FROM idempotency_keys
                 WHERE user_id = ?1 AND key = ?2 AND instance = ?3 AND state = ?4
                   AND task_row_id IS NULL",
            )?
            .execute(params![hold.user_id, hold.key, hold.instance, PENDING])?;
        }
        tx.commit()?;
        Ok(stored == 1)
    }

    /// Lets go of `hold` without an answer: a claim that charged nothing is
    /// deleted (the key can be used again); one with a task is left as a
    /// crash would leave it, so the next request with the key derives its
    /// answer from the task.
    pub fn let_go_idempotency_key(&self, hold: &KeyHold) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        tx.prepare_cached(
            "DELETE FROM idempotency_keys
             WHERE user_id = ?1 AND key = ?2 AND instance = ?3 AND state = ?4 AND task_row_id IS NULL",
        )?
        .execute(params![hold.user_id, hold.key, hold.instance, PENDING])?;
        tx.prepare_cached(
            "UPDATE idempotency_keys SET instance = ''
             WHERE user_id = ?1 AND key = ?2 AND instance = ?3 AND state = ?4",
        )?
        .execute(params![hold.user_id, hold.key, hold.instance, PENDING])?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes up to `limit` keys created at or before `expired_before`;
    /// how many went.
    pub fn purge_idempotency_keys(&self, expired_before: i64, limit: usize) -> StoreResult<usize> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let n = tx
            .prepare_cached(
                "DELETE FROM idempotency_keys WHERE rowid IN (
                     SELECT rowid FROM idempotency_keys WHERE created_at <= ?1 LIMIT ?2)",
            )?
            .execute(params![expired_before, limit as i64])?;
        tx.commit()?;
        Ok(n)
    }
}

fn insert_claim(tx: &WriteTx<'_>, hold: &KeyHold, request_hash: &str, now: i64) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, state, instance, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        hold.user_id,
        hold.key,
        request_hash,
        PENDING,
        hold.instance,
        now
    ])?;
    Ok(())
}

/// Ties the task charged in `tx` to `hold`'s claim, in the charge's own
/// transaction: the key and the charge commit or roll back together. A
/// claim no longer held (purged while the request ran) refuses the charge.
pub fn link_task_in(
    tx: &rusqlite::Connection,
    hold: &KeyHold,
    task_row_id: i64,
) -> StoreResult<()> {
    let n = tx
        .prepare_cached(
            "UPDATE idempotency_keys SET task_row_id = ?4
             WHERE user_id = ?1 AND key = ?2 AND instance = ?3 AND state = ?5
               AND task_row_id IS NULL",
        )?
        .execute(params![
            hold.user_id,
            hold.key,
            hold.instance,
            task_row_id,
            PENDING
        ])?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "the Idempotency-Key expired while its request ran; nothing was charged".into(),
        ));
    }
    Ok(())
}
