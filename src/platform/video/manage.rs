//! The caller's videos as a collection: `GET /v1/videos` (cursor pages),
//! `DELETE /v1/videos/{id}` and `POST /v1/videos/{id}/remix`.

use std::collections::HashMap;

use serde_json::{Value, json};
use warp::http::HeaderMap;
use warp::path::FullPath;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::TASK_PLATFORM;
use super::prepare::REMIX_GENERATE;
use super::routes::{VIDEO_ANSWERS, caller, own_video, submit_action, with_request};
use super::view::video_object;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::http::idempotency::{Keyed, submit_once};
use crate::http::{blocking, body, submission_permit};
use crate::platform::Target;
use crate::store::idempotency::KeyHold;
use crate::store::task_lookup::Order;
use crate::store::tokens::Token;
use crate::store::users::User;

/// Page size when the client names none.
const DEFAULT_LIMIT: usize = 20;
/// Largest page.
const MAX_LIMIT: usize = 100;

/// A list request, parsed at the edge.
#[derive(Debug, PartialEq)]
struct ListQuery {
    limit: usize,
    after: Option<String>,
    order: Order,
}

impl ListQuery {
    fn parse(q: &HashMap<String, String>) -> Result<ListQuery> {
        let limit = match q.get("limit").map(|s| s.trim()) {
            None | Some("") => DEFAULT_LIMIT,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(format!(
                        "invalid 'limit' {s:?}: an integer from 1 to {MAX_LIMIT}"
                    )));
                }
            },
        };
        let order = match q.get("order").map(|s| s.trim()) {
            None | Some("") | Some("desc") => Order::NewestFirst,
            Some("asc") => Order::OldestFirst,
            Some(o) => {
                return Err(Error::invalid(format!(
                    "invalid 'order' {o:?}: asc or desc"
                )));
            }
        };
        let after = q
            .get("after")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Ok(ListQuery {
            limit,
            after,
            order,
        })
    }
}

/// `GET /v1/videos?limit=20&after=task_...&order=desc` → OpenAI's list page.
pub fn list(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path::end()
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_request(ctx))
        .and_then(
            |q: HashMap<String, String>, headers: HeaderMap, ctx: Context| async move {
                blocking(move || list_videos(&ctx, &headers, &q))
                    .await
                    .map(|v| warp::reply::json(&v).into_response())
            },
        )
}

fn list_videos(ctx: &Context, headers: &HeaderMap, q: &HashMap<String, String>) -> Result<Value> {
    let (_, user) = caller(ctx, headers)?;
    let q = ListQuery::parse(q)?;
    let after = match &q.after {
        Some(id) => Some(
            own_video(ctx, &user, id)
                .map_err(|_| Error::invalid("invalid 'after': not one of your videos"))?,
        ),
        None => None,
    };
    let mut page = ctx.store.user_task_page(
        user.id,
        TASK_PLATFORM,
        after.map(|t| t.id),
        q.order,
        q.limit + 1,
    )?;
    let has_more = page.len() > q.limit;
    page.truncate(q.limit);
    let data: Vec<Value> = page.iter().map(video_object).collect();
    Ok(json!({
        "object": "list",
        "first_id": page.first().map(|t| t.task_id.clone()),
        "last_id": page.last().map(|t| t.task_id.clone()),
        "has_more": has_more,
        "data": data,
    }))
}

/// `DELETE /v1/videos/{id}` → `{"id", "object": "video.deleted", "deleted": true}`.
pub fn delete(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!(String)
        .and(warp::delete())
        .and(with_request(ctx))
        .and_then(|id: String, headers: HeaderMap, ctx: Context| async move {
            blocking(move || delete_video(&ctx, &headers, &id))
                .await
                .map(|v| warp::reply::json(&v).into_response())
        })
}

fn delete_video(ctx: &Context, headers: &HeaderMap, id: &str) -> Result<Value> {
    let (_, user) = caller(ctx, headers)?;
    let task = own_video(ctx, &user, id)?;
    // Best effort upstream: the caller's copy is hidden whatever it says;
    // the task row and its ledger stay.
    if !task.upstream_task_id.is_empty()
        && let Some(channel) = ctx.store.get_channel(task.channel_id)?
        && let Some(platform) = ctx.platforms.get(&channel.channel_type)
    {
        let target = Target::of(&channel);
        let started = std::time::Instant::now();
        let deleted = platform.delete(&target, &task.upstream_task_id);
        crate::health::observe(ctx, channel.id, started, &deleted);
        if let Err(e) = deleted {
            log::warn!(
                "upstream delete of {id} on channel {} failed: {}",
                channel.id,
                e.detail()
            );
        }
    }
    ctx.store.hide_task(user.id, &task.task_id)?;
    Ok(json!({"id": task.task_id, "object": "video.deleted", "deleted": true}))
}

/// `POST /v1/videos/{id}/remix` `{"prompt"}` → the new video object; with
/// `Idempotency-Key`, answered once per key (`http/idempotency.rs`).
pub fn remix(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!(String / "remix")
        .and(warp::post())
        .and(warp::path::full())
        .and(with_request(ctx))
        .and(body::limited_bytes())
        .and_then(
            |id: String, path: FullPath, headers: HeaderMap, ctx: Context, bytes: Vec<u8>| async move {
                let permit = submission_permit(&ctx)?;
                blocking(move || {
                    let _permit = permit;
                    remix_request(&ctx, &headers, path.as_str(), &id, &bytes)
                })
                .await
            },
        )
}

/// Authenticates the caller, then remixes once per `Idempotency-Key`.
fn remix_request(
    ctx: &Context,
    headers: &HeaderMap,
    path: &str,
    id: &str,
    bytes: &[u8],
) -> Result<Response> {
    let (token, user) = caller(ctx, headers)?;
    let keyed = Keyed::of(headers, "POST", path, bytes)?;
    submit_once(ctx, &user, keyed, &VIDEO_ANSWERS, |idempotency| {
        remix_video(ctx, &token, &user, id, bytes, idempotency)
    })
}

fn remix_video(
    ctx: &Context,
    token: &Token,
    user: &User,
    id: &str,
    bytes: &[u8],
    idempotency: Option<&KeyHold>,
) -> Result<Value> {
    let body: Value = body::parse_json(bytes)?;
    let source = own_video(ctx, user, id)?;
    if source.status != "SUCCESS" {
        return Err(Error::invalid(format!(
            "video {id} is not completed: only a completed video can be remixed"
        )));
    }
    let props = crate::store::json_value(&source.properties);
    // Priced like a new video of the source's model, seconds and size.
    let fields = json!({
        "prompt": body.get("prompt").cloned().unwrap_or(Value::Null),
        "model": props["model"],
        "seconds": props["seconds"],
        "size": props["size"],
        "video_id": source.task_id,
    });
    submit_action(ctx, token, user, REMIX_GENERATE, &fields, None, idempotency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Result<ListQuery> {
        ListQuery::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn list_queries_are_checked_at_the_edge() {
        assert_eq!(
            q(&[]).unwrap(),
            ListQuery {
                limit: 20,
                after: None,
                order: Order::NewestFirst
            }
        );
        assert_eq!(
            q(&[("limit", "100"), ("order", "asc")]).unwrap().order,
            Order::OldestFirst
        );
        for bad in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "x"),
            ("order", "up"),
        ] {
            assert!(q(&[bad]).is_err(), "{bad:?}");
        }
    }
}
