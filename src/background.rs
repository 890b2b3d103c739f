//! The server's background loops (the polling worker, the webhook delivery
//! thread): a named `std::thread` running one pass after another until
//! asked to stop, a panicking pass logged and survived.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running loop; [`Background::stop`] asks it to finish.
pub struct Background {
    name: &'static str,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Background {
    /// Starts thread `name` calling `pass(stop_flag)` until stopped, resting
    /// after each pass for the duration the pass returns (`None`: the pass
    /// panicked, which is logged; the loop rests `after_panic` and goes on).
    pub fn spawn<F>(name: &'static str, after_panic: Duration, mut pass: F) -> std::io::Result<Self>
    where
        F: FnMut(&AtomicBool) -> Duration + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while !flag.load(Ordering::SeqCst) {
                    // A panic in a pass must not end the loop for good.
                    let rest =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pass(&flag)))
                            .unwrap_or_else(|_| {
                                log::error!("{name}: a pass panicked; continuing");
                                after_panic
                            });
                    sleep_unless_stopped(&flag, rest);
                }
            })?;
        Ok(Background {
            name,
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
                log::warn!("{} still waiting on a remote end; leaving it", self.name);
            }
        }
    }
}

/// Sleeps for `total`, or less when `flag` is set meanwhile.
pub fn sleep_unless_stopped(flag: &AtomicBool, total: Duration) {
    let deadline = Instant::now() + total;
    while !flag.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}
