//! Refused submissions: bad bodies, missing or unusable keys, disabled
//! users, too little quota, no usable channel; each charges nothing and
//! sends nothing upstream.

use serde_json::{Value, json};

use super::{alice_with_one_channel, assert_nothing_happened};
use crate::kit::{
    MUSIC_CHARGE, Settings, accepted_task_id, assert_ok, assert_relay_error, bearer, mentions,
    mock, request_head, spawn_app_with, spawn_relay_app, unix_now,
};

/// Alice, with `quota` and a key with `key_quota`, submits a music job one
/// of them cannot pay for: 403 saying why, nothing charged or sent.
fn assert_unaffordable(quota: i64, key_quota: i64) {
    let (app, up) = spawn_relay_app();
    let key = json!({"name": "k", "remain_quota": key_quota});
    let c = app.customer_with_key("alice", quota, &key);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 403, "forbidden");
    assert!(message.contains("quota"), "says why: {message}");
    assert_nothing_happened(&app, &up.mock, &c, quota, key_quota);
}

#[test]
fn the_user_without_enough_quota_is_refused_and_charged_nothing() {
    assert_unaffordable(MUSIC_CHARGE - 1, 1_000_000);
}

#[test]
fn the_key_without_enough_quota_is_refused_and_charged_nothing() {
    assert_unaffordable(1_000_000, MUSIC_CHARGE - 1);
}

/// Alice submits each `(action, body)`: every one is refused with 400
/// `invalid_request`, nothing is charged and nothing goes upstream.
/// Returns what was sent with the message it got.
fn invalid_requests(cases: Vec<(&str, Vec<u8>)>) -> Vec<(String, String)> {
    let (app, up, c) = alice_with_one_channel();
    let messages = cases
        .into_iter()
        .map(|(action, body)| {
            let sent = format!("{action} {}", String::from_utf8_lossy(&body));
            let (status, answer) = app.submit_bytes(&c.key, action, body);
            let message = assert_relay_error(status, &answer, 400, "invalid_request");
            (sent, message)
        })
        .collect();
    assert_nothing_happened(&app, &up.mock, &c, 1_000_000, 0);
    messages
}

/// `(action, body)` cases of JSON bodies.
fn json_cases<'a>(action: &'a str, bodies: &[Value]) -> Vec<(&'a str, Vec<u8>)> {
    bodies
        .iter()
        .map(|b| (action, b.to_string().into_bytes()))
        .collect()
}

#[test]
fn an_unknown_action_is_400_and_charges_nothing() {
    let cases = ["video", "song", "imagine", "musicx"]
        .map(|action| (action, br#"{"prompt": "la"}"#.to_vec()))
        .to_vec();
    for (sent, message) in invalid_requests(cases) {
        assert!(
            message.to_lowercase().contains("action"),
            "{sent}: names the problem: {message}"
        );
    }
}

#[test]
fn lyrics_need_a_prompt() {
    let bodies = [
        json!({"prompt": ""}),
        json!({"prompt": "   \n"}),
        json!({}),
        json!({"gpt_description_prompt": "a description is not a lyrics prompt"}),
    ];
    for (sent, message) in invalid_requests(json_cases("lyrics", &bodies)) {
        assert!(mentions(&message, "prompt"), "{sent}: {message}");
    }
}

#[test]
fn music_needs_a_prompt_or_a_description() {
    let bodies = [
        json!({}),
        json!({"mv": "chirp-v4", "title": "no words"}),
        json!({"prompt": "", "gpt_description_prompt": " "}),
    ];
    for (sent, message) in invalid_requests(json_cases("music", &bodies)) {
        assert!(mentions(&message, "prompt"), "{sent}: {message}");
    }
}

#[test]
fn a_continuation_without_task_id_is_400() {
    let body = json!({"prompt": "more", "continue_clip_id": "clip-1", "continue_at": 30});
    for (sent, message) in invalid_requests(json_cases("music", &[body])) {
        assert!(mentions(&message, "task_id"), "{sent}: {message}");
    }
}

#[test]
fn malformed_or_mistyped_bodies_are_400() {
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
    invalid_requests(bodies.map(|b| ("music", b.to_vec())).to_vec());
}

#[test]
fn a_body_over_one_mib_is_413() {
    let (app, up, c) = alice_with_one_channel();

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

    assert_nothing_happened(&app, &up.mock, &c, 1_000_000, 0);
}

#[test]
fn a_missing_or_unknown_key_is_401() {
    let (app, up, c) = alice_with_one_channel();
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
                format!("Bearer {}", one_character_changed(&c.key)),
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
    assert_nothing_happened(&app, &up.mock, &c, 1_000_000, 0);
}

#[test]
fn a_disabled_key_is_403_until_enabled_again() {
    let (app, _, c) = alice_with_one_channel();
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
    let (app, _up) = spawn_relay_app();
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
    let (app, up, c) = alice_with_one_channel();
    app.set_user_status(c.id, 2);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    let message = assert_relay_error(status, &body, 403, "forbidden");
    assert!(message.contains("disabled"), "{message}");
    let (status, body) = app.fetch(&c.key, &[]);
    assert_relay_error(status, &body, 403, "forbidden");
    assert_nothing_happened(&app, &up.mock, &c, 1_000_000, 0);
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
    assert_nothing_happened(&app, &mock, &c, 1_000_000, 0);

    // The lyrics channel does serve lyrics.
    let (status, body) = app.submit(&c.key, "lyrics", &json!({"prompt": "la"}));
    accepted_task_id(status, &body);
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

/// `key` with its last character replaced by a different one (a fixed
/// replacement is the key itself once in 62 keys).
fn one_character_changed(key: &str) -> String {
    let (head, last) = key.split_at(key.len() - 1);
    let other = if last == "x" { "y" } else { "x" };
    format!("{head}{other}")
}
