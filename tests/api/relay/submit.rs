//! Accepted jobs: what a music or lyrics job costs, forwards upstream,
//! stores and lists, and the quota edge where the last charge still fits.

use serde_json::json;

use super::alice_with_one_channel;
use crate::kit::{
    LOG_CONSUME, LYRICS_CHARGE, MUSIC_CHARGE, Settings, accepted_task_id, assert_relay_error, mock,
    spawn_app_with, spawn_relay_app, unix_now,
};

#[test]
fn music_submit_charges_once_forwards_and_lists_the_task() {
    let (app, up) = spawn_relay_app();
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
    let listed = app.task_self(&c.headers, &task_id);
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
    let (app, up, c) = alice_with_one_channel();
    let task_id = app.submit_music(&c.key, "a song about rust");
    let sent = up.mock.submitted();
    assert_eq!(sent[0].body["mv"], "chirp-v3-0", "{:?}", sent[0].body);
    let listed = app.task_self(&c.headers, &task_id);
    assert_eq!(listed["properties"]["mv"], "chirp-v3-0");
}

#[test]
fn a_description_alone_is_enough_for_music_and_wins_over_custom_fields() {
    let (app, up, c) = alice_with_one_channel();
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
    let props = &app.task_self(&c.headers, &task_id)["properties"];
    assert_eq!(
        props["gpt_description_prompt"], "an upbeat song about the sea",
        "{props}"
    );
    assert_eq!(props["model"], "suno_music", "{props}");
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE);
}

#[test]
fn lyrics_submit_charges_the_lyrics_price() {
    let (app, up) = spawn_relay_app();
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

    let listed = app.task_self(&c.headers, &task_id);
    assert_eq!(listed["platform"], "suno");
    assert_eq!(listed["action"], "LYRICS");
    assert_eq!(listed["status"], "SUBMITTED");
    assert_eq!(listed["quota"], LYRICS_CHARGE);
    assert_eq!(listed["properties"]["model"], "suno_lyrics");
    assert_eq!(listed["properties"]["prompt"], "a song about the sea");
}

#[test]
fn the_action_is_case_insensitive() {
    let (app, up, c) = alice_with_one_channel();
    for (action, stored) in [("MUSIC", "MUSIC"), ("Music", "MUSIC"), ("LyRiCs", "LYRICS")] {
        let (status, body) = app.submit(&c.key, action, &json!({"prompt": "la la la"}));
        let task_id = accepted_task_id(status, &body);
        assert_eq!(app.db.task(&task_id).action, stored, "{action}");
    }
    let actions: Vec<String> = up.mock.submitted().into_iter().map(|s| s.action).collect();
    assert_eq!(actions, ["MUSIC", "MUSIC", "LYRICS"]);
}

#[test]
fn quota_exactly_equal_to_the_charge_is_enough_once() {
    let (app, _up) = spawn_relay_app();
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
    let (app, _up) = spawn_relay_app();
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
fn a_body_just_under_one_mib_is_relayed() {
    let (app, up, c) = alice_with_one_channel();
    let prompt = "x".repeat(1000 * 1000);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": prompt}));
    accepted_task_id(status, &body);
    assert_eq!(
        up.mock.submitted()[0].body["prompt"].as_str().map(str::len),
        Some(1000 * 1000)
    );
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
