//! Channel routes (admin): `POST/GET/PUT /api/channel/`, `GET/DELETE /api/channel/{id}`.

use serde::Deserialize;
use serde_json::{Value, json};
use warp::{Filter, Rejection, Reply};

use super::envelope::{ok, page_data};
use super::{State, auth, blocking, body, query, with_state};
use crate::domain::channel_input::{parse_base_url, parse_channel_type};
use crate::domain::{Page, QueryParams, Role};
use crate::error::{AppError, AppResult};
use crate::store::channels::ChannelFields;

/// All channel routes.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    create(state.clone())
        .or(list(state.clone()))
        .or(get_one(state.clone()))
        .or(update(state.clone()))
        .or(delete(state))
}

/// A channel body; `type` may be the name (`suno`) or new-api's number (36).
#[derive(Debug, Deserialize)]
struct ChannelBody {
    id: Option<i64>,
    #[serde(rename = "type")]
    channel_type: Option<Value>,
    name: Option<String>,
    base_url: Option<String>,
    key: Option<String>,
    models: Option<String>,
    group: Option<String>,
    priority: Option<i64>,
    weight: Option<i64>,
    status: Option<i64>,
}

fn fields(state: &State, b: ChannelBody) -> AppResult<ChannelFields> {
    Ok(ChannelFields {
        channel_type: b
            .channel_type
            .as_ref()
            .map(|t| parse_channel_type(&state.platforms, t))
            .transpose()?,
        name: b.name,
        base_url: b.base_url.as_deref().map(parse_base_url).transpose()?,
        key: b.key,
        models: b.models,
        group: b.group,
        priority: b.priority,
        weight: b.weight,
        status: b.status,
    })
}

/// `POST /api/channel/` `{"name","type","base_url","key","models","group"?,"priority"?,"weight"?,"status"?}` → `data.id`.
pub fn create(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "channel")
        .and(warp::post())
        .and(auth::role(state.clone(), Role::Admin))
        .and(body::json::<ChannelBody>())
        .and(with_state(state))
        .and_then(|_admin, b: ChannelBody, state: State| async move {
            let channel = blocking(move || {
                if b.channel_type.is_none() {
                    return Err(AppError::bad("type is required"));
                }
                if b.base_url.is_none() {
                    return Err(AppError::bad("base_url is required"));
                }
                let f = fields(&state, b)?;
                state.store.create_channel(&f)
            })
            .await?;
            Ok::<_, Rejection>(ok(channel.view()))
        })
}

/// `GET /api/channel/?p=1&page_size=20` → channels with masked keys.
pub fn list(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "channel")
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Admin))
        .and(query())
        .and(with_state(state))
        .and_then(|_admin, q: QueryParams, state: State| async move {
            let data = blocking(move || {
                let page = Page::parse(&q)?;
                let (items, total) = state.store.list_channels(page)?;
                let views: Vec<_> = items.iter().map(|c| c.view()).collect();
                Ok(page_data(views, total, page))
            })
            .await?;
            Ok::<_, Rejection>(ok(data))
        })
}

/// `GET /api/channel/{id}`.
pub fn get_one(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "channel" / String)
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Admin))
        .and(with_state(state))
        .and_then(|id: String, _admin, state: State| async move {
            let id = super::path_id("channel", &id)?;
            let channel = blocking(move || {
                state
                    .store
                    .get_channel(id)?
                    .ok_or_else(|| AppError::NotFound(format!("channel {id} not found")))
            })
            .await?;
            Ok::<_, Rejection>(ok(channel.view()))
        })
}

/// `PUT /api/channel/` `{"id", ...}`.
pub fn update(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "channel")
        .and(warp::put())
        .and(auth::role(state.clone(), Role::Admin))
        .and(body::json::<ChannelBody>())
        .and(with_state(state))
        .and_then(|_admin, b: ChannelBody, state: State| async move {
            let channel = blocking(move || {
                let id = b.id.ok_or_else(|| AppError::bad("id is required"))?;
                let f = fields(&state, b)?;
                state.store.update_channel(id, &f)
            })
            .await?;
            Ok::<_, Rejection>(ok(channel.view()))
        })
}

/// `DELETE /api/channel/{id}`.
pub fn delete(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "channel" / String)
        .and(warp::delete())
        .and(auth::role(state.clone(), Role::Admin))
        .and(with_state(state))
        .and_then(|id: String, _admin, state: State| async move {
            let id = super::path_id("channel", &id)?;
            blocking(move || state.store.delete_channel(id)).await?;
            Ok::<_, Rejection>(ok(json!(null)))
        })
}
