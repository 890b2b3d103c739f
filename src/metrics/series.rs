//! Every series the service exports, registered once per [`Registry`].
//! README "Monitoring" lists them with what each means.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// Request and upstream latencies: 1 ms … 60 s.
const LATENCY: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// The writer lock's wait: 10 µs … 5 s (most writers wait for nobody).
const WAIT: &[f64] = &[
    0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
];
/// Writes in one grouped transaction: 1 … 256.
const GROUP: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// A worker pass: 1 ms … 5 min.
const PASS: &[f64] = &[
    0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The handles recording goes through.
pub struct Series {
    pub(super) http_requests: IntCounterVec,
    pub(super) http_duration: HistogramVec,
    pub(super) submissions: IntCounterVec,
    pub(super) quota_charged: IntCounter,
    pub(super) quota_refunded: IntCounter,
    pub(super) upstream_requests: IntCounterVec,
    pub(super) upstream_duration: HistogramVec,
    pub(super) worker_passes: IntCounter,
    pub(super) worker_pass_duration: Histogram,
    pub(super) worker_last_pass: IntGauge,
    pub(super) worker_tasks: IntCounterVec,
    pub(super) tasks_in_flight: IntGaugeVec,
    pub(super) oldest_in_flight_age: IntGaugeVec,
    /// delivered, retrying, failed.
    pub(super) webhook_deliveries: [IntCounter; 3],
    pub(super) writer_wait: Histogram,
    pub(super) writer_hold: Histogram,
    pub(super) grouped_writes: Histogram,
    pub(super) start_time: IntGauge,
}

impl Series {
    /// Creates and registers every series in `r`.
    pub fn register(r: &Registry) -> Series {
        let deliveries = counters(
            r,
            "taskcenter_webhook_deliveries_total",
            "Webhook delivery attempts by outcome.",
            &["outcome"],
        );
        let build = gauges(
            r,
            "taskcenter_build_info",
            "Always 1; the version of the running binary.",
            &["version"],
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        Series {
            http_requests: counters(
                r,
                "taskcenter_http_requests_total",
                "HTTP requests answered, by route template, method and status.",
                &["route", "method", "status"],
            ),
            http_duration: histograms(
                r,
                "taskcenter_http_request_duration_seconds",
                "Time to answer an HTTP request, by route template and method.",
                &["route", "method"],
                LATENCY,
            ),
            submissions: counters(
                r,
                "taskcenter_submissions_total",
                "Job submissions by platform, action and outcome.",
                &["platform", "action", "outcome"],
            ),
            quota_charged: counter(
                r,
                "taskcenter_quota_charged_total",
                "Quota units charged for tasks (counted when the charge commits).",
            ),
            quota_refunded: counter(
                r,
                "taskcenter_quota_refunded_total",
                "Quota units refunded for failed tasks (counted when the refund commits).",
            ),
            upstream_requests: counters(
                r,
                "taskcenter_upstream_requests_total",
                "Upstream calls by channel id, kind (submit, fetch, content) and outcome.",
                &["channel", "kind", "outcome"],
            ),
            upstream_duration: histograms(
                r,
                "taskcenter_upstream_request_duration_seconds",
                "Time of an upstream call, by channel id and kind.",
                &["channel", "kind"],
                LATENCY,
            ),
            worker_passes: counter(
                r,
                "taskcenter_worker_passes_total",
                "Passes of the polling worker.",
            ),
            worker_pass_duration: histogram(
                r,
                "taskcenter_worker_pass_duration_seconds",
                "Time of one worker pass.",
                PASS,
            ),
            worker_last_pass: gauge(
                r,
                "taskcenter_worker_last_pass_timestamp_seconds",
                "When the last worker pass ended (unix s).",
            ),
            worker_tasks: counters(
                r,
                "taskcenter_worker_tasks_total",
                "What worker passes did to tasks: polled, updated, succeeded, failed \
                 (refunded), timed_out (refunded), orphaned, channel_gone, missing, ...",
                &["event"],
            ),
            tasks_in_flight: gauges(
                r,
                "taskcenter_tasks_in_flight",
                "Tasks not final yet, by platform and status (read at scrape time).",
                &["platform", "status"],
            ),
            oldest_in_flight_age: gauges(
                r,
                "taskcenter_oldest_in_flight_age_seconds",
                "Age of the oldest task not final yet, by platform (read at scrape time).",
                &["platform"],
            ),
            webhook_deliveries: ["delivered", "retrying", "failed"]
                .map(|o| deliveries.with_label_values(&[o])),
            writer_wait: histogram(
                r,
                "taskcenter_store_writer_wait_seconds",
                "Time a writer waited for its turn and BEGIN IMMEDIATE.",
                WAIT,
            ),
            writer_hold: histogram(
                r,
                "taskcenter_store_writer_hold_seconds",
                "Time a write transaction held the writer turn, from BEGIN IMMEDIATE to its end.",
                WAIT,
            ),
            grouped_writes: histogram(
                r,
                "taskcenter_store_grouped_writes",
                "Writes run together in one grouped transaction (the relay's charges and acceptances).",
                GROUP,
            ),
            start_time: gauge(
                r,
                "taskcenter_start_time_seconds",
                "When the service started (unix s).",
            ),
        }
    }
}

// The names and label lists below are constants, so creating and
// registering them cannot fail (a duplicate or a bad name is a bug caught
// by every test that starts a server).

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("a valid counter");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn counters(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter");
    r.register(Box::new(c.clone())).expect("registered once");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("a valid gauge");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

fn gauges(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge");
    r.register(Box::new(g.clone())).expect("registered once");
    g
}

fn histogram(r: &Registry, name: &str, help: &str, buckets: &[f64]) -> Histogram {
    let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
        .expect("a valid histogram");
    r.register(Box::new(h.clone())).expect("registered once");
    h
}

fn histograms(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    let h = HistogramVec::new(
        HistogramOpts::new(name, help).buckets(buckets.to_vec()),
        labels,
    )
    .expect("a valid histogram");
    r.register(Box::new(h.clone())).expect("registered once");
    h
}

#[cfg(test)]
mod tests {
    use prometheus::{Encoder, TextEncoder};

    use super::*;

    fn text(r: &Registry) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&r.gather(), &mut out)
            .expect("encode");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn two_registries_count_apart() {
        // Nothing is process-global: a test binary runs many servers.
        let (a, b) = (Registry::new(), Registry::new());
        let sa = Series::register(&a);
        let _sb = Series::register(&b);
        sa.quota_charged.inc_by(5);
        assert!(text(&a).contains("\ntaskcenter_quota_charged_total 5\n"));
        assert!(text(&b).contains("\ntaskcenter_quota_charged_total 0\n"));
        for line in text(&a).lines().filter(|l| !l.starts_with('#')) {
            assert!(line.starts_with("taskcenter_"), "{line}");
        }
    }
}
