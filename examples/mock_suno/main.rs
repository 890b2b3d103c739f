//! `mock_suno`: a Suno-API compatible upstream to run taskcenter against.
//!
//! `cargo run --release --example mock_suno -- --listen 127.0.0.1:4000 --secret mock-secret`
//! then point a `suno` channel at `http://127.0.0.1:4000` with key `mock-secret`. Faults are
//! switched at run time over `POST /mock/fault` (see `mock.rs`).

mod mock;

use clap::Parser;

/// Command line of the simulator.
#[derive(Debug, Parser)]
#[command(about = "A Suno-API compatible upstream simulator")]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4000")]
    listen: String,
    /// Secret expected in `Authorization: Bearer <secret>`.
    #[arg(long, env = "MOCK_SUNO_SECRET", default_value = "mock-secret")]
    secret: String,
    /// Time from submit to SUCCESS/FAILURE of a music task.
    #[arg(long, default_value_t = 20_000)]
    music_duration_ms: u64,
    /// Delay before every Suno answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fraction of music tasks that end FAILURE (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0)]
    failure_ratio: f64,
    /// Answer fetches of unknown ids as freshly submitted music tasks.
    #[arg(long)]
    adopt_unknown_ids: bool,
    /// Fault to start with (`none`, `http_500`, `stall_2000`, `flip`, ...).
    #[arg(long, default_value = "none")]
    fault: String,
    /// Server worker threads.
    #[arg(long, default_value_t = 4)]
    worker_threads: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,warp::server=off"),
    )
    .init();
    let args = Args::parse();
    let fault = mock::Fault::parse(&args.fault, None)?;
    let cfg = mock::MockConfig {
        secret: args.secret,
        music_duration_ms: args.music_duration_ms,
        latency_ms: args.latency_ms,
        failure_ratio: args.failure_ratio,
        adopt_unknown_ids: args.adopt_unknown_ids,
        worker_threads: args.worker_threads,
    };
    let mock = mock::Mock::try_start(&args.listen, cfg)?;
    mock.set_fault(fault);
    println!("mock_suno listening on {}", mock.base_url());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(tokio::signal::ctrl_c())?;
    log::info!("mock_suno stopping");
    drop(mock);
    Ok(())
}
