//! Idempotent submissions (`Idempotency-Key`), the same for every
//! platform's submission routes: claim the key, run the request once,
//! store its answer, replay it. Each route supplies only how it renders
//! its answers ([`Renderer`]); the claims live in `store/idempotency.rs`.
//!
//! A request that charged nothing (refused before the charge: bad body,
//! quota, no channel) stores nothing and frees its key, so the client can
//! fix the cause and retry with the same key. Once a task is charged, the
//! key's answer is that request's, success or refunded failure.

use serde_json::Value;
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;

use super::error::HttpError;
use crate::context::Context;
use crate::domain::{IdempotencyKey, Invalid, TaskStatus};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::idempotency::{Claimed, KeyHold};
use crate::store::tasks::Task;
use crate::store::users::User;

/// The request header naming the key.
pub const KEY_HEADER: &str = "idempotency-key";
/// The answer header marking a stored (or recovered) answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The key a request carries, if any (two keys are refused).
fn key_of(headers: &HeaderMap) -> std::result::Result<Option<IdempotencyKey>, Invalid> {
    let mut values = headers.get_all(KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Invalid(
            "send one Idempotency-Key header, not several".into(),
        ));
    }
    let text = value
        .to_str()
        .map_err(|_| Invalid("Idempotency-Key must be printable ASCII characters".into()))?;
    IdempotencyKey::parse(text).map(Some)
}

/// A keyed request: its key and the hash of what it asks (method, path
/// and body bytes), so a reused key is told apart from a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    key: IdempotencyKey,
    request_hash: String,
}

impl Keyed {
    /// The key of a request and its hash; `None` without the header.
    pub fn of(
        headers: &HeaderMap,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> std::result::Result<Option<Keyed>, Invalid> {
        Ok(key_of(headers)?.map(|key| Keyed {
            key,
            // A path never holds a newline, so the parts cannot run together.
            request_hash: crate::secrets::sha256_hex(&[
                method.as_bytes(),
                b"\n",
                path.as_bytes(),
                b"\n",
                body,
            ]),
        }))
    }
}

/// How one submission route answers, so its answers can be stored and
/// replayed byte for byte.
pub struct Renderer<T> {
    /// The JSON body of a success (status 200).
    pub success: fn(&T) -> Vec<u8>,
    /// The JSON body of an error, with the message the client reads.
    pub error: fn(&HttpError, &str) -> Value,
    /// The success value for a task a server that is gone charged for the
    /// key and never answered.
    pub recovered: fn(&Context, &User, &Task) -> Result<T>,
}

/// An answer as stored: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn render<T>(renderer: &Renderer<T>, result: &Result<T>) -> Answer {
        match result {
            Ok(v) => Answer {
                status: StatusCode::OK.as_u16(),
                body: (renderer.success)(v),
            },
            Err(e) => {
                let err = HttpError::from(e.clone());
                let message = if err.is_internal() {
                    "internal error".to_string()
                } else {
                    err.to_string()
                };
                Answer {
                    status: err.status().as_u16(),
                    body: serde_json::to_vec(&(renderer.error)(&err, &message)).unwrap_or_default(),
                }
            }
        }
    }

    fn into_response(self, replayed: bool) -> Response {
        let mut resp = Response::new(self.body.into());
        *resp.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = resp.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        if replayed {
            headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        }
        resp
    }
}

/// Runs `submit` once per key: without a key it just runs; with one, the
/// first request runs and its answer is stored, a retry gets that answer
/// (`Idempotent-Replayed: true`), a concurrent one 409, a different
/// request with the key 422. `submit` hands the claim to the relay, which
/// ties it to the charge.
pub fn submit_once<T>(
    ctx: &Context,
    user: &User,
    keyed: Option<Keyed>,
    renderer: &Renderer<T>,
    submit: impl FnOnce(Option<&KeyHold>) -> Result<T>,
) -> Result<Response> {
    let Some(keyed) = keyed else {
        let value = submit(None)?;
        return Ok(Answer::render(renderer, &Ok(value)).into_response(false));
    };
    let hold = KeyHold {
        user_id: user.id,
        key: keyed.key.into_string(),
        instance: ctx.instance.clone(),
    };
    let now = ctx.clock.now();
    let expired_before = now - ctx.config.idempotency_ttl_secs as i64;
    match ctx
        .store
        .claim_idempotency_key(&hold, &keyed.request_hash, expired_before, now)?
    {
        Claimed::Answered { status, body } => Ok(Answer { status, body }.into_response(true)),
        Claimed::InProgress => Err(Error::Conflict(
            "a request with this Idempotency-Key is in progress".into(),
        )),
        Claimed::Mismatch => Err(Error::Unprocessable(
            "this Idempotency-Key was used with a different request (method, path or body); \
             send a new key for a new request"
                .into(),
        )),
        Claimed::Fresh => {
            let held = Held::new(&ctx.store, hold);
            let result = submit(Some(&held.hold));
            let answer = Answer::render(renderer, &result);
            if held.settle(&answer) {
                // Stored, so answered here rather than by the envelope's
                // recover, which would log an internal failure's detail.
                if let Err(e @ Error::Internal(_)) = &result {
                    log::error!("submission failed after its charge: {e:?}");
                }
                Ok(answer.into_response(false))
            } else {
                // Nothing was charged, so nothing is stored: the client's
                // error as any request would get it.
                result.map(|_| answer.into_response(false))
            }
        }
        Claimed::Abandoned(task) => {
            let held = Held::new(&ctx.store, hold);
            let result = match task.status() {
                TaskStatus::Failure => Err(Error::Upstream {
                    status: StatusCode::BAD_GATEWAY.as_u16(),
                    message: task.fail_reason.clone(),
                }),
                _ => (renderer.recovered)(ctx, user, &task),
            };
            let answer = Answer::render(renderer, &result);
            // A task still NOT_START may yet be accepted or failed by the
            // orphan sweep: its answer is derived again next time.
            if task.status() != TaskStatus::NotStart {
                held.settle(&answer);
            }
            Ok(answer.into_response(true))
        }
    }
}

/// A claim this request holds; dropped unsettled (an error, a panic), it
/// is let go as a crash would leave it.
struct Held<'a> {
    store: &'a Store,
    hold: KeyHold,
    settled: std::cell::Cell<bool>,
}

impl<'a> Held<'a> {
    fn new(store: &'a Store, hold: KeyHold) -> Held<'a> {
        Held {
            store,
            hold,
            settled: std::cell::Cell::new(false),
        }
    }

    /// Stores `answer` when the request charged a task; otherwise frees the
    /// key. Whether it was stored. A failure to store is logged, not
    /// answered: the request itself is done (an accepted job must not look
    /// failed), and the claim is let go so a retry derives the answer from
    /// the task.
    fn settle(&self, answer: &Answer) -> bool {
        match self
            .store
            .settle_idempotency_key(&self.hold, answer.status, &answer.body)
        {
            Ok(stored) => {
                self.settled.set(true);
                stored
            }
            Err(e) => {
                log::error!("cannot store the answer of an idempotency key: {e:?}");
                false
            }
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if !self.settled.get()
            && let Err(e) = self.store.let_go_idempotency_key(&self.hold)
        {
            log::error!("cannot let go of an idempotency key: {e:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_method_path_and_body() {
        let mut h = HeaderMap::new();
        h.insert(KEY_HEADER, HeaderValue::from_static("k"));
        let of = |m, p, b: &[u8]| Keyed::of(&h, m, p, b).unwrap().unwrap().request_hash;
        let base = of("POST", "/suno/submit/music", b"{}");
        assert_eq!(base, of("POST", "/suno/submit/music", b"{}"));
        assert_ne!(base, of("POST", "/suno/submit/lyrics", b"{}"));
        assert_ne!(base, of("PUT", "/suno/submit/music", b"{}"));
        assert_ne!(base, of("POST", "/suno/submit/music", b"{ }"));
        assert_eq!(
            Keyed::of(&HeaderMap::new(), "POST", "/", b"").unwrap(),
            None
        );
    }
}
