//! The management envelope `{"success", "message", "data"}`, and the page
//! `data` of every list. Platforms bring their own envelopes.

use std::convert::Infallible;

use serde::Serialize;
use serde_json::json;
use warp::http::StatusCode;
use warp::http::header::{CONTENT_TYPE, HeaderValue};
use warp::reject::Rejection;
use warp::reply::{Reply, Response};

use super::error::{HttpError, from_rejection, respond};
use crate::domain::Page;

/// The management success envelope, serialized straight from `data` (no
/// intermediate `Value` tree: list pages carry raw stored JSON).
#[derive(Serialize)]
struct Success<T> {
    success: bool,
    message: &'static str,
    data: T,
}

/// What a body's buffer starts with: a default list page (20 tasks, about
/// 22 KB) fits without the buffer growing, and so being copied, on the way.
const BODY_CAPACITY: usize = 32 * 1024;

/// `{"success": true, "message": "", "data": data}` with 200; as
/// `warp::reply::json` answers, but serialized into a buffer sized for a
/// list page.
pub fn ok<T: Serialize>(data: T) -> Response {
    let success = Success {
        success: true,
        message: "",
        data,
    };
    let mut body = Vec::with_capacity(BODY_CAPACITY);
    match serde_json::to_writer(&mut body, &success) {
        Ok(()) => {
            let mut resp = Response::new(body.into());
            resp.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            resp
        }
        Err(e) => {
            log::error!("cannot serialize a response: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `{"success": false, "message": message}` with the error's status.
fn render(err: &HttpError, message: &str) -> Response {
    let body = json!({"success": false, "message": message});
    warp::reply::with_status(warp::reply::json(&body), err.status()).into_response()
}

/// Recover for `/api/...` and everything no platform claims.
pub async fn recover(r: Rejection) -> Result<Response, Infallible> {
    Ok(respond(from_rejection(&r), render))
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
pub fn page_data<T: Serialize>(items: Vec<T>, total: i64, page: Page) -> PageData<T> {
    PageData {
        items,
        total,
        page: page.p,
        page_size: page.page_size,
    }
}
