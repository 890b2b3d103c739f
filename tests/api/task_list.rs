//! `GET /api/task/self` and `GET /api/task/`: envelopes, item shapes, every
//! filter alone and in combination, pagination edges and every 400.

use std::collections::BTreeSet;

use crate::kit::{
    ALL_STATUSES, Headers, RELAY_TASK_FIELDS, TaskSpec, TaskStatus, TestApp, as_root, as_user,
    assert_error, assert_no_private_task_field, assert_ok, field_names, item_ids, items, mentions,
    new_task_id, newest_first, spawn_app, task,
};
use serde_json::{Value, json};

/// The fields of a task in the seed's response, `channel_id` aside: what a
/// relay client sees, and these.
const SEED_FIELDS_BEYOND_RELAY: [&str; 7] = [
    "id",
    "created_at",
    "updated_at",
    "platform",
    "user_id",
    "quota",
    "properties",
];

/// The fields of a task in the seed's response, `channel_id` aside.
fn seed_fields() -> BTreeSet<&'static str> {
    RELAY_TASK_FIELDS
        .into_iter()
        .chain(SEED_FIELDS_BEYOND_RELAY)
        .collect()
}

/// Two users with tasks spread over statuses, platforms, actions, channels
/// and times, inserted out of time order so id order and time order differ.
struct Fixture {
    app: TestApp,
    alice: i64,
    /// The other user.
    bob: i64,
    alice_token: String,
    alice_headers: Headers,
    /// (row id, what was inserted), in insertion order.
    tasks: Vec<(i64, TaskSpec)>,
    /// The public id of one of alice's tasks, for the task_id filter.
    target_task_id: String,
}

fn spec(
    user_id: i64,
    platform: &str,
    action: &str,
    status: TaskStatus,
    channel_id: i64,
    submit_time: i64,
) -> TaskSpec {
    TaskSpec {
        platform: platform.into(),
        action: action.into(),
        status,
        channel_id,
        progress: status.default_progress().into(),
        ..task(user_id, submit_time)
    }
}

fn fixture() -> Fixture {
    use TaskStatus::*;
    let app = spawn_app();
    let (alice, alice_token) = app.create_user("alice", 1, 0);
    let (bob, _) = app.create_user("bob", 1, 0);
    let target_task_id = new_task_id();
    let specs = vec![
        spec(alice, "suno", "MUSIC", Success, 1, 1000),
        spec(alice, "suno", "LYRICS", Failure, 2, 2000),
        spec(alice, "kling", "VIDEO", InProgress, 1, 3000),
        spec(alice, "suno", "MUSIC", Queued, 2, 4000),
        TaskSpec {
            task_id: target_task_id.clone(),
            ..spec(alice, "suno", "MUSIC", Success, 2, 5000)
        },
        spec(alice, "kling", "MUSIC", Success, 3, 4000),
        spec(bob, "suno", "MUSIC", Success, 1, 2500),
        spec(bob, "suno", "LYRICS", NotStart, 3, 6000),
        spec(bob, "suno", "MUSIC", Success, 2, 4000),
        spec(alice, "suno", "MUSIC", Unknown, 1, 6000),
        spec(alice, "suno", "MUSIC", Submitted, 2, 3000),
    ];
    let ids = app.insert_tasks(&specs);
    Fixture {
        app,
        alice,
        bob,
        alice_headers: as_user(alice, &alice_token),
        alice_token,
        tasks: ids.into_iter().zip(specs).collect(),
        target_task_id,
    }
}

impl Fixture {
    /// Row ids of the tasks matching `pred`, newest first.
    fn expected(&self, pred: impl Fn(&TaskSpec) -> bool) -> Vec<i64> {
        newest_first(&self.tasks, pred)
    }

    fn list_self(&self, query: &str) -> Value {
        let (status, body) = self
            .app
            .get(&format!("/api/task/self?{query}"), &self.alice_headers);
        assert_ok(status, &body).clone()
    }

    fn list_all(&self, query: &str) -> Value {
        let (status, body) = self.app.get(&format!("/api/task/?{query}"), &as_root());
        assert_ok(status, &body).clone()
    }

    /// Asserts both lists answer `query` with exactly the tasks matching `pred`
    /// (alice's own for the user list).
    fn assert_filter(&self, query: &str, pred: &dyn Fn(&TaskSpec) -> bool) {
        let query = format!("page_size=100&{query}");
        let mine = self.expected(|t| t.user_id == self.alice && pred(t));
        let data = self.list_self(&query);
        assert_eq!(item_ids(&data), mine, "/api/task/self?{query}");
        assert_eq!(data["total"], mine.len(), "/api/task/self?{query} total");

        let all = self.expected(pred);
        let data = self.list_all(&query);
        assert_eq!(item_ids(&data), all, "/api/task/?{query}");
        assert_eq!(data["total"], all.len(), "/api/task/?{query} total");
    }
}

type Pred = Box<dyn Fn(&TaskSpec) -> bool>;

/// Each filter the user list accepts, as (query, meaning).
fn user_filters(target_task_id: &str) -> Vec<(String, Pred)> {
    let target = target_task_id.to_string();
    vec![
        (
            "status=success".into(),
            Box::new(|t: &TaskSpec| t.status == TaskStatus::Success),
        ),
        ("platform=suno".into(), Box::new(|t| t.platform == "suno")),
        ("action=song".into(), Box::new(|t| t.action == "MUSIC")),
        (
            format!("task_id={target_task_id}"),
            Box::new(move |t| t.task_id == target),
        ),
        (
            "start_timestamp=3000".into(),
            Box::new(|t| t.submit_time >= 3000),
        ),
        (
            "end_timestamp=5000".into(),
            Box::new(|t| t.submit_time <= 5000),
        ),
    ]
}

#[test]
fn both_lists_answer_in_the_success_envelope() {
    let f = fixture();
    for (path, headers) in [
        ("/api/task/self", f.alice_headers.clone()),
        ("/api/task/", as_root()),
    ] {
        let (status, body) = f.app.get(path, &headers);
        let data = assert_ok(status, &body);
        assert_eq!(body["message"], "", "{path}");
        assert_eq!(
            field_names(data),
            BTreeSet::from(["items", "total", "page", "page_size"]),
            "{path}"
        );
        assert_eq!(data["page"], 1, "{path}: default page");
        assert_eq!(data["page_size"], 20, "{path}: default page size");
    }
}

#[test]
fn empty_database_lists_no_tasks() {
    let app = spawn_app();
    for path in ["/api/task/self", "/api/task/"] {
        let (status, body) = app.get(path, &as_root());
        let data = assert_ok(status, &body);
        assert_eq!(data["items"], json!([]), "{path}");
        assert_eq!(data["total"], 0, "{path}");
    }
}

#[test]
fn user_list_holds_only_the_callers_tasks_newest_first() {
    let f = fixture();
    let data = f.list_self("");
    let mine = f.expected(|t| t.user_id == f.alice);
    assert_eq!(item_ids(&data), mine);
    assert_eq!(data["total"], mine.len());
    assert!(items(&data).iter().all(|t| t["user_id"] == f.alice));
}

#[test]
fn admin_list_holds_every_users_tasks_newest_first() {
    let f = fixture();
    let data = f.list_all("");
    assert_eq!(item_ids(&data), f.expected(|_| true));
    assert_eq!(data["total"], f.tasks.len());
}

#[test]
fn newest_first_means_highest_id_first_whatever_the_submit_time() {
    let app = spawn_app();
    let ids = app.insert_tasks(&[task(1, 300), task(1, 100), task(1, 200)]);
    let (status, body) = app.get("/api/task/self", &as_root());
    let data = assert_ok(status, &body);
    assert_eq!(item_ids(data), vec![ids[2], ids[1], ids[0]]);
}

#[test]
fn user_items_have_the_seed_fields_and_nothing_private() {
    let f = fixture();
    let data = f.list_self("");
    assert!(!items(&data).is_empty());
    for item in items(&data) {
        assert_no_private_task_field(item);
        assert_eq!(field_names(item), seed_fields(), "user item: {item}");
    }
}

#[test]
fn admin_items_add_channel_id_username_and_fail_detail() {
    let f = fixture();
    let data = f.list_all("page_size=100");
    let mut expected_keys = seed_fields();
    expected_keys.extend(["channel_id", "username", "fail_detail"]);
    for item in items(&data) {
        assert_eq!(field_names(item), expected_keys, "admin item: {item}");
        let id = item["id"].as_i64().expect("id");
        let (_, inserted) = f
            .tasks
            .iter()
            .find(|(row, _)| *row == id)
            .expect("a fixture task");
        assert_eq!(item["channel_id"], inserted.channel_id, "{item}");
        let owner = if inserted.user_id == f.alice {
            "alice"
        } else {
            "bob"
        };
        assert_eq!(item["username"], owner, "{item}");
    }
}

#[test]
fn items_show_what_was_stored() {
    let app = spawn_app();
    let stored = TaskSpec {
        task_id: new_task_id(),
        status: TaskStatus::Failure,
        fail_reason: "upstream said no".into(),
        progress: "100%".into(),
        quota: 12_345,
        properties: json!({"prompt": "a song about tests", "mv": "chirp-v4"}),
        data: json!([{"id": "clip-1", "audio_url": "https://example.com/1.mp3"}]),
        ..task(1, 1_700_000_000)
    };
    app.insert_tasks(std::slice::from_ref(&stored));
    let (status, body) = app.get("/api/task/self", &as_root());
    let data = assert_ok(status, &body);
    let item = &items(data)[0];
    assert_eq!(item["task_id"], stored.task_id);
    assert_eq!(item["platform"], "suno");
    assert_eq!(item["user_id"], 1);
    assert_eq!(item["quota"], 12_345);
    assert_eq!(item["action"], "MUSIC");
    assert_eq!(item["status"], "FAILURE");
    assert_eq!(item["fail_reason"], "upstream said no");
    assert_eq!(item["submit_time"], stored.submit_time);
    assert_eq!(item["start_time"], stored.start_time);
    assert_eq!(item["finish_time"], stored.finish_time);
    assert_eq!(item["progress"], "100%");
    assert!(item["created_at"].is_i64() && item["updated_at"].is_i64());
    // JSON values, not strings holding JSON.
    assert_eq!(item["properties"], stored.properties);
    assert_eq!(item["data"], stored.data);
}

#[test]
fn empty_properties_and_data_are_empty_objects() {
    let app = spawn_app();
    app.insert_tasks(&[task(1, 100)]);
    for path in ["/api/task/self", "/api/task/"] {
        let (status, body) = app.get(path, &as_root());
        let data = assert_ok(status, &body);
        let item = &items(data)[0];
        assert_eq!(item["properties"], json!({}), "{path}");
        assert_eq!(item["data"], json!({}), "{path}");
    }
}

#[test]
fn status_filter_is_case_insensitive() {
    let f = fixture();
    for word in ["SUCCESS", "success", "Success"] {
        f.assert_filter(&format!("status={word}"), &|t| {
            t.status == TaskStatus::Success
        });
    }
    f.assert_filter("status=in_progress", &|t| {
        t.status == TaskStatus::InProgress
    });
}

#[test]
fn every_status_word_is_a_valid_filter() {
    let f = fixture();
    for status in ALL_STATUSES {
        f.assert_filter(&format!("status={status}"), &|t| t.status == status);
    }
}

#[test]
fn platform_filter_is_an_exact_match() {
    let f = fixture();
    f.assert_filter("platform=suno", &|t| t.platform == "suno");
    f.assert_filter("platform=kling", &|t| t.platform == "kling");
    f.assert_filter("platform=sun", &|_| false);
}

#[test]
fn task_id_filter_is_an_exact_match() {
    let f = fixture();
    let target = f.target_task_id.clone();
    f.assert_filter(&format!("task_id={target}"), &|t| t.task_id == target);
    f.assert_filter(&format!("task_id={}", &target[..20]), &|_| false);
}

#[test]
fn action_filter_is_case_insensitive_and_song_means_music() {
    let f = fixture();
    for word in ["MUSIC", "music", "Music", "song", "SONG"] {
        f.assert_filter(&format!("action={word}"), &|t| t.action == "MUSIC");
    }
    f.assert_filter("action=lyrics", &|t| t.action == "LYRICS");
    f.assert_filter("action=VIDEO", &|t| t.action == "VIDEO");
}

#[test]
fn time_bounds_are_inclusive_on_submit_time() {
    let f = fixture();
    f.assert_filter("start_timestamp=4000", &|t| t.submit_time >= 4000);
    f.assert_filter("end_timestamp=4000", &|t| t.submit_time <= 4000);
    f.assert_filter("start_timestamp=4000&end_timestamp=4000", &|t| {
        t.submit_time == 4000
    });
    f.assert_filter("start_timestamp=2001&end_timestamp=2499", &|_| false);
    f.assert_filter("start_timestamp=0&end_timestamp=9999999999", &|_| true);
}

#[test]
fn channel_id_filters_the_admin_list() {
    let f = fixture();
    for channel in [1, 2, 3] {
        let query = format!("page_size=100&channel_id={channel}");
        let data = f.list_all(&query);
        let expected = f.expected(|t| t.channel_id == channel);
        assert_eq!(item_ids(&data), expected, "{query}");
        assert_eq!(data["total"], expected.len(), "{query}");
        assert!(items(&data).iter().all(|t| t["channel_id"] == channel));
    }
    let data = f.list_all("channel_id=42");
    assert_eq!(data["total"], 0);
}

#[test]
fn user_id_filters_the_admin_list_and_is_ignored_on_the_user_list() {
    // The console's admin filter (#f-user-id).
    let f = fixture();
    for user in [f.alice, f.bob] {
        let query = format!("page_size=100&user_id={user}");
        let data = f.list_all(&query);
        let expected = f.expected(|t| t.user_id == user);
        assert!(!expected.is_empty(), "{query}");
        assert_eq!(item_ids(&data), expected, "{query}");
        assert_eq!(data["total"], expected.len(), "{query}");
    }
    let data = f.list_all("user_id=4242");
    assert_eq!(data["total"], 0);
    let data = f.list_self(&format!("page_size=100&user_id={}", f.bob));
    assert_eq!(item_ids(&data), f.expected(|t| t.user_id == f.alice));
}

#[test]
fn channel_id_is_ignored_on_the_user_list() {
    // channel_id is an admin filter: on the user list it neither narrows the
    // result nor lets a user learn which of their tasks ran on a channel.
    let f = fixture();
    let data = f.list_self("page_size=100&channel_id=1");
    assert_eq!(item_ids(&data), f.expected(|t| t.user_id == f.alice));
}

#[test]
fn empty_filter_values_mean_any() {
    // The console sends every filter, empty when unset.
    let f = fixture();
    f.assert_filter(
        "status=&platform=&task_id=&action=&start_timestamp=&end_timestamp=&channel_id=",
        &|_| true,
    );
}

#[test]
fn every_pair_of_filters_combines_with_and() {
    let f = fixture();
    let filters = user_filters(&f.target_task_id);
    for (i, (qa, pa)) in filters.iter().enumerate() {
        f.assert_filter(qa, pa.as_ref());
        for (qb, pb) in &filters[i + 1..] {
            f.assert_filter(&format!("{qa}&{qb}"), &|t| pa(t) && pb(t));
        }
    }
}

#[test]
fn all_filters_combine_with_and() {
    let f = fixture();
    f.assert_filter(
        "status=SUCCESS&platform=suno&action=song&start_timestamp=2500&end_timestamp=5000",
        &|t| {
            t.status == TaskStatus::Success
                && t.platform == "suno"
                && t.action == "MUSIC"
                && (2500..=5000).contains(&t.submit_time)
        },
    );
    let target = f.target_task_id.clone();
    f.assert_filter(
        &format!("task_id={target}&status=success&platform=suno&action=music&start_timestamp=5000&end_timestamp=5000"),
        &|t| t.task_id == target,
    );
    f.assert_filter(&format!("task_id={target}&status=failure"), &|_| false);
}

#[test]
fn channel_id_combines_with_every_other_filter_on_the_admin_list() {
    let f = fixture();
    for (query, pred) in user_filters(&f.target_task_id) {
        let query = format!("page_size=100&channel_id=2&{query}");
        let expected = f.expected(|t| t.channel_id == 2 && pred(t));
        let data = f.list_all(&query);
        assert_eq!(item_ids(&data), expected, "{query}");
        assert_eq!(data["total"], expected.len(), "{query}");
    }
    let query = "channel_id=2&status=success&platform=suno&action=song&start_timestamp=4000&end_timestamp=5000";
    let expected = f.expected(|t| {
        t.channel_id == 2
            && t.status == TaskStatus::Success
            && t.platform == "suno"
            && t.action == "MUSIC"
            && (4000..=5000).contains(&t.submit_time)
    });
    assert_eq!(expected.len(), 2, "the fixture has a match for each user");
    assert_eq!(item_ids(&f.list_all(query)), expected);
}

#[test]
fn seed_request_returns_the_seed_shape() {
    // The seed's example: `New-Api-User: Bearer <id>` and `action=song`.
    let f = fixture();
    let headers: Headers = vec![
        ("Authorization", format!("Bearer {}", f.alice_token)),
        ("New-Api-User", format!("Bearer {}", f.alice)),
    ];
    let (status, body) = f.app.get(
        "/api/task/self?p=1&page_size=20&status=SUCCESS&platform=suno&action=song&start_timestamp=0&end_timestamp=9999999999",
        &headers,
    );
    let data = assert_ok(status, &body);
    let expected = f.expected(|t| {
        t.user_id == f.alice
            && t.status == TaskStatus::Success
            && t.platform == "suno"
            && t.action == "MUSIC"
    });
    assert_eq!(item_ids(data), expected);
    assert_eq!(data["total"], expected.len());
    assert_eq!(data["page"], 1);
    assert_eq!(data["page_size"], 20);
}

/// An app where root owns `n` tasks; returns their row ids newest first.
fn app_with_tasks(n: i64) -> (TestApp, Vec<i64>) {
    let app = spawn_app();
    let tasks: Vec<TaskSpec> = (0..n).map(|i| task(1, 1000 + i)).collect();
    let mut ids = app.insert_tasks(&tasks);
    ids.reverse();
    (app, ids)
}

fn page(app: &TestApp, path: &str, query: &str) -> Value {
    let (status, body) = app.get(&format!("{path}?{query}"), &as_root());
    assert_ok(status, &body).clone()
}

#[test]
fn pages_partition_the_list_and_the_last_page_is_partial() {
    let (app, ids) = app_with_tasks(5);
    for path in ["/api/task/self", "/api/task/"] {
        let mut seen = Vec::new();
        for (p, len) in [(1, 2), (2, 2), (3, 1)] {
            let data = page(&app, path, &format!("p={p}&page_size=2"));
            assert_eq!(items(&data).len(), len, "{path} p={p}");
            assert_eq!(data["total"], 5, "{path} p={p}");
            assert_eq!(data["page"], p, "{path} p={p}");
            assert_eq!(data["page_size"], 2, "{path} p={p}");
            seen.extend(item_ids(&data));
        }
        assert_eq!(seen, ids, "{path}: pages in order, no gaps, no repeats");
    }
}

#[test]
fn page_past_the_end_is_empty_with_the_true_total() {
    let (app, _) = app_with_tasks(5);
    for path in ["/api/task/self", "/api/task/"] {
        for p in ["4", "1000", "99999999999999999999"] {
            let data = page(&app, path, &format!("p={p}&page_size=2"));
            assert_eq!(data["items"], json!([]), "{path} p={p}");
            assert_eq!(data["total"], 5, "{path} p={p}");
        }
        let data = page(&app, path, "p=4&page_size=2");
        assert_eq!(data["page"], 4, "{path}");
    }
}

#[test]
fn total_counts_every_matching_row_not_the_page() {
    let f = fixture();
    let data = f.list_all("status=success&page_size=2");
    assert_eq!(items(&data).len(), 2);
    assert_eq!(
        data["total"],
        f.expected(|t| t.status == TaskStatus::Success).len()
    );
}

#[test]
fn default_page_size_is_20() {
    let (app, ids) = app_with_tasks(25);
    for path in ["/api/task/self", "/api/task/"] {
        let data = page(&app, path, "");
        assert_eq!(item_ids(&data), ids[..20], "{path}");
        assert_eq!(data["total"], 25);
        let data = page(&app, path, "p=2");
        assert_eq!(item_ids(&data), ids[20..], "{path}");
    }
}

#[test]
fn page_size_above_100_is_clamped_to_100() {
    let (app, ids) = app_with_tasks(105);
    for path in ["/api/task/self", "/api/task/"] {
        for size in ["101", "150", "1000000", "99999999999999999999"] {
            let data = page(&app, path, &format!("page_size={size}"));
            assert_eq!(data["page_size"], 100, "{path} page_size={size}");
            assert_eq!(item_ids(&data), ids[..100], "{path} page_size={size}");
            assert_eq!(data["total"], 105);
        }
        let data = page(&app, path, "page_size=1000&p=2");
        assert_eq!(item_ids(&data), ids[100..], "{path}: page 2 of 100");
        let data = page(&app, path, "page_size=100");
        assert_eq!(items(&data).len(), 100, "{path}: 100 itself is allowed");
    }
}

#[test]
fn p_zero_is_read_as_the_first_page() {
    let (app, ids) = app_with_tasks(3);
    for path in ["/api/task/self", "/api/task/"] {
        let data = page(&app, path, "p=0&page_size=2");
        assert_eq!(data["page"], 1, "{path}");
        assert_eq!(item_ids(&data), ids[..2], "{path}");
    }
}

/// Asserts both lists reject `query` with a 400 whose message names `word`.
fn assert_bad_request(app: &TestApp, query: &str, word: &str) -> String {
    let mut last = String::new();
    for path in ["/api/task/self", "/api/task/"] {
        let (status, body) = app.get(&format!("{path}?{query}"), &as_root());
        let message = assert_error(status, &body, 400);
        assert!(
            mentions(&message, word),
            "{path}?{query}: the message names {word}: {message}"
        );
        last = message;
    }
    last
}

#[test]
fn negative_or_non_numeric_p_is_400() {
    let (app, _) = app_with_tasks(1);
    for p in ["-1", "-100", "abc", "1.5", "1e3", "one"] {
        assert_bad_request(&app, &format!("p={p}"), "p");
    }
}

#[test]
fn page_size_below_1_or_non_numeric_is_400() {
    let (app, _) = app_with_tasks(1);
    for size in ["0", "-1", "-100", "abc", "2.5", "twenty"] {
        assert_bad_request(&app, &format!("page_size={size}"), "page_size");
    }
}

#[test]
fn unknown_status_is_400_naming_the_valid_values() {
    let app = spawn_app();
    for word in ["DONE", "succeeded", "1", "SUCCESS_"] {
        let message = assert_bad_request(&app, &format!("status={word}"), "status");
        for valid in ALL_STATUSES {
            assert!(
                message.contains(valid.as_str()),
                "status={word}: the message lists {valid}: {message}"
            );
        }
    }
}

#[test]
fn start_after_end_is_400() {
    let app = spawn_app();
    let message = assert_bad_request(
        &app,
        "start_timestamp=2000&end_timestamp=1999",
        "start_timestamp",
    );
    assert!(mentions(&message, "end_timestamp"), "{message}");
}

#[test]
fn non_numeric_timestamps_are_400() {
    let app = spawn_app();
    for value in ["abc", "1.5", "2024-01-01"] {
        assert_bad_request(&app, &format!("start_timestamp={value}"), "start_timestamp");
        assert_bad_request(&app, &format!("end_timestamp={value}"), "end_timestamp");
    }
}

#[test]
fn non_numeric_channel_id_is_400_on_the_admin_list() {
    let app = spawn_app();
    for value in ["abc", "1.5", "one"] {
        let (status, body) = app.get(&format!("/api/task/?channel_id={value}"), &as_root());
        let message = assert_error(status, &body, 400);
        assert!(mentions(&message, "channel_id"), "{message}");
    }
}

#[test]
fn database_error_is_a_500_with_a_message_not_an_empty_success() {
    let app = spawn_app();
    app.insert_tasks(&[task(1, 100)]);
    app.db.execute("DROP TABLE tasks", []);
    for path in ["/api/task/self", "/api/task/"] {
        let (status, body) = app.get(path, &as_root());
        assert_error(status, &body, 500);
    }
}
