//! Operators' user routes: list, read, update, adjust quota.

use serde::Deserialize;
use warp::{Filter, Rejection, Reply};

use super::envelope::{ok, page_data};
use super::{State, auth, blocking, body, query, with_state};
use crate::domain::{Page, QueryParams, Role};
use crate::error::AppError;
use crate::store::user_admin::UserUpdate;
use crate::store::users::User;

/// All operators' user routes.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    list(state.clone())
        .or(get_one(state.clone()))
        .or(update(state.clone()))
        .or(adjust_quota(state))
}

/// `GET /api/user/?p=1&page_size=20&keyword=` (admin).
pub fn list(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user")
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Admin))
        .and(query())
        .and(with_state(state))
        .and_then(|_admin, q: QueryParams, state: State| async move {
            let data = blocking(move || {
                let page = Page::parse(&q)?;
                let (items, total) = state.store.list_users(q.get("keyword"), page)?;
                Ok(page_data(items, total, page))
            })
            .await?;
            Ok::<_, Rejection>(ok(data))
        })
}

/// `GET /api/user/{id}` (admin).
pub fn get_one(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / String)
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Admin))
        .and(with_state(state))
        .and_then(|id: String, _admin, state: State| async move {
            let id = super::path_id("user", &id)?;
            let user = blocking(move || {
                state
                    .store
                    .get_user(id)?
                    .ok_or_else(|| AppError::NotFound(format!("user {id} not found")))
            })
            .await?;
            Ok::<_, Rejection>(ok(user))
        })
}

#[derive(Debug, Deserialize)]
struct UpdateUser {
    id: i64,
    display_name: Option<String>,
    group: Option<String>,
    role: Option<i64>,
    status: Option<i64>,
    password: Option<String>,
}

/// `PUT /api/user/` `{"id", "display_name"?, "group"?, "role"?, "status"?, "password"?}` (admin; root for admin roles).
pub fn update(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user")
        .and(warp::put())
        .and(auth::role(state.clone(), Role::Admin))
        .and(body::json::<UpdateUser>())
        .and(with_state(state))
        .and_then(|actor: User, req: UpdateUser, state: State| async move {
            let user = blocking(move || {
                let role = req
                    .role
                    .map(|r| {
                        Role::parse(r).ok_or_else(|| {
                            AppError::bad(format!("invalid role {r}: use 1, 10 or 100"))
                        })
                    })
                    .transpose()?;
                state.store.update_user(
                    &actor,
                    req.id,
                    &UserUpdate {
                        display_name: req.display_name,
                        group: req.group,
                        role,
                        status: req.status,
                        password: req.password,
                    },
                )
            })
            .await?;
            Ok::<_, Rejection>(ok(user))
        })
}

#[derive(Debug, Deserialize)]
struct QuotaChange {
    delta: i64,
    #[serde(default)]
    reason: String,
}

/// `POST /api/user/{id}/quota` `{"delta": <signed>, "reason": "..."}` (admin).
pub fn adjust_quota(
    state: State,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / String / "quota")
        .and(warp::post())
        .and(auth::role(state.clone(), Role::Admin))
        .and(body::json::<QuotaChange>())
        .and(with_state(state))
        .and_then(
            |id: String, actor: User, req: QuotaChange, state: State| async move {
                let id = super::path_id("user", &id)?;
                let user = blocking(move || {
                    let target = state
                        .store
                        .get_user(id)?
                        .ok_or_else(|| AppError::NotFound(format!("user {id} not found")))?;
                    if target.role() >= Role::Admin && actor.role() < Role::Root {
                        return Err(AppError::Forbidden(
                            "only root can change an administrator's quota".into(),
                        ));
                    }
                    let by = format!("{} (id {})", actor.username, actor.id);
                    state.store.adjust_quota(id, req.delta, &req.reason, &by)
                })
                .await?;
                Ok::<_, Rejection>(ok(user))
            },
        )
}
