//! Data isolation: nobody reads or touches another user's tasks, logs or
//! keys, through any list, filter or relay route.

use serde_json::json;

use super::cast;
use crate::kit::{as_root, as_user, assert_error, assert_ok, suno_data};

#[test]
fn a_user_never_sees_or_touches_another_users_tasks_logs_or_keys() {
    let w = cast();
    let app = &w.app;
    let (alice, bob) = (&w.alice, &w.bob);
    let bob_headers = as_user(bob.id, &bob.token);
    let submitted = w.upstream.mock.submitted().len();

    // Tasks: bob's lists hold his own task only, whatever he filters on.
    for query in [
        String::new(),
        format!("?task_id={}", w.alice_task),
        format!("?user_id={}", alice.id),
        format!("?channel_id={}", w.upstream.channel_id),
        "?p=1&page_size=100".into(),
    ] {
        let (status, body) = app.get(&format!("/api/task/self{query}"), &bob_headers);
        let data = assert_ok(status, &body);
        let ids: Vec<&str> = data["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|t| t["task_id"].as_str())
            .collect();
        let expected: Vec<&str> = if query.contains("task_id") {
            Vec::new()
        } else {
            vec![w.bob_task.as_str()]
        };
        assert_eq!(ids, expected, "bob's tasks with {query:?}: {body}");
        assert!(!body.to_string().contains(&w.alice_task), "{body}");
    }
    // Logs: his own rows only, and none that names alice's task.
    for query in [
        String::new(),
        format!("?task_id={}", w.alice_task),
        format!("?user_id={}", alice.id),
        format!("?username={}", alice.name),
        "?type=2".into(),
    ] {
        let (status, body) = app.get(&format!("/api/log/self{query}"), &bob_headers);
        let data = assert_ok(status, &body);
        let rows = data["items"].as_array().expect("items");
        assert!(
            rows.iter().all(|r| r["user_id"] == json!(bob.id)),
            "bob's logs with {query:?}: {body}"
        );
        assert!(!body.to_string().contains(&w.alice_task), "{body}");
        if query.is_empty() {
            assert!(!rows.is_empty(), "bob has logs of his own: {body}");
        }
    }
    // The relay: alice's task does not exist for bob's key.
    let (status, body) = app.fetch(&bob.key, std::slice::from_ref(&w.alice_task));
    assert_eq!(suno_data(status, &body), &json!([]), "{body}");
    let (status, body) = app.fetch(&bob.key, &[w.alice_task.clone(), w.bob_task.clone()]);
    let data = suno_data(status, &body);
    assert_eq!(data.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(data[0]["task_id"], json!(w.bob_task), "{body}");
    let (status, body) = app.fetch_one(&bob.key, &w.alice_task);
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "task_not_exist", "{body}");
    // Nor can bob continue alice's song.
    let (status, body) = app.submit(
        &bob.key,
        "music",
        &json!({"prompt": "x", "continue_clip_id": "clip", "task_id": w.alice_task}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        w.upstream.mock.submitted().len(),
        submitted,
        "nothing went upstream"
    );
    assert_eq!(app.db.task_count(bob.id), 1, "no task was created for bob");

    // Keys: bob lists his own, and alice's is not found for him.
    let (status, body) = app.get("/api/token/?page_size=100", &bob_headers);
    let data = assert_ok(status, &body);
    let rows = data["items"].as_array().expect("items");
    assert!(!rows.is_empty(), "{body}");
    assert!(rows.iter().all(|r| r["user_id"] == json!(bob.id)), "{body}");
    assert!(
        !rows.iter().any(|r| r["id"] == json!(alice.key_id)),
        "{body}"
    );
    let (status, body) = app.put(
        "/api/token/",
        &bob_headers,
        &json!({"id": alice.key_id, "name": "stolen", "status": 2, "remain_quota": 0}),
    );
    assert_error(status, &body, 404);
    let (status, body) = app.delete(&format!("/api/token/{}", alice.key_id), &bob_headers);
    assert_error(status, &body, 404);
    let key = app
        .db
        .find_key(alice.key_id)
        .expect("alice's key survives bob");
    assert_eq!((key.name.as_str(), key.status), ("main", 1));
    let (status, body) = app.fetch_one(&alice.key, &w.alice_task);
    suno_data(status, &body);

    // The other way round, and for operators' own lists.
    let alice_headers = as_user(alice.id, &alice.token);
    let (status, body) = app.fetch_one(&alice.key, &w.bob_task);
    assert_eq!(status, 404, "{body}");
    for who in [
        &alice_headers,
        &as_user(w.admin.id, &w.admin.token),
        &as_root(),
    ] {
        let (status, body) = app.get("/api/task/self?page_size=100", who);
        assert_ok(status, &body);
        assert!(!body.to_string().contains(&w.bob_task), "{body}");
    }
    // Admins see everyone's tasks, but never the upstream side of them.
    let (status, body) = app.get(
        "/api/task/?page_size=100",
        &as_user(w.admin.id, &w.admin.token),
    );
    let text = assert_ok(status, &body).to_string();
    assert!(
        text.contains(&w.alice_task) && text.contains(&w.bob_task),
        "{text}"
    );
    assert!(!text.contains("upstream_task_id"), "{text}");
    w.assert_nothing_leaked();
}
