//! `taskcenter serve`: bind, open the database, make sure root exists, and
//! serve until SIGINT or SIGTERM.

use std::sync::Arc;

use crate::Config;
use crate::clock::SystemClock;
use crate::context::Context;
use crate::store::Store;
use crate::store::files::ServerLock;

/// Runs the server; returns when it has stopped.
pub fn run(config: Config) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(config.max_blocking_threads())
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        // Bind first: a port clash must not create a database or print a
        // root token for a server that never started.
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let metrics_listener = match &config.metrics_listen {
            Some(at) => Some(
                tokio::net::TcpListener::bind(at)
                    .await
                    .map_err(|e| format!("cannot listen on {at} (--metrics-listen): {e}"))?,
            ),
            None => None,
        };
        // One server per database: a second one would race the first's
        // worker and replace its root token.
        let _lock = ServerLock::acquire(&config.db).map_err(|e| e.to_string())?;
        let store = open_and_greet(&config, addr)?;
        log::info!("taskcenter listening on {addr}");
        if let Some(l) = &metrics_listener {
            let at = l.local_addr().map_err(|e| e.to_string())?;
            log::info!("metrics at http://{at}/metrics");
        }
        let ctx = Context::new(store, config, Arc::new(SystemClock));
        crate::serve(listener, metrics_listener, ctx, crate::shutdown::signal()).await;
        log::info!("taskcenter stopped");
        Ok(())
    })
}

/// Opens the database and gives root its token, printing a generated one,
/// and the password read from standard input when asked to.
fn open_and_greet(config: &Config, addr: std::net::SocketAddr) -> Result<Store, String> {
    // Read before anything is written: a missing or too short password
    // must not leave a half-started server behind.
    let root_password = match config.root_password_stdin {
        true => Some(super::password::read_stdin_line().map_err(|e| e.to_string())?),
        false => None,
    };
    let store = Store::open(&config.db).map_err(|e| format!("cannot open database: {e}"))?;
    let generated = store
        .ensure_root(config.root_token.as_deref())
        .map_err(|e| format!("cannot create the root user: {e}"))?;
    if let Some(password) = root_password {
        store
            .set_password(1, &password)
            .map_err(|e| format!("cannot set root's password: {e}"))?;
        log::info!("root's password was set from standard input");
    }
    if let Some(token) = generated {
        eprintln!("Created the root user (id 1). Its access token, shown only this once:");
        eprintln!("    {token}");
        eprintln!(
            "Use it as: curl -H 'Authorization: Bearer {token}' -H 'New-Api-User: 1' http://{addr}/api/user/self"
        );
    }
    Ok(store)
}
