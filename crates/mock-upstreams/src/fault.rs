//! The ways an upstream misbehaves, and the switch that picks the fault for each request.
//!
//! The faults are named for what a client sees, so every platform mock can honour the same
//! names; a platform decides what each one looks like in its own protocol.

use std::fmt;
use std::sync::Mutex;

use warp::http::StatusCode;

use crate::sync::lock;

/// How long a stall lasts when none is given: longer than taskcenter's default 60 s timeout.
pub const DEFAULT_STALL_MS: u64 = 65_000;
/// Size of the padding a [`Fault::HugeBody`] answer carries.
pub const HUGE_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A way the upstream misbehaves; applies to every platform route (not to `/mock/...`).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Fault {
    /// Healthy.
    #[default]
    None,
    /// Close the connection without an answer: the client sees the connection closed before
    /// any response byte (hyper aborts the connection when the body fails before being sent).
    Disconnect,
    /// Sleep this many ms, then answer normally. A client that gives up first leaves nothing
    /// behind: the server drops the request with the connection, before the task is created.
    Stall(u64),
    /// Answer this HTTP status with the platform's error envelope; nothing is created.
    Http(u16),
    /// HTTP 200 with a truncated JSON body; nothing is created.
    MalformedJson,
    /// HTTP 200 with an envelope whose code is not success; nothing is created.
    CodeNotSuccess,
    /// Fetch answers start with two made-up FAILURE tasks nobody asked for, then the asked
    /// ones in reverse order.
    ExtraIds,
    /// Fetch answers leave out every second asked id (indices 1, 3, 5, ... of the request);
    /// a fetch of one id answers 404.
    MissingSome,
    /// Answers about one known id are 404 as for an unknown one (as if the upstream lost
    /// it); creating still works. Suno's fetches find nothing.
    NotFound,
    /// Fetch answers carry the status word `WEIRD`.
    UnknownStatus,
    /// Fetch answers carry times in milliseconds instead of seconds.
    MillisecondTimes,
    /// The normal answer with a ~10 MB `padding` field added to the envelope.
    HugeBody,
    /// Alternate per request: healthy, HTTP 500, healthy, HTTP 500, ...
    Flip,
}

impl Fault {
    /// Parses a control name: `none`, `disconnect`, `stall` (with `stall_ms`), `stall_<ms>`,
    /// `http_<status>`, `malformed_json`, `code_not_success`, `extra_ids`, `missing_some`,
    /// `not_found`, `unknown_status`, `millisecond_times`, `huge_body`, `flip`.
    pub fn parse(name: &str, stall_ms: Option<u64>) -> Result<Fault, String> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        let fault = match name.as_str() {
            "none" | "healthy" | "ok" => Fault::None,
            "disconnect" | "drop" | "refused" | "connection_refused" => Fault::Disconnect,
            "stall" => Fault::Stall(stall_ms.unwrap_or(DEFAULT_STALL_MS)),
            "malformed" | "malformed_json" | "garbage" => Fault::MalformedJson,
            "code_not_success" | "internal_error" => Fault::CodeNotSuccess,
            "extra_ids" => Fault::ExtraIds,
            "missing_some" => Fault::MissingSome,
            "not_found" | "lost" => Fault::NotFound,
            "unknown_status" | "weird" => Fault::UnknownStatus,
            "millisecond_times" | "ms_times" => Fault::MillisecondTimes,
            "huge_body" | "huge" => Fault::HugeBody,
            "flip" => Fault::Flip,
            other => {
                if let Some(ms) = other.strip_prefix("stall_") {
                    Fault::Stall(
                        ms.parse()
                            .map_err(|_| format!("bad stall ms in {other:?}"))?,
                    )
                } else if let Some(code) = other.strip_prefix("http_") {
                    match code.parse::<u16>() {
                        Ok(code) if StatusCode::from_u16(code).is_ok() => Fault::Http(code),
                        _ => return Err(format!("bad HTTP status in {other:?}")),
                    }
                } else {
                    return Err(format!("unknown fault {other:?}"));
                }
            }
        };
        Ok(fault)
    }
}

/// The canonical control name, which [`Fault::parse`] reads back.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::None => f.write_str("none"),
            Fault::Disconnect => f.write_str("disconnect"),
            Fault::Stall(ms) => write!(f, "stall_{ms}"),
            Fault::Http(status) => write!(f, "http_{status}"),
            Fault::MalformedJson => f.write_str("malformed_json"),
            Fault::CodeNotSuccess => f.write_str("code_not_success"),
            Fault::ExtraIds => f.write_str("extra_ids"),
            Fault::MissingSome => f.write_str("missing_some"),
            Fault::NotFound => f.write_str("not_found"),
            Fault::UnknownStatus => f.write_str("unknown_status"),
            Fault::MillisecondTimes => f.write_str("millisecond_times"),
            Fault::HugeBody => f.write_str("huge_body"),
            Fault::Flip => f.write_str("flip"),
        }
    }
}

/// Picks the fault of each request: the standing one, unless a count-limited one is pending.
#[derive(Debug, Default)]
pub struct FaultSwitch {
    inner: Mutex<Plan>,
}

#[derive(Debug, Default)]
struct Plan {
    standing: Fault,
    next: Option<(u64, Fault)>,
    /// Requests that drew [`Fault::Flip`] so far; odd ones are healthy.
    flips: u64,
}

impl FaultSwitch {
    /// Applies `fault` from now on and cancels a pending count-limited fault.
    pub(crate) fn set(&self, fault: Fault) {
        let mut plan = lock(&self.inner);
        plan.standing = fault;
        plan.next = None;
    }

    /// Applies `fault` to the next `n` requests only (`n = 0` cancels a pending one).
    pub(crate) fn fail_next(&self, n: u64, fault: Fault) {
        lock(&self.inner).next = (n > 0).then_some((n, fault));
    }

    /// The standing fault.
    pub(crate) fn standing(&self) -> Fault {
        lock(&self.inner).standing.clone()
    }

    /// The pending count-limited fault and how many requests it still applies to.
    pub(crate) fn pending(&self) -> Option<(u64, Fault)> {
        lock(&self.inner).next.clone()
    }

    /// The fault for the request arriving now; Flip is resolved to None or Http(500).
    pub(crate) fn take(&self) -> Fault {
        let mut plan = lock(&self.inner);
        let fault = match plan.next.take() {
            Some((left, fault)) => {
                if left > 1 {
                    plan.next = Some((left - 1, fault.clone()));
                }
                fault
            }
            None => plan.standing.clone(),
        };
        if fault != Fault::Flip {
            return fault;
        }
        plan.flips += 1;
        if plan.flips.is_multiple_of(2) {
            Fault::Http(500)
        } else {
            Fault::None
        }
    }
}

/// The status and message of an [`Fault::Http`] answer from the mock called `platform`
/// (`mock_video fault: 503 Service Unavailable`).
pub(crate) fn http_fault(code: u16, platform: &str) -> (StatusCode, String) {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("error");
    (status, format!("{platform} fault: {code} {reason}"))
}

/// Whether task number `n` (from 0) of a platform fails under `failure_ratio`: evenly spread,
/// so that the first n tasks hold floor(n × ratio) failures at every point (0.5 fails every
/// second task, 1.0 all of them).
pub(crate) fn fails_evenly(n: u64, failure_ratio: f64) -> bool {
    let ratio = failure_ratio.clamp(0.0, 1.0);
    let n = n as f64;
    ((n + 1.0) * ratio).floor() > (n * ratio).floor()
}

#[cfg(test)]
mod tests {
    use super::{Fault, FaultSwitch, fails_evenly};

    #[test]
    fn fault_names_round_trip() {
        let faults = [
            Fault::None,
            Fault::Disconnect,
            Fault::Stall(1234),
            Fault::Http(429),
            Fault::MalformedJson,
            Fault::CodeNotSuccess,
            Fault::ExtraIds,
            Fault::MissingSome,
            Fault::NotFound,
            Fault::UnknownStatus,
            Fault::MillisecondTimes,
            Fault::HugeBody,
            Fault::Flip,
        ];
        for fault in faults {
            assert_eq!(Fault::parse(&fault.to_string(), None), Ok(fault));
        }
        assert_eq!(Fault::parse("stall", Some(5)), Ok(Fault::Stall(5)));
        assert_eq!(Fault::parse(" HTTP-503 ", None), Ok(Fault::Http(503)));
        assert!(Fault::parse("http_99", None).is_err());
        assert!(Fault::parse("stall_soon", None).is_err());
        assert!(Fault::parse("teapot", None).is_err());
    }

    #[test]
    fn a_count_limited_fault_wears_off_into_the_standing_one() {
        let switch = FaultSwitch::default();
        switch.set(Fault::MalformedJson);
        switch.fail_next(2, Fault::Http(503));
        assert_eq!(switch.pending(), Some((2, Fault::Http(503))));
        assert_eq!(switch.take(), Fault::Http(503));
        assert_eq!(switch.take(), Fault::Http(503));
        assert_eq!(switch.pending(), None);
        assert_eq!(switch.take(), Fault::MalformedJson);
        switch.fail_next(5, Fault::Disconnect);
        switch.set(Fault::None);
        assert_eq!(switch.take(), Fault::None, "set cancels the pending fault");
    }

    #[test]
    fn flip_alternates_healthy_and_http_500() {
        let switch = FaultSwitch::default();
        switch.set(Fault::Flip);
        let drawn: Vec<Fault> = (0..4).map(|_| switch.take()).collect();
        assert_eq!(
            drawn,
            [Fault::None, Fault::Http(500), Fault::None, Fault::Http(500)]
        );
        assert_eq!(switch.standing(), Fault::Flip);
    }

    #[test]
    fn failures_are_spread_evenly() {
        let fails = |ratio: f64| (0..10).map(|n| fails_evenly(n, ratio)).collect::<Vec<_>>();
        assert!(fails(1.0).iter().all(|f| *f));
        assert!(fails(0.0).iter().all(|f| !*f));
        assert_eq!(fails(0.5), [false, true].repeat(5));
        assert_eq!(fails(0.3).iter().filter(|f| **f).count(), 3);
    }
}
