//! How videos look in answers: the video object, the list page and the deletion receipt,
//! reshaped by the faults that bend answers (`unknown_status`, `millisecond_times`).

use serde::Serialize;

use super::config::{EXPIRY_SECS, VIDEO_FAIL_CODE, VIDEO_FAIL_MESSAGE, VIDEO_FORCED_FAIL_MESSAGE};
use super::job::Entry;
use super::request::VideoStatus;
use crate::clock::Clock;

/// How faults reshape video objects.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Shape {
    /// [`crate::Fault::UnknownStatus`]: the status word is `weird`.
    pub(crate) weird_status: bool,
    /// [`crate::Fault::MillisecondTimes`]: times in ms instead of seconds.
    pub(crate) millisecond_times: bool,
}

/// The video object.
#[derive(Debug, Serialize)]
pub(crate) struct VideoView<'a> {
    id: &'a str,
    object: &'static str,
    model: &'a str,
    pub(crate) status: &'static str,
    progress: u8,
    created_at: u64,
    completed_at: Option<u64>,
    expires_at: Option<u64>,
    size: &'static str,
    seconds: &'static str,
    quality: &'static str,
    prompt: &'a str,
    remixed_from_video_id: Option<&'a str>,
    error: Option<FailureView>,
}

/// Why a video failed.
#[derive(Debug, Serialize)]
struct FailureView {
    code: &'static str,
    message: &'static str,
}

/// A page of `GET /v1/videos`.
#[derive(Serialize)]
pub(crate) struct ListView<'a> {
    object: &'static str,
    data: Vec<VideoView<'a>>,
    first_id: Option<&'a str>,
    last_id: Option<&'a str>,
    has_more: bool,
}

/// The answer of `DELETE /v1/videos/{id}`.
#[derive(Serialize)]
pub(crate) struct DeletedView<'a> {
    id: &'a str,
    object: &'static str,
    deleted: bool,
}

impl Entry {
    /// The video object as a retrieve at `clock` reports it.
    pub(crate) fn view(&self, clock: &Clock, shape: Shape) -> VideoView<'_> {
        let video = &*self.video;
        let moment = self.at(clock);
        let time = |unix_ms: u64| {
            if shape.millisecond_times {
                unix_ms
            } else {
                unix_ms / 1000
            }
        };
        let completed_at = moment.finished_unix_ms.map(time);
        let expires_at = (moment.status == VideoStatus::Completed)
            .then(|| {
                moment
                    .finished_unix_ms
                    .map(|ms| time(ms + EXPIRY_SECS * 1000))
            })
            .flatten();
        let error = (moment.status == VideoStatus::Failed).then_some(FailureView {
            code: VIDEO_FAIL_CODE,
            message: if moment.forced_failure {
                VIDEO_FORCED_FAIL_MESSAGE
            } else {
                VIDEO_FAIL_MESSAGE
            },
        });
        VideoView {
            id: &video.id,
            object: "video",
            model: &video.request.model,
            status: if shape.weird_status {
                "weird"
            } else {
                moment.status.as_str()
            },
            progress: moment.progress,
            created_at: time(video.created_unix_ms),
            completed_at,
            expires_at,
            size: video.request.size,
            seconds: video.request.seconds,
            quality: "standard",
            prompt: &video.request.prompt,
            remixed_from_video_id: video.remixed_from.as_deref(),
            error,
        }
    }
}

impl<'a> ListView<'a> {
    /// A page of `entries`, in the order asked for.
    pub(crate) fn new(entries: &'a [Entry], has_more: bool, clock: &Clock, shape: Shape) -> Self {
        let id = |entry: Option<&'a Entry>| entry.map(|e| e.video.id.as_str());
        ListView {
            object: "list",
            data: entries.iter().map(|e| e.view(clock, shape)).collect(),
            first_id: id(entries.first()),
            last_id: id(entries.last()),
            has_more,
        }
    }
}

impl<'a> DeletedView<'a> {
    /// The receipt for a deleted video.
    pub(crate) fn new(id: &'a str) -> Self {
        DeletedView {
            id,
            object: "video.deleted",
            deleted: true,
        }
    }
}
