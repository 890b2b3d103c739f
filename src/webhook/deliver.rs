//! One pass of the delivery thread: every delivery due now is posted once
//! (up to [`PARALLEL`] at a time), and every outcome is recorded in one
//! transaction. A crash between the post and the record sends it again on
//! the next start: delivery is at-least-once, and the `webhook-id` stays
//! the same so receivers can drop the repeat.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ureq::unversioned::transport::DefaultConnector;

use super::sign::signature;
use crate::Config;
use crate::context::Context;
use crate::platform::upstream::GuardedResolver;
use crate::secrets::random_below;
use crate::store::deliveries::{Attempt, DueDelivery, Next};

/// Multiples of `--webhook-retry-base-ms` to wait after the 1st, 2nd, …
/// failed attempt (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h at
/// the default base). The attempt after the last of them is the last.
pub const SCHEDULE: [i64; 9] = [1, 60, 360, 1440, 3600, 7200, 10080, 14400, 17280];
/// Attempts before a delivery fails for good (the first, then one per
/// [`SCHEDULE`] entry).
pub const MAX_ATTEMPTS: i64 = SCHEDULE.len() as i64 + 1;
/// Deliveries read per pass.
const ROUND: usize = 512;
/// Posts in flight at once.
pub const PARALLEL: usize = 8;
/// Bytes of an answer (or error) kept with the delivery.
const EXCERPT_BYTES: usize = 256;
/// Bytes of an answer read (so the connection can be reused); past it the
/// answer is cut off and its connection dropped.
const READ_LIMIT: u64 = 64 * 1024;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Posts made.
    pub attempted: usize,
    /// Answered 2xx.
    pub delivered: usize,
    /// Failed, to be retried.
    pub retrying: usize,
    /// Failed for the last time (their endpoints disabled).
    pub gave_up: usize,
    /// Store errors.
    pub errors: usize,
}

/// The HTTP side of deliveries: a ureq agent that follows no redirect,
/// reports every status as an answer, uses no proxy, and (unless
/// `--allow-private-webhooks`) connects to public addresses only, checked
/// against what the name resolves to at each delivery.
pub struct Sender {
    agent: ureq::Agent,
    retry_base_ms: i64,
}

impl Sender {
    /// A sender with the server's settings.
    pub fn new(config: &Config) -> Sender {
        let timeout = Duration::from_secs(config.webhook_timeout_secs);
        let agent_config = ureq::Agent::config_builder()
            .timeout_connect(Some(timeout))
            .timeout_send_request(Some(timeout))
            .timeout_send_body(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_recv_body(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .max_idle_connections_per_host(PARALLEL)
            .user_agent("taskcenter-webhooks")
            .build();
        let resolver =
            GuardedResolver::new(config.allow_private_webhooks, "--allow-private-webhooks");
        Sender {
            agent: ureq::Agent::with_parts(agent_config, DefaultConnector::default(), resolver),
            retry_base_ms: config.webhook_retry_base_ms as i64,
        }
    }

    /// When to try again after `attempts` failed ones (unix ms), or `None`
    /// when that was the last: base × [`SCHEDULE`], plus up to a tenth more
    /// so that endpoints failing together do not retry together.
    pub fn retry_at(&self, attempts: i64, now_ms: i64) -> Option<i64> {
        let step = SCHEDULE.get(usize::try_from(attempts - 1).ok()?)?;
        let delay = self.retry_base_ms.saturating_mul(*step);
        let jitter = random_below((delay / 10) as u64 + 1) as i64;
        Some(now_ms.saturating_add(delay).saturating_add(jitter))
    }

    /// Posts one delivery; its outcome.
    fn post(&self, ctx: &Context, d: &DueDelivery) -> Attempt {
        let timestamp = ctx.clock.now();
        let answer = match signature(&d.secret, &d.msg_id, timestamp, d.payload.as_bytes()) {
            Some(sig) => self
                .agent
                .post(&d.url)
                .header("content-type", "application/json")
                .header("webhook-id", &d.msg_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", sig)
                .send(d.payload.as_bytes())
                .map_err(|e| e.to_string()),
            None => Err("the endpoint's secret is unreadable".to_string()),
        };
        let (http_status, excerpt) = match answer {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(READ_LIMIT)
                    .read_to_vec()
                    .unwrap_or_default();
                (status, excerpt(&body))
            }
            Err(e) => (0, excerpt(e.as_bytes())),
        };
        let next = if (200..300).contains(&http_status) {
            Next::Delivered
        } else {
            match self.retry_at(d.attempts + 1, ctx.clock.now_ms()) {
                Some(at) => Next::RetryAt(at),
                None => Next::GiveUp,
            }
        };
        Attempt {
            id: d.id,
            endpoint_id: d.endpoint_id,
            callback: d.callback,
            http_status,
            excerpt,
            next,
        }
    }
}

/// The first [`EXCERPT_BYTES`] of `bytes` as text (cut at a character).
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_BYTES)]);
    text.trim_end_matches('\u{FFFD}').to_string()
}

/// One pass at the clock's current time. Tests call this directly.
pub fn run_once(ctx: &Context, sender: &Sender) -> DeliveryReport {
    let mut report = DeliveryReport::default();
    let due = match ctx.store.due_deliveries(ctx.clock.now_ms(), ROUND) {
        Ok(d) => d,
        Err(e) => {
            log::error!("webhook deliveries cannot be read: {e:?}");
            report.errors += 1;
            return report;
        }
    };
    if due.is_empty() {
        return report;
    }
    let next = AtomicUsize::new(0);
    let attempts = Mutex::new(Vec::with_capacity(due.len()));
    std::thread::scope(|s| {
        for _ in 0..PARALLEL.min(due.len()) {
            s.spawn(|| {
                while let Some(d) = due.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let a = sender.post(ctx, d);
                    attempts.lock().unwrap_or_else(|e| e.into_inner()).push(a);
                }
            });
        }
    });
    let attempts = attempts.into_inner().unwrap_or_else(|e| e.into_inner());
    for a in &attempts {
        report.attempted += 1;
        match a.next {
            Next::Delivered => report.delivered += 1,
            Next::RetryAt(_) => report.retrying += 1,
            Next::GiveUp => report.gave_up += 1,
        }
    }
    match ctx.store.record_attempts(&attempts) {
        Ok(()) => ctx
            .metrics
            .record_deliveries(report.delivered, report.retrying, report.gave_up),
        Err(e) => {
            log::error!("webhook attempts cannot be recorded: {e:?}");
            report.errors += 1;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let config = Config {
            webhook_retry_base_ms: 1000,
            ..Config::default()
        };
        let sender = Sender::new(&config);
        for (i, step) in SCHEDULE.iter().enumerate() {
            let at = sender.retry_at(i as i64 + 1, 0).unwrap();
            assert!(
                (step * 1000..=step * 1100).contains(&at),
                "attempt {i}: {at}"
            );
        }
        assert_eq!(sender.retry_at(MAX_ATTEMPTS, 0), None);
        assert_eq!(excerpt("é".repeat(200).as_bytes()).len(), 256);
    }
}
