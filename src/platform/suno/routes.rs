//! The client-facing Suno routes under `/suno` (API-key auth, Suno's
//! envelope).

use serde::Deserialize;
use serde_json::Value;
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::NAME;
use super::envelope::{self, ok};
use super::view::relay_view;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::http::auth::bearer;
use crate::http::idempotency::{Keyed, Renderer, submit_once};
use crate::http::{blocking, body, submission_permit, with_ctx};
use crate::relay::{self, Submission};

/// Most ids one fetch may ask for.
const MAX_FETCH_IDS: usize = 100;

/// The paths of [`routes`], for the metrics' `route` label.
pub const TEMPLATES: &[&str] = &["/suno/fetch", "/suno/submit/{action}", "/suno/fetch/{id}"];

/// Everything under `/suno`, answering its own errors in Suno's envelope.
pub fn routes(ctx: Context) -> BoxedFilter<(Response,)> {
    let inner = submit(ctx.clone())
        .or(fetch_many(ctx.clone()))
        .unify()
        .or(fetch_one(ctx))
        .unify();
    warp::path(NAME)
        .and(inner.recover(envelope::recover).unify())
        .boxed()
}

/// The request parts every Suno route reads.
fn with_request(
    ctx: Context,
) -> impl Filter<Extract = (HeaderMap, Context), Error = std::convert::Infallible> + Clone {
    warp::header::headers_cloned().and(with_ctx(ctx))
}

/// `POST /suno/submit/{music|lyrics}` with a Suno body → `{"code":"success","data":"task_..."}`.
/// With `Idempotency-Key`, answered once per key (`http/idempotency.rs`).
pub fn submit(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("submit" / String)
        .and(warp::post())
        .and(warp::path::full())
        .and(with_request(ctx))
        .and(body::limited_bytes())
        .and_then(
            |action: String, path: FullPath, headers: HeaderMap, ctx: Context, bytes: Vec<u8>| async move {
                let permit = submission_permit(&ctx)?;
                blocking(move || {
                    let _permit = permit;
                    submit_job(&ctx, &headers, path.as_str(), &action, &bytes)
                })
                .await
            },
        )
}

/// How a submission is answered, stored and replayed: the new task's id in
/// Suno's envelope.
const SUBMIT_ANSWERS: Renderer<String> = Renderer {
    success: envelope::ok_body::<String>,
    error: envelope::error_body,
    recovered: |_, _, task| Ok(task.task_id.clone()),
};

fn submit_job(
    ctx: &Context,
    headers: &HeaderMap,
    path: &str,
    action: &str,
    bytes: &[u8],
) -> Result<Response> {
    // Authenticate before parsing so a bad key is a 401 whatever the body.
    let (token, user) = relay::authenticate_key(&ctx.store, &bearer(headers), ctx.clock.now())?;
    let keyed = Keyed::of(headers, "POST", path, bytes)?;
    submit_once(ctx, &user, keyed, &SUBMIT_ANSWERS, |idempotency| {
        let body: Value = body::parse_json(bytes)?;
        relay::submit(
            ctx,
            Submission {
                token: &token,
                user: &user,
                platform: NAME,
                action,
                body: &body,
                upload: None,
                idempotency,
            },
        )
    })
}

#[derive(Debug, Deserialize)]
struct FetchRequest {
    ids: Vec<String>,
}

/// `POST /suno/fetch` `{"ids": [...]}` → the caller's tasks among them.
pub fn fetch_many(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("fetch")
        .and(warp::post())
        .and(with_request(ctx))
        .and(body::limited_bytes())
        .and_then(
            |headers: HeaderMap, ctx: Context, bytes: Vec<u8>| async move {
                blocking(move || fetch_tasks(&ctx, &headers, &bytes))
                    .await
                    .map(ok)
            },
        )
}

fn fetch_tasks(ctx: &Context, headers: &HeaderMap, bytes: &[u8]) -> Result<Vec<Value>> {
    let (_, user) = relay::authenticate_key(&ctx.store, &bearer(headers), ctx.clock.now())?;
    let req: FetchRequest = body::parse_json(bytes)?;
    if req.ids.len() > MAX_FETCH_IDS {
        return Err(Error::invalid(format!(
            "at most {MAX_FETCH_IDS} ids per fetch, got {}",
            req.ids.len()
        )));
    }
    let tasks = ctx.store.user_tasks(user.id, &req.ids)?;
    Ok(tasks.iter().map(relay_view).collect())
}

/// `GET /suno/fetch/{task_id}` → that task, or 404 `task_not_exist`.
pub fn fetch_one(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("fetch" / String)
        .and(warp::get())
        .and(with_request(ctx))
        .and_then(|id: String, headers: HeaderMap, ctx: Context| async move {
            blocking(move || fetch_task(&ctx, &headers, &id))
                .await
                .map(ok)
        })
}

fn fetch_task(ctx: &Context, headers: &HeaderMap, id: &str) -> Result<Value> {
    let (_, user) = relay::authenticate_key(&ctx.store, &bearer(headers), ctx.clock.now())?;
    ctx.store
        .user_task(user.id, id)?
        .map(|t| relay_view(&t))
        .ok_or_else(|| Error::NotFound(format!("task {id} does not exist")))
}
