//! The two response envelopes: management `{"success","message","data"}` and
//! Suno-style `{"code","message","data"}`.

use serde::Serialize;
use serde_json::json;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use crate::error::AppError;

/// The management success envelope, serialized straight from `data` (no
/// intermediate `Value` tree: list pages carry raw stored JSON).
#[derive(Serialize)]
struct Success<T> {
    success: bool,
    message: &'static str,
    data: T,
}

/// The Suno-style success envelope.
#[derive(Serialize)]
struct SunoSuccess<T> {
    code: &'static str,
    message: &'static str,
    data: T,
}

/// `{"success": true, "message": "", "data": data}` with 200.
pub fn ok<T: Serialize>(data: T) -> Response {
    warp::reply::json(&Success {
        success: true,
        message: "",
        data,
    })
    .into_response()
}

/// `{"code": "success", "message": "", "data": data}` with 200.
pub fn suno_ok<T: Serialize>(data: T) -> Response {
    warp::reply::json(&SunoSuccess {
        code: "success",
        message: "",
        data,
    })
    .into_response()
}

/// The management error envelope.
pub fn management_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"success": false, "message": message});
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

/// The Suno-style error envelope.
pub fn suno_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"code": code, "message": message, "data": null});
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

/// Which envelope a subtree answers errors in.
#[derive(Debug, Clone, Copy)]
pub enum Flavor {
    /// `/api/...`
    Management,
    /// `/suno/...`
    Suno,
}

/// Renders an error in the given envelope, logging server-side failures.
pub fn render_error(flavor: Flavor, err: &AppError) -> Response {
    let status = err.status();
    if status.is_server_error() && !matches!(err, AppError::Upstream { .. }) {
        log::error!("request failed: {err:?}");
    }
    let message = err.to_string();
    match flavor {
        Flavor::Management => management_error(status, &message),
        Flavor::Suno => suno_error(status, err.code(), &message),
    }
}

/// The `data` of every paginated list.
#[derive(Debug, Serialize)]
pub struct PageData<T> {
    /// Rows of this page.
    pub items: Vec<T>,
    /// All matching rows.
    pub total: i64,
    /// 1-based page number.
    pub page: i64,
    /// Rows per page.
    pub page_size: i64,
}

/// Wraps a page of rows.
pub fn page_data<T: Serialize>(
    items: Vec<T>,
    total: i64,
    page: crate::domain::Page,
) -> PageData<T> {
    PageData {
        items,
        total,
        page: page.p,
        page_size: page.page_size,
    }
}
