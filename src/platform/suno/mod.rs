//! Suno music and lyrics (Suno-API upstreams, new-api's channel type 36).
//!
//! - [`client`]: calls to the upstream (submit, batch fetch).
//! - [`wire`]: reading the upstream's task objects and mapping statuses.
//! - [`prepare`]: validating a client's job.
//! - [`routes`]: the client-facing `/suno/...` routes.
//! - [`envelope`]: Suno's `{code, message, data}` envelope and error codes.
//! - [`view`]: what a relay client sees of a task.

pub mod client;
pub mod envelope;
pub mod prepare;
pub mod routes;
pub mod view;
pub mod wire;

use serde_json::Value;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::upstream::UpstreamSettings;
use super::{Platform, PreparedJob, Target, UpstreamError, UpstreamTask};
use crate::context::Context;
use crate::domain::Invalid;

/// The platform's name: channel type and the tasks' `platform`.
pub const NAME: &str = "suno";

/// The Suno platform.
pub struct Suno {
    client: client::Client,
}

impl Suno {
    /// Suno making its upstream calls with these settings.
    pub fn new(settings: &UpstreamSettings) -> Self {
        Suno {
            client: client::Client::new(settings),
        }
    }
}

impl Platform for Suno {
    fn name(&self) -> &'static str {
        NAME
    }

    fn type_aliases(&self) -> &'static [&'static str] {
        &["36"]
    }

    fn action_alias(&self, word: &str) -> Option<&'static str> {
        // The seed's example filters on `song`: new-api records MUSIC.
        (word == "SONG").then_some("MUSIC")
    }

    fn default_models(&self) -> &'static str {
        "suno_music,suno_lyrics"
    }

    fn default_prices(&self) -> &'static [(&'static str, f64)] {
        &[(prepare::MUSIC_MODEL, 0.1), (prepare::LYRICS_MODEL, 0.01)]
    }

    fn prepare(&self, action: &str, body: &Value) -> Result<PreparedJob, Invalid> {
        prepare::prepare(action, body)
    }

    fn callback_field(&self) -> Option<&'static str> {
        Some("callBackUrl")
    }

    fn link_parent(&self, job: &mut PreparedJob, parent_upstream_id: &str) {
        prepare::link_parent(job, parent_upstream_id)
    }

    fn submit(&self, target: &Target, job: &PreparedJob) -> Result<String, UpstreamError> {
        self.client.submit(target, job)
    }

    fn fetch(&self, target: &Target, ids: &[String]) -> Result<Vec<UpstreamTask>, UpstreamError> {
        self.client.fetch(target, ids)
    }

    fn routes(&self, ctx: Context) -> BoxedFilter<(Response,)> {
        routes::routes(ctx)
    }

    fn route_templates(&self) -> &'static [&'static str] {
        routes::TEMPLATES
    }
}
