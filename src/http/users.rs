//! The caller's own account: `GET /api/user/self`, `PUT /api/user/self`,
//! `GET /api/user/token`, and logging in and out ([`super::login`]).

use serde::Deserialize;
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::ok;
use super::{login, wire};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::password::{self, Verdict};
use crate::store::user_admin::UserUpdate;
use crate::store::users::User;

/// All user routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    get_self(ctx.clone())
        .or(update_self(ctx.clone()))
        .or(rotate_token(ctx.clone()))
        // Before the admins' `GET /api/user/{id}`, which would take `logout`.
        .or(login::routes(ctx))
}

/// `GET /api/user/self` → the caller's account.
pub fn get_self(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / "self")
        .and(warp::get())
        .and(auth::user(ctx))
        .map(|c: Caller| ok(c.user))
}

/// What a user may change about themselves; any other field of the body
/// (role, group, quota, status, as new-api's console sends them) is
/// ignored, never applied.
#[derive(Debug, Deserialize)]
struct SelfUpdate {
    display_name: Option<String>,
    password: Option<String>,
    original_password: Option<String>,
}

/// `PUT /api/user/self` `{"display_name"?, "password"?, "original_password"?}`
/// → the caller's account. A new password needs the current one (unless
/// there is none yet) and ends all the caller's sessions.
pub fn update_self(
    ctx: Context,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "user" / "self").and(warp::put());
    wire::with_json(route, auth::user(ctx), change_self)
}

fn change_self(c: &Caller, req: SelfUpdate) -> Result<User> {
    // new-api's console sends "" for "unchanged".
    let new_password = req.password.filter(|p| !p.is_empty());
    if let Some(new_password) = &new_password {
        password::check_rules(new_password)?;
        if let Some(stored) = c.ctx.store.password_hash_of(c.user.id)? {
            let original = req
                .original_password
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    Error::invalid("original_password is required to change the password")
                })?;
            if password::verify(&original, &stored) == Verdict::Wrong {
                return Err(Error::Forbidden(
                    "original_password is wrong; nothing was changed".into(),
                ));
            }
        }
    }
    let up = UserUpdate {
        display_name: req.display_name,
        password: new_password,
        ..Default::default()
    };
    Ok(c.ctx.store.update_user(c.user.id, &up)?)
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
