//! The test kit: one way to start the real server and everything the tests
//! do to it. Every call the tests make into the `taskcenter` library goes
//! through this folder, so a change of the library's API is adapted here.
//!
//! - [`app`]: `TestApp`, `spawn_app()`, `spawn_app_with(Settings)`.
//! - [`http`]: credentials as headers, JSON requests, raw requests.
//! - [`assert`]: envelope and page assertions, the leak check.
//! - [`fixtures`]: users, keys, customers, prices, submissions, stored tasks.
//! - [`upstream`]: Suno simulators and the channels in front of them.
//! - [`video`]: video mocks, `sora` channels, `/v1/videos` calls.
//! - [`db`]: raw SQL reads (balances, log rows, task rows, counts).
//! - [`worker`]: worker passes on a manual clock, the payer and its balances.
//! - [`browser`]: headless Chromium over WebDriver for the console's scenarios.
//! - [`process`]: the compiled binary: `serve` as a child, CLI commands.
//! - [`rng`]: a seeded generator for randomised tests.
//! - [`receiver`]: a webhook receiver over real HTTP, and signature checks.
//! - [`webhooks`]: endpoints through the API, deliveries on the manual clock.
//! - [`plans`]: statements caught as the store runs them, and their plans.
//! - [`store_paths`]: every hot or periodic store path, run on a traced store.

pub mod app;
pub mod assert;
pub mod browser;
pub mod db;
pub mod fixtures;
pub mod http;
pub mod plans;
pub mod process;
pub mod receiver;
pub mod rng;
pub mod store_paths;
pub mod upstream;
pub mod video;
pub mod webhooks;
pub mod worker;

pub use app::{ROOT_TOKEN, Settings, TestApp, spawn_app, spawn_app_with};
pub use assert::{
    RELAY_TASK_FIELDS, accepted_task_id, assert_clean, assert_error, assert_no_private_task_field,
    assert_ok, assert_relay_error, envelope_problem, field_names, item_ids, items, mentions,
    newest_first, suno_data,
};
pub use db::{Db, LOG_CONSUME, LOG_MANAGE, LOG_REFUND, LOG_TOP_UP, assert_unchanged};
pub use fixtures::{
    ALL_STATUSES, Customer, LYRICS_CHARGE, MUSIC_CHARGE, TaskSpec, TaskStatus, new_task_id, task,
    unix_now, unlimited_key,
};
pub use http::{Headers, as_root, as_user, bearer, chunked, raw_get, request_head, root_auth};
pub use upstream::{
    Upstream, dead_base_url, instant_mock, mock, mock_with, slow_mock, spawn_relay_app,
};
pub use worker::{Balances, PassReport, spawn_payer_app};
