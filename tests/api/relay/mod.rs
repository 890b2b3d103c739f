//! The relay: `POST /suno/submit/{action}`, `POST /suno/fetch` and
//! `GET /suno/fetch/{id}`. What an accepted job costs and records, every
//! refusal and that a refusal charges nothing, channel choice and retries
//! with their refunds, continuations, quota under concurrent submissions,
//! and what a key may fetch.

mod concurrency;
mod continuations;
mod fetch;
mod inflight;
mod refusals;
mod retries;
mod submit;

use serde_json::Value;

use crate::kit::{
    Customer, Settings, TestApp, Upstream, assert_ok, items, spawn_app_with, spawn_relay_app,
};
use crate::mock::{Fault, Mock};

/// A relay app, the upstream `main` behind a channel, and alice with
/// 1,000,000 quota and an unlimited key: where most relay tests start.
fn alice_with_one_channel() -> (TestApp, Upstream, Customer) {
    let (app, up) = spawn_relay_app();
    let alice = app.customer("alice", 1_000_000);
    (app, up, alice)
}

/// A relay app with channels `first` (priority 10) failing with `fault`
/// and `second` (priority 0), and alice as in [`alice_with_one_channel`].
fn alice_with_two_channels(fault: Fault) -> (TestApp, Upstream, Upstream, Customer) {
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    first.mock.set_fault(fault);
    let alice = app.customer("alice", 1_000_000);
    (app, first, second, alice)
}

/// Asserts that a refused submission left user, key, tasks, logs and the
/// upstream untouched.
fn assert_nothing_happened(
    app: &TestApp,
    upstream: &Mock,
    c: &Customer,
    quota: i64,
    key_remain: i64,
) {
    assert_eq!(app.db.quota(c.id), quota, "the user's quota is untouched");
    let user = app.db.user(c.id);
    assert_eq!(user.used_quota, 0, "nothing was used");
    assert_eq!(user.request_count, 0, "no request was counted");
    let key = app.db.key(c.key_id);
    assert_eq!(key.remain_quota, key_remain, "the key's quota is untouched");
    assert_eq!(key.used_quota, 0, "nothing was used through the key");
    assert_eq!(app.db.task_count(c.id), 0, "no task was created");
    assert_eq!(app.db.task_log_count(c.id), 0, "no log row was written");
    assert_eq!(upstream.stats().submit, 0, "nothing went upstream");
}

/// The customer's only task as the task list shows it.
fn only_task(app: &TestApp, c: &Customer) -> Value {
    let (status, body) = app.get("/api/task/self", &c.headers);
    let data = assert_ok(status, &body);
    let list = items(data);
    assert_eq!(list.len(), 1, "one task: {data}");
    list[0].clone()
}
