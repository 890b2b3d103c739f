//! Idempotent submissions: `Idempotency-Key` on every submission route.
//! A retry gets the stored answer without a second charge, task or
//! upstream call; a reused key for another request is a 422; a concurrent
//! one a 409; a crash between the charge and the answer is recovered from
//! the charged task.

mod concurrency;
mod crash;
mod expiry;
mod replay;
mod video;

use serde_json::Value;

use crate::kit::http::Answer;
use crate::kit::{Headers, TestApp, bearer};

/// `Authorization` with `key` plus `Idempotency-Key: idem`.
fn keyed(key: &str, idem: &str) -> Headers {
    let mut headers = bearer(key);
    headers.push(("Idempotency-Key", idem.to_string()));
    headers
}

/// `POST path` with `key`, `Idempotency-Key: idem` and a JSON body.
fn post_keyed(app: &TestApp, path: &str, key: &str, idem: &str, body: &Value) -> Answer {
    app.request_with_headers(
        "POST",
        path,
        &keyed(key, idem),
        Some(body.to_string().into_bytes()),
    )
}

/// `POST /suno/submit/{action}` with `key` and `Idempotency-Key: idem`.
fn submit_keyed(app: &TestApp, key: &str, idem: &str, action: &str, body: &Value) -> Answer {
    post_keyed(app, &format!("/suno/submit/{action}"), key, idem, body)
}

/// Whether the answer is a stored one (`Idempotent-Replayed: true`).
fn replayed(answer: &Answer) -> bool {
    answer.header_values("Idempotent-Replayed") == ["true"]
}
