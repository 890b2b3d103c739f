//! Downloads: streamed from the upstream, only the safe headers passed
//! on, ranges honoured, 404 until the video is completed.

use serde_json::json;

use super::alice_with_video_channel;
use crate::kit::video::assert_openai_error;
use crate::mock::video::{UPSTREAM_REQUEST_ID_HEADER, Variant, VideoStatus};

#[test]
fn a_completed_video_downloads_with_the_upstreams_bytes_and_only_safe_headers() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "sunrise"}));
    let id = video["id"].as_str().unwrap();
    let upstream_id = app.db.task(id).upstream_task_id;

    // Not completed yet: 404 in OpenAI's body.
    let (status, _, body) = app.download(&alice.key, id, "video", None);
    let body: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
    assert_openai_error(status, &body, 404);

    up.mock.set_status(&upstream_id, VideoStatus::Completed);
    app.pass_when_due();
    for (word, variant) in [
        ("video", Variant::Video),
        ("thumbnail", Variant::Thumbnail),
        ("spritesheet", Variant::Spritesheet),
    ] {
        let (status, headers, bytes) = app.download(&alice.key, id, word, None);
        assert_eq!(status, 200, "{word}");
        let expected = up
            .mock
            .content_bytes(&upstream_id, variant)
            .expect("the mock's bytes");
        assert_eq!(bytes, expected, "{word}: the upstream's bytes");
        let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(
            get("content-length"),
            Some(expected.len().to_string()),
            "{headers:?}"
        );
        let upstream_type = if word == "video" {
            "video/mp4"
        } else {
            "image/jpeg"
        };
        assert_eq!(get("content-type").as_deref(), Some(upstream_type));
        assert!(
            !headers.iter().any(|(k, _)| k == UPSTREAM_REQUEST_ID_HEADER),
            "no upstream header passed on: {headers:?}"
        );
    }

    let (status, headers, bytes) = app.download(&alice.key, id, "video", Some("bytes=10-99"));
    assert_eq!(status, 206);
    let whole = up.mock.content_bytes(&upstream_id, Variant::Video).unwrap();
    assert_eq!(bytes, whole[10..100].to_vec());
    let range = headers
        .iter()
        .find(|(k, _)| k == "content-range")
        .map(|(_, v)| v.as_str());
    assert_eq!(range, Some(format!("bytes 10-99/{}", whole.len()).as_str()));
}

#[test]
fn a_bad_variant_is_400_and_another_users_video_is_404() {
    let (app, _up, alice) = alice_with_video_channel(1_000_000);
    let bob = app.customer("bob", 1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "mine"}));
    let id = video["id"].as_str().unwrap();
    let (status, _, body) = app.download(&alice.key, id, "poster", None);
    assert_openai_error(status, &serde_json::from_slice(&body).unwrap(), 400);
    let (status, _, body) = app.download(&bob.key, id, "video", None);
    assert_openai_error(status, &serde_json::from_slice(&body).unwrap(), 404);
}
