//! Probing a channel (`POST /api/channel/{id}/test`, `taskcenter channel
//! test ID`): the platform's cheapest harmless request, its status and
//! latency; a refused key or an unreachable upstream reported, not hidden.

use serde_json::{Value, json};

use crate::kit::process::{path_str, taskcenter};
use crate::kit::upstream::unique_secret;
use crate::kit::{
    Settings, as_root, assert_error, assert_ok, dead_base_url, mock, spawn_payer_app,
};

fn probe(app: &crate::kit::TestApp, id: i64) -> Value {
    let (status, body) = app.post(&format!("/api/channel/{id}/test"), &as_root(), &json!({}));
    assert_ok(status, &body).clone()
}

#[test]
fn a_probe_reports_a_working_channel_a_refused_key_and_a_dead_upstream() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), mock());
    let working = probe(&app, up.channel_id);
    assert_eq!(working["ok"], true, "{working}");
    assert_eq!(working["channel_id"], up.channel_id);
    assert!(working["latency_ms"].as_u64().is_some(), "{working}");

    let wrong_key = app.channel(&json!({"name": "wrong-key", "type": "suno",
        "base_url": up.mock.base_url(), "key": unique_secret("wrong"), "models": "suno_music"}));
    let refused = probe(&app, wrong_key);
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["status"], 401, "{refused}");

    let dead = app.channel(
        &json!({"name": "dead", "type": "suno", "base_url": dead_base_url(),
        "key": unique_secret("dead"), "models": "suno_music"}),
    );
    let unreachable = probe(&app, dead);
    assert_eq!(unreachable["ok"], false, "{unreachable}");
    assert!(
        unreachable["error"]
            .as_str()
            .unwrap_or("")
            .contains("unreachable"),
        "{unreachable}"
    );

    // Admins only; an unknown channel is a 404.
    let (status, body) = app.post(
        &format!("/api/channel/{}/test", up.channel_id),
        &payer.headers,
        &json!({}),
    );
    assert_error(status, &body, 403);
    let (status, body) = app.post("/api/channel/999/test", &as_root(), &json!({}));
    assert_error(status, &body, 404);
}

#[test]
fn the_cli_probes_a_channel_and_exits_1_when_it_fails() {
    let (app, up, _payer) = spawn_payer_app(Settings::manual(), mock());
    let dead = app.channel(
        &json!({"name": "dead", "type": "suno", "base_url": dead_base_url(),
        "key": unique_secret("dead"), "models": "suno_music"}),
    );
    let db = path_str(app.db_path());
    let id = up.channel_id.to_string();
    let out = taskcenter(&[
        "channel",
        "test",
        &id,
        "--db",
        db,
        "--allow-private-upstreams",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["ok"], true, "{report}");

    let id = dead.to_string();
    let out = taskcenter(&[
        "channel",
        "test",
        &id,
        "--db",
        db,
        "--allow-private-upstreams",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["ok"], false, "{report}");

    // Without the flag a loopback channel is refused before any connection.
    let id = up.channel_id.to_string();
    let out = taskcenter(&["channel", "test", &id, "--db", db]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}
