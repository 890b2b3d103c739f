//! The shutdown signal of `taskcenter serve`.

use std::future::Future;

/// A future that resolves on SIGINT or SIGTERM. The handlers are installed
/// here, at the call, not at the future's first poll: the server may answer
/// requests before the future is first polled, and a signal arriving then
/// must stop it gracefully, not kill it. Call it inside the runtime.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {},
                        _ = term.recv() => {},
                    }
                }
                (Ok(mut int), Err(_)) => {
                    int.recv().await;
                }
                (Err(_), Ok(mut term)) => {
                    term.recv().await;
                }
                (Err(_), Err(_)) => std::future::pending::<()>().await,
            }
            log::info!("shutdown signal received: finishing in-flight requests");
        }
    }
    #[cfg(not(unix))]
    async move {
        let _ = tokio::signal::ctrl_c().await;
        log::info!("shutdown signal received: finishing in-flight requests");
    }
}
