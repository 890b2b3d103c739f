//! The upstream side shared by every platform: where a channel is, how a
//! call failed, and the HTTP agent the adaptors call it with.

use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::domain::address::{check_public_base_url, is_private};

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

impl Target {
    /// Where `channel` sends its jobs, with its secret.
    pub fn of(channel: &crate::store::channels::Channel) -> Target {
        Target {
            channel_id: channel.id,
            base_url: channel.base_url.clone(),
            key: channel.key.clone(),
        }
    }
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
        /// The upstream's error code, where its protocol has one (OpenAI's
        /// `error.code`, e.g. `insufficient_quota`).
        code: Option<String>,
    },
    /// HTTP 200 but unusable (malformed JSON, `code` not success, no id).
    Protocol(String),
    /// The platform has no such operation (e.g. content downloads).
    Unsupported(&'static str),
}

/// Error codes (OpenAI's `error.code` or `type`) that mean the channel's own
/// key or account is bad, whatever the HTTP status (OpenAI sends
/// `insufficient_quota` with a 429).
const CHANNEL_REFUSED_CODES: [&str; 6] = [
    "invalid_api_key",
    "insufficient_quota",
    "billing_hard_limit_reached",
    "billing_not_active",
    "account_deactivated",
    "access_terminated",
];

impl UpstreamError {
    /// Whether the upstream refused the channel's own credentials or
    /// balance: HTTP 401, 402 or 403, or an error code saying so. The
    /// channel is at fault, not the job.
    pub fn refuses_channel(&self) -> bool {
        match self {
            UpstreamError::Status { status, code, .. } => {
                matches!(status, 401..=403)
                    || code
                        .as_deref()
                        .is_some_and(|c| CHANNEL_REFUSED_CODES.contains(&c))
            }
            _ => false,
        }
    }

    /// Whether the channel gave no usable answer: a transport error or
    /// timeout, a 5xx (or another non-4xx error status), an unreadable
    /// answer.
    pub fn channel_down(&self) -> bool {
        match self {
            UpstreamError::Transport(_) | UpstreamError::Protocol(_) => true,
            UpstreamError::Status { status, .. } => !(400..500).contains(status),
            UpstreamError::Unsupported(_) => false,
        }
    }

    /// Whether another channel may be tried: connect errors, timeouts, 429,
    /// 5xx except 504/524 (a gateway timeout may mean the job was taken), and
    /// a refusal of the channel's credentials (nothing was taken).
    pub fn retryable(&self) -> bool {
        if self.refuses_channel() {
            return true;
        }
        match self {
            UpstreamError::Transport(_) => true,
            UpstreamError::Status { status, .. } => {
                *status == 429 || (*status >= 500 && *status != 504 && *status != 524)
            }
            UpstreamError::Protocol(_) | UpstreamError::Unsupported(_) => false,
        }
    }

    /// The failure's class, a bounded metrics label: `transport`,
    /// `http_4xx`, `http_5xx`, `protocol` or `unsupported`.
    pub fn class(&self) -> &'static str {
        match self {
            UpstreamError::Transport(_) => "transport",
            UpstreamError::Status { status, .. } if *status >= 500 => "http_5xx",
            UpstreamError::Status { .. } => "http_4xx",
            UpstreamError::Protocol(_) => "protocol",
            UpstreamError::Unsupported(_) => "unsupported",
        }
    }

    /// The HTTP status to answer the client with when this is the last error.
    pub fn client_status(&self) -> u16 {
        if self.refuses_channel() {
            // The channel's own credentials or balance were refused: that is
            // a gateway fault, not the client's bad key or empty purse.
            return 502;
        }
        match self {
            UpstreamError::Transport(_)
            | UpstreamError::Protocol(_)
            | UpstreamError::Unsupported(_) => 502,
            UpstreamError::Status { status, .. } if (400..=599).contains(status) => *status,
            UpstreamError::Status { .. } => 502,
        }
    }

    /// The message for the client and the task's fail_reason: short and
    /// fixed, never the upstream's own words (they could carry anything).
    pub fn message(&self) -> String {
        match self {
            UpstreamError::Transport(_) => "upstream unreachable".to_string(),
            UpstreamError::Status { status, .. } => format!("upstream returned HTTP {status}"),
            UpstreamError::Protocol(_) => "invalid upstream response".to_string(),
            UpstreamError::Unsupported(what) => format!("the upstream does not support {what}"),
        }
    }

    /// The whole story, for the server log and administrators only.
    pub fn detail(&self) -> String {
        match self {
            UpstreamError::Transport(m) => format!("upstream unreachable: {m}"),
            UpstreamError::Status {
                status,
                message,
                code: Some(code),
            } => format!("upstream returned HTTP {status} ({code}): {message}"),
            UpstreamError::Status {
                status, message, ..
            } => format!("upstream returned HTTP {status}: {message}"),
            UpstreamError::Protocol(m) => format!("invalid upstream response: {m}"),
            UpstreamError::Unsupported(_) => self.message(),
        }
    }
}

/// How every upstream call is made: settings of `taskcenter serve`.
#[derive(Debug, Clone)]
pub struct UpstreamSettings {
    /// Per-stage timeout of one call.
    pub timeout: Duration,
    /// The proxy to use (`--upstream-proxy`); the environment's `HTTP_PROXY`
    /// and the like are never read.
    pub proxy: Option<String>,
    /// Whether upstreams may have loopback, private or link-local addresses.
    pub allow_private: bool,
}

impl UpstreamSettings {
    /// Settings with this timeout, no proxy, public addresses only.
    pub fn with_timeout(timeout: Duration) -> Self {
        UpstreamSettings {
            timeout,
            proxy: None,
            allow_private: false,
        }
    }
}

/// The HTTP side of a platform's upstream calls: the agent, and the
/// address check that the resolver cannot make when a proxy resolves the
/// upstream's name instead of us.
pub struct Http {
    agent: ureq::Agent,
    check_via_proxy: bool,
}

impl Http {
    /// Calls made with these settings.
    pub fn new(settings: &UpstreamSettings) -> Self {
        Http {
            agent: agent(settings),
            check_via_proxy: settings.proxy.is_some() && !settings.allow_private,
        }
    }

    /// The agent, for a call to `target` that may be made: through a proxy,
    /// the channel's host is checked here against what it resolves to now
    /// (without one, [`GuardedResolver`] checks every connection).
    pub fn to(&self, target: &Target) -> Result<&ureq::Agent, UpstreamError> {
        if self.check_via_proxy {
            check_public_base_url(&target.base_url)
                .map_err(|e| UpstreamError::Transport(e.to_string()))?;
        }
        Ok(&self.agent)
    }
}

/// What an upstream answered: its status and body text.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body, up to the caller's limit (empty for an unreadable error
    /// body; an unreadable 200 body is a protocol error).
    pub text: String,
}

/// Reads an upstream's answer to a call, its body up to `limit` bytes.
pub fn read_answer(
    resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    limit: u64,
) -> Result<Answer, UpstreamError> {
    let mut resp = resp.map_err(|e| UpstreamError::Transport(e.to_string()))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(limit)
        .lossy_utf8(true)
        .read_to_string();
    match text {
        Ok(text) => Ok(Answer { status, text }),
        Err(e) if status == 200 => Err(UpstreamError::Protocol(format!("cannot read body: {e}"))),
        Err(_) => Ok(Answer {
            status,
            text: String::new(),
        }),
    }
}

/// A ureq agent for upstream calls. It reports HTTP errors as responses
/// (so their bodies can be read) and follows no redirect (a 3xx is an
/// upstream error: a redirect could send a call anywhere). `timeout`
/// bounds the connect, the wait for the answer and the body each: a
/// per-stage limit, because a global one makes ureq resolve every host on
/// a thread of its own.
pub fn agent(settings: &UpstreamSettings) -> ureq::Agent {
    let timeout = settings.timeout;
    // A proxy named here was checked when the flag was parsed.
    let proxy = settings
        .proxy
        .as_deref()
        .and_then(|p| ureq::Proxy::new(p).ok());
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
        .timeout_send_request(Some(timeout))
        .timeout_send_body(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_recv_body(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(proxy)
        .max_idle_connections_per_host(64)
        .build();
    let resolver = GuardedResolver::new(settings.allow_private, "--allow-private-upstreams");
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::default(),
        resolver,
    )
}

/// Resolves like ureq does, then drops private addresses unless allowed:
/// the check of a channel's base URL (or a webhook endpoint's URL) made
/// when it was saved, made again against what the name resolves to now.
#[derive(Debug)]
pub struct GuardedResolver {
    allow_private: bool,
    /// The server flag that allows them, named in the refusal.
    flag: &'static str,
}

impl GuardedResolver {
    /// A resolver that keeps private addresses only when `allow_private`;
    /// its refusal names `flag`.
    pub fn new(allow_private: bool, flag: &'static str) -> Self {
        GuardedResolver {
            allow_private,
            flag,
        }
    }
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = DefaultResolver::default().resolve(uri, config, timeout)?;
        if self.allow_private || config.proxy().is_some() {
            return Ok(all);
        }
        let mut public = self.empty();
        for addr in all.iter().filter(|a| !is_private(a.ip())) {
            public.push(*addr);
        }
        if public.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} resolves only to private addresses (start the server with \
                     {} to allow them)",
                    uri.host().unwrap_or("the host"),
                    self.flag
                ),
            )));
        }
        Ok(public)
    }
}

#[cfg(test)]
mod tests {
    use super::UpstreamError;

    fn status(status: u16, code: Option<&str>) -> UpstreamError {
        UpstreamError::Status {
            status,
            message: "m".into(),
            code: code.map(str::to_string),
        }
    }

    #[test]
    fn refused_credentials_or_balance_blame_the_channel_and_move_the_job_on() {
        for e in [
            status(401, None),
            status(402, None),
            status(403, None),
            status(429, Some("insufficient_quota")),
            status(400, Some("invalid_api_key")),
            status(429, Some("billing_hard_limit_reached")),
        ] {
            assert!(e.refuses_channel(), "{e:?}");
            assert!(e.retryable(), "{e:?}");
            assert_eq!(e.client_status(), 502, "{e:?}");
            assert!(!e.channel_down(), "{e:?}");
        }
        for e in [
            status(429, Some("rate_limit_exceeded")),
            status(400, Some("invalid_request_error")),
            status(404, None),
            status(500, None),
            UpstreamError::Transport("refused".into()),
            UpstreamError::Protocol("garbage".into()),
        ] {
            assert!(!e.refuses_channel(), "{e:?}");
        }
    }

    #[test]
    fn no_answer_a_5xx_or_garbage_is_a_channel_down_and_a_4xx_is_not() {
        for e in [
            status(500, None),
            status(503, None),
            status(302, None),
            UpstreamError::Transport("timeout".into()),
            UpstreamError::Protocol("garbage".into()),
        ] {
            assert!(e.channel_down(), "{e:?}");
        }
        for e in [
            status(400, None),
            status(404, None),
            status(429, None),
            UpstreamError::Unsupported("deletion"),
        ] {
            assert!(!e.channel_down(), "{e:?}");
        }
    }
}
