//! The `mock_suno` command line: `mock_suno --listen 127.0.0.1:4000 --secret mock-secret`
//! serves until Ctrl-C. Both the `mock_suno` binary of this crate and taskcenter's
//! `mock_suno` example call [`main`].

use clap::Parser;

use super::config::MockConfig;
use super::mock::Mock;
use crate::fault::Fault;
use crate::server::{init_cli_logging, wait_for_ctrl_c};

/// Command line of the simulator.
#[derive(Debug, Parser)]
#[command(name = "mock_suno", about = "A Suno-API compatible upstream simulator")]
pub struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4000")]
    pub listen: String,
    /// Secret expected in `Authorization: Bearer <secret>`.
    #[arg(long, env = "MOCK_SUNO_SECRET", default_value = "mock-secret")]
    pub secret: String,
    /// Time from submit to SUCCESS/FAILURE of a music task.
    #[arg(long, default_value_t = 20_000)]
    pub music_duration_ms: u64,
    /// Delay before every Suno answer.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of music tasks that end FAILURE (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0)]
    pub failure_ratio: f64,
    /// Answer fetches of unknown ids as freshly submitted music tasks.
    #[arg(long)]
    pub adopt_unknown_ids: bool,
    /// Fault to start with (`none`, `http_500`, `stall_2000`, `flip`, ...).
    #[arg(long, default_value = "none", value_parser = parse_fault)]
    pub fault: Fault,
    /// Server worker threads.
    #[arg(long, default_value_t = 4)]
    pub worker_threads: usize,
}

fn parse_fault(name: &str) -> Result<Fault, String> {
    Fault::parse(name, None)
}

impl Args {
    /// The mock's configuration (everything but the address and the starting fault).
    pub fn config(&self) -> MockConfig {
        MockConfig {
            secret: self.secret.clone(),
            music_duration_ms: self.music_duration_ms,
            latency_ms: self.latency_ms,
            failure_ratio: self.failure_ratio,
            adopt_unknown_ids: self.adopt_unknown_ids,
            worker_threads: self.worker_threads,
        }
    }
}

/// Parses the command line, serves until Ctrl-C, then stops the server.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_cli_logging();
    let args = Args::parse();
    let mock = Mock::try_start(&args.listen, args.config())?;
    mock.set_fault(args.fault);
    println!("mock_suno listening on {}", mock.base_url());
    wait_for_ctrl_c()?;
    log::info!("mock_suno stopping");
    drop(mock);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Args;
    use crate::fault::Fault;

    #[test]
    fn flags_map_onto_the_config_and_the_starting_fault() {
        let args = Args::try_parse_from([
            "mock_suno",
            "--listen",
            "127.0.0.1:0",
            "--secret",
            "s",
            "--music-duration-ms",
            "500",
            "--failure-ratio",
            "0.5",
            "--adopt-unknown-ids",
            "--fault",
            "stall_2000",
        ])
        .expect("flags parse");
        let cfg = args.config();
        assert_eq!(args.listen, "127.0.0.1:0");
        assert_eq!((cfg.secret.as_str(), cfg.music_duration_ms), ("s", 500));
        assert_eq!(cfg.failure_ratio, 0.5);
        assert!(cfg.adopt_unknown_ids);
        assert_eq!(args.fault, Fault::Stall(2000));
    }

    #[test]
    fn an_unknown_fault_is_refused_at_parse_time() {
        assert!(Args::try_parse_from(["mock_suno", "--fault", "teapot"]).is_err());
    }
}
