//! `POST /suno/fetch` and `GET /suno/fetch/{id}`: a key sees only its user's
//! tasks, in the relay's task shape; and no response anywhere shows a channel
//! key or an upstream id.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::alice_with_two_channels;
use crate::kit::{
    RELAY_TASK_FIELDS, Settings, accepted_task_id, as_root, assert_no_private_task_field,
    assert_ok, assert_relay_error, bearer, spawn_app_with, spawn_relay_app, suno_data,
};
use crate::mock::Fault;

fn assert_relay_task_shape(task: &Value) {
    for field in RELAY_TASK_FIELDS {
        assert!(task.get(field).is_some(), "{field} present: {task}");
    }
    assert_no_private_task_field(task);
}

fn ids_of(data: &Value) -> BTreeSet<String> {
    data.as_array()
        .unwrap_or_else(|| panic!("data is a list: {data}"))
        .iter()
        .map(|t| t["task_id"].as_str().expect("task_id").to_string())
        .collect()
}

#[test]
fn a_key_fetches_its_users_tasks_only() {
    let (app, _up) = spawn_relay_app();
    let [alice, bob] = app.customers(["alice", "bob"], 1_000_000);
    let a1 = app.submit_music(&alice.key, "alice one");
    let a2 = app.submit_music(&alice.key, "alice two");
    let b1 = app.submit_music(&bob.key, "bob one");
    // A second key of alice's sees her tasks too.
    let (_, alice_other_key) = app.new_key(
        &alice.headers,
        &json!({"name": "second", "unlimited_quota": true}),
    );

    let asked = vec![
        a1.clone(),
        a2.clone(),
        b1.clone(),
        "task_unknown".to_string(),
    ];
    let (status, body) = app.fetch(&alice.key, &asked);
    let data = suno_data(status, &body);
    assert_eq!(ids_of(data), BTreeSet::from([a1.clone(), a2.clone()]));
    for task in data.as_array().expect("a list") {
        assert_relay_task_shape(task);
        assert_eq!(task["action"], "MUSIC");
        assert_eq!(task["status"], "SUBMITTED");
    }
    let (status, body) = app.fetch(&alice_other_key, &asked);
    assert_eq!(
        ids_of(suno_data(status, &body)),
        BTreeSet::from([a1.clone(), a2.clone()])
    );

    let (status, body) = app.fetch(&bob.key, &asked);
    assert_eq!(
        ids_of(suno_data(status, &body)),
        BTreeSet::from([b1.clone()])
    );

    // Nothing known: an empty list, not an error.
    let (status, body) = app.fetch(&bob.key, &[a1.clone(), "nope".into()]);
    assert_eq!(suno_data(status, &body), &json!([]));
    let (status, body) = app.fetch(&bob.key, &[]);
    assert_eq!(suno_data(status, &body), &json!([]));
}

#[test]
fn fetching_one_task_is_404_for_unknown_ids_and_other_users() {
    let (app, _up) = spawn_relay_app();
    let [alice, bob] = app.customers(["alice", "bob"], 1_000_000);
    let a1 = app.submit_music(&alice.key, "alice one");

    let (status, body) = app.fetch_one(&alice.key, &a1);
    let task = suno_data(status, &body);
    assert_relay_task_shape(task);
    assert_eq!(task["task_id"], a1.as_str());
    assert_eq!(task["action"], "MUSIC");
    assert_eq!(task["status"], "SUBMITTED");
    assert_eq!(task["fail_reason"], "");
    assert!(
        task["submit_time"].as_i64().is_some_and(|t| t > 0),
        "{task}"
    );

    for (key, id) in [
        (&bob.key, a1.as_str()),
        (&alice.key, "task_00000000000000000000000000000000"),
        (&alice.key, "not-a-task"),
    ] {
        let (status, body) = app.fetch_one(key, id);
        assert_relay_error(status, &body, 404, "task_not_exist");
    }
}

#[test]
fn a_failed_task_is_fetched_with_its_reason() {
    let (app, up) = spawn_relay_app();
    up.mock.set_fault(Fault::Http(500));
    let alice = app.customer("alice", 1_000_000);
    let (status, _) = app.submit(&alice.key, "music", &json!({"prompt": "doomed"}));
    assert_eq!(status, 500);
    let task_id = app.db.task_ids_of(alice.id).pop().expect("the failed task");
    let (status, body) = app.fetch_one(&alice.key, &task_id);
    let task = suno_data(status, &body);
    assert_eq!(task["status"], "FAILURE");
    assert_eq!(task["progress"], "100%");
    assert!(
        !task["fail_reason"].as_str().unwrap_or_default().is_empty(),
        "{task}"
    );
    assert!(
        task["finish_time"].as_i64().is_some_and(|t| t > 0),
        "{task}"
    );
}

#[test]
fn more_than_100_ids_is_400() {
    let app = spawn_app_with(Settings::relay());
    let alice = app.customer("alice", 1_000_000);
    let ids: Vec<String> = (0..100).map(|i| format!("task_{i}")).collect();
    let (status, body) = app.fetch(&alice.key, &ids);
    assert_eq!(suno_data(status, &body), &json!([]), "100 is allowed");
    let ids: Vec<String> = (0..101).map(|i| format!("task_{i}")).collect();
    let (status, body) = app.fetch(&alice.key, &ids);
    let message = assert_relay_error(status, &body, 400, "invalid_request");
    assert!(message.contains("100"), "names the limit: {message}");
}

#[test]
fn fetch_needs_a_valid_key_and_a_valid_body() {
    let app = spawn_app_with(Settings::relay());
    let alice = app.customer("alice", 1_000_000);
    let (status, body) = app.request(
        "POST",
        "/suno/fetch",
        &vec![],
        Some(json!({"ids": []}).to_string().into_bytes()),
    );
    assert_relay_error(status, &body, 401, "unauthorized");
    let (status, body) = app.fetch(&format!("sk-{}", "b".repeat(48)), &[]);
    assert_relay_error(status, &body, 401, "unauthorized");
    let (status, body) = app.get("/suno/fetch/task_x", &vec![]);
    assert_relay_error(status, &body, 401, "unauthorized");

    for raw in [
        &b"{\"ids\": \"task_1\"}"[..],
        b"{}",
        b"not json",
        b"{\"ids\": [1, 2]}",
    ] {
        let (status, body) = app.request(
            "POST",
            "/suno/fetch",
            &bearer(&alice.key),
            Some(raw.to_vec()),
        );
        assert_relay_error(status, &body, 400, "invalid_request");
    }
}

#[test]
fn no_response_shows_a_channel_key_or_an_upstream_id() {
    let (app, first, second, alice) = alice_with_two_channels(Fault::None);

    // Accepted music and lyrics, a retried job, a continuation, a failure.
    let music = app.submit_music(&alice.key, "plain");
    let (status, body) = app.submit(&alice.key, "lyrics", &json!({"prompt": "the sea"}));
    let lyrics = accepted_task_id(status, &body);
    first.mock.fail_next(1, Fault::Http(500));
    let retried = app.submit_music(&alice.key, "retried");
    let (status, body) = app.submit(
        &alice.key,
        "music",
        &json!({"prompt": "more", "continue_clip_id": "c1", "task_id": music}),
    );
    let continued = accepted_task_id(status, &body);
    first.mock.set_fault(Fault::Http(500));
    second.mock.set_fault(Fault::Http(500));
    let (status, _) = app.submit(&alice.key, "music", &json!({"prompt": "failed"}));
    assert_eq!(status, 500);

    // Every way to look at tasks, channels, keys and options.
    let ids = vec![
        music.clone(),
        lyrics.clone(),
        retried.clone(),
        continued.clone(),
    ];
    let (status, body) = app.fetch(&alice.key, &ids);
    assert_eq!(suno_data(status, &body).as_array().map(Vec::len), Some(4));
    for id in &ids {
        let (status, body) = app.fetch_one(&alice.key, id);
        suno_data(status, &body);
    }
    for path in ["/api/task/self", "/api/user/self", "/api/token/"] {
        let (status, body) = app.get(path, &alice.headers);
        assert_ok(status, &body);
    }
    for path in ["/api/task/", "/api/channel/", "/api/option/"] {
        let (status, body) = app.get(path, &as_root());
        assert_ok(status, &body);
    }
    for up in [&first, &second] {
        let view = app.channel_view(up.channel_id);
        let shown = view["key"].as_str().expect("a masked key");
        assert_ne!(shown, up.mock.secret(), "the key is masked");
        assert!(shown.contains('*'), "masked: {shown}");
        let (status, body) = app.put(
            "/api/channel/",
            &as_root(),
            &json!({"id": up.channel_id, "name": "renamed"}),
        );
        assert_ok(status, &body);
    }

    // The check has something to look for.
    let upstream_ids: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|u| u.mock.submitted())
        .filter_map(|s| s.upstream_id)
        .collect();
    assert_eq!(upstream_ids.len(), 4, "four jobs were accepted upstream");
    assert!(app.responses_seen() > 20);
    app.assert_nothing_leaked();
}
