//! Creating videos: JSON and multipart, defaults, prices per second and
//! size, what the task row keeps.

use serde_json::json;

use super::alice_with_video_channel;
use crate::kit::video::{VIDEO_CHARGE, multipart};
use crate::kit::{LOG_CONSUME, as_root};

#[test]
fn a_json_create_answers_a_queued_video_whose_id_is_the_public_task_id() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "a cat on a skateboard"}));
    let id = video["id"].as_str().expect("an id");
    assert!(id.starts_with("task_"), "{video}");
    assert_eq!(video["object"], "video");
    assert_eq!(video["model"], "sora-2");
    assert_eq!(video["seconds"], "4");
    assert_eq!(video["size"], "720x1280");
    assert_eq!(video["prompt"], "a cat on a skateboard");
    assert_eq!(video["progress"], 0);
    assert_eq!(video["error"], serde_json::Value::Null);

    let task = app.db.task(id);
    assert_eq!(
        (task.action.as_str(), task.quota),
        ("textGenerate", VIDEO_CHARGE)
    );
    assert_eq!(task.model_name, "sora-2");
    let platform: String = app
        .db
        .rows("SELECT platform FROM tasks WHERE task_id = ?1", [id], |r| {
            r.get(0)
        })
        .remove(0);
    assert_eq!(platform, "55", "stored as new-api stores video tasks");
    assert_eq!(app.db.quota(alice.id), 1_000_000 - VIDEO_CHARGE);
    let logs = app.db.logs_of(id);
    assert_eq!(
        logs.iter().filter(|l| l.log_type == LOG_CONSUME).count(),
        1,
        "{logs:?}"
    );

    let created = up.mock.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].prompt, "a cat on a skateboard");
    assert_eq!(task.upstream_task_id, created[0].id);
    assert_eq!(task.channel_id, up.channel_id);

    // The list of tasks finds it under `platform=sora`.
    let (status, body) = app.get("/api/task/?platform=sora", &as_root());
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains(id), "{body}");
}

#[test]
fn prices_are_per_second_and_the_pro_model_costs_more_at_the_tall_sizes() {
    let (app, _up, alice) = alice_with_video_channel(100_000_000);
    let cases = [
        (json!({"prompt": "p", "seconds": "8"}), 400_000),
        (
            json!({"prompt": "p", "model": "sora-2", "size": "1792x1024", "seconds": "12"}),
            600_000,
        ),
        (
            json!({"prompt": "p", "model": "sora-2-pro", "size": "1280x720"}),
            600_000,
        ),
        (
            json!({"prompt": "p", "model": "sora-2-pro", "size": "1024x1792", "seconds": "8"}),
            2_000_000,
        ),
    ];
    for (body, charge) in cases {
        let video = app.create_video_ok(&alice.key, &body);
        let task = app.db.task(video["id"].as_str().unwrap());
        assert_eq!(task.quota, charge, "{body}");
    }
}

#[test]
fn a_multipart_create_with_an_image_forwards_the_file_and_keeps_no_bytes() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let image: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let (body, content_type) = multipart(
        &[
            ("prompt", "the picture comes alive"),
            ("seconds", "4"),
            ("size", "1280x720"),
        ],
        Some(("cat.png", "image/png", &image)),
    );
    let (status, video) = app.create_video_multipart(&alice.key, body, &content_type);
    assert_eq!(status, 200, "{video}");
    assert_eq!(video["size"], "1280x720");
    let task = app.db.task(video["id"].as_str().unwrap());
    assert_eq!(task.action, "generate");

    let created = up.mock.created();
    let reference = created[0]
        .input_reference
        .as_ref()
        .expect("the image went upstream");
    assert_eq!(reference.bytes, image.len() as u64);
    assert_eq!(reference.content_type.as_deref(), Some("image/png"));
    assert_eq!(created[0].size, "1280x720");
    let properties: String = app
        .db
        .rows(
            "SELECT properties FROM tasks WHERE task_id = ?1",
            [video["id"].as_str().unwrap()],
            |r| r.get(0),
        )
        .remove(0);
    assert!(
        properties.len() < 1_000,
        "no image bytes kept: {properties}"
    );
    assert!(properties.contains("cat.png"), "{properties}");
}
