//! Failed logins: 10 a minute per username and per client address, then
//! 429 in the management envelope, the right password included.

use serde_json::json;

use super::{PASSWORD, login, request_from, user_with_password};
use crate::kit::{assert_error, assert_ok, spawn_app};

/// Another loopback address than the test client's 127.0.0.1.
const OTHER_CLIENT: &str = "127.0.0.2";

#[test]
fn ten_failures_for_a_username_block_it_from_every_address() {
    let app = spawn_app();
    user_with_password(&app, "alice");
    user_with_password(&app, "bob");
    for _ in 0..10 {
        let (status, body) = request_from(
            OTHER_CLIENT,
            app.addr,
            "POST",
            "/api/user/login",
            &json!({"username": "alice", "password": "guess guess"}),
        );
        assert_error(status, &body, 401);
    }
    // Even the right password, even from another address: blocked.
    let answer = login(&app, "alice", PASSWORD);
    let message = assert_error(answer.status, &answer.body, 429);
    assert!(message.contains("too many failed logins"), "{message}");
    assert!(answer.header_values("set-cookie").is_empty());
    // Another user from that other address is not blocked by alice's count.
    let answer = login(&app, "bob", PASSWORD);
    assert_ok(answer.status, &answer.body);
}

#[test]
fn ten_failures_from_an_address_block_it_for_every_username() {
    let app = spawn_app();
    user_with_password(&app, "alice");
    for n in 0..10 {
        let answer = login(&app, &format!("spray{n}"), "guess guess");
        assert_error(answer.status, &answer.body, 401);
    }
    let answer = login(&app, "alice", PASSWORD);
    assert_error(answer.status, &answer.body, 429);
    // The same user from another address is let in.
    let (status, body) = request_from(
        OTHER_CLIENT,
        app.addr,
        "POST",
        "/api/user/login",
        &json!({"username": "alice", "password": PASSWORD}),
    );
    assert_ok(status, &body);
}

#[test]
fn nine_failures_then_the_right_password_logs_in() {
    let app = spawn_app();
    user_with_password(&app, "alice");
    for _ in 0..9 {
        let answer = login(&app, "alice", "guess guess");
        assert_error(answer.status, &answer.body, 401);
    }
    let answer = login(&app, "alice", PASSWORD);
    assert_ok(answer.status, &answer.body);
}
