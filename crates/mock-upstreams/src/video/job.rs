//! A video job and where it stands at a given moment.
//!
//! A video is immutable once created: its status and progress are computed from the time
//! elapsed since creation, so the mock needs no timer; a test can only force a status on top
//! ([`Forced`]).

use std::sync::Arc;
use std::time::Instant;

use super::request::{NewVideo, VideoStatus};
use crate::clock::Clock;

/// A video as created.
#[derive(Debug)]
pub(crate) struct Video {
    pub(crate) id: String,
    pub(crate) request: NewVideo,
    pub(crate) remixed_from: Option<String>,
    pub(crate) created_at: Instant,
    pub(crate) created_unix_ms: u64,
    pub(crate) queued_ms: u64,
    pub(crate) in_progress_ms: u64,
    /// Decided at creation: whether the video ends `failed` instead of `completed`.
    pub(crate) fails: bool,
    /// Seeds the content bytes, so that every video serves its own.
    pub(crate) seed: u64,
}

/// A known video: its immutable description and the status a test forced on it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) video: Arc<Video>,
    pub(crate) forced: Option<Forced>,
}

/// A status forced by a test, and when.
#[derive(Clone, Debug)]
pub(crate) struct Forced {
    pub(crate) status: VideoStatus,
    pub(crate) at: Instant,
    pub(crate) at_unix_ms: u64,
}

/// What a video shows at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Moment {
    pub(crate) status: VideoStatus,
    /// 0 while queued, 0 to 99 while in progress, 100 once completed; a failed video keeps
    /// the progress it had reached.
    pub(crate) progress: u8,
    /// When it became final (unix ms), if it is.
    pub(crate) finished_unix_ms: Option<u64>,
    /// It failed only because a test forced it to.
    pub(crate) forced_failure: bool,
}

impl Video {
    /// Time from creation to the final status.
    fn duration_ms(&self) -> u64 {
        self.queued_ms + self.in_progress_ms
    }

    fn elapsed_ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.created_at).as_millis() as u64
    }

    /// The status by elapsed time alone.
    pub(crate) fn natural_status(&self, now: Instant) -> VideoStatus {
        let elapsed = self.elapsed_ms(now);
        if elapsed >= self.duration_ms() {
            if self.fails {
                VideoStatus::Failed
            } else {
                VideoStatus::Completed
            }
        } else if elapsed < self.queued_ms {
            VideoStatus::Queued
        } else {
            VideoStatus::InProgress
        }
    }

    /// Progress while unfinished by elapsed time: 0 when queued, then up to 99.
    fn running_progress(&self, now: Instant) -> u8 {
        let rendering = self.elapsed_ms(now).saturating_sub(self.queued_ms);
        match self.in_progress_ms {
            0 => 99,
            ms => (rendering.min(ms) * 99 / ms) as u8,
        }
    }
}

impl Entry {
    /// A video no test has touched yet.
    pub(crate) fn new(video: Video) -> Entry {
        Entry {
            video: Arc::new(video),
            forced: None,
        }
    }

    /// Where the video stands at `clock`: a forced status wins over the natural one, and a
    /// forced final status dates from the moment it was forced.
    pub(crate) fn at(&self, clock: &Clock) -> Moment {
        let video = &*self.video;
        let natural = video.natural_status(clock.instant);
        let natural_finish = video.created_unix_ms + video.duration_ms();
        let Some(forced) = &self.forced else {
            return Moment {
                status: natural,
                progress: match natural {
                    VideoStatus::Completed => 100,
                    _ => video.running_progress(clock.instant),
                },
                finished_unix_ms: natural.is_final().then_some(natural_finish),
                forced_failure: false,
            };
        };
        let natural_then = video.natural_status(forced.at);
        let (progress, finished_unix_ms) = match forced.status {
            VideoStatus::Queued => (0, None),
            VideoStatus::InProgress => (video.running_progress(clock.instant), None),
            VideoStatus::Completed => (100, Some(forced.at_unix_ms.min(natural_finish))),
            VideoStatus::Failed => (
                video.running_progress(forced.at),
                Some(forced.at_unix_ms.min(natural_finish)),
            ),
        };
        Moment {
            status: forced.status,
            progress,
            finished_unix_ms,
            forced_failure: forced.status == VideoStatus::Failed
                && natural_then != VideoStatus::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Entry, Forced, Video, VideoStatus};
    use crate::clock::Clock;
    use crate::video::request::{CreateFields, NewVideo};

    fn video(clock: &Clock, fails: bool) -> Video {
        let fields = CreateFields {
            prompt: Some("a cat".to_string()),
            ..CreateFields::default()
        };
        Video {
            id: "video_1".to_string(),
            request: NewVideo::parse(fields).expect("valid"),
            remixed_from: None,
            created_at: clock.instant,
            created_unix_ms: clock.unix_ms,
            queued_ms: 200,
            in_progress_ms: 800,
            fails,
            seed: 1,
        }
    }

    fn at(entry: &Entry, clock: &Clock, ms: u64) -> (VideoStatus, u8) {
        let later = Clock {
            instant: clock.instant + Duration::from_millis(ms),
            unix_ms: clock.unix_ms + ms,
        };
        let moment = entry.at(&later);
        (moment.status, moment.progress)
    }

    #[test]
    fn a_video_walks_queued_in_progress_completed_with_growing_progress() {
        let clock = Clock::now();
        let entry = Entry::new(video(&clock, false));
        assert_eq!(at(&entry, &clock, 0), (VideoStatus::Queued, 0));
        assert_eq!(at(&entry, &clock, 200), (VideoStatus::InProgress, 0));
        assert_eq!(at(&entry, &clock, 600), (VideoStatus::InProgress, 49));
        assert_eq!(at(&entry, &clock, 999), (VideoStatus::InProgress, 98));
        assert_eq!(at(&entry, &clock, 1000), (VideoStatus::Completed, 100));
        let failing = Entry::new(video(&clock, true));
        assert_eq!(at(&failing, &clock, 5000), (VideoStatus::Failed, 99));
    }

    #[test]
    fn a_forced_status_wins_and_dates_from_when_it_was_forced() {
        let clock = Clock::now();
        let mut entry = Entry::new(video(&clock, false));
        entry.forced = Some(Forced {
            status: VideoStatus::Failed,
            at: clock.instant + Duration::from_millis(600),
            at_unix_ms: clock.unix_ms + 600,
        });
        let moment = entry.at(&clock);
        assert_eq!((moment.status, moment.progress), (VideoStatus::Failed, 49));
        assert_eq!(moment.finished_unix_ms, Some(clock.unix_ms + 600));
        assert!(moment.forced_failure);
    }
}
