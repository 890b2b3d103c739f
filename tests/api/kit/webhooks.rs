//! Webhooks from the tests' side: endpoints registered through the API,
//! delivery passes run by hand on the worker's manual clock (with the
//! app's delivery thread off, `Settings::manual()`), and the outbox rows.

use std::path::Path;

use serde_json::{Value, json};
use taskcenter::domain::TaskStatus;
use taskcenter::domain::webhook::EventSet;
use taskcenter::store::Store;
use taskcenter::store::ledger::{self, Failure};
use taskcenter::store::tasks::NewTask;
use taskcenter::store::users::NewUser;
use taskcenter::webhook::{DeliveryReport, Sender, run_once};

use super::app::TestApp;
use super::assert::assert_ok;
use super::db::Db;
use super::fixtures::{new_task_id, task, unix_now};
use super::http::Headers;

/// An endpoint as its owner got it when registering.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Row id.
    pub id: i64,
    /// `whsec_...`.
    pub secret: String,
}

/// A delivery row as the outbox holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// `webhook-id`.
    pub msg_id: String,
    /// Event type.
    pub event_type: String,
    /// Public task id.
    pub task_id: String,
    /// pending, delivered, failed.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Unix ms.
    pub next_attempt_at_ms: i64,
}

impl TestApp {
    /// Registers `url` for `events` as the user of `headers`.
    pub fn register_endpoint(&self, headers: &Headers, url: &str, events: &[&str]) -> Endpoint {
        let (status, body) = self.post(
            "/api/webhook/",
            headers,
            &json!({"url": url, "events": events}),
        );
        let data = assert_ok(status, &body);
        Endpoint {
            id: data["id"].as_i64().expect("an endpoint id"),
            secret: data["secret"].as_str().expect("a secret").to_string(),
        }
    }

    /// One delivery pass at the manual clock's time.
    pub fn deliver(&self) -> DeliveryReport {
        let ctx = self.passes.context();
        run_once(&ctx, &Sender::new(&ctx.config))
    }

    /// Delivery passes until one attempts nothing; their sum.
    pub fn deliver_all(&self) -> DeliveryReport {
        let ctx = self.passes.context();
        let sender = Sender::new(&ctx.config);
        let mut total = DeliveryReport::default();
        loop {
            let r = run_once(&ctx, &sender);
            if r.attempted == 0 {
                return total;
            }
            total.attempted += r.attempted;
            total.delivered += r.delivered;
            total.retrying += r.retrying;
            total.gave_up += r.gave_up;
            total.errors += r.errors;
        }
    }

    /// `GET /api/webhook/{id}/deliveries` as the user of `headers`: the items.
    pub fn deliveries(&self, headers: &Headers, endpoint_id: i64) -> Vec<Value> {
        let (status, body) = self.get(
            &format!("/api/webhook/{endpoint_id}/deliveries?page_size=100"),
            headers,
        );
        assert_ok(status, &body)["items"]
            .as_array()
            .expect("items")
            .clone()
    }

    /// Every outbox row, oldest first.
    pub fn outbox(&self) -> Vec<OutboxRow> {
        self.db.rows(
            "SELECT id, msg_id, event_type, task_id, status, attempts, next_attempt_at_ms
             FROM webhook_deliveries ORDER BY id",
            [],
            |r| {
                Ok(OutboxRow {
                    id: r.get(0)?,
                    msg_id: r.get(1)?,
                    event_type: r.get(2)?,
                    task_id: r.get(3)?,
                    status: r.get(4)?,
                    attempts: r.get(5)?,
                    next_attempt_at_ms: r.get(6)?,
                })
            },
        )
    }
}

/// A `task.failed` event waiting in the outbox of the database at `db`.
#[derive(Debug, Clone)]
pub struct SeededEvent {
    /// Its `webhook-id`.
    pub msg_id: String,
    /// The public id of the task it is about.
    pub task_id: String,
}

impl SeededEvent {
    /// The delivery's status in the database at `db`.
    pub fn status(&self, db: &Path) -> String {
        Db::at(db).rows(
            "SELECT status FROM webhook_deliveries WHERE msg_id = ?1",
            [&self.msg_id],
            |r| r.get::<_, String>(0),
        )[0]
        .clone()
    }
}

/// Creates the database at `db` with a user whose endpoint is `url` and
/// one SUBMITTED task settled as failed, through the library as the server
/// would: its event is pending in the outbox.
pub fn seed_settled_event(db: &Path, url: &str) -> SeededEvent {
    let store = Store::open(db).expect("open the database");
    let (user, _) = store
        .create_user(&NewUser {
            username: "hooked".into(),
            ..Default::default()
        })
        .expect("a user");
    let (_, _) = store
        .create_endpoint(user.id, url, EventSet::finals())
        .expect("an endpoint");
    let now = unix_now();
    let mut spec = task(user.id, now);
    spec.task_id = new_task_id();
    let rows = store
        .insert_tasks_raw(&[NewTask {
            task_id: spec.task_id.clone(),
            platform: spec.platform,
            user_id: user.id,
            channel_id: 1,
            quota: 0,
            action: spec.action,
            status: TaskStatus::Submitted,
            fail_reason: String::new(),
            submit_time: now,
            start_time: 0,
            finish_time: 0,
            progress: "10%".into(),
            properties: json!({}),
            data: json!({}),
            upstream_task_id: "upstream-seeded".into(),
        }])
        .expect("a task");
    let failure = Failure {
        reason: "seeded failure".into(),
        ..Failure::default()
    };
    assert!(
        ledger::settle_failure(&store, rows[0], TaskStatus::Submitted, &failure, now)
            .expect("settle the task")
    );
    let msg_id = Db::at(db).rows("SELECT msg_id FROM webhook_deliveries", [], |r| {
        r.get::<_, String>(0)
    })[0]
        .clone();
    SeededEvent {
        msg_id,
        task_id: spec.task_id,
    }
}
