//! [`Running`], the handle of any running platform mock: start, stop on drop, and the part
//! of the Rust control API every platform shares (faults, counts, address, secret).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use warp::Filter;
use warp::reply::Response;

use crate::counts::Counts;
use crate::fault::{Fault, FaultSwitch};
use crate::ids::IdSource;
use crate::server::Server;

/// What a platform mock's shared state gives the generic handle, routes and handlers.
///
/// Implemented by the Suno and the video state; a new platform is one more module with its
/// state implementing this (its [`Base`] is built inside this crate).
pub trait Platform: Send + Sync + Sized + 'static {
    /// How the mock behaves.
    type Config;
    /// The request counts, in the platform's own words.
    type Stats: Clone + Default + serde::Serialize;
    /// The mock's name in logs, messages and thread names (`mock_suno`).
    const NAME: &'static str;

    /// A mock with nothing stored, no fault and zero counts.
    fn new(cfg: Self::Config) -> Self;
    /// Every route of the mock, the platform's and the `/mock/...` control ones.
    fn routes(
        state: Arc<Self>,
    ) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static;
    /// The part every platform holds.
    fn base(&self) -> &Base<Self::Stats>;
    /// The counts now, with what the mock holds filled in.
    fn stats(&self) -> Self::Stats;
}

/// What every platform state holds for the generic parts: the secret, latency and threads
/// of its configuration, the fault switch of its routes, the request counts and ids.
pub struct Base<T> {
    pub(crate) secret: String,
    pub(crate) latency_ms: u64,
    worker_threads: usize,
    pub(crate) faults: FaultSwitch,
    pub(crate) counts: Counts<T>,
    /// Requests a fault other than `None` was applied to (every platform counts them).
    faulted: AtomicU64,
    pub(crate) ids: IdSource,
    /// Where the server listens, once it is bound (answers that link back to the mock).
    addr: OnceLock<SocketAddr>,
}

impl<T: Clone + Default> Base<T> {
    /// No fault and zero counts.
    pub(crate) fn new(secret: &str, latency_ms: u64, worker_threads: usize) -> Base<T> {
        Base {
            secret: secret.to_string(),
            latency_ms,
            worker_threads,
            faults: FaultSwitch::default(),
            counts: Counts::default(),
            faulted: AtomicU64::new(0),
            ids: IdSource::new(),
            addr: OnceLock::new(),
        }
    }

    /// Where the server listens (`None` before it is bound).
    pub(crate) fn addr(&self) -> Option<SocketAddr> {
        self.addr.get().copied()
    }

    /// Requests a fault other than `None` was applied to.
    pub(crate) fn faulted(&self) -> u64 {
        self.faulted.load(Ordering::Relaxed)
    }

    /// Sets every count back to zero.
    pub(crate) fn reset_counts(&self) {
        self.counts.reset();
        self.faulted.store(0, Ordering::Relaxed);
    }
}

/// A running platform mock; the server stops when this is dropped.
pub struct Running<S: Platform> {
    server: Server,
    state: Arc<S>,
}

impl<S: Platform> Running<S> {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves on its own thread; panics if it cannot
    /// bind.
    pub fn start(addr: &str, cfg: S::Config) -> Running<S> {
        match Running::try_start(addr, cfg) {
            Ok(mock) => mock,
            Err(err) => panic!("{} cannot start on {addr}: {err}", S::NAME),
        }
    }

    /// Binds `addr` and serves on its own thread; returns once the port is bound.
    pub fn try_start(addr: &str, cfg: S::Config) -> io::Result<Running<S>> {
        let state = Arc::new(S::new(cfg));
        let worker_threads = state.base().worker_threads;
        let server = Server::start(addr, worker_threads, S::NAME, S::routes(state.clone()))?;
        let _ = state.base().addr.set(server.addr());
        Ok(Running { server, state })
    }

    /// The platform state, for the platform's own part of the control API.
    pub(crate) fn state(&self) -> &S {
        &self.state
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
        &self.state.base().secret
    }

    /// Applies `fault` to every platform request from now on (and cancels a pending
    /// [`Running::fail_next`]).
    pub fn set_fault(&self, fault: Fault) {
        self.state.base().faults.set(fault);
    }

    /// Applies `fault` to the next `n` platform requests only, then the standing fault again.
    pub fn fail_next(&self, n: u64, fault: Fault) {
        self.state.base().faults.fail_next(n, fault);
    }

    /// The standing fault.
    pub fn fault(&self) -> Fault {
        self.state.base().faults.standing()
    }

    /// Counts of requests received so far.
    pub fn stats(&self) -> S::Stats {
        self.state.stats()
    }

    /// Sets every count back to zero (what the mock stores is kept).
    pub fn reset_stats(&self) {
        self.state.base().reset_counts();
    }
}

/// What every platform route does first: counts the request with `count`, waits the
/// latency, then draws the request's fault and counts it unless it is `None`.
pub(crate) async fn admit<S: Platform>(state: &S, count: impl FnOnce(&mut S::Stats)) -> Fault {
    let base = state.base();
    base.counts.bump(count);
    if base.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(base.latency_ms)).await;
    }
    let fault = base.faults.take();
    if fault != Fault::None {
        base.faulted.fetch_add(1, Ordering::Relaxed);
        log::debug!("{} applies fault {fault}", S::NAME);
    }
    fault
}
