//! The one place where rejections become responses.

use std::convert::Infallible;

use warp::reject::Rejection;
use warp::reply::Response;

use super::envelope::{Flavor, render_error};
use crate::error::AppError;

/// Maps any rejection to an [`AppError`] (warp's own included).
pub fn to_app_error(r: &Rejection) -> AppError {
    if let Some(e) = r.find::<AppError>() {
        return clone_error(e);
    }
    if r.is_not_found() {
        return AppError::RouteNotFound;
    }
    if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        return AppError::MethodNotAllowed;
    }
    if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        return AppError::PayloadTooLarge(super::body::BODY_LIMIT);
    }
    if r.find::<warp::reject::InvalidQuery>().is_some() {
        return AppError::bad("invalid query string");
    }
    if let Some(e) = r.find::<warp::reject::InvalidHeader>() {
        return AppError::bad(format!("invalid header: {e}"));
    }
    if let Some(e) = r.find::<warp::reject::MissingHeader>() {
        return AppError::bad(format!("missing header: {e}"));
    }
    if r.find::<warp::reject::UnsupportedMediaType>().is_some() {
        return AppError::bad("unsupported media type: send application/json");
    }
    if r.find::<warp::reject::LengthRequired>().is_some() {
        return AppError::bad("a Content-Length header is required");
    }
    AppError::Internal(format!("unhandled rejection: {r:?}"))
}

fn clone_error(e: &AppError) -> AppError {
    match e {
        AppError::BadRequest(m) => AppError::BadRequest(m.clone()),
        AppError::Unauthorized(m) => AppError::Unauthorized(m.clone()),
        AppError::Forbidden(m) => AppError::Forbidden(m.clone()),
        AppError::NotFound(m) => AppError::NotFound(m.clone()),
        AppError::PayloadTooLarge(n) => AppError::PayloadTooLarge(*n),
        AppError::MethodNotAllowed => AppError::MethodNotAllowed,
        AppError::RouteNotFound => AppError::RouteNotFound,
        AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
        AppError::Upstream { status, message } => AppError::Upstream {
            status: *status,
            message: message.clone(),
        },
        other => AppError::Internal(other.to_string()),
    }
}

fn respond(flavor: Flavor, r: &Rejection) -> Response {
    render_error(flavor, &to_app_error(r))
}

/// Recover for `/api/...` and everything outside `/suno`.
pub async fn management(r: Rejection) -> Result<Response, Infallible> {
    Ok(respond(Flavor::Management, &r))
}

/// Recover for `/suno/...`.
pub async fn suno(r: Rejection) -> Result<Response, Infallible> {
    Ok(respond(Flavor::Suno, &r))
}
