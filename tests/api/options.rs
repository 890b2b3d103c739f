//! Prices as options (root): `GET /api/option/`, `PUT /api/option/`. A new
//! price applies to later jobs; a task keeps the price it was charged at.

use crate::kit::{
    Headers, LOG_REFUND, MUSIC_CHARGE, Settings, TestApp, accepted_task_id, as_root, as_user,
    assert_error, assert_ok, assert_relay_error, mentions, mock, spawn_app_with, spawn_relay_app,
};
use serde_json::{Value, json};

/// The options as a map from key to the parsed JSON value.
fn options(app: &TestApp, headers: &Headers) -> serde_json::Map<String, Value> {
    let (status, body) = app.get("/api/option/", headers);
    let data = assert_ok(status, &body);
    data.as_array()
        .unwrap_or_else(|| panic!("a list of options: {data}"))
        .iter()
        .map(|o| {
            let key = o["key"].as_str().expect("key").to_string();
            let text = o["value"].as_str().expect("the value is JSON text");
            let value: Value = serde_json::from_str(text).expect("the value parses");
            (key, value)
        })
        .collect()
}

/// Asserts the default prices and ratios, as root reads them.
fn assert_default_prices(app: &TestApp) {
    let opts = options(app, &as_root());
    assert_eq!(
        opts["ModelPrice"],
        json!({
            "suno_music": 0.1,
            "suno_lyrics": 0.01,
            "sora-2": 0.1,
            "sora-2-pro": 0.3,
            "sora-2-pro@1024x1792": 0.5,
            "sora-2-pro@1792x1024": 0.5,
        })
    );
    assert_eq!(opts["GroupRatio"], json!({"default": 1}));
}

#[test]
fn root_reads_the_default_prices_and_ratios() {
    let app = spawn_app_with(Settings::relay());
    assert_default_prices(&app);
}

#[test]
fn options_are_for_root_only() {
    let app = spawn_app_with(Settings::relay());
    let (aid, atoken) = app.create_user("admin", 10, 0);
    let (uid, utoken) = app.create_user("alice", 1, 0);
    let change = json!({"key": "ModelPrice", "value": "{\"suno_music\": 0}"});
    for headers in [as_user(aid, &atoken), as_user(uid, &utoken)] {
        let (status, body) = app.get("/api/option/", &headers);
        assert_error(status, &body, 403);
        let (status, body) = app.put("/api/option/", &headers, &change);
        assert_error(status, &body, 403);
    }
    let (status, body) = app.get("/api/option/", &vec![]);
    assert_error(status, &body, 401);
    let (status, body) = app.put("/api/option/", &vec![], &change);
    assert_error(status, &body, 401);
    assert_eq!(
        options(&app, &as_root())["ModelPrice"]["suno_music"],
        0.1,
        "unchanged"
    );
}

#[test]
fn a_new_price_applies_to_later_jobs_and_never_to_earlier_ones() {
    let (app, _up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let before = app.submit_music(&c.key, "old price");
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE);

    let (status, body) =
        app.set_option("ModelPrice", r#"{"suno_music": 0.2, "suno_lyrics": 0.01}"#);
    assert_ok(status, &body);
    assert_eq!(options(&app, &as_root())["ModelPrice"]["suno_music"], 0.2);

    let after = app.submit_music(&c.key, "new price");
    assert_eq!(app.db.quota(c.id), 1_000_000 - MUSIC_CHARGE - 100_000);
    let old = app.db.task(&before);
    let new = app.db.task(&after);
    assert_eq!(
        (old.model_price, old.quota),
        (0.1, MUSIC_CHARGE),
        "the snapshot stays"
    );
    assert_eq!((new.model_price, new.quota), (0.2, 100_000));
    assert_eq!(app.db.logs_of(&after)[0].quota, 100_000);

    // Failing the earlier task refunds what it cost, not today's price.
    let settled = app.fail_submitted_task(&before, "the test fails it");
    assert!(settled);
    assert_eq!(app.db.quota(c.id), 1_000_000 - 100_000);
    let refund = app.db.logs_of(&before).pop().expect("a refund row");
    assert_eq!((refund.log_type, refund.quota), (LOG_REFUND, MUSIC_CHARGE));
}

#[test]
fn a_group_ratio_scales_the_charge() {
    let app = spawn_app_with(Settings::relay());
    let mock = app.watch(mock());
    app.channel(&json!({
        "name": "all groups", "type": "suno", "base_url": mock.base_url(),
        "key": mock.secret(), "models": "suno_music,suno_lyrics", "group": "default,vip,pro",
    }));
    let (status, body) = app.set_option("GroupRatio", r#"{"default": 1, "vip": 0.5, "pro": 1.5}"#);
    assert_ok(status, &body);

    for (group, charge, ratio) in [
        ("vip", 25_000, 0.5),
        ("pro", 75_000, 1.5),
        ("default", 50_000, 1.0),
    ] {
        let c = app.customer_in_group(&format!("user-{group}"), group, 1_000_000);
        let task_id = app.submit_music(&c.key, "la");
        assert_eq!(app.db.quota(c.id), 1_000_000 - charge, "{group}");
        let task = app.db.task(&task_id);
        assert_eq!((task.quota, task.group_ratio), (charge, ratio), "{group}");
    }
}

#[test]
fn invalid_option_values_are_400_and_change_nothing() {
    let app = spawn_app_with(Settings::relay());
    for (key, value) in [
        ("ModelPrice", "not json"),
        ("ModelPrice", "{\"suno_music\": 0.1"),
        ("ModelPrice", "[0.1]"),
        ("ModelPrice", "0.1"),
        ("ModelPrice", "{\"suno_music\": -0.1}"),
        ("ModelPrice", "{\"suno_music\": \"cheap\"}"),
        ("ModelPrice", "{\"suno_music\": null}"),
        ("GroupRatio", "{\"default\": -1}"),
        ("GroupRatio", "{\"default\": true}"),
        ("GroupRatio", ""),
        ("NoSuchOption", "{}"),
    ] {
        let (status, body) = app.set_option(key, value);
        assert_error(status, &body, 400);
    }
    for raw in [
        &b"{\"key\": \"ModelPrice\"}"[..],
        b"{\"value\": \"{}\"}",
        b"{",
    ] {
        let (status, body) = app.request("PUT", "/api/option/", &as_root(), Some(raw.to_vec()));
        assert_error(status, &body, 400);
    }
    assert_default_prices(&app);
}

#[test]
fn a_model_without_a_price_cannot_be_submitted() {
    let (app, up) = spawn_relay_app();
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.set_option("ModelPrice", r#"{"suno_music": 0.1}"#);
    assert_ok(status, &body);

    let (status, body) = app.submit(&c.key, "lyrics", &json!({"prompt": "the sea"}));
    let message = assert_relay_error(status, &body, 400, "invalid_request");
    assert!(
        mentions(&message, "suno_lyrics"),
        "names the model: {message}"
    );
    assert_eq!(app.db.quota(c.id), 1_000_000, "nothing charged");
    assert_eq!(app.db.task_count(c.id), 0);
    assert_eq!(up.mock.stats().submit, 0);

    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "priced"}));
    accepted_task_id(status, &body);
}
