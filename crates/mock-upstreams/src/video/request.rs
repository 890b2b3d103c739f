//! What clients may ask for, parsed at the edge: statuses, content variants, creation
//! parameters and list pages. Bad input becomes an [`ApiError`] naming the parameter.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::error::ApiError;

/// The models the mock accepts (OpenAI's names and dated snapshots).
const MODELS: [&str; 5] = [
    "sora-2",
    "sora-2-pro",
    "sora-2-2025-10-06",
    "sora-2-pro-2025-10-06",
    "sora-2-2025-12-08",
];
/// Clip lengths, as strings on the wire.
const SECONDS: [&str; 3] = ["4", "8", "12"];
/// Resolutions, portrait first as OpenAI defaults.
const SIZES: [&str; 4] = ["720x1280", "1280x720", "1024x1792", "1792x1024"];
/// Largest page of `GET /v1/videos`.
const MAX_LIMIT: usize = 100;
/// Page size when `limit` is not given.
const DEFAULT_LIMIT: usize = 20;

/// Where a video job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VideoStatus {
    /// Accepted, not started.
    Queued,
    /// Rendering; `progress` grows.
    InProgress,
    /// Done; the content can be downloaded.
    Completed,
    /// Ended without a video; `error` says why.
    Failed,
}

impl VideoStatus {
    /// The status word of the wire protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoStatus::Queued => "queued",
            VideoStatus::InProgress => "in_progress",
            VideoStatus::Completed => "completed",
            VideoStatus::Failed => "failed",
        }
    }

    /// The status a wire word names.
    pub fn parse(word: &str) -> Option<VideoStatus> {
        [
            VideoStatus::Queued,
            VideoStatus::InProgress,
            VideoStatus::Completed,
            VideoStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == word)
    }

    /// Completed or failed: the video will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, VideoStatus::Completed | VideoStatus::Failed)
    }
}

impl fmt::Display for VideoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rendition `GET /v1/videos/{id}/content?variant=` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The MP4 (the default).
    Video,
    /// A still JPEG.
    Thumbnail,
    /// A JPEG grid of frames.
    Spritesheet,
}

impl Variant {
    /// The variant a query value names.
    pub fn parse(word: &str) -> Option<Variant> {
        match word {
            "video" => Some(Variant::Video),
            "thumbnail" => Some(Variant::Thumbnail),
            "spritesheet" => Some(Variant::Spritesheet),
            _ => None,
        }
    }

    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Variant::Video => "video/mp4",
            Variant::Thumbnail | Variant::Spritesheet => "image/jpeg",
        }
    }
}

/// The file part of a multipart create, as received (only its size is kept).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InputReference {
    /// Length of the uploaded file.
    pub bytes: u64,
    /// The part's `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// The part's file name, if it had one.
    pub filename: Option<String>,
}

/// The fields of a create body before validation, from JSON or form parts.
#[derive(Debug, Default)]
pub(crate) struct CreateFields {
    pub(crate) prompt: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) seconds: Option<String>,
    pub(crate) size: Option<String>,
    pub(crate) input_reference: Option<InputReference>,
}

/// A valid request for a new video.
#[derive(Clone, Debug)]
pub(crate) struct NewVideo {
    pub(crate) model: String,
    pub(crate) prompt: String,
    pub(crate) seconds: &'static str,
    pub(crate) size: &'static str,
    pub(crate) input_reference: Option<InputReference>,
}

impl NewVideo {
    /// Applies OpenAI's defaults (`sora-2`, 4 seconds, 720x1280) and refuses what it would.
    pub(crate) fn parse(fields: CreateFields) -> Result<NewVideo, ApiError> {
        let prompt = fields.prompt.unwrap_or_default();
        if prompt.trim().is_empty() {
            return Err(ApiError::invalid(
                "prompt",
                "Missing required parameter: 'prompt'.",
            ));
        }
        Ok(NewVideo {
            model: one_of("model", fields.model, &MODELS)?.to_string(),
            prompt,
            seconds: one_of("seconds", fields.seconds, &SECONDS)?,
            size: one_of("size", fields.size, &SIZES)?,
            input_reference: fields.input_reference,
        })
    }
}

/// `value` if it is one of `allowed`, the first of them if absent.
fn one_of(
    param: &'static str,
    value: Option<String>,
    allowed: &[&'static str],
) -> Result<&'static str, ApiError> {
    let Some(value) = value else {
        return Ok(allowed[0]);
    };
    allowed
        .iter()
        .find(|a| **a == value)
        .copied()
        .ok_or_else(|| {
            let expected = allowed.join("', '");
            let message = format!("Invalid value: '{value}'. Supported values are: '{expected}'.");
            ApiError::invalid(param, &message)
        })
}

/// Which way `GET /v1/videos` walks the videos by creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    Asc,
    Desc,
}

/// A valid `GET /v1/videos?limit=&after=&order=`.
#[derive(Debug, PartialEq)]
pub(crate) struct ListQuery {
    pub(crate) limit: usize,
    pub(crate) after: Option<String>,
    pub(crate) order: Order,
}

impl ListQuery {
    /// `limit` 1 to 100 (default 20), `order` `asc` or `desc` (default, newest first).
    pub(crate) fn parse(query: &HashMap<String, String>) -> Result<ListQuery, ApiError> {
        let limit = match query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    let message = format!("Invalid 'limit': expected 1 to {MAX_LIMIT}.");
                    return Err(ApiError::invalid("limit", &message));
                }
            },
        };
        let order = match query.get("order").map(String::as_str) {
            None | Some("desc") => Order::Desc,
            Some("asc") => Order::Asc,
            Some(_) => return Err(ApiError::invalid("order", "Invalid 'order': asc or desc.")),
        };
        Ok(ListQuery {
            limit,
            after: query.get("after").filter(|a| !a.is_empty()).cloned(),
            order,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{CreateFields, ListQuery, NewVideo, Order, VideoStatus};

    #[test]
    fn creation_defaults_and_refusals() {
        let fields = |prompt: &str, seconds: Option<&str>| CreateFields {
            prompt: Some(prompt.to_string()),
            seconds: seconds.map(str::to_string),
            ..CreateFields::default()
        };
        let video = NewVideo::parse(fields("a cat", None)).expect("valid");
        assert_eq!(
            (video.model.as_str(), video.seconds, video.size),
            ("sora-2", "4", "720x1280")
        );
        assert_eq!(
            NewVideo::parse(fields("a cat", Some("12")))
                .expect("valid")
                .seconds,
            "12"
        );
        assert_eq!(
            NewVideo::parse(fields("a cat", Some("5")))
                .unwrap_err()
                .param,
            Some("seconds")
        );
        assert_eq!(
            NewVideo::parse(fields(" ", None)).unwrap_err().param,
            Some("prompt")
        );
    }

    #[test]
    fn list_queries_default_and_refuse() {
        let query = |pairs: &[(&str, &str)]| {
            let map: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            ListQuery::parse(&map)
        };
        assert_eq!(
            query(&[]).expect("defaults"),
            ListQuery {
                limit: 20,
                after: None,
                order: Order::Desc
            }
        );
        let asc = query(&[("limit", "2"), ("order", "asc"), ("after", "video_x")]).expect("ok");
        assert_eq!(
            (asc.limit, asc.order, asc.after.as_deref()),
            (2, Order::Asc, Some("video_x"))
        );
        for bad in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "x"),
            ("order", "up"),
        ] {
            assert_eq!(query(&[bad]).unwrap_err().param, Some(bad.0), "{bad:?}");
        }
    }

    #[test]
    fn status_words_read_back() {
        for status in [
            VideoStatus::Queued,
            VideoStatus::InProgress,
            VideoStatus::Failed,
        ] {
            assert_eq!(VideoStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(VideoStatus::parse("done"), None);
    }
}
