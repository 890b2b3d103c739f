//! Channel health (issue 14): a refused key or balance disables a channel
//! with one log row and the job moves on; failures in a row make a channel
//! unhealthy and submissions try it last; the worker probes auto-disabled
//! channels with backoff; the channel list shows it all and keeps it over
//! a restart.

mod auto_disable;
mod fetches;
mod listing;
mod probes;
mod unhealthy;

use serde_json::{Value, json};

use crate::kit::{Customer, TestApp, Upstream, as_root, assert_ok, unlimited_key};

/// Type of the system log rows.
const LOG_SYSTEM: i64 = 4;

/// System log rows naming channel `id`, oldest first.
fn channel_log(app: &TestApp, id: i64) -> Vec<String> {
    app.db.rows(
        "SELECT content FROM logs WHERE type = ?1 AND channel_id = ?2 ORDER BY id",
        [LOG_SYSTEM, id],
        |r| r.get(0),
    )
}

/// A customer who can pay for any number of jobs.
fn payer(app: &TestApp) -> Customer {
    app.customer_with_key("alice", 1_000_000_000, &unlimited_key())
}

/// Submits a music job that must be accepted; returns the channel it
/// landed on.
fn submit_ok(app: &TestApp, c: &Customer) -> i64 {
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let task_id = crate::kit::accepted_task_id(status, &body);
    app.db.task(&task_id).channel_id
}

/// Channel `up` as `GET /api/channel/{id}` shows it.
fn view(app: &TestApp, up: &Upstream) -> Value {
    app.channel_view(up.channel_id)
}

/// Sets a channel's status as an administrator.
fn set_status(app: &TestApp, id: i64, status: i64) -> Value {
    let (code, body) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": id, "status": status}),
    );
    assert_ok(code, &body).clone()
}
