//! Refusals: the secret, invalid requests, unknown paths; every one with OpenAI's error body.

use serde_json::Value;

use super::support::{SECRET, VideoCalls, mock};
use crate::common::{Client, with_client};

/// Asserts OpenAI's error shape and returns the `error` object.
fn error_of(json: &Value) -> &Value {
    let error = &json["error"];
    let members: Vec<&str> = error
        .as_object()
        .unwrap_or_else(|| panic!("no error object in {json}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members, ["code", "message", "param", "type"], "{json}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{json}"
    );
    error
}

#[test]
fn a_wrong_or_missing_secret_is_401_on_every_route_and_creates_nothing() {
    let mock = mock(0);
    let id = Client::new(&mock).create_id("kept");
    for secret in [Some("wrong"), None] {
        let client = Client::with_secret(&mock, secret);
        let replies = [
            client.post("/v1/videos", r#"{"prompt":"la"}"#),
            client.get("/v1/videos"),
            client.get(&format!("/v1/videos/{id}")),
            client.get(&format!("/v1/videos/{id}/content")),
            client.delete(&format!("/v1/videos/{id}")),
            client.post(&format!("/v1/videos/{id}/remix"), r#"{"prompt":"x"}"#),
        ];
        for reply in replies {
            let reply = reply.expect("answer");
            assert_eq!(reply.status, 401, "{reply:?}");
            let error = error_of(&reply.json);
            assert_eq!(
                (error["type"].as_str(), error["code"].as_str()),
                (Some("invalid_request_error"), Some("invalid_api_key"))
            );
        }
    }
    let stats = mock.stats();
    assert_eq!(
        (stats.unauthorized, stats.videos, stats.deletes),
        (12, 1, 2)
    );
    assert_eq!(mock.created().len(), 1);
    assert_eq!(mock.secret(), SECRET);
}

#[test]
fn invalid_creates_are_400_naming_the_parameter() {
    let (mock, client) = with_client(mock(0));
    for (body, param) in [
        (r#"{"prompt":"  "}"#, Some("prompt")),
        (r#"{"model":"sora-2"}"#, Some("prompt")),
        (r#"{"prompt":"p","seconds":"5"}"#, Some("seconds")),
        (r#"{"prompt":"p","size":"640x480"}"#, Some("size")),
        (r#"{"prompt":"p","model":"dall-e-3"}"#, Some("model")),
        (r#"{"prompt":7}"#, Some("prompt")),
        ("not json", None),
    ] {
        let reply = client.post("/v1/videos", body).expect("create");
        assert_eq!(reply.status, 400, "{body}");
        let error = error_of(&reply.json);
        assert_eq!(error["type"], "invalid_request_error", "{body}");
        assert_eq!(error["param"].as_str(), param, "{body}");
    }
    assert_eq!(mock.stats().videos, 0);
    assert!(mock.created().is_empty());
}

#[test]
fn unknown_videos_paths_and_methods_answer_the_error_body() {
    let (_mock, client) = with_client(mock(0));
    let missing = client.get("/v1/videos/video_nope").expect("answer");
    assert_eq!(missing.status, 404);
    assert!(
        error_of(&missing.json)["message"]
            .as_str()
            .unwrap()
            .contains("video_nope")
    );
    let nowhere = client.get("/v1/nowhere").expect("answer");
    assert_eq!(nowhere.status, 404);
    error_of(&nowhere.json);
    let wrong = client.post("/v1/videos/video_x", "{}").expect("answer");
    assert_eq!(wrong.status, 405);
    error_of(&wrong.json);
}
