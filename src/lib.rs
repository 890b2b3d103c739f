//! taskcenter: the asynchronous task center of an AI API gateway.
//!
//! Module map:
//! - [`config`]: run-time settings of `taskcenter serve`.
//! - [`domain`]: parsed request values (statuses, pages, roles, query).
//! - [`store`]: the SQLite store; owns every SQL statement and transaction.
//! - [`http`]: warp routes, authentication, envelopes, error mapping.
//! - [`secrets`]: random tokens, keys, task ids and their hashes.
//! - [`clock`]: injected time.
//! - [`error`]: the error type and its HTTP statuses.
//!
//! [`run`] serves a bound listener until a shutdown future resolves.

pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod secrets;
pub mod store;

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
    let state = http::State {
        store,
        config: Arc::new(config),
        start_time: clock::unix_now(),
    };
    warp::serve(http::routes(state))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
}
