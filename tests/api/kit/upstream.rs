//! Upstreams: Suno simulators with secrets nobody else uses, and channels
//! in front of them created through the admin API. Every mock put behind a
//! channel here is watched by the app's leak check.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::app::{Settings, TestApp, spawn_app_with};
use super::assert::assert_ok;
use super::http::as_root;
use crate::mock::{Mock, MockConfig};

/// An upstream and the channel that points at it.
pub struct Upstream {
    /// The simulator.
    pub mock: Arc<Mock>,
    /// The channel's id.
    pub channel_id: i64,
}

/// A secret nobody else uses, so finding it in an answer means a leak.
pub fn unique_secret(what: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{what}-{n}-{nanos:08x}-{}", std::process::id())
}

/// A simulator whose music tasks finish after `music_duration_ms` (0: at
/// once), `failure_ratio` of them (evenly spread) with a failure.
pub fn mock_with(music_duration_ms: u64, failure_ratio: f64) -> Mock {
    Mock::start(
        "127.0.0.1:0",
        MockConfig {
            secret: unique_secret("upstream-secret"),
            music_duration_ms,
            failure_ratio,
            ..MockConfig::default()
        },
    )
}

/// A simulator with its default timing (a song takes 20 s).
pub fn mock() -> Mock {
    mock_with(MockConfig::default().music_duration_ms, 0.0)
}

/// A simulator whose own clock never finishes a task during a test: tests
/// force each status word they need with `Mock::set_status`.
pub fn slow_mock() -> Mock {
    mock_with(3_600_000, 0.0)
}

/// A simulator whose music tasks are final at once; `failure_ratio` 1.0
/// fails all of them.
pub fn instant_mock(failure_ratio: f64) -> Mock {
    mock_with(0, failure_ratio)
}

/// A base URL where nothing listens (a port bound and released at once).
pub fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let addr = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{addr}")
}

/// An app with `settings` and `mock` behind the channel `main` (priority 0).
pub fn spawn_app_with_upstream(settings: Settings, mock: Mock) -> (TestApp, Upstream) {
    let app = spawn_app_with(settings);
    let up = app.attach(mock, "main", 0);
    (app, up)
}

/// A relay app ([`Settings::relay`]) with a default simulator behind the
/// channel `main`.
pub fn spawn_relay_app() -> (TestApp, Upstream) {
    spawn_app_with_upstream(Settings::relay(), mock())
}

impl TestApp {
    /// A default simulator behind a new channel `name` serving both Suno
    /// models to the default group.
    pub fn upstream(&self, name: &str, priority: i64) -> Upstream {
        self.attach(mock(), name, priority)
    }

    /// `mock` behind a new channel `name` serving both Suno models to the
    /// default group.
    pub fn attach(&self, mock: Mock, name: &str, priority: i64) -> Upstream {
        let mock = self.watch(mock);
        let channel_id = self.channel(&json!({
            "name": name,
            "type": "suno",
            "base_url": mock.base_url(),
            "key": mock.secret(),
            "models": "suno_music,suno_lyrics",
            "priority": priority,
        }));
        Upstream { mock, channel_id }
    }

    /// A simulator the leak check watches, not yet behind a channel.
    pub fn watch(&self, mock: Mock) -> Arc<Mock> {
        let mock = Arc::new(mock);
        self.leaks.watch_mock(mock.clone());
        mock
    }

    /// Creates a channel as root from a whole body; returns its id. Its key
    /// is remembered for the leak check.
    pub fn channel(&self, body: &Value) -> i64 {
        if let Some(key) = body["key"].as_str() {
            self.remember_secret(key);
        }
        let (status, answer) = self.post("/api/channel/", &as_root(), body);
        assert_ok(status, &answer)["id"]
            .as_i64()
            .expect("the new channel's id")
    }

    /// A disabled channel `name` with a key of its own and nothing behind it.
    pub fn disabled_channel(&self, name: &str) -> i64 {
        self.channel(&json!({
            "name": name,
            "type": "suno",
            "base_url": dead_base_url(),
            "key": unique_secret("channel-secret"),
            "models": "suno_music",
            "status": 2,
        }))
    }

    /// A channel as the admin API shows it.
    pub fn channel_view(&self, id: i64) -> Value {
        let (status, body) = self.get(&format!("/api/channel/{id}"), &as_root());
        assert_ok(status, &body).clone()
    }
}
