//! `TestApp`: the real server on 127.0.0.1:0 over a fresh temporary database
//! file, served in-process on its own runtime and stopped when dropped.
//!
//! `spawn_app()` runs the library's default configuration; `spawn_app_with`
//! takes [`Settings`], the few knobs tests turn. This file is where the kit
//! builds the library's `Config`, opens its `Store` and calls
//! `taskcenter::serve`. Set `TEST_LOG=1` to see the server's log on stderr.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::Duration;

use taskcenter::clock::SystemClock;
use taskcenter::store::Store;
use taskcenter::{Config, Context};
use tokio::sync::oneshot;

use super::assert::LeakWatch;
use super::db::Db;
use super::http::agent;
use super::worker::Passes;

/// Access token of the root user (id 1) of every test app.
pub const ROOT_TOKEN: &str = "test-root-token-0123456789abcdefghij";

/// The task timeout of [`Settings::manual`], in s.
pub const MANUAL_TASK_TIMEOUT_SECS: i64 = 600;
/// The poll interval of [`Settings::manual`], in ms.
pub const MANUAL_POLL_INTERVAL_MS: i64 = 1000;

/// What a test may change about the server it starts; the rest is the
/// library's default.
#[derive(Debug, Clone)]
pub struct Settings {
    worker: bool,
    upstream_timeout_secs: Option<u64>,
    retry_times: Option<u32>,
    poll_interval_ms: Option<u64>,
    task_timeout_secs: Option<u64>,
    fetch_batch: Option<usize>,
    fetch_concurrency: Option<usize>,
    private_upstreams: bool,
    audit_time_limit_ms: Option<u64>,
    webhook_sender: bool,
    private_webhooks: bool,
    webhook_retry_base_ms: Option<u64>,
    cookie_secure: bool,
    channel_unhealthy_after: Option<u32>,
    channel_probe_min_secs: Option<u64>,
    metrics: bool,
    metrics_token: Option<String>,
    metrics_listener: bool,
    max_inflight_submissions: Option<usize>,
}

impl Default for Settings {
    /// The library's defaults, with the server's own worker thread.
    fn default() -> Self {
        Settings {
            worker: true,
            upstream_timeout_secs: None,
            retry_times: None,
            poll_interval_ms: None,
            task_timeout_secs: None,
            fetch_batch: None,
            fetch_concurrency: None,
            private_upstreams: true,
            audit_time_limit_ms: None,
            webhook_sender: true,
            private_webhooks: true,
            webhook_retry_base_ms: None,
            cookie_secure: false,
            channel_unhealthy_after: None,
            channel_probe_min_secs: None,
            metrics: false,
            metrics_token: None,
            metrics_listener: false,
            max_inflight_submissions: None,
        }
    }
}

impl Settings {
    /// The relay tests' server: no worker thread, so nothing moves a task
    /// behind the test's back; upstream calls time out after 10 s and a
    /// submission is retried on two more channels.
    pub fn relay() -> Settings {
        Settings::default()
            .without_worker()
            .upstream_timeout_secs(10)
            .retry_times(2)
    }

    /// The worker tests' server: no worker thread, the test runs each pass
    /// on the manual clock (see `kit::worker`); tasks are polled every
    /// second, time out after 600 s, and upstream calls after 2 s. No
    /// webhook delivery thread either: tests deliver by hand too.
    pub fn manual() -> Settings {
        Settings::default()
            .without_worker()
            .without_webhook_sender()
            .poll_interval_ms(MANUAL_POLL_INTERVAL_MS as u64)
            .task_timeout_secs(MANUAL_TASK_TIMEOUT_SECS as u64)
            .upstream_timeout_secs(2)
    }

    /// Consecutive failed calls that mark a channel unhealthy.
    pub fn channel_unhealthy_after(mut self, n: u32) -> Self {
        self.channel_unhealthy_after = Some(n);
        self
    }

    /// Seconds from an auto-disable to the channel's first probe.
    pub fn channel_probe_min_secs(mut self, secs: u64) -> Self {
        self.channel_probe_min_secs = Some(secs);
        self
    }

    /// No polling worker thread in the server.
    pub fn without_worker(mut self) -> Self {
        self.worker = false;
        self
    }

    /// The server runs its own polling worker thread.
    pub fn with_worker(mut self) -> Self {
        self.worker = true;
        self
    }

    /// Timeout of one upstream call (the relay's and the passes').
    pub fn upstream_timeout_secs(mut self, secs: u64) -> Self {
        self.upstream_timeout_secs = Some(secs);
        self
    }

    /// Extra submit attempts on other channels.
    pub fn retry_times(mut self, n: u32) -> Self {
        self.retry_times = Some(n);
        self
    }

    /// How often a task is polled.
    pub fn poll_interval_ms(mut self, ms: u64) -> Self {
        self.poll_interval_ms = Some(ms);
        self
    }

    /// When a task that is not final fails with a refund.
    pub fn task_timeout_secs(mut self, secs: u64) -> Self {
        self.task_timeout_secs = Some(secs);
        self
    }

    /// Upstream ids per fetch request.
    pub fn fetch_batch(mut self, n: usize) -> Self {
        self.fetch_batch = Some(n);
        self
    }

    /// Requests at once per channel for one-task-per-request platforms.
    pub fn fetch_concurrency(mut self, n: usize) -> Self {
        self.fetch_concurrency = Some(n);
        self
    }

    /// Channels on loopback and private addresses refused, as a server
    /// started without `--allow-private-upstreams` does (the kit allows
    /// them by default: its mock upstreams listen on loopback).
    pub fn without_private_upstreams(mut self) -> Self {
        self.private_upstreams = false;
        self
    }

    /// No webhook delivery thread in the server (`kit::webhooks` delivers
    /// on the manual clock instead).
    pub fn without_webhook_sender(mut self) -> Self {
        self.webhook_sender = false;
        self
    }

    /// Webhook endpoints on loopback and private addresses refused, as a
    /// server started without `--allow-private-webhooks` does (the kit
    /// allows them by default: its receivers listen on loopback).
    pub fn without_private_webhooks(mut self) -> Self {
        self.private_webhooks = false;
        self
    }

    /// The unit of the webhook retry schedule.
    pub fn webhook_retry_base_ms(mut self, ms: u64) -> Self {
        self.webhook_retry_base_ms = Some(ms);
        self
    }

    /// How long `GET /api/audit` may read.
    pub fn audit_time_limit_ms(mut self, ms: u64) -> Self {
        self.audit_time_limit_ms = Some(ms);
        self
    }

    /// Session cookies marked `Secure`, as `--cookie-secure` does.
    pub fn cookie_secure(mut self) -> Self {
        self.cookie_secure = true;
        self
    }

    /// `/metrics` served, as `--metrics` does.
    pub fn metrics(mut self) -> Self {
        self.metrics = true;
        self
    }

    /// A scrape needs this bearer token, as `--metrics-token` says.
    pub fn metrics_token(mut self, token: &str) -> Self {
        self.metrics_token = Some(token.to_string());
        self
    }

    /// `/metrics` on a listener of its own (`--metrics-listen`), at
    /// [`TestApp::metrics_addr`].
    pub fn metrics_listener(mut self) -> Self {
        self.metrics_listener = true;
        self
    }

    /// Submissions in flight at once (`--max-inflight-submissions`).
    pub fn max_inflight_submissions(mut self, n: usize) -> Self {
        self.max_inflight_submissions = Some(n);
        self
    }

    /// The library's configuration for these settings over `db`.
    fn config(&self, db: PathBuf) -> Config {
        let default = Config::default();
        Config {
            db,
            worker: self.worker,
            // The mock upstreams listen on loopback.
            allow_private_upstreams: self.private_upstreams,
            upstream_timeout_secs: self
                .upstream_timeout_secs
                .unwrap_or(default.upstream_timeout_secs),
            retry_times: self.retry_times.unwrap_or(default.retry_times),
            poll_interval_ms: self.poll_interval_ms.unwrap_or(default.poll_interval_ms),
            task_timeout_secs: self.task_timeout_secs.unwrap_or(default.task_timeout_secs),
            fetch_batch: self.fetch_batch.unwrap_or(default.fetch_batch),
            audit_time_limit_ms: self
                .audit_time_limit_ms
                .unwrap_or(default.audit_time_limit_ms),
            fetch_concurrency: self.fetch_concurrency.unwrap_or(default.fetch_concurrency),
            webhook_sender: self.webhook_sender,
            allow_private_webhooks: self.private_webhooks,
            webhook_retry_base_ms: self
                .webhook_retry_base_ms
                .unwrap_or(default.webhook_retry_base_ms),
            cookie_secure: self.cookie_secure,
            channel_unhealthy_after: self
                .channel_unhealthy_after
                .unwrap_or(default.channel_unhealthy_after),
            channel_probe_min_secs: self
                .channel_probe_min_secs
                .unwrap_or(default.channel_probe_min_secs),
            metrics: self.metrics,
            metrics_token: self.metrics_token.clone(),
            max_inflight_submissions: self
                .max_inflight_submissions
                .unwrap_or(default.max_inflight_submissions),
            ..default
        }
    }
}

/// A running server with its own database; stops when dropped.
///
/// It records every answer it was given; when a passing test drops it, it
/// asserts that none showed a channel key or an upstream task id the kit
/// knows of (see `kit::assert`).
pub struct TestApp {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// Where `/metrics` is served when it has a listener of its own.
    pub metrics_addr: Option<SocketAddr>,
    /// Raw SQL on the server's database file.
    pub db: Db,
    pub(super) store: Store,
    pub(super) config: Config,
    pub(super) passes: Passes,
    pub(super) agent: ureq::Agent,
    pub(super) leaks: LeakWatch,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    // Removed only after `drop` has stopped the server.
    _db_dir: tempfile::TempDir,
}

/// Starts a server with the library's default configuration.
pub fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default())
}

/// Starts a server with `settings` over a fresh temporary database file.
pub fn spawn_app_with(settings: Settings) -> TestApp {
    init_logging();
    let db_dir = tempfile::tempdir().expect("create a temporary directory");
    let path = db_dir.path().join("taskcenter.db");
    let store = Store::open(&path).expect("open the test database");
    store
        .ensure_root(Some(ROOT_TOKEN))
        .expect("create the root user");
    let mut config = settings.config(path.clone());
    let metrics_listener = settings.metrics_listener.then(|| {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the metrics listener");
        l.set_nonblocking(true).expect("make it non-blocking");
        l
    });
    let metrics_addr = metrics_listener
        .as_ref()
        .map(|l| l.local_addr().expect("metrics listener address"));
    config.metrics_listen = metrics_addr.map(|a| a.to_string());
    let ctx = Context::new(store, config.clone(), Arc::new(SystemClock));
    let store = ctx.store.clone();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("make the listener non-blocking");
    let addr = listener.local_addr().expect("listener address");
    let (shutdown, signal) = oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("build the server runtime");
        runtime.block_on(async move {
            let listener =
                tokio::net::TcpListener::from_std(listener).expect("register the listener");
            let signal = async move {
                // A dropped sender also means "stop".
                let _ = signal.await;
            };
            let metrics_listener = metrics_listener.map(|l| {
                tokio::net::TcpListener::from_std(l).expect("register the metrics listener")
            });
            taskcenter::serve(listener, metrics_listener, ctx, signal).await;
        });
    });

    // The listener is bound before the thread starts, so connections made
    // now wait in its backlog: no need to poll for readiness.
    TestApp {
        addr,
        metrics_addr,
        db: Db::at(&path),
        passes: Passes::new(&store, &config),
        store,
        config,
        agent: agent(Duration::from_secs(30)),
        leaks: LeakWatch::default(),
        shutdown: Some(shutdown),
        server: Some(server),
        _db_dir: db_dir,
    }
}

impl TestApp {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The database file the server runs on (for the CLI).
    pub fn db_path(&self) -> &Path {
        self.db.path()
    }
}

fn init_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = env_logger::Builder::from_env(
                env_logger::Env::default().default_filter_or("debug"),
            )
            .target(env_logger::Target::Stderr)
            .try_init();
        }
    });
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take()
            && server.join().is_err()
            && !std::thread::panicking()
        {
            panic!("the server thread panicked");
        }
        if !std::thread::panicking() {
            self.assert_nothing_leaked();
        }
    }
}
