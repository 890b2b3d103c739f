//! A channel's `model_mapping` (client model → upstream model): set and
//! checked on the channel routes and the CLI, shown to admins, applied per
//! channel by the relay; the client, the price, the task and its lists keep
//! the client's model.

use serde_json::{Value, json};

use crate::kit::process::{cli_error_line, cli_on, path_str};
use crate::kit::video::{VIDEO_CHARGE, spawn_video_app, video_mock};
use crate::kit::{Settings, as_root, as_user, assert_error, assert_ok, items};
use crate::mock::Fault;
use crate::mock::video::VideoStatus;

#[test]
fn a_mapped_model_reaches_the_upstream_while_the_client_keeps_its_own() {
    let (app, up) = spawn_video_app(Settings::manual(), video_mock(3_600_000, 0.0));
    let (status, answer) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": up.channel_id, "model_mapping": "{\"sora-2\":\"sora-2-pro\"}"}),
    );
    assert_eq!(
        assert_ok(status, &answer)["model_mapping"],
        r#"{"sora-2":"sora-2-pro"}"#
    );
    let alice = app.customer("alice", 1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "p", "model": "sora-2"}));
    assert_eq!(video["model"], "sora-2");
    assert_eq!(up.mock.created()[0].model, "sora-2-pro");

    let id = video["id"].as_str().unwrap();
    let task = app.db.task(id);
    assert_eq!(
        (task.model_name.as_str(), task.quota),
        ("sora-2", VIDEO_CHARGE)
    );
    // The upstream answers with its own model name; nobody sees it.
    assert!(
        up.mock
            .set_status(&task.upstream_task_id, VideoStatus::Completed)
    );
    app.pass_when_due();
    let (status, video) = app.video(&alice.key, id);
    assert_eq!(
        (status, &video["model"]),
        (200, &json!("sora-2")),
        "{video}"
    );
    let list = app.get_ok("/api/task/self?platform=sora", &alice.headers);
    let item = &items(&list)[0];
    assert_eq!(item["properties"]["model"], "sora-2", "{item}");
    assert!(!item.to_string().contains("sora-2-pro"), "{item}");

    // Unmapped models go as they are.
    app.create_video_ok(&alice.key, &json!({"prompt": "p", "model": "sora-2-pro"}));
    assert_eq!(up.mock.created()[1].model, "sora-2-pro");
}

#[test]
fn each_channel_tried_maps_the_model_its_own_way() {
    let (app, first) = spawn_video_app(Settings::relay(), video_mock(3_600_000, 0.0));
    app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": first.channel_id, "priority": 10,
                "model_mapping": {"sora-2": "sora-2-2025-10-06"}}),
    );
    first.mock.set_fault(Fault::Http(500));
    let second = app.attach_video(video_mock(3_600_000, 0.0), "second", 0);
    app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": second.channel_id, "model_mapping": {"sora-2": "sora-2-pro"}}),
    );
    let third = app.attach_video(video_mock(3_600_000, 0.0), "third", -1);

    let alice = app.customer("alice", 1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "p"}));
    assert_eq!(first.mock.stats().creates, 1, "the first channel was tried");
    assert_eq!(second.mock.created()[0].model, "sora-2-pro");
    assert_eq!(
        app.db.task(video["id"].as_str().unwrap()).channel_id,
        second.channel_id
    );

    // Now the second fails too: the third has no mapping and gets the
    // client's model, not a mapping of a channel tried before.
    second.mock.set_fault(Fault::Http(500));
    app.create_video_ok(&alice.key, &json!({"prompt": "p"}));
    assert_eq!(third.mock.created()[0].model, "sora-2");
    app.assert_nothing_leaked();
}

#[test]
fn a_bad_model_mapping_is_a_400_that_changes_nothing() {
    let (app, up) = spawn_video_app(Settings::relay(), video_mock(3_600_000, 0.0));
    let before = app.channel_view(up.channel_id);
    for bad in [
        json!("not json"),
        json!("[\"sora-2\"]"),
        json!("{\"sora-2\":\"\"}"),
        json!("{\"\":\"sora-2-pro\"}"),
        json!({"sora-2": 2}),
        json!({"sora-2": null}),
        json!(["sora-2"]),
        json!(7),
    ] {
        let (status, answer) = app.put(
            "/api/channel/",
            &as_root(),
            &json!({"id": up.channel_id, "name": "renamed", "model_mapping": bad}),
        );
        let message = assert_error(status, &answer, 400);
        assert!(message.contains("model_mapping"), "{bad}: {message}");
        let (status, answer) = app.post(
            "/api/channel/",
            &as_root(),
            &json!({"type": "sora", "base_url": up.mock.base_url(), "model_mapping": bad}),
        );
        assert_error(status, &answer, 400);
    }
    assert_eq!(app.channel_view(up.channel_id), before);
    let (status, answer) = app.get("/api/channel/", &as_root());
    assert_eq!(
        items(assert_ok(status, &answer)).len(),
        1,
        "nothing created"
    );

    // Empty clears it; an admin sees it in the list and in one channel.
    app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": up.channel_id, "model_mapping": {"sora-2": "sora-2-pro"}}),
    );
    let list = app.get_ok("/api/channel/", &as_root());
    assert_eq!(
        items(&list)[0]["model_mapping"],
        r#"{"sora-2":"sora-2-pro"}"#
    );
    let (status, answer) = app.put(
        "/api/channel/",
        &as_root(),
        &json!({"id": up.channel_id, "model_mapping": ""}),
    );
    assert_eq!(assert_ok(status, &answer)["model_mapping"], "");
    // A common user sees no channel at all.
    let (id, token) = app.create_user("carol", 1, 0);
    let (status, _) = app.get("/api/channel/", &as_user(id, &token));
    assert_eq!(status, 403);
}

#[test]
fn the_cli_sets_and_checks_a_channel_model_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let db_arg = db.to_str().unwrap();
    let channel = cli_on(
        &db,
        &[
            "channel",
            "add",
            "--type",
            "sora",
            "--base-url",
            "https://video.example.com",
            "--model-mapping",
            r#"{"sora-2": "sora-2-2025-10-06"}"#,
        ],
    );
    assert_eq!(
        channel["model_mapping"],
        r#"{"sora-2":"sora-2-2025-10-06"}"#
    );
    let message = crate::kit::process::cli_error_line(&[
        "channel",
        "add",
        "--type",
        "sora",
        "--base-url",
        "https://video.example.com",
        "--model-mapping",
        "sora-2=sora-2-pro",
        "--db",
        db_arg,
    ]);
    assert!(message.contains("model_mapping"), "{message}");
    let listed: Value = cli_on(&db, &["channel", "list"]);
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 1, "the bad one was not created: {listed:?}");
    assert_eq!(
        listed[0]["model_mapping"],
        r#"{"sora-2":"sora-2-2025-10-06"}"#
    );
}

#[test]
fn a_version_3_database_file_is_migrated_keeping_its_channels() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let add = |name: &str| {
        cli_on(
            &db,
            &[
                "channel",
                "add",
                "--type",
                "sora",
                "--name",
                name,
                "--base-url",
                "https://video.example.com",
                "--key",
                "old-secret-0123456789",
            ],
        )
    };
    add("old");
    // Back to how version 3 stored channels.
    let raw = crate::kit::Db::at(&db);
    raw.execute("ALTER TABLE channels DROP COLUMN model_mapping", []);
    raw.execute("DROP TABLE idempotency_keys", []);
    raw.execute("DROP TABLE webhook_deliveries", []);
    raw.execute("DROP TABLE webhook_endpoints", []);
    raw.execute("ALTER TABLE tasks DROP COLUMN callback_url", []);
    raw.execute("DROP TABLE sessions", []);
    raw.execute("DROP TABLE channel_health", []);
    for trigger in ["insert", "update", "delete"] {
        raw.execute(&format!("DROP TRIGGER task_day_counts_{trigger}"), []);
    }
    raw.execute("DROP TABLE task_day_counts", []);
    raw.execute(
        "CREATE INDEX idx_tasks_platform ON tasks(platform, submit_time, status, action, channel_id)",
        [],
    );
    for column in [
        "probe_backoff_secs",
        "probe_at",
        "disabled_at",
        "disabled_reason",
    ] {
        raw.execute(&format!("ALTER TABLE channels DROP COLUMN {column}"), []);
    }
    raw.execute("PRAGMA user_version = 3", []);

    // A command that only reads never migrates: it says what to do.
    let message = cli_error_line(&["channel", "list", "--db", path_str(&db)]);
    assert!(
        message.contains("schema version 3") && message.contains("migrate"),
        "{message}"
    );

    // The next command that writes migrates the file first.
    add("new");
    assert!(raw.scalar("PRAGMA user_version", []) > 3);
    let listed: Value = cli_on(&db, &["channel", "list"]);
    let listed = listed.as_array().expect("a list");
    let names: Vec<&str> = listed.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["old", "new"]);
    for channel in listed {
        assert_eq!(channel["model_mapping"], "", "{channel}");
        assert_eq!(channel["models"], "sora-2,sora-2-pro", "{channel}");
    }
}
