//! The warp filters of the Suno API; [`super::handlers`] decides what they answer.

use std::convert::Infallible;
use std::sync::Arc;

use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::envelope::error;
use super::handlers::{Call, answer};
use super::media::media_route;
use super::state::State;
use crate::routes::mock_routes;

/// All routes: the media files, the Suno API, the `/mock` control API, and JSON envelopes
/// for rejections.
pub(crate) fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    media_route()
        .or(mock_routes(state, suno_calls(), answer, recover))
        .unify()
}

/// The four Suno routes, each answered by [`answer`].
fn suno_calls() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    submit_route()
        .or(fetch_route())
        .unify()
        .or(fetch_one_route())
        .unify()
        .or(ping_route())
        .unify()
}

/// `POST /suno/submit/{action}` `{"prompt": ..., "mv": ...}`
fn submit_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("suno" / "submit" / String)
        .and(warp::post())
        .and(warp::body::bytes())
        .map(|action, body| Call::Submit { action, body })
}

/// `POST /suno/fetch` `{"ids": [...]}`
fn fetch_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("suno" / "fetch")
        .and(warp::post())
        .and(warp::body::bytes())
        .map(|body| Call::Fetch { body })
}

/// `GET /suno/fetch/{id}`
fn fetch_one_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("suno" / "fetch" / String)
        .and(warp::get())
        .map(|id| Call::FetchOne { id })
}

/// `GET /ping` → `{"message":"pong"}`
fn ping_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("ping").and(warp::get()).map(|| Call::Ping)
}

/// Turns every rejection (unknown path, wrong method) into the Suno envelope.
async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let response = if rejection.is_not_found() {
        error(StatusCode::NOT_FOUND, "not found")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    } else {
        error(
            StatusCode::BAD_REQUEST,
            &format!("bad request: {rejection:?}"),
        )
    };
    Ok(response.into_response())
}
