//! `GET /v1/videos/{id}/content`: a completed video's rendition, whole or one byte range,
//! streamed in chunks generated as the connection takes them.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use warp::Reply;
use warp::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use warp::http::{HeaderValue, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;

use super::api::find;
use super::content::Content;
use super::error::ApiError;
use super::request::{Variant, VideoStatus};
use super::state::State;
use crate::clock::Clock;
use crate::fault::Fault;
use crate::range::{Ranged, resolve};

/// Bytes generated per chunk of a download.
const CHUNK_BYTES: u64 = 64 * 1024;

/// The rendition asked for, 404 until the video is completed. Under the `malformed_json`
/// fault the body stops halfway and the connection is cut: a truncated download.
pub(crate) fn content(
    state: &Arc<State>,
    id: &str,
    query: &HashMap<String, String>,
    range: Option<&str>,
    fault: &Fault,
) -> Result<Response, ApiError> {
    let variant = match query.get("variant") {
        None => Variant::Video,
        Some(word) => Variant::parse(word).ok_or_else(|| {
            let message = "Invalid 'variant': video, thumbnail or spritesheet.";
            ApiError::invalid("variant", message)
        })?,
    };
    let entry = find(state, id, fault)?;
    if entry.at(&Clock::now()).status != VideoStatus::Completed {
        let message = format!("Video '{id}' is not completed; its content is not available.");
        return Err(ApiError::status(StatusCode::NOT_FOUND, &message));
    }
    let content = Content::of(&entry.video, variant, state.cfg.video_bytes);
    let len = content.len();
    let (status, start, end) = match resolve(range, len) {
        Ranged::Whole => (StatusCode::OK, 0, len),
        Ranged::Part { start, last } => (StatusCode::PARTIAL_CONTENT, start, last + 1),
        Ranged::Unsatisfiable => {
            let message = format!("Range not satisfiable: the content is {len} bytes.");
            let mut response = ApiError::status(StatusCode::RANGE_NOT_SATISFIABLE, &message)
                .answer()
                .into_response();
            insert(&mut response, CONTENT_RANGE, &format!("bytes */{len}"));
            return Ok(response);
        }
    };
    let cut = if *fault == Fault::MalformedJson {
        start + (end - start) / 2
    } else {
        end
    };
    let chunks = Chunks {
        content,
        next: start,
        end,
        cut,
        state: state.clone(),
    };
    let mut response = warp::reply::stream(chunks).into_response();
    *response.status_mut() = status;
    insert(&mut response, CONTENT_TYPE, variant.content_type());
    insert(&mut response, CONTENT_LENGTH, &(end - start).to_string());
    insert(&mut response, ACCEPT_RANGES, "bytes");
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{}/{len}", end - 1);
        insert(&mut response, CONTENT_RANGE, &range);
    }
    Ok(response)
}

fn insert(response: &mut Response, name: warp::http::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// Bytes `next..end` of a rendition, produced a chunk at a time; fails at `cut` if it comes
/// first, which makes hyper drop the connection mid-body.
struct Chunks {
    content: Content,
    next: u64,
    end: u64,
    cut: u64,
    state: Arc<State>,
}

impl warp::Stream for Chunks {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.next >= this.end {
            return Poll::Ready(None);
        }
        if this.next >= this.cut {
            let cut = io::Error::new(io::ErrorKind::ConnectionAborted, "mock fault: truncated");
            return Poll::Ready(Some(Err(cut)));
        }
        let upto = (this.next + CHUNK_BYTES).min(this.cut);
        let chunk = this.content.read(this.next, upto);
        this.next = upto;
        this.state
            .base
            .counts
            .bump(|stats| stats.bytes_served += chunk.len() as u64);
        Poll::Ready(Some(Ok(chunk)))
    }
}
