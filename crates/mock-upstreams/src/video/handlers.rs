//! What the video routes answer: latency (a retrieve's own on top), then the fault, then the
//! secret, then the work.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use warp::Reply;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::api;
use super::download;
use super::error::ApiError;
use super::form::CreateBody;
use super::state::{State, VideoStats};
use super::view::Shape;
use crate::fault::{Fault, http_fault};
use crate::ids::IdSource;
use crate::reply::{Answer, disconnect};
use crate::running::admit;

/// Every `/v1/videos` answer carries this header with a fresh id (as OpenAI's carry
/// `x-request-id`): an upstream detail that taskcenter must not pass on to its clients.
pub const UPSTREAM_REQUEST_ID_HEADER: &str = "x-upstream-request-id";

/// A video API request, before faults and auth.
pub(crate) enum Call {
    /// `POST /v1/videos`.
    Create(CreateBody),
    /// `GET /v1/videos?limit=&after=&order=`.
    List(HashMap<String, String>),
    /// `GET /v1/videos/{id}`.
    Retrieve(String),
    /// `GET /v1/videos/{id}/content?variant=` with its `Range` header.
    Content {
        id: String,
        query: HashMap<String, String>,
        range: Option<String>,
    },
    /// `DELETE /v1/videos/{id}`.
    Delete(String),
    /// `POST /v1/videos/{id}/remix`.
    Remix { id: String, body: CreateBody },
}

/// A healthy answer: JSON (which `huge_body` may pad) or a download.
pub(crate) enum Out {
    Json(Answer),
    Download(Response),
}

impl From<Result<Answer, ApiError>> for Out {
    fn from(result: Result<Answer, ApiError>) -> Out {
        Out::Json(result.unwrap_or_else(Answer::from))
    }
}

/// Counts the request, waits the latency (and a retrieve's own), applies the fault, checks the
/// secret, answers; every answer gets an [`UPSTREAM_REQUEST_ID_HEADER`].
pub(crate) async fn answer(
    call: Call,
    authorization: Option<String>,
    state: Arc<State>,
) -> Response {
    let fault = admit(&*state, |stats: &mut VideoStats| match &call {
        Call::Create(_) => stats.creates += 1,
        Call::List(_) => stats.lists += 1,
        Call::Retrieve(_) => stats.retrieves += 1,
        Call::Content { .. } => stats.contents += 1,
        Call::Delete(_) => stats.deletes += 1,
        Call::Remix { .. } => stats.remixes += 1,
    })
    .await;
    if matches!(call, Call::Retrieve(_)) && state.cfg.retrieve_latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.cfg.retrieve_latency_ms)).await;
    }
    let is_download = matches!(call, Call::Content { .. });
    let mut response = match fault {
        Fault::Disconnect => return disconnect(),
        Fault::Http(code) => {
            let (status, message) = http_fault(code, "mock_video");
            ApiError::status(status, &message).answer().into_response()
        }
        Fault::MalformedJson if !is_download => {
            Answer::raw(br#"{"id":"video_","object":"vid"#).into_response()
        }
        Fault::CodeNotSuccess => {
            let refusal = ApiError::status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "mock_video fault: upstream refused",
            );
            refusal.answer_with(StatusCode::OK).into_response()
        }
        _ => {
            if let Fault::Stall(ms) = fault {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            let out = respond(&state, call, authorization, &fault).await;
            out.into_response(fault == Fault::HugeBody)
        }
    };
    if let Ok(value) = HeaderValue::from_str(&format!("req_{}", request_ids().hex32())) {
        response
            .headers_mut()
            .insert(UPSTREAM_REQUEST_ID_HEADER, value);
    }
    response
}

impl Out {
    /// The response, a JSON one padded by ~10 MB if `pad`.
    fn into_response(self, pad: bool) -> Response {
        match self {
            Out::Json(answer) if pad => answer.padded().into_response(),
            Out::Json(answer) => answer.into_response(),
            Out::Download(response) => response,
        }
    }
}

/// Request ids, shared by all video mocks of the process.
fn request_ids() -> &'static IdSource {
    static IDS: std::sync::OnceLock<IdSource> = std::sync::OnceLock::new();
    IDS.get_or_init(IdSource::new)
}

/// The healthy answer, bent by the faults that reshape answers.
async fn respond(
    state: &Arc<State>,
    call: Call,
    authorization: Option<String>,
    fault: &Fault,
) -> Out {
    let key = authorization
        .as_deref()
        .map(|h| h.strip_prefix("Bearer ").unwrap_or(""));
    if key != Some(state.base.secret.as_str()) {
        state.base.counts.bump(|stats| stats.unauthorized += 1);
        return Out::Json(ApiError::unauthorized(key.is_some()).answer());
    }
    let shape = Shape {
        weird_status: *fault == Fault::UnknownStatus,
        millisecond_times: *fault == Fault::MillisecondTimes,
    };
    match call {
        Call::Create(body) => api::create(state, body, shape).await.into(),
        Call::List(query) => api::list(state, &query, shape).into(),
        Call::Retrieve(id) => api::retrieve(state, &id, fault, shape).into(),
        Call::Delete(id) => api::delete(state, &id, fault).into(),
        Call::Remix { id, body } => api::remix(state, &id, body, fault, shape).await.into(),
        Call::Content { id, query, range } => {
            match download::content(state, &id, &query, range.as_deref(), fault) {
                Ok(response) => Out::Download(response),
                Err(error) => Out::Json(error.answer()),
            }
        }
    }
}
