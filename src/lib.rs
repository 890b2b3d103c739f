//! taskcenter: the asynchronous task center of an AI API gateway.
//!
//! Module map:
//! - [`config`]: run-time settings of `taskcenter serve`.
//! - [`domain`]: parsed request values (statuses, pages, roles, query).
//! - [`store`]: the SQLite store; owns every SQL statement and transaction.
//! - [`http`]: warp routes, authentication, envelopes, error mapping.
//! - [`secrets`]: random tokens, keys, task ids and their hashes.
//! - [`platform`]: upstream platforms behind one trait (Suno first).
//! - [`relay`]: charging, channel choice and submission with retries.
//! - [`worker`]: the polling loop, timeouts and refunds of failed tasks.
//! - [`cli`]: operator commands on the database file (user, token, channel, backup).
//! - [`audit`]: settings of the ledger audit (the checks live in the store).
//! - [`clock`]: injected time.
//! - [`error`]: the error type and its HTTP statuses.
//!
//! [`run`] serves a bound listener until a shutdown future resolves.

pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod platform;
pub mod relay;
pub mod secrets;
pub mod store;
pub mod worker;

use std::future::Future;
use std::sync::Arc;

pub use config::Config;
use store::Store;

/// Serves the API on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish.
pub async fn run(
    listener: tokio::net::TcpListener,
    store: Store,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let platforms =
        platform::Platforms::builtin(std::time::Duration::from_secs(config.upstream_timeout_secs));
    let config = Arc::new(config);
    let clock: Arc<dyn clock::Clock> = Arc::new(clock::SystemClock);
    let worker = if config.worker {
        match worker::Worker::spawn(
            store.clone(),
            platforms.clone(),
            config.clone(),
            clock.clone(),
        ) {
            Ok(w) => Some(w),
            Err(e) => {
                log::error!("cannot start the worker thread: {e}");
                None
            }
        }
    } else {
        None
    };
    let state = http::State {
        store,
        config,
        start_time: clock::unix_now(),
        platforms,
        clock,
    };
    warp::serve(http::routes(state))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    if let Some(w) = worker {
        let _ =
            tokio::task::spawn_blocking(move || w.stop(std::time::Duration::from_secs(3))).await;
    }
}
