//! Reading an upstream's video objects, leniently: every field may be
//! missing or of the wrong type.

use serde_json::{Map, Value};

use crate::domain::TaskStatus;
use crate::platform::UpstreamTask;

/// Fields of the upstream's video object kept in the task's `data`. Its
/// `id` and `remixed_from_video_id` are upstream ids: never kept, so no
/// answer built from `data` can show them. Nor is its `model`: a channel's
/// model mapping may name it otherwise upstream, and the task keeps the
/// client's (in `properties`).
const KEPT: [&str; 8] = [
    "object",
    "status",
    "progress",
    "created_at",
    "completed_at",
    "expires_at",
    "quality",
    "error",
];

/// Unix seconds from a number that may be seconds or milliseconds.
fn seconds(v: Option<&Value>) -> i64 {
    let n = v.and_then(Value::as_i64).unwrap_or(0);
    if n <= 0 {
        0
    } else if n > 100_000_000_000 {
        n / 1000
    } else {
        n
    }
}

/// The status a video status word means (unknown words → UNKNOWN).
pub fn status_of(word: &str) -> TaskStatus {
    match word {
        "queued" => TaskStatus::Queued,
        "in_progress" => TaskStatus::InProgress,
        "completed" => TaskStatus::Success,
        "failed" => TaskStatus::Failure,
        _ => TaskStatus::Unknown,
    }
}

/// Maps a video object; `None` when it is not an object with an id.
pub fn parse_video(text: &str) -> Option<UpstreamTask> {
    let Ok(Value::Object(video)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let upstream_id = video.get("id")?.as_str()?.to_string();
    let status = status_of(video.get("status").and_then(Value::as_str).unwrap_or(""));
    let progress = video
        .get("progress")
        .and_then(Value::as_f64)
        .map(|p| format!("{}%", p.clamp(0.0, 100.0) as i64));
    let error = video.get("error").and_then(Value::as_object);
    let fail_reason = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kept: Map<String, Value> = KEPT
        .iter()
        .filter_map(|k| video.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    Some(UpstreamTask {
        upstream_id,
        status,
        progress,
        fail_reason,
        submit_time: seconds(video.get("created_at")),
        start_time: 0,
        finish_time: seconds(video.get("completed_at")),
        data: Some(Value::Object(kept).to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses_and_keeps_no_upstream_id() {
        let t = parse_video(
            r#"{"id":"video_up","status":"in_progress","progress":42,
                "remixed_from_video_id":"video_src","created_at":1700000000000}"#,
        )
        .unwrap();
        assert_eq!(t.status, TaskStatus::InProgress);
        assert_eq!(t.progress.as_deref(), Some("42%"));
        assert_eq!(t.submit_time, 1_700_000_000);
        let data = t.data.unwrap();
        assert!(
            !data.contains("video_up") && !data.contains("video_src"),
            "{data}"
        );
        let t = parse_video(r#"{"id":"v","status":"failed","error":{"message":"no"}}"#).unwrap();
        assert_eq!(
            (t.status, t.fail_reason.as_str()),
            (TaskStatus::Failure, "no")
        );
        assert_eq!(
            parse_video(r#"{"id":"v","status":"weird"}"#)
                .unwrap()
                .status,
            TaskStatus::Unknown
        );
        assert!(parse_video(r#"{"status":"completed"}"#).is_none());
        assert!(parse_video("[1]").is_none());
    }
}
