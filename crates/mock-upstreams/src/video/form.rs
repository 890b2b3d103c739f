//! Create bodies as clients send them: JSON, or `multipart/form-data` whose optional
//! `input_reference` file part is counted (size, content type, name), never kept.

use futures_util::StreamExt;
use serde_json::{Map, Value};
use warp::Buf;
use warp::hyper::body::Bytes;
use warp::multipart::{FormData, Part};

use super::error::ApiError;
use super::request::{CreateFields, InputReference};

/// The longest text field the mock reads (prompts are far shorter).
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A create body, read once the request has passed the faults and the secret.
pub(crate) enum CreateBody {
    /// Any body that is not multipart, read as JSON.
    Json(Bytes),
    /// A `multipart/form-data` body, still streaming.
    Form(FormData),
}

impl CreateBody {
    /// The fields the client sent (unknown ones ignored).
    pub(crate) async fn fields(self) -> Result<CreateFields, ApiError> {
        match self {
            CreateBody::Json(body) => json_fields(&body),
            CreateBody::Form(form) => form_fields(form).await,
        }
    }
}

/// The fields of a JSON object body; `seconds` may be a number (`8` for `"8"`).
pub(crate) fn json_fields(body: &[u8]) -> Result<CreateFields, ApiError> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return Err(ApiError::bad_request(
            "We could not parse the JSON body of your request. The body should be a JSON object.",
        ));
    };
    let seconds = match object.get("seconds") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => text(&object, "seconds")?,
    };
    Ok(CreateFields {
        prompt: text(&object, "prompt")?,
        model: text(&object, "model")?,
        seconds,
        size: text(&object, "size")?,
        input_reference: None,
    })
}

/// A string member, `None` if absent or null.
fn text(object: &Map<String, Value>, name: &'static str) -> Result<Option<String>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(
            name,
            &format!("'{name}' must be a string."),
        )),
    }
}

/// The fields of a multipart body, reading its parts in order.
async fn form_fields(mut form: FormData) -> Result<CreateFields, ApiError> {
    let mut fields = CreateFields::default();
    while let Some(part) = form.next().await {
        let mut part = part.map_err(|_| unreadable())?;
        let slot = match part.name() {
            "prompt" => &mut fields.prompt,
            "model" => &mut fields.model,
            "seconds" => &mut fields.seconds,
            "size" => &mut fields.size,
            "input_reference" => {
                fields.input_reference = Some(InputReference {
                    content_type: part.content_type().map(str::to_string),
                    filename: part.filename().map(str::to_string),
                    bytes: count(&mut part).await?,
                });
                continue;
            }
            _ => {
                count(&mut part).await?;
                continue;
            }
        };
        *slot = Some(read_text(&mut part).await?);
    }
    Ok(fields)
}

/// Reads a part to its end, counting its bytes.
async fn count(part: &mut Part) -> Result<u64, ApiError> {
    let mut total = 0;
    while let Some(chunk) = part.data().await {
        total += chunk.map_err(|_| unreadable())?.remaining() as u64;
    }
    Ok(total)
}

/// Reads a text part (UTF-8, at most [`MAX_TEXT_BYTES`]).
async fn read_text(part: &mut Part) -> Result<String, ApiError> {
    let mut text = Vec::new();
    while let Some(chunk) = part.data().await {
        let mut chunk = chunk.map_err(|_| unreadable())?;
        while chunk.has_remaining() {
            let piece = chunk.chunk();
            text.extend_from_slice(piece);
            let n = piece.len();
            chunk.advance(n);
        }
        if text.len() > MAX_TEXT_BYTES {
            return Err(ApiError::bad_request("A form field is too long."));
        }
    }
    String::from_utf8(text).map_err(|_| ApiError::bad_request("A form field is not UTF-8."))
}

fn unreadable() -> ApiError {
    ApiError::bad_request("We could not parse the multipart/form-data body of your request.")
}

#[cfg(test)]
mod tests {
    use super::json_fields;

    #[test]
    fn json_bodies_give_their_fields_and_bad_ones_are_refused() {
        let fields = json_fields(br#"{"prompt":"a cat","seconds":8,"size":null}"#).expect("ok");
        assert_eq!(fields.prompt.as_deref(), Some("a cat"));
        assert_eq!(fields.seconds.as_deref(), Some("8"));
        assert_eq!(fields.size, None);
        assert_eq!(
            json_fields(br#"{"model":["x"]}"#).unwrap_err().param,
            Some("model")
        );
        assert_eq!(json_fields(b"[1]").unwrap_err().status.as_u16(), 400);
        assert!(json_fields(b"not json").is_err());
    }
}
