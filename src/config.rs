//! Settings of `taskcenter serve`: one struct that is also its clap
//! arguments, so every flag, env var and default is written once.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::RangedU64ValueParser;
use clap::{Args, FromArgMatches};

use crate::platform::UpstreamSettings;

/// Where the database lives unless told otherwise.
pub const DEFAULT_DB: &str = "./data/taskcenter.db";
/// Default `--task-timeout-secs` (shared with `taskcenter audit`).
pub const DEFAULT_TASK_TIMEOUT_SECS: u64 = 3600;
/// Blocking threads beyond the submissions' own: tokio's default pool.
pub const BLOCKING_MARGIN: usize = 512;
/// Default `--poll-interval-ms` (shared with `taskcenter audit`).
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 15_000;

/// Run-time configuration of `taskcenter serve`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on, `host:port`: an IP (`0.0.0.0:3000`) or a host
    /// name (`localhost:3000`); port 0 picks a free port.
    #[arg(long, env = "TASKCENTER_LISTEN", default_value = "127.0.0.1:3000", value_parser = parse_listen)]
    pub listen: String,

    /// SQLite database file (parent folders are created).
    #[arg(long, env = "TASKCENTER_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,

    /// Access token of the root user (id 1), at least 24 characters; prefer
    /// the env var, which `ps` does not show. On a new database, one is
    /// generated and printed once when this is absent. On an existing
    /// database, a given token replaces root's token at every start (the
    /// old one stops working); without it, root keeps its token.
    #[arg(long, env = "TASKCENTER_ROOT_TOKEN", hide_env_values = true, value_parser = parse_root_token)]
    pub root_token: Option<String>,

    /// Timeout of one upstream call (submit or fetch), in seconds, per
    /// stage: it bounds the wait for the answer and the read of its body
    /// each (connect: at most 10 s).
    #[arg(long, env = "TASKCENTER_UPSTREAM_TIMEOUT_SECS", default_value_t = 60)]
    pub upstream_timeout_secs: u64,

    /// Extra submit attempts, each on another channel, after a retryable
    /// upstream failure.
    #[arg(long, env = "TASKCENTER_RETRY_TIMES", default_value_t = 2)]
    pub retry_times: u32,

    /// How often the worker polls upstreams, in milliseconds (at least 10).
    #[arg(long, env = "TASKCENTER_POLL_INTERVAL_MS", default_value_t = DEFAULT_POLL_INTERVAL_MS,
          value_parser = RangedU64ValueParser::<u64>::new().range(10..))]
    pub poll_interval_ms: u64,

    /// Upstream task ids per fetch request, 1 to 1000 (platforms that fetch
    /// one task per request ignore it).
    #[arg(long, env = "TASKCENTER_FETCH_BATCH", default_value_t = 100,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub fetch_batch: usize,

    /// Requests at once per channel, 1 to 256, for platforms that fetch one
    /// task per request (video); channels are polled side by side too.
    #[arg(long, env = "TASKCENTER_FETCH_CONCURRENCY", default_value_t = 8,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub fetch_concurrency: usize,

    /// A task not final this many seconds after submission fails and is
    /// refunded (at least 1).
    #[arg(long, env = "TASKCENTER_TASK_TIMEOUT_SECS", default_value_t = DEFAULT_TASK_TIMEOUT_SECS,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..))]
    pub task_timeout_secs: u64,

    /// Proxy for every upstream call (`http://host:port`, `socks5://...`).
    /// HTTP_PROXY, HTTPS_PROXY and ALL_PROXY are never read: a proxy is
    /// used only when named here.
    #[arg(long, env = "TASKCENTER_UPSTREAM_PROXY", value_parser = parse_proxy)]
    pub upstream_proxy: Option<String>,

    /// Allow channels on loopback, private and link-local addresses (a
    /// local mock, an upstream on the same network). Without it such a
    /// base_url is refused, and connections to such addresses fail.
    #[arg(long, env = "TASKCENTER_ALLOW_PRIVATE_UPSTREAMS")]
    pub allow_private_upstreams: bool,

    /// How long `GET /api/audit` may read, in milliseconds: past it the
    /// audit is aborted (its snapshot released) and answered 503;
    /// `taskcenter audit` has no limit.
    #[arg(long, env = "TASKCENTER_AUDIT_TIME_LIMIT_MS", default_value_t = 30_000,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..))]
    pub audit_time_limit_ms: u64,

    /// How long an `Idempotency-Key` and its stored answer are kept, in
    /// seconds (at least 1); the worker purges older keys.
    #[arg(long, env = "TASKCENTER_IDEMPOTENCY_TTL_SECS", default_value_t = 86_400,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..))]
    pub idempotency_ttl_secs: u64,

    /// Allow webhook endpoints on loopback, private, link-local and metadata
    /// addresses. Without it such a URL is refused when registered, and a
    /// delivery whose host resolves only to such addresses fails.
    #[arg(long, env = "TASKCENTER_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,

    /// The unit of the webhook retry schedule, in milliseconds: a failed
    /// delivery is tried again after base × 1, 60, 360, 1440, 3600, 7200,
    /// 10080, 14400 and 17280 (5 s … 24 h at the default), with jitter;
    /// after the last, the endpoint is disabled.
    #[arg(long, env = "TASKCENTER_WEBHOOK_RETRY_BASE_MS", default_value_t = 5000,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..=3_600_000))]
    pub webhook_retry_base_ms: u64,

    /// Timeout of one webhook delivery, in seconds, per stage (connect,
    /// send, answer).
    #[arg(long, env = "TASKCENTER_WEBHOOK_TIMEOUT_SECS", default_value_t = 10,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..=300))]
    pub webhook_timeout_secs: u64,

    /// Consecutive failed calls (no answer, a timeout, a 5xx, an unreadable
    /// answer) that mark a channel unhealthy: submissions try it only after
    /// the healthy ones. One working call makes it healthy again.
    #[arg(long, env = "TASKCENTER_CHANNEL_UNHEALTHY_AFTER", default_value_t = 3,
          value_parser = RangedU64ValueParser::<u32>::new().range(1..=1_000_000))]
    pub channel_unhealthy_after: u32,

    /// Seconds after a channel was disabled automatically (its credentials
    /// or balance refused) until the worker first probes it; each failed
    /// probe doubles the wait, up to 1 h. A probe that works enables it.
    #[arg(long, env = "TASKCENTER_CHANNEL_PROBE_MIN_SECS", default_value_t = 60,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..=3600))]
    pub channel_probe_min_secs: u64,

    /// Mark the session cookie `Secure` (browsers then send it over HTTPS
    /// only): set it when the server is reached through TLS.
    #[arg(long, env = "TASKCENTER_COOKIE_SECURE")]
    pub cookie_secure: bool,

    /// Serve Prometheus metrics at `GET /metrics` (on the main listener
    /// unless `--metrics-listen` names another). Off: `/metrics` is a 404
    /// and nothing is recorded.
    #[arg(long, env = "TASKCENTER_METRICS")]
    pub metrics: bool,

    /// Serve `/metrics` on this `host:port` instead of the main listener
    /// (e.g. an address only the Prometheus server reaches).
    #[arg(long, env = "TASKCENTER_METRICS_LISTEN", requires = "metrics", value_parser = parse_listen)]
    pub metrics_listen: Option<String>,

    /// Bearer token a scrape must send (`Authorization: Bearer <token>`,
    /// else 401); without it `/metrics` is open to whoever reaches it.
    #[arg(long, env = "TASKCENTER_METRICS_TOKEN", hide_env_values = true, value_parser = parse_metrics_token)]
    pub metrics_token: Option<String>,

    /// Submissions (`POST /suno/submit/...`, `POST /v1/videos`, remixes)
    /// in flight at once, at least 1: each holds a blocking thread while
    /// its upstream answers. Past it a submission is answered 503 with
    /// `Retry-After: 1` at once, charging nothing.
    #[arg(long, env = "TASKCENTER_MAX_INFLIGHT_SUBMISSIONS", default_value_t = 2048,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_inflight_submissions: usize,

    /// Read a password for root (user 1) from the first line of standard
    /// input at start and store its hash, replacing any earlier one (ends
    /// root's sessions). Without it root's password is left as it is; root
    /// has none until one is set here or with `taskcenter user passwd`.
    #[arg(long)]
    pub root_password_stdin: bool,

    /// Whether `run` starts the polling worker thread (tests drive the
    /// worker by hand instead).
    #[arg(skip = true)]
    pub worker: bool,

    /// Whether `run` starts the webhook delivery thread (tests drive
    /// deliveries by hand instead).
    #[arg(skip = true)]
    pub webhook_sender: bool,
}

impl Config {
    /// The size of the runtime's blocking pool. Every submission in flight
    /// holds a blocking thread while its upstream answers (up to
    /// `--max-inflight-submissions`, past which submissions are refused
    /// before taking one). The margin on top is left to everything else
    /// that blocks: the HTTP layer's store calls (auth, lists, fetches) and
    /// downloads, so a full house of slow upstreams never starves them.
    /// Threads are spawned on demand and retire when idle, so a large pool
    /// costs nothing at rest.
    pub fn max_blocking_threads(&self) -> usize {
        self.max_inflight_submissions + BLOCKING_MARGIN
    }

    /// How upstream calls are made under these settings.
    pub fn upstream_settings(&self) -> UpstreamSettings {
        UpstreamSettings {
            timeout: Duration::from_secs(self.upstream_timeout_secs),
            proxy: self.upstream_proxy.clone(),
            allow_private: self.allow_private_upstreams,
        }
    }
}

impl Default for Config {
    /// The defaults of the flags, with no environment variable read.
    fn default() -> Self {
        let cmd = Config::augment_args(clap::Command::new("defaults")).mut_args(|a| a.env(None));
        cmd.try_get_matches_from(["defaults"])
            .and_then(|m| Config::from_arg_matches(&m))
            .unwrap_or_else(|e| unreachable!("the flags' defaults parse: {e}"))
    }
}

/// Shortest root token accepted: a guessable root token is the whole
/// service.
pub const MIN_ROOT_TOKEN_LEN: usize = 24;

/// A root token: non-empty (an empty one is a mistake, not a request for a
/// new token), at least [`MIN_ROOT_TOKEN_LEN`] characters, no spaces.
fn parse_root_token(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err(
            "the root token must not be empty (leave the flag out to have one generated)".into(),
        );
    }
    if s.chars().count() < MIN_ROOT_TOKEN_LEN {
        return Err(format!(
            "the root token must be at least {MIN_ROOT_TOKEN_LEN} characters, got {}",
            s.chars().count()
        ));
    }
    if s.chars().any(char::is_whitespace) {
        return Err("the root token must not contain spaces".into());
    }
    Ok(s.to_string())
}

/// A metrics token: non-empty, no spaces (it travels in a header).
fn parse_metrics_token(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the metrics token must be non-empty and contain no spaces".into());
    }
    Ok(s.to_string())
}

/// A proxy URL ureq can use.
pub fn parse_proxy(s: &str) -> Result<String, String> {
    ureq::Proxy::new(s).map_err(|e| format!("invalid proxy '{s}': {e}"))?;
    Ok(s.to_string())
}

/// `host:port` with a numeric port and a non-empty host.
fn parse_listen(s: &str) -> Result<String, String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("'{s}' is not host:port"))?;
    if host.trim_matches(['[', ']']).is_empty() {
        return Err(format!("'{s}' has no host"));
    }
    port.parse::<u16>()
        .map_err(|_| format!("'{port}' is not a port number"))?;
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_flags() {
        let c = Config::default();
        assert_eq!(c.listen, "127.0.0.1:3000");
        assert_eq!(c.poll_interval_ms, DEFAULT_POLL_INTERVAL_MS);
        assert_eq!(c.fetch_batch, 100);
        assert_eq!(c.fetch_concurrency, 8);
        assert_eq!(c.max_inflight_submissions, 2048);
        assert!(c.worker);
    }

    #[test]
    fn root_tokens_are_long_and_never_empty() {
        assert!(parse_root_token("").is_err());
        assert!(parse_root_token("short").is_err());
        assert!(parse_root_token("a".repeat(24).as_str()).is_ok());
        assert!(parse_root_token("with space with space with space").is_err());
    }

    #[test]
    fn listen_takes_names_and_ips() {
        assert!(parse_listen("localhost:3000").is_ok());
        assert!(parse_listen("[::1]:0").is_ok());
        assert!(parse_listen("localhost").is_err());
        assert!(parse_listen(":80").is_err());
        assert!(parse_listen("a:99999").is_err());
    }
}
