//! OpenAI's error body `{"error": {"message", "type", "param", "code"}}`
//! for everything under `/v1/videos`, so the official SDKs raise their
//! typed exceptions by status.

use std::convert::Infallible;

use serde_json::{Value, json};
use warp::reject::Rejection;
use warp::reply::{Reply, Response};

use crate::error::Error;
use crate::http::error::{HttpError, from_rejection, respond};

/// OpenAI's `type` and `code` of an error.
pub fn kind(err: &HttpError) -> (&'static str, &'static str) {
    match err {
        HttpError::RouteNotFound => ("invalid_request_error", "not_found"),
        HttpError::MethodNotAllowed => ("invalid_request_error", "method_not_allowed"),
        HttpError::PayloadTooLarge(_) => ("invalid_request_error", "request_too_large"),
        HttpError::Service(e) => match e {
            Error::Invalid(_) => ("invalid_request_error", "invalid_request"),
            Error::Unauthenticated(_) => ("authentication_error", "invalid_api_key"),
            Error::Forbidden(m) if m.contains("quota") => {
                ("permission_error", "insufficient_quota")
            }
            Error::Forbidden(_) => ("permission_error", "forbidden"),
            Error::NotFound(_) => ("invalid_request_error", "video_not_found"),
            Error::Conflict(_) => ("invalid_request_error", "idempotency_key_in_use"),
            Error::Unprocessable(_) => ("invalid_request_error", "idempotency_key_reused"),
            Error::NoChannel(_) => ("server_error", "no_available_channel"),
            Error::Unavailable(_) => ("server_error", "service_unavailable"),
            Error::TooManyRequests(_) => ("rate_limit_error", "too_many_requests"),
            Error::Overloaded(_) => ("server_error", "overloaded"),
            Error::Upstream { status: 429, .. } => ("rate_limit_error", "upstream_error"),
            Error::Upstream { .. } => ("server_error", "upstream_error"),
            Error::Internal(_) => ("server_error", "internal_error"),
        },
    }
}

/// OpenAI's error body.
pub fn error_body(err: &HttpError, message: &str) -> Value {
    let (kind, code) = kind(err);
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// [`error_body`] with the error's status.
fn render(err: &HttpError, message: &str) -> Response {
    let body = error_body(err, message);
    warp::reply::with_status(warp::reply::json(&body), err.status()).into_response()
}

/// Recover for everything under `/v1/videos`.
pub async fn recover(r: Rejection) -> Result<Response, Infallible> {
    Ok(respond(from_rejection(&r), render))
}
