//! Logging in: passwords, sessions and their cookie, throttling, CSRF, and
//! the password commands of the CLI. Helpers for a browser's view of the
//! API: log in, keep the cookie, send it back.

mod cli;
mod csrf;
mod passwords;
mod sessions;
mod throttling;

use std::io::{Read, Write};
use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::kit::http::Answer;
use crate::kit::{Headers, TestApp, as_root, assert_ok};

/// The session cookie's name.
const COOKIE: &str = "taskcenter_session";

/// A password the rules accept.
const PASSWORD: &str = "correct horse battery";

/// `POST /api/user/login` with these credentials.
fn login(app: &TestApp, username: &str, password: &str) -> Answer {
    let body = json!({"username": username, "password": password});
    app.request_with_headers(
        "POST",
        "/api/user/login",
        &vec![],
        Some(body.to_string().into_bytes()),
    )
}

/// The session id a login answer sets (panics when it sets none).
fn session_of(answer: &Answer) -> String {
    let set = answer.header_values("set-cookie");
    let first = set
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{COOKIE}=")))
        .unwrap_or_else(|| panic!("a {COOKIE} cookie is set: {set:?} {}", answer.body));
    first.split(';').next().unwrap_or_default().to_string()
}

/// Logs in, which must succeed; the session id.
fn session(app: &TestApp, username: &str, password: &str) -> String {
    let answer = login(app, username, password);
    assert_ok(answer.status, &answer.body);
    session_of(&answer)
}

/// Headers of a browser holding session `id` for user `user_id`, as the
/// console sends them (the cookie and `New-Api-User`).
fn with_session(user_id: i64, id: &str) -> Headers {
    vec![
        ("Cookie", format!("{COOKIE}={id}")),
        ("New-Api-User", user_id.to_string()),
    ]
}

/// Creates a common user with [`PASSWORD`] through the API; its id.
fn user_with_password(app: &TestApp, username: &str) -> i64 {
    let (status, body) = app.post(
        "/api/user/",
        &as_root(),
        &json!({"username": username, "password": PASSWORD}),
    );
    assert_ok(status, &body)["id"].as_i64().expect("id")
}

/// One HTTP/1.1 request from the local address `from` (another loopback
/// address than the test client's, as a second client would be); the
/// status and the JSON answer.
fn request_from(
    from: &str,
    to: SocketAddr,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind(format!("{from}:0").parse().expect("an address"))
            .expect("bind the other loopback address");
        socket.connect(to).await.expect("connect")
    });
    let mut stream = stream.into_std().expect("a std stream");
    stream.set_nonblocking(false).expect("blocking");
    let body = body.to_string();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(format!("{head}{body}").as_bytes())
        .expect("send");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read the answer");
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {text}"));
    let json = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let value = serde_json::from_str(json).unwrap_or_else(|e| panic!("JSON ({e}): {text}"));
    (status, value)
}
