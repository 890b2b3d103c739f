//! The channel list shows each channel's health: last success, last error
//! (administrators only), failures in a row, the 24 h success ratio and
//! median latency; and keeps it over a restart of the server.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{payer, submit_ok, view};
use crate::kit::process::{ServerProcess, bootstrap};
use crate::kit::{
    Db, ROOT_TOKEN, Settings, as_root, assert_error, assert_ok, bearer, instant_mock, items,
    spawn_app_with,
};
use crate::mock::Fault;

#[test]
fn the_list_shows_ratio_latency_and_the_last_error_to_admins_only() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let idle = app.disabled_channel("idle");
    let c = payer(&app);

    let fresh = view(&app, &up);
    for field in [
        "success_ratio_24h",
        "median_latency_ms_24h",
        "last_success_at",
        "last_error",
        "last_error_at",
        "disabled_at",
    ] {
        assert!(fresh[field].is_null(), "{field}: {fresh}");
    }
    assert_eq!(fresh["healthy"], true);
    assert_eq!(fresh["consecutive_failures"], 0);

    for _ in 0..3 {
        submit_ok(&app, &c);
    }
    up.mock.fail_next(1, Fault::Http(500));
    let (status, _) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    assert_ne!(status, 200);

    let (status, body) = app.get("/api/channel/?p=1&page_size=10", &as_root());
    let listed: Vec<Value> = items(assert_ok(status, &body)).to_vec();
    let main = listed
        .iter()
        .find(|c| c["id"] == up.channel_id)
        .expect("listed");
    assert_eq!(main["success_ratio_24h"], 0.75, "{main}");
    assert!(main["median_latency_ms_24h"].as_u64().is_some(), "{main}");
    assert!(main["last_success_at"].as_i64().is_some(), "{main}");
    assert!(main["last_error_at"].as_i64().is_some(), "{main}");
    assert!(
        main["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("500"),
        "{main}"
    );
    assert_eq!(main["consecutive_failures"], 1, "{main}");
    assert_eq!(main["status"], 1);
    let other = listed.iter().find(|c| c["id"] == idle).expect("listed");
    assert!(other["success_ratio_24h"].is_null(), "{other}");

    // Not for users.
    let (status, body) = app.get("/api/channel/", &c.headers);
    assert_error(status, &body, 403);
    let (status, body) = app.get(&format!("/api/channel/{}", up.channel_id), &c.headers);
    assert_error(status, &body, 403);
}

/// The channel `GET /api/channel/` lists first.
fn first_listed(server: &ServerProcess) -> Value {
    let (status, body) = server.request("GET", "/api/channel/", &as_root(), None);
    items(assert_ok(status, &body))[0].clone()
}

/// Waits until `sql` counts at least one row.
fn wait_for(raw: &Db, sql: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while raw.scalar(sql, []) == 0 {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn health_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    // Songs finish at once: once polled, nothing calls the upstream again.
    let upstream = instant_mock(0.0);
    let key = bootstrap(&db, &upstream, 1_000_000_000);
    let flags = ["--poll-interval-ms", "50"];
    let server = ServerProcess::start(&db, ROOT_TOKEN, &flags);
    let submit = |server: &ServerProcess| {
        server.request(
            "POST",
            "/suno/submit/music",
            &bearer(&key),
            Some(&json!({"prompt": "la"})),
        )
    };
    for _ in 0..2 {
        assert_eq!(submit(&server).0, 200);
    }
    let raw = Db::at(&db);
    wait_for(
        &raw,
        "SELECT COUNT(*) = 2 FROM tasks WHERE status = 'SUCCESS'",
        "the worker never finished the songs",
    );
    upstream.fail_next(1, Fault::Http(503));
    assert_ne!(submit(&server).0, 200);
    let before = first_listed(&server);
    assert_eq!(before["consecutive_failures"], 1, "{before}");
    let ratio = before["success_ratio_24h"].as_f64().expect("a ratio");
    assert!(ratio > 0.5 && ratio < 1.0, "{before}");

    // The worker saves it within a pass; then the server dies.
    wait_for(
        &raw,
        "SELECT COUNT(*) FROM channel_health WHERE consecutive_failures = 1",
        "the worker never saved the health",
    );
    drop(server);

    let server = ServerProcess::start(&db, ROOT_TOKEN, &flags);
    let after = first_listed(&server);
    for field in [
        "consecutive_failures",
        "last_error",
        "last_error_at",
        "last_success_at",
        "success_ratio_24h",
        "median_latency_ms_24h",
        "healthy",
    ] {
        assert_eq!(after[field], before[field], "{field}: {after}");
    }

    // The CLI shows what was saved too.
    let listed = crate::kit::process::cli_on(&db, &["channel", "list"]);
    assert_eq!(listed[0]["consecutive_failures"], 1, "{listed}");
    assert_eq!(listed[0]["success_ratio_24h"], before["success_ratio_24h"]);
}
