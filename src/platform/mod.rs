//! Upstream platforms. A platform is one folder (`suno/`) that holds
//! everything it needs: its adaptor (validating a client's job, submitting,
//! fetching, mapping statuses, pricing input), its client-facing routes and
//! their envelope and error codes, its wire views and its aliases. Nothing
//! outside this folder names a platform; adding one is a new folder and one
//! line in [`Platforms::builtin`].

pub mod download;
pub mod job;
pub mod probe;
pub mod registry;
pub mod suno;
pub mod upstream;
pub mod video;

use serde_json::Value;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::context::Context;
use crate::domain::Invalid;

pub use job::{Content, FetchMode, PreparedJob, Upload, UpstreamTask};
pub use registry::Platforms;
pub use upstream::{Target, UpstreamError, UpstreamSettings, agent};

/// One upstream platform: its adaptor and its client-facing surface.
pub trait Platform: Send + Sync {
    /// The channel type, e.g. `suno`; also the tasks' `platform` column
    /// unless [`Platform::task_platform`] says otherwise.
    fn name(&self) -> &'static str;

    /// The tasks' `platform` column. new-api stores some platforms under
    /// their channel type number (video: `"55"`), not their name.
    fn task_platform(&self) -> &'static str {
        self.name()
    }

    /// Other spellings of the channel type accepted on input (new-api's
    /// channel type numbers, as text: `"36"`).
    fn type_aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// Other values of the task lists' `platform` filter meaning this one.
    fn platform_aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// The stored action a filter word stands for (`SONG` → `MUSIC`);
    /// `word` is upper-case already.
    fn action_alias(&self, _word: &str) -> Option<&'static str> {
        None
    }

    /// Models a new channel of this type serves unless told otherwise.
    fn default_models(&self) -> &'static str;

    /// List prices in USD per unit of each model (the default of the
    /// `ModelPrice` option).
    fn default_prices(&self) -> &'static [(&'static str, f64)];

    /// Validates a client's request for `action` and translates it for the
    /// upstream.
    fn prepare(&self, action: &str, body: &Value) -> Result<PreparedJob, Invalid>;

    /// The body field where a client names the task's own webhook URL
    /// (Suno's `callBackUrl`, OpenAI's `webhook_url`); never sent upstream.
    fn callback_field(&self) -> Option<&'static str> {
        None
    }

    /// Points a continuation at the original job's upstream id.
    fn link_parent(&self, _job: &mut PreparedJob, _parent_upstream_id: &str) {}

    /// Names `upstream_model` instead of the client's model in what goes
    /// upstream (a channel's model mapping, applied by the relay per
    /// channel); the task, its price and what the client sees keep the
    /// client's model. By default the body's `model` field, where the
    /// platform sends one (Suno's bodies name no model: nothing changes).
    fn use_upstream_model(&self, job: &mut PreparedJob, upstream_model: &str) {
        if let Some(body) = job.body.as_object_mut()
            && body.contains_key("model")
        {
            body.insert("model".into(), Value::String(upstream_model.into()));
        }
    }

    /// Submits a job; returns the upstream's id.
    fn submit(&self, target: &Target, job: &PreparedJob) -> Result<String, UpstreamError>;

    /// Whether [`Platform::fetch`] takes many ids or one.
    fn fetch_mode(&self) -> FetchMode {
        FetchMode::Batch
    }

    /// Status of jobs (one id in [`FetchMode::PerTask`]); ids the upstream
    /// does not know are left out.
    fn fetch(&self, target: &Target, ids: &[String]) -> Result<Vec<UpstreamTask>, UpstreamError>;

    /// A result file of a finished job, streamed (`variant` as the client
    /// named it; `range` the client's `Range` header).
    fn content(
        &self,
        _target: &Target,
        _upstream_id: &str,
        _variant: &str,
        _range: Option<&str>,
    ) -> Result<Content, UpstreamError> {
        Err(UpstreamError::Unsupported("content downloads"))
    }

    /// Deletes a job's result upstream (a video), where the platform can.
    fn delete(&self, _target: &Target, _upstream_id: &str) -> Result<(), UpstreamError> {
        Err(UpstreamError::Unsupported("deletion"))
    }

    /// The client-facing routes, mounted by the HTTP layer. They answer
    /// their own errors, in the platform's envelope.
    fn routes(&self, ctx: Context) -> BoxedFilter<(Response,)>;

    /// The paths of [`Platform::routes`] as templates (`/suno/fetch/{id}`,
    /// a `{...}` segment matching any one segment), literal ones first:
    /// the metrics label requests by them, never by their raw path.
    fn route_templates(&self) -> &'static [&'static str] {
        &[]
    }
}
