//! The worker polls video tasks one request per task: statuses map to
//! taskcenter's, a failed video is refunded exactly once, and a video the
//! upstream no longer knows is missing, never a success.

use std::time::{Duration, Instant};

use serde_json::json;

use super::alice_with_video_channel;
use crate::kit::Settings;
use crate::kit::upstream::unique_secret;
use crate::kit::video::{VIDEO_CHARGE, spawn_video_app};
use crate::mock::Fault;
use crate::mock::video::{VIDEO_FORCED_FAIL_MESSAGE, VideoMock, VideoMockConfig, VideoStatus};

#[test]
fn a_video_walks_queued_in_progress_completed_as_the_upstream_reports() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "waves"}));
    let id = video["id"].as_str().unwrap();
    let upstream_id = app.db.task(id).upstream_task_id;

    let report = app.pass_when_due();
    assert_eq!(report.polled, 1, "{report:?}");
    assert_eq!(app.db.task(id).status, "QUEUED");
    let (_, v) = app.video(&alice.key, id);
    assert_eq!(v["status"], "queued", "{v}");

    assert!(up.mock.set_status(&upstream_id, VideoStatus::InProgress));
    app.pass_when_due();
    let (_, v) = app.video(&alice.key, id);
    assert_eq!(v["status"], "in_progress", "{v}");
    assert!(app.db.task(id).progress.ends_with('%'));

    assert!(up.mock.set_status(&upstream_id, VideoStatus::Completed));
    app.pass_when_due();
    let task = app.db.task(id);
    assert_eq!(
        (task.status.as_str(), task.progress.as_str()),
        ("SUCCESS", "100%")
    );
    let (status, v) = app.video(&alice.key, id);
    assert_eq!(status, 200);
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["progress"], 100, "{v}");
    assert!(
        v["completed_at"].is_i64() && v["expires_at"].is_i64(),
        "{v}"
    );
    assert_eq!(v["id"], id);
    assert_eq!(
        app.db.quota(alice.id),
        1_000_000 - VIDEO_CHARGE,
        "a success keeps its charge"
    );
}

#[test]
fn a_failed_video_is_refunded_exactly_once_and_says_why() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "doomed"}));
    let id = video["id"].as_str().unwrap();
    let upstream_id = app.db.task(id).upstream_task_id;
    assert!(up.mock.set_status(&upstream_id, VideoStatus::Failed));

    app.pass_when_due();
    app.pass_when_due();
    app.pass_when_due();
    let task = app.assert_refunded_once(id);
    assert_eq!(task.fail_reason, VIDEO_FORCED_FAIL_MESSAGE);
    assert_eq!(app.db.quota(alice.id), 1_000_000, "the charge came back");
    let (status, v) = app.video(&alice.key, id);
    assert_eq!(status, 200);
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["error"]["message"], VIDEO_FORCED_FAIL_MESSAGE, "{v}");
    assert!(v["error"]["code"].is_string(), "{v}");
}

#[test]
fn an_upstream_404_for_a_known_video_is_missing_never_a_success() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "lost"}));
    let id = video["id"].as_str().unwrap();
    up.mock.set_fault(Fault::NotFound);
    for _ in 0..3 {
        let report = app.pass_when_due();
        assert_eq!(report.succeeded, 0, "{report:?}");
    }
    let task = app.db.task(id);
    assert_eq!(task.status, "SUBMITTED", "{task:?}");
    assert_eq!(task.refunded, 0);
    assert!(task.next_poll_at_ms > app.now_ms(), "pushed back: {task:?}");
}

#[test]
fn videos_of_a_channel_are_all_polled_in_one_pass() {
    let (app, up, alice) = alice_with_video_channel(10_000_000);
    let ids: Vec<String> = (0..5)
        .map(|i| {
            let v = app.create_video_ok(&alice.key, &json!({"prompt": format!("clip {i}")}));
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    for c in up.mock.created() {
        up.mock.set_status(&c.id, VideoStatus::Completed);
    }
    let report = app.pass_when_due();
    assert_eq!((report.polled, report.succeeded), (5, 5), "{report:?}");
    for id in &ids {
        assert_eq!(app.db.task(id).status, "SUCCESS");
    }
}

#[test]
fn a_pass_polls_a_channels_videos_concurrently_not_one_after_another() {
    let mock = VideoMock::start(
        "127.0.0.1:0",
        VideoMockConfig {
            secret: unique_secret("video-secret"),
            latency_ms: 200,
            ..VideoMockConfig::default()
        }
        .lasting(3_600_000),
    );
    let (app, _up) = spawn_video_app(Settings::manual().fetch_concurrency(8), mock);
    let alice = app.customer("alice", 100_000_000);
    for i in 0..16 {
        app.create_video_ok(&alice.key, &json!({"prompt": format!("clip {i}")}));
    }
    app.move_to_due();
    let started = Instant::now();
    let report = app.pass();
    let took = started.elapsed();
    assert_eq!(
        (report.polled, report.request_failures),
        (16, 0),
        "{report:?}"
    );
    // One after another: 16 × 200 ms = 3.2 s; eight at a time: ~0.4 s.
    assert!(took < Duration::from_millis(1_600), "a pass took {took:?}");
}
