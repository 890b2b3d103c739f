//! The `mock_suno` command line: `mock_suno --listen 127.0.0.1:4000 --secret mock-secret`
//! serves until Ctrl-C. Both the `mock_suno` binary of this crate and taskcenter's
//! `mock_suno` example call [`main`].

use clap::Parser;

use super::config::MockConfig;
use super::state::State;
use crate::cli::{Common, serve};

/// Parses the command line, serves until Ctrl-C, then stops the server.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    serve::<State>(&args.listen, args.config(), &args.common)
}

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
    /// Answer fetches of unknown ids as freshly submitted music tasks.
    #[arg(long)]
    pub adopt_unknown_ids: bool,
    /// Finished clips point at this mock's own `/media/{clip}.wav` and `.jpeg`.
    #[arg(long)]
    pub serve_media: bool,
    /// Latency, failure ratio, starting fault, threads.
    #[command(flatten)]
    pub common: Common,
}

impl Args {
    /// The mock's configuration (everything but the address and the starting fault).
    pub fn config(&self) -> MockConfig {
        MockConfig {
            secret: self.secret.clone(),
            music_duration_ms: self.music_duration_ms,
            latency_ms: self.common.latency_ms,
            failure_ratio: self.common.failure_ratio,
            adopt_unknown_ids: self.adopt_unknown_ids,
            worker_threads: self.common.worker_threads,
            serve_media: self.serve_media,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Args;
    use crate::fault::Fault;

    #[test]
    fn flags_map_onto_the_config_and_the_starting_fault() {
        let line = "mock_suno --listen 127.0.0.1:0 --secret s --music-duration-ms 500 \
                    --failure-ratio 0.5 --adopt-unknown-ids --serve-media --fault stall_2000";
        let args = Args::try_parse_from(line.split(' ')).expect("flags parse");
        let cfg = args.config();
        assert_eq!(args.listen, "127.0.0.1:0");
        assert_eq!((cfg.secret.as_str(), cfg.music_duration_ms), ("s", 500));
        assert_eq!(cfg.failure_ratio, 0.5);
        assert!(cfg.adopt_unknown_ids && cfg.serve_media);
        assert_eq!(args.common.fault, Fault::Stall(2000));
    }

    #[test]
    fn an_unknown_fault_is_refused_at_parse_time() {
        assert!(Args::try_parse_from(["mock_suno", "--fault", "teapot"]).is_err());
    }
}
