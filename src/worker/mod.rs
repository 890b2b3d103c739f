//! The polling worker: a `std::thread` loop around [`run_once`].

mod backoff;
mod expiry;
mod mapping;
mod pass;
mod report;
mod sweep;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use expiry::PURGE_BATCH;
pub use pass::run_once;
pub use report::PassReport;
pub use sweep::{max_submission_secs, orphan_grace_secs};

use crate::context::Context;

/// A running worker thread; [`Worker::stop`] asks it to finish.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the loop: a pass, then a sleep for what is left of the poll
    /// interval (none when the pass took longer than the interval).
    pub fn spawn(ctx: Context) -> std::io::Result<Worker> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("taskcenter-worker".into())
            .spawn(move || {
                let interval = Duration::from_millis(ctx.config.poll_interval_ms);
                while !flag.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    // A panic in a pass must not end polling for good.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_once(&ctx, &flag)
                    }));
                    match result {
                        Ok(report) if report.is_idle() => {}
                        Ok(report) => log::info!("worker pass: {report}"),
                        Err(_) => log::error!("worker pass panicked; continuing"),
                    }
                    let rest = interval.saturating_sub(started.elapsed());
                    sleep_unless_stopped(&flag, rest);
                }
            })?;
        Ok(Worker {
            stop,
            handle: Some(handle),
        })
    }

    /// Asks the loop to stop and waits up to `grace` for it. Every write of
    /// a pass is its own transaction, so abandoning one is safe.
    pub fn stop(mut self, grace: Duration) {
        self.stop.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + grace;
        if let Some(h) = self.handle.take() {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if h.is_finished() {
                let _ = h.join();
            } else {
                log::warn!("worker still waiting on an upstream; leaving it");
            }
        }
    }
}

/// Sleeps for `total`, or less when `flag` is set meanwhile (the delivery
/// thread rests the same way).
pub(crate) fn sleep_unless_stopped(flag: &AtomicBool, total: Duration) {
    let deadline = Instant::now() + total;
    while !flag.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}
