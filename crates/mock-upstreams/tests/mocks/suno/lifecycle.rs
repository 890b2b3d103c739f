//! Healthy behaviour: statuses over time, lyrics, failures, auth, validation.

use std::time::Duration;

use mock_upstreams::{FAIL_REASON, FORCED_FAIL_REASON, MockConfig};

use super::support::{SECRET, SunoCalls, mock, mock_with};
use crate::common::{Client, eventually, with_client};

const ORDER: [&str; 5] = ["NOT_START", "SUBMITTED", "QUEUED", "IN_PROGRESS", "SUCCESS"];

#[test]
fn a_song_walks_the_statuses_in_order_until_success() {
    let (_mock, client) = with_client(mock(2_000));
    let id = client.submit_music("la la");
    let mut seen: Vec<String> = Vec::new();
    let last = eventually(Duration::from_secs(10), "SUCCESS", || {
        let tasks = client.fetch(&[&id]);
        let status = tasks[0]["status"].as_str().expect("status").to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        (status == "SUCCESS").then(|| tasks[0].clone())
    });
    let ranks: Vec<usize> = seen
        .iter()
        .map(|s| ORDER.iter().position(|o| o == s).expect("a Suno status"))
        .collect();
    assert!(ranks.is_sorted(), "statuses went back: {seen:?}");
    assert!(seen.len() >= 3, "too few steps seen: {seen:?}");
    assert!(seen.contains(&"IN_PROGRESS".to_string()), "{seen:?}");
    assert_eq!(last["action"], "MUSIC");
    assert_eq!(last["fail_reason"], "");
    let clips = last["data"].as_array().expect("clips");
    assert_eq!(clips.len(), 2);
    for clip in clips {
        assert_eq!(clip["status"], "complete");
        assert!(clip["audio_url"].as_str().unwrap().ends_with(".mp3"));
        assert!(clip["metadata"]["duration"].as_f64().unwrap() >= 120.0);
    }
    let (submit, finish) = (last["submit_time"].as_u64(), last["finish_time"].as_u64());
    assert_eq!(finish.unwrap() - submit.unwrap(), 2, "times are in seconds");
}

#[test]
fn lyrics_are_finished_at_once() {
    let (mock, client) = with_client(mock(60_000));
    let reply = client
        .post("/suno/submit/lyrics", r#"{"prompt":"rain on the roof"}"#)
        .expect("submit lyrics");
    assert_eq!(reply.status, 200, "{reply:?}");
    let id = reply.json["data"]
        .as_str()
        .expect("upstream id")
        .to_string();
    assert_eq!(mock.status_of(&id).as_deref(), Some("SUCCESS"));
    let one = client.get(&format!("/suno/fetch/{id}")).expect("fetch one");
    assert_eq!(one.status, 200, "{one:?}");
    let task = &one.json["data"];
    assert_eq!(
        (task["action"].as_str(), task["status"].as_str()),
        (Some("LYRICS"), Some("SUCCESS"))
    );
    assert_eq!(task["data"]["status"], "complete");
    assert_eq!(task["data"]["title"], "rain on the roof");
    assert!(
        task["data"]["text"]
            .as_str()
            .unwrap()
            .contains("rain on the roof")
    );
}

#[test]
fn a_failure_ratio_of_one_half_fails_every_second_song() {
    let mock = mock_with(MockConfig {
        music_duration_ms: 0,
        failure_ratio: 0.5,
        ..MockConfig::default()
    });
    let client = Client::new(&mock);
    let ids = client.submit_songs(4);
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let tasks = client.fetch(&refs);
    let statuses: Vec<&str> = tasks
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["SUCCESS", "FAILURE", "SUCCESS", "FAILURE"]);
    assert_eq!(tasks[1]["fail_reason"], FAIL_REASON);
    assert_eq!(tasks[1]["data"][0]["status"], "error");
}

#[test]
fn a_wrong_or_missing_secret_is_refused_and_creates_nothing() {
    let mock = mock(0);
    for secret in [Some("wrong"), None] {
        let client = Client::with_secret(&mock, secret);
        let reply = client
            .post("/suno/submit/music", r#"{"prompt":"la"}"#)
            .expect("submit");
        assert_eq!(reply.status, 401, "{reply:?}");
        assert_eq!(reply.json["code"], "invalid_request");
        assert_eq!(reply.json["message"], "unauthorized secret token");
        let fetch = client
            .post("/suno/fetch", r#"{"ids":["x"]}"#)
            .expect("fetch");
        assert_eq!(fetch.status, 401);
        let ping = client.get("/ping").expect("ping");
        assert_eq!(
            (ping.status, ping.json["message"].as_str()),
            (200, Some("pong"))
        );
    }
    let stats = mock.stats();
    assert_eq!((stats.unauthorized, stats.tasks, stats.ping), (4, 0, 2));
    let submitted = mock.submitted();
    assert_eq!(submitted.len(), 2, "refused submits are still recorded");
    assert_eq!(submitted[0].authorization.as_deref(), Some("Bearer wrong"));
    assert_eq!(submitted[1].authorization, None);
    assert!(submitted.iter().all(|s| s.upstream_id.is_none()));
    assert_eq!(mock.secret(), SECRET);
}

#[test]
fn invalid_submits_are_400_with_suno_messages() {
    let (mock, client) = with_client(mock(0));
    for (path, body, message) in [
        (
            "/suno/submit/music",
            r#"{"prompt":"  "}"#,
            "prompt and gpt_description_prompt are empty",
        ),
        ("/suno/submit/music", "not json", "invalid request body"),
        ("/suno/submit/lyrics", "{}", "prompt is empty"),
        (
            "/suno/submit/video",
            r#"{"prompt":"la"}"#,
            "unsupported action: video",
        ),
        (
            "/suno/submit/music",
            r#"{"prompt":"la","continue_clip_id":"c"}"#,
            "task_id is empty",
        ),
    ] {
        let reply = client.post(path, body).expect("submit");
        assert_eq!(
            (reply.status, reply.json["message"].as_str()),
            (400, Some(message)),
            "{body}"
        );
    }
    assert_eq!(
        mock.submitted()[1].body,
        "not json",
        "a non-JSON body is kept as text"
    );
    assert_eq!(mock.stats().tasks, 0);
}

#[test]
fn the_rust_api_forces_forgets_and_reports_statuses() {
    let (mock, client) = with_client(mock(60_000));
    let id = client.submit_music("la");
    assert_eq!(mock.status_of(&id).as_deref(), Some("NOT_START"));
    assert!(mock.set_status(&id, "FAILURE"));
    let task = &client.fetch(&[&id])[0];
    assert_eq!(task["status"], "FAILURE");
    assert_eq!(task["fail_reason"], FORCED_FAIL_REASON);
    assert!(mock.forget(&id));
    assert!(client.fetch(&[&id]).is_empty());
    assert!(!mock.set_status(&id, "SUCCESS"));
    assert!(!mock.forget(&id));
    assert_eq!(mock.status_of(&id), None);
    assert_eq!(
        mock.submitted()[0].upstream_id.as_deref(),
        Some(id.as_str())
    );
    mock.reset_stats();
    assert_eq!(mock.stats().fetch, 0);
}

#[test]
fn unknown_ids_are_adopted_when_asked_to() {
    let mock = mock_with(MockConfig {
        music_duration_ms: 0,
        adopt_unknown_ids: true,
        ..MockConfig::default()
    });
    let client = Client::new(&mock);
    let tasks = client.fetch(&["seeded-1", "seeded-2"]);
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["task_id"], "seeded-1");
    assert_eq!(mock.status_of("seeded-2").as_deref(), Some("SUCCESS"));
    assert_eq!(mock.stats().fetched_ids, 2);
}
