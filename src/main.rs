//! The `taskcenter` binary: parses arguments and hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use taskcenter::Config;
use taskcenter::store::Store;

/// The self-hosted task center for AI generation jobs (new-api compatible).
#[derive(Debug, Parser)]
#[command(name = "taskcenter", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server and the polling worker.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TASKCENTER_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// SQLite database file (parent folders are created).
    #[arg(long, env = "TASKCENTER_DB", default_value = "./data/taskcenter.db")]
    db: PathBuf,
    /// Access token of the root user (id 1); generated and printed once when absent on a new database.
    #[arg(long, env = "TASKCENTER_ROOT_TOKEN", hide_env_values = true)]
    root_token: Option<String>,
    /// Timeout of one upstream call (submit or fetch), in seconds.
    #[arg(long, env = "TASKCENTER_UPSTREAM_TIMEOUT_SECS", default_value_t = 60)]
    upstream_timeout_secs: u64,
    /// Extra submit attempts on other channels after a retryable upstream failure.
    #[arg(long, env = "TASKCENTER_RETRY_TIMES", default_value_t = 2)]
    retry_times: u32,
    /// How often the worker polls upstreams, in milliseconds.
    #[arg(long, env = "TASKCENTER_POLL_INTERVAL_MS", default_value_t = 15000, value_parser = clap::value_parser!(u64).range(10..))]
    poll_interval_ms: u64,
    /// Upstream task ids per fetch request.
    #[arg(long, env = "TASKCENTER_FETCH_BATCH", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    fetch_batch: u64,
    /// A task not final this many seconds after submission fails and is refunded.
    #[arg(long, env = "TASKCENTER_TASK_TIMEOUT_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    task_timeout_secs: u64,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("taskcenter: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let store = Store::open(&args.db).map_err(|e| format!("cannot open database: {e}"))?;
    let root_token = args.root_token.as_deref().filter(|t| !t.is_empty());
    if let Some(token) = store
        .ensure_root(root_token)
        .map_err(|e| format!("cannot create the root user: {e}"))?
    {
        eprintln!("Created the root user (id 1). Its access token, shown only this once:");
        eprintln!("    {token}");
        eprintln!(
            "Use it as: curl -H 'Authorization: Bearer {token}' -H 'New-Api-User: 1' http://{}/api/user/self",
            args.listen
        );
    }
    let config = Config {
        db: args.db.clone(),
        upstream_timeout_secs: args.upstream_timeout_secs,
        retry_times: args.retry_times,
        poll_interval_ms: args.poll_interval_ms,
        fetch_batch: args.fetch_batch as usize,
        task_timeout_secs: args.task_timeout_secs,
        worker: true,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        log::info!(
            "taskcenter listening on {}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        taskcenter::run(listener, store, config, shutdown_signal()).await;
        log::info!("taskcenter stopped");
        Ok(())
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    log::info!("shutdown signal received: finishing in-flight requests");
}
