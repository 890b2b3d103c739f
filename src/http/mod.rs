//! The warp HTTP layer: one filter function per route, named handler
//! functions, one error mapping ([`error`]) and one envelope per surface.
//! It knows no platform by name: every registered platform mounts its own
//! client-facing routes, and the console's page and assets
//! ([`crate::console`]).

mod audit;
pub mod auth;
pub mod body;
mod channels;
pub mod envelope;
pub mod error;
pub mod idempotency;
mod login;
mod logs;
pub mod metrics;
mod observe;
mod options;
mod repair;
pub mod request_id;
mod route_names;
mod status;
mod task_content;
mod tasks;
mod tokens;
mod user_admin;
mod users;
mod webhooks;
pub mod wire;

use serde::Serialize;
use tokio::sync::OwnedSemaphorePermit;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::context::Context;
use crate::domain::QueryParams;
use crate::error::{Error, Result};
use error::reject;

/// Injects the context into a filter chain.
pub fn with_ctx(
    ctx: Context,
) -> impl Filter<Extract = (Context,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || ctx.clone())
}

/// Runs blocking store or upstream work off the async executor; a panic
/// becomes a 500.
pub async fn blocking<T, F>(f: F) -> std::result::Result<T, Rejection>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(reject(e)),
        Err(e) => Err(reject(Error::Internal(format!(
            "internal error: request handler failed: {e}"
        )))),
    }
}

/// A permit for one submission in flight, or at once a 503 with
/// `Retry-After` when `--max-inflight-submissions` are already running:
/// taken before any store work, so a refused submission charges and
/// writes nothing. Hold it until the submission's blocking work is done.
pub fn submission_permit(ctx: &Context) -> std::result::Result<OwnedSemaphorePermit, Rejection> {
    ctx.submissions.clone().try_acquire_owned().map_err(|_| {
        reject(Error::Overloaded(format!(
            "too many submissions in flight (at most {}): retry shortly",
            ctx.config.max_inflight_submissions
        )))
    })
}

/// Runs a blocking handler and answers its result in the management
/// envelope.
pub async fn answer<T, F>(f: F) -> std::result::Result<Response, Rejection>
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    blocking(f).await.map(envelope::ok)
}

/// A numeric id from a path segment; anything else → 400 naming `what`.
pub fn path_id(what: &str, id: &str) -> Result<i64> {
    id.parse()
        .map_err(|_| Error::invalid(format!("invalid {what} id '{id}'")))
}

/// Decoded query parameters (invalid encoding → 400).
pub fn query() -> impl Filter<Extract = (QueryParams,), Error = Rejection> + Clone {
    warp::query::<Vec<(String, String)>>().map(QueryParams::new)
}

/// Every platform's client-facing routes, one after the other.
fn platform_routes(ctx: &Context) -> BoxedFilter<(Response,)> {
    let mut all = ctx.platforms.all().map(|p| p.routes(ctx.clone()));
    let first = all.next().unwrap_or_else(|| {
        warp::any()
            .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
            .boxed()
    });
    all.fold(first, |acc, r| acc.or(r).unify().boxed())
}

/// Every route of the service, with errors rendered and requests logged;
/// `/metrics` among them when metrics are on and have no listener of
/// their own.
pub fn routes(
    ctx: Context,
) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone {
    let scrape = match ctx.config.metrics && ctx.config.metrics_listen.is_none() {
        true => metrics::route(ctx.clone()),
        false => warp::any()
            .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
            .boxed(),
    };
    let api = scrape
        .or(status::routes(ctx.clone()))
        .or(users::routes(ctx.clone()))
        .or(tasks::routes(ctx.clone()))
        .or(task_content::routes(ctx.clone()))
        .or(repair::routes(ctx.clone()))
        .or(tokens::routes(ctx.clone()))
        .or(webhooks::routes(ctx.clone()))
        .or(channels::routes(ctx.clone()))
        .or(options::routes(ctx.clone()))
        .or(user_admin::routes(ctx.clone()))
        .or(logs::routes(ctx.clone()))
        .or(audit::routes(ctx.clone()))
        .map(|r| Box::new(r) as Box<dyn Reply>);
    let platforms = platform_routes(&ctx).map(|r| Box::new(r) as Box<dyn Reply>);
    let console = crate::console::routes().map(|r| Box::new(r) as Box<dyn Reply>);
    let observer = observe::Observer::of(&ctx);
    request_id::wrap(
        platforms
            .or(api)
            .unify()
            .or(console)
            .unify()
            .recover(envelope::recover),
        observer,
    )
}

/// `/metrics` alone, for `--metrics-listen`'s listener.
pub fn metrics_routes(
    ctx: Context,
) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone {
    let observer = observe::Observer::of(&ctx);
    request_id::wrap(metrics::route(ctx).recover(envelope::recover), observer)
}
