//! Prometheus metrics of one running service: one registry per database
//! handle (see [`crate::store::Store::metrics`]), never a process-global
//! one, so the many servers a test binary runs count apart.
//!
//! Recording is a few atomic adds; label sets that are fixed (quota,
//! worker counters, webhook outcomes) are resolved once here. While
//! metrics are off ([`Metrics::enabled`] false) every `record_*` returns
//! at its first load, and nothing is exposed.

mod series;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus::{Encoder, IntCounter, Registry, TextEncoder};

pub use series::Series;

/// The `Content-Type` of a scrape (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// How a submission ended, for `taskcenter_submissions_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Charged and accepted upstream.
    Accepted,
    /// Refused before anything was charged (bad job, no quota: a 4xx).
    Rejected,
    /// No channel serves the model.
    NoChannel,
    /// Charged, every upstream attempt failed, refunded.
    UpstreamFailed,
    /// Anything else (a store error, a lost race).
    Error,
}

impl SubmitOutcome {
    fn label(self) -> &'static str {
        match self {
            SubmitOutcome::Accepted => "accepted",
            SubmitOutcome::Rejected => "rejected",
            SubmitOutcome::NoChannel => "no_channel",
            SubmitOutcome::UpstreamFailed => "upstream_failed",
            SubmitOutcome::Error => "error",
        }
    }
}

/// Which upstream call, for `taskcenter_upstream_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamKind {
    /// A job sent.
    Submit,
    /// Tasks asked about.
    Fetch,
    /// A result file downloaded.
    Content,
}

impl UpstreamKind {
    fn label(self) -> &'static str {
        match self {
            UpstreamKind::Submit => "submit",
            UpstreamKind::Fetch => "fetch",
            UpstreamKind::Content => "content",
        }
    }
}

/// One row of the in-flight gauges, read from the store at scrape time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    /// The tasks' `platform` column.
    pub platform: String,
    /// Their status word.
    pub status: String,
    /// How many.
    pub count: i64,
    /// The oldest one's `submit_time` (unix s).
    pub oldest_submit_time: i64,
}

/// The metrics of one service.
pub struct Metrics {
    enabled: AtomicBool,
    registry: Registry,
    series: Series,
    /// One scrape at a time: the in-flight gauges are reset and refilled.
    scrape: Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("enabled", &self.enabled())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every series registered, recording off.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let series = Series::register(&registry);
        Metrics {
            enabled: AtomicBool::new(false),
            registry,
            series,
            scrape: Mutex::new(()),
        }
    }

    /// Turns recording on (`--metrics`); the first call stamps the start
    /// time (later contexts over the same store, such as a test's
    /// manual-clock passes, keep it).
    pub fn enable(&self, started_at: i64) {
        if !self.enabled.swap(true, Ordering::Relaxed) {
            self.series.start_time.set(started_at);
        }
    }

    /// Whether anything is recorded.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// One HTTP request answered: `route` is its template and `method`
    /// a known method or `other` (bounded), `status` its code (`"200"`).
    pub fn record_request(&self, route: &str, method: &str, status: &str, took: Duration) {
        if !self.enabled() {
            return;
        }
        let s = &self.series;
        s.http_requests
            .with_label_values(&[route, method, status])
            .inc();
        s.http_duration
            .with_label_values(&[route, method])
            .observe(took.as_secs_f64());
    }

    /// One submission ended; `action` is the platform's validated action
    /// word (`other` when the job never validated).
    pub fn record_submission(&self, platform: &str, action: &str, outcome: SubmitOutcome) {
        if !self.enabled() {
            return;
        }
        self.series
            .submissions
            .with_label_values(&[platform, action, outcome.label()])
            .inc();
    }

    /// Units charged, after the charge's transaction committed.
    pub fn record_charge(&self, units: i64) {
        if self.enabled() && units > 0 {
            self.series.quota_charged.inc_by(units as u64);
        }
    }

    /// Units refunded, after the refund's transaction committed.
    pub fn record_refund(&self, units: i64) {
        if self.enabled() && units > 0 {
            self.series.quota_refunded.inc_by(units as u64);
        }
    }

    /// One upstream call on channel `channel`; `outcome` is `ok` or the
    /// failure's class (see `UpstreamError::class`).
    pub fn record_upstream(&self, channel: i64, kind: UpstreamKind, outcome: &str, took: Duration) {
        if !self.enabled() {
            return;
        }
        let channel = channel.to_string();
        let s = &self.series;
        s.upstream_requests
            .with_label_values(&[channel.as_str(), kind.label(), outcome])
            .inc();
        s.upstream_duration
            .with_label_values(&[channel.as_str(), kind.label()])
            .observe(took.as_secs_f64());
    }

    /// One worker pass: its duration, its counts (by the report's names),
    /// and when it ended (unix s, from the service's clock).
    pub fn record_worker_pass(&self, took: Duration, counts: &[(&str, usize)], ended_at: i64) {
        if !self.enabled() {
            return;
        }
        let s = &self.series;
        s.worker_passes.inc();
        s.worker_pass_duration.observe(took.as_secs_f64());
        s.worker_last_pass.set(ended_at);
        for (name, n) in counts {
            if *n > 0 {
                s.worker_tasks.with_label_values(&[name]).inc_by(*n as u64);
            }
        }
    }

    /// Outcomes of a webhook delivery pass.
    pub fn record_deliveries(&self, delivered: usize, retrying: usize, gave_up: usize) {
        if !self.enabled() {
            return;
        }
        let [ok, retry, failed] = &self.series.webhook_deliveries;
        add(ok, delivered);
        add(retry, retrying);
        add(failed, gave_up);
    }

    /// How long a writer waited for `BEGIN IMMEDIATE`.
    pub fn record_writer_wait(&self, waited: Duration) {
        if self.enabled() {
            self.series.writer_wait.observe(waited.as_secs_f64());
        }
    }

    /// How long a write transaction held the writer turn.
    pub fn record_writer_hold(&self, held: Duration) {
        if self.enabled() {
            self.series.writer_hold.observe(held.as_secs_f64());
        }
    }

    /// How many writes one grouped transaction committed.
    pub fn record_grouped_writes(&self, writes: usize) {
        if self.enabled() {
            self.series.grouped_writes.observe(writes as f64);
        }
    }

    /// The text exposition, with the in-flight gauges set from `in_flight`
    /// as of `now` (unix s).
    pub fn render(&self, in_flight: &[InFlight], now: i64) -> Result<String, String> {
        let _one = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        let s = &self.series;
        s.tasks_in_flight.reset();
        s.oldest_in_flight_age.reset();
        let mut oldest: Vec<(&str, i64)> = Vec::new();
        for row in in_flight {
            s.tasks_in_flight
                .with_label_values(&[row.platform.as_str(), row.status.as_str()])
                .set(row.count);
            match oldest.iter_mut().find(|(p, _)| *p == row.platform) {
                Some((_, t)) => *t = (*t).min(row.oldest_submit_time),
                None => oldest.push((row.platform.as_str(), row.oldest_submit_time)),
            }
        }
        for (platform, t) in oldest {
            s.oldest_in_flight_age
                .with_label_values(&[platform])
                .set((now - t).max(0));
        }
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(|e| format!("cannot encode the metrics: {e}"))?;
        String::from_utf8(out).map_err(|e| format!("the metrics are not UTF-8: {e}"))
    }
}

fn add(c: &IntCounter, n: usize) {
    if n > 0 {
        c.inc_by(n as u64);
    }
}
