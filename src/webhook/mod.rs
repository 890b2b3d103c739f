//! Completion webhooks, sent: Standard Webhooks signing ([`sign`]) and the
//! delivery thread, a `std::thread` loop around [`run_once`] started and
//! stopped with the server like the worker. The events themselves are
//! written by the store, in the transactions that settle tasks
//! (`store/outbox.rs`).

mod deliver;
pub mod sign;

use std::time::Duration;

pub use deliver::{DeliveryReport, MAX_ATTEMPTS, SCHEDULE, Sender, run_once};

use crate::Config;
use crate::background::Background;
use crate::context::Context;
use crate::domain::address::private_address_of;
use crate::domain::webhook::parse_webhook_url;
use crate::error::{Error, Result};
use crate::store::Store;

/// A URL deliveries may go to: http(s), and a public host unless the
/// server runs with `--allow-private-webhooks` (checked again at each
/// delivery against what the name resolves to then).
pub fn public_url(config: &Config, url: &str) -> Result<String> {
    let url = parse_webhook_url(url)?;
    if !config.allow_private_webhooks
        && let Some(ip) = private_address_of(&url)?
    {
        return Err(Error::invalid(format!(
            "url {url} points to a private address ({ip}); webhook endpoints must be public \
             unless the server runs with --allow-private-webhooks"
        )));
    }
    Ok(url)
}

/// A task's own callback URL from the submission body's `field` (Suno's
/// `callBackUrl`, OpenAI's `webhook_url`): empty when absent. Allowed only
/// to a user with an enabled webhook endpoint, whose secret (the oldest
/// enabled one's) signs the callback's deliveries.
pub fn callback_url(
    store: &Store,
    config: &Config,
    user_id: i64,
    field: &str,
    body: &serde_json::Value,
) -> Result<String> {
    let url = match body.get(field) {
        None | Some(serde_json::Value::Null) => return Ok(String::new()),
        Some(serde_json::Value::String(u)) if u.trim().is_empty() => return Ok(String::new()),
        Some(serde_json::Value::String(u)) => u,
        Some(_) => return Err(Error::invalid(format!("{field} must be a string"))),
    };
    let url = public_url(config, url).map_err(|e| Error::invalid(format!("{field}: {e}")))?;
    if !store.has_enabled_endpoint(user_id)? {
        return Err(Error::invalid(format!(
            "{field} needs a webhook endpoint to sign its callbacks: register one with \
             POST /api/webhook/ first"
        )));
    }
    Ok(url)
}

/// How long the thread rests after a pass that found nothing due.
const IDLE: Duration = Duration::from_millis(200);

/// Starts the delivery loop: a pass, at once again while passes find
/// work, a short rest when one found none. A delivery cut off by a stop is
/// still pending and is sent again at the next start.
pub fn spawn(ctx: Context) -> std::io::Result<Background> {
    let sender = Sender::new(&ctx.config);
    Background::spawn("taskcenter-webhooks", IDLE, move |_| {
        let r = run_once(&ctx, &sender);
        if r.gave_up > 0 || r.errors > 0 {
            log::warn!("webhook pass: {r:?}");
        }
        if r.attempted > 0 {
            Duration::ZERO
        } else {
            IDLE
        }
    })
}
