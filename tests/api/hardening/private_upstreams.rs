//! Private upstreams: without `--allow-private-upstreams`, a channel on a
//! loopback, private, link-local or metadata address is refused when it is
//! created or moved over the API, and a connection to such an address is
//! refused when it is made (a channel stored before, or by the CLI, or a
//! name that resolves there later). With the flag, loopback works: every
//! test in front of the mock relies on it.

use serde_json::json;

use crate::kit::process::{cli_on, path_str};
use crate::kit::upstream::unique_secret;
use crate::kit::{
    Settings, TestApp, as_root, assert_error, assert_relay_error, assert_unchanged, mock,
    spawn_app_with,
};

/// Base URLs on addresses an upstream may not have.
const PRIVATE_BASE_URLS: [&str; 8] = [
    "http://127.0.0.1:4000",
    "http://localhost:4000",
    "http://169.254.169.254",
    "http://[::1]:4000",
    "http://10.0.0.1",
    "http://192.168.1.20:8080/v1",
    "http://100.64.0.1",
    "http://[fd00:ec2::254]",
];

fn app_without_private_upstreams() -> TestApp {
    spawn_app_with(Settings::relay().without_private_upstreams())
}

#[test]
fn channels_on_private_addresses_are_refused_over_the_api() {
    // Pins: any base_url was stored, so an administrator could make the
    // server call its own host's services or the cloud metadata endpoint.
    let app = app_without_private_upstreams();
    // A public address given as an IP: no name to resolve in the test.
    let public = app.channel(&json!({
        "name": "public", "type": "suno", "base_url": "https://93.184.216.34",
        "key": unique_secret("channel-secret"), "models": "suno_music",
    }));
    let before = app.db.fingerprint();
    for url in PRIVATE_BASE_URLS {
        let create = json!({
            "name": "inside", "type": "suno", "base_url": url,
            "key": "k", "models": "suno_music",
        });
        let (status, body) = app.post("/api/channel/", &as_root(), &create);
        let message = assert_error(status, &body, 400);
        assert!(
            message.contains("private address") && message.contains("--allow-private-upstreams"),
            "POST {url}: {message}"
        );
        let moved = json!({"id": public, "base_url": url, "key": "k"});
        let (status, body) = app.put("/api/channel/", &as_root(), &moved);
        assert_error(status, &body, 400);
    }
    assert_unchanged(&before, &app.db.fingerprint());
    assert_eq!(
        app.channel_view(public)["base_url"],
        "https://93.184.216.34"
    );
}

#[test]
fn a_stored_channel_on_a_private_address_is_refused_when_connecting() {
    // Pins: the check at creation alone left every channel stored before
    // it, added with the CLI (which does not check), or behind a name that
    // resolves to a private address later, free to reach that address.
    let upstream = mock();
    let port = upstream.addr().port();
    for base_url in [upstream.base_url(), format!("http://localhost:{port}")] {
        let app = app_without_private_upstreams();
        let db = path_str(app.db_path()).to_string();
        let channel = cli_on(
            app.db_path(),
            &[
                "channel",
                "add",
                "--base-url",
                &base_url,
                "--key",
                upstream.secret(),
            ],
        );
        assert!(
            channel["id"].is_i64(),
            "the CLI stores it: {channel} ({db})"
        );
        let alice = app.customer("alice", 1_000_000);
        let before = upstream.stats().submit;

        let (status, body) = app.submit(&alice.key, "music", &json!({"prompt": "la la"}));
        let message = assert_relay_error(status, &body, 502, "upstream_error");
        assert_eq!(message, "upstream unreachable", "{base_url}: {body}");
        assert_eq!(
            upstream.stats().submit,
            before,
            "{base_url}: no connection reached the upstream"
        );
        let task_id = app.db.task_ids_of(alice.id).pop().expect("a task");
        app.assert_refunded_once(&task_id);
        assert_eq!(app.user_balance(alice.id).0, 1_000_000, "charge refunded");
        let detail: Vec<String> = app.db.rows(
            "SELECT fail_detail FROM tasks WHERE task_id = ?1",
            [&task_id],
            |r| r.get(0),
        );
        assert!(
            detail[0].contains("private addresses"),
            "{base_url}: the detail says why: {detail:?}"
        );
    }
}
