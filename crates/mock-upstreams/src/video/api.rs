//! The JSON routes of the video API once a request is authorized: create, list, retrieve,
//! delete and remix.

use std::collections::HashMap;

use serde::Serialize;
use warp::http::StatusCode;

use super::error::ApiError;
use super::form::CreateBody;
use super::job::Entry;
use super::request::{ListQuery, NewVideo, VideoStatus};
use super::state::State;
use super::view::{DeletedView, ListView, Shape};
use crate::clock::Clock;
use crate::fault::Fault;
use crate::reply::Answer;

/// `POST /v1/videos`: a new queued video.
pub(crate) async fn create(
    state: &State,
    body: CreateBody,
    shape: Shape,
) -> Result<Answer, ApiError> {
    let request = NewVideo::parse(body.fields().await?)?;
    let entry = state.create(request, None);
    Ok(json(&entry.view(&Clock::now(), shape)))
}

/// `GET /v1/videos`: one page of videos by creation.
pub(crate) fn list(
    state: &State,
    query: &HashMap<String, String>,
    shape: Shape,
) -> Result<Answer, ApiError> {
    let (page, has_more) = state.page(&ListQuery::parse(query)?)?;
    Ok(json(&ListView::new(&page, has_more, &Clock::now(), shape)))
}

/// `GET /v1/videos/{id}`: the video object now.
pub(crate) fn retrieve(
    state: &State,
    id: &str,
    fault: &Fault,
    shape: Shape,
) -> Result<Answer, ApiError> {
    let entry = find(state, id, fault)?;
    Ok(json(&entry.view(&Clock::now(), shape)))
}

/// `DELETE /v1/videos/{id}`: the video is gone from every answer.
pub(crate) fn delete(state: &State, id: &str, fault: &Fault) -> Result<Answer, ApiError> {
    find(state, id, fault)?;
    if !state.remove(id) {
        return Err(ApiError::video_not_found(id));
    }
    Ok(json(&DeletedView::new(id)))
}

/// `POST /v1/videos/{id}/remix` `{"prompt"}`: a new video like a completed one (model,
/// seconds, size) with another prompt.
pub(crate) async fn remix(
    state: &State,
    id: &str,
    body: CreateBody,
    fault: &Fault,
    shape: Shape,
) -> Result<Answer, ApiError> {
    let source = find(state, id, fault)?;
    let prompt = body.fields().await?.prompt.unwrap_or_default();
    if prompt.trim().is_empty() {
        return Err(ApiError::invalid(
            "prompt",
            "Missing required parameter: 'prompt'.",
        ));
    }
    let status = source.at(&Clock::now()).status;
    if status != VideoStatus::Completed {
        let message = format!("Video '{id}' is {status}; only completed videos can be remixed.");
        return Err(ApiError::bad_request(&message));
    }
    let request = NewVideo {
        prompt,
        input_reference: None,
        ..source.video.request.clone()
    };
    let entry = state.create(request, Some(id.to_string()));
    Ok(json(&entry.view(&Clock::now(), shape)))
}

/// A known video, unless the `not_found` fault hides it.
pub(crate) fn find(state: &State, id: &str, fault: &Fault) -> Result<Entry, ApiError> {
    match state.get(id) {
        Some(entry) if *fault != Fault::NotFound => Ok(entry),
        _ => Err(ApiError::video_not_found(id)),
    }
}

/// HTTP 200 with `value` as JSON.
fn json<T: Serialize>(value: &T) -> Answer {
    match serde_json::to_vec(value) {
        Ok(body) => Answer {
            status: StatusCode::OK,
            body,
        },
        Err(err) => ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()).answer(),
    }
}
