//! Audit settings shared by `taskcenter audit` and `GET /api/audit`.

use crate::Config;
use crate::worker::orphan_grace_secs;

/// When a task that is not final counts as stuck: the horizon of the sweep
/// that should have settled it, plus one poll interval (the sweeps run once
/// per pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizons {
    /// Seconds after submission for a task accepted upstream: the timeout.
    pub stale_after_secs: i64,
    /// Seconds after submission for a task whose submission never finished
    /// (NOT_START, no upstream id): the orphan grace, or the timeout if
    /// later.
    pub orphan_after_secs: i64,
}

/// The horizons of a server running with `config`.
pub fn horizons(config: &Config) -> Horizons {
    let interval = (config.poll_interval_ms as i64 + 999) / 1000;
    let timeout = config.task_timeout_secs as i64;
    Horizons {
        stale_after_secs: timeout + interval,
        orphan_after_secs: timeout.max(orphan_grace_secs(config)) + interval,
    }
}
