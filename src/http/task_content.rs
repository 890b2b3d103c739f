//! `GET /api/task/self/{task_id}/content?variant=video|thumbnail`: the
//! caller's finished task's file streamed through taskcenter, for the
//! console's `<video src>` (which cannot send `New-Api-User`, so this one
//! route does not require it: see [`Claim::Optional`]).

use std::collections::HashMap;

use warp::http::{HeaderMap, Method};
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::auth::{Claim, authenticate_as};
use crate::context::Context;
use crate::domain::TaskStatus;
use crate::error::{Error, Result};
use crate::platform::{Content, download};

/// Renditions the console asks for.
const VARIANTS: [&str; 2] = ["video", "thumbnail"];

/// `GET /api/task/self/{task_id}/content?variant=video` (`Range` honoured;
/// session cookie or access token; `New-Api-User` optional) → the bytes.
/// Unknown or another user's task → 404; not finished → 409; a task with
/// no file (Suno) → 400.
pub fn routes(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "task" / "self" / String / "content").and(warp::get());
    download::route(route, ctx, open)
}

/// Opens the file of the caller's finished task `id`.
fn open(
    ctx: &Context,
    headers: &HeaderMap,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<Content> {
    let user = authenticate_as(ctx, headers, &Method::GET, Claim::Optional)?;
    let variant = download::variant(query, &VARIANTS)?;
    let task = ctx
        .store
        .user_visible_task_any(user.id, id)?
        .ok_or_else(|| Error::NotFound("no such task".into()))?;
    if task.status() != TaskStatus::Success {
        return Err(Error::Conflict(format!(
            "task '{id}' is {}: its content is available once it succeeds",
            task.status
        )));
    }
    let range = headers.get("range").and_then(|v| v.to_str().ok());
    download::open(ctx, &task, variant, range)
}
