//! OpenAI-compatible video generation (`/v1/videos`: Sora and the
//! upstreams that copy its API; new-api's channel type 55).
//!
//! - [`client`]: calls to the upstream (create, remix, retrieve, content).
//! - [`wire`]: reading the upstream's video objects and mapping statuses.
//! - [`prepare`]: validating a client's job; per-second prices.
//! - [`form`]: create bodies, JSON or multipart with a reference image.
//! - [`routes`]: the client-facing `/v1/videos` routes; [`content`] the
//!   streamed download.
//! - [`manage`]: the caller's list, deletion and remix.
//! - [`envelope`]: OpenAI's error body.
//! - [`view`]: the video object a client sees.

pub mod client;
pub mod content;
pub mod envelope;
pub mod form;
pub mod manage;
pub mod prepare;
pub mod routes;
pub mod view;
pub mod wire;

use serde_json::Value;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::upstream::UpstreamSettings;
use super::{Content, FetchMode, Platform, PreparedJob, Target, UpstreamError, UpstreamTask};
use crate::context::Context;
use crate::domain::Invalid;

/// The channel type.
pub const NAME: &str = "sora";
/// The tasks' `platform`: new-api stores video tasks under the channel
/// type's number.
pub const TASK_PLATFORM: &str = "55";

/// The video platform.
pub struct Video {
    client: client::Client,
}

impl Video {
    /// Video making its upstream calls with these settings.
    pub fn new(settings: &UpstreamSettings) -> Self {
        Video {
            client: client::Client::new(settings),
        }
    }
}

impl Platform for Video {
    fn name(&self) -> &'static str {
        NAME
    }

    fn task_platform(&self) -> &'static str {
        TASK_PLATFORM
    }

    fn type_aliases(&self) -> &'static [&'static str] {
        &["55"]
    }

    fn platform_aliases(&self) -> &'static [&'static str] {
        &["sora", "video"]
    }

    fn default_models(&self) -> &'static str {
        "sora-2,sora-2-pro"
    }

    fn default_prices(&self) -> &'static [(&'static str, f64)] {
        prepare::DEFAULT_PRICES
    }

    fn prepare(&self, action: &str, body: &Value) -> Result<PreparedJob, Invalid> {
        prepare::prepare(action, body)
    }

    fn callback_field(&self) -> Option<&'static str> {
        Some("webhook_url")
    }

    fn link_parent(&self, job: &mut PreparedJob, parent_upstream_id: &str) {
        prepare::link_parent(job, parent_upstream_id)
    }

    fn submit(&self, target: &Target, job: &PreparedJob) -> Result<String, UpstreamError> {
        self.client.submit(target, job)
    }

    fn fetch_mode(&self) -> FetchMode {
        FetchMode::PerTask
    }

    fn fetch(&self, target: &Target, ids: &[String]) -> Result<Vec<UpstreamTask>, UpstreamError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.client.fetch(target, id)?);
        }
        Ok(out)
    }

    fn content(
        &self,
        target: &Target,
        upstream_id: &str,
        variant: &str,
        range: Option<&str>,
    ) -> Result<Content, UpstreamError> {
        self.client.content(target, upstream_id, variant, range)
    }

    fn delete(&self, target: &Target, upstream_id: &str) -> Result<(), UpstreamError> {
        self.client.delete(target, upstream_id)
    }

    fn routes(&self, ctx: Context) -> BoxedFilter<(Response,)> {
        routes::routes(ctx)
    }

    fn route_templates(&self) -> &'static [&'static str] {
        routes::TEMPLATES
    }
}
