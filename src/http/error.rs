//! Errors at the HTTP edge: the service's [`Error`] plus what only HTTP can
//! get wrong, the one mapping of each to a status, and the one mapping of
//! any warp rejection back to an error. Envelopes render what this decides.

use std::sync::Arc;

use warp::http::StatusCode;
use warp::reject::Rejection;
use warp::reply::Response;

use super::request_id::InternalFailure;

use crate::domain::Invalid;
use crate::error::Error;
use crate::store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    /// The service refused or failed.
    #[error(transparent)]
    Service(#[from] Error),
    /// No such route (404).
    #[error("route not found")]
    RouteNotFound,
    /// Wrong HTTP method for the route (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Body over the limit (413).
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(u64),
}

impl warp::reject::Reject for HttpError {}

impl From<Invalid> for HttpError {
    fn from(e: Invalid) -> Self {
        HttpError::Service(e.into())
    }
}

impl From<StoreError> for HttpError {
    fn from(e: StoreError) -> Self {
        HttpError::Service(e.into())
    }
}

impl HttpError {
    /// The HTTP status this error is answered with: the one place where
    /// errors meet statuses.
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::RouteNotFound => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::Service(e) => match e {
                Error::Invalid(_) => StatusCode::BAD_REQUEST,
                Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                Error::NotFound(_) => StatusCode::NOT_FOUND,
                Error::Conflict(_) => StatusCode::CONFLICT,
                Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                Error::NoChannel(_) | Error::Unavailable(_) | Error::Overloaded(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                Error::Upstream { status, .. } => {
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY)
                }
                Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// Seconds a client should wait before trying again, sent as
    /// `Retry-After`: an overload clears as soon as a submission ends.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            HttpError::Service(Error::Overloaded(_)) => Some(1),
            _ => None,
        }
    }

    /// Whether this is our own failure: its detail is for the log only,
    /// never for the client.
    pub fn is_internal(&self) -> bool {
        matches!(self, HttpError::Service(Error::Internal(_)))
    }
}

/// Renders `err` with an envelope's `render(err, message)`. An internal
/// failure is answered with a fixed message and carries its detail (and
/// how to render again) to the request-id layer, which logs it under the
/// request's id and names the id in the message.
pub fn respond(err: HttpError, render: fn(&HttpError, &str) -> Response) -> Response {
    if !err.is_internal() {
        let mut resp = render(&err, &err.to_string());
        if let Some(secs) = err.retry_after_secs() {
            resp.headers_mut()
                .insert(warp::http::header::RETRY_AFTER, secs.into());
        }
        return resp;
    }
    let mut resp = render(&err, "internal error");
    let detail = format!("{err:?}");
    resp.extensions_mut().insert(InternalFailure {
        detail,
        render: Arc::new(move |message| render(&err, message)),
    });
    resp
}

/// A rejection carrying `e`.
pub fn reject(e: impl Into<HttpError>) -> Rejection {
    warp::reject::custom(e.into())
}

/// Maps any rejection, warp's own included, to an [`HttpError`].
pub fn from_rejection(r: &Rejection) -> HttpError {
    if let Some(e) = r.find::<HttpError>() {
        return e.clone();
    }
    if r.is_not_found() {
        return HttpError::RouteNotFound;
    }
    if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        return HttpError::MethodNotAllowed;
    }
    if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        return HttpError::PayloadTooLarge(super::body::BODY_LIMIT);
    }
    let invalid = |m: String| HttpError::Service(Error::Invalid(m));
    if r.find::<warp::reject::InvalidQuery>().is_some() {
        return invalid("invalid query string".into());
    }
    if let Some(e) = r.find::<warp::reject::InvalidHeader>() {
        return invalid(format!("invalid header: {e}"));
    }
    if let Some(e) = r.find::<warp::reject::MissingHeader>() {
        return invalid(format!("missing header: {e}"));
    }
    if r.find::<warp::reject::UnsupportedMediaType>().is_some() {
        return invalid("unsupported media type: send application/json".into());
    }
    if r.find::<warp::reject::LengthRequired>().is_some() {
        return invalid("a Content-Length header is required".into());
    }
    HttpError::Service(Error::Internal(format!(
        "internal error: unhandled rejection: {r:?}"
    )))
}
