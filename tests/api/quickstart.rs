//! The README's quickstart, replayed for real: the compiled `taskcenter`
//! binary as the server and for every CLI step (run while the server is
//! serving, as the README tells a newcomer), the mock Suno upstream, and a
//! song submitted with the printed API key that must reach SUCCESS in
//! `GET /api/task/self`. If this fails, the README's first run fails too.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::kit::process::{ServerProcess, cli_on, path_str, taskcenter};
use crate::kit::{Headers, as_user, bearer, mock_with};

const ROOT_TOKEN: &str = "quickstart-root-token-0123456789abc";
/// The poll interval the server runs with (the README uses 2000 ms).
const POLL_INTERVAL_MS: &str = "200";
/// A song costs 0.1 USD at ratio 1: 0.1 × 500,000 quota units.
const SONG: i64 = 50_000;

#[test]
fn quickstart_from_cli_setup_to_a_finished_song() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("data").join("taskcenter.db");

    // Terminal 1: the mock upstream (a song takes a second here, 20 s in the README).
    let mock = mock_with(1000, 0.0);
    let secret = mock.secret();

    // Terminal 2: `taskcenter serve --root-token ... --poll-interval-ms ...`,
    // killed by the guard's Drop whatever happens below.
    let server = ServerProcess::start(&db, ROOT_TOKEN, &["--poll-interval-ms", POLL_INTERVAL_MS]);

    // Terminal 3: channel, user and key with the CLI, on the file the server is using.
    let channel = cli_on(
        &db,
        &[
            "channel",
            "add",
            "--name",
            "mock",
            "--base-url",
            &mock.base_url(),
            "--key",
            secret,
        ],
    );
    let channel_id = channel["id"].as_i64().expect("the channel's id");
    assert!(
        !channel.to_string().contains(secret),
        "the channel secret is printed: {channel}"
    );

    let alice = cli_on(
        &db,
        &["user", "add", "--username", "alice", "--quota", "5000000"],
    );
    let user_id = alice["id"].as_i64().expect("alice's id");
    assert_eq!(
        user_id, 2,
        "alice is user 2 on a new database, as the README says"
    );
    let user_token = alice["access_token"]
        .as_str()
        .expect("alice's access token")
        .to_string();

    let token = cli_on(
        &db,
        &[
            "token",
            "add",
            "--user-id",
            &user_id.to_string(),
            "--name",
            "quickstart",
            "--remain-quota",
            "500000",
        ],
    );
    let key = token["key"].as_str().expect("the API key").to_string();
    assert!(key.starts_with("sk-"), "API key {key}");

    // Submit a song with the key.
    let (status, submitted) = server.request(
        "POST",
        "/suno/submit/music",
        &bearer(&key),
        Some(&json!({
            "prompt": "[Verse]\nWalking down the streets of a sleeping town",
            "title": "City Lights",
            "tags": "emotional punk",
        })),
    );
    assert_eq!(status, 200, "submit: {submitted}");
    assert_eq!(submitted["code"], "success", "submit: {submitted}");
    let task_id = submitted["data"]
        .as_str()
        .expect("a public task id")
        .to_string();
    assert!(task_id.starts_with("task_"), "task id {task_id}");

    // Watch it reach SUCCESS with the seed's request.
    let as_alice: Headers = vec![
        ("Authorization", format!("Bearer {user_token}")),
        ("New-Api-User", format!("Bearer {user_id}")),
    ];
    let list = "/api/task/self?p=1&page_size=20&action=song";
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let task = loop {
        let (status, page) = server.request("GET", list, &as_alice, None);
        assert_eq!(status, 200, "task list: {page}");
        assert_eq!(page["success"], true, "task list: {page}");
        assert_eq!(page["data"]["total"], 1, "task list: {page}");
        let task = page["data"]["items"][0].clone();
        assert_eq!(task["task_id"], task_id.as_str(), "task list: {page}");
        let status = task["status"].as_str().unwrap_or_default().to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        match status.as_str() {
            "SUCCESS" => break task,
            "FAILURE" | "UNKNOWN" => panic!("the song did not finish: {task}"),
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "no SUCCESS within 60 s; statuses seen {seen:?}, last {task}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(task["progress"], "100%", "{task}");
    assert_eq!(task["action"], "MUSIC", "{task}");
    assert_eq!(task["platform"], "suno", "{task}");
    assert_eq!(task["quota"], SONG, "{task}");
    assert!(task["finish_time"].as_i64().unwrap_or(0) > 0, "{task}");
    assert!(
        task.get("channel_id").is_none(),
        "a user sees a channel: {task}"
    );
    assert_eq!(task["properties"]["title"], "City Lights", "{task}");
    let clips = task["data"].as_array().expect("clips in data");
    assert_eq!(clips.len(), 2, "{task}");
    assert!(
        clips
            .iter()
            .all(|c| c["audio_url"].as_str().is_some_and(|u| !u.is_empty())),
        "every clip has an audio_url: {task}"
    );

    // The root token sees the same task with its channel.
    let (status, all) = server.request(
        "GET",
        &format!("/api/task/?task_id={task_id}"),
        &as_user(1, ROOT_TOKEN),
        None,
    );
    assert_eq!(status, 200, "admin list: {all}");
    assert_eq!(all["data"]["items"][0]["channel_id"], channel_id, "{all}");
    assert_eq!(all["data"]["items"][0]["username"], "alice", "{all}");

    // The song was paid for once, by the user and by the key.
    let (status, me) = server.request("GET", "/api/user/self", &as_alice, None);
    assert_eq!(status, 200, "user self: {me}");
    assert_eq!(me["data"]["quota"], 5_000_000 - SONG, "{me}");
    assert_eq!(me["data"]["used_quota"], SONG, "{me}");
    let (status, keys) = server.request("GET", "/api/token/", &as_alice, None);
    assert_eq!(status, 200, "keys: {keys}");
    assert_eq!(
        keys["data"]["items"][0]["remain_quota"],
        500_000 - SONG,
        "{keys}"
    );

    // And the books balance, checked on the file while the server runs.
    let db = path_str(&db);
    let audit = taskcenter(&["audit", "--poll-interval-ms", POLL_INTERVAL_MS, "--db", db]);
    let report = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.status.success() && report.trim_end().ends_with("OK"),
        "audit failed ({}): {report}{}",
        audit.status,
        String::from_utf8_lossy(&audit.stderr)
    );
}
