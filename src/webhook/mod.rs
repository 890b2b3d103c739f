//! Completion webhooks, sent: Standard Webhooks signing ([`sign`]) and the
//! delivery thread, a `std::thread` loop around [`run_once`] started and
//! stopped with the server like the worker. The events themselves are
//! written by the store, in the transactions that settle tasks
//! (`store/outbox.rs`).

mod deliver;
pub mod sign;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use deliver::{DeliveryReport, MAX_ATTEMPTS, SCHEDULE, Sender, run_once};

use crate::context::Context;
use crate::worker::sleep_unless_stopped;

/// How long the thread rests after a pass that found nothing due.
const IDLE: Duration = Duration::from_millis(200);

/// A running delivery thread; [`Deliveries::stop`] asks it to finish.
pub struct Deliveries {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Deliveries {
    /// Starts the loop: a pass, at once again while passes find work, a
    /// short rest when one found none.
    pub fn spawn(ctx: Context) -> std::io::Result<Deliveries> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("taskcenter-webhooks".into())
            .spawn(move || {
                let sender = Sender::new(&ctx.config);
                while !flag.load(Ordering::SeqCst) {
                    // A panic in a pass must not end deliveries for good.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_once(&ctx, &sender)
                    }));
                    let busy = match result {
                        Ok(r) => {
                            if r.gave_up > 0 || r.errors > 0 {
                                log::warn!("webhook pass: {r:?}");
                            }
                            r.attempted > 0
                        }
                        Err(_) => {
                            log::error!("webhook pass panicked; continuing");
                            false
                        }
                    };
                    if !busy {
                        sleep_unless_stopped(&flag, IDLE);
                    }
                }
            })?;
        Ok(Deliveries {
            stop,
            handle: Some(handle),
        })
    }

    /// Asks the loop to stop and waits up to `grace` for it. A delivery cut
    /// off is still pending and is sent again at the next start.
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
                log::warn!("webhook thread still waiting on an endpoint; leaving it");
            }
        }
    }
}
