//! The OpenAI video object a client sees, built from the task: its public
//! id, what the user asked for (`properties`) and the latest upstream
//! report (`data`, which keeps no upstream id).

use serde_json::{Value, json};

use crate::store::tasks::Task;

/// The OpenAI status word of a stored status.
pub fn status_word(status: &str) -> &'static str {
    match status {
        "SUCCESS" => "completed",
        "FAILURE" => "failed",
        "IN_PROGRESS" | "UNKNOWN" => "in_progress",
        _ => "queued",
    }
}

/// Progress as an integer 0–100 from `"N%"`.
fn progress(task: &Task) -> i64 {
    // A queued video has not started (taskcenter's own SUBMITTED shows 10%).
    match status_word(&task.status) {
        "completed" => return 100,
        "queued" => return 0,
        _ => {}
    }
    task.progress
        .trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .map(|p| p.clamp(0.0, 100.0) as i64)
        .unwrap_or(0)
}

/// A time that is 0 when unknown, as null.
fn time(t: i64) -> Value {
    if t > 0 { json!(t) } else { Value::Null }
}

/// The video object of `task`.
pub fn video_object(task: &Task) -> Value {
    let props = crate::store::json_value(&task.properties);
    let data = crate::store::json_value(&task.data);
    let field = |name: &str| props.get(name).cloned().unwrap_or(Value::Null);
    let status = status_word(&task.status);
    let error = if status == "failed" {
        let code = data["error"]["code"]
            .as_str()
            .unwrap_or("video_generation_failed");
        json!({"code": code, "message": task.fail_reason})
    } else {
        Value::Null
    };
    let finished = matches!(status, "completed" | "failed");
    json!({
        "id": task.task_id,
        "object": "video",
        "model": field("model"),
        "status": status,
        "progress": progress(task),
        "created_at": task.submit_time,
        "completed_at": if finished { time(task.finish_time) } else { Value::Null },
        "expires_at": if status == "completed" { data.get("expires_at").cloned().unwrap_or(Value::Null) } else { Value::Null },
        "size": field("size"),
        "seconds": field("seconds"),
        "quality": data.get("quality").cloned().unwrap_or_else(|| json!("standard")),
        "prompt": field("prompt"),
        "remixed_from_video_id": field("remixed_from_video_id"),
        "error": error,
    })
}
