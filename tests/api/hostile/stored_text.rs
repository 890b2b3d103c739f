//! Hostile text that is valid where it is sent is stored and shown byte
//! for byte, and matched literally by searches.

use serde_json::json;

use super::generator::{HOSTILE_TEXT, encode};
use super::{Report, assert_healthy, fixture, shorten};
use crate::kit::{as_root, dead_base_url, suno_data};

/// Hostile text that is valid where it is sent: names with quotes, percent
/// signs, right-to-left marks, emoji and NUL.
fn storable_texts() -> Vec<String> {
    let mut texts: Vec<String> = HOSTILE_TEXT
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.to_string())
        .collect();
    texts.push("\u{202E}\u{5E9}\u{5DC}\u{5D5}\u{5DD} 😀 ' OR ''='".into());
    texts.push("x".repeat(64));
    texts
}

#[test]
fn hostile_text_that_is_valid_is_stored_and_shown_verbatim() {
    let fx = fixture();
    let app = &fx.app;
    let mut report = Report::default();
    let count = |table: &str| app.db.count(table);
    let (users0, keys0, channels0, tasks0) = (
        count("users"),
        count("tokens"),
        count("channels"),
        count("tasks"),
    );
    let (mut users, mut keys, mut channels, mut tasks) = (0, 0, 0, 0);
    for (n, text) in storable_texts().iter().enumerate() {
        // A user named by the text (names are trimmed, and must be unique).
        let (status, body) = app.post(
            "/api/user/",
            &as_root(),
            &json!({"username": text, "display_name": text}),
        );
        let what = format!("create user {text:?}");
        if report.check(&what, "/api/user/", status, &body) && status == 200 {
            users += 1;
            let id = body["data"]["id"].as_i64().unwrap_or_default();
            let (status, shown) = app.get(&format!("/api/user/{id}"), &as_root());
            if status != 200
                || shown["data"]["username"] != json!(text.trim())
                || shown["data"]["display_name"] != json!(text)
            {
                report.fail(format!("{what}: shown as {}", shorten(&shown)));
            }
        }
        // A key named by the text.
        let (status, body) = app.post("/api/token/", &fx.alice.headers, &json!({"name": text}));
        let what = format!("create key {text:?}");
        if report.check(&what, "/api/token/", status, &body) && status == 200 {
            keys += 1;
            if body["data"]["name"] != json!(text) {
                report.fail(format!("{what}: shown as {}", shorten(&body)));
            }
        }
        // A disabled channel named by the text.
        let secret = format!("hostile-channel-secret-{n}");
        app.remember_secret(&secret);
        let (status, body) = app.post(
            "/api/channel/",
            &as_root(),
            &json!({"name": text, "type": "suno", "base_url": dead_base_url(),
                    "key": secret, "models": text, "status": 2}),
        );
        let what = format!("create channel {text:?}");
        if report.check(&what, "/api/channel/", status, &body) && status == 200 {
            channels += 1;
            let id = body["data"]["id"].as_i64().unwrap_or_default();
            let shown = app.channel_view(id);
            if shown["name"] != json!(text) || shown["models"] != json!(text) {
                report.fail(format!("{what}: shown as {shown}"));
            }
        }
    }
    // Songs whose prompt is hostile reach the upstream byte for byte.
    for prompt in ["' OR 1=1 --", "\u{202E}😀 a\u{0}b", "%_%\\"] {
        let (status, body) = app.submit(&fx.alice.key, "music", &json!({ "prompt": prompt }));
        if report.check(
            &format!("submit {prompt:?}"),
            "/suno/submit/music",
            status,
            &body,
        ) && status == 200
        {
            tasks += 1;
            let id = body["data"].as_str().unwrap_or_default();
            let (status, fetched) = app.fetch_one(&fx.alice.key, id);
            let data = suno_data(status, &fetched);
            if data["task_id"] != json!(id) {
                report.fail(format!("submit {prompt:?}: fetched {data}"));
            }
            let listed = app.get(
                &format!("/api/task/self?task_id={}", encode(id)),
                &fx.alice.headers,
            );
            if listed.1["data"]["items"][0]["properties"]["prompt"] != json!(prompt) {
                report.fail(format!(
                    "submit {prompt:?}: listed as {}",
                    shorten(&listed.1)
                ));
            }
        } else {
            report.fail(format!("submit {prompt:?}: refused with {status}: {body}"));
        }
    }
    // LIKE metacharacters in a search are matched literally.
    let all_users: Vec<(String, String)> =
        app.db
            .rows("SELECT username, display_name FROM users", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            });
    for keyword in ["%", "_", "\\", "'", "😀", "\u{202E}", "%_%"] {
        let expected = all_users
            .iter()
            .filter(|(u, d)| u.contains(keyword) || d.contains(keyword))
            .count() as i64;
        let path = format!("/api/user/?page_size=100&keyword={}", encode(keyword));
        let (status, body) = app.get(&path, &as_root());
        if report.check(&format!("GET {path}"), "/api/user/", status, &body)
            && body["data"]["total"] != json!(expected)
        {
            report.fail(format!(
                "GET {path}: {expected} users hold {keyword:?}, the search found {}",
                body["data"]["total"]
            ));
        }
    }
    report.assert_clean(100);
    assert!(
        users > 30 && keys > 30 && channels > 30,
        "most texts were accepted"
    );
    assert_eq!(count("users"), users0 + users);
    assert_eq!(count("tokens"), keys0 + keys);
    assert_eq!(count("channels"), channels0 + channels);
    assert_eq!(count("tasks"), tasks0 + tasks);
    assert_healthy(app);
}
