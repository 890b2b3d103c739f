//! taskcenter: the asynchronous task center of an AI API gateway.
//!
//! The layers, each using only those below it:
//! - [`cli`]: the command line (`serve` and the operators' commands).
//! - [`console`]: the web console's page and assets, embedded, served at `/`.
//! - [`http`]: warp routes of the management API, authentication, the
//!   management envelope and the one mapping of errors to statuses; it
//!   mounts each platform's own routes.
//! - [`platform`]: one folder per upstream platform (Suno): its adaptor,
//!   client-facing routes, envelope, views and aliases.
//! - [`relay`]: charging, channel choice and submission with retries.
//! - [`health`]: every upstream call counted per channel (in memory, saved
//!   by the worker); auto-disabling a channel whose credentials are refused.
//! - [`worker`]: the polling loop, timeouts and refunds of failed tasks.
//! - [`webhook`]: the delivery thread of completion webhooks and their
//!   signatures (the events are written by the store when tasks settle).
//! - [`policy`]: who may do what (roles), for HTTP and CLI alike.
//! - [`store`]: the SQLite store; owns every SQL statement and transaction
//!   (`store::ledger` is where quota moves).
//! - [`domain`]: parsed request values (statuses, pages, roles, query).
//! - [`metrics`]: the Prometheus series of one running service.
//! - [`context`], [`config`], [`clock`], [`error`], [`secrets`],
//!   [`password`], [`throttle`], [`audit`], [`shutdown`]: the ground
//!   everything stands on.
//!
//! [`run`] serves a bound listener until a shutdown future resolves.

pub mod audit;
pub mod background;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod context;
pub mod doctor;
pub mod domain;
pub mod error;
pub mod health;
pub mod http;
pub mod metrics;
pub mod password;
pub mod platform;
pub mod policy;
pub mod relay;
pub mod secrets;
pub mod shutdown;
pub mod store;
pub mod throttle;
pub mod webhook;
pub mod worker;

use std::future::Future;
use std::time::Duration;

pub use config::Config;
pub use context::Context;

/// Serves the API on `listener` (and runs the worker and the webhook
/// delivery thread unless the config says not to) until `shutdown`
/// resolves, then lets in-flight requests finish and stops both threads
/// between transactions.
pub async fn run(
    listener: tokio::net::TcpListener,
    ctx: Context,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    serve(listener, None, ctx, shutdown).await
}

/// [`run`], with `/metrics` served on `metrics_listener` (bound for
/// `--metrics-listen`) instead of `listener` when one is given.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    ctx: Context,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let worker = if ctx.config.worker {
        match worker::spawn(ctx.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                log::error!("cannot start the worker thread: {e}");
                None
            }
        }
    } else {
        None
    };
    let deliveries = if ctx.config.webhook_sender {
        match webhook::spawn(ctx.clone()) {
            Ok(d) => Some(d),
            Err(e) => {
                log::error!("cannot start the webhook delivery thread: {e}");
                None
            }
        }
    } else {
        None
    };
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let scrapes = match metrics_listener {
        Some(l) if ctx.config.metrics => {
            let mut stop = stop.clone();
            let server = warp::serve(http::metrics_routes(ctx.clone()))
                .incoming(l)
                .graceful(async move {
                    let _ = stop.changed().await;
                })
                .run();
            Some(tokio::spawn(server))
        }
        _ => None,
    };
    drop(stop);
    warp::serve(http::routes(ctx))
        .incoming(listener)
        .graceful(async move {
            shutdown.await;
            let _ = stopping.send(true);
        })
        .run()
        .await;
    if let Some(s) = scrapes {
        let _ = s.await;
    }
    if let Some(w) = worker {
        let _ = tokio::task::spawn_blocking(move || w.stop(Duration::from_secs(3))).await;
    }
    if let Some(d) = deliveries {
        let _ = tokio::task::spawn_blocking(move || d.stop(Duration::from_secs(3))).await;
    }
}
