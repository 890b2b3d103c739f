//! How the Suno mock behaves, and the fail reasons its tasks carry.

/// The `fail_reason` of tasks that fail by [`MockConfig::failure_ratio`].
pub const FAIL_REASON: &str = "mock failure: the model could not generate this song";
/// The `fail_reason` of tasks forced to FAILURE by [`crate::Mock::set_status`].
pub const FORCED_FAIL_REASON: &str = "mock failure: forced by the test";

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// The secret expected in `Authorization: Bearer <secret>`.
    pub secret: String,
    /// Time from submit to SUCCESS/FAILURE of a music task; 0 finishes at once.
    pub music_duration_ms: u64,
    /// Delay added to every Suno route before it answers.
    pub latency_ms: u64,
    /// Fraction of music tasks that end FAILURE (decided at submit, evenly spread: 0.5 fails
    /// every second task, 1.0 all of them).
    pub failure_ratio: f64,
    /// Answer fetches of unknown ids as if they had been submitted when first asked about
    /// (lets a benchmark seed upstream ids in its own database without submitting them).
    pub adopt_unknown_ids: bool,
    /// Tokio worker threads of the server.
    pub worker_threads: usize,
    /// Finished clips' `audio_url` and `image_url` point at this mock's own `/media/...`
    /// (a real WAV and JPEG a browser can play and show) instead of Suno's CDN.
    pub serve_media: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            secret: "mock-secret".to_string(),
            music_duration_ms: 20_000,
            latency_ms: 0,
            failure_ratio: 0.0,
            adopt_unknown_ids: false,
            worker_threads: 2,
            serve_media: false,
        }
    }
}
