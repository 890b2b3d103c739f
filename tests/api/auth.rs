//! The authentication matrix of the management API: who gets 401, who gets
//! 403, and which header forms are accepted.

use crate::kit::{
    Headers, ROOT_TOKEN, TaskSpec, as_root, as_user, assert_error, assert_ok, item_ids,
    new_task_id, spawn_app, task,
};

/// Routes that any enabled user may call.
const USER_ROUTES: [&str; 2] = ["/api/user/self", "/api/task/self"];

#[test]
fn no_credentials_is_401_on_every_protected_route() {
    let app = spawn_app();
    for path in USER_ROUTES.iter().chain(&["/api/task/", "/api/user/token"]) {
        let (status, body) = app.get(path, &vec![]);
        let message = assert_error(status, &body, 401);
        assert!(
            message.to_lowercase().contains("token"),
            "{path}: the message says the token is missing: {message}"
        );
    }
}

#[test]
fn missing_token_with_a_user_id_is_401() {
    let app = spawn_app();
    let headers: Headers = vec![("New-Api-User", "1".into())];
    for path in USER_ROUTES {
        let (status, body) = app.get(path, &headers);
        assert_error(status, &body, 401);
    }
}

#[test]
fn empty_bearer_token_is_401() {
    let app = spawn_app();
    let headers: Headers = vec![
        ("Authorization", "Bearer ".into()),
        ("New-Api-User", "1".into()),
    ];
    let (status, body) = app.get("/api/user/self", &headers);
    assert_error(status, &body, 401);
}

#[test]
fn unknown_token_is_401() {
    let app = spawn_app();
    for path in USER_ROUTES {
        let (status, body) = app.get(path, &as_user(1, "not-a-real-token"));
        let message = assert_error(status, &body, 401);
        assert!(
            message.to_lowercase().contains("token"),
            "{path}: the message blames the token: {message}"
        );
    }
}

#[test]
fn missing_new_api_user_is_401() {
    let app = spawn_app();
    let headers: Headers = vec![("Authorization", format!("Bearer {ROOT_TOKEN}"))];
    for path in USER_ROUTES {
        let (status, body) = app.get(path, &headers);
        let message = assert_error(status, &body, 401);
        assert!(
            message.contains("New-Api-User"),
            "{path}: the message names the header: {message}"
        );
    }
}

#[test]
fn non_numeric_new_api_user_is_401() {
    let app = spawn_app();
    for claimed in ["root", "1.0", "-", "Bearer x", "0x1"] {
        let headers: Headers = vec![
            ("Authorization", format!("Bearer {ROOT_TOKEN}")),
            ("New-Api-User", claimed.into()),
        ];
        let (status, body) = app.get("/api/user/self", &headers);
        let message = assert_error(status, &body, 401);
        assert!(
            message.contains("New-Api-User"),
            "New-Api-User {claimed:?}: the message names the header: {message}"
        );
    }
}

#[test]
fn new_api_user_that_does_not_own_the_token_is_401() {
    let app = spawn_app();
    let (alice, alice_token) = app.create_user("alice", 1, 0);
    // Root's token claiming to be alice, and alice's token claiming to be root.
    for headers in [as_user(alice, ROOT_TOKEN), as_user(1, &alice_token)] {
        for path in USER_ROUTES {
            let (status, body) = app.get(path, &headers);
            assert_error(status, &body, 401);
        }
    }
    // An id nobody has.
    let (status, body) = app.get("/api/user/self", &as_user(999, &alice_token));
    assert_error(status, &body, 401);
}

#[test]
fn new_api_user_is_accepted_in_the_bearer_form() {
    let app = spawn_app();
    let (alice, alice_token) = app.create_user("alice", 1, 0);
    // The seed's own example sends `New-Api-User: Bearer 7`.
    let headers: Headers = vec![
        ("Authorization", format!("Bearer {alice_token}")),
        ("New-Api-User", format!("Bearer {alice}")),
    ];
    let body = app.get_ok("/api/user/self", &headers);
    assert_eq!(body["id"], alice);
    let (status, body) = app.get("/api/task/self", &headers);
    assert_ok(status, &body);
}

#[test]
fn bearer_form_of_new_api_user_must_still_match() {
    let app = spawn_app();
    let (alice, _) = app.create_user("alice", 1, 0);
    let headers: Headers = vec![
        ("Authorization", format!("Bearer {ROOT_TOKEN}")),
        ("New-Api-User", format!("Bearer {alice}")),
    ];
    let (status, body) = app.get("/api/user/self", &headers);
    assert_error(status, &body, 401);
}

#[test]
fn token_is_accepted_with_and_without_the_bearer_prefix() {
    let app = spawn_app();
    for authorization in [
        format!("Bearer {ROOT_TOKEN}"),
        format!("bearer {ROOT_TOKEN}"),
        ROOT_TOKEN.to_string(),
    ] {
        let headers: Headers = vec![
            ("Authorization", authorization.clone()),
            ("New-Api-User", "1".into()),
        ];
        let (status, body) = app.get("/api/user/self", &headers);
        let data = assert_ok(status, &body);
        assert_eq!(data["id"], 1, "Authorization {authorization:?}");
    }
}

#[test]
fn common_user_on_admin_routes_is_403() {
    let app = spawn_app();
    let (_, alice) = app.common_user("alice");
    let (status, body) = app.get("/api/task/", &alice);
    let message = assert_error(status, &body, 403);
    assert!(
        message.contains("admin"),
        "the message names the role needed: {message}"
    );
    let (status, body) = app.post(
        "/api/user/",
        &alice,
        &serde_json::json!({"username": "mallory"}),
    );
    assert_error(status, &body, 403);
}

#[test]
fn task_lists_refuse_the_credentials_before_a_bad_query() {
    // The lists check credentials on the handler's hop (`wire::own_and_all`):
    // a caller who may not list still hears 401 / 403, never the 400 of the
    // page number, and a bad percent-escape reaches the handler as text.
    let app = spawn_app();
    let (_, alice) = app.common_user("alice");
    let stranger: Headers = vec![
        ("Authorization", "Bearer not-a-token".into()),
        ("New-Api-User", "1".into()),
    ];
    for path in ["/api/task/self?p=abc", "/api/task/?p=abc&x=%ZZ"] {
        let (status, body) = app.get(path, &stranger);
        assert_error(status, &body, 401);
    }
    let (status, body) = app.get("/api/task/?p=abc", &alice);
    assert_error(status, &body, 403);
    let (status, body) = app.get("/api/task/self?p=abc&x=%ZZ", &alice);
    assert_error(status, &body, 400);
    let (status, body) = app.get("/api/task/self?x=%ZZ", &alice);
    assert_ok(status, &body);
}

#[test]
fn admin_and_root_may_use_admin_routes() {
    let app = spawn_app();
    let (admin, admin_token) = app.create_user("admin", 10, 0);
    for headers in [as_root(), as_user(admin, &admin_token)] {
        let (status, body) = app.get("/api/task/", &headers);
        assert_ok(status, &body);
    }
}

#[test]
fn disabled_user_is_403() {
    let app = spawn_app();
    let (alice, alice_headers) = app.common_user("alice");
    app.set_user_status(alice, 2);
    for path in USER_ROUTES.iter().chain(&["/api/user/token"]) {
        let (status, body) = app.get(path, &alice_headers);
        let message = assert_error(status, &body, 403);
        assert!(
            message.contains("disabled"),
            "{path}: the message says why: {message}"
        );
    }
}

#[test]
fn disabled_admin_is_403_on_admin_routes() {
    let app = spawn_app();
    let (admin, admin_token) = app.create_user("admin", 10, 0);
    app.set_user_status(admin, 2);
    let (status, body) = app.get("/api/task/", &as_user(admin, &admin_token));
    assert_error(status, &body, 403);
}

#[test]
fn re_enabled_user_gets_in_again() {
    let app = spawn_app();
    let (alice, alice_headers) = app.common_user("alice");
    app.set_user_status(alice, 2);
    let (status, _) = app.get("/api/user/self", &alice_headers);
    assert_eq!(status, 403);
    app.set_user_status(alice, 1);
    let (status, body) = app.get("/api/user/self", &alice_headers);
    assert_ok(status, &body);
}

#[test]
fn user_never_sees_another_users_tasks() {
    let app = spawn_app();
    let (alice, alice_headers) = app.common_user("alice");
    let (bob, bob_headers) = app.common_user("bob");
    let alice_ids = app.insert_tasks(&[task(alice, 100), task(alice, 200)]);
    let bob_task_id = new_task_id();
    let bob_ids = app.insert_tasks(&[TaskSpec {
        task_id: bob_task_id.clone(),
        ..task(bob, 150)
    }]);

    let (status, body) = app.get("/api/task/self", &alice_headers);
    let data = assert_ok(status, &body);
    assert_eq!(item_ids(data), vec![alice_ids[1], alice_ids[0]]);
    assert_eq!(data["total"], 2);

    let (status, body) = app.get("/api/task/self", &bob_headers);
    let data = assert_ok(status, &body);
    assert_eq!(item_ids(data), bob_ids);
    assert_eq!(data["total"], 1);

    // Naming bob's task, or a channel, does not widen alice's view.
    for query in [
        format!("task_id={bob_task_id}"),
        "channel_id=1".to_string(),
        format!("user_id={bob}"),
    ] {
        let (status, body) = app.get(&format!("/api/task/self?{query}"), &alice_headers);
        let data = assert_ok(status, &body);
        assert!(
            item_ids(data).iter().all(|id| alice_ids.contains(id)),
            "{query}: alice only sees her own tasks: {data}"
        );
    }
}
