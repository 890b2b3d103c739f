//! The `/mock/...` HTTP control routes, for users in another process (the quickstart, a
//! benchmark driving a release build). No auth: the mock is a local test tool. Every answer
//! uses the Suno envelope.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::envelope::{bad_request, success, task_not_found};
use super::routes::with_state;
use super::state::State;
use crate::fault::Fault;
use crate::reply::Answer;

/// Every control route.
pub(crate) fn control_routes(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    set_fault_route(state.clone())
        .or(get_fault_route(state.clone()))
        .unify()
        .or(stats_route(state.clone()))
        .unify()
        .or(reset_stats_route(state.clone()))
        .unify()
        .or(status_route(state.clone()))
        .unify()
        .or(forget_route(state))
        .unify()
}

/// `POST /mock/fault` `{"fault": "http_500", "count"?: 3, "stall_ms"?: 2000}`: a standing
/// fault, or one for the next `count` requests.
fn set_fault_route(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("mock" / "fault")
        .and(warp::post())
        .and(warp::body::bytes())
        .and(with_state(state))
        .map(|body: Bytes, state: Arc<State>| set_fault(&state, &body).into_response())
}

/// `GET /mock/fault` → `{"fault": "none", "next": {"fault": "http_500", "count": 2} | null}`
fn get_fault_route(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("mock" / "fault")
        .and(warp::get())
        .and(with_state(state))
        .map(|state: Arc<State>| get_fault(&state).into_response())
}

/// `GET /mock/stats` → [`crate::Stats`]
fn stats_route(state: Arc<State>) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("mock" / "stats")
        .and(warp::get())
        .and(with_state(state))
        .map(|state: Arc<State>| success(state.stats()).into_response())
}

/// `POST /mock/stats/reset` → the zeroed [`crate::Stats`]
fn reset_stats_route(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("mock" / "stats" / "reset")
        .and(warp::post())
        .and(with_state(state))
        .map(|state: Arc<State>| {
            state.counters.reset();
            success(state.stats()).into_response()
        })
}

/// `POST /mock/status` `{"id": "...", "status": "FAILURE"}`: force a task's status word.
fn status_route(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("mock" / "status")
        .and(warp::post())
        .and(warp::body::bytes())
        .and(with_state(state))
        .map(|body: Bytes, state: Arc<State>| set_status(&state, &body).into_response())
}

/// `POST /mock/forget` `{"id": "..."}`: drop a task from answers.
fn forget_route(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("mock" / "forget")
        .and(warp::post())
        .and(warp::body::bytes())
        .and(with_state(state))
        .map(|body: Bytes, state: Arc<State>| forget(&state, &body).into_response())
}

#[derive(Deserialize)]
struct FaultBody {
    fault: String,
    count: Option<u64>,
    stall_ms: Option<u64>,
}

fn set_fault(state: &State, body: &[u8]) -> Answer {
    let Ok(request) = serde_json::from_slice::<FaultBody>(body) else {
        return bad_request("expected {\"fault\": name}");
    };
    let fault = match Fault::parse(&request.fault, request.stall_ms) {
        Ok(fault) => fault,
        Err(message) => return bad_request(&message),
    };
    log::info!("mock_suno fault set to {fault} (count {:?})", request.count);
    match request.count {
        Some(count) => state.faults.fail_next(count, fault.clone()),
        None => state.faults.set(fault.clone()),
    }
    success(json!({"fault": fault.to_string(), "count": request.count}))
}

fn get_fault(state: &State) -> Answer {
    let next = state
        .faults
        .pending()
        .map(|(n, fault)| json!({"fault": fault.to_string(), "count": n}));
    success(json!({"fault": state.faults.standing().to_string(), "next": next}))
}

#[derive(Deserialize)]
struct TaskBody {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

fn set_status(state: &State, body: &[u8]) -> Answer {
    match serde_json::from_slice::<TaskBody>(body) {
        Ok(TaskBody {
            id,
            status: Some(status),
        }) => {
            if state.set_status(&id, &status) {
                success(json!({"id": id, "status": status}))
            } else {
                task_not_found()
            }
        }
        _ => bad_request("expected {\"id\", \"status\"}"),
    }
}

fn forget(state: &State, body: &[u8]) -> Answer {
    match serde_json::from_slice::<TaskBody>(body) {
        Ok(TaskBody { id, .. }) => {
            if state.forget(&id) {
                success(json!({"id": id}))
            } else {
                task_not_found()
            }
        }
        Err(_) => bad_request("expected {\"id\"}"),
    }
}
