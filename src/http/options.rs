//! Option routes (root): `GET /api/option/`, `PUT /api/option/`.

use serde::Deserialize;
use serde_json::{Value, json};
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::wire;
use crate::context::Context;
use crate::domain::Role;
use crate::error::Result;

/// Both option routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    list(ctx.clone()).or(update(ctx))
}

/// `GET /api/option/` → `[{"key","value"}]` (values are JSON text).
pub fn list(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "option").and(warp::get());
    wire::plain(route, auth::role(ctx, Role::Root), list_options)
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
    let route = warp::path!("api" / "option").and(warp::put());
    wire::with_json(route, auth::role(ctx, Role::Root), set_option)
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
