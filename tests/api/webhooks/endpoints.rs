//! `/api/webhook/`: registration (secret shown once), lists without
//! secrets, updates, rotation, deletion, and the refusals.

use serde_json::json;

use crate::kit::{Settings, assert_error, assert_ok, assert_unchanged, spawn_app, spawn_app_with};

#[test]
fn an_endpoint_is_registered_listed_without_its_secret_rotated_and_deleted() {
    let app = spawn_app();
    let (_, alice) = app.common_user("alice");
    let (status, body) = app.post(
        "/api/webhook/",
        &alice,
        &json!({"url": "http://127.0.0.1:9/hook", "events": ["task.failed", "task.progress"]}),
    );
    let created = assert_ok(status, &body).clone();
    let secret = created["secret"].as_str().expect("a secret").to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{created}"
    );
    assert_eq!(created["events"], json!(["task.failed", "task.progress"]));
    assert_eq!(created["enabled"], json!(true));
    let id = created["id"].as_i64().expect("id");

    let (status, body) = app.get("/api/webhook/", &alice);
    let listed = assert_ok(status, &body);
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["items"][0]["id"], id);
    assert!(
        !body.to_string().contains(&secret),
        "no secret in lists: {body}"
    );
    assert!(listed["items"][0].get("secret").is_none(), "{listed}");

    let (status, body) = app.put(
        "/api/webhook/",
        &alice,
        &json!({"id": id, "events": ["task.succeeded"], "enabled": false}),
    );
    let updated = assert_ok(status, &body);
    assert_eq!(updated["events"], json!(["task.succeeded"]));
    assert_eq!(updated["enabled"], json!(false));

    let (status, body) = app.post(&format!("/api/webhook/{id}/rotate"), &alice, &json!({}));
    let rotated = assert_ok(status, &body)["secret"]
        .as_str()
        .expect("a new secret")
        .to_string();
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    let stored: String = app.db.rows(
        "SELECT secret FROM webhook_endpoints WHERE id = ?1",
        [id],
        |r| r.get::<_, String>(0),
    )[0]
    .clone();
    assert_eq!(stored, rotated, "the new secret signs from now on");

    let (status, body) = app.delete(&format!("/api/webhook/{id}"), &alice);
    assert_ok(status, &body);
    let (status, body) = app.get("/api/webhook/", &alice);
    assert_eq!(assert_ok(status, &body)["total"], 0);
}

#[test]
fn another_users_endpoint_is_not_found() {
    let app = spawn_app();
    let (_, alice) = app.common_user("alice");
    let (_, bob) = app.common_user("bob");
    let mine = app.register_endpoint(&alice, "http://127.0.0.1:9/hook", &["task.succeeded"]);
    let before = app.db.fingerprint();
    for (status, body) in [
        app.delete(&format!("/api/webhook/{}", mine.id), &bob),
        app.post(
            &format!("/api/webhook/{}/rotate", mine.id),
            &bob,
            &json!({}),
        ),
        app.put(
            "/api/webhook/",
            &bob,
            &json!({"id": mine.id, "enabled": false}),
        ),
        app.get(&format!("/api/webhook/{}/deliveries", mine.id), &bob),
        app.post(
            &format!("/api/webhook/{}/deliveries/1/resend", mine.id),
            &bob,
            &json!({}),
        ),
    ] {
        assert_error(status, &body, 404);
    }
    assert_unchanged(&before, &app.db.fingerprint());
    let (status, body) = app.get("/api/webhook/", &bob);
    assert_eq!(assert_ok(status, &body)["total"], 0);
}

#[test]
fn bad_urls_and_unknown_events_are_refused_and_change_nothing() {
    let app = spawn_app();
    let (_, alice) = app.common_user("alice");
    for body in [
        json!({"events": ["task.succeeded"]}),
        json!({"url": "ftp://example.com/hook"}),
        json!({"url": "example.com/hook"}),
        json!({"url": "http://user:pw@example.com/hook"}),
        json!({"url": "https://example.com/hook", "events": []}),
        json!({"url": "https://example.com/hook", "events": ["task.done"]}),
        json!({"url": "https://example.com/hook", "events": "task.failed"}),
    ] {
        let (status, answer) = app.post("/api/webhook/", &alice, &body);
        assert_error(status, &answer, 400);
    }
    assert_eq!(app.db.count("webhook_endpoints"), 0);
}

#[test]
fn private_loopback_and_metadata_urls_are_refused_without_the_operators_flag() {
    let app = spawn_app_with(Settings::default().without_private_webhooks());
    let (_, alice) = app.common_user("alice");
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00:ec2::254]/hook",
    ] {
        let (status, body) = app.post("/api/webhook/", &alice, &json!({"url": url}));
        let message = assert_error(status, &body, 400);
        assert!(
            message.contains("--allow-private-webhooks"),
            "{url}: {message}"
        );
    }
    assert_eq!(app.db.count("webhook_endpoints"), 0);
    // A public address is fine (nothing is sent until a task settles).
    let (status, body) = app.post(
        "/api/webhook/",
        &alice,
        &json!({"url": "https://93.184.216.34/hook"}),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["events"], json!(["task.succeeded", "task.failed"]));
    // Moving a registered endpoint to a private address is refused too.
    let (status, body) = app.put(
        "/api/webhook/",
        &alice,
        &json!({"id": data["id"], "url": "http://127.0.0.1/hook"}),
    );
    assert_error(status, &body, 400);
}
