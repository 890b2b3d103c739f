//! The warp filters of the video API; [`super::handlers`] decides what they answer.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::error::ApiError;
use super::form::CreateBody;
use super::handlers::{Call, answer};
use super::state::State;
use crate::routes::mock_routes;

/// All routes: the video API, the `/mock` control API, and OpenAI error bodies for
/// rejections.
pub(crate) fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    mock_routes(state, video_calls(), answer, recover)
}

/// The six video routes, each answered by [`answer`].
fn video_calls() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    create_route()
        .or(list_route())
        .unify()
        .or(retrieve_route())
        .unify()
        .or(content_route())
        .unify()
        .or(delete_route())
        .unify()
        .or(remix_route())
        .unify()
}

/// A create or remix body: `multipart/form-data` when the content type says so (its parts
/// are read later, by the handler), anything else as JSON.
fn create_body() -> impl Filter<Extract = (CreateBody,), Error = Rejection> + Clone {
    // No length limit: the file part is counted while it streams, never held.
    warp::multipart::form()
        .max_length(None)
        .map(CreateBody::Form)
        .or(warp::body::bytes().map(CreateBody::Json))
        .unify()
}

/// `POST /v1/videos` `{"prompt", "model"?, "seconds"?, "size"?}` or the same as form parts
/// with an `input_reference` file
fn create_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("v1" / "videos")
        .and(warp::post())
        .and(create_body())
        .map(Call::Create)
}

/// `GET /v1/videos?limit=20&after=video_...&order=desc`
fn list_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("v1" / "videos")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .map(Call::List)
}

/// `GET /v1/videos/{id}`
fn retrieve_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("v1" / "videos" / String)
        .and(warp::get())
        .map(Call::Retrieve)
}

/// `GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet` with `Range: bytes=a-b`
fn content_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("v1" / "videos" / String / "content")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::header::optional::<String>("range"))
        .map(|id, query, range| Call::Content { id, query, range })
}

/// `DELETE /v1/videos/{id}`
fn delete_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("v1" / "videos" / String)
        .and(warp::delete())
        .map(Call::Delete)
}

/// `POST /v1/videos/{id}/remix` `{"prompt"}`
fn remix_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("v1" / "videos" / String / "remix")
        .and(warp::post())
        .and(create_body())
        .map(|id, body| Call::Remix { id, body })
}

/// Turns every rejection (unknown path, wrong method, bad query) into OpenAI's error body.
async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let error = if rejection.is_not_found() {
        ApiError::status(StatusCode::NOT_FOUND, "Invalid URL.")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::status(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
    } else {
        ApiError::bad_request(&format!("Bad request: {rejection:?}"))
    };
    Ok(error.answer().into_response())
}
