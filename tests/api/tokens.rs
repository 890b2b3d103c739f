//! API keys: `POST/GET/PUT /api/token/`, `DELETE /api/token/{id}`. A key is
//! shown once, never listed, and nobody touches another user's keys.

use serde_json::{Value, json};

use crate::kit::{
    Headers, MUSIC_CHARGE, Settings, TestApp, as_root, as_user, assert_error, assert_ok,
    assert_relay_error, items, spawn_app_with, spawn_relay_app,
};

fn is_api_key(key: &str) -> bool {
    key.strip_prefix("sk-")
        .is_some_and(|rest| rest.len() == 48 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn listed_keys(app: &TestApp, headers: &Headers) -> Value {
    let (status, body) = app.get("/api/token/", headers);
    assert_ok(status, &body).clone()
}

#[test]
fn creating_a_key_shows_it_once() {
    let app = spawn_app_with(Settings::relay());
    let (id, token) = app.create_user("alice", 1, 0);
    let headers = as_user(id, &token);
    let (status, body) = app.post(
        "/api/token/",
        &headers,
        &json!({"name": "laptop", "remain_quota": 123_456, "expired_time": 4_102_444_800i64}),
    );
    let data = assert_ok(status, &body);
    let key = data["key"].as_str().expect("the key");
    assert!(is_api_key(key), "sk- + 48 alphanumerics: {key}");
    assert!(data["id"].as_i64().is_some_and(|i| i > 0), "{data}");
    assert_eq!(data["user_id"], id);
    assert_eq!(data["name"], "laptop");
    assert_eq!(data["status"], 1);
    assert_eq!(data["remain_quota"], 123_456);
    assert_eq!(data["unlimited_quota"], false);
    assert_eq!(data["used_quota"], 0);
    assert_eq!(data["expired_time"], 4_102_444_800i64);

    // Defaults.
    let (status, body) = app.post("/api/token/", &headers, &json!({"name": "plain"}));
    let data = assert_ok(status, &body);
    assert_eq!(data["remain_quota"], 0);
    assert_eq!(data["unlimited_quota"], false);
    assert_eq!(data["expired_time"], -1);
    let other = data["key"].as_str().expect("the key");
    assert_ne!(other, key, "every key is new");

    // The list never shows a key or its hash.
    let list = listed_keys(&app, &headers);
    let text = list.to_string();
    assert!(
        !text.contains(key) && !text.contains(other),
        "no key in {text}"
    );
    for item in items(&list) {
        assert!(item.get("key").is_none(), "{item}");
        assert!(item.get("key_hash").is_none(), "{item}");
    }
}

#[test]
fn the_list_shows_own_keys_newest_first_with_pages() {
    let app = spawn_app_with(Settings::relay());
    let [alice, bob] = app.customers(["alice", "bob"], 0);
    for i in 0..4 {
        app.new_key(&alice.headers, &json!({"name": format!("k{i}")}));
    }
    let list = listed_keys(&app, &alice.headers);
    assert_eq!(list["total"], 5, "the customer key and four more: {list}");
    let names: Vec<&str> = items(&list)
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["k3", "k2", "k1", "k0", "main"]);
    assert!(items(&list).iter().all(|k| k["user_id"] == alice.id));

    let (status, body) = app.get("/api/token/?p=2&page_size=2", &alice.headers);
    let page = assert_ok(status, &body);
    assert_eq!(page["page"], 2);
    assert_eq!(page["page_size"], 2);
    assert_eq!(page["total"], 5);
    let names: Vec<&str> = items(page)
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["k1", "k0"]);

    let list = listed_keys(&app, &bob.headers);
    assert_eq!(list["total"], 1, "bob sees his key only: {list}");
    assert_eq!(items(&list)[0]["id"], bob.key_id);

    let (status, body) = app.get("/api/token/?page_size=0", &alice.headers);
    assert_error(status, &body, 400);
}

#[test]
fn updating_a_key_changes_only_what_is_given() {
    let app = spawn_app_with(Settings::relay());
    let alice = app.customer_with_key("alice", 0, &json!({"name": "k", "remain_quota": 10}));
    let (status, body) = app.put(
        "/api/token/",
        &alice.headers,
        &json!({"id": alice.key_id, "name": "renamed", "remain_quota": 777}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["name"], "renamed");
    assert_eq!(data["remain_quota"], 777);
    assert_eq!(data["status"], 1, "untouched");
    assert_eq!(data["expired_time"], -1, "untouched");
    assert!(
        data.get("key").is_none(),
        "an update does not show the key: {data}"
    );

    let (status, body) = app.put(
        "/api/token/",
        &alice.headers,
        &json!({"id": alice.key_id, "unlimited_quota": true, "status": 2}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["unlimited_quota"], true);
    assert_eq!(data["status"], 2);
    assert_eq!(data["name"], "renamed");
    assert_eq!(data["remain_quota"], 777);
}

#[test]
fn invalid_key_fields_are_400() {
    let app = spawn_app_with(Settings::relay());
    let alice = app.customer("alice", 0);
    for body in [
        json!({"name": "neg", "remain_quota": -1}),
        json!({"name": "exp", "expired_time": -2}),
        json!({"name": "x".repeat(65)}),
        json!({"name": 5}),
    ] {
        let (status, resp) = app.post("/api/token/", &alice.headers, &body);
        assert_error(status, &resp, 400);
    }
    for body in [
        json!({"id": alice.key_id, "status": 0}),
        json!({"id": alice.key_id, "status": 9}),
        json!({"id": alice.key_id, "remain_quota": -5}),
        json!({"id": alice.key_id, "expired_time": -7}),
        json!({"name": "no id"}),
    ] {
        let (status, resp) = app.put("/api/token/", &alice.headers, &body);
        assert_error(status, &resp, 400);
    }
    let (status, body) = app.delete("/api/token/abc", &alice.headers);
    assert_error(status, &body, 400);
    let (status, body) = app.request("POST", "/api/token/", &alice.headers, Some(b"{".to_vec()));
    assert_error(status, &body, 400);
}

#[test]
fn nobody_touches_another_users_keys() {
    let (app, _up) = spawn_relay_app();
    let [alice, bob] = app.customers(["alice", "bob"], 1_000_000);

    let (status, body) = app.put(
        "/api/token/",
        &bob.headers,
        &json!({"id": alice.key_id, "status": 2, "name": "stolen"}),
    );
    assert_error(status, &body, 404);
    let (status, body) = app.delete(&format!("/api/token/{}", alice.key_id), &bob.headers);
    assert_error(status, &body, 404);
    // Root has no more right to a user's keys than anyone else.
    let (status, body) = app.delete(&format!("/api/token/{}", alice.key_id), &as_root());
    assert_error(status, &body, 404);
    let (status, body) = app.put(
        "/api/token/",
        &bob.headers,
        &json!({"id": 999_999, "name": "x"}),
    );
    assert_error(status, &body, 404);

    // Alice's key is untouched and still works.
    let key = app.db.key(alice.key_id);
    assert_eq!(key.status, 1);
    assert_eq!(key.name, "main");
    app.submit_music(&alice.key, "still mine");
}

#[test]
fn a_deleted_key_stops_working() {
    let (app, _up) = spawn_relay_app();
    let alice = app.customer("alice", 1_000_000);
    app.submit_music(&alice.key, "before");
    let (status, body) = app.delete(&format!("/api/token/{}", alice.key_id), &alice.headers);
    assert_ok(status, &body);
    let (status, body) = app.submit(&alice.key, "music", &json!({"prompt": "after"}));
    assert_relay_error(status, &body, 401, "unauthorized");
    assert_eq!(listed_keys(&app, &alice.headers)["total"], 0);
    let (status, body) = app.delete(&format!("/api/token/{}", alice.key_id), &alice.headers);
    assert_error(status, &body, 404);
    assert_eq!(app.db.quota(alice.id), 1_000_000 - MUSIC_CHARGE);
}

#[test]
fn key_routes_need_a_logged_in_user() {
    let app = spawn_app_with(Settings::relay());
    let alice = app.customer("alice", 0);
    // An API key is not a management credential.
    let as_key = vec![
        ("Authorization", format!("Bearer {}", alice.key)),
        ("New-Api-User", alice.id.to_string()),
    ];
    for (method, path) in [
        ("GET", "/api/token/"),
        ("POST", "/api/token/"),
        ("PUT", "/api/token/"),
        ("DELETE", "/api/token/1"),
    ] {
        let body = (method == "POST" || method == "PUT").then(|| {
            json!({"id": alice.key_id, "name": "x"})
                .to_string()
                .into_bytes()
        });
        let (status, resp) = app.request(method, path, &vec![], body.clone());
        assert_error(status, &resp, 401);
        let (status, resp) = app.request(method, path, &as_key, body);
        assert_error(status, &resp, 401);
    }
    assert_eq!(app.db.key(alice.key_id).name, "main");
}
