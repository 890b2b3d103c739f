//! OpenAI's error answers, `{"error": {"message", "type", "param", "code"}}`, built in this
//! one place from [`ApiError`].

use serde::Serialize;
use warp::http::StatusCode;

use crate::reply::Answer;

/// A refusal of the video API: the HTTP status and what the `error` object says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) param: Option<&'static str>,
    pub(crate) code: Option<&'static str>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    message: &'a str,
    r#type: &'static str,
    param: Option<&'static str>,
    code: Option<&'static str>,
}

impl ApiError {
    /// HTTP 400 about one parameter.
    pub(crate) fn invalid(param: &'static str, message: &str) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.to_string(),
            param: Some(param),
            code: None,
        }
    }

    /// HTTP 400 about the body as a whole.
    pub(crate) fn bad_request(message: &str) -> ApiError {
        ApiError::status(StatusCode::BAD_REQUEST, message)
    }

    /// HTTP 404 for a video the mock does not know (or no longer, or will not admit to).
    pub(crate) fn video_not_found(id: &str) -> ApiError {
        ApiError::status(
            StatusCode::NOT_FOUND,
            &format!("Video with id '{id}' not found."),
        )
    }

    /// HTTP 401, worded as OpenAI words a missing or wrong key.
    pub(crate) fn unauthorized(sent_a_key: bool) -> ApiError {
        let message = if sent_a_key {
            "Incorrect API key provided."
        } else {
            "You didn't provide an API key. You need to provide your API key in an \
             Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        };
        ApiError {
            code: Some("invalid_api_key"),
            ..ApiError::status(StatusCode::UNAUTHORIZED, message)
        }
    }

    /// Any status with a message; 429 carries OpenAI's `rate_limit_exceeded` code.
    pub(crate) fn status(status: StatusCode, message: &str) -> ApiError {
        ApiError {
            status,
            message: message.to_string(),
            param: None,
            code: (status == StatusCode::TOO_MANY_REQUESTS).then_some("rate_limit_exceeded"),
        }
    }

    /// The error type OpenAI gives each class of status.
    fn kind(&self) -> &'static str {
        match self.status.as_u16() {
            429 => "requests",
            500.. => "server_error",
            _ => "invalid_request_error",
        }
    }

    /// The answer with the error's own status.
    pub(crate) fn answer(&self) -> Answer {
        self.answer_with(self.status)
    }

    /// The error body sent with another status (a 200 carrying an error, for the
    /// `code_not_success` fault).
    pub(crate) fn answer_with(&self, status: StatusCode) -> Answer {
        let body = Body {
            error: Inner {
                message: &self.message,
                r#type: self.kind(),
                param: self.param,
                code: self.code,
            },
        };
        Answer {
            status,
            body: serde_json::to_vec(&body).unwrap_or_default(),
        }
    }
}

impl From<ApiError> for Answer {
    fn from(error: ApiError) -> Answer {
        error.answer()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use warp::http::StatusCode;

    use super::ApiError;

    fn body(error: &ApiError) -> Value {
        serde_json::from_slice(&error.answer().body).expect("json")
    }

    #[test]
    fn errors_have_openai_shape_and_types_by_status() {
        assert_eq!(
            body(&ApiError::invalid("size", "bad size")),
            json!({"error": {"message": "bad size", "type": "invalid_request_error",
                             "param": "size", "code": null}})
        );
        let limited = body(&ApiError::status(StatusCode::TOO_MANY_REQUESTS, "slow"));
        assert_eq!(limited["error"]["code"], "rate_limit_exceeded");
        let broken = body(&ApiError::status(StatusCode::BAD_GATEWAY, "down"));
        assert_eq!(broken["error"]["type"], "server_error");
        assert_eq!(
            body(&ApiError::unauthorized(true))["error"]["code"],
            "invalid_api_key"
        );
    }
}
