//! API key routes: `POST/GET/PUT /api/token/`, `DELETE /api/token/{id}`.

use serde::Deserialize;
use serde_json::json;
use warp::{Filter, Rejection, Reply};

use super::envelope::{ok, page_data};
use super::{State, auth, blocking, body, query, with_state};
use crate::domain::{Page, QueryParams};
use crate::store::tokens::{NewToken, TokenUpdate};
use crate::store::users::User;

/// All key routes.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    create(state.clone())
        .or(list(state.clone()))
        .or(update(state.clone()))
        .or(delete(state))
}

#[derive(Debug, Deserialize)]
struct CreateToken {
    #[serde(default)]
    name: String,
    remain_quota: Option<i64>,
    unlimited_quota: Option<bool>,
    expired_time: Option<i64>,
}

/// `POST /api/token/` `{"name","remain_quota"?,"unlimited_quota"?,"expired_time"?}` → `{"id","key",...}`; the key is shown only here.
pub fn create(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "token")
        .and(warp::post())
        .and(auth::user(state.clone()))
        .and(body::json::<CreateToken>())
        .and(with_state(state))
        .and_then(|user: User, req: CreateToken, state: State| async move {
            let (token, key) = blocking(move || {
                state.store.create_token(
                    user.id,
                    &NewToken {
                        name: req.name,
                        remain_quota: req.remain_quota.unwrap_or(0),
                        unlimited_quota: req.unlimited_quota.unwrap_or(false),
                        expired_time: req.expired_time.unwrap_or(-1),
                    },
                )
            })
            .await?;
            let mut data = serde_json::to_value(&token).unwrap_or_else(|_| json!({}));
            data["key"] = json!(key);
            Ok::<_, Rejection>(ok(data))
        })
}

/// `GET /api/token/?p=1&page_size=20` → the caller's keys (no secrets).
pub fn list(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "token")
        .and(warp::get())
        .and(auth::user(state.clone()))
        .and(query())
        .and(with_state(state))
        .and_then(|user: User, q: QueryParams, state: State| async move {
            let data = blocking(move || {
                let page = Page::parse(&q)?;
                let (items, total) = state.store.list_tokens(user.id, page)?;
                Ok(page_data(items, total, page))
            })
            .await?;
            Ok::<_, Rejection>(ok(data))
        })
}

#[derive(Debug, Deserialize)]
struct UpdateToken {
    id: i64,
    name: Option<String>,
    status: Option<i64>,
    remain_quota: Option<i64>,
    unlimited_quota: Option<bool>,
    expired_time: Option<i64>,
}

/// `PUT /api/token/` `{"id", "name"?, "status"?, "remain_quota"?, "unlimited_quota"?, "expired_time"?}`.
pub fn update(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "token")
        .and(warp::put())
        .and(auth::user(state.clone()))
        .and(body::json::<UpdateToken>())
        .and(with_state(state))
        .and_then(|user: User, req: UpdateToken, state: State| async move {
            let token = blocking(move || {
                state.store.update_token(
                    user.id,
                    req.id,
                    &TokenUpdate {
                        name: req.name,
                        status: req.status,
                        remain_quota: req.remain_quota,
                        unlimited_quota: req.unlimited_quota,
                        expired_time: req.expired_time,
                    },
                )
            })
            .await?;
            Ok::<_, Rejection>(ok(token))
        })
}

/// `DELETE /api/token/{id}`.
pub fn delete(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "token" / String)
        .and(warp::delete())
        .and(auth::user(state.clone()))
        .and(with_state(state))
        .and_then(|id: String, user: User, state: State| async move {
            let id = super::path_id("token", &id)?;
            blocking(move || state.store.delete_token(user.id, id)).await?;
            Ok::<_, Rejection>(ok(serde_json::Value::Null))
        })
}
