//! Audit settings shared by `taskcenter audit` and `GET /api/audit`.

use crate::Config;
use crate::worker::orphan_grace_secs;

/// A non-final task older than this is stuck: the later of the timeout and
/// the orphan grace (a submission in flight is not swept before it), plus
/// one poll interval (the sweep runs once per pass).
pub fn stale_after_secs(config: &Config) -> i64 {
    let swept_by = (config.task_timeout_secs as i64).max(orphan_grace_secs(config));
    swept_by + (config.poll_interval_ms as i64 + 999) / 1000
}
