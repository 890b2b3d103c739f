//! Assertions on answers: the management envelope (`success`, `message`,
//! `data`), the Suno envelope under /suno (`code`, `message`, `data`), list
//! pages, and the leak check every `TestApp` runs when a passing test ends.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::app::TestApp;
use super::http::Headers;
use crate::mock::Mock;
use crate::mock::video::VideoMock;

/// Asserts the success envelope with status 200 and returns its `data`.
pub fn assert_ok(status: u16, body: &Value) -> &Value {
    assert_eq!(status, 200, "expected 200, got {status}: {body}");
    assert_eq!(body["success"], json!(true), "success flag: {body}");
    assert!(body["message"].is_string(), "message is a string: {body}");
    assert!(body.get("data").is_some(), "data present: {body}");
    &body["data"]
}

/// Asserts the error envelope `{"success": false, "message": "..."}` with
/// `expected` status, and returns the message.
pub fn assert_error(status: u16, body: &Value, expected: u16) -> String {
    assert_eq!(
        status, expected,
        "expected {expected}, got {status}: {body}"
    );
    assert_eq!(body["success"], json!(false), "success flag: {body}");
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("message is a string: {body}"));
    assert!(!message.trim().is_empty(), "message is empty: {body}");
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "an error carries no data: {body}"
    );
    message.to_string()
}

/// The `data` of a successful Suno-style answer.
pub fn suno_data(status: u16, body: &Value) -> &Value {
    assert_eq!(status, 200, "expected 200: {body}");
    assert_eq!(body["code"], "success", "{body}");
    &body["data"]
}

/// Asserts the Suno error envelope with `expected` status and `code`;
/// returns the message.
pub fn assert_relay_error(status: u16, body: &Value, expected: u16, code: &str) -> String {
    assert_eq!(
        status, expected,
        "expected {expected}, got {status}: {body}"
    );
    assert_eq!(body["code"], code, "code: {body}");
    assert!(
        body.get("data").is_some_and(Value::is_null),
        "data is null: {body}"
    );
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("message is a string: {body}"));
    assert!(!message.trim().is_empty(), "message is empty: {body}");
    message.to_string()
}

/// Asserts an accepted submission and returns the public task id.
pub fn accepted_task_id(status: u16, body: &Value) -> String {
    assert_eq!(status, 200, "the submission is accepted: {body}");
    assert_eq!(body["code"], "success", "{body}");
    assert_eq!(body["message"], "", "{body}");
    let id = body["data"]
        .as_str()
        .unwrap_or_else(|| panic!("data is the task id: {body}"));
    assert!(is_public_task_id(id), "task_ + 32 alphanumerics: {id:?}");
    id.to_string()
}

/// `task_` followed by 32 ASCII alphanumerics.
pub fn is_public_task_id(id: &str) -> bool {
    id.strip_prefix("task_")
        .is_some_and(|rest| rest.len() == 32 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// What is wrong with an answer, if anything: a status outside 2xx/4xx, or
/// an envelope that is not the route's (`code` under /suno, `success`
/// elsewhere) or disagrees with the status.
pub fn envelope_problem(path: &str, status: u16, body: &Value) -> Option<String> {
    let ok = (200..300).contains(&status);
    if !ok && !(400..500).contains(&status) {
        return Some("neither 2xx nor 4xx".into());
    }
    let message = body["message"].as_str();
    if path.starts_with("/suno") {
        let Some(code) = body["code"].as_str() else {
            return Some("no Suno `code`".into());
        };
        if ok != (code == "success") {
            return Some(format!("code {code:?} disagrees with the status"));
        }
        if !ok && (!body["data"].is_null() || message.is_none_or(|m| m.trim().is_empty())) {
            return Some("a Suno error needs data null and a message".into());
        }
        return None;
    }
    let Some(success) = body["success"].as_bool() else {
        return Some("no `success` flag".into());
    };
    if success != ok {
        return Some("`success` disagrees with the status".into());
    }
    match message {
        None => Some("no `message`".into()),
        Some(m) if !ok && m.trim().is_empty() => Some("an empty error message".into()),
        _ => None,
    }
}

/// True when `message` names `word` as a whole word (`p` in "invalid p '-1'").
pub fn mentions(message: &str, word: &str) -> bool {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// The `items` of a list page's `data`.
pub fn items(data: &Value) -> &Vec<Value> {
    data["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is an array: {data}"))
}

/// The row ids of a list page, in order.
pub fn item_ids(data: &Value) -> Vec<i64> {
    items(data)
        .iter()
        .map(|t| t["id"].as_i64().expect("item id"))
        .collect()
}

/// The member names of a JSON object (an item of a list, say).
pub fn field_names(item: &Value) -> BTreeSet<&str> {
    item.as_object()
        .unwrap_or_else(|| panic!("an object: {item}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// The row ids of `(row id, row)` pairs whose row passes `keep`, newest
/// (highest id) first, as every list orders them.
pub fn newest_first<T>(rows: &[(i64, T)], keep: impl Fn(&T) -> bool) -> Vec<i64> {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|(_, r)| keep(r))
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

/// The fields of a task as a relay client sees it.
pub const RELAY_TASK_FIELDS: [&str; 9] = [
    "task_id",
    "action",
    "status",
    "fail_reason",
    "submit_time",
    "start_time",
    "finish_time",
    "progress",
    "data",
];

/// Stored columns of a task that no answer may show, to anyone.
pub const PRIVATE_TASK_FIELDS: [&str; 12] = [
    "upstream_task_id",
    "token_id",
    "key",
    "model_name",
    "model_price",
    "group_ratio",
    "refunded",
    "next_poll_at_ms",
    "next_poll_at",
    "poll_attempts",
    "poll_failures",
    "channel_id",
];

/// Asserts that a task as a user or a relay client sees it shows no
/// private column.
pub fn assert_no_private_task_field(task: &Value) {
    for field in PRIVATE_TASK_FIELDS {
        assert!(task.get(field).is_none(), "{field} is never shown: {task}");
    }
}

/// Asserts a passing ledger audit report.
pub fn assert_clean(report: &Value) {
    assert_eq!(report["ok"], json!(true), "the audit passes: {report}");
    assert_eq!(report["violations"], json!([]), "no violation: {report}");
}

/// What a test app must never show, and every answer it gave.
#[derive(Default)]
pub struct LeakWatch {
    mocks: Mutex<Vec<Arc<Mock>>>,
    video_mocks: Mutex<Vec<Arc<VideoMock>>>,
    secrets: Mutex<Vec<String>>,
    answers: Mutex<Vec<String>>,
}

impl LeakWatch {
    /// Keeps an answer for the check.
    pub fn record(&self, answer: &Value) {
        self.answers.lock().unwrap().push(answer.to_string());
    }

    /// Watches a mock upstream: its secret and every upstream id it hands out.
    pub fn watch_mock(&self, mock: Arc<Mock>) {
        self.mocks.lock().unwrap().push(mock);
    }

    /// Watches a video mock: its secret and every video id it created.
    pub fn watch_video_mock(&self, mock: Arc<VideoMock>) {
        self.video_mocks.lock().unwrap().push(mock);
    }

    /// Keeps an answer given as text (a header line, a raw body).
    pub fn record_text(&self, answer: &str) {
        self.answers.lock().unwrap().push(answer.to_string());
    }
}

impl TestApp {
    /// `GET path` that must succeed; its `data`.
    pub fn get_ok(&self, path: &str, headers: &Headers) -> Value {
        let (status, body) = self.get(path, headers);
        assert_ok(status, &body).clone()
    }

    /// Adds a secret (a channel key, a credential) no answer may show.
    pub fn remember_secret(&self, secret: &str) {
        self.leaks.secrets.lock().unwrap().push(secret.to_string());
    }

    /// How many answers were recorded.
    pub fn responses_seen(&self) -> usize {
        self.leaks.answers.lock().unwrap().len()
    }

    /// Asserts that no answer so far holds a remembered secret, or the
    /// secret or an upstream id of a watched mock.
    pub fn assert_nothing_leaked(&self) {
        let mut secrets = self.leaks.secrets.lock().unwrap().clone();
        for mock in self.leaks.mocks.lock().unwrap().iter() {
            secrets.push(mock.secret().to_string());
            secrets.extend(mock.submitted().into_iter().filter_map(|s| s.upstream_id));
        }
        for mock in self.leaks.video_mocks.lock().unwrap().iter() {
            secrets.push(mock.secret().to_string());
            secrets.extend(mock.created().into_iter().map(|c| c.id));
        }
        let answers = self.leaks.answers.lock().unwrap();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            for text in answers.iter() {
                assert!(
                    !text.contains(secret.as_str()),
                    "an answer shows the secret or upstream id {secret:?}: {text}"
                );
            }
        }
    }
}
