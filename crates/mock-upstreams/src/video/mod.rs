//! An OpenAI Videos API compatible upstream for tests, benchmarks and the quickstart.
//!
//! It speaks the wire protocol of `shared/protocols/openai-videos.md` (beside the repository)
//! behind `Authorization: Bearer <secret>`: `POST /v1/videos` (JSON or multipart with an
//! `input_reference` file), `GET /v1/videos/{id}`, `GET /v1/videos` (cursor pages),
//! `GET /v1/videos/{id}/content` (MP4 or JPEG, byte ranges), `DELETE /v1/videos/{id}` and
//! `POST /v1/videos/{id}/remix`. Videos walk queued → in_progress (progress growing) →
//! completed or failed as time passes.
//!
//! Faults ([`Fault`]) break every video route on demand, from Rust ([`VideoMock::set_fault`],
//! [`VideoMock::fail_next`]) or over HTTP (`/mock/...`). In this protocol: `http_<status>` is
//! an OpenAI error body; `malformed_json` a truncated JSON body, or on a download a body cut
//! halfway (the connection drops); `code_not_success` a 200 carrying an error body;
//! `not_found` 404 for known ids; `unknown_status` the status `weird`; `millisecond_times`
//! times in ms; `huge_body` ~10 MB of padding in JSON answers. `extra_ids` and
//! `missing_some` bend Suno's batch fetch, which this API lacks: here they are healthy.
//!
//! - `config`: [`VideoMockConfig`], and the errors failed videos carry.
//! - `mock`: [`VideoMock`], the generic [`crate::Running`] handle over the video state, and
//!   the video part of the Rust control API.
//! - `request`: what clients may ask for, parsed at the edge ([`VideoStatus`], [`Variant`],
//!   creation parameters, list pages).
//! - `form`: create bodies, JSON or multipart.
//! - `job`: a video and where it stands at a given moment.
//! - `state`: what the routes share: videos in creation order, faults, counters
//!   ([`VideoStats`]), [`Created`] records.
//! - `view`: the video object, list page and deletion receipt.
//! - `content`: the bytes of each rendition (`Range` requests: the crate's `range`).
//! - `error`: OpenAI's error body.
//! - `routes`: the warp filters and the one `recover`.
//! - `handlers`: latency, faults and auth before every route; `api`: the JSON routes;
//!   `download`: the content route.
//! - `control`: its side of the shared `/mock/...` control routes.
//! - [`cli`]: the `mock_video` command line.

mod api;
pub mod cli;
mod config;
mod content;
mod control;
mod download;
mod error;
mod form;
mod handlers;
mod job;
mod mock;
mod request;
mod routes;
mod state;
mod view;

pub use crate::fault::{DEFAULT_STALL_MS, Fault, HUGE_BODY_BYTES};
pub use config::{
    DEFAULT_VIDEO_BYTES, EXPIRY_SECS, VIDEO_FAIL_CODE, VIDEO_FAIL_MESSAGE,
    VIDEO_FORCED_FAIL_MESSAGE, VideoMockConfig,
};
pub use handlers::UPSTREAM_REQUEST_ID_HEADER;
pub use mock::VideoMock;
pub use request::{InputReference, Variant, VideoStatus};
pub use state::{CREATED_MEMORY, Created, VideoStats};
