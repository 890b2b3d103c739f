//! Driving the worker by hand: one `run_once` pass at a time on a manual
//! clock the test moves, over the app's own store and configuration, with
//! the app's worker thread off (`Settings::manual()`). Also the payer these
//! tests charge, the balances a charge and a refund move, and the store
//! calls that stage what only a crash or a race would leave behind.
//!
//! Tasks submitted through the relay are stamped with the wall clock, so
//! the manual clock starts at the wall clock's now and only moves forward.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taskcenter::clock::{Clock, ManualClock, SystemClock};
use taskcenter::domain::TaskStatus;
use taskcenter::store::Store;
use taskcenter::store::ledger::{self, Failure, Reservation};
use taskcenter::worker::{max_submission_secs, orphan_grace_secs, run_once};
use taskcenter::{Config, Context};

/// Most idempotency keys one pass purges.
pub use taskcenter::worker::PURGE_BATCH as KEY_PURGE_BATCH;
pub use taskcenter::worker::PassReport;

use super::app::{Settings, TestApp};
use super::assert::{assert_ok, suno_data};
use super::db::TaskRow;
use super::fixtures::{Customer, MUSIC_CHARGE, unix_now};
use super::http::{Headers, bearer};
use super::upstream::{Upstream, spawn_app_with_upstream};
use crate::mock::Mock;

/// The payer's quota at the start of every worker test.
pub const PAYER_QUOTA: i64 = 1_000_000;
/// The remain_quota of the payer's key at the start.
pub const PAYER_KEY_QUOTA: i64 = 800_000;

/// The clock of the passes a test runs, and their context.
pub(super) struct Passes {
    clock: ManualClock,
    ctx: Context,
}

impl Passes {
    /// Passes over the app's store with its configuration, on a manual
    /// clock standing at the wall clock's now.
    pub(super) fn new(store: &Store, config: &Config) -> Passes {
        let clock = ManualClock::at_ms(SystemClock.now_ms());
        let ctx = Context::new(store.clone(), config.clone(), Arc::new(clock.clone()));
        Passes { clock, ctx }
    }

    /// The passes' context, on their manual clock.
    pub(super) fn context(&self) -> Context {
        self.on(&self.clock)
    }

    /// The passes' context on another clock.
    fn on(&self, clock: &ManualClock) -> Context {
        let ctx = &self.ctx;
        Context::with_platforms(
            ctx.store.clone(),
            (*ctx.config).clone(),
            Arc::new(clock.clone()),
            ctx.platforms.clone(),
        )
    }
}

/// A task as the relay client knows it, with its upstream id.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The public id (`task_...`).
    pub task_id: String,
    /// The id the simulator gave it.
    pub upstream_id: String,
}

/// The balances a charge and a refund move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    /// The user's quota.
    pub user_quota: i64,
    /// The user's used_quota.
    pub user_used: i64,
    /// The key's remain_quota.
    pub key_remain: i64,
    /// The key's used_quota.
    pub key_used: i64,
}

impl Balances {
    /// Where the payer starts, and where every refunded charge returns to.
    pub fn payer_start() -> Balances {
        Balances::payer_after_charges(0)
    }

    /// The payer after `n` music charges that were not refunded.
    pub fn payer_after_charges(n: i64) -> Balances {
        Balances {
            user_quota: PAYER_QUOTA - n * MUSIC_CHARGE,
            user_used: n * MUSIC_CHARGE,
            key_remain: PAYER_KEY_QUOTA - n * MUSIC_CHARGE,
            key_used: n * MUSIC_CHARGE,
        }
    }
}

impl TestApp {
    /// One worker pass at the manual clock's time.
    pub fn pass(&self) -> PassReport {
        self.pass_on(&self.passes.clock)
    }

    /// One pass on a clock of its own standing at `ms`; the app's clock stays.
    pub fn pass_at_ms(&self, ms: i64) -> PassReport {
        self.pass_on(&ManualClock::at_ms(ms))
    }

    fn pass_on(&self, clock: &ManualClock) -> PassReport {
        let stop = AtomicBool::new(false);
        run_once(&self.passes.on(clock), &stop)
    }

    /// The manual clock, in unix ms.
    pub fn now_ms(&self) -> i64 {
        self.passes.clock.now_ms()
    }

    /// Moves the manual clock forward by `ms`.
    pub fn advance_ms(&self, ms: i64) {
        assert!(ms >= 0, "the clock only moves forward");
        self.passes.clock.advance_ms(ms);
    }

    /// Moves the manual clock forward to `ms` (unix ms).
    pub fn move_to_ms(&self, ms: i64) {
        self.advance_ms(ms - self.now_ms());
    }

    /// Moves the clock to when every task in flight is due (if not there yet).
    pub fn move_to_due(&self) {
        if let Some(latest) = self.db.latest_due_ms()
            && latest > self.now_ms()
        {
            self.move_to_ms(latest);
        }
    }

    /// Moves the clock to when every task in flight is due, then runs a pass.
    pub fn pass_when_due(&self) -> PassReport {
        self.move_to_due();
        self.pass()
    }

    /// The ledger audit as `GET /api/audit` makes it, at the manual
    /// clock's time instead of the wall clock's.
    pub fn audit_at_clock(&self) -> Value {
        let horizons = taskcenter::audit::horizons(&self.config);
        let report = self
            .store
            .audit(self.passes.clock.now(), horizons)
            .expect("audit the store");
        serde_json::to_value(report).expect("the report as JSON")
    }

    /// How long a reservation may wait for its submission before the orphan
    /// sweep refunds it, in s.
    pub fn orphan_grace_secs(&self) -> i64 {
        orphan_grace_secs(&self.config)
    }

    /// The longest a submission can take under the app's settings, in s.
    pub fn max_submission_secs(&self) -> i64 {
        max_submission_secs(&self.config)
    }

    /// Charges `c` and inserts a NOT_START music task on `channel_id`
    /// without submitting it, as a crash between the two would leave it.
    /// Stamped with the manual clock.
    pub fn reserve_only(&self, c: &Customer, channel_id: i64) -> TaskRow {
        let quote = self
            .store
            .quote("suno_music", 1.0, "default")
            .expect("the default price");
        let reservation = Reservation {
            user_id: c.id,
            token_id: c.key_id,
            channel_id,
            platform: "suno".into(),
            action: "MUSIC".into(),
            model_name: "suno_music".into(),
            quote,
            properties: json!({"prompt": "never sent"}),
            callback_url: String::new(),
        };
        let task = ledger::reserve(&self.store, &reservation, self.passes.clock.now())
            .expect("reserve a task");
        self.db.task(&task.task_id)
    }

    /// A submission completing after all: marks the task in row `id`
    /// SUBMITTED upstream as `upstream_id`; whether that was accepted.
    pub fn accept_late(&self, id: i64, channel_id: i64, upstream_id: &str) -> bool {
        let clock = &self.passes.clock;
        ledger::mark_submitted(
            &self.store,
            id,
            channel_id,
            upstream_id,
            clock.now_ms(),
            clock.now(),
        )
        .expect("mark_submitted")
    }

    /// Fails a SUBMITTED task with `reason` and its refund, as the worker
    /// would; whether it was settled here.
    pub fn fail_submitted_task(&self, task_id: &str, reason: &str) -> bool {
        let failure = Failure {
            reason: reason.into(),
            ..Failure::default()
        };
        let id = self.db.task(task_id).id;
        ledger::settle_failure(&self.store, id, TaskStatus::Submitted, &failure, unix_now())
            .expect("settle the failure")
    }

    /// The paying user of the worker tests: [`PAYER_QUOTA`] and one key
    /// with [`PAYER_KEY_QUOTA`].
    pub fn payer(&self) -> Customer {
        self.customer_with_key(
            "payer",
            PAYER_QUOTA,
            &json!({"name": "worker-tests", "remain_quota": PAYER_KEY_QUOTA}),
        )
    }

    /// Submits a music job through the relay with `key`; it lands on the
    /// channel of the highest priority and is SUBMITTED upstream.
    pub fn submit_tracked(&self, key: &str) -> Submitted {
        let (status, body) = self.submit(
            key,
            "music",
            &json!({"prompt": "[Verse]\nWalking down the streets", "mv": "chirp-v3-5",
                    "title": "City Lights", "tags": "emotional punk"}),
        );
        let task_id = suno_data(status, &body)
            .as_str()
            .expect("a task id")
            .to_string();
        let task = self.db.task(&task_id);
        assert_eq!(task.status, "SUBMITTED", "just submitted: {task:?}");
        Submitted {
            task_id,
            upstream_id: task.upstream_task_id,
        }
    }

    /// The user's and the key's balances now.
    pub fn balances(&self, c: &Customer) -> Balances {
        let (user_quota, user_used) = self.user_balance(c.id);
        let (key_remain, key_used) = self.key_balance(c.key_id).expect("the key exists");
        Balances {
            user_quota,
            user_used,
            key_remain,
            key_used,
        }
    }

    /// A user's (quota, used_quota).
    pub fn user_balance(&self, id: i64) -> (i64, i64) {
        let user = self.db.user(id);
        (user.quota, user.used_quota)
    }

    /// A key's (remain_quota, used_quota), or `None` once it was deleted.
    pub fn key_balance(&self, id: i64) -> Option<(i64, i64)> {
        self.db.find_key(id).map(|k| (k.remain_quota, k.used_quota))
    }

    /// Asserts that the task ended FAILURE, refunded by exactly one log row
    /// that gives its owner the charge back and names the task and the
    /// reason; returns the task.
    pub fn assert_refunded_once(&self, task_id: &str) -> TaskRow {
        let task = self.db.task(task_id);
        assert_eq!(task.status, "FAILURE", "{task:?}");
        assert_eq!(task.progress, "100%", "{task:?}");
        assert!(!task.fail_reason.is_empty(), "a failure says why: {task:?}");
        assert!(
            task.finish_time > 0,
            "a failed task has a finish time: {task:?}"
        );
        assert_eq!(task.refunded, 1, "{task:?}");
        let refunds = self.db.refunds(task_id);
        assert_eq!(
            refunds.len(),
            1,
            "one refund row for {task_id}: {refunds:?}"
        );
        let row = &refunds[0];
        assert_eq!(row.quota, task.quota, "the refund gives the charge back");
        assert_eq!(row.user_id, task.user_id, "{row:?}");
        assert!(
            row.content.contains(task_id) && row.content.contains(&task.fail_reason),
            "the refund row names the task and the reason: {row:?}"
        );
        task
    }

    /// The task as `GET /api/task/self?task_id=` shows it to its owner.
    pub fn task_self(&self, headers: &Headers, task_id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/task/self?task_id={task_id}"), headers);
        let data = assert_ok(status, &body);
        let items = data["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "one task {task_id}: {body}");
        items[0].clone()
    }

    /// The task as `GET /suno/fetch/{id}` shows it to an API key.
    pub fn relay_fetch(&self, key: &str, task_id: &str) -> Value {
        let (status, body) = self.get(&format!("/suno/fetch/{task_id}"), &bearer(key));
        suno_data(status, &body).clone()
    }

    /// Polls `GET /api/task/self` until the task is final; panics after `limit`.
    pub fn wait_until_final(&self, headers: &Headers, task_id: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let task = self.task_self(headers, task_id);
            if matches!(task["status"].as_str(), Some("SUCCESS" | "FAILURE")) {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "task {task_id} not final after {limit:?}: {task}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// The worker tests' world: an app with `settings`, `mock` behind the
/// channel `main`, and the [`TestApp::payer`].
pub fn spawn_payer_app(settings: Settings, mock: Mock) -> (TestApp, Upstream, Customer) {
    let (app, up) = spawn_app_with_upstream(settings, mock);
    let payer = app.payer();
    (app, up, payer)
}
