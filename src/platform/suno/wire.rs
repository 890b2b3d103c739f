//! Reading a Suno upstream's task objects: leniently, since every field may
//! be missing or of the wrong type, and keeping `data` as raw text.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::domain::TaskStatus;
use crate::platform::UpstreamTask;

/// Unix seconds from a number that may be seconds or milliseconds.
fn seconds(v: Option<&Value>) -> i64 {
    let n = match v {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .unwrap_or(0);
    if n <= 0 {
        0
    } else if n > 100_000_000_000 {
        // Milliseconds (anything past the year 5138 in seconds).
        n / 1000
    } else {
        n
    }
}

/// One task object of a fetch answer, read leniently: every field may be
/// missing or of the wrong type, and `data` stays raw text.
#[derive(Deserialize)]
struct WireTask<'a> {
    #[serde(default)]
    task_id: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    progress: Option<Value>,
    #[serde(default)]
    fail_reason: Option<Value>,
    #[serde(default)]
    submit_time: Option<Value>,
    #[serde(default)]
    start_time: Option<Value>,
    #[serde(default)]
    finish_time: Option<Value>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// Maps one task object of a fetch answer; `None` when it has no task id.
pub fn parse_task(raw: &RawValue) -> Option<UpstreamTask> {
    let w: WireTask<'_> = serde_json::from_str(raw.get()).ok()?;
    let upstream_id = w.task_id.as_ref()?.as_str()?.to_string();
    let word = w.status.as_ref().and_then(Value::as_str).unwrap_or("");
    let status = TaskStatus::from_word(word).unwrap_or(TaskStatus::Unknown);
    let progress = match &w.progress {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(|f| format!("{}%", f.clamp(0.0, 100.0) as i64)),
        _ => None,
    };
    Some(UpstreamTask {
        status,
        progress,
        fail_reason: w
            .fail_reason
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        submit_time: seconds(w.submit_time.as_ref()),
        start_time: seconds(w.start_time.as_ref()),
        finish_time: seconds(w.finish_time.as_ref()),
        data: w.data.and_then(|d| stored_data(d, &upstream_id)),
        upstream_id,
    })
}

/// A task's `data` as stored and shown, without the upstream's own id:
/// Suno's lyrics object carries it as `id`, and no answer may name it.
fn stored_data(raw: &RawValue, upstream_id: &str) -> Option<String> {
    let text = raw.get().trim();
    if text == "null" {
        return None;
    }
    if !text.contains(upstream_id) {
        return Some(text.to_string());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(mut object))
            if object.get("id").and_then(Value::as_str) == Some(upstream_id) =>
        {
            object.remove("id");
            Some(Value::Object(object).to_string())
        }
        _ => Some(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(v: Value) -> Box<RawValue> {
        RawValue::from_string(v.to_string()).unwrap()
    }

    #[test]
    fn maps_statuses_and_times() {
        let t = parse_task(&raw(
            json!({"task_id": "a", "status": "WEIRD", "submit_time": 1726911801000i64}),
        ))
        .unwrap();
        assert_eq!(t.status, TaskStatus::Unknown);
        assert_eq!(t.submit_time, 1726911801);
        let t = parse_task(&raw(
            json!({"task_id": "a", "status": "SUCCESS", "fail_reason": "x", "data": [1]}),
        ))
        .unwrap();
        assert_eq!(t.status, TaskStatus::Success);
        assert_eq!(t.data.as_deref(), Some("[1]"));
        assert!(parse_task(&raw(json!({"status": "SUCCESS"}))).is_none());
        assert!(parse_task(&raw(json!("garbage"))).is_none());
        assert!(parse_task(&raw(json!({"task_id": 5}))).is_none());
    }

    #[test]
    fn lyrics_data_loses_the_upstream_id_and_clips_keep_theirs() {
        let t = parse_task(&raw(json!({"task_id": "up-1", "status": "SUCCESS",
            "data": {"id": "up-1", "title": "t", "text": "la la"}})))
        .unwrap();
        let data: Value = serde_json::from_str(t.data.as_deref().unwrap()).unwrap();
        assert_eq!(data, json!({"title": "t", "text": "la la"}));
        let t = parse_task(&raw(json!({"task_id": "up-2", "status": "SUCCESS",
            "data": [{"id": "clip-1", "audio_url": "https://a/up-2.mp3"}]})))
        .unwrap();
        let data: Value = serde_json::from_str(t.data.as_deref().unwrap()).unwrap();
        assert_eq!(data[0]["id"], "clip-1");
    }
}
