//! `GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet`: a
//! completed video's file, streamed from the upstream
//! ([`crate::platform::download`]).

use std::collections::HashMap;

use warp::http::HeaderMap;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::routes::{caller, own_video};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::platform::{Content, download};

/// Renditions a client may ask for.
const VARIANTS: [&str; 3] = ["video", "thumbnail", "spritesheet"];

/// `GET /v1/videos/{id}/content?variant=video` (`Range` honoured) → the bytes.
pub fn download(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    download::route(warp::path!(String / "content").and(warp::get()), ctx, open)
}

/// Opens the upstream's file of the caller's completed video.
fn open(
    ctx: &Context,
    headers: &HeaderMap,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<Content> {
    let (_, user) = caller(ctx, headers)?;
    let variant = download::variant(query, &VARIANTS)?;
    let task = own_video(ctx, &user, id)?;
    if task.status != "SUCCESS" {
        return Err(Error::NotFound(format!(
            "video {id} is not completed; its content is not available"
        )));
    }
    let range = headers.get("range").and_then(|v| v.to_str().ok());
    download::open(ctx, &task, variant, range).map_err(|e| match e {
        // The video's own words, as before the download was shared.
        Error::NotFound(_) => {
            Error::NotFound(format!("the content of video '{id}' is not available"))
        }
        e => e,
    })
}
