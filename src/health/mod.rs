//! Channel health: every upstream call the relay, the worker and content
//! downloads make is counted here, in memory (a working submission must not
//! cost a write). The worker saves the channels that changed once per pass
//! and the server loads them at start. A call that says the channel's own
//! credentials or balance are bad disables the channel at once
//! ([`observe`]).

mod outcome;
mod window;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

pub use outcome::Outcome;
pub use window::{Figures, Window};

use crate::context::Context;
use crate::platform::UpstreamError;
use crate::store::Store;
use crate::store::channel_health::HealthRow;
use crate::store::channels::{Channel, ChannelView};

/// Longest error text kept (it quotes the upstream).
const MAX_ERROR_CHARS: usize = 500;

/// One channel's health in memory.
#[derive(Debug, Clone, Default)]
struct State {
    consecutive_failures: u32,
    unhealthy: bool,
    last_success_at: i64,
    last_error: String,
    last_error_at: i64,
    window: Window,
    /// Changed since the worker last saved it.
    dirty: bool,
}

/// The health of every channel that made a call.
#[derive(Debug)]
pub struct Health {
    channels: Mutex<HashMap<i64, State>>,
    /// Consecutive failures that make a channel unhealthy.
    unhealthy_after: u32,
}

/// A channel's health as the channel list shows it (administrators only:
/// `last_error` may quote the upstream).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HealthView {
    /// Unix s of the last working call.
    pub last_success_at: Option<i64>,
    /// What the last failed call said.
    pub last_error: Option<String>,
    /// Unix s of the last failed call.
    pub last_error_at: Option<i64>,
    /// Failures since the last working call.
    pub consecutive_failures: u32,
    /// False after `--channel-unhealthy-after` failures in a row: the relay
    /// tries the channel only after the healthy ones.
    pub healthy: bool,
    /// Working calls over all calls of the last 24 h; null without calls.
    pub success_ratio_24h: Option<f64>,
    /// Median latency of the working calls of the last 24 h, ms.
    pub median_latency_ms_24h: Option<u64>,
}

/// A channel with its health: what the channel list shows.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelReport {
    #[serde(flatten)]
    channel: ChannelView,
    #[serde(flatten)]
    health: HealthView,
}

impl Health {
    /// No channel has made a call yet.
    pub fn new(unhealthy_after: u32) -> Health {
        Health {
            channels: Mutex::new(HashMap::new()),
            unhealthy_after: unhealthy_after.max(1),
        }
    }

    /// The health the store kept; an empty tracker (logged) when it cannot
    /// be read: the figures are advisory, the server starts anyway.
    pub fn load(store: &Store, unhealthy_after: u32) -> Health {
        let health = Health::new(unhealthy_after);
        match store.channel_health_rows() {
            Ok(rows) => {
                let mut map = health.lock();
                for r in rows {
                    map.insert(
                        r.channel_id,
                        State {
                            consecutive_failures: r.consecutive_failures.max(0) as u32,
                            unhealthy: !r.healthy,
                            last_success_at: r.last_success_at,
                            last_error: r.last_error,
                            last_error_at: r.last_error_at,
                            window: Window::from_text(&r.hours),
                            dirty: false,
                        },
                    );
                }
            }
            Err(e) => log::error!("cannot read the channels' saved health: {e:?}"),
        }
        health
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, State>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one call of `channel_id` at unix second `now`.
    pub fn record(&self, channel_id: i64, outcome: &Outcome, latency_ms: u64, now: i64) {
        let mut map = self.lock();
        let s = map.entry(channel_id).or_default();
        s.dirty = true;
        match outcome {
            Outcome::Worked => {
                s.consecutive_failures = 0;
                s.unhealthy = false;
                s.last_success_at = now;
                s.window.record(now, true, latency_ms);
            }
            Outcome::Down(error) | Outcome::Refused(error) => {
                s.consecutive_failures = s.consecutive_failures.saturating_add(1);
                if s.consecutive_failures >= self.unhealthy_after {
                    s.unhealthy = true;
                }
                s.last_error = error.chars().take(MAX_ERROR_CHARS).collect();
                s.last_error_at = now;
                s.window.record(now, false, 0);
            }
        }
    }

    /// Whether the relay should try this channel with the first ones.
    pub fn is_healthy(&self, channel_id: i64) -> bool {
        self.lock().get(&channel_id).is_none_or(|s| !s.unhealthy)
    }

    /// The channel's health as of unix second `now`.
    pub fn view(&self, channel_id: i64, now: i64) -> HealthView {
        let map = self.lock();
        let Some(s) = map.get(&channel_id) else {
            return HealthView {
                last_success_at: None,
                last_error: None,
                last_error_at: None,
                consecutive_failures: 0,
                healthy: true,
                success_ratio_24h: None,
                median_latency_ms_24h: None,
            };
        };
        let figures = s.window.figures(now);
        let set = |t: i64| (t > 0).then_some(t);
        HealthView {
            last_success_at: set(s.last_success_at),
            last_error: (s.last_error_at > 0).then(|| s.last_error.clone()),
            last_error_at: set(s.last_error_at),
            consecutive_failures: s.consecutive_failures,
            healthy: !s.unhealthy,
            success_ratio_24h: figures.success_ratio(),
            median_latency_ms_24h: figures.median_latency_ms,
        }
    }

    /// `channel` with its health as of unix second `now`.
    pub fn report(&self, channel: &Channel, now: i64) -> ChannelReport {
        ChannelReport {
            channel: channel.view(),
            health: self.view(channel.id, now),
        }
    }

    /// The channels changed since the last call, as rows to save; they
    /// count as saved (see [`Health::unsaved`] when saving fails).
    pub fn take_changed(&self) -> Vec<HealthRow> {
        let mut map = self.lock();
        map.iter_mut()
            .filter(|(_, s)| s.dirty)
            .map(|(id, s)| {
                s.dirty = false;
                HealthRow {
                    channel_id: *id,
                    consecutive_failures: i64::from(s.consecutive_failures),
                    healthy: !s.unhealthy,
                    last_success_at: s.last_success_at,
                    last_error: s.last_error.clone(),
                    last_error_at: s.last_error_at,
                    hours: s.window.to_text(),
                }
            })
            .collect()
    }

    /// Marks channels changed again (their save failed).
    pub fn unsaved(&self, ids: impl IntoIterator<Item = i64>) {
        let mut map = self.lock();
        for id in ids {
            if let Some(s) = map.get_mut(&id) {
                s.dirty = true;
            }
        }
    }
}

/// Counts an upstream call of channel `channel_id` that started at `started`; when
/// the answer says the channel's own credentials or balance are bad, the
/// channel is disabled (status 3) at once, with one log row however many
/// calls see it at the same time. Never fails the caller.
pub fn observe<T>(
    ctx: &Context,
    channel_id: i64,
    started: Instant,
    result: &Result<T, UpstreamError>,
) {
    // An operation the platform does not have sent nothing upstream.
    if matches!(result, Err(UpstreamError::Unsupported(_))) {
        return;
    }
    let outcome = Outcome::of(result);
    let now = ctx.clock.now();
    let latency_ms = started.elapsed().as_millis() as u64;
    ctx.health.record(channel_id, &outcome, latency_ms, now);
    if let Outcome::Refused(reason) = &outcome {
        let reason: String = reason.chars().take(MAX_ERROR_CHARS).collect();
        let first_probe = now + ctx.config.channel_probe_min_secs as i64;
        match ctx
            .store
            .auto_disable_channel(channel_id, &reason, first_probe)
        {
            Ok(true) => log::warn!("channel {channel_id} disabled automatically: {reason}"),
            Ok(false) => {}
            Err(e) => log::error!("cannot disable channel {channel_id}: {e:?}"),
        }
    }
}

/// One upstream call of `kind`, counted twice: in the metrics and in the
/// channel's health ([`observe`]). The call sites of the relay, the worker
/// and downloads go through here.
pub fn observe_call<T>(
    ctx: &Context,
    channel_id: i64,
    kind: crate::metrics::UpstreamKind,
    started: Instant,
    result: &Result<T, UpstreamError>,
) {
    let outcome = result.as_ref().map_or_else(|e| e.class(), |_| "ok");
    ctx.metrics
        .record_upstream(channel_id, kind, outcome, started.elapsed());
    observe(ctx, channel_id, started, result);
}

/// Saves the channels whose health changed since the last save, in one
/// small transaction (the worker, once per pass). False on a store error.
pub fn save(ctx: &Context) -> bool {
    let rows = ctx.health.take_changed();
    if rows.is_empty() {
        return true;
    }
    match ctx.store.save_channel_health(&rows) {
        Ok(()) => true,
        Err(e) => {
            log::error!("cannot save the channels' health: {e:?}");
            ctx.health.unsaved(rows.iter().map(|r| r.channel_id));
            false
        }
    }
}
