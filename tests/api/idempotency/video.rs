//! `POST /v1/videos` and `POST /v1/videos/{id}/remix` are idempotent too,
//! with their errors in OpenAI's body.

use serde_json::json;

use super::{keyed, post_keyed, replayed};
use crate::kit::Settings;
use crate::kit::video::{VIDEO_CHARGE, assert_openai_error, spawn_video_app, video_mock};
use crate::mock::video::VideoStatus;

#[test]
fn video_create_and_remix_are_answered_once_per_key() {
    let (app, up) = spawn_video_app(Settings::manual(), video_mock(3_600_000, 0.0));
    let alice = app.customer("alice", 100_000_000);
    let body = json!({"prompt": "a dog on a beach"});
    let first = post_keyed(&app, "/v1/videos", &alice.key, "video-1", &body);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["status"], "queued");
    let again = post_keyed(&app, "/v1/videos", &alice.key, "video-1", &body);
    assert_eq!((again.status, &again.body), (200, &first.body));
    assert!(replayed(&again));
    assert_eq!(up.mock.created().len(), 1, "one upstream create");
    assert_eq!(app.db.task_count(alice.id), 1);
    assert_eq!(app.db.quota(alice.id), 100_000_000 - VIDEO_CHARGE);

    // Another body with the key: 422 in OpenAI's body.
    let other = post_keyed(
        &app,
        "/v1/videos",
        &alice.key,
        "video-1",
        &json!({"prompt": "a cat"}),
    );
    let message = assert_openai_error(other.status, &other.body, 422);
    assert!(message.contains("different request"), "{message}");
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");

    // A remix of the completed video, twice with one key.
    let source_id = first.body["id"].as_str().unwrap().to_string();
    let upstream_source = app.db.task(&source_id).upstream_task_id;
    up.mock.set_status(&upstream_source, VideoStatus::Completed);
    app.pass_when_due();
    let remix_path = format!("/v1/videos/{source_id}/remix");
    let remix_body = json!({"prompt": "now a cat"});
    let remix = post_keyed(&app, &remix_path, &alice.key, "remix-1", &remix_body);
    assert_eq!(remix.status, 200, "{}", remix.body);
    assert_eq!(remix.body["remixed_from_video_id"], source_id.as_str());
    let remix_again = post_keyed(&app, &remix_path, &alice.key, "remix-1", &remix_body);
    assert_eq!((remix_again.status, &remix_again.body), (200, &remix.body));
    assert!(replayed(&remix_again));
    assert_eq!(up.mock.created().len(), 2, "one upstream remix");
    assert_eq!(app.db.task_count(alice.id), 2);
    // The create's key on the remix path is another request.
    let cross = post_keyed(&app, &remix_path, &alice.key, "video-1", &body);
    assert_openai_error(cross.status, &cross.body, 422);
    assert_eq!(app.db.task_count(alice.id), 2);

    // A bad key: 400 in OpenAI's body, nothing charged.
    let quota = app.db.quota(alice.id);
    let (status, answer) = app.request(
        "POST",
        "/v1/videos",
        &keyed(&alice.key, &"k".repeat(256)),
        Some(body.to_string().into_bytes()),
    );
    let message = assert_openai_error(status, &answer, 400);
    assert!(message.contains("Idempotency-Key"), "{message}");
    assert_eq!(app.db.quota(alice.id), quota);
    assert_eq!(up.mock.created().len(), 2);
}
