//! The warp HTTP layer: one filter function per route, a state injector,
//! and a single `recover` per envelope flavour.

mod audit;
pub mod auth;
pub mod body;
mod channels;
pub mod envelope;
mod logs;
mod options;
pub mod recover;
mod relay;
mod status;
mod tasks;
mod tokens;
mod user_admin;
mod users;

use std::sync::Arc;

use warp::{Filter, Rejection, Reply};

use crate::Config;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::platform::Platforms;
use crate::store::Store;

/// What every handler may use; cheap to clone.
#[derive(Clone)]
pub struct State {
    /// The database.
    pub store: Store,
    /// Run-time configuration.
    pub config: Arc<Config>,
    /// Unix s when the server started.
    pub start_time: i64,
    /// Upstream platforms by channel type.
    pub platforms: Platforms,
    /// Time source.
    pub clock: Arc<dyn Clock>,
}

/// Injects the state into a filter chain.
pub fn with_state(
    state: State,
) -> impl Filter<Extract = (State,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// Runs blocking store work off the async executor; a panic becomes a 500.
pub async fn blocking<T, F>(f: F) -> Result<T, Rejection>
where
    T: Send + 'static,
    F: FnOnce() -> AppResult<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(warp::reject::custom(e)),
        Err(e) => Err(warp::reject::custom(AppError::Internal(format!(
            "request handler failed: {e}"
        )))),
    }
}

/// A numeric id from a path segment; anything else → 400 naming `what`.
pub fn path_id(what: &str, id: &str) -> Result<i64, Rejection> {
    id.parse()
        .map_err(|_| warp::reject::custom(AppError::bad(format!("invalid {what} id '{id}'"))))
}

/// Decoded query parameters (invalid encoding → 400).
pub fn query() -> impl Filter<Extract = (crate::domain::QueryParams,), Error = Rejection> + Clone {
    warp::query::<Vec<(String, String)>>().map(crate::domain::QueryParams::new)
}

/// Every route of the service, with errors rendered and requests logged.
pub fn routes(
    state: State,
) -> impl Filter<Extract = (impl Reply,), Error = std::convert::Infallible> + Clone {
    let suno = warp::path("suno")
        .and(relay::routes(state.clone()).recover(recover::suno))
        .map(|r| Box::new(r) as Box<dyn Reply>);
    let api = status::routes(state.clone())
        .or(users::routes(state.clone()))
        .or(tasks::routes(state.clone()))
        .or(tokens::routes(state.clone()))
        .or(channels::routes(state.clone()))
        .or(options::routes(state.clone()))
        .or(user_admin::routes(state.clone()))
        .or(logs::routes(state.clone()))
        .or(audit::routes(state.clone()))
        .map(|r| Box::new(r) as Box<dyn Reply>);
    suno.or(api)
        .unify()
        .recover(recover::management)
        .with(warp::log::custom(|info| {
            log::info!(
                "{} {} {} {:.1}ms",
                info.method(),
                info.path(),
                info.status().as_u16(),
                info.elapsed().as_secs_f64() * 1000.0
            )
        }))
}
