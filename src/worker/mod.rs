//! The polling worker: a `std::thread` loop around [`run_once`].

mod backoff;
mod expiry;
mod mapping;
mod pass;
mod probe;
mod report;
mod sweep;

use std::time::{Duration, Instant};

pub use expiry::PURGE_BATCH;
pub use pass::run_once;
pub use report::PassReport;
pub use sweep::{max_submission_secs, orphan_grace_secs};

use crate::background::Background;
use crate::context::Context;

/// Starts the polling loop: a pass, then a rest for what is left of the
/// poll interval (none when the pass took longer than the interval).
pub fn spawn(ctx: Context) -> std::io::Result<Background> {
    let interval = Duration::from_millis(ctx.config.poll_interval_ms);
    Background::spawn("taskcenter-worker", interval, move |flag| {
        let started = Instant::now();
        let report = run_once(&ctx, flag);
        if !report.is_idle() {
            log::info!("worker pass: {report}");
        }
        interval.saturating_sub(started.elapsed())
    })
}
