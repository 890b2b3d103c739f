//! Proxies: none is taken from the environment (`HTTP_PROXY` and the
//! like, which anyone who can set a service's environment could point
//! anywhere), and `--upstream-proxy` is used for every upstream call. The
//! compiled binary, so that the variables are the child's alone.

use std::path::PathBuf;

use serde_json::json;

use super::OneOff;
use crate::kit::process::{ServerProcess, bootstrap, serve_command};
use crate::kit::{accepted_task_id, bearer, mock};
use crate::mock::Mock;

const ROOT: &str = "proxy-tests-root-token-0123456789";

/// Every variable some HTTP client reads its proxy from.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// A database in a fresh folder with a customer and a channel to `mock`;
/// the folder, the database and the customer's key.
fn database_for(mock: &Mock) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("t.db");
    let key = bootstrap(&db, mock, 1_000_000);
    (dir, db, key)
}

/// Submits a music job that must be accepted.
fn submit(server: &ServerProcess, key: &str) {
    let body = json!({"prompt": "through whatever is in between"});
    let (status, answer) = server.request("POST", "/suno/submit/music", &bearer(key), Some(&body));
    accepted_task_id(status, &answer);
}

#[test]
fn proxy_variables_in_the_environment_are_ignored() {
    // Pins: ureq's default configuration reads ALL_PROXY, HTTPS_PROXY and
    // HTTP_PROXY, so the environment decided where upstream calls (and
    // the channels' keys) went.
    let proxy = OneOff::silent();
    let mock = mock();
    let (_dir, db, key) = database_for(&mock);
    let mut cmd = serve_command(&db);
    cmd.args(["--root-token", ROOT, "--allow-private-upstreams"]);
    for name in PROXY_VARIABLES {
        cmd.env(name, proxy.url());
    }
    // A NO_PROXY of the machine running the tests could exempt loopback
    // and hide the bug.
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
    let server = ServerProcess::spawn(cmd);

    submit(&server, &key);
    assert_eq!(mock.stats().submit, 1, "the upstream took the job directly");
    assert_eq!(
        proxy.connections(),
        0,
        "the proxy of the environment saw nothing"
    );
}

#[test]
fn the_upstream_proxy_flag_sends_every_call_through_the_proxy() {
    // Pins: `--upstream-proxy` was not wired to the agent (with the
    // environment ignored, no proxy at all could be used).
    let proxy = OneOff::connect_proxy();
    let mock = mock();
    let (_dir, db, key) = database_for(&mock);
    let server = ServerProcess::start(&db, ROOT, &["--upstream-proxy", &proxy.url()]);

    submit(&server, &key);
    assert_eq!(mock.stats().submit, 1, "the job reached the upstream");
    let asked: Vec<String> = proxy
        .requests()
        .iter()
        .map(|r| r.line().to_string())
        .collect();
    let expected = format!("CONNECT {} HTTP/1.1", mock.addr());
    assert!(
        asked.contains(&expected),
        "the call went through the proxy ({expected}): {asked:?}"
    );
}

#[test]
fn through_a_proxy_a_channel_on_a_private_address_is_still_refused() {
    // Pins: with `--upstream-proxy` the proxy resolves the upstream's name,
    // so the resolver's check never saw the channel's address and a
    // stored loopback channel was reached through the proxy.
    let proxy = OneOff::connect_proxy();
    let mock = mock();
    let (_dir, db, key) = database_for(&mock);
    let mut cmd = serve_command(&db);
    cmd.args(["--root-token", ROOT, "--upstream-proxy", &proxy.url()]);
    let server = ServerProcess::spawn(cmd);

    let body = json!({"prompt": "to a private address, by way of a proxy"});
    let (status, _) = server.request("POST", "/suno/submit/music", &bearer(&key), Some(&body));
    assert_eq!(status, 502, "the call is refused before it leaves");
    assert_eq!(mock.stats().submit, 0, "the upstream saw nothing");
    assert!(proxy.requests().is_empty(), "the proxy saw nothing");
}
