//! The webhook outbox's way out: the deliveries due now (for the delivery
//! thread), the outcome of each attempt, and an endpoint's deliveries as
//! its owner lists and resends them. Rows are written by `outbox.rs`.

use rusqlite::{Row, params};
use serde::Serialize;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::webhooks::disable_exhausted;
use crate::domain::Page;

/// A delivery the thread should attempt now.
#[derive(Clone)]
pub struct DueDelivery {
    /// Row id.
    pub id: i64,
    /// `webhook-id`, the same on every attempt.
    pub msg_id: String,
    /// The endpoint's row id.
    pub endpoint_id: i64,
    /// Where to post.
    pub url: String,
    /// The endpoint's `whsec_` secret (its current one).
    pub secret: String,
    /// The body, as frozen at settlement.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// A task's own callback URL, not the endpoint's: failing it for good
    /// does not disable the endpoint.
    pub callback: bool,
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log line.
        f.debug_struct("DueDelivery")
            .field("id", &self.id)
            .field("msg_id", &self.msg_id)
            .field("url", &self.url)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// What comes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A 2xx: delivered.
    Delivered,
    /// Failed; try again at this unix ms.
    RetryAt(i64),
    /// Failed for the last time: the delivery fails and its endpoint is
    /// disabled.
    GiveUp,
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery's row id.
    pub id: i64,
    /// Its endpoint.
    pub endpoint_id: i64,
    /// Whether it went to a task's own callback URL.
    pub callback: bool,
    /// The HTTP status answered, 0 when none came.
    pub http_status: u16,
    /// The start of the answer's body or of the error.
    pub excerpt: String,
    /// What to do next.
    pub next: Next,
}

/// A delivery as the endpoint's owner lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Delivery {
    /// Row id (for resending).
    pub id: i64,
    /// `webhook-id`.
    pub msg_id: String,
    /// `task.succeeded`, `task.failed` or `task.progress`.
    pub event_type: String,
    /// The task's public id.
    pub task_id: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last HTTP status answered, 0 when none came.
    pub last_http_status: i64,
    /// The start of the last answer's body or error.
    pub response_excerpt: String,
    /// When the next attempt is due (unix ms; pending only).
    pub next_attempt_at_ms: i64,
    /// Unix s.
    pub created_at: i64,
    /// Unix s.
    pub updated_at: i64,
    /// The task's own callback URL it went to; empty when it went to the
    /// endpoint's URL.
    pub callback_url: String,
}

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        msg_id: r.get(1)?,
        event_type: r.get(2)?,
        task_id: r.get(3)?,
        status: r.get(4)?,
        attempts: r.get(5)?,
        last_http_status: r.get(6)?,
        response_excerpt: r.get(7)?,
        next_attempt_at_ms: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        callback_url: r.get(11)?,
    })
}

impl Store {
    /// Up to `limit` pending deliveries of enabled endpoints due at
    /// `now_ms`, each the oldest pending one of its endpoint and task (so a
    /// task's events arrive in settlement order), the longest-waiting first.
    pub fn due_deliveries(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<DueDelivery>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(
                "SELECT d.id, d.msg_id, d.endpoint_id, CASE WHEN d.url = '' THEN e.url ELSE d.url END,
                        e.secret, d.payload, d.attempts, d.url != ''
                 FROM webhook_deliveries d INDEXED BY idx_webhook_deliveries_due
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.status = 'pending' AND d.next_attempt_at_ms <= ?1 AND e.enabled = 1
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                       INDEXED BY idx_webhook_deliveries_order
                       WHERE p.endpoint_id = d.endpoint_id AND p.task_row_id = d.task_row_id
                         AND p.status = 'pending' AND p.id < d.id AND p.url = d.url)
                 ORDER BY d.next_attempt_at_ms LIMIT +?2",
            )?
            .query_map(params![now_ms, limit as i64], |r| {
                Ok(DueDelivery {
                    id: r.get(0)?,
                    msg_id: r.get(1)?,
                    endpoint_id: r.get(2)?,
                    url: r.get(3)?,
                    secret: r.get(4)?,
                    payload: r.get(5)?,
                    attempts: r.get(6)?,
                    callback: r.get(7)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records a batch of attempts in one transaction; an attempt that
    /// gives up also disables its endpoint, with a system log row.
    pub fn record_attempts(&self, attempts: &[Attempt]) -> StoreResult<()> {
        if attempts.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        for a in attempts {
            let (status, next_ms) = match a.next {
                Next::Delivered => ("delivered", 0),
                Next::RetryAt(ms) => ("pending", ms),
                Next::GiveUp => ("failed", 0),
            };
            // Only a pending row moves: a delete meanwhile leaves nothing.
            let n = tx
                .prepare_cached(
                    "UPDATE webhook_deliveries SET status = ?2, attempts = attempts + 1,
                        next_attempt_at_ms = ?3, last_status = ?4, response_excerpt = ?5,
                        updated_at = ?6
                     WHERE id = ?1 AND status = 'pending'",
                )?
                .execute(params![
                    a.id,
                    status,
                    next_ms,
                    a.http_status,
                    a.excerpt,
                    now
                ])?;
            if n == 1 && a.next == Next::GiveUp && !a.callback {
                let reason = format!(
                    "delivery {} failed after every retry (last: {})",
                    a.id,
                    if a.http_status > 0 {
                        format!("HTTP {}", a.http_status)
                    } else {
                        a.excerpt.clone()
                    }
                );
                disable_exhausted(&tx, a.endpoint_id, &reason, now)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Endpoint `endpoint_id`'s deliveries (it must be `user_id`'s), newest
    /// first, and how many there are.
    pub fn list_deliveries(
        &self,
        user_id: i64,
        endpoint_id: i64,
        page: Page,
    ) -> StoreResult<(Vec<Delivery>, i64)> {
        self.endpoint(user_id, endpoint_id)?;
        let conn = self.conn()?;
        let total: i64 = conn.query_row(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1",
            params![endpoint_id],
            |r| r.get(0),
        )?;
        let items = conn
            .prepare_cached(
                "SELECT id, msg_id, event_type, task_id, status, attempts, last_status,
                    response_excerpt, next_attempt_at_ms, created_at, updated_at, url
                 FROM webhook_deliveries WHERE endpoint_id = ?1
                 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
            )?
            .query_map(
                params![endpoint_id, page.page_size, page.offset()],
                delivery_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }

    /// Queues delivery `id` of endpoint `endpoint_id` (`user_id`'s) again,
    /// due now with a fresh retry schedule and the same `webhook-id`.
    pub fn resend_delivery(&self, user_id: i64, endpoint_id: i64, id: i64) -> StoreResult<()> {
        self.endpoint(user_id, endpoint_id)?;
        let now_ms = self.now_ms();
        let conn = self.conn()?;
        let n = conn.execute(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
                next_attempt_at_ms = ?3, updated_at = ?4
             WHERE id = ?1 AND endpoint_id = ?2",
            params![id, endpoint_id, now_ms, now_ms / 1000],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "delivery {id} of webhook endpoint {endpoint_id} not found"
            )));
        }
        Ok(())
    }
}
