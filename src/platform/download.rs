//! A finished task's result file, opened at its channel's upstream and
//! streamed to the client in chunks as the client takes them, never read
//! whole. Used by `GET /v1/videos/{id}/content` and by the console's
//! `GET /api/task/self/{task_id}/content`.

use std::collections::HashMap;
use std::io::Read;

use bytes::Bytes;
use warp::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::{Content, Target, UpstreamError};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::tasks::Task;

/// Bytes read from the upstream per chunk.
const CHUNK: usize = 64 * 1024;
/// Chunks read ahead of a slow client: bounds the memory of a download.
const AHEAD: usize = 4;

/// How a download route opens the file a request asks for: the context,
/// the request's headers, the id in the path and the query.
pub type Opener = fn(&Context, &HeaderMap, &str, &HashMap<String, String>) -> Result<Content>;

/// A download route: `route` matches a GET and extracts the id, `open`
/// runs on the blocking pool, and the file is streamed.
pub fn route<R>(
    route: R,
    ctx: Context,
    open: Opener,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Filter<Extract = (String,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    route
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::header::headers_cloned())
        .and(crate::http::with_ctx(ctx))
        .and_then(
            move |id: String, query: HashMap<String, String>, headers: HeaderMap, ctx: Context| async move {
                let content =
                    crate::http::blocking(move || open(&ctx, &headers, &id, &query)).await?;
                Ok::<_, Rejection>(stream(content))
            },
        )
}

/// The `variant` a query names (default `video`), one of `allowed`.
pub fn variant<'q>(query: &'q HashMap<String, String>, allowed: &[&str]) -> Result<&'q str> {
    let variant = query.get("variant").map(String::as_str).unwrap_or("video");
    if allowed.contains(&variant) {
        Ok(variant)
    } else {
        Err(Error::invalid(format!(
            "invalid 'variant' {variant:?}: use {}",
            allowed.join(", ")
        )))
    }
}

/// Opens `variant` of `task`'s result at its channel (`range`: the client's
/// `Range` header). The caller has checked that the task is the client's
/// and finished. A platform without result files → 400.
pub fn open(ctx: &Context, task: &Task, variant: &str, range: Option<&str>) -> Result<Content> {
    let id = &task.task_id;
    let gone = || Error::NotFound(format!("the content of task '{id}' is gone"));
    let channel = ctx.store.get_channel(task.channel_id)?.ok_or_else(gone)?;
    let platform = ctx.platforms.get(&channel.channel_type).ok_or_else(gone)?;
    let target = Target::of(&channel);
    let started = std::time::Instant::now();
    let content = platform.content(&target, &task.upstream_task_id, variant, range);
    // Timed to the upstream's answer; the body streams afterwards.
    let kind = crate::metrics::UpstreamKind::Content;
    crate::health::observe_call(ctx, channel.id, kind, started, &content);
    content.map_err(|e| {
        log::warn!(
            "content of {id} from channel {} failed: {}",
            channel.id,
            e.detail()
        );
        match e {
            UpstreamError::Unsupported(_) => Error::invalid(format!(
                "task '{id}' has no file to download (its results are in its data)"
            )),
            UpstreamError::Status { status: 404, .. } => {
                Error::NotFound(format!("the content of task '{id}' is not available"))
            }
            // 416 and the like are the client's; the rest a gateway fault.
            e => Error::Upstream {
                status: e.client_status(),
                message: e.message(),
            },
        }
    })
}

/// The response streaming `content`: a blocking thread reads the upstream
/// a chunk at a time into a small bounded channel.
pub fn stream(content: Content) -> Response {
    let Content {
        status,
        headers,
        mut body,
    } = content;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(AHEAD);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buf = vec![0u8; CHUNK];
            match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        break; // the client went away
                    }
                }
                Err(e) => {
                    // Cuts the client's connection: a short body, not a
                    // complete-looking wrong one.
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = warp::reply::stream(chunks).into_response();
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
