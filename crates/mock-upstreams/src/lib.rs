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
//! - `fault`: [`Fault`], the ways an upstream misbehaves, the switch that picks the fault
//!   for each request (standing, next `n`, flip), and the even spread of failing tasks.
//! - `control`: the `/mock/...` HTTP control routes (faults, stats, forced statuses), each
//!   platform answering in its own shape.
//! - `server`: a warp server on its own thread and runtime, bound before it returns and
//!   stopped with a short grace when dropped; the state injector of every route.
//! - `reply`: JSON answers kept as bytes (so a fault can pad them) and the unanswered
//!   disconnect.
//! - `ids`, `clock`: unique ids and timestamps in the shapes upstreams use.
//! - `sync`: poison-tolerant locking.
//!
//! The Suno types are re-exported here, so a test can write `use mock_upstreams as mock;` and
//! then `mock::Mock`, `mock::Fault`; the video mock's handle and configuration too
//! (`mock::VideoMock`), the rest under [`video`].

mod cli;
mod clock;
mod control;
mod counts;
mod fault;
mod ids;
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
