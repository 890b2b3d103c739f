//! `GET /api/status`, `GET /api/user/self`, `POST /api/user/`,
//! `GET /api/user/token`, and how unknown routes and wrong methods answer.

use serde_json::json;

use crate::kit::{
    Headers, ROOT_TOKEN, as_root, as_user, assert_error, assert_ok, mentions, request_head,
    root_auth, spawn_app, unix_now,
};

#[test]
fn status_needs_no_auth_and_reports_version_and_start_time() {
    let before = unix_now();
    let app = spawn_app();
    let (status, body) = app.get("/api/status", &vec![]);
    let after = unix_now();
    let data = assert_ok(status, &body);
    assert_eq!(data["version"], env!("CARGO_PKG_VERSION"));
    let start = data["start_time"]
        .as_i64()
        .expect("start_time is an integer");
    assert!(
        (before..=after).contains(&start),
        "start_time {start} is when the server started ({before}..={after})"
    );
}

#[test]
fn user_self_shows_the_root_account() {
    let app = spawn_app();
    let (status, body) = app.get("/api/user/self", &as_root());
    let data = assert_ok(status, &body);
    assert_eq!(data["id"], 1);
    assert_eq!(data["username"], "root");
    assert_eq!(data["role"], 100);
    assert_eq!(data["status"], 1);
    assert_eq!(data["group"], "default");
    assert!(data["display_name"].is_string());
    for field in ["quota", "used_quota", "request_count"] {
        assert!(data[field].is_i64(), "{field} is an integer: {data}");
    }
}

#[test]
fn user_self_shows_the_callers_account_and_no_secret() {
    let app = spawn_app();
    let (status, body) = app.post(
        "/api/user/",
        &as_root(),
        &json!({
            "username": "alice",
            "password": "correct horse battery staple",
            "display_name": "Alice A.",
            "group": "vip",
            "quota": 500000
        }),
    );
    let created = assert_ok(status, &body);
    let id = created["id"].as_i64().expect("id");
    let token = created["access_token"].as_str().expect("token");

    let (status, body) = app.get("/api/user/self", &as_user(id, token));
    let data = assert_ok(status, &body);
    assert_eq!(data["id"], id);
    assert_eq!(data["username"], "alice");
    assert_eq!(data["display_name"], "Alice A.");
    assert_eq!(data["role"], 1);
    assert_eq!(data["status"], 1);
    assert_eq!(data["group"], "vip");
    assert_eq!(data["quota"], 500000);
    assert_eq!(data["used_quota"], 0);
    assert_eq!(data["request_count"], 0);
    let text = body.to_string();
    assert!(
        !text.contains(token),
        "the token is not shown again: {text}"
    );
    assert!(
        !text.contains("correct horse"),
        "the password is never shown: {text}"
    );
    for key in data.as_object().expect("object").keys() {
        assert!(
            !key.contains("password") && !key.contains("hash") && !key.contains("token"),
            "no secret field {key}: {data}"
        );
    }
}

#[test]
fn root_creates_a_common_user_whose_token_works() {
    let app = spawn_app();
    let (status, body) = app.post(
        "/api/user/",
        &as_root(),
        &json!({"username": "alice", "quota": 1000}),
    );
    let data = assert_ok(status, &body);
    let id = data["id"].as_i64().expect("id");
    assert!(id > 1, "a new id: {data}");
    assert_eq!(data["username"], "alice");
    assert_eq!(data["role"], 1, "common by default");
    assert_eq!(data["group"], "default");
    assert_eq!(data["quota"], 1000);
    let token = data["access_token"].as_str().expect("access_token");
    // At least 128 random bits: 22 alphanumerics carry about 131.
    assert!(token.len() >= 22, "token is long enough: {token}");

    let body = app.get_ok("/api/user/self", &as_user(id, token));
    assert_eq!(body["username"], "alice");
}

#[test]
fn every_new_user_gets_a_different_token() {
    let app = spawn_app();
    let (_, a) = app.create_user("alice", 1, 0);
    let (_, b) = app.create_user("bob", 1, 0);
    assert_ne!(a, b);
}

#[test]
fn admin_creates_common_users_but_not_admins() {
    let app = spawn_app();
    let (admin, admin_token) = app.create_user("admin", 10, 0);
    let admin_headers = as_user(admin, &admin_token);

    let (status, body) = app.post("/api/user/", &admin_headers, &json!({"username": "carol"}));
    assert_eq!(assert_ok(status, &body)["role"], 1);

    let (status, body) = app.post(
        "/api/user/",
        &admin_headers,
        &json!({"username": "dave", "role": 10}),
    );
    let message = assert_error(status, &body, 403);
    assert!(message.contains("root"), "{message}");
    // Nothing was created: the name is still free.
    let (status, body) = app.post("/api/user/", &as_root(), &json!({"username": "dave"}));
    assert_ok(status, &body);
}

#[test]
fn root_creates_an_admin_who_can_use_admin_routes() {
    let app = spawn_app();
    let (status, body) = app.post(
        "/api/user/",
        &as_root(),
        &json!({"username": "admin", "role": 10}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["role"], 10);
    let id = data["id"].as_i64().expect("id");
    let token = data["access_token"].as_str().expect("token");
    let (status, body) = app.get("/api/task/", &as_user(id, token));
    assert_ok(status, &body);
}

#[test]
fn nobody_creates_a_root_user() {
    let app = spawn_app();
    let (admin, admin_token) = app.create_user("admin", 10, 0);
    for headers in [as_root(), as_user(admin, &admin_token)] {
        let (status, body) = app.post(
            "/api/user/",
            &headers,
            &json!({"username": "root2", "role": 100}),
        );
        assert_error(status, &body, 403);
    }
    let (status, body) = app.post("/api/user/", &as_root(), &json!({"username": "root2"}));
    assert_eq!(
        assert_ok(status, &body)["role"],
        1,
        "no root2 was created before"
    );
}

#[test]
fn common_user_cannot_create_users() {
    let app = spawn_app();
    let (_, alice) = app.common_user("alice");
    let (status, body) = app.post("/api/user/", &alice, &json!({"username": "mallory"}));
    assert_error(status, &body, 403);
}

#[test]
fn duplicate_username_is_400() {
    let app = spawn_app();
    app.create_user("alice", 1, 0);
    let (status, body) = app.post("/api/user/", &as_root(), &json!({"username": "alice"}));
    let message = assert_error(status, &body, 400);
    assert!(message.contains("alice"), "names the username: {message}");
    let (status, body) = app.post("/api/user/", &as_root(), &json!({"username": "root"}));
    assert_error(status, &body, 400);
}

#[test]
fn invalid_user_bodies_are_400() {
    let app = spawn_app();
    for (body, word) in [
        (json!({}), Some("username")),
        (json!({"username": ""}), Some("username")),
        (json!({"username": "eve", "role": 5}), Some("role")),
        (json!({"username": "eve", "quota": -1}), Some("quota")),
        (json!({"username": 5}), None),
        (json!({"username": "eve", "quota": "lots"}), None),
    ] {
        let (status, reply) = app.post("/api/user/", &as_root(), &body);
        let message = assert_error(status, &reply, 400);
        if let Some(word) = word {
            assert!(mentions(&message, word), "{body}: names {word}: {message}");
        }
    }
}

#[test]
fn malformed_or_empty_json_body_is_400() {
    let app = spawn_app();
    for raw in ["{\"username\": ", "not json", "", "[]"] {
        let (status, body) = app.request(
            "POST",
            "/api/user/",
            &as_root(),
            Some(raw.as_bytes().to_vec()),
        );
        assert_error(status, &body, 400);
    }
}

#[test]
fn body_declared_over_the_limit_is_413_before_it_is_sent() {
    let app = spawn_app();
    let head = request_head(
        "POST",
        "/api/user/",
        &root_auth(),
        &format!("Content-Length: {}\r\n", 2 * 1024 * 1024),
    );
    let (status, body) = app.exchange(&head, Vec::new());
    let message = assert_error(status, &body, 413);
    assert!(message.contains("1048576"), "names the limit: {message}");
}

#[test]
fn body_just_under_the_limit_is_read() {
    // A body near 1 MiB is parsed, so the limit is not set far too low.
    let app = spawn_app();
    let (status, body) = app.post(
        "/api/user/",
        &as_root(),
        &json!({"username": "alice", "display_name": "x".repeat(1000 * 1000)}),
    );
    assert_ok(status, &body);
}

#[test]
fn token_rotation_retires_the_old_token() {
    let app = spawn_app();
    let (alice, old) = app.create_user("alice", 1, 0);
    let (status, body) = app.get("/api/user/token", &as_user(alice, &old));
    let new = assert_ok(status, &body)
        .as_str()
        .expect("data is the new token string")
        .to_string();
    assert_ne!(new, old);
    assert!(new.len() >= 22, "token is long enough: {new}");

    let (status, body) = app.get("/api/user/self", &as_user(alice, &old));
    assert_error(status, &body, 401);
    let body = app.get_ok("/api/user/self", &as_user(alice, &new));
    assert_eq!(body["id"], alice);
}

#[test]
fn access_tokens_are_stored_only_as_hashes() {
    let app = spawn_app();
    let (alice, first) = app.create_user("alice", 1, 0);
    let (status, body) = app.get("/api/user/token", &as_user(alice, &first));
    let rotated = assert_ok(status, &body)
        .as_str()
        .expect("token")
        .to_string();
    // Every users row as text.
    let rows = app.db.fingerprint();
    let texts = rows.iter().filter(|line| line.starts_with("users: "));
    for text in texts {
        for secret in [ROOT_TOKEN, first.as_str(), rotated.as_str()] {
            assert!(
                !text.contains(secret),
                "a users column holds an access token in clear: {text}"
            );
        }
    }
}

#[test]
fn status_ignores_credentials_even_bad_ones() {
    let app = spawn_app();
    let (status, body) = app.get("/api/status", &as_user(1, "wrong-token"));
    assert_ok(status, &body);
}

#[test]
fn root_token_rotation_leaves_other_users_alone() {
    let app = spawn_app();
    let (alice, alice_token) = app.create_user("alice", 1, 0);
    let (status, body) = app.get("/api/user/token", &as_root());
    let new_root = assert_ok(status, &body)
        .as_str()
        .expect("token")
        .to_string();
    let (status, body) = app.get("/api/user/self", &as_user(1, &new_root));
    assert_ok(status, &body);
    let (status, body) = app.get("/api/user/self", &as_user(alice, &alice_token));
    assert_ok(status, &body);
}

#[test]
fn unknown_route_is_404_in_the_error_envelope() {
    let app = spawn_app();
    for path in [
        "/api/nope",
        "/api/task/self/extra",
        "/nothing",
        "/assets/nope.js",
    ] {
        let (status, body) = app.get(path, &as_root());
        assert_error(status, &body, 404);
    }
    let (status, body) = app.get("/api/nope", &vec![]);
    assert_error(status, &body, 404);
}

#[test]
fn wrong_method_is_405_in_the_error_envelope() {
    let app = spawn_app();
    let headers: Headers = as_root();
    for (method, path) in [
        ("DELETE", "/api/task/self"),
        ("POST", "/api/task/self"),
        ("DELETE", "/api/user/self"),
        ("POST", "/api/status"),
        ("DELETE", "/api/user/"),
        ("POST", "/api/user/token"),
    ] {
        let (status, body) = app.request(method, path, &headers, None);
        let message = assert_error(status, &body, 405);
        assert!(!message.is_empty(), "{method} {path}");
    }
}
