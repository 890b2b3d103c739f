//! Audit settings shared by `taskcenter audit` and `GET /api/audit`.

use crate::Config;

/// A non-final task older than this is stuck: the timeout plus one poll
/// interval (the sweep runs once per pass).
pub fn stale_after_secs(config: &Config) -> i64 {
    config.task_timeout_secs as i64 + (config.poll_interval_ms as i64 + 999) / 1000
}
