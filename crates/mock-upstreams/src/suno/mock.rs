//! [`Mock`], the handle of a running Suno mock: the generic [`Running`] handle over the Suno
//! state, plus the Suno part of the Rust control API.

use std::convert::Infallible;
use std::sync::Arc;

use warp::Filter;
use warp::reply::Response;

use super::config::MockConfig;
use super::routes::routes;
use super::state::{State, Stats, Submission};
use super::view::Shape;
use crate::clock::Clock;
use crate::running::{Base, Platform, Running};

/// A running Suno simulator; the server stops when this is dropped.
pub type Mock = Running<State>;

impl Platform for State {
    type Config = MockConfig;
    type Stats = Stats;
    const NAME: &'static str = "mock_suno";

    fn new(cfg: MockConfig) -> State {
        State::new(cfg)
    }

    fn routes(
        state: Arc<State>,
    ) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
    {
        routes(state)
    }

    fn base(&self) -> &Base<Stats> {
        &self.base
    }

    fn stats(&self) -> Stats {
        State::stats(self)
    }
}

impl Running<State> {
    /// Submissions received, oldest first (the most recent [`super::SUBMISSION_MEMORY`]).
    pub fn submitted(&self) -> Vec<Submission> {
        self.state().submitted()
    }

    /// Forces the status word fetches report for a task (any string, e.g. `FAILURE`, `WEIRD`);
    /// returns false if the task is unknown.
    pub fn set_status(&self, upstream_id: &str, status: &str) -> bool {
        self.state().set_status(upstream_id, status)
    }

    /// Forgets a task so that fetches leave it out; returns false if it was unknown.
    pub fn forget(&self, upstream_id: &str) -> bool {
        self.state().forget(upstream_id)
    }

    /// The status word a fetch would report now (without faults), if the task is known.
    pub fn status_of(&self, upstream_id: &str) -> Option<String> {
        let entry = self.state().tasks().get(upstream_id).cloned()?;
        let clock = Clock::now();
        Some(entry.view(&clock, Shape::default()).status.to_string())
    }
}
