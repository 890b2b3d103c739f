//! Create bodies as OpenAI clients send them: JSON, or `multipart/form-data`
//! with an optional `input_reference` image file.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::http::body::parse_json;
use crate::http::error::HttpError;
use crate::platform::Upload;

/// Largest reference image.
pub const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Largest create body: the image and room for the text fields.
pub const MAX_CREATE_BYTES: u64 = MAX_IMAGE_BYTES as u64 + 1024 * 1024;
/// Text fields of a multipart create; other parts are ignored.
const TEXT_FIELDS: [&str; 5] = ["model", "prompt", "seconds", "size", "image_url"];

/// The client's fields and its uploaded file, from a body of `content_type`.
pub async fn read_create(
    content_type: Option<&str>,
    bytes: Vec<u8>,
) -> std::result::Result<(Value, Option<Upload>), HttpError> {
    let boundary = content_type
        .filter(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
        .map(|c| {
            multer::parse_boundary(c)
                .map_err(|_| Error::invalid("multipart body without a boundary"))
        })
        .transpose()?;
    match boundary {
        None => {
            let body = parse_json::<Value>(&bytes)?;
            check_json_fields(&body)?;
            Ok((body, None))
        }
        Some(boundary) => read_form(bytes, boundary).await,
    }
}

fn unreadable() -> HttpError {
    Error::invalid("cannot parse the multipart/form-data body").into()
}

async fn read_form(
    bytes: Vec<u8>,
    boundary: String,
) -> std::result::Result<(Value, Option<Upload>), HttpError> {
    let stream =
        futures_util::stream::once(
            async move { Ok::<_, std::io::Error>(bytes::Bytes::from(bytes)) },
        );
    let mut form = multer::Multipart::new(stream, boundary);
    let mut fields = Map::new();
    let mut upload = None;
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "input_reference" {
            let filename = field.file_name().unwrap_or("input_reference").to_string();
            let content_type = field
                .content_type()
                .map(|m| m.to_string())
                .unwrap_or_else(|| "application/octet-stream".into());
            let data = field.bytes().await.map_err(|_| unreadable())?;
            if data.len() > MAX_IMAGE_BYTES {
                return Err(HttpError::PayloadTooLarge(MAX_IMAGE_BYTES as u64));
            }
            if data.is_empty() {
                return Err(Error::invalid("'input_reference' is an empty file").into());
            }
            fields.insert(
                "input_reference".into(),
                json!({"filename": filename, "content_type": content_type, "bytes": data.len()}),
            );
            upload = Some(Upload {
                field: name,
                filename,
                content_type,
                bytes: Arc::from(&data[..]),
            });
        } else if TEXT_FIELDS.contains(&name.as_str()) {
            let text = field.text().await.map_err(|_| unreadable())?;
            fields.insert(name, Value::String(text));
        }
    }
    Ok((Value::Object(fields), upload))
}

/// Rejects a JSON `input_reference` (a file can only come in multipart).
fn check_json_fields(body: &Value) -> Result<()> {
    if body.get("input_reference").is_some_and(|v| !v.is_null()) {
        return Err(Error::invalid(
            "'input_reference' must be a file in a multipart/form-data body; \
             in JSON send 'image_url'",
        ));
    }
    Ok(())
}
