//! Mock upstream platforms that taskcenter's tests, benchmarks and quickstart talk to over
//! real HTTP.
//!
//! One module per platform, each speaking that platform's wire protocol:
//! - [`suno`]: the Suno-API (`POST /suno/submit/{action}`, `POST /suno/fetch`, ...) and the
//!   `mock_suno` command line.
//! - [`video`]: OpenAI's Videos API (`POST /v1/videos`, `GET /v1/videos/{id}/content`, ...)
//!   and the `mock_video` command line.
//!
//! Plumbing the platforms share:
//! - `running`: [`Running`], the handle of any platform mock (start, stop on drop, faults,
//!   counts), generic over the [`Platform`] trait each platform's state implements, with
//!   `Base`, the part of that state every platform has; `admit`, what every route does first.
//! - `routes`: the frame of every platform's routes (its calls, the control routes, one
//!   `recover`).
//! - `cli`: the flags every command line has, and serving until Ctrl-C.
//! - `counts`: request counts kept in the platform's own stats struct.
//! - `recent`: the most recent submissions or creations, as tests read them back.
//! - `fault`: [`Fault`], the ways an upstream misbehaves, the switch that picks the fault
//!   for each request (standing, next `n`, flip), and the even spread of failing tasks.
//! - `control`: the `/mock/...` HTTP control routes (faults, stats, forced statuses), each
//!   platform answering in its own shape.
//! - `server`: a warp server on its own thread and runtime, bound before it returns and
//!   stopped with a short grace when dropped; the state injector of every route.
//! - `reply`: JSON answers kept as bytes (so a fault can pad them) and the unanswered
//!   disconnect.
//! - `range`: `Range: bytes=...` requests resolved against a body's length (video content,
//!   Suno media).
//! - `ids`, `clock`: unique ids and timestamps in the shapes upstreams use.
//! - `sync`: poison-tolerant locking.
//!
//! The Suno types are re-exported here, so a test can write `use mock_upstreams as mock;` and
//! then `mock::Mock`, `mock::Fault`; the video mock's handle and configuration too
//! (`mock::VideoMock`), the rest under [`video`]. Both handles are [`Running`] mocks, so the
//! shared part of their Rust control API is written once.

mod cli;
mod clock;
mod control;
mod counts;
mod fault;
mod ids;
mod range;
mod recent;
mod reply;
mod routes;
mod running;
mod server;
pub mod suno;
mod sync;
pub mod video;

pub use running::{Platform, Running};
pub use suno::{
    DEFAULT_STALL_MS, FAIL_REASON, FORCED_FAIL_REASON, Fault, HUGE_BODY_BYTES, Mock, MockConfig,
    SUBMISSION_MEMORY, Stats, Submission,
};
pub use video::{VideoMock, VideoMockConfig};
