//! A submitted task and the phase it has reached at a given moment.
//!
//! A task is immutable once created: its status is computed from the elapsed fraction of its
//! duration at each fetch, so the mock needs no timer; a test can only force a status word on
//! top ([`Forced`]).

use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;

use crate::clock::{Clock, iso8601};
use crate::ids::IdSource;

/// A task as submitted.
pub(crate) struct Task {
    pub(crate) task_id: String,
    pub(crate) submitted_at: Instant,
    pub(crate) submit_ms: u64,
    pub(crate) duration_ms: u64,
    /// Decided at submit: whether the task ends FAILURE instead of SUCCESS.
    pub(crate) fails: bool,
    pub(crate) kind: Kind,
}

/// What was asked for: a song (two clips) or lyrics.
pub(crate) enum Kind {
    Music(Box<Music>),
    Lyrics { title: String, text: String },
}

/// A song request and the clips it will produce.
pub(crate) struct Music {
    pub(crate) input: MusicInput,
    pub(crate) created_at: String,
    pub(crate) clips: [Clip; 2],
}

/// One of the two clips Suno makes per song.
pub(crate) struct Clip {
    pub(crate) id: String,
    pub(crate) duration_secs: f64,
}

/// The submit body of a music job (unknown fields ignored).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MusicInput {
    pub(crate) prompt: Option<String>,
    pub(crate) gpt_description_prompt: Option<String>,
    pub(crate) mv: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) tags: Option<String>,
    pub(crate) continue_clip_id: Option<String>,
    pub(crate) task_id: Option<String>,
    pub(crate) make_instrumental: Option<bool>,
}

/// The submit body of a lyrics job.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LyricsInput {
    pub(crate) prompt: Option<String>,
}

/// A known task: its immutable description and the status a test forced on it.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) task: Arc<Task>,
    pub(crate) forced: Option<Forced>,
}

impl Entry {
    /// A task no test has touched yet.
    pub(crate) fn new(task: Task) -> Entry {
        Entry {
            task: Arc::new(task),
            forced: None,
        }
    }
}

/// A status word forced by a test, and when (unix ms).
#[derive(Clone)]
pub(crate) struct Forced {
    pub(crate) status: String,
    pub(crate) at_ms: u64,
}

/// The statuses of a Suno task, in the order a task walks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    NotStart,
    Submitted,
    Queued,
    InProgress,
    Success,
    Failure,
}

impl Phase {
    /// The status word of the wire protocol.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Phase::NotStart => "NOT_START",
            Phase::Submitted => "SUBMITTED",
            Phase::Queued => "QUEUED",
            Phase::InProgress => "IN_PROGRESS",
            Phase::Success => "SUCCESS",
            Phase::Failure => "FAILURE",
        }
    }

    /// The phase a status word names, if it is one of Suno's.
    pub(crate) fn from_word(word: &str) -> Option<Phase> {
        [
            Phase::NotStart,
            Phase::Submitted,
            Phase::Queued,
            Phase::InProgress,
            Phase::Success,
            Phase::Failure,
        ]
        .into_iter()
        .find(|phase| phase.word() == word)
    }

    /// The lower-case status a clip of a song in this phase shows.
    pub(crate) fn clip_status(self) -> &'static str {
        match self {
            Phase::NotStart | Phase::Submitted => "submitted",
            Phase::Queued => "queued",
            Phase::InProgress => "streaming",
            Phase::Success => "complete",
            Phase::Failure => "error",
        }
    }

    /// SUCCESS or FAILURE: the task will not change any more.
    pub(crate) fn is_final(self) -> bool {
        matches!(self, Phase::Success | Phase::Failure)
    }
}

impl Task {
    /// A song whose two clips get fresh ids and a length drawn from the id source.
    pub(crate) fn music(
        task_id: String,
        input: MusicInput,
        clock: &Clock,
        duration_ms: u64,
        fails: bool,
        ids: &IdSource,
    ) -> Task {
        let clip_ids = [ids.uuid(), ids.uuid()];
        let seed = ids.next();
        Task {
            task_id,
            submitted_at: clock.instant,
            submit_ms: clock.unix_ms,
            duration_ms,
            fails,
            kind: Kind::Music(Box::new(Music {
                created_at: iso8601(clock.unix_ms),
                clips: clip_ids.map(|id| Clip {
                    id,
                    duration_secs: 120.0 + (seed % 12_000) as f64 / 100.0,
                }),
                input,
            })),
        }
    }

    /// Lyrics written from `prompt`, finished at once.
    pub(crate) fn lyrics(task_id: String, prompt: &str, clock: &Clock) -> Task {
        Task {
            task_id,
            submitted_at: clock.instant,
            submit_ms: clock.unix_ms,
            duration_ms: 0,
            fails: false,
            kind: Kind::Lyrics {
                title: title_from(prompt),
                text: format!(
                    "[Verse]\n{prompt}\nSinging it loud tonight\n\n[Chorus]\n{prompt}\nAll through the night"
                ),
            },
        }
    }

    /// Where the task stands by the elapsed fraction of its duration.
    pub(crate) fn natural_phase(&self, now: Instant) -> Phase {
        let elapsed = now.saturating_duration_since(self.submitted_at).as_millis() as u64;
        if elapsed >= self.duration_ms {
            return if self.fails {
                Phase::Failure
            } else {
                Phase::Success
            };
        }
        match elapsed * 100 / self.duration_ms {
            0..10 => Phase::NotStart,
            10..25 => Phase::Submitted,
            25..40 => Phase::Queued,
            _ => Phase::InProgress,
        }
    }

    /// When the task entered IN_PROGRESS (unix ms).
    pub(crate) fn start_ms(&self) -> u64 {
        self.submit_ms + self.duration_ms * 2 / 5
    }

    /// When the task became final (unix ms).
    pub(crate) fn finish_ms(&self) -> u64 {
        self.submit_ms + self.duration_ms
    }
}

/// The first words of a prompt, as Suno titles inspiration songs.
pub(crate) fn title_from(prompt: &str) -> String {
    let words: Vec<&str> = prompt.split_whitespace().take(5).collect();
    if words.is_empty() {
        "Untitled".to_string()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{MusicInput, Phase, Task, title_from};
    use crate::clock::Clock;
    use crate::ids::IdSource;

    #[test]
    fn music_walks_through_the_statuses_by_elapsed_time() {
        let clock = Clock::now();
        let task = Task::music(
            "t".to_string(),
            MusicInput::default(),
            &clock,
            1000,
            false,
            &IdSource::new(),
        );
        let at = |ms| task.natural_phase(clock.instant + Duration::from_millis(ms));
        assert_eq!(at(0), Phase::NotStart);
        assert_eq!(at(150), Phase::Submitted);
        assert_eq!(at(300), Phase::Queued);
        assert_eq!(at(500), Phase::InProgress);
        assert_eq!(at(999), Phase::InProgress);
        assert_eq!(at(1000), Phase::Success);
        assert_eq!(task.start_ms(), task.submit_ms + 400);
        assert_eq!(task.finish_ms(), task.submit_ms + 1000);
    }

    #[test]
    fn lyrics_are_final_at_once_and_titled_by_their_first_words() {
        let clock = Clock::now();
        let task = Task::lyrics("l".to_string(), "a b c d e f g", &clock);
        assert_eq!(task.natural_phase(clock.instant), Phase::Success);
        assert_eq!(title_from("a b c d e f g"), "a b c d e");
        assert_eq!(title_from("  "), "Untitled");
    }

    #[test]
    fn status_words_read_back() {
        for phase in [Phase::NotStart, Phase::InProgress, Phase::Failure] {
            assert_eq!(Phase::from_word(phase.word()), Some(phase));
        }
        assert_eq!(Phase::from_word("WEIRD"), None);
    }
}
