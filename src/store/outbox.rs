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

/// One place a task's events go: an endpoint of its owner, at the
/// endpoint's URL or (a task's own callback) at another, signed with that
/// endpoint's secret either way.
#[derive(Debug)]
struct Subscriber {
    endpoint_id: i64,
    events: EventSet,
    /// The task's callback URL; empty = the endpoint's own.
    url: String,
}

/// Where a task's events go, read once per task by the settling
/// transaction.
#[derive(Debug, Default)]
pub(super) struct Subscribers(Vec<Subscriber>);

impl Subscribers {
    /// Whether anyone wants `e` (cheap: the common case is nobody).
    pub(super) fn want(&self, e: WebhookEvent) -> bool {
        self.0.iter().any(|s| s.events.contains(e))
    }
}

/// The events a task's own callback URL gets: its end.
pub fn callback_events() -> EventSet {
    EventSet::finals()
}

/// The enabled endpoints of task `task_row_id`'s owner, and its callback
/// URL if it has one (signed by the owner's oldest enabled endpoint, and
/// only while the owner has one): one indexed read, nothing more when the
/// owner has no endpoint.
pub(super) fn subscribers(tx: &Transaction<'_>, task_row_id: i64) -> StoreResult<Subscribers> {
    let rows: Vec<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT e.id, e.events, t.callback_url FROM tasks t
             JOIN webhook_endpoints e ON e.user_id = t.user_id AND e.enabled = 1
             WHERE t.id = ?1 ORDER BY e.id",
        )?
        .query_map(params![task_row_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut subs: Vec<Subscriber> = rows
        .iter()
        .map(|(id, events, _)| Subscriber {
            endpoint_id: *id,
            events: EventSet::from_stored(events),
            url: String::new(),
        })
        .collect();
    if let Some((oldest, _, callback)) = rows.first()
        && !callback.is_empty()
    {
        subs.push(Subscriber {
            endpoint_id: *oldest,
            events: callback_events(),
            url: callback.clone(),
        });
    }
    Ok(Subscribers(subs))
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
            payload, next_attempt_at_ms, created_at, updated_at, url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
    )?;
    let mut written = 0;
    for sub in subs.0.iter().filter(|s| s.events.contains(kind)) {
        insert.execute(params![
            new_webhook_msg_id(),
            sub.endpoint_id,
            kind.as_str(),
            task_row_id,
            task.task_id,
            payload,
            now.saturating_mul(1000),
            now,
            sub.url
        ])?;
        written += 1;
    }
    Ok(written)
}
