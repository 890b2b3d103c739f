//! How the video mock behaves, and the errors its failed videos carry.

/// The `error.code` of failed videos.
pub const VIDEO_FAIL_CODE: &str = "video_generation_failed";
/// The `error.message` of videos that fail by [`VideoMockConfig::failure_ratio`].
pub const VIDEO_FAIL_MESSAGE: &str = "mock failure: the model could not generate this video";
/// The `error.message` of videos forced to `failed` by [`crate::VideoMock::set_status`].
pub const VIDEO_FORCED_FAIL_MESSAGE: &str = "mock failure: forced by the test";
/// Size of the `video` variant unless configured: a few KB of MP4.
pub const DEFAULT_VIDEO_BYTES: usize = 4 * 1024;
/// How long content stays downloadable after completion (`expires_at - completed_at`).
pub const EXPIRY_SECS: u64 = 3600;

/// How the video mock behaves.
#[derive(Clone, Debug)]
pub struct VideoMockConfig {
    /// The secret expected in `Authorization: Bearer <secret>`.
    pub secret: String,
    /// How long a new video stays `queued`.
    pub queued_ms: u64,
    /// How long it then stays `in_progress`, its progress growing from 0 to 99, before it
    /// ends `completed` or `failed`.
    pub in_progress_ms: u64,
    /// Delay added to every `/v1/videos` route before it answers.
    pub latency_ms: u64,
    /// Further delay of `GET /v1/videos/{id}` alone: how long a status poll takes upstream,
    /// while creates (e.g. a benchmark's setup) still answer at once.
    pub retrieve_latency_ms: u64,
    /// Fraction of videos (remixes included) that end `failed`, decided at creation and
    /// evenly spread: 0.5 fails every second video, 1.0 all of them.
    pub failure_ratio: f64,
    /// Length of the `video` variant (at least the 40 bytes of MP4 box headers). Generated in
    /// chunks while it is sent, so 50 MB costs no memory.
    pub video_bytes: usize,
    /// Tokio worker threads of the server.
    pub worker_threads: usize,
}

impl Default for VideoMockConfig {
    fn default() -> Self {
        VideoMockConfig {
            secret: "mock-secret".to_string(),
            queued_ms: 4_000,
            in_progress_ms: 16_000,
            latency_ms: 0,
            retrieve_latency_ms: 0,
            failure_ratio: 0.0,
            video_bytes: DEFAULT_VIDEO_BYTES,
            worker_threads: 2,
        }
    }
}

impl VideoMockConfig {
    /// This configuration with `duration_ms` from creation to the final status: a fifth of
    /// it queued, the rest in progress (0 finishes at once).
    pub fn lasting(self, duration_ms: u64) -> VideoMockConfig {
        let queued_ms = duration_ms / 5;
        VideoMockConfig {
            queued_ms,
            in_progress_ms: duration_ms - queued_ms,
            ..self
        }
    }

    /// Time from creation to the final status.
    pub fn duration_ms(&self) -> u64 {
        self.queued_ms + self.in_progress_ms
    }
}

#[cfg(test)]
mod tests {
    use super::VideoMockConfig;

    #[test]
    fn a_duration_splits_into_queued_and_in_progress() {
        let cfg = VideoMockConfig::default().lasting(1_000);
        assert_eq!((cfg.queued_ms, cfg.in_progress_ms), (200, 800));
        assert_eq!(cfg.duration_ms(), 1_000);
        assert_eq!(VideoMockConfig::default().lasting(0).duration_ms(), 0);
    }
}
