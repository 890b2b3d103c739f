//! Calls to a Suno-API upstream: `POST {base}/suno/submit/{ACTION}` and
//! `POST {base}/suno/fetch`, each answering Suno's `{code, message, data}`.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::wire::parse_task;
use crate::platform::upstream::{Answer, Http, UpstreamSettings, read_answer};
use crate::platform::{PreparedJob, Target, UpstreamError, UpstreamTask};

/// Largest upstream body read; anything bigger is an error, not a crash.
const MAX_BODY: u64 = 32 * 1024 * 1024;

/// An HTTP client for Suno-API upstreams.
pub struct Client {
    http: Http,
}

impl Client {
    /// A client making its calls with these settings.
    pub fn new(settings: &UpstreamSettings) -> Self {
        Client {
            http: Http::new(settings),
        }
    }

    /// POSTs JSON and returns the envelope's `data` (raw JSON text) when
    /// `code` is success.
    fn call(&self, target: &Target, path: &str, body: &Value) -> Result<String, UpstreamError> {
        let url = format!("{}{}", target.base_url.trim_end_matches('/'), path);
        let resp = self
            .http
            .to(target)?
            .post(&url)
            .header("Authorization", &format!("Bearer {}", target.key))
            .content_type("application/json")
            .send(body.to_string());
        let Answer { status, text } = read_answer(resp, MAX_BODY)?;
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
            return Err(UpstreamError::Status {
                status,
                message,
                code: None,
            });
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

    /// Submits a prepared job; returns the upstream's task id.
    pub fn submit(&self, target: &Target, job: &PreparedJob) -> Result<String, UpstreamError> {
        let path = format!("/suno/submit/{}", job.action);
        let data = self.call(target, &path, &job.body)?;
        match serde_json::from_str::<Value>(&data).unwrap_or(Value::Null) {
            Value::String(id) if !id.trim().is_empty() => Ok(id),
            other => Err(UpstreamError::Protocol(format!(
                "submit answered without a task id: {}",
                truncate(&other.to_string(), 100)
            ))),
        }
    }

    /// The tasks among `ids` the upstream knows.
    pub fn fetch(
        &self,
        target: &Target,
        ids: &[String],
    ) -> Result<Vec<UpstreamTask>, UpstreamError> {
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
