//! What the mock command lines share: the flags beside the address, the secret and the
//! platform's own timings, and serving until Ctrl-C.

use std::error::Error;
use std::io;

use crate::fault::Fault;
use crate::running::{Platform, Running};

/// The flags every mock command line has (flattened into each platform's `Args`).
#[derive(Debug, clap::Args)]
pub struct Common {
    /// Delay before every platform answer (not the `/mock/...` ones).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of tasks that end failed (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0)]
    pub failure_ratio: f64,
    /// Fault to start with (`none`, `http_500`, `stall_2000`, `not_found`, `flip`, ...).
    #[arg(long, default_value = "none", value_parser = parse_fault)]
    pub fault: Fault,
    /// Server worker threads.
    #[arg(long, default_value_t = 4)]
    pub worker_threads: usize,
}

/// Reads a `--fault` name (no stall length: `stall_<ms>` carries its own).
fn parse_fault(name: &str) -> Result<Fault, String> {
    Fault::parse(name, None)
}

/// Starts the mock of `cfg` on `listen` with the starting fault of `common`, prints its URL,
/// serves until Ctrl-C, then stops the server.
pub(crate) fn serve<S: Platform>(
    listen: &str,
    cfg: S::Config,
    common: &Common,
) -> Result<(), Box<dyn Error>> {
    init_logging();
    let mock = Running::<S>::try_start(listen, cfg)?;
    mock.set_fault(common.fault.clone());
    println!("{} listening on {}", S::NAME, mock.base_url());
    wait_for_ctrl_c()?;
    log::info!("{} stopping", S::NAME);
    drop(mock);
    Ok(())
}

/// `info` unless `RUST_LOG` says otherwise, without warp's per-connection noise.
fn init_logging() {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,warp::server=off"),
    )
    .init();
}

/// Blocks the main thread until Ctrl-C (the mock serves on its own threads).
fn wait_for_ctrl_c() -> io::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(tokio::signal::ctrl_c())
}
