//! Validating a client's Suno job and translating it for the upstream.

use serde_json::{Value, json};

use crate::domain::Invalid;
use crate::platform::PreparedJob;

/// The priced model of a music job.
pub const MUSIC_MODEL: &str = "suno_music";
/// The priced model of a lyrics job.
pub const LYRICS_MODEL: &str = "suno_lyrics";

/// Reads an optional string field; another type → 400.
fn opt_str(body: &Value, field: &str) -> Result<Option<String>, Invalid> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Invalid::new(format!("{field} must be a string"))),
    }
}

/// A client's `music` or `lyrics` job, checked and translated: the upstream
/// body, the properties kept on the task, and the priced model.
pub fn prepare(action: &str, body: &Value) -> Result<PreparedJob, Invalid> {
    if !body.is_object() {
        return Err(Invalid::new("request body must be a JSON object"));
    }
    let action = action.to_ascii_uppercase();
    let prompt = opt_str(body, "prompt")?.unwrap_or_default();
    match action.as_str() {
        "LYRICS" => {
            if prompt.trim().is_empty() {
                return Err(Invalid::new("prompt is empty"));
            }
            let upstream = json!({ "prompt": prompt });
            Ok(PreparedJob {
                action,
                model: LYRICS_MODEL.into(),
                units: 1.0,
                properties: json!({"model": LYRICS_MODEL, "prompt": prompt}),
                body: upstream,
                continues: None,
                price_variant: None,
                upload: None,
            })
        }
        "MUSIC" => {
            let gpt = opt_str(body, "gpt_description_prompt")?.unwrap_or_default();
            if prompt.trim().is_empty() && gpt.trim().is_empty() {
                return Err(Invalid::new(
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
                Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f >= 0.0) => Some(n.clone()),
                Some(_) => {
                    return Err(Invalid::new("continue_at must be a non-negative number"));
                }
            };
            let instrumental = match body.get("make_instrumental") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(_) => return Err(Invalid::new("make_instrumental must be a boolean")),
            };
            if clip.is_some() && parent.is_none() {
                return Err(Invalid::new("task_id is required with continue_clip_id"));
            }
            let mut upstream = serde_json::Map::new();
            let mut props = serde_json::Map::new();
            props.insert("model".into(), json!(MUSIC_MODEL));
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
                model: MUSIC_MODEL.into(),
                units: 1.0,
                body: Value::Object(upstream),
                properties: Value::Object(props),
                continues,
                price_variant: None,
                upload: None,
            })
        }
        _ => Err(Invalid::new(format!(
            "unknown action '{}': use music or lyrics",
            action.to_ascii_lowercase()
        ))),
    }
}

/// Points a continuation at the original job's upstream id.
pub fn link_parent(job: &mut PreparedJob, parent_upstream_id: &str) {
    if let Value::Object(m) = &mut job.body {
        m.insert("task_id".into(), json!(parent_upstream_id));
    }
}
