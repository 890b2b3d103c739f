//! A Suno-API compatible upstream for tests, benchmarks and the quickstart.
//!
//! It speaks the wire protocol of `shared/protocols/suno.md` (beside the repository):
//! `POST /suno/submit/{action}`, `POST /suno/fetch`, `GET /suno/fetch/{id}` and `GET /ping`,
//! behind `Authorization: Bearer <secret>`. Music tasks walk NOT_START → SUBMITTED → QUEUED →
//! IN_PROGRESS → SUCCESS (or FAILURE) as time passes; lyrics are finished at once.
//!
//! Faults ([`Fault`]) break every Suno route on demand, for good or for the next `n` requests,
//! either from Rust ([`Mock::set_fault`], [`Mock::fail_next`]) or over HTTP (`/mock/...`) for
//! out-of-process users.
//!
//! - `config`: [`MockConfig`] and the fail reasons tests compare against.
//! - `mock`: [`Mock`], the generic [`crate::Running`] handle over the Suno state, and the
//!   Suno part of the Rust control API.
//! - `task`: a submitted task and the phase it has reached at a given moment.
//! - `state`: what the routes share: tasks, faults, counters ([`Stats`]), [`Submission`]s.
//! - `view`: how a task looks in a fetch answer, reshaped by the fetch faults.
//! - `envelope`: Suno's `{"code", "message", "data"}` answers.
//! - `routes`: the warp filters of the Suno API and the one `recover`.
//! - `handlers`: what submit, fetch and ping answer, with latency, faults and auth applied.
//! - `media`: the WAV and JPEG finished clips point at when [`MockConfig::serve_media`] is on.
//! - `control`: its side of the shared `/mock/...` control routes (Suno envelopes).
//! - [`cli`]: the `mock_suno` command line.

pub mod cli;
mod config;
mod control;
mod envelope;
mod handlers;
mod media;
mod mock;
mod routes;
mod state;
mod task;
mod view;

pub use crate::fault::{DEFAULT_STALL_MS, Fault, HUGE_BODY_BYTES};
pub use config::{FAIL_REASON, FORCED_FAIL_REASON, MockConfig};
pub use mock::Mock;
pub use state::{SUBMISSION_MEMORY, Stats, Submission};
