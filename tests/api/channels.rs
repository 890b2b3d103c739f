//! Channels (admin): `POST/GET/PUT /api/channel/`, `GET/DELETE /api/channel/{id}`.
//! The upstream secret is only ever shown masked.

use serde_json::{Value, json};

use crate::kit::{
    Headers, Settings, TestApp, accepted_task_id, as_root, as_user, assert_error, assert_ok, items,
    mock, spawn_app_with,
};

const SECRET: &str = "upstream-secret-abcdefghijklmnop";

fn body(name: &str) -> Value {
    json!({
        "name": name,
        "type": "suno",
        "base_url": "http://127.0.0.1:9",
        "key": SECRET,
        "models": "suno_music,suno_lyrics",
    })
}

/// A relay app whose channels all use [`SECRET`], which no answer may show.
fn channels_app() -> TestApp {
    let app = spawn_app_with(Settings::relay());
    app.remember_secret(SECRET);
    app
}

/// Creates the channel `name` of [`body`] as root; its id.
fn created(app: &TestApp, name: &str) -> i64 {
    create(app, &as_root(), &body(name))["id"]
        .as_i64()
        .expect("the channel's id")
}

fn create(app: &TestApp, headers: &Headers, body: &Value) -> Value {
    let (status, resp) = app.post("/api/channel/", headers, body);
    assert_ok(status, &resp).clone()
}

fn admin(app: &TestApp) -> Headers {
    let (id, token) = app.create_user("admin", 10, 0);
    as_user(id, &token)
}

#[test]
fn a_channel_is_created_with_defaults_and_a_masked_key() {
    let app = channels_app();
    let created = create(&app, &as_root(), &body("main"));
    let id = created["id"].as_i64().expect("data.id");

    let view = app.channel_view(id);
    assert_eq!(view["id"], id);
    assert_eq!(view["type"], "suno");
    assert_eq!(view["name"], "main");
    assert_eq!(view["base_url"], "http://127.0.0.1:9");
    assert_eq!(view["models"], "suno_music,suno_lyrics");
    assert_eq!(view["group"], "default");
    assert_eq!(view["priority"], 0);
    assert_eq!(view["weight"], 1);
    assert_eq!(view["status"], 1);
    assert_eq!(view["used_quota"], 0);
    assert!(view["created_at"].as_i64().is_some_and(|t| t > 0), "{view}");
    let shown = view["key"].as_str().expect("a masked key");
    assert_ne!(shown, SECRET);
    assert!(shown.contains('*'), "masked: {shown}");
    assert!(shown.len() < SECRET.len() / 2, "most of it hidden: {shown}");

    let explicit = create(
        &app,
        &as_root(),
        &json!({
            "name": "vip", "type": "suno", "base_url": "https://suno.example.com/api/",
            "key": SECRET, "models": "suno_music", "group": "vip,default",
            "priority": 7, "weight": 3, "status": 2
        }),
    );
    let view = app.channel_view(explicit["id"].as_i64().expect("id"));
    assert_eq!(view["group"], "vip,default");
    assert_eq!(view["priority"], 7);
    assert_eq!(view["weight"], 3);
    assert_eq!(view["status"], 2);
    assert!(
        view["base_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://suno.example.com/api")),
        "{view}"
    );
}

#[test]
fn the_type_may_be_new_apis_number() {
    let app = channels_app();
    let mut b = body("numeric");
    b["type"] = json!(36);
    let created = create(&app, &as_root(), &b);
    assert_eq!(
        app.channel_view(created["id"].as_i64().unwrap())["type"],
        "suno"
    );
}

#[test]
fn unknown_types_and_invalid_base_urls_are_400() {
    let app = channels_app();
    for t in [
        json!("midjourney"),
        json!(""),
        json!(5),
        json!(null),
        json!(["suno"]),
    ] {
        let mut b = body("bad type");
        b["type"] = t.clone();
        let (status, resp) = app.post("/api/channel/", &as_root(), &b);
        let message = assert_error(status, &resp, 400);
        assert!(message.contains("type"), "{t}: {message}");
    }
    for url in [
        "ftp://example.com",
        "example.com",
        "localhost:3000",
        "http://",
        "https://",
        "http://exa mple.com",
        "",
        "not a url",
    ] {
        let mut b = body("bad url");
        b["base_url"] = json!(url);
        let (status, resp) = app.post("/api/channel/", &as_root(), &b);
        let message = assert_error(status, &resp, 400);
        assert!(message.contains("base_url"), "{url:?}: {message}");
    }
    let mut b = body("no url");
    b.as_object_mut().unwrap().remove("base_url");
    let (status, resp) = app.post("/api/channel/", &as_root(), &b);
    assert_error(status, &resp, 400);
    let mut b = body("no type");
    b.as_object_mut().unwrap().remove("type");
    let (status, resp) = app.post("/api/channel/", &as_root(), &b);
    assert_error(status, &resp, 400);
    let (status, resp) = app.request("POST", "/api/channel/", &as_root(), Some(b"{".to_vec()));
    assert_error(status, &resp, 400);

    // The same checks on update.
    let id = created(&app, "ok");
    for change in [
        json!({"id": id, "base_url": "gopher://x"}),
        json!({"id": id, "type": "mj"}),
    ] {
        let (status, resp) = app.put("/api/channel/", &as_root(), &change);
        assert_error(status, &resp, 400);
    }
    assert_eq!(app.channel_view(id)["base_url"], "http://127.0.0.1:9");

    let resp = app.get_ok("/api/channel/", &as_root());
    assert_eq!(resp["total"], 1, "no bad channel was stored");
}

#[test]
fn the_list_is_paginated_and_masks_every_key() {
    let app = channels_app();
    for i in 0..3 {
        create(&app, &as_root(), &body(&format!("c{i}")));
    }
    let (status, resp) = app.get("/api/channel/", &as_root());
    let data = assert_ok(status, &resp);
    assert_eq!(data["total"], 3);
    assert_eq!(items(data).len(), 3);
    for c in items(data) {
        assert!(c["key"].as_str().is_some_and(|k| k.contains('*')), "{c}");
    }
    let (status, resp) = app.get("/api/channel/?p=2&page_size=2", &as_root());
    let data = assert_ok(status, &resp);
    assert_eq!(data["total"], 3);
    assert_eq!(data["page"], 2);
    assert_eq!(items(data).len(), 1);
    let (status, resp) = app.get("/api/channel/?p=-1", &as_root());
    assert_error(status, &resp, 400);
}

#[test]
fn an_update_changes_what_is_given_and_the_relay_uses_it() {
    let app = spawn_app_with(Settings::relay());
    let mock = app.watch(mock());
    let wrong = "wrong-secret-zyxwvutsrqponm";
    let id = app.channel(&json!({
        "name": "main", "type": "suno", "base_url": mock.base_url(),
        "key": wrong, "models": "suno_music",
    }));
    let c = app.customer("alice", 1_000_000);
    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    assert_ne!(status, 200, "the upstream refuses the wrong secret: {body}");
    assert_eq!(body["code"], "upstream_error", "{body}");
    assert_eq!(
        app.db.quota(c.id),
        1_000_000,
        "the refused job was refunded"
    );
    // A refused key disables the channel (operators/health/): the fix
    // enables it again by hand.
    assert_eq!(app.channel_view(id)["status"], 3);

    let (status, resp) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": id, "key": mock.secret(), "name": "fixed", "priority": 4, "status": 1}),
    );
    let view = assert_ok(status, &resp);
    assert_eq!(view["status"], 1);
    assert_eq!(view["name"], "fixed");
    assert_eq!(view["priority"], 4);
    assert_eq!(view["base_url"], mock.base_url(), "untouched");
    assert_eq!(view["models"], "suno_music", "untouched");
    assert_ne!(view["key"], mock.secret(), "still masked");

    let (status, body) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    accepted_task_id(status, &body);
    let sent = mock.submitted();
    assert_eq!(
        sent.last().and_then(|s| s.authorization.clone()),
        Some(format!("Bearer {}", mock.secret()))
    );

    let (status, resp) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": 999_999, "name": "x"}),
    );
    assert_error(status, &resp, 404);
    let (status, resp) = app.put("/api/channel/", &as_root(), &json!({"name": "no id"}));
    assert_error(status, &resp, 400);
}

#[test]
fn a_deleted_channel_is_gone() {
    let app = channels_app();
    let id = created(&app, "doomed");
    let (status, resp) = app.delete(&format!("/api/channel/{id}"), &as_root());
    assert_ok(status, &resp);
    let (status, resp) = app.get(&format!("/api/channel/{id}"), &as_root());
    assert_error(status, &resp, 404);
    let (status, resp) = app.delete(&format!("/api/channel/{id}"), &as_root());
    assert_error(status, &resp, 404);
    let resp = app.get_ok("/api/channel/", &as_root());
    assert_eq!(resp["total"], 0);
    let (status, resp) = app.get("/api/channel/abc", &as_root());
    assert_error(status, &resp, 400);
}

#[test]
fn channels_are_for_administrators_only() {
    let app = channels_app();
    let id = created(&app, "main");
    let (uid, token) = app.create_user("alice", 1, 0);
    let common = as_user(uid, &token);
    let update = json!({"id": id, "name": "hijacked"});
    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", "/api/channel/".into(), Some(body("mine"))),
        ("GET", "/api/channel/".into(), None),
        ("GET", format!("/api/channel/{id}"), None),
        ("PUT", "/api/channel/".into(), Some(update.clone())),
        ("DELETE", format!("/api/channel/{id}"), None),
    ];
    for (method, path, b) in &calls {
        let bytes = b.as_ref().map(|b| b.to_string().into_bytes());
        let (status, resp) = app.request(method, path, &common, bytes.clone());
        assert_error(status, &resp, 403);
        let (status, resp) = app.request(method, path, &vec![], bytes);
        assert_error(status, &resp, 401);
    }
    assert_eq!(app.channel_view(id)["name"], "main", "nothing changed");

    // An administrator may do all of it.
    let admin = admin(&app);
    let resp = app.get_ok("/api/channel/", &admin);
    assert_eq!(resp["total"], 1);
    let created = create(&app, &admin, &body("by admin"));
    let (status, resp) = app.put("/api/channel/", &admin, &update);
    assert_ok(status, &resp);
    let (status, resp) = app.delete(&format!("/api/channel/{}", created["id"]), &admin);
    assert_ok(status, &resp);
}
