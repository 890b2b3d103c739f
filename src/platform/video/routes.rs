//! The client-facing routes under `/v1/videos` (API-key auth, OpenAI's
//! video objects and error body).

use serde_json::Value;
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::path::FullPath;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::envelope;
use super::form::{MAX_CREATE_BYTES, read_create};
use super::prepare::{GENERATE, TEXT_GENERATE};
use super::view::video_object;
use super::{NAME, TASK_PLATFORM};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::http::auth::bearer;
use crate::http::error::reject;
use crate::http::idempotency::{Keyed, Renderer, submit_once};
use crate::http::{blocking, body, submission_permit, with_ctx};
use crate::platform::Upload;
use crate::relay::{self, Submission};
use crate::store::idempotency::KeyHold;
use crate::store::tasks::Task;
use crate::store::tokens::Token;
use crate::store::users::User;

/// The paths of [`routes`], for the metrics' `route` label.
pub const TEMPLATES: &[&str] = &[
    "/v1/videos",
    "/v1/videos/{id}",
    "/v1/videos/{id}/content",
    "/v1/videos/{id}/remix",
];

/// Everything under `/v1/videos`, answering its own errors in OpenAI's body.
pub fn routes(ctx: Context) -> BoxedFilter<(Response,)> {
    let inner = create(ctx.clone())
        .or(retrieve(ctx.clone()))
        .unify()
        .or(super::content::download(ctx.clone()))
        .unify()
        .or(super::manage::list(ctx.clone()))
        .unify()
        .or(super::manage::delete(ctx.clone()))
        .unify()
        .or(super::manage::remix(ctx))
        .unify();
    warp::path("v1")
        .and(warp::path("videos"))
        .and(inner.recover(envelope::recover).unify())
        .boxed()
}

/// The request parts every route reads.
pub fn with_request(
    ctx: Context,
) -> impl Filter<Extract = (HeaderMap, Context), Error = std::convert::Infallible> + Clone {
    warp::header::headers_cloned().and(with_ctx(ctx))
}

/// The caller of a request, by its API key.
pub fn caller(ctx: &Context, headers: &HeaderMap) -> Result<(Token, User)> {
    relay::authenticate_key(&ctx.store, &bearer(headers), ctx.clock.now())
}

/// The caller's video `id`; 404 for anything else (another user's task, a
/// task of another platform, an upstream id, a deleted video).
pub fn own_video(ctx: &Context, user: &User, id: &str) -> Result<Task> {
    ctx.store
        .user_visible_task(user.id, TASK_PLATFORM, id)?
        // The id is not echoed: a client probing with an upstream id must
        // not get it back in an answer.
        .ok_or_else(|| Error::NotFound("no such video".into()))
}

/// `POST /v1/videos` (JSON or `multipart/form-data` with `input_reference`)
/// → the video object, `status: "queued"`.
/// With `Idempotency-Key`, answered once per key (`http/idempotency.rs`).
pub fn create(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path::end()
        .and(warp::post())
        .and(warp::path::full())
        .and(with_request(ctx))
        .and(body::limited_bytes_up_to(MAX_CREATE_BYTES))
        .and_then(create_video)
}

/// How a submission is answered, stored and replayed: the new video object.
pub const VIDEO_ANSWERS: Renderer<Value> = Renderer {
    success: |video| serde_json::to_vec(video).unwrap_or_default(),
    error: envelope::error_body,
    recovered: |_, _, task| Ok(video_object(task)),
};

async fn create_video(
    path: FullPath,
    headers: HeaderMap,
    ctx: Context,
    bytes: Vec<u8>,
) -> std::result::Result<Response, Rejection> {
    // Held across the parse too, until the submission is done.
    let permit = submission_permit(&ctx)?;
    // Authenticate before parsing so a bad key is a 401 whatever the body.
    let (c, h) = (ctx.clone(), headers.clone());
    let (token, user, keyed, bytes) = blocking(move || {
        let (token, user) = caller(&c, &h)?;
        let keyed = Keyed::of(&h, "POST", path.as_str(), &bytes)?;
        Ok((token, user, keyed, bytes))
    })
    .await?;
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (fields, upload) = read_create(content_type.as_deref(), bytes)
        .await
        .map_err(reject)?;
    blocking(move || {
        let _permit = permit;
        submit_once(&ctx, &user, keyed, &VIDEO_ANSWERS, |idempotency| {
            submit_video(&ctx, &token, &user, &fields, upload.as_ref(), idempotency)
        })
    })
    .await
}

/// Submits a new video job (`fields` as the client sent them) and answers
/// its video object.
pub fn submit_video(
    ctx: &Context,
    token: &Token,
    user: &User,
    fields: &Value,
    upload: Option<&Upload>,
    idempotency: Option<&KeyHold>,
) -> Result<Value> {
    let with_reference = upload.is_some()
        || fields
            .get("image_url")
            .and_then(Value::as_str)
            .is_some_and(|u| !u.trim().is_empty());
    let action = if with_reference {
        GENERATE
    } else {
        TEXT_GENERATE
    };
    submit_action(ctx, token, user, action, fields, upload, idempotency)
}

/// Submits `action` through the relay and answers the new video object.
pub fn submit_action(
    ctx: &Context,
    token: &Token,
    user: &User,
    action: &str,
    fields: &Value,
    upload: Option<&Upload>,
    idempotency: Option<&KeyHold>,
) -> Result<Value> {
    let task_id = relay::submit(
        ctx,
        Submission {
            token,
            user,
            platform: NAME,
            action,
            body: fields,
            upload,
            idempotency,
        },
    )?;
    Ok(video_object(&own_video(ctx, user, &task_id)?))
}

/// `GET /v1/videos/{id}` → the caller's video object, or 404.
pub fn retrieve(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!(String)
        .and(warp::get())
        .and(with_request(ctx))
        .and_then(|id: String, headers: HeaderMap, ctx: Context| async move {
            blocking(move || retrieve_video(&ctx, &headers, &id))
                .await
                .map(|v| warp::reply::json(&v).into_response())
        })
}

fn retrieve_video(ctx: &Context, headers: &HeaderMap, id: &str) -> Result<Value> {
    let (_, user) = caller(ctx, headers)?;
    Ok(video_object(&own_video(ctx, &user, id)?))
}
