//! Passwords: Argon2id hashes, old SHA-256 ones upgraded at login, changing
//! one's own (`PUT /api/user/self`), an admin setting one for a user below
//! them, and the sessions a change or a disabled account ends.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{PASSWORD, login, session, user_with_password, with_session};
use crate::kit::{as_root, assert_error, assert_ok, spawn_app};

fn hash_of(app: &crate::kit::TestApp, id: i64) -> String {
    app.db.user(id).password_hash.expect("a password is set")
}

#[test]
fn new_passwords_are_stored_as_argon2id() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let hash = hash_of(&app, alice);
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

#[test]
fn an_old_sha256_hash_is_upgraded_to_argon2id_at_the_first_login() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let salt = "oldsalt123456789";
    let hex: String = Sha256::digest(format!("{salt}{PASSWORD}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let old = format!("sha256${salt}${hex}");
    app.db.execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        rusqlite::params![old, alice],
    );
    let wrong = login(&app, "alice", "not the password");
    assert_error(wrong.status, &wrong.body, 401);
    assert_eq!(
        hash_of(&app, alice),
        old,
        "a wrong password upgrades nothing"
    );

    let answer = login(&app, "alice", PASSWORD);
    assert_ok(answer.status, &answer.body);
    let upgraded = hash_of(&app, alice);
    assert!(upgraded.starts_with("$argon2id$"), "{upgraded}");
    // And it still logs in with the new hash.
    let again = login(&app, "alice", PASSWORD);
    assert_ok(again.status, &again.body);
}

#[test]
fn changing_ones_password_needs_the_original_and_ends_every_session() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let first = session(&app, "alice", PASSWORD);
    let second = session(&app, "alice", PASSWORD);
    let before = hash_of(&app, alice);

    let headers = with_session(alice, &first);
    let (status, body) = app.put(
        "/api/user/self",
        &headers,
        &json!({"password": "a new password", "original_password": "wrong one"}),
    );
    let message = assert_error(status, &body, 403);
    assert!(message.contains("original_password"), "{message}");
    let (status, body) = app.put(
        "/api/user/self",
        &headers,
        &json!({"password": "a new password"}),
    );
    assert_error(status, &body, 400);
    let (status, body) = app.put(
        "/api/user/self",
        &headers,
        &json!({"password": "short", "original_password": PASSWORD}),
    );
    let message = assert_error(status, &body, 400);
    assert!(message.contains("8 to 128"), "{message}");
    assert_eq!(hash_of(&app, alice), before, "nothing changed");

    let (status, body) = app.put(
        "/api/user/self",
        &headers,
        &json!({"password": "a new password", "original_password": PASSWORD}),
    );
    assert_ok(status, &body);
    for id in [&first, &second] {
        let (status, body) = app.get("/api/user/self", &with_session(alice, id));
        assert_error(status, &body, 401);
    }
    let old = login(&app, "alice", PASSWORD);
    assert_error(old.status, &old.body, 401);
    let new = login(&app, "alice", "a new password");
    assert_ok(new.status, &new.body);
}

#[test]
fn a_user_cannot_raise_their_role_or_quota_through_user_self() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let id = session(&app, "alice", PASSWORD);
    let (status, body) = app.put(
        "/api/user/self",
        &with_session(alice, &id),
        &json!({"display_name": "Alice", "role": 100, "quota": 999999, "status": 1, "group": "vip"}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["display_name"], "Alice");
    let row = app.db.user(alice);
    assert_eq!((row.role, row.quota, row.group.as_str()), (1, 0, "default"));
    let (status, body) = app.get("/api/user/", &with_session(alice, &id));
    assert_error(status, &body, 403);
}

#[test]
fn an_admin_sets_a_password_below_them_only() {
    let app = spawn_app();
    let (_, admin) = app.named_user("admin", "Admin", 10);
    let (other_admin, _) = app.named_user("other", "Other", 10);
    let bob = user_with_password(&app, "bob");
    let bobs_session = session(&app, "bob", PASSWORD);

    let (status, body) = app.put(
        "/api/user/",
        &admin,
        &json!({"id": bob, "password": "set by admin"}),
    );
    assert_ok(status, &body);
    let (status, body) = app.get("/api/user/self", &with_session(bob, &bobs_session));
    assert_error(status, &body, 401);
    let answer = login(&app, "bob", "set by admin");
    assert_ok(answer.status, &answer.body);

    for target in [other_admin, 1] {
        let before = app.db.user(target).password_hash;
        let (status, body) = app.put(
            "/api/user/",
            &admin,
            &json!({"id": target, "password": "takeover!!"}),
        );
        assert_error(status, &body, 403);
        assert_eq!(app.db.user(target).password_hash, before);
    }
    // Root may.
    let (status, body) = app.put(
        "/api/user/",
        &as_root(),
        &json!({"id": other_admin, "password": "set by root"}),
    );
    assert_ok(status, &body);
    let answer = login(&app, "other", "set by root");
    assert_ok(answer.status, &answer.body);
}

#[test]
fn disabling_a_user_ends_their_sessions_and_refuses_their_login() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice");
    let id = session(&app, "alice", PASSWORD);
    app.set_user_status(alice, 2);
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM sessions", []), 0);
    let (status, body) = app.get("/api/user/self", &with_session(alice, &id));
    assert_error(status, &body, 401);
    let answer = login(&app, "alice", PASSWORD);
    assert_error(answer.status, &answer.body, 403);
    assert!(answer.header_values("set-cookie").is_empty());
}
