//! Mock upstream platforms that taskcenter's tests, benchmarks and quickstart talk to over
//! real HTTP.
//!
//! One module per platform, each speaking that platform's wire protocol:
//! - [`suno`]: the Suno-API (`POST /suno/submit/{action}`, `POST /suno/fetch`, ...), its
//!   `/mock/...` control routes and the `mock_suno` command line.
//!
//! Plumbing the platforms share:
//! - `fault`: [`Fault`], the ways an upstream misbehaves, and the switch that picks the fault
//!   for each request (standing, next `n`, flip).
//! - `server`: a warp server on its own thread and runtime, bound before it returns and
//!   stopped with a short grace when dropped.
//! - `reply`: JSON answers kept as bytes (so a fault can pad them) and the unanswered
//!   disconnect.
//! - `ids`, `clock`: unique ids and timestamps in the shapes upstreams use.
//! - `sync`: poison-tolerant locking.
//!
//! The Suno types are re-exported here, so a test can write `use mock_upstreams as mock;` and
//! then `mock::Mock`, `mock::Fault`.

mod clock;
mod fault;
mod ids;
mod reply;
mod server;
pub mod suno;
mod sync;

pub use suno::{
    DEFAULT_STALL_MS, FAIL_REASON, FORCED_FAIL_REASON, Fault, HUGE_BODY_BYTES, Mock, MockConfig,
    SUBMISSION_MEMORY, Stats, Submission,
};
