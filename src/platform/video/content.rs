//! `GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet`: a
//! completed video's file, streamed from the upstream in chunks as the
//! client takes them, never read whole.

use std::collections::HashMap;
use std::io::Read;

use bytes::Bytes;
use warp::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::routes::{caller, own_video, with_request};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::platform::{Content, Target};

/// Bytes read from the upstream per chunk.
const CHUNK: usize = 64 * 1024;
/// Chunks read ahead of a slow client: bounds the memory of a download.
const AHEAD: usize = 4;
/// Renditions a client may ask for.
const VARIANTS: [&str; 3] = ["video", "thumbnail", "spritesheet"];

/// `GET /v1/videos/{id}/content?variant=video` (`Range` honoured) → the bytes.
pub fn download(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!(String / "content")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_request(ctx))
        .and_then(
            |id: String, query: HashMap<String, String>, headers: HeaderMap, ctx: Context| async move {
                let content =
                    crate::http::blocking(move || open(&ctx, &headers, &id, &query)).await?;
                Ok::<_, Rejection>(stream(content))
            },
        )
}

/// Opens the upstream's file of the caller's completed video.
fn open(
    ctx: &Context,
    headers: &HeaderMap,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<Content> {
    let (_, user) = caller(ctx, headers)?;
    let variant = query.get("variant").map(String::as_str).unwrap_or("video");
    if !VARIANTS.contains(&variant) {
        return Err(Error::invalid(format!(
            "invalid 'variant' {variant:?}: use video, thumbnail or spritesheet"
        )));
    }
    let task = own_video(ctx, &user, id)?;
    if task.status != "SUCCESS" {
        return Err(Error::NotFound(format!(
            "video {id} is not completed; its content is not available"
        )));
    }
    let channel = ctx
        .store
        .get_channel(task.channel_id)?
        .ok_or_else(|| Error::NotFound(format!("the content of video '{id}' is gone")))?;
    let platform = ctx
        .platforms
        .get(&channel.channel_type)
        .ok_or_else(|| Error::NotFound(format!("the content of video '{id}' is gone")))?;
    let target = Target {
        channel_id: channel.id,
        base_url: channel.base_url.clone(),
        key: channel.key.clone(),
    };
    let range = headers.get("range").and_then(|v| v.to_str().ok());
    // Timed to the upstream's answer; the body streams afterwards.
    let started = std::time::Instant::now();
    let answer = platform.content(&target, &task.upstream_task_id, variant, range);
    ctx.metrics.record_upstream(
        channel.id,
        crate::metrics::UpstreamKind::Content,
        answer.as_ref().map_or_else(|e| e.class(), |_| "ok"),
        started.elapsed(),
    );
    answer.map_err(|e| {
        log::warn!(
            "content of {id} from channel {} failed: {}",
            channel.id,
            e.detail()
        );
        match e {
            crate::platform::UpstreamError::Status { status: 404, .. } => {
                Error::NotFound(format!("the content of video '{id}' is not available"))
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
fn stream(content: Content) -> Response {
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
