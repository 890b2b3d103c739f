//! Operators' user routes: create, list, read, update, adjust quota.

use serde::Deserialize;
use serde_json::{Value, json};
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::{PageData, page_data};
use super::{path_id, wire};
use crate::context::Context;
use crate::domain::{Page, QueryParams, Role};
use crate::error::{Error, Result};
use crate::policy;
use crate::store::user_admin::UserUpdate;
use crate::store::users::{NewUser, User};

/// All operators' user routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    create(ctx.clone())
        .or(list(ctx.clone()))
        .or(get_one(ctx.clone()))
        .or(update(ctx.clone()))
        .or(adjust_quota(ctx))
}

/// `GET /api/user/?p=1&page_size=20&keyword=` (admin).
pub fn list(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user").and(warp::get());
    wire::with_query(route, auth::role(ctx, Role::Admin), list_users)
}

fn list_users(c: &Caller, q: &QueryParams) -> Result<PageData<User>> {
    let page = Page::parse(q)?;
    let (items, total) = c.ctx.store.list_users(q.get("keyword"), page)?;
    Ok(page_data(items, total, page))
}

/// `GET /api/user/{id}` (admin).
pub fn get_one(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user" / String).and(warp::get());
    wire::with_id(route, auth::role(ctx, Role::Admin), target)
}

/// The user a route names by id (404 when unknown).
fn target(c: &Caller, id: &str) -> Result<User> {
    let id = path_id("user", id)?;
    c.ctx
        .store
        .get_user(id)?
        .ok_or_else(|| Error::NotFound(format!("user {id} not found")))
}

/// A user body: every field optional; `username` names a new user, `id`
/// the user to update.
#[derive(Debug, Deserialize)]
struct UserBody {
    id: Option<i64>,
    username: Option<String>,
    password: Option<String>,
    display_name: Option<String>,
    role: Option<i64>,
    group: Option<String>,
    quota: Option<i64>,
    status: Option<i64>,
}

/// `POST /api/user/` `{"username","password"?,"display_name"?,"role"?,"group"?,"quota"?}` (admin)
/// → the new user and its `access_token`, shown only here.
pub fn create(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user").and(warp::post());
    wire::with_json(route, auth::role(ctx, Role::Admin), create_user)
}

fn create_user(c: &Caller, req: UserBody) -> Result<Value> {
    let username = req
        .username
        .ok_or_else(|| Error::invalid("username is required"))?;
    let role = match req.role {
        None => Role::Common,
        Some(r) => Role::parse(r).ok_or_else(|| {
            Error::invalid(format!("invalid role {r}: use 1 (common) or 10 (admin)"))
        })?,
    };
    policy::may_create_user(c.user.role(), role)?;
    let new = NewUser {
        username,
        // new-api's console sends "" for "no password".
        password: req.password.filter(|p| !p.is_empty()),
        display_name: req.display_name,
        role: Some(role),
        group: req.group,
        quota: req.quota.unwrap_or(0),
    };
    let (user, token) = c.ctx.store.create_user(&new)?;
    Ok(json!({
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "status": user.status,
        "group": user.group,
        "quota": user.quota,
        "access_token": token,
    }))
}

/// `PUT /api/user/` `{"id", "display_name"?, "group"?, "role"?, "status"?, "password"?}` (admin; root for admin roles).
/// A new password or a disabled status ends the user's sessions.
pub fn update(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user").and(warp::put());
    wire::with_json(route, auth::role(ctx, Role::Admin), update_user)
}

fn update_user(c: &Caller, req: UserBody) -> Result<User> {
    let id = req.id.ok_or_else(|| Error::invalid("id is required"))?;
    let role = req
        .role
        .map(|r| {
            Role::parse(r)
                .ok_or_else(|| Error::invalid(format!("invalid role {r}: use 1, 10 or 100")))
        })
        .transpose()?;
    let up = UserUpdate {
        display_name: req.display_name,
        group: req.group,
        role,
        status: req.status,
        // "" keeps the password (new-api's console sends it unchanged).
        password: req.password.filter(|p| !p.is_empty()),
    };
    let target = target(c, &id.to_string())?;
    policy::may_update_user(c.user.role(), target.role(), &up)?;
    Ok(c.ctx.store.update_user(target.id, &up)?)
}

#[derive(Debug, Deserialize)]
struct QuotaChange {
    delta: i64,
    #[serde(default)]
    reason: String,
}

/// `POST /api/user/{id}/quota` `{"delta": <signed>, "reason": "..."}` (admin).
pub fn adjust_quota(
    ctx: Context,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user" / String / "quota").and(warp::post());
    wire::with_id_json(route, auth::role(ctx, Role::Admin), adjust)
}

fn adjust(c: &Caller, id: &str, req: QuotaChange) -> Result<User> {
    let target = target(c, id)?;
    policy::may_adjust_quota(c.user.role(), target.role())?;
    let by = c.label();
    Ok(c.ctx
        .store
        .adjust_quota(target.id, req.delta, &req.reason, &by)?)
}
