//! `GET /api/task/self/{task_id}/content`: a finished video through
//! taskcenter for the console's `<video src>`, with the session cookie and
//! no `New-Api-User` (a media element cannot send headers).

use serde_json::json;

use crate::kit::fixtures::task;
use crate::kit::video::{spawn_video_app, video_mock};
use crate::kit::{Settings, TestApp, as_root, assert_ok};
use crate::mock::video::{Variant, VideoStatus};

/// A password the rules accept.
const PASSWORD: &str = "correct horse battery";

/// Gives user `id` (named `username`) a password and logs in; the session id.
fn log_in(app: &TestApp, id: i64, username: &str) -> String {
    let (status, body) = app.put(
        "/api/user/",
        &as_root(),
        &json!({"id": id, "password": PASSWORD}),
    );
    assert_ok(status, &body);
    let answer = app.request_with_headers(
        "POST",
        "/api/user/login",
        &vec![],
        Some(
            json!({"username": username, "password": PASSWORD})
                .to_string()
                .into_bytes(),
        ),
    );
    assert_ok(answer.status, &answer.body);
    answer
        .header_values("set-cookie")
        .iter()
        .find_map(|c| c.strip_prefix("taskcenter_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string()
}

fn cookie(session: &str) -> (&'static str, String) {
    ("Cookie", format!("taskcenter_session={session}"))
}

fn content_path(id: &str, variant: &str) -> String {
    format!("/api/task/self/{id}/content?variant={variant}")
}

fn json_of(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("JSON ({e}): {bytes:?}"))
}

#[test]
fn the_owner_plays_a_finished_video_with_the_session_cookie_alone() {
    let (app, up) = spawn_video_app(Settings::manual(), video_mock(3_600_000, 0.0));
    let alice = app.customer("alice", 1_000_000);
    let session = log_in(&app, alice.id, "alice");
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "sunrise"}));
    let id = video["id"].as_str().expect("an id");
    let upstream_id = app.db.task(id).upstream_task_id;

    // Not finished yet: a clear 409 in the management envelope.
    let (status, _, body) = app.binary_request(
        "GET",
        &content_path(id, "video"),
        &vec![cookie(&session)],
        None,
    );
    assert_eq!(status, 409);
    let message = json_of(&body)["message"].as_str().unwrap_or("").to_string();
    assert!(message.contains("succeeds"), "{message}");

    up.mock.set_status(&upstream_id, VideoStatus::Completed);
    app.pass_when_due();
    for (word, variant, kind) in [
        ("video", Variant::Video, "video/mp4"),
        ("thumbnail", Variant::Thumbnail, "image/jpeg"),
    ] {
        let (status, headers, bytes) = app.binary_request(
            "GET",
            &content_path(id, word),
            &vec![cookie(&session)],
            None,
        );
        assert_eq!(status, 200, "{word}: {}", String::from_utf8_lossy(&bytes));
        let expected = up.mock.content_bytes(&upstream_id, variant).expect("bytes");
        assert_eq!(bytes, expected, "{word}: the upstream's bytes");
        let ty = headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.as_str());
        assert_eq!(ty, Some(kind), "{word}");
    }
    // A media element seeks with Range.
    let mut headers = vec![cookie(&session)];
    headers.push(("Range", "bytes=0-9".to_string()));
    let (status, _, bytes) = app.binary_request("GET", &content_path(id, "video"), &headers, None);
    assert_eq!(status, 206);
    assert_eq!(bytes.len(), 10);
    // The access token works too, and so does a matching New-Api-User.
    let (status, _, _) =
        app.binary_request("GET", &content_path(id, "video"), &alice.headers, None);
    assert_eq!(status, 200);
    let mut headers = vec![cookie(&session)];
    headers.push(("New-Api-User", alice.id.to_string()));
    let (status, _, _) = app.binary_request("GET", &content_path(id, "video"), &headers, None);
    assert_eq!(status, 200);
}

#[test]
fn others_strangers_wrong_claims_suno_tasks_and_bad_variants_are_refused() {
    let (app, up) = spawn_video_app(Settings::manual(), video_mock(3_600_000, 0.0));
    let suno = app.upstream("suno", 0);
    let alice = app.customer("alice", 1_000_000);
    let bob = app.customer("bob", 1_000_000);
    let alice_session = log_in(&app, alice.id, "alice");
    let bob_session = log_in(&app, bob.id, "bob");
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "mine"}));
    let id = video["id"].as_str().expect("an id");
    up.mock
        .set_status(&app.db.task(id).upstream_task_id, VideoStatus::Completed);
    app.pass_when_due();
    let path = content_path(id, "video");

    // Another user: 404, as if the task did not exist; so is an unknown id.
    for (p, headers) in [
        (path.clone(), vec![cookie(&bob_session)]),
        (path.clone(), bob.headers.clone()),
        (
            content_path("task_nope", "video"),
            vec![cookie(&alice_session)],
        ),
    ] {
        let (status, _, body) = app.binary_request("GET", &p, &headers, None);
        assert_eq!(status, 404, "{p}");
        assert_eq!(json_of(&body)["success"], false);
    }
    // No credentials, an ended session, a claim naming someone else: 401.
    let mut wrong_claim = vec![cookie(&alice_session)];
    wrong_claim.push(("New-Api-User", bob.id.to_string()));
    for headers in [
        vec![],
        vec![("Cookie", "taskcenter_session=nope".to_string())],
        wrong_claim,
    ] {
        let (status, _, body) = app.binary_request("GET", &path, &headers, None);
        assert_eq!(status, 401, "{headers:?}");
        assert_eq!(json_of(&body)["success"], false);
    }
    // A variant the console does not use.
    let (status, _, _) = app.binary_request(
        "GET",
        &content_path(id, "spritesheet"),
        &vec![cookie(&alice_session)],
        None,
    );
    assert_eq!(status, 400);
    // A finished Suno task has no file to stream: its clips are links.
    let mut spec = task(alice.id, 1_700_000_000);
    spec.channel_id = suno.channel_id;
    spec.task_id = "task_suno_done".into();
    app.insert_tasks(&[spec]);
    let (status, _, body) = app.binary_request(
        "GET",
        &content_path("task_suno_done", "video"),
        &vec![cookie(&alice_session)],
        None,
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let message = json_of(&body)["message"].as_str().unwrap_or("").to_string();
    assert!(message.contains("no file"), "{message}");
}
