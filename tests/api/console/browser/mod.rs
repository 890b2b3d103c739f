//! The console in headless Chromium (`kit::browser`): each scenario starts
//! its own app, upstreams and browser, drives the pages as a user would
//! and saves a screenshot under `target/console-screenshots/`. Without
//! Chromium they print `BROWSER TESTS SKIPPED` and return.

mod access;
mod channels;
mod failure;
mod keys;
mod language;
mod live;
mod login;
mod media;
mod tasks;

use serde_json::json;

use crate::kit::browser::Browser;
use crate::kit::upstream::unique_secret;
use crate::kit::video::{VideoUpstream, video_mock};
use crate::kit::{Customer, Settings, TestApp, Upstream, spawn_app_with, unlimited_key};
use crate::mock::{Mock, MockConfig};

/// Every console user's password.
const PASSWORD: &str = "correct horse battery";
/// What a customer starts with: 2 USD.
const START_QUOTA: i64 = 1_000_000;

/// A server polling its upstreams every 200 ms, a Suno mock whose songs
/// take `song_ms` (failing by `failure_ratio`) serving its own media, and a
/// video mock whose videos take `video_ms`.
struct World {
    app: TestApp,
    suno: Upstream,
    // Held so the video mock outlives the scenario.
    _video: VideoUpstream,
}

fn world(song_ms: u64, failure_ratio: f64, video_ms: u64) -> World {
    let app = spawn_app_with(Settings::default().poll_interval_ms(200));
    let mock = Mock::start(
        "127.0.0.1:0",
        MockConfig {
            secret: unique_secret("upstream-secret"),
            music_duration_ms: song_ms,
            failure_ratio,
            serve_media: true,
            ..MockConfig::default()
        },
    );
    let suno = app.attach(mock, "suno", 0);
    let video = app.attach_video(video_mock(video_ms, 0.0), "video", 0);
    World {
        app,
        suno,
        _video: video,
    }
}

impl World {
    /// A common user who logs in with [`PASSWORD`], with [`START_QUOTA`]
    /// and an unlimited API key.
    fn customer(&self, username: &str) -> Customer {
        user_with_password(&self.app, username, 1)
    }
}

/// A user with `role` who logs in with [`PASSWORD`], [`START_QUOTA`] and
/// an unlimited API key.
fn user_with_password(app: &TestApp, username: &str, role: i64) -> Customer {
    let (id, token) = app.add_user(&json!({
        "username": username, "password": PASSWORD, "role": role, "quota": START_QUOTA,
    }));
    app.customer_of(id, &token, &unlimited_key())
}

/// A browser for `scenario` logged in to `app` as `username`, or `None`
/// when there is no browser (the scenario returns).
fn logged_in(scenario: &str, app: &TestApp, username: &str) -> Option<Browser> {
    let browser = Browser::start(scenario)?;
    browser.log_in(app, username, PASSWORD);
    Some(browser)
}

/// The JS condition "`#tasks-total` reads `n`".
fn total_is(browser: &Browser, n: usize) {
    browser.wait_js(
        &format!("#tasks-total reads {n}"),
        "const t = document.querySelector('#tasks-total');
         return !!t && t.textContent.trim() === String(arguments[0]);",
        vec![json!(n)],
    );
}

/// Waits until the row of `task_id` shows status badge `raw`.
fn badge_is(browser: &Browser, task_id: &str, raw: &str) {
    browser.wait_js(
        &format!("{task_id} shows {raw}"),
        "const b = document.querySelector(
             `#tasks-table tr[data-task-id=\"${arguments[0]}\"] td.col-status span.badge`);
         return !!b && b.getAttribute('data-status') === arguments[1];",
        vec![json!(task_id), json!(raw)],
    );
}
