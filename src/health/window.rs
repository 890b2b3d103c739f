//! The last 24 hours of a channel's calls: per-hour counts of working and
//! failed calls and a latency histogram of the working ones, good enough
//! for a median within a quarter.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Hours kept.
const HOURS: i64 = 24;
/// Latency buckets: bucket `i` holds calls of at most `1.25^i` ms; the
/// last one (about 21 minutes) everything longer.
const BUCKETS: usize = 64;
/// The growth from one bucket's bound to the next.
const GROWTH: f64 = 1.25;

/// One hour's calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Hour {
    /// Unix hour (unix s / 3600).
    hour: i64,
    /// Calls that worked.
    ok: u64,
    /// Calls that failed.
    failed: u64,
    /// Working calls per latency bucket, as `[bucket, count]` pairs in
    /// storage (dense in memory).
    #[serde(with = "sparse")]
    latency: Vec<u64>,
}

/// The calls of the last [`HOURS`] hours.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    hours: VecDeque<Hour>,
}

/// What a window says about the last 24 hours at some time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Calls that worked.
    pub ok: u64,
    /// Calls that failed.
    pub failed: u64,
    /// Median latency of the working calls (the bound of its bucket), ms.
    pub median_latency_ms: Option<u64>,
}

impl Figures {
    /// Working calls over all calls; `None` when there were none.
    pub fn success_ratio(&self) -> Option<f64> {
        let all = self.ok + self.failed;
        (all > 0).then(|| self.ok as f64 / all as f64)
    }
}

fn bucket_of(latency_ms: u64) -> usize {
    if latency_ms <= 1 {
        return 0;
    }
    let i = ((latency_ms as f64).ln() / GROWTH.ln()).ceil() as usize;
    i.min(BUCKETS - 1)
}

fn bound_of(bucket: usize) -> u64 {
    GROWTH.powi(bucket as i32).round() as u64
}

impl Window {
    /// Counts a call at unix second `now`; `latency_ms` of a working call.
    pub fn record(&mut self, now: i64, ok: bool, latency_ms: u64) {
        let hour = now.div_euclid(3600);
        if self.hours.back().is_none_or(|h| h.hour < hour) {
            self.hours.push_back(Hour {
                hour,
                ok: 0,
                failed: 0,
                latency: vec![0; BUCKETS],
            });
        }
        // A clock moved back counts into the newest hour.
        if let Some(h) = self.hours.back_mut() {
            if ok {
                h.ok += 1;
                h.latency[bucket_of(latency_ms)] += 1;
            } else {
                h.failed += 1;
            }
        }
        while self.hours.front().is_some_and(|h| h.hour <= hour - HOURS) {
            self.hours.pop_front();
        }
    }

    /// The figures of the 24 hours up to unix second `now`.
    pub fn figures(&self, now: i64) -> Figures {
        let hour = now.div_euclid(3600);
        let recent: Vec<&Hour> = self
            .hours
            .iter()
            .filter(|h| h.hour > hour - HOURS)
            .collect();
        let mut latency = [0u64; BUCKETS];
        for h in &recent {
            for (sum, n) in latency.iter_mut().zip(&h.latency) {
                *sum += n;
            }
        }
        let total: u64 = latency.iter().sum();
        let median_latency_ms = (total > 0).then(|| {
            let half = total.div_ceil(2);
            let mut seen = 0;
            let bucket = latency
                .iter()
                .position(|n| {
                    seen += n;
                    seen >= half
                })
                .unwrap_or(BUCKETS - 1);
            bound_of(bucket)
        });
        Figures {
            ok: recent.iter().map(|h| h.ok).sum(),
            failed: recent.iter().map(|h| h.failed).sum(),
            median_latency_ms,
        }
    }

    /// The window as stored (JSON).
    pub fn to_text(&self) -> String {
        serde_json::to_string(&self.hours).unwrap_or_else(|_| "[]".into())
    }

    /// A window read back; text that does not parse (edited by hand) is an
    /// empty window, not an error: the figures are advisory.
    pub fn from_text(text: &str) -> Window {
        let hours: VecDeque<Hour> = serde_json::from_str(text).unwrap_or_default();
        Window {
            hours: hours
                .into_iter()
                .filter(|h| h.latency.len() == BUCKETS)
                .collect(),
        }
    }
}

/// Latency buckets stored as `[bucket, count]` pairs of the non-empty ones.
mod sparse {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::BUCKETS;

    pub fn serialize<S: Serializer>(dense: &[u64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            dense
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| [i as u64, *n]),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        let pairs: Vec<[u64; 2]> = Vec::deserialize(d)?;
        let mut dense = vec![0; BUCKETS];
        for [i, n] in pairs {
            if let Some(slot) = dense.get_mut(i as usize) {
                *slot = n;
            }
        }
        Ok(dense)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn the_median_is_within_a_quarter_of_the_true_one() {
        let mut w = Window::default();
        for ms in [10, 20, 30, 400, 500, 600, 700, 5000, 9000] {
            w.record(NOW, true, ms);
        }
        w.record(NOW, false, 0);
        let f = w.figures(NOW);
        let median = f.median_latency_ms.unwrap();
        assert!((500..=625).contains(&median), "{median}");
        assert_eq!((f.ok, f.failed), (9, 1));
        assert_eq!(f.success_ratio(), Some(0.9));
    }

    #[test]
    fn hours_older_than_a_day_drop_out() {
        let mut w = Window::default();
        w.record(NOW, false, 0);
        w.record(NOW + 3600, true, 5);
        assert_eq!(w.figures(NOW + 3600).failed, 1);
        assert_eq!(w.figures(NOW + 24 * 3600).failed, 0, "a day later");
        assert_eq!(w.figures(NOW + 24 * 3600).ok, 1);
        assert_eq!(w.figures(NOW + 48 * 3600).success_ratio(), None);
        assert_eq!(w.figures(NOW + 48 * 3600).median_latency_ms, None);
    }

    #[test]
    fn a_window_survives_its_text() {
        let mut w = Window::default();
        w.record(NOW, true, 3);
        w.record(NOW, true, 30_000_000);
        w.record(NOW + 7200, false, 0);
        assert_eq!(Window::from_text(&w.to_text()), w);
        assert_eq!(Window::from_text("not json"), Window::default());
    }
}
