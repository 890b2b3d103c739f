//! What the Suno routes answer: latency, then the fault, then the secret, then the work.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use warp::Reply;
use warp::hyper::body::Bytes;
use warp::reply::Response;

use super::envelope::{bad_request, error, success, task_not_found, unauthorized};
use super::state::{State, Stats, Submission};
use super::task::{Entry, LyricsInput, MusicInput, Task, title_from};
use super::view::{Shape, TaskView};
use crate::clock::Clock;
use crate::fault::{Fault, http_fault};
use crate::reply::{Answer, disconnect};
use crate::running::admit;

/// A Suno request, before faults and auth.
pub(crate) enum Call {
    /// `POST /suno/submit/{action}`.
    Submit { action: String, body: Bytes },
    /// `POST /suno/fetch`.
    Fetch { body: Bytes },
    /// `GET /suno/fetch/{id}`.
    FetchOne { id: String },
    /// `GET /ping`.
    Ping,
}

/// Counts the request, waits the latency, applies the fault, checks the secret, answers.
pub(crate) async fn answer(
    call: Call,
    authorization: Option<String>,
    state: Arc<State>,
) -> Response {
    let fault = admit(&*state, |stats: &mut Stats| match &call {
        Call::Submit { .. } => stats.submit += 1,
        Call::Fetch { .. } => stats.fetch += 1,
        Call::FetchOne { .. } => stats.fetch_one += 1,
        Call::Ping => stats.ping += 1,
    })
    .await;
    let answer = match fault {
        Fault::Disconnect => return disconnect(),
        Fault::Http(code) => {
            let (status, message) = http_fault(code, "mock_suno");
            error(status, &message)
        }
        Fault::MalformedJson => {
            Answer::raw(br#"{"code":"success","message":"","data":[{"task_id":"#)
        }
        Fault::CodeNotSuccess => Answer::raw(
            br#"{"code":"internal_error","message":"mock_suno fault: upstream refused","data":null}"#,
        ),
        Fault::Stall(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            respond(&state, call, authorization, &fault)
        }
        Fault::HugeBody => respond(&state, call, authorization, &fault).padded(),
        _ => respond(&state, call, authorization, &fault),
    };
    answer.into_response()
}

/// The healthy answer, reshaped by the fetch faults.
fn respond(state: &State, call: Call, authorization: Option<String>, fault: &Fault) -> Answer {
    let authorized = authorization
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer "))
        == Some(state.base.secret.as_str());
    let shape = Shape {
        media_at: state.cfg.serve_media.then(|| state.base.addr()).flatten(),
        weird_status: *fault == Fault::UnknownStatus,
        millisecond_times: *fault == Fault::MillisecondTimes,
    };
    match call {
        Call::Ping => Answer::raw(br#"{"message":"pong"}"#),
        Call::Submit { action, body } => submit(state, action, body, authorization, authorized),
        _ if !authorized => {
            state.base.counts.bump(|stats| stats.unauthorized += 1);
            unauthorized()
        }
        Call::Fetch { body } => fetch(state, &body, fault, shape),
        Call::FetchOne { id } => fetch_one(state, &id, fault, shape),
    }
}

/// Records the submission whatever happens, then creates the task if the secret is right.
fn submit(
    state: &State,
    action: String,
    body: Bytes,
    authorization: Option<String>,
    authorized: bool,
) -> Answer {
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let mut submission = Submission {
        action: action.clone(),
        body: match &parsed {
            Ok(value) => value.clone(),
            Err(_) => Value::String(String::from_utf8_lossy(&body).into_owned()),
        },
        authorization,
        upstream_id: None,
    };
    let answer = if authorized {
        create(state, &action, parsed)
    } else {
        state.base.counts.bump(|stats| stats.unauthorized += 1);
        Err(unauthorized())
    };
    let response = match answer {
        Ok(upstream_id) => {
            let response = success(&upstream_id);
            submission.upstream_id = Some(upstream_id);
            response
        }
        Err(response) => response,
    };
    state.record(submission);
    response
}

/// Validates a submit like Suno-API and stores the task; the upstream id or the error reply.
fn create(
    state: &State,
    action: &str,
    body: Result<Value, serde_json::Error>,
) -> Result<String, Answer> {
    let invalid_body = || bad_request("invalid request body");
    let body = body.map_err(|_| invalid_body())?;
    let clock = Clock::now();
    let task = match action.to_ascii_uppercase().as_str() {
        "MUSIC" => {
            let mut input: MusicInput = serde_json::from_value(body).map_err(|_| invalid_body())?;
            let description = input.gpt_description_prompt.clone().unwrap_or_default();
            if !description.trim().is_empty() {
                // Inspiration mode: the description wins, custom fields are dropped.
                input = MusicInput {
                    gpt_description_prompt: Some(description.clone()),
                    title: Some(title_from(&description)),
                    mv: input.mv,
                    make_instrumental: input.make_instrumental,
                    ..MusicInput::default()
                };
            } else if input.prompt.as_deref().unwrap_or("").trim().is_empty() {
                return Err(bad_request("prompt and gpt_description_prompt are empty"));
            }
            if input
                .continue_clip_id
                .as_deref()
                .is_some_and(|c| !c.is_empty())
                && input.task_id.as_deref().unwrap_or("").is_empty()
            {
                return Err(bad_request("task_id is empty"));
            }
            state.new_music(state.base.ids.hex32(), input, &clock)
        }
        "LYRICS" => {
            let input: LyricsInput = serde_json::from_value(body).map_err(|_| invalid_body())?;
            let prompt = input.prompt.unwrap_or_default();
            if prompt.trim().is_empty() {
                return Err(bad_request("prompt is empty"));
            }
            Task::lyrics(state.base.ids.uuid(), &prompt, &clock)
        }
        _ => return Err(bad_request(&format!("unsupported action: {action}"))),
    };
    let upstream_id = task.task_id.clone();
    state.tasks().insert(upstream_id.clone(), Entry::new(task));
    Ok(upstream_id)
}

/// The body of `POST /suno/fetch`.
#[derive(Deserialize)]
struct FetchBody {
    #[serde(default)]
    ids: Vec<String>,
}

/// Looks the ids up (O(ids) under the lock), then renders outside it.
fn fetch(state: &State, body: &[u8], fault: &Fault, shape: Shape) -> Answer {
    let Ok(FetchBody { ids }) = serde_json::from_slice(body) else {
        return bad_request("invalid request body");
    };
    state
        .base
        .counts
        .bump(|stats| stats.fetched_ids += ids.len() as u64);
    let clock = Clock::now();
    let keep_all = *fault != Fault::MissingSome;
    let lost = *fault == Fault::NotFound;
    let mut found: Vec<Entry> = {
        let mut tasks = state.tasks();
        ids.iter()
            .enumerate()
            .filter(|(index, _)| !lost && (keep_all || index % 2 == 0))
            .filter_map(|(_, id)| lookup(state, &mut tasks, id, &clock))
            .collect()
    };
    if *fault == Fault::ExtraIds {
        found.reverse();
        let extras = (0..2).map(|_| {
            let mut task = state.new_music(state.base.ids.hex32(), MusicInput::default(), &clock);
            task.duration_ms = 0;
            task.fails = true;
            Entry::new(task)
        });
        found.splice(0..0, extras);
    }
    let views: Vec<TaskView<'_>> = found.iter().map(|e| e.view(&clock, shape)).collect();
    success(views)
}

/// `GET /suno/fetch/{id}`: the whole task (as new-api answers), or 404.
fn fetch_one(state: &State, id: &str, fault: &Fault, shape: Shape) -> Answer {
    let clock = Clock::now();
    let entry = if matches!(fault, Fault::MissingSome | Fault::NotFound) {
        None
    } else {
        lookup(state, &mut state.tasks(), id, &clock)
    };
    match entry {
        Some(entry) => success(entry.view(&clock, shape)),
        None => task_not_found(),
    }
}

/// A known task, or with [`super::MockConfig::adopt_unknown_ids`] a song submitted now.
fn lookup(
    state: &State,
    tasks: &mut HashMap<String, Entry>,
    id: &str,
    clock: &Clock,
) -> Option<Entry> {
    if let Some(entry) = tasks.get(id) {
        return Some(entry.clone());
    }
    if !state.cfg.adopt_unknown_ids || id.is_empty() {
        return None;
    }
    let input = MusicInput {
        prompt: Some("adopted by mock_suno".to_string()),
        ..MusicInput::default()
    };
    let entry = Entry::new(state.new_music(id.to_string(), input, clock));
    tasks.insert(id.to_string(), entry.clone());
    Some(entry)
}
