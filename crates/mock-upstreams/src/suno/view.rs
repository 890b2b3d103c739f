//! How a task looks in a fetch answer at a given moment, reshaped by the fetch faults.

use std::net::SocketAddr;

use serde::Serialize;

use super::config::{FAIL_REASON, FORCED_FAIL_REASON};
use super::media::{audio_path, cover_path};
use super::task::{Entry, Kind, Music, Phase};
use crate::clock::Clock;

/// How faults reshape task objects in fetch answers, and where finished clips' media is.
#[derive(Clone, Copy, Default)]
pub(crate) struct Shape {
    /// [`crate::MockConfig::serve_media`]: this mock's address, which finished clips' audio
    /// and images point at instead of Suno's CDN.
    pub(crate) media_at: Option<SocketAddr>,
    /// [`crate::Fault::UnknownStatus`]: the status word is `WEIRD`.
    pub(crate) weird_status: bool,
    /// [`crate::Fault::MillisecondTimes`]: times in ms instead of seconds.
    pub(crate) millisecond_times: bool,
}

/// A task object of a fetch answer.
#[derive(Serialize)]
pub(crate) struct TaskView<'a> {
    task_id: &'a str,
    action: &'static str,
    /// The forced word when a test set one, so it may be no Suno status at all.
    pub(crate) status: &'a str,
    fail_reason: &'static str,
    submit_time: u64,
    start_time: u64,
    finish_time: u64,
    data: DataView<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum DataView<'a> {
    Clips(Vec<ClipView<'a>>),
    Lyrics(LyricsView<'a>),
}

#[derive(Serialize)]
struct ClipView<'a> {
    id: &'a str,
    title: &'a str,
    status: &'static str,
    audio_url: String,
    video_url: String,
    image_url: String,
    image_large_url: String,
    is_video_pending: bool,
    model_name: &'a str,
    major_model_version: &'a str,
    created_at: &'a str,
    metadata: MetadataView<'a>,
}

#[derive(Serialize)]
struct MetadataView<'a> {
    tags: &'a str,
    prompt: &'a str,
    gpt_description_prompt: Option<&'a str>,
    duration: Option<f64>,
    r#type: &'static str,
    stream: bool,
    error_type: Option<&'static str>,
    error_message: Option<&'static str>,
}

#[derive(Serialize)]
struct LyricsView<'a> {
    id: &'a str,
    status: &'static str,
    title: &'a str,
    text: &'a str,
}

impl Entry {
    /// The task as a fetch at `clock` reports it: a forced status wins over the natural one,
    /// and its times are those of the moment it was forced.
    pub(crate) fn view(&self, clock: &Clock, shape: Shape) -> TaskView<'_> {
        let task = &*self.task;
        let natural = task.natural_phase(clock.instant);
        let (status, phase, changed_ms) = match &self.forced {
            Some(forced) => {
                let phase = Phase::from_word(&forced.status).unwrap_or(natural);
                (forced.status.as_str(), phase, forced.at_ms)
            }
            None => (natural.word(), natural, clock.unix_ms),
        };
        let fail_reason = match phase {
            Phase::Failure if natural == Phase::Failure => FAIL_REASON,
            Phase::Failure => FORCED_FAIL_REASON,
            _ => "",
        };
        let start_ms = if phase >= Phase::InProgress {
            task.start_ms().min(changed_ms)
        } else {
            0
        };
        let finish_ms = if phase.is_final() {
            if natural.is_final() {
                task.finish_ms()
            } else {
                changed_ms
            }
        } else {
            0
        };
        let time = |ms: u64| match (ms, shape.millisecond_times) {
            (0, _) => 0,
            (ms, true) => ms,
            (ms, false) => ms / 1000,
        };
        let (action, data) = match &task.kind {
            Kind::Music(music) => (
                "MUSIC",
                DataView::Clips(music.clip_views(phase, shape.media_at)),
            ),
            Kind::Lyrics { title, text } => (
                "LYRICS",
                DataView::Lyrics(LyricsView {
                    id: &task.task_id,
                    status: match phase {
                        Phase::Success => "complete",
                        Phase::Failure => "error",
                        _ => "running",
                    },
                    title,
                    text,
                }),
            ),
        };
        TaskView {
            task_id: &task.task_id,
            action,
            status: if shape.weird_status { "WEIRD" } else { status },
            fail_reason,
            submit_time: time(task.submit_ms),
            start_time: time(start_ms),
            finish_time: time(finish_ms),
            data,
        }
    }
}

impl Music {
    /// The two clips as Suno shows them in `phase`: stream URLs while IN_PROGRESS, CDN URLs
    /// (or this mock's own media at `media_at`) and a duration once SUCCESS.
    fn clip_views(&self, phase: Phase, media_at: Option<SocketAddr>) -> Vec<ClipView<'_>> {
        let input = &self.input;
        let mv = input.mv.as_deref().unwrap_or("chirp-v3-0");
        let title = input.title.as_deref().unwrap_or("");
        self.clips
            .iter()
            .map(|clip| {
                let id = clip.id.as_str();
                let streaming = phase == Phase::InProgress;
                let done = phase == Phase::Success;
                let images = streaming || done;
                let url = |on: bool, url: String| if on { url } else { String::new() };
                let (audio, image, image_large) = match media_at {
                    Some(addr) if done => {
                        let cover = format!("http://{addr}{}", cover_path(id));
                        (
                            format!("http://{addr}{}", audio_path(id)),
                            cover.clone(),
                            cover,
                        )
                    }
                    _ => (
                        format!("https://cdn1.suno.ai/{id}.mp3"),
                        format!("https://cdn2.suno.ai/image_{id}.jpeg"),
                        format!("https://cdn2.suno.ai/image_large_{id}.jpeg"),
                    ),
                };
                ClipView {
                    id,
                    title,
                    status: phase.clip_status(),
                    audio_url: if done {
                        audio
                    } else {
                        url(
                            streaming,
                            format!("https://audiopipe.suno.ai/?item_id={id}"),
                        )
                    },
                    video_url: url(done, format!("https://cdn1.suno.ai/{id}.mp4")),
                    image_url: url(images, image),
                    image_large_url: url(images, image_large),
                    is_video_pending: !done,
                    model_name: mv,
                    major_model_version: major_version(mv),
                    created_at: &self.created_at,
                    metadata: MetadataView {
                        tags: input.tags.as_deref().unwrap_or(""),
                        prompt: input.prompt.as_deref().unwrap_or(""),
                        gpt_description_prompt: input.gpt_description_prompt.as_deref(),
                        duration: done.then_some(clip.duration_secs),
                        r#type: if input.continue_clip_id.is_some() {
                            "concat"
                        } else {
                            "gen"
                        },
                        stream: true,
                        error_type: (phase == Phase::Failure).then_some("mock_error"),
                        error_message: (phase == Phase::Failure).then_some(FAIL_REASON),
                    },
                }
            })
            .collect()
    }
}

/// `chirp-v3-5` → `v3`.
fn major_version(mv: &str) -> &str {
    mv.split('-')
        .find(|part| part.starts_with('v'))
        .unwrap_or("v3")
}

#[cfg(test)]
mod tests {
    use super::major_version;

    #[test]
    fn major_version_is_the_v_part_of_the_model_name() {
        assert_eq!(major_version("chirp-v3-5"), "v3");
        assert_eq!(major_version("chirp-v4"), "v4");
        assert_eq!(major_version("chirp"), "v3");
    }
}
