//! Probing a channel: the platform's cheapest harmless request (a fetch of
//! an id nobody has), timed. Used by `taskcenter doctor`.

use std::time::Instant;

use serde::Serialize;

use super::{Platforms, Target};
use crate::store::channels::Channel;

/// The id a probe asks for: no upstream has it.
pub const PROBE_ID: &str = "taskcenter-probe-0000";

/// How one probe went.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// The channel probed.
    pub channel_id: i64,
    /// Whether the upstream answered and took the channel's credentials.
    pub ok: bool,
    /// The upstream's HTTP status when it answered with an error.
    pub status: Option<u16>,
    /// Time to the answer, in milliseconds.
    pub latency_ms: u64,
    /// What went wrong (administrators only: may quote the upstream).
    pub error: Option<String>,
}

/// Probes `channel` through its platform.
pub fn probe(platforms: &Platforms, channel: &Channel) -> ProbeReport {
    let started = Instant::now();
    let outcome = match platforms.get(&channel.channel_type) {
        None => Err((
            None,
            format!("unknown channel type {}", channel.channel_type),
        )),
        Some(platform) => {
            let target = Target::of(channel);
            platform
                .fetch(&target, &[PROBE_ID.to_string()])
                .map(|_| ())
                .map_err(|e| {
                    let status = match &e {
                        super::UpstreamError::Status { status, .. } => Some(*status),
                        _ => None,
                    };
                    (status, e.detail())
                })
        }
    };
    let latency_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(()) => ProbeReport {
            channel_id: channel.id,
            ok: true,
            status: None,
            latency_ms,
            error: None,
        },
        Err((status, error)) => ProbeReport {
            channel_id: channel.id,
            ok: false,
            status,
            latency_ms,
            error: Some(error),
        },
    }
}
