//! Settings of a running server, filled from clap flags or env vars.

use std::path::PathBuf;

/// Run-time configuration of `taskcenter serve`.
#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite database file.
    pub db: PathBuf,
    /// Timeout of one upstream call, in seconds.
    pub upstream_timeout_secs: u64,
    /// Extra submit attempts on other channels after a retryable failure.
    pub retry_times: u32,
    /// How often the worker wakes, in milliseconds.
    pub poll_interval_ms: u64,
    /// Upstream ids per fetch request.
    pub fetch_batch: usize,
    /// A task not final this long after submission fails with a refund.
    pub task_timeout_secs: u64,
    /// Whether `run` starts the polling worker thread.
    pub worker: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("./data/taskcenter.db"),
            upstream_timeout_secs: 60,
            retry_times: 2,
            poll_interval_ms: 15_000,
            fetch_batch: 100,
            task_timeout_secs: 3600,
            worker: true,
        }
    }
}
