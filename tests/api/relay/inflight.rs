//! `--max-inflight-submissions`: past the limit a submission is refused at
//! once with 503 and `Retry-After`, charging and writing nothing; a freed
//! permit takes the next one. Suno's route and the video route.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::kit::upstream::unique_secret;
use crate::kit::video::{assert_openai_error, spawn_video_app};
use crate::kit::{
    Settings, TestApp, accepted_task_id, assert_relay_error, assert_unchanged, bearer,
    spawn_app_with,
};
use crate::mock::video::{VideoMock, VideoMockConfig};
use crate::mock::{Mock, MockConfig};

/// How long the mock upstreams take to accept a job: long enough that the
/// refused request is answered while the others still wait.
const UPSTREAM_LATENCY_MS: u64 = 2_500;

/// Waits until `n` tasks of user `id` are reserved, i.e. their submissions
/// hold their permits and wait on the upstream.
fn wait_for_reserved(app: &TestApp, id: i64, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.db.task_count(id) < n {
        assert!(Instant::now() < deadline, "{n} submissions never got going");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `POST path` with `body` as key `key`; the answer and how long it
/// took.
fn timed_post(
    app: &TestApp,
    path: &str,
    key: &str,
    body: &Value,
) -> (crate::kit::http::Answer, Duration) {
    let started = Instant::now();
    let bytes = serde_json::to_vec(body).expect("a JSON body");
    let answer = app.request_with_headers("POST", path, &bearer(key), Some(bytes));
    (answer, started.elapsed())
}

/// The refusal every route answers past the limit: 503 at once, with
/// `Retry-After: 1`.
fn assert_refused_at_once(answer: &crate::kit::http::Answer, took: Duration) {
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(
        answer.header_values("retry-after"),
        ["1"],
        "{:?}",
        answer.headers
    );
    assert!(
        took < Duration::from_secs(1),
        "refused after {took:?}, not at once"
    );
}

#[test]
fn a_submission_past_the_limit_is_refused_at_once_and_charges_nothing() {
    let app = spawn_app_with(Settings::relay().max_inflight_submissions(2));
    let mock = Mock::start(
        "127.0.0.1:0",
        MockConfig {
            secret: unique_secret("upstream-secret"),
            latency_ms: UPSTREAM_LATENCY_MS,
            ..MockConfig::default()
        },
    );
    let up = app.attach(mock, "main", 0);
    let alice = app.customer("alice", 1_000_000);
    std::thread::scope(|s| {
        let slow: Vec<_> = (0..2)
            .map(|i| {
                let (app, key) = (&app, &alice.key);
                s.spawn(move || app.submit(key, "music", &json!({"prompt": format!("slow {i}")})))
            })
            .collect();
        wait_for_reserved(&app, alice.id, 2);

        let before = app.db.fingerprint();
        let (answer, took) = timed_post(
            &app,
            "/suno/submit/music",
            &alice.key,
            &json!({"prompt": "one too many"}),
        );
        assert_refused_at_once(&answer, took);
        let message = assert_relay_error(answer.status, &answer.body, 503, "overloaded");
        assert!(message.contains("in flight"), "{message}");
        assert_unchanged(&before, &app.db.fingerprint());

        for h in slow {
            let (status, body) = h.join().expect("a slow submission");
            accepted_task_id(status, &body);
        }
    });
    assert_eq!(
        up.mock.stats().submit,
        2,
        "the refused job never went upstream"
    );
    assert_eq!(app.db.task_count(alice.id), 2);
    assert_eq!(
        app.db.task_log_count(alice.id),
        2,
        "one consume row per accepted job"
    );

    // The permits are back: the next submission is taken.
    let (status, body) = app.submit(&alice.key, "music", &json!({"prompt": "later"}));
    accepted_task_id(status, &body);
    assert_eq!(app.db.task_count(alice.id), 3);
}

#[test]
fn a_video_past_the_limit_is_refused_at_once_in_openais_error() {
    let mock = VideoMock::start(
        "127.0.0.1:0",
        VideoMockConfig {
            secret: unique_secret("video-secret"),
            latency_ms: UPSTREAM_LATENCY_MS,
            ..VideoMockConfig::default()
        },
    );
    let (app, up) = spawn_video_app(Settings::relay().max_inflight_submissions(1), mock);
    let alice = app.customer("alice", 1_000_000);
    let prompt = json!({"prompt": "a slow cat", "model": "sora-2"});
    std::thread::scope(|s| {
        let slow = s.spawn(|| app.create_video(&alice.key, &prompt));
        wait_for_reserved(&app, alice.id, 1);

        let before = app.db.fingerprint();
        let (answer, took) = timed_post(&app, "/v1/videos", &alice.key, &prompt);
        assert_refused_at_once(&answer, took);
        assert_openai_error(answer.status, &answer.body, 503);
        assert_eq!(
            answer.body["error"]["code"], "overloaded",
            "{}",
            answer.body
        );
        assert_unchanged(&before, &app.db.fingerprint());

        let (status, video) = slow.join().expect("the slow video");
        assert_eq!(status, 200, "{video}");
    });
    assert_eq!(
        up.mock.stats().creates,
        1,
        "the refused video never went upstream"
    );
    app.create_video_ok(&alice.key, &prompt);
}
