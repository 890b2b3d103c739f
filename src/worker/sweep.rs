//! The sweeps of a pass: tasks past the timeout, reservations orphaned by a
//! crash, and tasks whose channel was deleted. Each ends in FAILURE with a
//! refund through the same once-only settlement as an upstream failure.

use super::PassReport;
use crate::Config;
use crate::domain::TaskStatus;
use crate::store::Store;
use crate::store::StoreResult;
use crate::store::ledger::{Failure, settle_failure};

const SWEEP_BATCH: usize = 1000;

/// The longest a submission can take: every attempt using every stage's
/// timeout to the full (connect, at most 10 s, then sending the request,
/// sending the body, waiting for the answer and reading it).
pub fn max_submission_secs(config: &Config) -> i64 {
    let timeout = config.upstream_timeout_secs as i64;
    let per_attempt = timeout.min(10) + 4 * timeout;
    (config.retry_times as i64 + 1) * per_attempt
}

/// How long a task may stay NOT_START without an upstream id before it
/// counts as orphaned (its relay died): until then it belongs to its relay,
/// and no sweep touches it. The longest submission plus one more timeout
/// (at least 10 s) of margin for the database work around it.
pub fn orphan_grace_secs(config: &Config) -> i64 {
    max_submission_secs(config) + (config.upstream_timeout_secs as i64).max(10)
}

/// Runs the three sweeps at `now` (unix s).
pub fn run(store: &Store, config: &Config, now: i64, report: &mut PassReport) -> StoreResult<()> {
    let orphan_cutoff = now - orphan_grace_secs(config);
    report.orphaned += settle_all(
        store,
        |limit| store.orphaned_tasks(orphan_cutoff, limit),
        |_| "submission never completed (orphaned reservation)".to_string(),
        now,
    )?;
    let timeout = config.task_timeout_secs as i64;
    report.timed_out += settle_all(
        store,
        |limit| store.timed_out_tasks(now - timeout, limit),
        |_| format!("task timed out after {timeout} s"),
        now,
    )?;
    report.channel_gone += settle_all(
        store,
        |limit| store.tasks_on_deleted_channels(limit),
        |_| "the task's channel was deleted".to_string(),
        now,
    )?;
    Ok(())
}

fn settle_all(
    store: &Store,
    find: impl Fn(usize) -> StoreResult<Vec<(i64, TaskStatus)>>,
    reason: impl Fn(i64) -> String,
    now: i64,
) -> StoreResult<usize> {
    let mut settled = 0;
    loop {
        let batch = find(SWEEP_BATCH)?;
        let mut progressed = false;
        for (id, status) in &batch {
            let failure = Failure {
                reason: reason(*id),
                ..Default::default()
            };
            if settle_failure(store, *id, *status, &failure, now)? {
                settled += 1;
                progressed = true;
            }
        }
        // Stop when the batch was short, or when nothing could be settled
        // (another pass got there first): never spin.
        if batch.len() < SWEEP_BATCH || !progressed {
            return Ok(settled);
        }
    }
}
