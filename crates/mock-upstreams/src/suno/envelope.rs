//! Suno's answers: `{"code": "success", "message": "", "data": ...}`, or an error code with
//! a message and no data.

use serde::Serialize;
use warp::http::StatusCode;

use crate::reply::Answer;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    code: &'a str,
    message: &'a str,
    data: T,
}

/// HTTP 200 with `data` in a success envelope.
pub(crate) fn success<T: Serialize>(data: T) -> Answer {
    let envelope = Envelope {
        code: "success",
        message: "",
        data,
    };
    match serde_json::to_vec(&envelope) {
        Ok(body) => Answer {
            status: StatusCode::OK,
            body,
        },
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}

/// Suno's error envelope: `invalid_request` for 4xx, `internal_error` for 5xx.
pub(crate) fn error(status: StatusCode, message: &str) -> Answer {
    let code = if status.is_server_error() {
        "internal_error"
    } else {
        "invalid_request"
    };
    let envelope = Envelope {
        code,
        message,
        data: (),
    };
    Answer {
        status,
        body: serde_json::to_vec(&envelope).unwrap_or_default(),
    }
}

/// HTTP 400 `invalid_request` with `message`.
pub(crate) fn bad_request(message: &str) -> Answer {
    error(StatusCode::BAD_REQUEST, message)
}

/// HTTP 404 for an id the mock does not know.
pub(crate) fn task_not_found() -> Answer {
    error(StatusCode::NOT_FOUND, "task not found")
}

/// HTTP 401 for a wrong or missing secret, worded as Suno-API words it.
pub(crate) fn unauthorized() -> Answer {
    error(StatusCode::UNAUTHORIZED, "unauthorized secret token")
}
