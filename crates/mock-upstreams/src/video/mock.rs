//! [`VideoMock`], the handle of a running video mock: start, stop on drop, and the Rust
//! control API.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use super::config::VideoMockConfig;
use super::content::Content;
use super::request::{Variant, VideoStatus};
use super::routes::routes;
use super::state::{Created, State, VideoStats};
use crate::clock::Clock;
use crate::fault::Fault;
use crate::server::Server;

/// A running OpenAI Videos API mock; the server stops when this is dropped.
pub struct VideoMock {
    server: Server,
    state: Arc<State>,
}

impl VideoMock {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves on its own thread; panics if it cannot
    /// bind.
    pub fn start(addr: &str, cfg: VideoMockConfig) -> VideoMock {
        match VideoMock::try_start(addr, cfg) {
            Ok(mock) => mock,
            Err(err) => panic!("mock_video cannot start on {addr}: {err}"),
        }
    }

    /// Binds `addr` and serves on its own thread; returns once the port is bound.
    pub fn try_start(addr: &str, cfg: VideoMockConfig) -> io::Result<VideoMock> {
        let worker_threads = cfg.worker_threads;
        let state = Arc::new(State::new(cfg));
        let server = Server::start(addr, worker_threads, "mock-video", routes(state.clone()))?;
        Ok(VideoMock { server, state })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://ADDR`, the base URL to give a channel (the routes start with `/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// The secret the mock expects.
    pub fn secret(&self) -> &str {
        &self.state.cfg.secret
    }

    /// Applies `fault` to every video request from now on (and cancels a pending
    /// [`VideoMock::fail_next`]).
    pub fn set_fault(&self, fault: Fault) {
        self.state.faults.set(fault);
    }

    /// Applies `fault` to the next `n` video requests only, then the standing fault again.
    pub fn fail_next(&self, n: u64, fault: Fault) {
        self.state.faults.fail_next(n, fault);
    }

    /// The standing fault.
    pub fn fault(&self) -> Fault {
        self.state.faults.standing()
    }

    /// Counts of requests received and bytes served so far.
    pub fn stats(&self) -> VideoStats {
        self.state.stats()
    }

    /// Sets every count back to zero (videos and creations are kept).
    pub fn reset_stats(&self) {
        self.state.counters.reset();
    }

    /// Videos accepted (remixes included), oldest first (the most recent
    /// [`super::CREATED_MEMORY`]).
    pub fn created(&self) -> Vec<Created> {
        self.state.created()
    }

    /// Forces a video's status from now on (e.g. `Completed` to download at once, `Failed`);
    /// returns false if the video is unknown.
    pub fn set_status(&self, id: &str, status: VideoStatus) -> bool {
        self.state.set_status(id, status)
    }

    /// Forgets a video so that every route answers 404 for it; false if it was unknown.
    pub fn forget(&self, id: &str) -> bool {
        self.state.remove(id)
    }

    /// The status a retrieve would report now (without faults), if the video is known.
    pub fn status_of(&self, id: &str) -> Option<VideoStatus> {
        Some(self.state.get(id)?.at(&Clock::now()).status)
    }

    /// The exact bytes the content route serves for `variant` of a known video once it is
    /// completed (whole, so mind [`VideoMockConfig::video_bytes`]).
    pub fn content_bytes(&self, id: &str, variant: Variant) -> Option<Vec<u8>> {
        let entry = self.state.get(id)?;
        let content = Content::of(&entry.video, variant, self.state.cfg.video_bytes);
        Some(content.read(0, content.len()).to_vec())
    }
}
