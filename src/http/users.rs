//! User routes of the foundation: self, create, token rotation.

use serde::Deserialize;
use serde_json::json;
use warp::{Filter, Rejection, Reply};

use super::envelope::ok;
use super::{State, auth, blocking, body, with_state};
use crate::domain::Role;
use crate::error::AppError;
use crate::store::users::{NewUser, User};

/// All user routes.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    get_self(state.clone())
        .or(rotate_token(state.clone()))
        .or(create(state))
}

/// `GET /api/user/self` → the caller's account.
pub fn get_self(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / "self")
        .and(warp::get())
        .and(auth::user(state))
        .map(|user: User| ok(user))
}

/// `GET /api/user/token` → a new access token for the caller (the old one stops working).
pub fn rotate_token(
    state: State,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / "token")
        .and(warp::get())
        .and(auth::user(state.clone()))
        .and(with_state(state))
        .and_then(|user: User, state: State| async move {
            let token = blocking(move || state.store.rotate_access_token(user.id)).await?;
            Ok::<_, Rejection>(ok(token))
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
pub fn create(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user")
        .and(warp::post())
        .and(auth::role(state.clone(), Role::Admin))
        .and(body::json::<CreateUser>())
        .and(with_state(state))
        .and_then(|admin: User, req: CreateUser, state: State| async move {
            let role = match req.role {
                None => Role::Common,
                Some(r) => Role::parse(r).ok_or_else(|| {
                    warp::reject::custom(AppError::bad(format!(
                        "invalid role {r}: use 1 (common) or 10 (admin)"
                    )))
                })?,
            };
            if role == Role::Root {
                return Err(warp::reject::custom(AppError::Forbidden(
                    "nobody can create another root user".into(),
                )));
            }
            if role >= Role::Admin && admin.role() < Role::Root {
                return Err(warp::reject::custom(AppError::Forbidden(
                    "only root can create administrators".into(),
                )));
            }
            let new = NewUser {
                username: req.username,
                password: req.password,
                display_name: req.display_name,
                role: Some(role),
                group: req.group,
                quota: req.quota.unwrap_or(0),
            };
            let (user, token) = blocking(move || state.store.create_user(&new)).await?;
            Ok(ok(json!({
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "status": user.status,
                "group": user.group,
                "quota": user.quota,
                "access_token": token,
            })))
        })
}
