//! The Suno relay routes (API-key auth, Suno-style envelope), mounted under `/suno`.

use serde::Deserialize;
use serde_json::{Value, json};
use warp::http::HeaderMap;
use warp::{Filter, Rejection, Reply};

use super::auth::strip_bearer;
use super::envelope::suno_ok;
use super::{State, blocking, body, with_state};
use crate::error::AppError;
use crate::store::tasks::Task;
use crate::store::tokens::Token;
use crate::store::users::User;

/// Most ids one fetch may ask for.
const MAX_FETCH_IDS: usize = 100;

/// Routes below `/suno` (the prefix is matched by the caller).
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    submit(state.clone())
        .or(fetch_many(state.clone()))
        .or(fetch_one(state))
}

fn api_key(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|v| strip_bearer(v).to_string())
        .unwrap_or_default()
}

/// What a relay client sees of a task: no channel, upstream id or key.
pub fn relay_view(t: &Task) -> Value {
    json!({
        "task_id": t.task_id,
        "action": t.action,
        "status": t.status,
        "fail_reason": t.fail_reason,
        "submit_time": t.submit_time,
        "start_time": t.start_time,
        "finish_time": t.finish_time,
        "progress": t.progress,
        "data": crate::store::json_value(&t.data),
    })
}

fn key_owner(state: &State, headers: &HeaderMap) -> Result<(Token, User), AppError> {
    crate::relay::authenticate_key(&state.store, &api_key(headers), state.clock.now())
}

/// `POST /suno/submit/{music|lyrics}` with a Suno body → `{"code":"success","data":"task_..."}`.
pub fn submit(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("submit" / String)
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body::limited_bytes())
        .and(with_state(state))
        .and_then(
            |action: String, headers: HeaderMap, bytes: Vec<u8>, state: State| async move {
                let task_id = blocking(move || {
                    // Authenticate before parsing so a bad key is a 401 whatever the body.
                    let (token, user) = key_owner(&state, &headers)?;
                    let body: Value = body::parse_json(&bytes)?;
                    crate::relay::submit(
                        &state.store,
                        &state.platforms,
                        &state.config,
                        state.clock.as_ref(),
                        crate::relay::Submission {
                            token: &token,
                            user: &user,
                            platform: "suno",
                            action: &action,
                            body: &body,
                        },
                    )
                })
                .await?;
                Ok::<_, Rejection>(suno_ok(task_id))
            },
        )
}

#[derive(Debug, Deserialize)]
struct FetchRequest {
    ids: Vec<String>,
}

/// `POST /suno/fetch` `{"ids": [...]}` → the caller's tasks among them.
pub fn fetch_many(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("fetch")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body::limited_bytes())
        .and(with_state(state))
        .and_then(
            |headers: HeaderMap, bytes: Vec<u8>, state: State| async move {
                let tasks = blocking(move || {
                    let (_, user) = key_owner(&state, &headers)?;
                    let req: FetchRequest = body::parse_json(&bytes)?;
                    if req.ids.len() > MAX_FETCH_IDS {
                        return Err(AppError::bad(format!(
                            "at most {MAX_FETCH_IDS} ids per fetch, got {}",
                            req.ids.len()
                        )));
                    }
                    let tasks = state.store.user_tasks(user.id, &req.ids)?;
                    Ok(tasks.iter().map(relay_view).collect::<Vec<_>>())
                })
                .await?;
                Ok::<_, Rejection>(suno_ok(tasks))
            },
        )
}

/// `GET /suno/fetch/{task_id}` → that task, or 404 `task_not_exist`.
pub fn fetch_one(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("fetch" / String)
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_state(state))
        .and_then(|id: String, headers: HeaderMap, state: State| async move {
            let task = blocking(move || {
                let (_, user) = key_owner(&state, &headers)?;
                state
                    .store
                    .user_task(user.id, &id)?
                    .map(|t| relay_view(&t))
                    .ok_or_else(|| AppError::NotFound(format!("task {id} does not exist")))
            })
            .await?;
            Ok::<_, Rejection>(suno_ok(task))
        })
}
