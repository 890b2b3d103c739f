//! The Suno-API upstream: `POST /suno/submit/{MUSIC|LYRICS}`, `POST /suno/fetch`.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{Platform, PreparedJob, Target, UpstreamError, UpstreamTask, agent};
use crate::domain::TaskStatus;
use crate::error::AppError;

/// Largest upstream body read; anything bigger is an error, not a crash.
const MAX_BODY: u64 = 32 * 1024 * 1024;

/// The Suno platform adaptor.
pub struct Suno {
    agent: ureq::Agent,
}

impl Suno {
    /// An adaptor whose calls time out after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Suno {
            agent: agent(timeout),
        }
    }

    /// POSTs JSON and returns the envelope's `data` (raw JSON text) when
    /// `code` is success.
    fn call(&self, target: &Target, path: &str, body: &Value) -> Result<String, UpstreamError> {
        let url = format!("{}{}", target.base_url.trim_end_matches('/'), path);
        let resp = self
            .agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", target.key))
            .content_type("application/json")
            .send(body.to_string());
        let mut resp = resp.map_err(|e| UpstreamError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .lossy_utf8(true)
            .read_to_string();
        let text = match text {
            Ok(t) => t,
            Err(e) if status == 200 => {
                return Err(UpstreamError::Protocol(format!("cannot read body: {e}")));
            }
            Err(_) => String::new(),
        };
        let parsed: Option<Envelope<'_>> = serde_json::from_str(&text).ok();
        let message = |e: &Envelope<'_>| {
            e.message
                .as_ref()
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        if status != 200 {
            let message = parsed
                .as_ref()
                .and_then(message)
                .unwrap_or_else(|| truncate(&text, 200));
            return Err(UpstreamError::Status { status, message });
        }
        let env = parsed.ok_or_else(|| {
            UpstreamError::Protocol(format!(
                "body is not a JSON envelope: {}",
                truncate(&text, 100)
            ))
        })?;
        let code = env.code.as_ref().and_then(Value::as_str).unwrap_or("");
        if code != "success" {
            let msg = message(&env).unwrap_or_default();
            return Err(UpstreamError::Protocol(format!("code '{code}': {msg}")));
        }
        Ok(env
            .data
            .map(|d| d.get().to_string())
            .unwrap_or_else(|| "null".into()))
    }
}

/// The Suno envelope, read leniently; `data` stays raw.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

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
        upstream_id,
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
        data: w
            .data
            .map(|d| d.get().trim())
            .filter(|d| *d != "null")
            .map(str::to_string),
    })
}

/// Reads an optional string field; another type → 400.
fn opt_str(body: &Value, field: &str) -> Result<Option<String>, AppError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AppError::bad(format!("{field} must be a string"))),
    }
}

impl Platform for Suno {
    fn name(&self) -> &'static str {
        "suno"
    }

    fn prepare(&self, action: &str, body: &Value) -> Result<PreparedJob, AppError> {
        if !body.is_object() {
            return Err(AppError::bad("request body must be a JSON object"));
        }
        let action = action.to_ascii_uppercase();
        let prompt = opt_str(body, "prompt")?.unwrap_or_default();
        match action.as_str() {
            "LYRICS" => {
                if prompt.trim().is_empty() {
                    return Err(AppError::bad("prompt is empty"));
                }
                let upstream = json!({ "prompt": prompt });
                Ok(PreparedJob {
                    action,
                    model: "suno_lyrics".into(),
                    properties: json!({"model": "suno_lyrics", "prompt": prompt}),
                    body: upstream,
                    continues: None,
                })
            }
            "MUSIC" => {
                let gpt = opt_str(body, "gpt_description_prompt")?.unwrap_or_default();
                if prompt.trim().is_empty() && gpt.trim().is_empty() {
                    return Err(AppError::bad(
                        "prompt or gpt_description_prompt is required for music",
                    ));
                }
                let mv = opt_str(body, "mv")?
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| "chirp-v3-0".into());
                let title = opt_str(body, "title")?;
                let tags = opt_str(body, "tags")?;
                let clip = opt_str(body, "continue_clip_id")?.filter(|c| !c.trim().is_empty());
                let parent = opt_str(body, "task_id")?.filter(|c| !c.trim().is_empty());
                let continue_at = match body.get("continue_at") {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f >= 0.0) => {
                        Some(n.clone())
                    }
                    Some(_) => {
                        return Err(AppError::bad("continue_at must be a non-negative number"));
                    }
                };
                let instrumental = match body.get("make_instrumental") {
                    None | Some(Value::Null) => None,
                    Some(Value::Bool(b)) => Some(*b),
                    Some(_) => return Err(AppError::bad("make_instrumental must be a boolean")),
                };
                if clip.is_some() && parent.is_none() {
                    return Err(AppError::bad("task_id is required with continue_clip_id"));
                }
                let mut upstream = serde_json::Map::new();
                let mut props = serde_json::Map::new();
                props.insert("model".into(), json!("suno_music"));
                upstream.insert("mv".into(), json!(mv));
                props.insert("mv".into(), json!(mv));
                let mut put = |k: &str, v: Value| {
                    upstream.insert(k.into(), v.clone());
                    props.insert(k.into(), v);
                };
                if !gpt.trim().is_empty() {
                    put("gpt_description_prompt", json!(gpt));
                } else {
                    put("prompt", json!(prompt));
                    if let Some(t) = title {
                        put("title", json!(t));
                    }
                    if let Some(t) = tags {
                        put("tags", json!(t));
                    }
                    if let Some(c) = &clip {
                        put("continue_clip_id", json!(c));
                    }
                    if let Some(c) = continue_at {
                        put("continue_at", Value::Number(c));
                    }
                }
                if let Some(b) = instrumental {
                    put("make_instrumental", json!(b));
                }
                let continues = if gpt.trim().is_empty() && clip.is_some() {
                    parent
                } else {
                    None
                };
                if let Some(p) = &continues {
                    props.insert("task_id".into(), json!(p));
                }
                Ok(PreparedJob {
                    action,
                    model: "suno_music".into(),
                    body: Value::Object(upstream),
                    properties: Value::Object(props),
                    continues,
                })
            }
            _ => Err(AppError::bad(format!(
                "unknown action '{}': use music or lyrics",
                action.to_ascii_lowercase()
            ))),
        }
    }

    fn link_parent(&self, job: &mut PreparedJob, parent_upstream_id: &str) {
        if let Value::Object(m) = &mut job.body {
            m.insert("task_id".into(), json!(parent_upstream_id));
        }
    }

    fn submit(&self, target: &Target, action: &str, body: &Value) -> Result<String, UpstreamError> {
        let data = self.call(target, &format!("/suno/submit/{action}"), body)?;
        match serde_json::from_str::<Value>(&data).unwrap_or(Value::Null) {
            Value::String(id) if !id.trim().is_empty() => Ok(id),
            other => Err(UpstreamError::Protocol(format!(
                "submit answered without a task id: {}",
                truncate(&other.to_string(), 100)
            ))),
        }
    }

    fn fetch(&self, target: &Target, ids: &[String]) -> Result<Vec<UpstreamTask>, UpstreamError> {
        let data = self.call(target, "/suno/fetch", &json!({ "ids": ids }))?;
        let items: Vec<&RawValue> = serde_json::from_str(&data)
            .map_err(|_| UpstreamError::Protocol("fetch data is not a list".into()))?;
        let asked: HashSet<&str> = ids.iter().map(String::as_str).collect();
        Ok(items
            .into_iter()
            .filter_map(parse_task)
            .filter(|t| asked.contains(t.upstream_id.as_str()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
