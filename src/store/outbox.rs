//! The webhook outbox's one way in: [`record_event`] writes a delivery row
//! per subscribed endpoint inside the transaction that settles or moves
//! the task, so a crash can neither lose an event nor send one for a
//! settlement that rolled back. Every settlement path calls it: the
//! worker's batches (`poll.rs`) and every failure (`ledger::settle_failure_in`,
//! which the relay, the sweeps and the worker share).

use rusqlite::{Transaction, params};

use super::error::StoreResult;
use super::ledger::read_task;
use crate::clock::iso8601_ms;
use crate::domain::webhook::{EventSet, WebhookEvent};
use crate::secrets::new_webhook_msg_id;

/// What happened to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// It reached SUCCESS.
    Succeeded,
    /// It reached FAILURE; this much quota went back to its owner.
    Failed {
        /// The units credited back (the charge, less any the ceiling kept out).
        refunded_quota: i64,
    },
    /// Its status or progress moved before it was final.
    Progress,
}

impl Event {
    fn kind(self) -> WebhookEvent {
        match self {
            Event::Succeeded => WebhookEvent::Succeeded,
            Event::Failed { .. } => WebhookEvent::Failed,
            Event::Progress => WebhookEvent::Progress,
        }
    }
}

/// The enabled endpoints of a task's owner and the events they want, read
/// once per task by the settling transaction.
#[derive(Debug, Default)]
pub(super) struct Subscribers(Vec<(i64, EventSet)>);

impl Subscribers {
    /// Whether any endpoint wants `e` (cheap: the common case is none).
    pub(super) fn want(&self, e: WebhookEvent) -> bool {
        self.0.iter().any(|(_, set)| set.contains(e))
    }
}

/// The enabled endpoints of task `task_row_id`'s owner: one indexed read,
/// nothing more when the owner has none.
pub(super) fn subscribers(tx: &Transaction<'_>, task_row_id: i64) -> StoreResult<Subscribers> {
    let rows = tx
        .prepare_cached(
            "SELECT id, events FROM webhook_endpoints
             WHERE user_id = (SELECT user_id FROM tasks WHERE id = ?1) AND enabled = 1",
        )?
        .query_map(params![task_row_id], |r| {
            let events: String = r.get(1)?;
            Ok((r.get(0)?, EventSet::from_stored(&events)))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Subscribers(rows))
}

/// Writes one delivery row per endpoint of `subs` that wants `event`, the
/// payload frozen now: `type`, `timestamp` (ISO 8601 of `now`, unix s) and
/// `data`, the task as its owner sees it in `/api/task/self` (plus
/// `refunded_quota` on `task.failed`). Call it after the task's update,
/// in the same transaction. Returns the rows written.
pub(super) fn record_event(
    tx: &Transaction<'_>,
    task_row_id: i64,
    subs: &Subscribers,
    event: Event,
    now: i64,
) -> StoreResult<usize> {
    let kind = event.kind();
    if !subs.want(kind) {
        return Ok(0);
    }
    let task = read_task(tx, task_row_id)?;
    // Written as text: a `serde_json::Value` of the view would parse its
    // raw `properties` and `data` again, on every settlement.
    let mut data = serde_json::to_string(&task.user_view()).unwrap_or_else(|_| String::from("{}"));
    if let Event::Failed { refunded_quota } = event
        && data.ends_with('}')
    {
        data.pop();
        data.push_str(&format!(",\"refunded_quota\":{refunded_quota}}}"));
    }
    let payload = format!(
        r#"{{"type":"{}","timestamp":"{}","data":{data}}}"#,
        kind.as_str(),
        iso8601_ms(now.saturating_mul(1000)),
    );
    let mut insert = tx.prepare_cached(
        "INSERT INTO webhook_deliveries (msg_id, endpoint_id, event_type, task_row_id, task_id,
            payload, next_attempt_at_ms, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?;
    let mut written = 0;
    for (endpoint_id, _) in subs.0.iter().filter(|(_, set)| set.contains(kind)) {
        insert.execute(params![
            new_webhook_msg_id(),
            endpoint_id,
            kind.as_str(),
            task_row_id,
            task.task_id,
            payload,
            now.saturating_mul(1000),
            now
        ])?;
        written += 1;
    }
    Ok(written)
}
