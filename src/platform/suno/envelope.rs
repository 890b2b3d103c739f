//! Suno's envelope `{"code", "message", "data"}` and its error codes, for
//! everything under `/suno`.

use std::convert::Infallible;

use serde::Serialize;
use serde_json::{Value, json};
use warp::reject::Rejection;
use warp::reply::{Reply, Response};

use crate::error::Error;
use crate::http::error::{HttpError, from_rejection, respond};

/// The Suno-style success envelope.
#[derive(Serialize)]
struct Success<T> {
    code: &'static str,
    message: &'static str,
    data: T,
}

/// `{"code": "success", "message": "", "data": data}` with 200.
pub fn ok<T: Serialize>(data: T) -> Response {
    warp::reply::json(&Success {
        code: "success",
        message: "",
        data,
    })
    .into_response()
}

/// The bytes [`ok`] answers for `data`.
pub fn ok_body<T: Serialize>(data: &T) -> Vec<u8> {
    serde_json::to_vec(&Success {
        code: "success",
        message: "",
        data,
    })
    .unwrap_or_default()
}

/// The short machine code of an error.
pub fn code(err: &HttpError) -> &'static str {
    match err {
        HttpError::RouteNotFound => "not_found",
        HttpError::MethodNotAllowed => "method_not_allowed",
        HttpError::PayloadTooLarge(_) => "request_too_large",
        HttpError::Service(e) => match e {
            Error::Invalid(_) => "invalid_request",
            Error::Unauthenticated(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "task_not_exist",
            Error::Conflict(_) => "idempotency_key_in_use",
            Error::Unprocessable(_) => "idempotency_key_reused",
            Error::NoChannel(_) => "no_available_channel",
            Error::Upstream { .. } => "upstream_error",
            Error::Unavailable(_) => "service_unavailable",
            Error::TooManyRequests(_) => "too_many_requests",
            Error::Overloaded(_) => "overloaded",
            Error::Internal(_) => "internal_error",
        },
    }
}

/// `{"code": <code>, "message": message, "data": null}`.
pub fn error_body(err: &HttpError, message: &str) -> Value {
    json!({"code": code(err), "message": message, "data": null})
}

/// [`error_body`] with the error's status.
fn render(err: &HttpError, message: &str) -> Response {
    let body = error_body(err, message);
    warp::reply::with_status(warp::reply::json(&body), err.status()).into_response()
}

/// Recover for everything under `/suno`.
pub async fn recover(r: Rejection) -> Result<Response, Infallible> {
    Ok(respond(from_rejection(&r), render))
}
