//! Every hot or periodic store path, run once on a [`TracedStore`] over an
//! app's database, with the statements it ran: the relay's look-ups and
//! charges, the worker's reads and settlements, the lists, and the audit.
//! The query-plan tests judge those statements; this file only calls the
//! store, so a change of its API is adapted here.

use serde_json::json;
use taskcenter::audit::Horizons;
use taskcenter::domain::{Page, TaskStatus};
use taskcenter::store::Store;
use taskcenter::store::idempotency::KeyHold;
use taskcenter::store::ledger::{self, Failure, Reservation};
use taskcenter::store::log_list::LogFilter;
use taskcenter::store::options::PriceQuote;
use taskcenter::store::poll::TaskChange;
use taskcenter::store::tasks::TaskFilter;

use super::app::TestApp;
use super::fixtures::{Customer, MUSIC_CHARGE, unix_now};
use super::plans::TracedStore;
use super::upstream::slow_mock;

/// How much of `tasks` and `logs` a path may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Runs per request or per worker pass: through indexes only.
    Hot,
    /// The audit: reading every row once is its job, so a scan at the top
    /// is allowed, but nothing may be read again per row.
    WholePass,
}

/// One path and what it ran.
#[derive(Debug, Clone)]
pub struct PathRun {
    /// The store function (and the case, for lists).
    pub name: String,
    /// What it may read.
    pub reach: Reach,
    /// The distinct statements it ran.
    pub statements: Vec<String>,
}

/// Arranges a small ledger through the API (a channel, a limited and an
/// unlimited key, accepted submissions, a failed task that kept its charge
/// and a refund of a task that did not fail, so every branch of the audit
/// runs), then runs every path once on a traced store.
pub fn run_all(app: &TestApp) -> Vec<PathRun> {
    let up = app.attach(slow_mock(), "plans", 0);
    let limited = app.customer_with_key(
        "limited",
        10_000_000,
        &json!({"name": "k", "remain_quota": 5_000_000}),
    );
    let unlimited = app.customer_with_key(
        "unlimited",
        10_000_000,
        &json!({"name": "k", "unlimited_quota": true}),
    );
    let kept = app.submit_music(&limited.key, "kept its charge");
    let refunded = app.submit_music(&unlimited.key, "refunded, not failed");
    app.db.tamper(&format!(
        "UPDATE tasks SET status = 'FAILURE' WHERE task_id = '{kept}'"
    ));
    app.db.tamper(&format!(
        "INSERT INTO logs (created_at, type, user_id, quota, task_id)
         VALUES (unixepoch(), 6, {}, {MUSIC_CHARGE}, '{refunded}')",
        unlimited.id
    ));

    let traced = TracedStore::open(app.db_path());
    let mut runs = Vec::new();
    let mut path = |name: &str, reach: Reach, f: &dyn Fn(&Store)| {
        let ((), statements) = traced.run(f);
        runs.push(PathRun {
            name: name.to_string(),
            reach,
            statements,
        });
    };
    let now = unix_now();
    path("audit", Reach::WholePass, &|s| {
        let horizons = Horizons {
            stale_after_secs: 600,
            orphan_after_secs: 600,
        };
        s.audit(now, horizons).expect("audit");
    });
    path(
        "ledger::reserve, mark_submitted, settle_failure",
        Reach::Hot,
        &|s| {
            for (who, status) in [
                (&limited, TaskStatus::Submitted),
                (&unlimited, TaskStatus::NotStart),
            ] {
                let task =
                    ledger::reserve(s, &reservation(who, up.channel_id), now).expect("reserve");
                if status == TaskStatus::Submitted {
                    ledger::mark_submitted(s, task.id, up.channel_id, "up-1", 0, now)
                        .expect("mark");
                }
                let failure = Failure {
                    reason: "plans".into(),
                    ..Failure::default()
                };
                ledger::settle_failure(s, task.id, status, &failure, now).expect("settle");
            }
        },
    );
    path(
        "idempotency: claim, reserve_with_key, let go, recover, settle, purge",
        Reach::Hot,
        &|s| {
            let hold = KeyHold {
                user_id: limited.id,
                key: "plans".into(),
                instance: "a-run".into(),
            };
            s.claim_idempotency_key(&hold, "hash", 0, now)
                .expect("claim");
            let reservation = reservation(&limited, up.channel_id);
            ledger::reserve_with_key(s, &reservation, Some(&hold), now).expect("reserve");
            // As a crash leaves it; the next run recovers it from its task.
            s.let_go_idempotency_key(&hold).expect("let go");
            let next = KeyHold {
                instance: "the-next-run".into(),
                ..hold.clone()
            };
            s.claim_idempotency_key(&next, "hash", 0, now)
                .expect("recover");
            s.settle_idempotency_key(&next, 200, b"{}").expect("settle");
            s.purge_idempotency_keys(now + 1, 100).expect("purge");
        },
    );
    path("due_tasks, apply_changes, defer_tasks", Reach::Hot, &|s| {
        let due = s.due_tasks(i64::MAX, 100).expect("due");
        let changes: Vec<TaskChange> = due
            .iter()
            .zip([TaskStatus::InProgress, TaskStatus::Failure])
            .map(|(t, status)| TaskChange {
                id: t.id,
                expected: t.status,
                status,
                progress: "50%".into(),
                fail_reason: String::new(),
                start_time: 0,
                finish_time: 0,
                data: None,
                next_poll_at_ms: 0,
            })
            .collect();
        s.apply_changes(&changes, now).expect("apply");
        let deferrals: Vec<(i64, i64)> = due.iter().map(|t| (t.id, 1)).collect();
        s.defer_tasks(&deferrals).expect("defer");
    });
    path("timed_out_tasks", Reach::Hot, &|s| {
        s.timed_out_tasks(now, 100).expect("timed out");
    });
    path("orphaned_tasks", Reach::Hot, &|s| {
        s.orphaned_tasks(now, 100).expect("orphans");
    });
    path("tasks_on_deleted_channels", Reach::Hot, &|s| {
        s.tasks_on_deleted_channels(100).expect("deleted channels");
    });
    path("token_by_key", Reach::Hot, &|s| {
        s.token_by_key(&limited.key).expect("token");
    });
    path("user_task, user_tasks", Reach::Hot, &|s| {
        s.user_task(limited.id, &kept).expect("user_task");
        s.user_tasks(limited.id, &[kept.clone(), refunded.clone()])
            .expect("user_tasks");
    });
    path("in_flight_summary", Reach::Hot, &|s| {
        s.in_flight_summary().expect("in flight");
    });
    path("candidate_channels", Reach::Hot, &|s| {
        s.candidate_channels("suno", "suno_music", "default")
            .expect("channels");
    });
    for (case, filter) in task_filters(limited.id, up.channel_id, &kept, now) {
        for p in [1, 40] {
            path(&format!("list_tasks {case} p={p}"), Reach::Hot, &|s| {
                s.list_tasks(&filter, Page { p, page_size: 20 })
                    .expect("list_tasks");
            });
        }
    }
    for (case, filter) in log_filters(limited.id, &kept) {
        path(&format!("list_logs {case}"), Reach::Hot, &|s| {
            s.list_logs(
                &filter,
                Page {
                    p: 1,
                    page_size: 20,
                },
                true,
            )
            .expect("list_logs");
        });
    }
    runs
}

/// A music job of `who` on `channel_id` at the default price.
pub fn reservation(who: &Customer, channel_id: i64) -> Reservation {
    Reservation {
        user_id: who.id,
        token_id: who.key_id,
        channel_id,
        platform: "suno".into(),
        action: "MUSIC".into(),
        model_name: "suno_music".into(),
        quote: PriceQuote {
            model_price: 0.1,
            group_ratio: 1.0,
            charge: MUSIC_CHARGE,
        },
        properties: json!({"prompt": "plans"}),
        callback_url: String::new(),
    }
}

/// The task lists' filter shapes the indexes were laid out for.
fn task_filters(
    user: i64,
    channel: i64,
    task_id: &str,
    now: i64,
) -> Vec<(&'static str, TaskFilter)> {
    let week = Some(now - 7 * 86_400);
    vec![
        (
            "of a user",
            TaskFilter {
                user_id: Some(user),
                ..Default::default()
            },
        ),
        (
            "of a user by status",
            TaskFilter {
                user_id: Some(user),
                status: Some(TaskStatus::Success),
                ..Default::default()
            },
        ),
        ("unfiltered", TaskFilter::default()),
        (
            "by status",
            TaskFilter {
                status: Some(TaskStatus::Failure),
                ..Default::default()
            },
        ),
        (
            "by status, platform and week",
            TaskFilter {
                status: Some(TaskStatus::Success),
                platform: Some("suno".into()),
                start_timestamp: week,
                ..Default::default()
            },
        ),
        (
            "by time range",
            TaskFilter {
                start_timestamp: week,
                end_timestamp: Some(now - 86_400),
                ..Default::default()
            },
        ),
        (
            "by channel",
            TaskFilter {
                channel_id: Some(channel),
                ..Default::default()
            },
        ),
        (
            "by task id",
            TaskFilter {
                task_id: Some(task_id.into()),
                ..Default::default()
            },
        ),
        (
            "by action",
            TaskFilter {
                action: Some("MUSIC".into()),
                ..Default::default()
            },
        ),
    ]
}

/// The log lists' filter shapes that have an index.
fn log_filters(user: i64, task_id: &str) -> Vec<(&'static str, LogFilter)> {
    vec![
        (
            "of a user",
            LogFilter {
                user_id: Some(user),
                ..Default::default()
            },
        ),
        (
            "of a user by type",
            LogFilter {
                user_id: Some(user),
                log_type: Some(2),
                ..Default::default()
            },
        ),
        ("unfiltered", LogFilter::default()),
        (
            "by type",
            LogFilter {
                log_type: Some(6),
                ..Default::default()
            },
        ),
        (
            "by task id",
            LogFilter {
                task_id: Some(task_id.into()),
                ..Default::default()
            },
        ),
    ]
}
