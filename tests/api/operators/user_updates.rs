//! `PUT /api/user/`: what an admin and root may change, the roles nobody
//! may grant or remove, disabling, and the 400/403/404 of a bad update.

use serde_json::json;

use crate::kit::{
    Settings, as_root, assert_error, assert_ok, slow_mock, spawn_app, spawn_app_with,
};

#[test]
fn admin_updates_a_common_user() {
    let app = spawn_app();
    let (_, admin) = app.named_user("admin", "Admin", 10);
    let (bob, _) = app.named_user("bob", "Bob", 1);
    let (status, body) = app.put(
        "/api/user/",
        &admin,
        &json!({"id": bob, "display_name": "Robert", "group": "vip", "password": "s3cret!-long"}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["display_name"], "Robert", "{body}");
    assert_eq!(data["group"], "vip", "{body}");
    assert!(!body.to_string().contains("s3cret!-long"), "{body}");
    let seen = app.get_ok(&format!("/api/user/{bob}"), &as_root());
    assert_eq!(seen["display_name"], "Robert");
    assert_eq!(seen["group"], "vip");
    assert_eq!(seen["role"], 1, "unchanged");
    let hash = app.db.user(bob).password_hash.expect("a password is set");
    assert!(!hash.contains("s3cret!-long"), "stored hashed: {hash}");
}

#[test]
fn admin_cannot_change_another_admin_or_root() {
    let app = spawn_app();
    let (_, admin) = app.named_user("admin", "Admin", 10);
    let (other, _) = app.named_user("other", "Other Admin", 10);
    for (id, body) in [
        (other, json!({"id": other, "display_name": "hacked"})),
        (other, json!({"id": other, "status": 2})),
        (other, json!({"id": other, "role": 1})),
        (1, json!({"id": 1, "display_name": "hacked"})),
        (1, json!({"id": 1, "status": 2})),
    ] {
        let before = app.db.user(id);
        let (status, reply) = app.put("/api/user/", &admin, &body);
        assert_error(status, &reply, 403);
        assert_eq!(app.db.user(id), before, "{body} changed nothing");
    }
}

/// Issue 5 §1: "An admin cannot change an admin or root" — itself included,
/// or an admin could move itself to a cheaper pricing group.
#[test]
fn admin_cannot_change_its_own_record_through_the_admin_route() {
    let app = spawn_app();
    let (admin_id, admin) = app.named_user("admin", "Admin", 10);
    let before = app.db.user(admin_id);
    let (status, body) = app.put(
        "/api/user/",
        &admin,
        &json!({"id": admin_id, "group": "vip"}),
    );
    assert_error(status, &body, 403);
    assert_eq!(app.db.user(admin_id), before);
}

#[test]
fn only_root_grants_or_removes_the_admin_role() {
    let app = spawn_app();
    let (_, admin) = app.named_user("admin", "Admin", 10);
    let (bob, bob_headers) = app.named_user("bob", "Bob", 1);

    let (status, body) = app.put("/api/user/", &admin, &json!({"id": bob, "role": 10}));
    assert_error(status, &body, 403);
    assert_eq!(app.db.user(bob).role, 1);
    let (status, body) = app.get("/api/user/", &bob_headers);
    assert_error(status, &body, 403);

    let (status, body) = app.put("/api/user/", &as_root(), &json!({"id": bob, "role": 10}));
    assert_eq!(assert_ok(status, &body)["role"], 10);
    let (status, body) = app.get("/api/user/", &bob_headers);
    assert_ok(status, &body);

    let (status, body) = app.put("/api/user/", &as_root(), &json!({"id": bob, "role": 1}));
    assert_eq!(assert_ok(status, &body)["role"], 1);
    let (status, body) = app.get("/api/user/", &bob_headers);
    assert_error(status, &body, 403);
}

#[test]
fn nobody_disables_demotes_or_crowns_anyone_root() {
    let app = spawn_app();
    let (bob, _) = app.named_user("bob", "Bob", 1);
    let root_before = app.db.user(1);
    for body in [
        json!({"id": 1, "status": 2}),
        json!({"id": 1, "role": 10}),
        json!({"id": 1, "role": 1}),
    ] {
        let (status, reply) = app.put("/api/user/", &as_root(), &body);
        assert!(
            status == 400 || status == 403,
            "{body}: refused, got {status}: {reply}"
        );
        assert_eq!(reply["success"], json!(false), "{reply}");
    }
    assert_eq!(app.db.user(1), root_before, "root is untouched");
    let (status, body) = app.get("/api/user/self", &as_root());
    assert_ok(status, &body);

    let (status, reply) = app.put("/api/user/", &as_root(), &json!({"id": bob, "role": 100}));
    assert!(
        status == 400 || status == 403,
        "a second root: refused, got {status}: {reply}"
    );
    assert_eq!(app.db.user(bob).role, 1);
}

#[test]
fn a_disabled_user_gets_403_until_enabled_again() {
    let app = spawn_app_with(Settings::default().without_worker());
    app.attach(slow_mock(), "mock", 0);
    let (_, admin) = app.named_user("admin", "Admin", 10);
    let erin = app.customer_with_key(
        "erin",
        200_000,
        &json!({"name": "k", "unlimited_quota": true}),
    );

    let (status, body) = app.put("/api/user/", &admin, &json!({"id": erin.id, "status": 2}));
    assert_eq!(assert_ok(status, &body)["status"], 2);
    for path in ["/api/user/self", "/api/log/self", "/api/task/self"] {
        let (status, body) = app.get(path, &erin.headers);
        assert_error(status, &body, 403);
    }
    let (status, body) = app.submit(&erin.key, "music", &json!({"prompt": "x"}));
    assert_eq!(status, 403, "a disabled user's key is refused: {body}");
    assert_eq!(app.db.user(erin.id).quota, 200_000, "nothing charged");

    let (status, body) = app.put("/api/user/", &admin, &json!({"id": erin.id, "status": 1}));
    assert_ok(status, &body);
    let (status, body) = app.get("/api/user/self", &erin.headers);
    assert_ok(status, &body);
    app.submit_music(&erin.key, "a song about ledgers");
}

#[test]
fn bad_updates_are_400_unknown_users_404_common_users_403() {
    let app = spawn_app();
    let (bob, bob_headers) = app.named_user("bob", "Bob", 1);
    let before = app.db.user(bob);
    for body in [
        json!({"id": bob, "role": 5}),
        json!({"id": bob, "status": 3}),
        json!({"id": bob, "status": 0}),
        json!({"id": bob, "display_name": "x".repeat(65)}),
        json!({"display_name": "no id"}),
        json!({"id": "bob"}),
    ] {
        let (status, reply) = app.put("/api/user/", &as_root(), &body);
        assert_error(status, &reply, 400);
    }
    let (status, reply) = app.request("PUT", "/api/user/", &as_root(), Some(b"{not json".to_vec()));
    assert_error(status, &reply, 400);
    assert_eq!(app.db.user(bob), before, "nothing changed");

    let (status, reply) = app.put(
        "/api/user/",
        &as_root(),
        &json!({"id": 9999, "display_name": "x"}),
    );
    assert_error(status, &reply, 404);
    let (status, reply) = app.put(
        "/api/user/",
        &bob_headers,
        &json!({"id": bob, "group": "vip"}),
    );
    assert_error(status, &reply, 403);
    assert_eq!(app.db.user(bob), before, "nothing changed");
}
