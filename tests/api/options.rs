//! Prices as options (root): `GET /api/option/`, `PUT /api/option/`. A new
//! price applies to later jobs; a task keeps the price it was charged at.

use serde_json::{Value, json};
use taskcenter::domain::TaskStatus;
use taskcenter::store::ledger::{Failure, settle_failure};

use crate::helpers::{Headers, as_root, as_user, assert_error, assert_ok, mentions};
use crate::relay_support::{Env, LOG_REFUND, MUSIC_CHARGE, accepted_task_id, assert_relay_error};

/// The options as a map from key to the parsed JSON value.
fn options(env: &Env, headers: &Headers) -> serde_json::Map<String, Value> {
    let (status, body) = env.get("/api/option/", headers);
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

fn set(env: &Env, key: &str, value: &str) -> (u16, Value) {
    env.put(
        "/api/option/",
        &as_root(),
        &json!({"key": key, "value": value}),
    )
}

#[test]
fn root_reads_the_default_prices_and_ratios() {
    let env = Env::new();
    let opts = options(&env, &as_root());
    assert_eq!(
        opts["ModelPrice"],
        json!({"suno_music": 0.1, "suno_lyrics": 0.01})
    );
    assert_eq!(opts["GroupRatio"], json!({"default": 1}));
}

#[test]
fn options_are_for_root_only() {
    let env = Env::new();
    let (aid, atoken) = env.app.create_user("admin", 10, 0);
    let (uid, utoken) = env.app.create_user("alice", 1, 0);
    let change = json!({"key": "ModelPrice", "value": "{\"suno_music\": 0}"});
    for headers in [as_user(aid, &atoken), as_user(uid, &utoken)] {
        let (status, body) = env.get("/api/option/", &headers);
        assert_error(status, &body, 403);
        let (status, body) = env.put("/api/option/", &headers, &change);
        assert_error(status, &body, 403);
    }
    let (status, body) = env.get("/api/option/", &vec![]);
    assert_error(status, &body, 401);
    let (status, body) = env.put("/api/option/", &vec![], &change);
    assert_error(status, &body, 401);
    assert_eq!(
        options(&env, &as_root())["ModelPrice"]["suno_music"],
        0.1,
        "unchanged"
    );
}

#[test]
fn a_new_price_applies_to_later_jobs_and_never_to_earlier_ones() {
    let env = Env::new();
    let _up = env.upstream("main", 0);
    let c = env.customer("alice", 1_000_000);
    let before = env.submit_music(&c.key, "old price");
    assert_eq!(env.quota(c.id), 1_000_000 - MUSIC_CHARGE);

    let (status, body) = set(
        &env,
        "ModelPrice",
        r#"{"suno_music": 0.2, "suno_lyrics": 0.01}"#,
    );
    assert_ok(status, &body);
    assert_eq!(options(&env, &as_root())["ModelPrice"]["suno_music"], 0.2);

    let after = env.submit_music(&c.key, "new price");
    assert_eq!(env.quota(c.id), 1_000_000 - MUSIC_CHARGE - 100_000);
    let old = env.task(c.id, &before);
    let new = env.task(c.id, &after);
    assert_eq!(
        (old.model_price, old.quota),
        (0.1, MUSIC_CHARGE),
        "the snapshot stays"
    );
    assert_eq!((new.model_price, new.quota), (0.2, 100_000));
    assert_eq!(env.logs_of(&after)[0].quota, 100_000);

    // Failing the earlier task refunds what it cost, not today's price.
    let settled = settle_failure(
        &env.app.store,
        old.id,
        TaskStatus::Submitted,
        &Failure {
            reason: "the test fails it".into(),
            ..Failure::default()
        },
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs() as i64,
    )
    .expect("settle the failure");
    assert!(settled);
    assert_eq!(env.quota(c.id), 1_000_000 - 100_000);
    let refund = env.logs_of(&before).pop().expect("a refund row");
    assert_eq!((refund.log_type, refund.quota), (LOG_REFUND, MUSIC_CHARGE));
}

#[test]
fn a_group_ratio_scales_the_charge() {
    let env = Env::new();
    let mock = env.mock();
    env.channel(&json!({
        "name": "all groups", "type": "suno", "base_url": mock.base_url(),
        "key": mock.secret(), "models": "suno_music,suno_lyrics", "group": "default,vip,pro",
    }));
    let (status, body) = set(
        &env,
        "GroupRatio",
        r#"{"default": 1, "vip": 0.5, "pro": 1.5}"#,
    );
    assert_ok(status, &body);

    for (group, charge, ratio) in [
        ("vip", 25_000, 0.5),
        ("pro", 75_000, 1.5),
        ("default", 50_000, 1.0),
    ] {
        let c = env.customer_in_group(&format!("user-{group}"), group, 1_000_000);
        let task_id = env.submit_music(&c.key, "la");
        assert_eq!(env.quota(c.id), 1_000_000 - charge, "{group}");
        let task = env.task(c.id, &task_id);
        assert_eq!((task.quota, task.group_ratio), (charge, ratio), "{group}");
    }
}

#[test]
fn invalid_option_values_are_400_and_change_nothing() {
    let env = Env::new();
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
        let (status, body) = set(&env, key, value);
        assert_error(status, &body, 400);
    }
    for raw in [
        &b"{\"key\": \"ModelPrice\"}"[..],
        b"{\"value\": \"{}\"}",
        b"{",
    ] {
        let (status, body) = env.request("PUT", "/api/option/", &as_root(), Some(raw.to_vec()));
        assert_error(status, &body, 400);
    }
    let opts = options(&env, &as_root());
    assert_eq!(
        opts["ModelPrice"],
        json!({"suno_music": 0.1, "suno_lyrics": 0.01})
    );
    assert_eq!(opts["GroupRatio"], json!({"default": 1}));
}

#[test]
fn a_model_without_a_price_cannot_be_submitted() {
    let env = Env::new();
    let up = env.upstream("main", 0);
    let c = env.customer("alice", 1_000_000);
    let (status, body) = set(&env, "ModelPrice", r#"{"suno_music": 0.1}"#);
    assert_ok(status, &body);

    let (status, body) = env.submit(&c.key, "lyrics", &json!({"prompt": "the sea"}));
    let message = assert_relay_error(status, &body, 400, "invalid_request");
    assert!(
        mentions(&message, "suno_lyrics"),
        "names the model: {message}"
    );
    assert_eq!(env.quota(c.id), 1_000_000, "nothing charged");
    assert_eq!(env.task_count(c.id), 0);
    assert_eq!(up.mock.stats().submit, 0);

    let (status, body) = env.submit(&c.key, "music", &json!({"prompt": "priced"}));
    accepted_task_id(status, &body);
}
