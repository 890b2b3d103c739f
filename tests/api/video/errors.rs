//! Every refusal in OpenAI's error body with its status, nothing charged.

use serde_json::json;

use super::alice_with_video_channel;
use crate::kit::video::{
    VIDEO_CHARGE, assert_openai_error, multipart, spawn_video_app, video_mock,
};
use crate::kit::{Settings, bearer};
use crate::mock::Fault;

#[test]
fn bad_requests_are_400_and_charge_nothing() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    for body in [
        json!({}),
        json!({"prompt": ""}),
        json!({"prompt": "p", "seconds": "5"}),
        json!({"prompt": "p", "size": "640x480"}),
        json!({"prompt": "p", "model": "sora-9"}),
        json!({"prompt": ["p"]}),
        json!({"prompt": "p", "input_reference": "data:..."}),
    ] {
        let (status, answer) = app.create_video(&alice.key, &body);
        assert_openai_error(status, &answer, 400);
        assert_eq!(answer["error"]["type"], "invalid_request_error", "{answer}");
    }
    let (status, answer) = app.raw_request(
        "POST",
        "/v1/videos",
        &bearer(&alice.key),
        Some(b"not json".to_vec()),
    );
    assert_openai_error(status, &answer, 400);
    assert_eq!(app.db.quota(alice.id), 1_000_000);
    assert!(up.mock.created().is_empty());
}

#[test]
fn keys_and_ids_are_checked_401_403_404() {
    let (app, _up, alice) = alice_with_video_channel(1_000_000);
    let (status, answer) = app.create_video("sk-nobody", &json!({"prompt": "p"}));
    assert_openai_error(status, &answer, 401);
    assert_eq!(answer["error"]["type"], "authentication_error");
    let (status, answer) = app.post("/v1/videos", &vec![], &json!({"prompt": "p"}));
    assert_openai_error(status, &answer, 401);

    let poor = app.customer("poor", VIDEO_CHARGE - 1);
    let (status, answer) = app.create_video(&poor.key, &json!({"prompt": "p"}));
    assert_openai_error(status, &answer, 403);
    assert_eq!(app.db.quota(poor.id), VIDEO_CHARGE - 1);

    app.set_user_status(alice.id, 2);
    let (status, answer) = app.video(&alice.key, "task_whatever");
    assert_openai_error(status, &answer, 403);

    let bob = app.customer("bob", 1_000_000);
    let (status, answer) = app.video(&bob.key, "task_unknown");
    assert_openai_error(status, &answer, 404);
    let (status, answer) = app.get("/v1/videos/x/y/z", &bearer(&bob.key));
    assert_openai_error(status, &answer, 404);
}

#[test]
fn another_users_video_and_an_upstream_id_are_404() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let bob = app.customer("bob", 1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "p"}));
    let (status, answer) = app.video(&bob.key, video["id"].as_str().unwrap());
    assert_openai_error(status, &answer, 404);
    let upstream_id = up.mock.created()[0].id.clone();
    let (status, answer) = app.video(&alice.key, &upstream_id);
    assert_openai_error(status, &answer, 404);
    // A Suno task is not a video.
    let (status, answer) = app.video(&alice.key, "task_nonexistent0000");
    assert_openai_error(status, &answer, 404);
}

#[test]
fn a_reference_image_over_20_mib_is_413() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let image = vec![7u8; 20 * 1024 * 1024 + 1];
    let (body, content_type) =
        multipart(&[("prompt", "big")], Some(("big.png", "image/png", &image)));
    let (status, answer) = app.create_video_multipart(&alice.key, body, &content_type);
    assert_openai_error(status, &answer, 413);
    assert_eq!(app.db.quota(alice.id), 1_000_000);
    assert!(up.mock.created().is_empty());
}

#[test]
fn no_channel_is_503_and_upstream_failures_are_passed_on_and_refunded() {
    let app = crate::kit::spawn_app_with(Settings::relay());
    let alice = app.customer("alice", 1_000_000);
    let (status, answer) = app.create_video(&alice.key, &json!({"prompt": "p"}));
    assert_openai_error(status, &answer, 503);

    for (fault, expected) in [(Fault::Http(429), 429), (Fault::Http(500), 500)] {
        let (app, up) =
            spawn_video_app(Settings::relay().retry_times(0), video_mock(3_600_000, 0.0));
        let alice = app.customer("alice", 1_000_000);
        up.mock.set_fault(fault);
        let (status, answer) = app.create_video(&alice.key, &json!({"prompt": "p"}));
        let message = assert_openai_error(status, &answer, expected);
        assert!(!message.contains(up.mock.secret()), "{message}");
        assert_eq!(
            app.db.quota(alice.id),
            1_000_000,
            "refunded before the answer"
        );
        app.assert_nothing_leaked();
    }
}
