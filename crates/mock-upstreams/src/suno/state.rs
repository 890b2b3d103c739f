//! What the Suno routes share: known tasks, the fault switch, counters and submissions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;

use super::config::MockConfig;
use super::task::{Entry, Forced, MusicInput, Task};
use crate::clock::{Clock, unix_ms};
use crate::fault::fails_evenly;
use crate::recent::Recent;
use crate::running::Base;
use crate::sync::lock;

/// How many submissions [`crate::Mock::submitted`] remembers (the most recent ones).
pub const SUBMISSION_MEMORY: usize = 20_000;

/// Requests received (every request is counted, faulted or not) and tasks held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// `POST /suno/submit/{action}` requests.
    pub submit: u64,
    /// `POST /suno/fetch` requests.
    pub fetch: u64,
    /// `GET /suno/fetch/{id}` requests.
    pub fetch_one: u64,
    /// Ids asked for by all authorized `POST /suno/fetch` requests together.
    pub fetched_ids: u64,
    /// `GET /ping` requests.
    pub ping: u64,
    /// Requests refused for a wrong or missing secret.
    pub unauthorized: u64,
    /// Requests a fault other than `None` was applied to.
    pub faulted: u64,
    /// Tasks the mock currently knows.
    pub tasks: u64,
}

/// One submit request as received (recorded before the secret is checked).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Submission {
    /// The action as written in the path (`music`, `MUSIC`, ...).
    pub action: String,
    /// The body as JSON (a JSON string holding the raw text when it was not JSON).
    pub body: Value,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The upstream id answered, when the submit was accepted.
    pub upstream_id: Option<String>,
}

/// Everything the routes share.
pub struct State {
    pub(crate) cfg: MockConfig,
    pub(crate) base: Base<Stats>,
    tasks: Mutex<HashMap<String, Entry>>,
    submissions: Recent<Submission>,
    /// Music tasks created so far; decides which fail (see [`MockConfig::failure_ratio`]).
    music_count: AtomicU64,
}

impl State {
    /// A mock with no task, no fault and zero counts.
    pub(crate) fn new(cfg: MockConfig) -> State {
        State {
            base: Base::new(&cfg.secret, cfg.latency_ms, cfg.worker_threads),
            cfg,
            tasks: Mutex::new(HashMap::new()),
            submissions: Recent::new(SUBMISSION_MEMORY),
            music_count: AtomicU64::new(0),
        }
    }

    /// The known tasks, locked; keep the guard short, every route takes it.
    pub(crate) fn tasks(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        lock(&self.tasks)
    }

    /// The counts now.
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            tasks: self.tasks().len() as u64,
            faulted: self.base.faulted(),
            ..self.base.counts.snapshot()
        }
    }

    /// Submissions received, oldest first.
    pub(crate) fn submitted(&self) -> Vec<Submission> {
        self.submissions.all()
    }

    /// Forces the status word of a task; false if the task is unknown.
    pub(crate) fn set_status(&self, upstream_id: &str, status: &str) -> bool {
        match self.tasks().get_mut(upstream_id) {
            Some(entry) => {
                entry.forced = Some(Forced {
                    status: status.to_string(),
                    at_ms: unix_ms(),
                });
                true
            }
            None => false,
        }
    }

    /// Drops a task from all answers; false if it was unknown.
    pub(crate) fn forget(&self, upstream_id: &str) -> bool {
        self.tasks().remove(upstream_id).is_some()
    }

    /// Remembers a submission, forgetting the oldest past [`SUBMISSION_MEMORY`].
    pub(crate) fn record(&self, submission: Submission) {
        self.submissions.push(submission);
    }

    /// Whether the next music task fails (evenly spread by the failure ratio).
    fn next_music_fails(&self) -> bool {
        let n = self.music_count.fetch_add(1, Ordering::Relaxed);
        fails_evenly(n, self.cfg.failure_ratio)
    }

    /// A song submitted now, lasting [`MockConfig::music_duration_ms`], failing by
    /// [`MockConfig::failure_ratio`].
    pub(crate) fn new_music(&self, task_id: String, input: MusicInput, clock: &Clock) -> Task {
        let fails = self.next_music_fails();
        let duration_ms = self.cfg.music_duration_ms;
        Task::music(task_id, input, clock, duration_ms, fails, &self.base.ids)
    }
}
