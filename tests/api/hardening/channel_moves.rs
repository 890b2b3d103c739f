//! Moving a channel: the stored key goes wherever `base_url` points, so an
//! administrator who changes `base_url` must give the key again; only root
//! may move a channel and keep its key.

use serde_json::json;

use crate::kit::upstream::unique_secret;
use crate::kit::{
    Settings, TestApp, accepted_task_id, as_root, as_user, assert_error, assert_ok,
    assert_unchanged, spawn_app_with,
};
use crate::mock::{Mock, MockConfig};

/// The key a channel stores (never shown by the API).
fn stored_key(app: &TestApp, channel_id: i64) -> String {
    let keys: Vec<String> = app.db.rows(
        "SELECT key FROM channels WHERE id = ?1",
        [channel_id],
        |r| r.get(0),
    );
    keys.into_iter().next().expect("the channel exists")
}

/// A simulator expecting `secret`.
fn mock_expecting(secret: &str) -> Mock {
    Mock::start(
        "127.0.0.1:0",
        MockConfig {
            secret: secret.to_string(),
            music_duration_ms: 3_600_000,
            ..MockConfig::default()
        },
    )
}

#[test]
fn an_administrator_who_moves_a_channel_must_give_its_key_again() {
    // Pins: an administrator could PUT a new base_url alone and have the
    // channel's stored key sent, with the next submission, to a server of
    // their own.
    let app = spawn_app_with(Settings::relay());
    let home = app.upstream("home", 0);
    let theirs = app.watch(mock_expecting(&unique_secret("their-secret")));
    let (id, token) = app.create_user("operator", 10, 0);
    let operator = as_user(id, &token);
    let channel = home.channel_id;

    let before = app.db.fingerprint();
    let moved = json!({"id": channel, "base_url": theirs.base_url()});
    let (status, body) = app.put("/api/channel/", &operator, &moved);
    let message = assert_error(status, &body, 403);
    assert!(message.contains("key"), "{message}");
    assert_unchanged(&before, &app.db.fingerprint());
    assert_eq!(stored_key(&app, channel), home.mock.secret());

    // Not a move: the same base_url (as written, or with a trailing
    // slash) and other fields need no key.
    let same =
        json!({"id": channel, "base_url": format!("{}/", home.mock.base_url()), "priority": 5});
    let (status, body) = app.put("/api/channel/", &operator, &same);
    assert_ok(status, &body);
    assert_eq!(stored_key(&app, channel), home.mock.secret());

    let with_key = json!({"id": channel, "base_url": theirs.base_url(), "key": theirs.secret()});
    let (status, body) = app.put("/api/channel/", &operator, &with_key);
    assert_ok(status, &body);
    assert_eq!(app.channel_view(channel)["base_url"], theirs.base_url());
    assert_eq!(stored_key(&app, channel), theirs.secret());

    let alice = app.customer("alice", 1_000_000);
    app.submit_music(&alice.key, "to the new place");
    assert_eq!(theirs.stats().submit, 1);
    assert_eq!(home.mock.stats().submit, 0);
    let sent = theirs.submitted()[0].authorization.clone();
    assert_eq!(sent, Some(format!("Bearer {}", theirs.secret())));
}

#[test]
fn root_may_move_a_channel_and_keep_its_key() {
    // Pins the other side of the rule: root's move without a key must not
    // be refused, nor wipe the stored key.
    let app = spawn_app_with(Settings::relay());
    let home = app.upstream("home", 0);
    let channel = home.channel_id;
    // The same upstream account behind another address.
    let moved_to = app.watch(mock_expecting(home.mock.secret()));

    let moved = json!({"id": channel, "base_url": moved_to.base_url()});
    let (status, body) = app.put("/api/channel/", &as_root(), &moved);
    assert_ok(status, &body);
    assert_eq!(app.channel_view(channel)["base_url"], moved_to.base_url());
    assert_eq!(
        stored_key(&app, channel),
        home.mock.secret(),
        "the key stays"
    );

    let alice = app.customer("alice", 1_000_000);
    let (status, body) = app.submit(&alice.key, "music", &json!({"prompt": "moved"}));
    accepted_task_id(status, &body);
    assert_eq!(moved_to.stats().submit, 1);
    assert_eq!(home.mock.stats().submit, 0);
}
