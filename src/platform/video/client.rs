//! Calls to an OpenAI-compatible video upstream: `POST {base}/v1/videos`
//! (JSON, or multipart with a reference image), `POST .../{id}/remix`,
//! `GET .../{id}`, `GET .../{id}/content` and `DELETE .../{id}`, each with
//! `Authorization: Bearer {channel key}`.

use serde_json::Value;

use super::wire::parse_video;
use crate::platform::upstream::{Answer, Http, UpstreamSettings, read_answer};
use crate::platform::{Content, PreparedJob, Target, Upload, UpstreamError, UpstreamTask};

/// Largest JSON answer read; anything bigger is an error, not a crash.
const MAX_BODY: u64 = 4 * 1024 * 1024;

/// Longest a content download may take to pass through: a large video to a
/// slow client, not the per-stage upstream timeout.
const CONTENT_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Headers of a download a client may see; no other upstream header is
/// passed on (they can carry upstream ids).
const PASSED_HEADERS: [&str; 4] = [
    "content-type",
    "content-length",
    "accept-ranges",
    "content-range",
];

/// An HTTP client for video upstreams.
pub struct Client {
    http: Http,
}

fn url(target: &Target, path: &str) -> String {
    format!("{}{}", target.base_url.trim_end_matches('/'), path)
}

fn auth(target: &Target) -> String {
    format!("Bearer {}", target.key)
}

fn read(
    resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, UpstreamError> {
    read_answer(resp, MAX_BODY)
}

/// An error status with the upstream's own message (for the admin's
/// detail only) and OpenAI's `error.code` (or, without one, `error.type`:
/// `insufficient_quota` comes as either).
fn status_error(status: u16, text: &str) -> UpstreamError {
    let parsed = serde_json::from_str::<Value>(text).ok();
    let error = parsed.as_ref().map(|v| &v["error"]);
    let field = |name: &str| error.and_then(|e| e[name].as_str()).map(str::to_string);
    UpstreamError::Status {
        status,
        message: field("message").unwrap_or_else(|| text.chars().take(200).collect()),
        code: field("code").or_else(|| field("type")),
    }
}

/// The answer's video object, or why there is none.
fn video(answer: Answer) -> Result<UpstreamTask, UpstreamError> {
    if !(200..300).contains(&answer.status) {
        return Err(status_error(answer.status, &answer.text));
    }
    parse_video(&answer.text).ok_or_else(|| {
        let start: String = answer.text.chars().take(100).collect();
        UpstreamError::Protocol(format!("not a video object: {start}"))
    })
}

/// A multipart body of `fields` and `file`, and its content type.
fn multipart(fields: &serde_json::Map<String, Value>, file: &Upload) -> (Vec<u8>, String) {
    let boundary = format!("taskcenter-{:016x}", rand_u64());
    let mut out = Vec::with_capacity(file.bytes.len() + 1024);
    for (name, value) in fields {
        let text = value
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string());
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{text}\r\n",
                quoted(name)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
             Content-Type: {}\r\n\r\n",
            quoted(&file.field),
            quoted(&file.filename),
            file.content_type.replace(['\r', '\n'], "")
        )
        .as_bytes(),
    );
    out.extend_from_slice(&file.bytes);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (out, format!("multipart/form-data; boundary={boundary}"))
}

/// A header parameter value with no way out of its quotes.
fn quoted(s: &str) -> String {
    s.replace(['"', '\r', '\n', '\\'], "_")
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    // A fixed boundary would still work unless the file contains it.
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

impl Client {
    /// A client making its calls with these settings.
    pub fn new(settings: &UpstreamSettings) -> Self {
        Client {
            http: Http::new(settings),
        }
    }

    /// Creates (or remixes) a video; returns the upstream's id.
    pub fn submit(&self, target: &Target, job: &PreparedJob) -> Result<String, UpstreamError> {
        let agent = self.http.to(target)?;
        let mut fields = job.body.as_object().cloned().unwrap_or_default();
        let resp = if let Some(source) = fields.remove("remix_of") {
            let source = source.as_str().unwrap_or_default();
            agent
                .post(url(target, &format!("/v1/videos/{source}/remix")))
                .header("Authorization", &auth(target))
                .content_type("application/json")
                .send(Value::Object(fields).to_string())
        } else if let Some(file) = &job.upload {
            let (body, content_type) = multipart(&fields, file);
            agent
                .post(url(target, "/v1/videos"))
                .header("Authorization", &auth(target))
                .content_type(&content_type)
                .send(&body[..])
        } else {
            agent
                .post(url(target, "/v1/videos"))
                .header("Authorization", &auth(target))
                .content_type("application/json")
                .send(Value::Object(fields).to_string())
        };
        let created = video(read(resp)?)?;
        if created.upstream_id.trim().is_empty() {
            return Err(UpstreamError::Protocol("video object without an id".into()));
        }
        Ok(created.upstream_id)
    }

    /// The video `id`; an empty list when the upstream does not know it
    /// (404: the worker counts it missing, never finished).
    pub fn fetch(&self, target: &Target, id: &str) -> Result<Vec<UpstreamTask>, UpstreamError> {
        let resp = self
            .http
            .to(target)?
            .get(url(target, &format!("/v1/videos/{id}")))
            .header("Authorization", &auth(target))
            .call();
        let answer = read(resp)?;
        if answer.status == 404 {
            return Ok(Vec::new());
        }
        let task = video(answer)?;
        // An answer about another video is no answer about this one.
        Ok(if task.upstream_id == id {
            vec![task]
        } else {
            Vec::new()
        })
    }

    /// Deletes the video `id` upstream; a 404 means it is gone already.
    pub fn delete(&self, target: &Target, id: &str) -> Result<(), UpstreamError> {
        let resp = self
            .http
            .to(target)?
            .delete(url(target, &format!("/v1/videos/{id}")))
            .header("Authorization", &auth(target))
            .call();
        let answer = read(resp)?;
        match answer.status {
            200..=299 | 404 => Ok(()),
            status => Err(status_error(status, &answer.text)),
        }
    }

    /// A rendition of the video `id`, streamed: the body is handed over
    /// unread.
    pub fn content(
        &self,
        target: &Target,
        id: &str,
        variant: &str,
        range: Option<&str>,
    ) -> Result<Content, UpstreamError> {
        let mut req = self
            .http
            .to(target)?
            .get(url(target, &format!("/v1/videos/{id}/content")))
            .query("variant", variant)
            .header("Authorization", &auth(target))
            // The bytes pass through as they are: a decoded body would not
            // match the Content-Length passed on.
            .header("Accept-Encoding", "identity")
            // The body is read at the pace of the client downloading it:
            // the per-stage upstream timeout would cut a long download.
            .config()
            .timeout_recv_body(Some(CONTENT_READ_LIMIT))
            .build();
        if let Some(range) = range {
            req = req.header("Range", range);
        }
        let resp = req
            .call()
            .map_err(|e| UpstreamError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        if status != 200 && status != 206 {
            let answer = read(Ok(resp))?;
            return Err(status_error(status, &answer.text));
        }
        let headers = PASSED_HEADERS
            .iter()
            .filter(|name| status == 206 || **name != "content-range")
            .filter_map(|name| {
                let value = resp.headers().get(*name)?.to_str().ok()?;
                Some((name.to_string(), value.to_string()))
            })
            .collect();
        Ok(Content {
            status,
            headers,
            body: Box::new(resp.into_body().into_reader()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::status_error;
    use crate::platform::UpstreamError;

    #[test]
    fn an_openai_error_keeps_its_code_or_else_its_type() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert_eq!(
            status_error(429, quota),
            UpstreamError::Status {
                status: 429,
                message: "You exceeded your current quota".into(),
                code: Some("insufficient_quota".into()),
            }
        );
        assert!(status_error(429, quota).refuses_channel());
        let typed = r#"{"error":{"message":"slow down","type":"requests","code":null}}"#;
        assert!(matches!(
            status_error(429, typed),
            UpstreamError::Status { code: Some(c), .. } if c == "requests"
        ));
        assert!(!status_error(429, typed).refuses_channel());
        assert!(matches!(
            status_error(502, "<html>bad gateway</html>"),
            UpstreamError::Status { code: None, ref message, .. } if message.contains("bad gateway")
        ));
    }
}
