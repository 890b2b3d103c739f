//! The caller's own account: `GET /api/user/self`, `GET /api/user/token`.

use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::ok;
use super::wire;
use crate::context::Context;

/// All user routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    get_self(ctx.clone()).or(rotate_token(ctx))
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
