//! `POST /suno/submit/{action}`: what an accepted job costs and records, every
//! refusal (validation, keys, users, quota, channels) and that a refusal
//! charges nothing, and quota under 200 concurrent submissions.

use std::sync::Barrier;

use serde_json::{Value, json};

use crate::kit::{
    Customer, LOG_CONSUME, LYRICS_CHARGE, MUSIC_CHARGE, Settings, TestApp, accepted_task_id,
    assert_ok, assert_relay_error, bearer, items, mentions, mock, request_head, spawn_app_with,
    unix_now,
};

/// The caller's task as `GET /api/task/self?task_id=` lists it.
fn listed_task(app: &TestApp, c: &Customer, task_id: &str) -> Value {
    let (status, body) = app.get(&format!("/api/task/self?task_id={task_id}"), &c.headers);
    let data = assert_ok(status, &body);
    let list = items(data);
    assert_eq!(list.len(), 1, "exactly one task {task_id}: {data}");
    list[0].clone()
}

/// Asserts that a refused submission left user, key, tasks, logs and the
/// upstream untouched.
fn assert_nothing_happened(app: &TestApp, c: &Customer, quota: i64, key_remain: i64) {
    assert_eq!(app.db.quota(c.id), quota, "the user's quota is untouched");
    let user = app.db.user(c.id);
    assert_eq!(user.used_quota, 0, "nothing was used");
    assert_eq!(user.request_count, 0, "no request was counted");
    let key = app.db.key(c.key_id);
    assert_eq!(key.remain_quota, key_remain, "the key's quota is untouched");
    assert_eq!(key.used_quota, 0, "nothing was used through the key");
    assert_eq!(app.db.task_count(c.id), 0, "no task was created");
    assert_eq!(app.db.task_log_count(c.id), 0, "no log row was written");
}

#[test]
fn music_submit_charges_once_forwards_and_lists_the_task() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let start = 1_000_000;
    let c = app.customer_with_key(
        "alice",
        start,
        &json!({"name": "k", "remain_quota": 300_000}),
    );

    let (status, body) = app.submit(
        &c.key,
        "music",
        &json!({
            "prompt": "[Verse]\nWalking down the streets",
            "mv": "chirp-v3-5",
            "title": "City Lights",
            "tags": "emotional punk",
            "make_instrumental": false
        }),
    );
    let task_id = accepted_task_id(status, &body);
    assert_eq!(
        body,
        json!({"code": "success", "message": "", "data": task_id}),
        "exactly the Suno success envelope"
    );

    // Charged exactly once, from user and key.
    assert_eq!(app.db.quota(c.id), start - MUSIC_CHARGE);
    let user = app.db.user(c.id);
    assert_eq!(user.used_quota, MUSIC_CHARGE);
    assert_eq!(user.request_count, 1);
    let key = app.db.key(c.key_id);
    assert_eq!(key.remain_quota, 300_000 - MUSIC_CHARGE);
    assert_eq!(key.used_quota, MUSIC_CHARGE);
    assert_eq!(
        app.channel_view(up.channel_id)["used_quota"],
        MUSIC_CHARGE,
        "the channel's used quota grows by the charge"
    );

    // The consume log row explains the charge.
    let logs = app.db.logs_of(&task_id);
    let charges: Vec<_> = logs
        .iter()
        .map(|l| {
            (
                l.log_type,
                l.user_id,
                l.token_id,
                l.channel_id,
                l.model_name.as_str(),
                l.quota,
            )
        })
        .collect();
    assert_eq!(
        charges,
        [(
            LOG_CONSUME,
            c.id,
            c.key_id,
            up.channel_id,
            "suno_music",
            MUSIC_CHARGE
        )],
        "{logs:?}"
    );
    assert_eq!(app.db.task_log_count(c.id), 1, "one log row for one charge");

    // The upstream got the job with the channel's secret.
    let sent = up.mock.submitted();
    assert_eq!(sent.len(), 1, "one submission upstream");
    assert_eq!(sent[0].action, "MUSIC");
    assert_eq!(
        sent[0].authorization.as_deref(),
        Some(format!("Bearer {}", up.mock.secret()).as_str())
    );
    assert_eq!(sent[0].body["prompt"], "[Verse]\nWalking down the streets");
    assert_eq!(sent[0].body["mv"], "chirp-v3-5");
    assert_eq!(sent[0].body["title"], "City Lights");
    assert_eq!(sent[0].body["tags"], "emotional punk");
    let upstream_id = sent[0].upstream_id.clone().expect("the mock accepted it");

    // The stored task.
    let stored = app.db.task(&task_id);
    assert_eq!(stored.upstream_task_id, upstream_id);
    assert_eq!(stored.channel_id, up.channel_id);
    assert_eq!(stored.token_id, c.key_id);
    assert_eq!(stored.quota, MUSIC_CHARGE);
    assert_eq!(stored.model_name, "suno_music");
    assert_eq!(stored.model_price, 0.1);
    assert_eq!(stored.group_ratio, 1.0);
    assert_eq!(stored.refunded, 0);

    // The task list shows it with what the user asked for.
    let listed = listed_task(&app, &c, &task_id);
    assert_eq!(listed["platform"], "suno");
    assert_eq!(listed["action"], "MUSIC");
    assert_eq!(listed["status"], "SUBMITTED");
    assert_eq!(listed["quota"], MUSIC_CHARGE);
    assert_eq!(listed["user_id"], c.id);
    let props = &listed["properties"];
    assert_eq!(props["model"], "suno_music", "{props}");
    assert_eq!(props["mv"], "chirp-v3-5", "{props}");
    assert_eq!(
        props["prompt"], "[Verse]\nWalking down the streets",
        "{props}"
    );
    assert_eq!(props["title"], "City Lights", "{props}");
    assert_eq!(props["tags"], "emotional punk", "{props}");
    let submit_time = listed["submit_time"].as_i64().expect("submit_time");
    assert!(
        (unix_now() - submit_time).abs() <= 5,
        "submitted just now: {listed}"
    );
}

#[test]
fn music_model_defaults_to_chirp_v3_0() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    let task_id = app.submit_music(&c.key, "a song about rust");
    let sent = up.mock.submitted();
    assert_eq!(sent[0].body["mv"], "chirp-v3-0", "{:?}", sent[0].body);
    let listed = listed_task(&app, &c, &task_id);
    assert_eq!(listed["properties"]["mv"], "chirp-v3-0");
}

#[test]
fn a_description_alone_is_enough_for_music_and_wins_over_custom_fields() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.submit(
        &c.key,
        "music",
        &json!({"gpt_description_prompt": "an upbeat song about the sea", "title": "ignored"}),
    );
    let task_id = accepted_task_id(status, &body);
    let sent = &up.mock.submitted()[0];
    assert_eq!(
        sent.body["gpt_description_prompt"],
        "an upbeat song about the sea"
    );
    assert!(
        sent.body.get("title").is_none(),
        "custom fields are dropped: {}",
        sent.body
    );
    let props = &listed_task(&app, &c, &task_id)["properties"];
    assert_eq!(
        props["gpt_description_prompt"], "an upbeat song about the sea",
        "{props}"
    );
    assert_eq!(props["model"], "suno_music", "{props}");
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE);
}

#[test]
fn lyrics_submit_charges_the_lyrics_price() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 100_000);
    let (status, body) = app.submit(&c.key, "lyrics", &json!({"prompt": "a song about the sea"}));
    let task_id = accepted_task_id(status, &body);

    assert_eq!(app.db.quota(c.id), 100_000 - LYRICS_CHARGE);
    let logs = app.db.logs_of(&task_id);
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0].log_type, LOG_CONSUME);
    assert_eq!(logs[0].model_name, "suno_lyrics");
    assert_eq!(logs[0].quota, LYRICS_CHARGE);

    let sent = up.mock.submitted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].action, "LYRICS");
    assert_eq!(sent[0].body["prompt"], "a song about the sea");

    let listed = listed_task(&app, &c, &task_id);
    assert_eq!(listed["platform"], "suno");
    assert_eq!(listed["action"], "LYRICS");
    assert_eq!(listed["status"], "SUBMITTED");
    assert_eq!(listed["quota"], LYRICS_CHARGE);
    assert_eq!(listed["properties"]["model"], "suno_lyrics");
    assert_eq!(listed["properties"]["prompt"], "a song about the sea");
}

#[test]
fn the_action_is_case_insensitive() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    for (action, stored) in [("MUSIC", "MUSIC"), ("Music", "MUSIC"), ("LyRiCs", "LYRICS")] {
        let (status, body) = app.submit(&c.key, action, &json!({"prompt": "la la la"}));
        let task_id = accepted_task_id(status, &body);
        assert_eq!(app.db.task(&task_id).action, stored, "{action}");
    }
    let actions: Vec<String> = up.mock.submitted().into_iter().map(|s| s.action).collect();
    assert_eq!(actions, ["MUSIC", "MUSIC", "LYRICS"]);
}

#[test]
fn the_user_without_enough_quota_is_refused_and_charged_nothing() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer_with_key(
        "alice",
        MUSIC_CHARGE - 1,
        &json!({"name": "k", "remain_quota": 1_000_000}),
    );
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 403, "forbidden");
    assert!(message.contains("quota"), "says why: {message}");
    assert_nothing_happened(&app, &c, MUSIC_CHARGE - 1, 1_000_000);
    assert_eq!(up.mock.stats().submit, 0, "nothing went upstream");
}

#[test]
fn the_key_without_enough_quota_is_refused_and_charged_nothing() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer_with_key(
        "alice",
        1_000_000,
        &json!({"name": "k", "remain_quota": MUSIC_CHARGE - 1}),
    );
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 403, "forbidden");
    assert!(message.contains("quota"), "says why: {message}");
    assert_nothing_happened(&app, &c, 1_000_000, MUSIC_CHARGE - 1);
    assert_eq!(up.mock.stats().submit, 0, "nothing went upstream");
}

#[test]
fn quota_exactly_equal_to_the_charge_is_enough_once() {
    let app = spawn_app_with(Settings::relay());
    let _up = app.upstream("main", 0);
    let c = app.customer_with_key(
        "alice",
        MUSIC_CHARGE,
        &json!({"name": "k", "remain_quota": MUSIC_CHARGE}),
    );
    app.submit_music(&c.key, "first");
    assert_eq!(app.db.quota(c.id), 0);
    assert_eq!(app.db.key(c.key_id).remain_quota, 0);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "second"}));
    assert_relay_error(status, &body, 403, "forbidden");
    assert_eq!(app.db.quota(c.id), 0, "never below zero");
    assert_eq!(app.db.task_count(c.id), 1);
}

#[test]
fn an_unlimited_key_spends_only_the_users_quota() {
    let app = spawn_app_with(Settings::relay());
    let _up = app.upstream("main", 0);
    let c = app.customer("alice", 120_000);
    app.submit_music(&c.key, "first");
    app.submit_music(&c.key, "second");
    assert_eq!(app.db.quota(c.id), 120_000 - 2 * MUSIC_CHARGE);
    let key = app.db.key(c.key_id);
    assert_eq!(key.used_quota, 2 * MUSIC_CHARGE, "used quota still counts");
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "third"}));
    assert_relay_error(status, &body, 403, "forbidden");
}

#[test]
fn an_unknown_action_is_400_and_charges_nothing() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    for action in ["video", "song", "imagine", "musicx"] {
        let (status, body) = app.submit(&c.key, action, &json!({"prompt": "la"}));
        let message = assert_relay_error(status, &body, 400, "invalid_request");
        assert!(
            message.to_lowercase().contains("action"),
            "{action}: names the problem: {message}"
        );
    }
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn lyrics_need_a_prompt() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    for body in [
        json!({"prompt": ""}),
        json!({"prompt": "   \n"}),
        json!({}),
        json!({"gpt_description_prompt": "a description is not a lyrics prompt"}),
    ] {
        let (status, resp) = app.submit(&c.key, "lyrics", &body);
        let message = assert_relay_error(status, &resp, 400, "invalid_request");
        assert!(mentions(&message, "prompt"), "{body}: {message}");
    }
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn music_needs_a_prompt_or_a_description() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    for body in [
        json!({}),
        json!({"mv": "chirp-v4", "title": "no words"}),
        json!({"prompt": "", "gpt_description_prompt": " "}),
    ] {
        let (status, resp) = app.submit(&c.key, "music", &body);
        let message = assert_relay_error(status, &resp, 400, "invalid_request");
        assert!(mentions(&message, "prompt"), "{body}: {message}");
    }
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn a_continuation_without_task_id_is_400() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.submit(
        &c.key,
        "music",
        &json!({"prompt": "more", "continue_clip_id": "clip-1", "continue_at": 30}),
    );
    let message = assert_relay_error(status, &body, 400, "invalid_request");
    assert!(mentions(&message, "task_id"), "{message}");
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn malformed_or_mistyped_bodies_are_400() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    let bodies: [&[u8]; 8] = [
        b"{\"prompt\": \"la\"",
        b"not json at all",
        b"",
        b"[\"prompt\"]",
        b"\"prompt\"",
        b"{\"prompt\": 42}",
        b"{\"prompt\": \"la\", \"make_instrumental\": \"yes\"}",
        b"{\"prompt\": \"la\", \"continue_at\": -5, \"continue_clip_id\": \"c\", \"task_id\": \"t\"}",
    ];
    for raw in bodies {
        let (status, body) = app.submit_bytes(&c.key, "music", raw.to_vec());
        assert_relay_error(status, &body, 400, "invalid_request");
    }
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn a_body_over_one_mib_is_413() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);

    // Declared too large: refused before the body is sent.
    let head = request_head(
        "POST",
        "/suno/submit/music",
        &format!("Authorization: Bearer {}\r\n", c.key),
        &format!("Content-Length: {}\r\n", 1024 * 1024 + 1),
    );
    let (status, body) = app.exchange(&head, Vec::new());
    assert_relay_error(status, &body, 413, "request_too_large");

    // Sent too large without a declared length.
    let (status, body) = app.post_chunked("/suno/submit/music", &c.key, 2 * 1024 * 1024);
    assert_relay_error(status, &body, 413, "request_too_large");

    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn a_body_just_under_one_mib_is_relayed() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    let prompt = "x".repeat(1000 * 1000);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": prompt}));
    accepted_task_id(status, &body);
    assert_eq!(
        up.mock.submitted()[0].body["prompt"].as_str().map(str::len),
        Some(1000 * 1000)
    );
}

#[test]
fn a_missing_or_unknown_key_is_401() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    let (_, access_token) = app.create_user("bob", 1, 1_000_000);
    let body = json!({"prompt": "la"}).to_string().into_bytes();
    let cases: Vec<(&str, Vec<(&'static str, String)>)> = vec![
        ("no header", vec![]),
        ("empty bearer", vec![("Authorization", "Bearer ".into())]),
        (
            "unknown key",
            vec![("Authorization", format!("Bearer sk-{}", "A".repeat(48)))],
        ),
        (
            "a key with one character changed",
            vec![(
                "Authorization",
                format!("Bearer {}x", &c.key[..c.key.len() - 1]),
            )],
        ),
        (
            "a management access token",
            vec![("Authorization", format!("Bearer {access_token}"))],
        ),
    ];
    for (what, headers) in cases {
        let (status, resp) =
            app.request("POST", "/suno/submit/music", &headers, Some(body.clone()));
        assert_relay_error(status, &resp, 401, "unauthorized");
        // Authentication comes before body validation.
        let (status, resp) = app.request(
            "POST",
            "/suno/submit/music",
            &headers,
            Some(b"garbage".to_vec()),
        );
        assert_eq!(status, 401, "{what}: {resp}");
    }
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn a_disabled_key_is_403_until_enabled_again() {
    let app = spawn_app_with(Settings::relay());
    let _up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.put(
        "/api/token/",
        &c.headers,
        &json!({"id": c.key_id, "status": 2}),
    );
    assert_ok(status, &body);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 403, "forbidden");
    assert!(message.contains("disabled"), "{message}");
    assert_eq!(app.db.quota(c.id), 1_000_000);
    assert_eq!(app.db.task_count(c.id), 0);

    let (status, body) = app.put(
        "/api/token/",
        &c.headers,
        &json!({"id": c.key_id, "status": 1}),
    );
    assert_ok(status, &body);
    app.submit_music(&c.key, "la");
}

#[test]
fn an_expired_or_exhausted_key_is_403() {
    let app = spawn_app_with(Settings::relay());
    let _up = app.upstream("main", 0);
    let c = app.customer_with_key(
        "alice",
        1_000_000,
        &json!({"name": "old", "unlimited_quota": true, "expired_time": unix_now() - 10}),
    );
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 403, "forbidden");
    assert!(message.contains("expired"), "{message}");

    // A key that expires later works until an update moves its expiry into the past.
    let (key_id, key) = app.new_key(
        &c.headers,
        &json!({"name": "new", "unlimited_quota": true, "expired_time": unix_now() + 3600}),
    );
    app.submit_music(&key, "la");
    let (status, body) = app.put(
        "/api/token/",
        &c.headers,
        &json!({"id": key_id, "expired_time": unix_now() - 1}),
    );
    assert_ok(status, &body);
    let (status, body) = app.submit(&key, "music", &json!({"prompt": "la"}));
    assert_relay_error(status, &body, 403, "forbidden");

    // Status 3 (expired) and 4 (exhausted) refuse as well.
    for key_status in [3, 4] {
        let (key_id, key) = app.new_key(&c.headers, &json!({"name": "s", "unlimited_quota": true}));
        let (status, body) = app.put(
            "/api/token/",
            &c.headers,
            &json!({"id": key_id, "status": key_status}),
        );
        assert_ok(status, &body);
        let (status, body) = app.submit(&key, "music", &json!({"prompt": "la"}));
        assert_relay_error(status, &body, 403, "forbidden");
    }
    assert_eq!(
        app.db.quota(c.id),
        1_000_000 - MUSIC_CHARGE,
        "only the one accepted job"
    );
    assert_eq!(app.db.task_count(c.id), 1);
}

#[test]
fn a_disabled_user_is_403() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 1_000_000);
    app.set_user_status(c.id, 2);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 403, "forbidden");
    assert!(message.contains("disabled"), "{message}");
    let (status, body) = app.fetch(&c.key, &[]);
    assert_relay_error(status, &body, 403, "forbidden");
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(up.mock.stats().submit, 0);
}

#[test]
fn no_usable_channel_is_503_and_charges_nothing() {
    let app = spawn_app_with(Settings::relay());
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    assert_relay_error(status, &body, 503, "no_available_channel");

    // Channels that exist but cannot take this job: wrong model, wrong
    // group, disabled.
    let mock = app.watch(mock());
    for (name, models, group, channel_status) in [
        ("lyrics only", "suno_lyrics", "default", 1),
        ("vip only", "suno_music,suno_lyrics", "vip", 1),
        ("disabled", "suno_music,suno_lyrics", "default", 2),
    ] {
        app.channel(&json!({
            "name": name,
            "type": "suno",
            "base_url": mock.base_url(),
            "key": mock.secret(),
            "models": models,
            "group": group,
            "status": channel_status,
        }));
    }
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 503, "no_available_channel");
    assert!(message.contains("suno_music"), "names the model: {message}");
    assert_nothing_happened(&app, &c, 1_000_000, 0);
    assert_eq!(mock.stats().submit, 0);

    // The lyrics channel does serve lyrics.
    let (status, body) = app.submit(&c.key, "lyrics", &json!({"prompt": "la"}));
    accepted_task_id(status, &body);
}

#[test]
fn a_channel_serves_the_groups_it_lists() {
    let app = spawn_app_with(Settings::relay());
    let mock = app.watch(mock());
    app.channel(&json!({
        "name": "vip and default",
        "type": "suno",
        "base_url": mock.base_url(),
        "key": mock.secret(),
        "models": "suno_music",
        "group": "vip, default",
    }));
    let c = app.customer("alice", 1_000_000);
    app.submit_music(&c.key, "la");
    assert_eq!(mock.stats().submit, 1);
}

/// 200 threads submit at once for a user who can afford exactly 50 jobs.
fn race(app: &TestApp, c: &Customer) -> (usize, usize) {
    let barrier = Barrier::new(200);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let (status, body) =
                        app.submit(&c.key, "music", &json!({"prompt": format!("song {i}")}));
                    match status {
                        200 => {
                            accepted_task_id(status, &body);
                        }
                        _ => {
                            assert_relay_error(status, &body, 403, "forbidden");
                        }
                    }
                    status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a submitting thread"))
            .collect()
    });
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 403).count();
    (ok, refused)
}

#[test]
fn concurrent_submits_never_overdraw_the_user() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer("alice", 50 * MUSIC_CHARGE);
    let (ok, refused) = race(&app, &c);
    assert_eq!(
        (ok, refused),
        (50, 150),
        "exactly the affordable jobs are accepted"
    );
    assert_eq!(app.db.quota(c.id), 0, "the balance ends at exactly zero");
    let user = app.db.user(c.id);
    assert_eq!(user.used_quota, 50 * MUSIC_CHARGE);
    assert_eq!(user.request_count, 50);
    assert_eq!(app.db.task_count(c.id), 50);
    assert_eq!(
        app.db.task_log_count(c.id),
        50,
        "one consume row per accepted job"
    );
    assert_eq!(
        up.mock.stats().submit,
        50,
        "refused jobs never went upstream"
    );
}

#[test]
fn concurrent_submits_never_overdraw_the_key() {
    let app = spawn_app_with(Settings::relay());
    let up = app.upstream("main", 0);
    let c = app.customer_with_key(
        "alice",
        1_000 * MUSIC_CHARGE,
        &json!({"name": "k", "remain_quota": 50 * MUSIC_CHARGE}),
    );
    let (ok, refused) = race(&app, &c);
    assert_eq!(
        (ok, refused),
        (50, 150),
        "exactly the affordable jobs are accepted"
    );
    assert_eq!(
        app.db.key(c.key_id).remain_quota,
        0,
        "the key ends at exactly zero"
    );
    assert_eq!(app.db.quota(c.id), 950 * MUSIC_CHARGE);
    assert_eq!(app.db.task_count(c.id), 50);
    assert_eq!(up.mock.stats().submit, 50);
}

#[test]
fn the_submit_route_only_takes_post() {
    let app = spawn_app_with(Settings::relay());
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.get("/suno/submit/music", &bearer(&c.key));
    assert!(
        status == 405 || status == 404,
        "GET is not a submission: {status} {body}"
    );
    assert!(body["code"].is_string(), "Suno envelope: {body}");
    assert_eq!(app.db.task_count(c.id), 0);
}
