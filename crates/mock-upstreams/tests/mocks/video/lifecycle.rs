//! Healthy behaviour: statuses over time, creation (JSON and multipart), failures, deletion,
//! remixes and the Rust control API.

use std::time::Duration;

use mock_upstreams::VideoMockConfig;
use mock_upstreams::video::{
    EXPIRY_SECS, InputReference, VIDEO_FAIL_CODE, VIDEO_FAIL_MESSAGE, VIDEO_FORCED_FAIL_MESSAGE,
    VideoStatus,
};

use super::support::{VideoCalls, assert_invalid, mock, mock_with, multipart};
use crate::common::{Client, eventually, with_client};

const ORDER: [&str; 3] = ["queued", "in_progress", "completed"];

#[test]
fn a_video_walks_queued_in_progress_completed_with_growing_progress() {
    let (mock, client) = with_client(mock(1_500));
    let created = client.create(r#"{"prompt":"a cat on a skateboard"}"#);
    assert_eq!(
        (created["object"].as_str(), created["status"].as_str()),
        (Some("video"), Some("queued"))
    );
    let id = created["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("video_"), "{id}");
    let (mut statuses, mut progress) = (Vec::<String>::new(), Vec::<u64>::new());
    let last = eventually(Duration::from_secs(10), "completed", || {
        let video = client.retrieve(&id);
        let status = video["status"].as_str().expect("status").to_string();
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        progress.push(video["progress"].as_u64().expect("progress"));
        assert!(
            video["completed_at"].is_null() || status == "completed",
            "{video}"
        );
        (status == "completed").then_some(video)
    });
    let ranks: Vec<usize> = statuses
        .iter()
        .map(|s| ORDER.iter().position(|o| o == s).expect("a video status"))
        .collect();
    assert_eq!(
        ranks,
        [0, 1, 2],
        "every status seen, in order: {statuses:?}"
    );
    assert!(progress.is_sorted(), "progress went back: {progress:?}");
    assert!(
        progress.iter().any(|p| (1..100).contains(p)),
        "{progress:?}"
    );
    assert_eq!(last["progress"], 100);
    assert!(last["error"].is_null());
    let (created_at, completed_at) = (last["created_at"].as_u64(), last["completed_at"].as_u64());
    assert!(
        completed_at.unwrap() - created_at.unwrap() <= 2,
        "times are in seconds"
    );
    assert_eq!(
        last["expires_at"].as_u64(),
        Some(completed_at.unwrap() + EXPIRY_SECS)
    );
    assert_eq!(mock.stats().retrieves, progress.len() as u64);
}

#[test]
fn a_json_create_applies_the_defaults_and_is_recorded() {
    let (mock, client) = with_client(mock(60_000));
    let video = client.create(r#"{"prompt":"waves","seconds":"8"}"#);
    assert_eq!(
        (
            video["model"].as_str(),
            video["seconds"].as_str(),
            video["size"].as_str()
        ),
        (Some("sora-2"), Some("8"), Some("720x1280"))
    );
    assert_eq!(
        (video["quality"].as_str(), video["prompt"].as_str()),
        (Some("standard"), Some("waves"))
    );
    assert!(video["remixed_from_video_id"].is_null() && video["expires_at"].is_null());
    let created = &mock.created()[0];
    assert_eq!(created.id, video["id"].as_str().unwrap());
    assert_eq!(
        (created.seconds.as_str(), created.input_reference.as_ref()),
        ("8", None)
    );
}

#[test]
fn a_multipart_create_records_the_input_reference_file() {
    let (mock, client) = with_client(mock(60_000));
    let image = vec![0x89_u8; 3_000];
    let fields = [
        ("prompt", "she turns around"),
        ("model", "sora-2-pro"),
        ("seconds", "12"),
        ("size", "1792x1024"),
    ];
    let (content_type, body) = multipart(&fields, Some(("image/png", &image)));
    let reply = client
        .post_as("/v1/videos", &content_type, &body)
        .expect("create");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json["model"], "sora-2-pro");
    assert_eq!(reply.json["size"], "1792x1024");
    let created = &mock.created()[0];
    assert_eq!(
        (created.prompt.as_str(), created.seconds.as_str()),
        ("she turns around", "12")
    );
    assert_eq!(
        created.input_reference,
        Some(InputReference {
            bytes: 3_000,
            content_type: Some("image/png".to_string()),
            filename: Some("ref.png".to_string()),
        })
    );
    let (content_type, body) = multipart(&[("size", "1x1"), ("prompt", "p")], None);
    let refused = client
        .post_as("/v1/videos", &content_type, &body)
        .expect("create");
    assert_invalid(&refused, "size");
}

#[test]
fn a_failure_ratio_of_one_half_fails_every_second_video() {
    let mock = mock_with(VideoMockConfig {
        failure_ratio: 0.5,
        ..VideoMockConfig::default().lasting(0)
    });
    let client = Client::new(&mock);
    let ids: Vec<String> = (0..4).map(|i| client.create_id(&format!("v{i}"))).collect();
    let videos: Vec<_> = ids.iter().map(|id| client.retrieve(id)).collect();
    let statuses: Vec<&str> = videos
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["completed", "failed", "completed", "failed"]);
    assert_eq!(videos[1]["error"]["code"], VIDEO_FAIL_CODE);
    assert_eq!(videos[1]["error"]["message"], VIDEO_FAIL_MESSAGE);
    assert!(videos[1]["completed_at"].is_u64() && videos[1]["expires_at"].is_null());
}

#[test]
fn the_rust_api_forces_statuses_and_forgets_videos() {
    let (mock, client) = with_client(mock(60_000));
    let id = client.create_id("rain");
    assert_eq!(mock.status_of(&id), Some(VideoStatus::Queued));
    assert!(mock.set_status(&id, VideoStatus::Failed));
    let failed = client.retrieve(&id);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["message"], VIDEO_FORCED_FAIL_MESSAGE);
    assert!(mock.forget(&id));
    assert_eq!(
        client.get(&format!("/v1/videos/{id}")).expect("get").status,
        404
    );
    assert!(!mock.set_status(&id, VideoStatus::Completed));
    assert!(!mock.forget(&id));
    assert_eq!(mock.status_of(&id), None);
    mock.reset_stats();
    assert_eq!(mock.stats().retrieves, 0);
}

#[test]
fn delete_answers_the_receipt_and_the_video_is_gone() {
    let (mock, client) = with_client(mock(60_000));
    let id = client.create_id("snow");
    let deleted = client.delete(&format!("/v1/videos/{id}")).expect("delete");
    assert_eq!(deleted.status, 200, "{deleted:?}");
    assert_eq!(
        deleted.json,
        serde_json::json!({"id": id, "object": "video.deleted", "deleted": true})
    );
    assert_eq!(
        client.get(&format!("/v1/videos/{id}")).expect("get").status,
        404
    );
    assert_eq!(
        client
            .delete(&format!("/v1/videos/{id}"))
            .expect("again")
            .status,
        404
    );
    let stats = mock.stats();
    assert_eq!((stats.deletes, stats.videos), (2, 0));
}

#[test]
fn a_remix_copies_a_completed_video_with_a_new_prompt() {
    let (mock, client) = with_client(mock(60_000));
    let queued = client.create_id("queued one");
    let refused = client
        .post(
            &format!("/v1/videos/{queued}/remix"),
            r#"{"prompt":"again"}"#,
        )
        .expect("remix");
    assert_eq!(
        refused.status, 400,
        "the source is not completed: {refused:?}"
    );
    let missing = client
        .post("/v1/videos/video_nope/remix", r#"{"prompt":"again"}"#)
        .expect("remix");
    assert_eq!(missing.status, 404);

    let source = client.create(r#"{"prompt":"a fox","seconds":"8","size":"1280x720"}"#);
    let source_id = source["id"].as_str().unwrap();
    assert!(mock.set_status(source_id, VideoStatus::Completed));
    let empty = client
        .post(&format!("/v1/videos/{source_id}/remix"), "{}")
        .expect("remix");
    assert_invalid(&empty, "prompt");
    let remix = client
        .post(
            &format!("/v1/videos/{source_id}/remix"),
            r#"{"prompt":"a fox in snow"}"#,
        )
        .expect("remix");
    assert_eq!(remix.status, 200, "{remix:?}");
    assert_eq!(remix.json["remixed_from_video_id"], source_id);
    assert_eq!(remix.json["status"], "queued");
    assert_eq!(
        (remix.json["seconds"].as_str(), remix.json["size"].as_str()),
        (Some("8"), Some("1280x720"))
    );
    assert_ne!(remix.json["id"], source["id"]);
    let created = mock.created();
    assert_eq!(
        created.last().unwrap().remixed_from_video_id.as_deref(),
        Some(source_id)
    );
    assert_eq!(mock.stats().remixes, 4);
}
