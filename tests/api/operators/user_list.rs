//! `GET /api/user/` and `GET /api/user/{id}`: who may list and look up
//! users, what an item shows, keyword search and pagination.

use std::collections::BTreeSet;

use serde_json::json;

use crate::kit::{as_root, assert_error, assert_ok, item_ids, items, mentions, spawn_app};

#[test]
fn user_list_and_lookup_are_for_admins() {
    let app = spawn_app();
    let (admin, admin_headers) = app.named_user("admin", "Admin", 10);
    let (common, common_headers) = app.named_user("common", "Common", 1);
    for path in [
        "/api/user/".to_string(),
        format!("/api/user/{common}"),
        format!("/api/user/{admin}"),
    ] {
        let (status, body) = app.get(&path, &common_headers);
        assert_error(status, &body, 403);
        let (status, body) = app.get(&path, &vec![]);
        assert_error(status, &body, 401);
        for headers in [&admin_headers, &as_root()] {
            let (status, body) = app.get(&path, headers);
            assert_ok(status, &body);
        }
    }
}

#[test]
fn user_list_shows_every_user_without_secrets() {
    let app = spawn_app();
    let (alice, _) = app.named_user("alice", "Alice Liddell", 1);
    let data = app.get_ok("/api/user/", &as_root());
    assert_eq!(data["total"], 2, "{data}");
    assert_eq!(data["page"], 1, "{data}");
    assert_eq!(data["page_size"], 20, "{data}");
    let ids: BTreeSet<i64> = item_ids(&data).into_iter().collect();
    assert_eq!(ids, BTreeSet::from([1, alice]));
    let item = items(&data)
        .iter()
        .find(|u| u["id"] == alice)
        .expect("alice");
    assert_eq!(item["username"], "alice");
    assert_eq!(item["display_name"], "Alice Liddell");
    assert_eq!(item["role"], 1);
    assert_eq!(item["status"], 1);
    assert_eq!(item["group"], "default");
    let text = data.to_string();
    for secret in ["password", "access_token", "hash"] {
        assert!(!text.contains(secret), "no {secret} in {text}");
    }
}

#[test]
fn user_keyword_matches_username_or_display_name() {
    let app = spawn_app();
    let (alice, _) = app.named_user("alice", "Alice Liddell", 1);
    let (bob, _) = app.named_user("bob", "Builder Bob", 1);
    let (carol, _) = app.named_user("carol", "Wonderland Queen", 1);
    let (dave, _) = app.named_user("dave_x", "100% Dave", 1);
    let cases: [(&str, Vec<i64>); 7] = [
        ("ali", vec![alice]),
        ("liddell", vec![alice]),
        ("wonder", vec![carol]),
        ("Builder", vec![bob]),
        // Wildcards of LIKE are plain characters in a keyword.
        ("%25", vec![dave]),
        ("_", vec![dave]),
        ("nobody-at-all", vec![]),
    ];
    for (keyword, expected) in cases {
        let data = app.get_ok(&format!("/api/user/?keyword={keyword}"), &as_root());
        let found: BTreeSet<i64> = item_ids(&data).into_iter().collect();
        let expected: BTreeSet<i64> = expected.into_iter().collect();
        assert_eq!(found, expected, "keyword={keyword}: {data}");
        assert_eq!(data["total"], expected.len(), "keyword={keyword}: {data}");
    }
    let data = app.get_ok("/api/user/?keyword=", &as_root());
    assert_eq!(data["total"], 5, "an empty keyword means any: {data}");
}

#[test]
fn user_list_pages_like_the_task_lists() {
    let app = spawn_app();
    let mut all = vec![1];
    for i in 0..6 {
        all.push(app.named_user(&format!("u{i}"), &format!("User {i}"), 1).0);
    }
    let mut seen = Vec::new();
    for (p, len) in [(1, 3), (2, 3), (3, 1)] {
        let data = app.get_ok(&format!("/api/user/?p={p}&page_size=3"), &as_root());
        assert_eq!(items(&data).len(), len, "p={p}: {data}");
        assert_eq!(data["total"], 7, "p={p}");
        assert_eq!(data["page"], p, "p={p}");
        assert_eq!(data["page_size"], 3, "p={p}");
        seen.extend(item_ids(&data));
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no user on two pages: {seen:?}");
    assert_eq!(unique, all.into_iter().collect(), "every user on some page");

    for p in ["4", "1000", "99999999999999999999"] {
        let data = app.get_ok(&format!("/api/user/?p={p}&page_size=3"), &as_root());
        assert_eq!(data["items"], json!([]), "p={p}");
        assert_eq!(data["total"], 7, "p={p}");
    }
    let data = app.get_ok("/api/user/?p=0&page_size=3", &as_root());
    assert_eq!(data["page"], 1);
    assert_eq!(items(&data).len(), 3);
    let data = app.get_ok("/api/user/?page_size=1000", &as_root());
    assert_eq!(data["page_size"], 100);
    assert_eq!(items(&data).len(), 7);
}

#[test]
fn user_list_bad_page_parameters_are_400() {
    let app = spawn_app();
    for (query, word) in [
        ("p=-1", "p"),
        ("p=abc", "p"),
        ("p=1.5", "p"),
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=ten", "page_size"),
    ] {
        let (status, body) = app.get(&format!("/api/user/?{query}"), &as_root());
        let message = assert_error(status, &body, 400);
        assert!(mentions(&message, word), "{query}: {message}");
    }
}

#[test]
fn user_lookup_shows_one_user_and_404s_the_unknown() {
    let app = spawn_app();
    let (bob, _) = app.named_user("bob", "Builder Bob", 1);
    let data = app.get_ok(&format!("/api/user/{bob}"), &as_root());
    assert_eq!(data["id"], bob);
    assert_eq!(data["username"], "bob");
    assert_eq!(data["display_name"], "Builder Bob");
    assert_eq!(data["quota"], 0);
    for secret in ["password", "access_token", "hash"] {
        assert!(!data.to_string().contains(secret), "no {secret}: {data}");
    }
    let (status, body) = app.get("/api/user/9999", &as_root());
    assert_error(status, &body, 404);
    let (status, body) = app.get("/api/user/abc", &as_root());
    assert_error(status, &body, 400);
}
