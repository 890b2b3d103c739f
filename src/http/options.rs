//! Option routes (root): `GET /api/option/`, `PUT /api/option/`.

use serde::Deserialize;
use serde_json::{Value, json};
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::{answer, body};
use crate::context::Context;
use crate::domain::Role;
use crate::error::Result;

/// Both option routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    list(ctx.clone()).or(update(ctx))
}

/// `GET /api/option/` → `[{"key","value"}]` (values are JSON text).
pub fn list(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "option")
        .and(warp::get())
        .and(auth::role(ctx, Role::Root))
        .and_then(|c: Caller| answer(move || list_options(&c)))
}

fn list_options(c: &Caller) -> Result<Vec<Value>> {
    let opts = c.ctx.store.list_options()?;
    Ok(opts
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect())
}

#[derive(Debug, Deserialize)]
struct SetOption {
    key: String,
    value: Value,
}

/// `PUT /api/option/` `{"key": "ModelPrice"|"GroupRatio", "value": "<JSON object as a string>"}`.
pub fn update(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "option")
        .and(warp::put())
        .and(auth::role(ctx, Role::Root))
        .and(body::json::<SetOption>())
        .and_then(|c: Caller, req: SetOption| answer(move || set_option(&c, req)))
}

fn set_option(c: &Caller, req: SetOption) -> Result<Value> {
    // new-api sends the value as a string; accept an object as well.
    let value = match req.value {
        Value::String(s) => s,
        other => other.to_string(),
    };
    c.ctx.store.set_option(&req.key, &value)?;
    Ok(Value::Null)
}
