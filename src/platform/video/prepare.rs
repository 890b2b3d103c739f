//! Validating a client's video job (`POST /v1/videos`, remix) and
//! translating it for the upstream.
//!
//! A job is priced per second: `units` is `seconds`, and the price is the
//! `ModelPrice` entry `model@size` when there is one (`sora-2-pro@1024x1792`
//! costs more than `sora-2-pro`), otherwise `model`'s.

use serde_json::{Map, Value, json};

use crate::domain::Invalid;
use crate::platform::PreparedJob;

/// Model of a job that names none.
pub const DEFAULT_MODEL: &str = "sora-2";
/// Length of a job that names none.
pub const DEFAULT_SECONDS: &str = "4";
/// Size of a job that names none.
pub const DEFAULT_SIZE: &str = "720x1280";
/// Lengths a video may have, in seconds.
pub const SECONDS: [&str; 3] = ["4", "8", "12"];
/// Sizes a video may have.
pub const SIZES: [&str; 4] = ["720x1280", "1280x720", "1024x1792", "1792x1024"];

/// Stored action of a video from a prompt alone.
pub const TEXT_GENERATE: &str = "textGenerate";
/// Stored action of a video from a prompt and a reference image.
pub const GENERATE: &str = "generate";
/// Stored action of a remix of an earlier video.
pub const REMIX_GENERATE: &str = "remixGenerate";

/// List prices in USD per second (`model@size` entries override `model`).
pub const DEFAULT_PRICES: &[(&str, f64)] = &[
    ("sora-2", 0.10),
    ("sora-2-pro", 0.30),
    ("sora-2-pro@1024x1792", 0.50),
    ("sora-2-pro@1792x1024", 0.50),
];

/// Reads an optional string field; `seconds` may also be a whole number.
fn opt_str(body: &Value, field: &str) -> Result<Option<String>, Invalid> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) if field == "seconds" && n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(Invalid::new(format!("'{field}' must be a string"))),
    }
}

/// A new video job. `body` holds the client's fields (`model`, `prompt`,
/// `seconds`, `size`, `image_url`, and `input_reference` describing an
/// uploaded file without its bytes); `action` is [`TEXT_GENERATE`] or
/// [`GENERATE`] (with a reference), or [`REMIX_GENERATE`] with `video_id`
/// (the public id of the source) and the source's model, seconds and size.
pub fn prepare(action: &str, body: &Value) -> Result<PreparedJob, Invalid> {
    if !body.is_object() {
        return Err(Invalid::new("request body must be a JSON object"));
    }
    let prompt = opt_str(body, "prompt")?.unwrap_or_default();
    if prompt.is_empty() {
        return Err(Invalid::new("'prompt' is required and must not be empty"));
    }
    let model = opt_str(body, "model")?
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| DEFAULT_MODEL.into());
    let seconds = opt_str(body, "seconds")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SECONDS.into());
    if !SECONDS.contains(&seconds.as_str()) {
        return Err(Invalid::new(format!(
            "invalid 'seconds' {seconds:?}: use one of {}",
            SECONDS.join(", ")
        )));
    }
    let size = opt_str(body, "size")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SIZE.into());
    if !SIZES.contains(&size.as_str()) {
        return Err(Invalid::new(format!(
            "invalid 'size' {size:?}: use one of {}",
            SIZES.join(", ")
        )));
    }
    let image_url = opt_str(body, "image_url")?.filter(|u| !u.is_empty());
    let uploaded = body.get("input_reference").filter(|v| v.is_object());
    let expected = if image_url.is_some() || uploaded.is_some() {
        GENERATE
    } else {
        TEXT_GENERATE
    };
    let remix_of = opt_str(body, "video_id")?.filter(|v| !v.is_empty());
    let action = match (action, &remix_of) {
        (REMIX_GENERATE, Some(_)) => REMIX_GENERATE,
        (REMIX_GENERATE, None) => return Err(Invalid::new("a remix needs its source video")),
        (a, _) if a == expected => expected,
        (a, _) => return Err(Invalid::new(format!("unknown video action '{a}'"))),
    };
    let units: f64 = seconds
        .parse()
        .map_err(|_| Invalid::new("invalid 'seconds'"))?;

    let mut upstream = Map::new();
    let mut props = Map::new();
    for (k, v) in [
        ("model", &model),
        ("prompt", &prompt),
        ("seconds", &seconds),
        ("size", &size),
    ] {
        props.insert(k.into(), json!(v));
        if action != REMIX_GENERATE {
            upstream.insert(k.into(), json!(v));
        }
    }
    if action == REMIX_GENERATE {
        // The upstream remixes its own video (`link_parent` names it).
        upstream.insert("prompt".into(), json!(prompt));
    }
    if let Some(url) = image_url {
        upstream.insert("image_url".into(), json!(url));
        props.insert("image_url".into(), json!(url));
    }
    if let Some(file) = uploaded {
        // What the file was, never its bytes.
        props.insert("input_reference".into(), file.clone());
    }
    if let Some(source) = &remix_of {
        props.insert("remixed_from_video_id".into(), json!(source));
    }
    Ok(PreparedJob {
        action: action.into(),
        price_variant: Some(format!("{model}@{size}")),
        model,
        units,
        body: Value::Object(upstream),
        properties: Value::Object(props),
        continues: remix_of,
        upload: None,
    })
}

/// Points a remix at the source's upstream id.
pub fn link_parent(job: &mut PreparedJob, parent_upstream_id: &str) {
    if let Value::Object(m) = &mut job.body {
        m.insert("remix_of".into(), json!(parent_upstream_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_and_bad_fields_are_refused() {
        let job = prepare(TEXT_GENERATE, &json!({"prompt": "a cat"})).unwrap();
        assert_eq!(job.model, "sora-2");
        assert_eq!(job.units, 4.0);
        assert_eq!(job.price_variant.as_deref(), Some("sora-2@720x1280"));
        assert_eq!(job.properties["size"], "720x1280");
        let job = prepare(
            GENERATE,
            &json!({"prompt": "a", "seconds": 12, "image_url": "https://x/y.png"}),
        )
        .unwrap();
        assert_eq!((job.action.as_str(), job.units), (GENERATE, 12.0));
        for bad in [
            json!({"prompt": ""}),
            json!({"prompt": "  "}),
            json!({"prompt": "a", "seconds": "5"}),
            json!({"prompt": "a", "size": "1x1"}),
            json!({"prompt": 3}),
            json!([]),
        ] {
            assert!(prepare(TEXT_GENERATE, &bad).is_err(), "{bad}");
        }
        // An image makes it `generate`; the route decides, prepare checks.
        assert!(prepare(TEXT_GENERATE, &json!({"prompt": "a", "image_url": "u"})).is_err());
    }
}
