//! The CSRF rule: a write authenticated by the session cookie must carry
//! `New-Api-User` (a cross-site form cannot) and, when it names an
//! `Origin`, this server's own. Token-authenticated requests are unaffected.

use serde_json::json;

use super::{PASSWORD, session, user_with_password, with_session};
use crate::kit::{Headers, as_root, assert_error, assert_ok, spawn_app};

fn rename(app: &crate::kit::TestApp, headers: &Headers, name: &str) -> (u16, serde_json::Value) {
    app.put("/api/user/self", headers, &json!({"display_name": name}))
}

#[test]
fn a_cookie_write_from_another_origin_is_refused_and_changes_nothing() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let id = session(&app, "alice", PASSWORD);
    for origin in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        let mut headers = with_session(alice, &id);
        headers.push(("Origin", origin.to_string()));
        let (status, body) = rename(&app, &headers, "pwned");
        let message = assert_error(status, &body, 403);
        assert!(message.contains("cross-origin"), "{origin}: {message}");
        let (status, body) = app.post("/api/token/", &headers, &json!({"name": "k"}));
        assert_error(status, &body, 403);
    }
    assert_eq!(app.db.user(alice).display_name, "alice");
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM tokens", []), 0);
}

#[test]
fn a_cookie_write_without_new_api_user_is_refused() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let id = session(&app, "alice", PASSWORD);
    // What a cross-site form sends: the cookie and nothing custom.
    let headers: Headers = vec![("Cookie", format!("taskcenter_session={id}"))];
    let (status, body) = rename(&app, &headers, "pwned");
    assert_error(status, &body, 401);
    assert_eq!(app.db.user(alice).display_name, "alice");
}

#[test]
fn a_same_origin_cookie_write_is_allowed() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let id = session(&app, "alice", PASSWORD);
    let mut headers = with_session(alice, &id);
    headers.push(("Origin", app.base_url()));
    let (status, body) = rename(&app, &headers, "Alice");
    assert_eq!(assert_ok(status, &body)["display_name"], "Alice");
    // Without Origin (same-origin GET-like clients, curl) it is allowed too.
    let (status, body) = rename(&app, &with_session(alice, &id), "Alice B.");
    assert_ok(status, &body);
    assert_eq!(app.db.user(alice).display_name, "Alice B.");
}

#[test]
fn token_requests_ignore_origin() {
    let app = spawn_app();
    let mut headers = as_root();
    headers.push(("Origin", "https://elsewhere.example".into()));
    let (status, body) = rename(&app, &headers, "Root");
    assert_ok(status, &body);
}
