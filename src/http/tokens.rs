//! API key routes: `POST/GET/PUT /api/token/`, `DELETE /api/token/{id}`.

use serde::Deserialize;
use serde_json::{Value, json};
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::{PageData, page_data};
use super::{path_id, wire};
use crate::context::Context;
use crate::domain::{Page, QueryParams};
use crate::error::{Error, Result};
use crate::store::tokens::{NewToken, Token, TokenUpdate};

/// All key routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    create(ctx.clone())
        .or(list(ctx.clone()))
        .or(update(ctx.clone()))
        .or(delete(ctx))
}

/// A key body: every field optional; `id` names the key to update.
#[derive(Debug, Deserialize)]
struct TokenBody {
    id: Option<i64>,
    name: Option<String>,
    status: Option<i64>,
    remain_quota: Option<i64>,
    unlimited_quota: Option<bool>,
    expired_time: Option<i64>,
}

/// `POST /api/token/` `{"name","remain_quota"?,"unlimited_quota"?,"expired_time"?}` → `{"id","key",...}`; the key is shown only here.
pub fn create(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "token").and(warp::post());
    wire::with_json(route, auth::user(ctx), create_token)
}

fn create_token(c: &Caller, req: TokenBody) -> Result<Value> {
    let new = NewToken {
        name: req.name.unwrap_or_default(),
        remain_quota: req.remain_quota.unwrap_or(0),
        unlimited_quota: req.unlimited_quota.unwrap_or(false),
        expired_time: req.expired_time.unwrap_or(-1),
    };
    let (token, key) = c.ctx.store.create_token(c.user.id, &new)?;
    let mut data = serde_json::to_value(&token).unwrap_or_else(|_| json!({}));
    data["key"] = json!(key);
    Ok(data)
}

/// `GET /api/token/?p=1&page_size=20` → the caller's keys (no secrets).
pub fn list(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "token").and(warp::get());
    wire::with_query(route, auth::user(ctx), list_tokens)
}

fn list_tokens(c: &Caller, q: &QueryParams) -> Result<PageData<Token>> {
    let page = Page::parse(q)?;
    let (items, total) = c.ctx.store.list_tokens(c.user.id, page)?;
    Ok(page_data(items, total, page))
}

/// `PUT /api/token/` `{"id", "name"?, "status"?, "remain_quota"?, "unlimited_quota"?, "expired_time"?}`.
pub fn update(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "token").and(warp::put());
    wire::with_json(route, auth::user(ctx), update_token)
}

fn update_token(c: &Caller, req: TokenBody) -> Result<Token> {
    let id = req.id.ok_or_else(|| Error::invalid("id is required"))?;
    let up = TokenUpdate {
        name: req.name,
        status: req.status,
        remain_quota: req.remain_quota,
        unlimited_quota: req.unlimited_quota,
        expired_time: req.expired_time,
    };
    Ok(c.ctx.store.update_token(c.user.id, id, &up)?)
}

/// `DELETE /api/token/{id}`.
pub fn delete(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "token" / String).and(warp::delete());
    wire::with_id(route, auth::user(ctx), delete_token)
}

fn delete_token(c: &Caller, id: &str) -> Result<Value> {
    let id = path_id("token", id)?;
    c.ctx.store.delete_token(c.user.id, id)?;
    Ok(Value::Null)
}
