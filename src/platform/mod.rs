//! Upstream platforms behind one trait. Everything platform-specific (URLs,
//! bodies, response parsing, status mapping) lives in one module per
//! platform; adding a platform is a new module plus its registration here.

pub mod suno;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::TaskStatus;

/// Where and how to reach one channel.
#[derive(Debug, Clone)]
pub struct Target {
    /// Channel id (for logs).
    pub channel_id: i64,
    /// Base URL without trailing slash.
    pub base_url: String,
    /// Upstream secret.
    pub key: String,
}

/// Why an upstream call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamError {
    /// Connect error or timeout: nothing usable came back.
    Transport(String),
    /// The upstream answered with an error status.
    Status {
        /// HTTP status.
        status: u16,
        /// The upstream's message.
        message: String,
    },
    /// HTTP 200 but unusable (malformed JSON, `code` not success, no id).
    Protocol(String),
}

impl UpstreamError {
    /// Whether another channel may be tried: connect errors, timeouts, 429 and
    /// 5xx except 504/524 (a gateway timeout may mean the job was taken).
    pub fn retryable(&self) -> bool {
        match self {
            UpstreamError::Transport(_) => true,
            UpstreamError::Status { status, .. } => {
                *status == 429 || (*status >= 500 && *status != 504 && *status != 524)
            }
            UpstreamError::Protocol(_) => false,
        }
    }

    /// The HTTP status to answer the client with when this is the last error.
    pub fn client_status(&self) -> u16 {
        match self {
            UpstreamError::Transport(_) | UpstreamError::Protocol(_) => 502,
            // The channel's own credentials were refused: that is a gateway
            // fault, not the client's bad key.
            UpstreamError::Status {
                status: 401 | 403, ..
            } => 502,
            UpstreamError::Status { status, .. } if (400..=599).contains(status) => *status,
            UpstreamError::Status { .. } => 502,
        }
    }

    /// A message for the client and the task's fail_reason.
    pub fn message(&self) -> String {
        match self {
            UpstreamError::Transport(m) => format!("upstream unreachable: {m}"),
            UpstreamError::Status { status, message } => {
                format!("upstream returned HTTP {status}: {message}")
            }
            UpstreamError::Protocol(m) => format!("invalid upstream response: {m}"),
        }
    }
}

/// One job's state as the upstream reports it, already mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamTask {
    /// The upstream's id.
    pub upstream_id: String,
    /// Mapped status (unknown words → UNKNOWN).
    pub status: TaskStatus,
    /// Progress given by the upstream, if any.
    pub progress: Option<String>,
    /// Failure reason, if any.
    pub fail_reason: String,
    /// Unix s, 0 = not given.
    pub submit_time: i64,
    /// Unix s, 0 = not given.
    pub start_time: i64,
    /// Unix s, 0 = not given.
    pub finish_time: i64,
    /// The upstream's result data as raw JSON text (`None` when absent or
    /// null); kept as text so large clip lists are never rebuilt as trees.
    pub data: Option<String>,
}

/// A client's job, validated and translated for the upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedJob {
    /// Stored action, e.g. `MUSIC`.
    pub action: String,
    /// Priced model, e.g. `suno_music`.
    pub model: String,
    /// Body to send upstream.
    pub body: serde_json::Value,
    /// What the user asked for, kept on the task.
    pub properties: serde_json::Value,
    /// Public id of the task this job continues, if any.
    pub continues: Option<String>,
}

/// An upstream platform.
pub trait Platform: Send + Sync {
    /// The channel type and task platform name, e.g. `suno`.
    fn name(&self) -> &'static str;
    /// Validates a client's request for `action` (400 on bad input).
    fn prepare(
        &self,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<PreparedJob, crate::error::AppError>;
    /// Points a continuation at the original job's upstream id.
    fn link_parent(&self, job: &mut PreparedJob, parent_upstream_id: &str);
    /// Submits a job; returns the upstream's id.
    fn submit(
        &self,
        target: &Target,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<String, UpstreamError>;
    /// Status of many jobs; ids the upstream does not know are left out.
    fn fetch(&self, target: &Target, ids: &[String]) -> Result<Vec<UpstreamTask>, UpstreamError>;
}

/// The platforms this build knows, by channel type.
#[derive(Clone)]
pub struct Platforms(HashMap<&'static str, Arc<dyn Platform>>);

impl Platforms {
    /// Every built-in platform with the given upstream timeout.
    pub fn builtin(timeout: Duration) -> Self {
        let mut map: HashMap<&'static str, Arc<dyn Platform>> = HashMap::new();
        let suno = suno::Suno::new(timeout);
        map.insert(suno.name(), Arc::new(suno));
        Platforms(map)
    }

    /// The platform for a channel type.
    pub fn get(&self, channel_type: &str) -> Option<Arc<dyn Platform>> {
        self.0.get(channel_type).cloned()
    }

    /// Whether a channel type is known.
    pub fn knows(&self, channel_type: &str) -> bool {
        self.0.contains_key(channel_type)
    }
}

/// A ureq agent that reports HTTP errors as responses (so their bodies can
/// be read). `timeout` bounds the connect, the wait for the answer and the
/// body each: a per-stage limit, because a global one makes ureq resolve
/// every host on a thread of its own.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
        .timeout_send_request(Some(timeout))
        .timeout_send_body(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_recv_body(Some(timeout))
        .http_status_as_error(false)
        .max_idle_connections_per_host(64)
        .build()
        .into()
}
