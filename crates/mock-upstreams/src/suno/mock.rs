//! [`Mock`], the handle of a running Suno mock: start, stop on drop, and the Rust control API.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use super::config::MockConfig;
use super::routes::routes;
use super::state::{State, Stats, Submission};
use super::view::Shape;
use crate::clock::Clock;
use crate::fault::Fault;
use crate::server::Server;

/// A running simulator; the server stops when this is dropped.
pub struct Mock {
    server: Server,
    state: Arc<State>,
}

impl Mock {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves on its own thread; panics if it cannot bind.
    pub fn start(addr: &str, cfg: MockConfig) -> Mock {
        match Mock::try_start(addr, cfg) {
            Ok(mock) => mock,
            Err(err) => panic!("mock_suno cannot start on {addr}: {err}"),
        }
    }

    /// Binds `addr` and serves on its own thread; returns once the port is bound.
    pub fn try_start(addr: &str, cfg: MockConfig) -> io::Result<Mock> {
        let worker_threads = cfg.worker_threads;
        let state = Arc::new(State::new(cfg));
        let server = Server::start(addr, worker_threads, "mock-suno", routes(state.clone()))?;
        Ok(Mock { server, state })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://ADDR`, the base URL to give a channel.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// The secret the mock expects.
    pub fn secret(&self) -> &str {
        &self.state.cfg.secret
    }

    /// Applies `fault` to every request from now on (and cancels a pending [`Mock::fail_next`]).
    pub fn set_fault(&self, fault: Fault) {
        self.state.faults.set(fault);
    }

    /// Applies `fault` to the next `n` Suno requests only, then the standing fault again.
    pub fn fail_next(&self, n: u64, fault: Fault) {
        self.state.faults.fail_next(n, fault);
    }

    /// The standing fault.
    pub fn fault(&self) -> Fault {
        self.state.faults.standing()
    }

    /// Counts of requests received so far.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Sets every count back to zero (tasks and submissions are kept).
    pub fn reset_stats(&self) {
        self.state.counters.reset();
    }

    /// Submissions received, oldest first (the most recent [`super::SUBMISSION_MEMORY`]).
    pub fn submitted(&self) -> Vec<Submission> {
        self.state.submitted()
    }

    /// Forces the status word fetches report for a task (any string, e.g. `FAILURE`, `WEIRD`);
    /// returns false if the task is unknown.
    pub fn set_status(&self, upstream_id: &str, status: &str) -> bool {
        self.state.set_status(upstream_id, status)
    }

    /// Forgets a task so that fetches leave it out; returns false if it was unknown.
    pub fn forget(&self, upstream_id: &str) -> bool {
        self.state.forget(upstream_id)
    }

    /// The status word a fetch would report now (without faults), if the task is known.
    pub fn status_of(&self, upstream_id: &str) -> Option<String> {
        let entry = self.state.tasks().get(upstream_id).cloned()?;
        let clock = Clock::now();
        Some(entry.view(&clock, Shape::default()).status.to_string())
    }
}
