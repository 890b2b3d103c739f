//! Webhook endpoint routes: `POST/GET/PUT /api/webhook/`,
//! `DELETE /api/webhook/{id}`, `POST /api/webhook/{id}/rotate`, and the
//! endpoint's deliveries: `GET /api/webhook/{id}/deliveries`,
//! `POST /api/webhook/{id}/deliveries/{delivery_id}/resend`.

use serde::Deserialize;
use serde_json::{Value, json};
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::{PageData, page_data};
use super::{path_id, wire};
use crate::context::Context;
use crate::domain::webhook::EventSet;
use crate::domain::{Page, QueryParams};
use crate::error::{Error, Result};
use crate::store::deliveries::Delivery;
use crate::store::webhooks::{Endpoint, EndpointUpdate};

/// All webhook routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    create(ctx.clone())
        .or(list(ctx.clone()))
        .or(update(ctx.clone()))
        .or(delete(ctx.clone()))
        .or(rotate(ctx.clone()))
        .or(deliveries(ctx.clone()))
        .or(resend(ctx))
}

/// An endpoint body: every field optional; `id` names the endpoint to
/// update. Other fields are ignored, so a listed endpoint can be sent back
/// as it came (like a key).
#[derive(Debug, Deserialize)]
struct EndpointBody {
    id: Option<i64>,
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
}

fn checked_url(c: &Caller, url: &str) -> Result<String> {
    crate::webhook::public_url(&c.ctx.config, url)
}

/// `POST /api/webhook/` `{"url", "events"?: [...]}` → `{"id","url","events","enabled","secret"}`;
/// the secret is shown only here (and by rotate). Events default to
/// `task.succeeded` and `task.failed`.
pub fn create(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "webhook").and(warp::post());
    wire::with_json(route, auth::user(ctx), create_endpoint)
}

fn create_endpoint(c: &Caller, req: EndpointBody) -> Result<Value> {
    let url = req
        .url
        .as_deref()
        .ok_or_else(|| Error::invalid("url is required"))?;
    let url = checked_url(c, url)?;
    let events = match &req.events {
        Some(words) => EventSet::parse(words)?,
        None => EventSet::finals(),
    };
    let (endpoint, secret) = c.ctx.store.create_endpoint(c.user.id, &url, events)?;
    let mut data = serde_json::to_value(&endpoint).unwrap_or_else(|_| json!({}));
    data["secret"] = json!(secret);
    Ok(data)
}

/// `GET /api/webhook/?p=1&page_size=20` → the caller's endpoints (no secrets).
pub fn list(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "webhook").and(warp::get());
    wire::with_query(route, auth::user(ctx), list_endpoints)
}

fn list_endpoints(c: &Caller, q: &QueryParams) -> Result<PageData<Endpoint>> {
    let page = Page::parse(q)?;
    let (items, total) = c.ctx.store.list_endpoints(c.user.id, page)?;
    Ok(page_data(items, total, page))
}

/// `PUT /api/webhook/` `{"id", "url"?, "events"?, "enabled"?}`; enabling
/// clears the reason the server disabled it for.
pub fn update(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "webhook").and(warp::put());
    wire::with_json(route, auth::user(ctx), update_endpoint)
}

fn update_endpoint(c: &Caller, req: EndpointBody) -> Result<Endpoint> {
    let id = req.id.ok_or_else(|| Error::invalid("id is required"))?;
    let up = EndpointUpdate {
        url: req.url.as_deref().map(|u| checked_url(c, u)).transpose()?,
        events: req.events.as_deref().map(EventSet::parse).transpose()?,
        enabled: req.enabled,
    };
    Ok(c.ctx.store.update_endpoint(c.user.id, id, &up)?)
}

/// `DELETE /api/webhook/{id}`: the endpoint and its deliveries.
pub fn delete(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "webhook" / String).and(warp::delete());
    wire::with_id(route, auth::user(ctx), delete_endpoint)
}

fn delete_endpoint(c: &Caller, id: &str) -> Result<Value> {
    let id = path_id("webhook", id)?;
    c.ctx.store.delete_endpoint(c.user.id, id)?;
    Ok(Value::Null)
}

/// `POST /api/webhook/{id}/rotate` → `{"id","secret"}`: a new secret signs
/// every delivery from now on (retries included).
pub fn rotate(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "webhook" / String / "rotate").and(warp::post());
    wire::with_id(route, auth::user(ctx), rotate_secret)
}

fn rotate_secret(c: &Caller, id: &str) -> Result<Value> {
    let id = path_id("webhook", id)?;
    let secret = c.ctx.store.rotate_endpoint_secret(c.user.id, id)?;
    Ok(json!({"id": id, "secret": secret}))
}

/// `GET /api/webhook/{id}/deliveries?p=1&page_size=20` → the endpoint's
/// deliveries, newest first: event type, task id, status, attempts, last
/// HTTP status.
pub fn deliveries(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "webhook" / String / "deliveries").and(warp::get());
    wire::with_id_query(route, auth::user(ctx), list_deliveries)
}

fn list_deliveries(c: &Caller, id: &str, q: &QueryParams) -> Result<PageData<Delivery>> {
    let id = path_id("webhook", id)?;
    let page = Page::parse(q)?;
    let (items, total) = c.ctx.store.list_deliveries(c.user.id, id, page)?;
    Ok(page_data(items, total, page))
}

/// `POST /api/webhook/{id}/deliveries/{delivery_id}/resend`: queued again
/// now, with the same `webhook-id` and a fresh retry schedule.
pub fn resend(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "webhook" / String / "deliveries" / String / "resend")
        .and(warp::post());
    wire::with_two_ids(route, auth::user(ctx), resend_delivery)
}

fn resend_delivery(c: &Caller, id: &str, delivery_id: &str) -> Result<Value> {
    let id = path_id("webhook", id)?;
    let delivery_id = path_id("delivery", delivery_id)?;
    c.ctx.store.resend_delivery(c.user.id, id, delivery_id)?;
    Ok(Value::Null)
}
