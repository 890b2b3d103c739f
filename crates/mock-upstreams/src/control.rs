//! The `/mock/...` HTTP control routes every platform mock serves, for users in another
//! process (the quickstart, a benchmark driving a release build). No auth: the mocks are
//! local test tools. Each platform answers in its own shape through [`Controlled`].

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::fault::Fault;
use crate::reply::Answer;
use crate::running::Platform;
use crate::server::with_state;

/// What the control routes need from a platform mock's shared state beyond [`Platform`].
pub(crate) trait Controlled: Platform {
    /// Forces the status of a known task; `Ok(false)` for an unknown id, `Err` for a word
    /// the platform refuses.
    fn force_status(&self, id: &str, status: &str) -> Result<bool, String>;
    /// Drops a task from all answers; false if it was unknown.
    fn forget_task(&self, id: &str) -> bool;
    /// HTTP 200 with `data` in the platform's success shape.
    fn ok(data: Value) -> Answer;
    /// HTTP 400 in the platform's error shape.
    fn bad_request(message: &str) -> Answer;
    /// HTTP 404 for an id the mock does not know, in the platform's error shape.
    fn unknown_id(id: &str) -> Answer;
}

/// Every control route.
pub(crate) fn control_routes<S: Controlled>(
    state: Arc<S>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let post = |name: &'static str, act: fn(&S, &[u8]) -> Answer| {
        warp::path("mock")
            .and(warp::path(name))
            .and(warp::path::end())
            .and(warp::post())
            .and(warp::body::bytes())
            .and(with_state(state.clone()))
            .map(move |body: Bytes, state: Arc<S>| act(&state, &body).into_response())
    };
    let get = |name: &'static str, act: fn(&S) -> Answer| {
        warp::path("mock")
            .and(warp::path(name))
            .and(warp::path::end())
            .and(warp::get())
            .and(with_state(state.clone()))
            .map(move |state: Arc<S>| act(&state).into_response())
    };
    post("fault", set_fault)
        .or(get("fault", get_fault))
        .unify()
        .or(get("stats", |state| S::ok(stats_json(state))))
        .unify()
        .or(reset_stats_route(state.clone()))
        .unify()
        .or(post("status", set_status))
        .unify()
        .or(post("forget", forget))
        .unify()
}

/// `POST /mock/stats/reset` → the zeroed counts
fn reset_stats_route<S: Controlled>(
    state: Arc<S>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("mock" / "stats" / "reset")
        .and(warp::post())
        .and(with_state(state))
        .map(|state: Arc<S>| {
            state.base().reset_counts();
            S::ok(stats_json(&*state)).into_response()
        })
}

/// The request counts as JSON.
fn stats_json<S: Controlled>(state: &S) -> Value {
    serde_json::to_value(state.stats()).unwrap_or(Value::Null)
}

/// The body of `POST /mock/fault`.
#[derive(Deserialize)]
struct FaultRequest {
    fault: String,
    count: Option<u64>,
    stall_ms: Option<u64>,
}

/// `POST /mock/fault` `{"fault": "http_500", "count"?: 3, "stall_ms"?: 2000}`: a standing
/// fault, or one for the next `count` requests.
fn set_fault<S: Controlled>(state: &S, body: &[u8]) -> Answer {
    let Ok(request) = serde_json::from_slice::<FaultRequest>(body) else {
        return S::bad_request("expected {\"fault\": name}");
    };
    let fault = match Fault::parse(&request.fault, request.stall_ms) {
        Ok(fault) => fault,
        Err(message) => return S::bad_request(&message),
    };
    log::info!("mock fault set to {fault} (count {:?})", request.count);
    match request.count {
        Some(count) => state.base().faults.fail_next(count, fault.clone()),
        None => state.base().faults.set(fault.clone()),
    }
    S::ok(json!({"fault": fault.to_string(), "count": request.count}))
}

/// `GET /mock/fault` → `{"fault": "none", "next": {"fault": "http_500", "count": 2} | null}`
fn get_fault<S: Controlled>(state: &S) -> Answer {
    let faults = &state.base().faults;
    let next = faults
        .pending()
        .map(|(n, fault)| json!({"fault": fault.to_string(), "count": n}));
    S::ok(json!({"fault": faults.standing().to_string(), "next": next}))
}

/// The body of `/mock/status` and `/mock/forget`.
#[derive(Deserialize)]
struct TaskBody {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

/// `POST /mock/status` `{"id": "...", "status": "..."}`: force a task's status.
fn set_status<S: Controlled>(state: &S, body: &[u8]) -> Answer {
    let Ok(TaskBody {
        id,
        status: Some(status),
    }) = serde_json::from_slice(body)
    else {
        return S::bad_request("expected {\"id\", \"status\"}");
    };
    match state.force_status(&id, &status) {
        Ok(true) => S::ok(json!({"id": id, "status": status})),
        Ok(false) => S::unknown_id(&id),
        Err(message) => S::bad_request(&message),
    }
}

/// `POST /mock/forget` `{"id": "..."}`: drop a task from answers.
fn forget<S: Controlled>(state: &S, body: &[u8]) -> Answer {
    match serde_json::from_slice::<TaskBody>(body) {
        Ok(TaskBody { id, .. }) if state.forget_task(&id) => S::ok(json!({"id": id})),
        Ok(TaskBody { id, .. }) => S::unknown_id(&id),
        Err(_) => S::bad_request("expected {\"id\"}"),
    }
}
