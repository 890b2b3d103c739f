//! `POST /api/user/login` and `GET /api/user/logout`: the answer, the
//! cookie, the session on every route, a new id on every login.

use serde_json::json;

use super::{PASSWORD, login, session, session_of, user_with_password, with_session};
use crate::kit::{Settings, assert_error, assert_ok, spawn_app, spawn_app_with};

#[test]
fn the_right_password_answers_the_user_and_a_session_cookie() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let answer = login(&app, "alice", PASSWORD);
    let data = assert_ok(answer.status, &answer.body);
    assert_eq!(answer.body["message"], "");
    assert_eq!(data["id"], alice);
    assert_eq!(data["username"], "alice");
    for field in [
        "display_name",
        "role",
        "status",
        "group",
        "quota",
        "used_quota",
    ] {
        assert!(
            data.get(field).is_some(),
            "{field} shown as /api/user/self does: {data}"
        );
    }
    let text = answer.body.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains("hash"), "{text}");
}

#[test]
fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app();
    user_with_password(&app, "alice");
    let wrong_password = login(&app, "alice", "not the password");
    let unknown_user = login(&app, "nobody", PASSWORD);
    assert_eq!(wrong_password.status, 401, "{}", wrong_password.body);
    assert_eq!(unknown_user.status, wrong_password.status);
    assert_eq!(unknown_user.body, wrong_password.body);
    assert_eq!(
        wrong_password.body,
        json!({"success": false, "message": "invalid username or password"})
    );
    for answer in [&wrong_password, &unknown_user] {
        assert!(
            answer.header_values("set-cookie").is_empty(),
            "no cookie on a refusal"
        );
    }
    // Root has no password until one is set: no login as root either.
    let root = login(&app, "root", PASSWORD);
    assert_eq!(root.body, wrong_password.body);
}

#[test]
fn the_cookie_is_httponly_strict_on_every_path_and_not_secure_by_default() {
    let app = spawn_app();
    user_with_password(&app, "alice");
    let answer = login(&app, "alice", PASSWORD);
    let cookie = answer.header_values("set-cookie").join("\n");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(
        !cookie.contains("Secure;") && !cookie.ends_with("Secure"),
        "{cookie}"
    );
}

#[test]
fn cookie_secure_marks_the_cookie_secure() {
    let app = spawn_app_with(Settings::default().cookie_secure());
    user_with_password(&app, "alice");
    let answer = login(&app, "alice", PASSWORD);
    let cookie = answer.header_values("set-cookie").join("\n");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

#[test]
fn a_session_works_on_the_user_routes_and_stops_at_logout() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let id = session(&app, "alice", PASSWORD);
    let headers = with_session(alice, &id);
    for path in ["/api/user/self", "/api/task/self", "/api/token/"] {
        let (status, body) = app.get(path, &headers);
        assert_ok(status, &body);
    }
    let (_, me) = app.get("/api/user/self", &headers);
    assert_eq!(me["data"]["username"], "alice");
    // Admin routes stay refused to a common user's session.
    let (status, body) = app.get("/api/user/", &headers);
    assert_error(status, &body, 403);

    let out = app.request_with_headers("GET", "/api/user/logout", &headers, None);
    assert_ok(out.status, &out.body);
    let cleared = out.header_values("set-cookie").join("\n");
    assert!(
        cleared.contains("Max-Age=0"),
        "logout clears the cookie: {cleared}"
    );
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM sessions", []), 0);
    for path in ["/api/user/self", "/api/task/self", "/api/token/"] {
        let (status, body) = app.get(path, &headers);
        assert_error(status, &body, 401);
    }
}

#[test]
fn every_login_gets_a_new_session_id_and_a_made_up_one_is_refused() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    // A cookie planted before the login (fixation) is not adopted.
    let planted = "planted0123456789planted0123456789planted0";
    let answer = app.request_with_headers(
        "POST",
        "/api/user/login",
        &with_session(alice, planted),
        Some(
            json!({"username": "alice", "password": PASSWORD})
                .to_string()
                .into_bytes(),
        ),
    );
    let first = session_of(&answer);
    let second = session(&app, "alice", PASSWORD);
    assert_ne!(first, planted);
    assert_ne!(first, second);
    assert!(first.len() >= 40, "a long random id: {first}");
    let (status, body) = app.get("/api/user/self", &with_session(alice, planted));
    assert_error(status, &body, 401);
    for id in [&first, &second] {
        let (status, body) = app.get("/api/user/self", &with_session(alice, id));
        assert_ok(status, &body);
    }
    let stored: Vec<String> = app
        .db
        .rows("SELECT id_hash FROM sessions", [], |r| r.get(0));
    assert_eq!(stored.len(), 2);
    assert!(
        !stored.contains(&first) && !stored.contains(&second),
        "ids are stored hashed"
    );
}

#[test]
fn a_session_must_name_its_own_user_in_new_api_user() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let id = session(&app, "alice", PASSWORD);
    let mut headers = with_session(alice, &id);
    headers.retain(|(n, _)| *n != "New-Api-User");
    let (status, body) = app.get("/api/user/self", &headers);
    assert_error(status, &body, 401);
    // Root's id with alice's session: refused, as with a token.
    let (status, body) = app.get("/api/user/self", &with_session(1, &id));
    assert_error(status, &body, 401);
}
