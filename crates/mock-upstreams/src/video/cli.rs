//! The `mock_video` command line: `mock_video --listen 127.0.0.1:4100 --secret mock-secret`
//! serves until Ctrl-C. Both the `mock_video` binary of this crate and taskcenter's
//! `mock_video` example call [`main`].

use clap::Parser;

use super::config::{DEFAULT_VIDEO_BYTES, VideoMockConfig};
use super::state::State;
use crate::cli::{Common, serve};

/// Parses the command line, serves until Ctrl-C, then stops the server.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    serve::<State>(&args.listen, args.config(), &args.common)
}

/// Command line of the simulator.
#[derive(Debug, Parser)]
#[command(
    name = "mock_video",
    about = "An OpenAI Videos API compatible upstream simulator"
)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4100")]
    pub listen: String,
    /// Secret expected in `Authorization: Bearer <secret>`.
    #[arg(long, env = "MOCK_VIDEO_SECRET", default_value = "mock-secret")]
    pub secret: String,
    /// Time from creation to completed/failed, a fifth of it queued; overrides the two
    /// stage times.
    #[arg(long, conflicts_with_all = ["queued_ms", "in_progress_ms"])]
    pub duration_ms: Option<u64>,
    /// Time a new video stays queued.
    #[arg(long, default_value_t = VideoMockConfig::default().queued_ms)]
    pub queued_ms: u64,
    /// Time a video then stays in progress.
    #[arg(long, default_value_t = VideoMockConfig::default().in_progress_ms)]
    pub in_progress_ms: u64,
    /// Further delay of `GET /v1/videos/{id}` alone, on top of `--latency-ms`.
    #[arg(long, default_value_t = 0)]
    pub retrieve_latency_ms: u64,
    /// Length of the `video` content in bytes (streamed, so large values are cheap).
    #[arg(long, default_value_t = DEFAULT_VIDEO_BYTES)]
    pub video_bytes: usize,
    /// Latency, failure ratio, starting fault, threads.
    #[command(flatten)]
    pub common: Common,
}

impl Args {
    /// The mock's configuration (everything but the address and the starting fault).
    pub fn config(&self) -> VideoMockConfig {
        let cfg = VideoMockConfig {
            secret: self.secret.clone(),
            queued_ms: self.queued_ms,
            in_progress_ms: self.in_progress_ms,
            latency_ms: self.common.latency_ms,
            retrieve_latency_ms: self.retrieve_latency_ms,
            failure_ratio: self.common.failure_ratio,
            video_bytes: self.video_bytes,
            worker_threads: self.common.worker_threads,
        };
        match self.duration_ms {
            Some(duration_ms) => cfg.lasting(duration_ms),
            None => cfg,
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
        let line = "mock_video --listen 127.0.0.1:0 --secret s --duration-ms 500 --failure-ratio 0.5 \
                    --video-bytes 52428800 --retrieve-latency-ms 50 --fault not_found";
        let args = Args::try_parse_from(line.split(' ')).expect("flags parse");
        let cfg = args.config();
        assert_eq!((cfg.secret.as_str(), cfg.duration_ms()), ("s", 500));
        assert_eq!((cfg.queued_ms, cfg.failure_ratio), (100, 0.5));
        assert_eq!(cfg.video_bytes, 50 * 1024 * 1024);
        assert_eq!((cfg.retrieve_latency_ms, cfg.latency_ms), (50, 0));
        assert_eq!(args.common.fault, Fault::NotFound);
        let stages =
            Args::try_parse_from(["mock_video", "--queued-ms", "1", "--in-progress-ms", "2"])
                .expect("flags parse")
                .config();
        assert_eq!((stages.queued_ms, stages.in_progress_ms), (1, 2));
    }

    #[test]
    fn a_duration_and_stage_times_conflict_and_unknown_faults_are_refused() {
        assert!(
            Args::try_parse_from(["mock_video", "--duration-ms", "1", "--queued-ms", "1"]).is_err()
        );
        assert!(Args::try_parse_from(["mock_video", "--fault", "teapot"]).is_err());
    }
}
