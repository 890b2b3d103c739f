//! [`VideoMock`], the handle of a running video mock: the generic [`Running`] handle over the
//! video state, plus the video part of the Rust control API.

use std::convert::Infallible;
use std::sync::Arc;

use warp::Filter;
use warp::reply::Response;

use super::config::VideoMockConfig;
use super::content::Content;
use super::request::{Variant, VideoStatus};
use super::routes::routes;
use super::state::{Created, State, VideoStats};
use crate::clock::Clock;
use crate::running::{Base, Platform, Running};

/// A running OpenAI Videos API mock (its routes start with `/v1`); the server stops when
/// this is dropped.
pub type VideoMock = Running<State>;

impl Platform for State {
    type Config = VideoMockConfig;
    type Stats = VideoStats;
    const NAME: &'static str = "mock_video";

    fn new(cfg: VideoMockConfig) -> State {
        State::new(cfg)
    }

    fn routes(
        state: Arc<State>,
    ) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
    {
        routes(state)
    }

    fn base(&self) -> &Base<VideoStats> {
        &self.base
    }

    fn stats(&self) -> VideoStats {
        State::stats(self)
    }
}

impl Running<State> {
    /// Videos accepted (remixes included), oldest first (the most recent
    /// [`super::CREATED_MEMORY`]).
    pub fn created(&self) -> Vec<Created> {
        self.state().created()
    }

    /// Forces a video's status from now on (e.g. `Completed` to download at once, `Failed`);
    /// returns false if the video is unknown.
    pub fn set_status(&self, id: &str, status: VideoStatus) -> bool {
        self.state().set_status(id, status)
    }

    /// Forgets a video so that every route answers 404 for it; false if it was unknown.
    pub fn forget(&self, id: &str) -> bool {
        self.state().remove(id)
    }

    /// The status a retrieve would report now (without faults), if the video is known.
    pub fn status_of(&self, id: &str) -> Option<VideoStatus> {
        Some(self.state().get(id)?.at(&Clock::now()).status)
    }

    /// The exact bytes the content route serves for `variant` of a known video once it is
    /// completed (whole, so mind [`VideoMockConfig::video_bytes`]).
    pub fn content_bytes(&self, id: &str, variant: Variant) -> Option<Vec<u8>> {
        let state = self.state();
        let entry = state.get(id)?;
        let content = Content::of(&entry.video, variant, state.cfg.video_bytes);
        Some(content.read(0, content.len()).to_vec())
    }
}
