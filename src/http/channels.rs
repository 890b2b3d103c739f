//! Channel routes (admin): `POST/GET/PUT /api/channel/`, `GET/DELETE /api/channel/{id}`, `POST /api/channel/{id}/test`.

use serde::Deserialize;
use serde_json::Value;
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::{PageData, page_data};
use super::{path_id, wire};
use crate::context::Context;
use crate::domain::address::check_public_base_url;
use crate::domain::{ModelMapping, Page, QueryParams, Role, parse_base_url};
use crate::error::{Error, Result};
use crate::health::ChannelReport;
use crate::platform::probe::{ProbeReport, probe};
use crate::policy;
use crate::store::channels::{Channel, ChannelFields};

/// All channel routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    create(ctx.clone())
        .or(list(ctx.clone()))
        .or(get_one(ctx.clone()))
        .or(update(ctx.clone()))
        .or(delete(ctx.clone()))
        .or(test(ctx))
}

/// A channel body; `type` may be the name (`suno`) or new-api's number.
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
    /// new-api's text form, or the object itself.
    model_mapping: Option<Value>,
}

fn fields(ctx: &Context, b: ChannelBody) -> Result<ChannelFields> {
    let base_url = b.base_url.as_deref().map(parse_base_url).transpose()?;
    if let Some(url) = &base_url
        && !ctx.config.allow_private_upstreams
    {
        check_public_base_url(url)?;
    }
    Ok(ChannelFields {
        channel_type: b
            .channel_type
            .as_ref()
            .map(|t| ctx.platforms.parse_channel_type(t))
            .transpose()?,
        name: b.name,
        base_url,
        key: b.key,
        models: b.models,
        group: b.group,
        priority: b.priority,
        weight: b.weight,
        status: b.status,
        model_mapping: b
            .model_mapping
            .as_ref()
            .filter(|m| !m.is_null())
            .map(ModelMapping::from_value)
            .transpose()?,
    })
}

/// `POST /api/channel/` `{"name","type","base_url","key","models","group"?,"priority"?,"weight"?,"status"?,"model_mapping"?}` → `data.id`.
pub fn create(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "channel").and(warp::post());
    wire::with_json(route, auth::role(ctx, Role::Admin), create_channel)
}

fn create_channel(c: &Caller, b: ChannelBody) -> Result<ChannelReport> {
    if b.channel_type.is_none() {
        return Err(Error::invalid("type is required"));
    }
    if b.base_url.is_none() {
        return Err(Error::invalid("base_url is required"));
    }
    let f = fields(&c.ctx, b)?;
    Ok(report(c, &c.ctx.store.create_channel(&f)?))
}

/// A channel with its health, as every route answers it.
fn report(c: &Caller, channel: &Channel) -> ChannelReport {
    c.ctx.health.report(channel, c.ctx.clock.now())
}

/// `GET /api/channel/?p=1&page_size=20` → channels with masked keys and
/// their health (`healthy`, `consecutive_failures`, `last_error`, ...).
pub fn list(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "channel").and(warp::get());
    wire::with_query(route, auth::role(ctx, Role::Admin), list_channels)
}

fn list_channels(c: &Caller, q: &QueryParams) -> Result<PageData<ChannelReport>> {
    let page = Page::parse(q)?;
    let (items, total) = c.ctx.store.list_channels(page)?;
    Ok(page_data(
        items.iter().map(|ch| report(c, ch)).collect(),
        total,
        page,
    ))
}

/// `GET /api/channel/{id}`.
pub fn get_one(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "channel" / String).and(warp::get());
    wire::with_id(route, auth::role(ctx, Role::Admin), get_channel)
}

fn get_channel(c: &Caller, id: &str) -> Result<ChannelReport> {
    let id = path_id("channel", id)?;
    c.ctx
        .store
        .get_channel(id)?
        .map(|ch| report(c, &ch))
        .ok_or_else(|| Error::NotFound(format!("channel {id} not found")))
}

/// `PUT /api/channel/` `{"id", ...}`; a change of `status` (1 or 2) writes
/// a system log row, and enabling a channel the server disabled (3) clears
/// its reason.
pub fn update(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "channel").and(warp::put());
    wire::with_json(route, auth::role(ctx, Role::Admin), update_channel)
}

fn update_channel(c: &Caller, b: ChannelBody) -> Result<ChannelReport> {
    let id = b.id.ok_or_else(|| Error::invalid("id is required"))?;
    let f = fields(&c.ctx, b)?;
    let current = c
        .ctx
        .store
        .get_channel(id)?
        .ok_or_else(|| Error::NotFound(format!("channel {id} not found")))?;
    policy::may_move_channel(c.user.role(), &current.base_url, &f)?;
    Ok(report(c, &c.ctx.store.update_channel(id, &f, &c.label())?))
}

/// `DELETE /api/channel/{id}`.
pub fn delete(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "channel" / String).and(warp::delete());
    wire::with_id(route, auth::role(ctx, Role::Admin), delete_channel)
}

fn delete_channel(c: &Caller, id: &str) -> Result<Value> {
    let id = path_id("channel", id)?;
    c.ctx.store.delete_channel(id)?;
    Ok(Value::Null)
}

/// `POST /api/channel/{id}/test`: the platform's cheapest harmless request
/// (a fetch of an id nobody has) → `{ok, status, latency_ms, error}`; the
/// channel is not changed.
pub fn test(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "channel" / String / "test").and(warp::post());
    wire::with_id(route, auth::role(ctx, Role::Admin), test_channel)
}

fn test_channel(c: &Caller, id: &str) -> Result<ProbeReport> {
    let id = path_id("channel", id)?;
    let channel = c
        .ctx
        .store
        .get_channel(id)?
        .ok_or_else(|| Error::NotFound(format!("channel {id} not found")))?;
    Ok(probe(&c.ctx.platforms, &channel))
}
