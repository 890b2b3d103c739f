//! The upstream side shared by every platform: where a channel is, how a
//! call failed, and the HTTP agent the adaptors call it with.

use std::time::Duration;

/// Where and how to reach one channel.
#[derive(Clone)]
pub struct Target {
    /// Channel id (for logs).
    pub channel_id: i64,
    /// Base URL without trailing slash.
    pub base_url: String,
    /// Upstream secret.
    pub key: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches a log line.
        f.debug_struct("Target")
            .field("channel_id", &self.channel_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
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
    /// The platform has no such operation (e.g. content downloads).
    Unsupported(&'static str),
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
            UpstreamError::Protocol(_) | UpstreamError::Unsupported(_) => false,
        }
    }

    /// The HTTP status to answer the client with when this is the last error.
    pub fn client_status(&self) -> u16 {
        match self {
            UpstreamError::Transport(_)
            | UpstreamError::Protocol(_)
            | UpstreamError::Unsupported(_) => 502,
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
            UpstreamError::Unsupported(what) => format!("the upstream does not support {what}"),
        }
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
