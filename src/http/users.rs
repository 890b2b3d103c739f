//! The caller's own account, and user creation (admin).

use serde::Deserialize;
use serde_json::{Value, json};
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::ok;
use super::wire;
use crate::context::Context;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::policy;
use crate::store::users::NewUser;

/// All user routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    get_self(ctx.clone())
        .or(rotate_token(ctx.clone()))
        .or(create(ctx))
}

/// `GET /api/user/self` → the caller's account.
pub fn get_self(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / "self")
        .and(warp::get())
        .and(auth::user(ctx))
        .map(|c: Caller| ok(c.user))
}

/// `GET /api/user/token` → a new access token for the caller (the old one stops working).
pub fn rotate_token(
    ctx: Context,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user" / "token").and(warp::get());
    wire::plain(route, auth::user(ctx), |c| {
        Ok(c.ctx.store.rotate_access_token(c.user.id)?)
    })
}

/// Body of `POST /api/user/`.
#[derive(Debug, Deserialize)]
struct CreateUser {
    username: String,
    password: Option<String>,
    display_name: Option<String>,
    role: Option<i64>,
    group: Option<String>,
    quota: Option<i64>,
}

/// `POST /api/user/` `{"username","password"?,"display_name"?,"role"?,"group"?,"quota"?}` (admin)
/// → the new user and its `access_token`, shown only here.
pub fn create(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user").and(warp::post());
    wire::with_json(route, auth::role(ctx, Role::Admin), create_user)
}

fn create_user(c: &Caller, req: CreateUser) -> Result<Value> {
    let role = match req.role {
        None => Role::Common,
        Some(r) => Role::parse(r).ok_or_else(|| {
            Error::invalid(format!("invalid role {r}: use 1 (common) or 10 (admin)"))
        })?,
    };
    policy::may_create_user(c.user.role(), role)?;
    let new = NewUser {
        username: req.username,
        password: req.password,
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
