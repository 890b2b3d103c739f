//! `GET /v1/videos`: cursor pages in both orders.

use serde_json::Value;

use super::support::{VideoCalls, assert_invalid, mock};
use crate::common::with_client;

/// The ids of a list page.
fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn pages_walk_newest_first_by_default_and_oldest_first_when_asked() {
    let (mock, client) = with_client(mock(60_000));
    let created: Vec<String> = (0..5).map(|i| client.create_id(&format!("v{i}"))).collect();
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let first = client.get("/v1/videos?limit=2").expect("list").json;
    assert_eq!(first["object"], "list");
    assert_eq!(ids(&first), newest_first[..2]);
    assert_eq!(first["first_id"], newest_first[0].as_str());
    assert_eq!(first["last_id"], newest_first[1].as_str());
    assert_eq!(first["has_more"], true);
    assert_eq!(first["data"][0]["object"], "video");

    let mut walked = ids(&first);
    let mut after = first["last_id"].as_str().unwrap().to_string();
    loop {
        let page = client
            .get(&format!("/v1/videos?limit=2&after={after}"))
            .expect("list")
            .json;
        walked.extend(ids(&page));
        if page["has_more"] == false {
            break;
        }
        after = page["last_id"].as_str().unwrap().to_string();
    }
    assert_eq!(walked, newest_first);

    let oldest = client
        .get("/v1/videos?order=asc&limit=3")
        .expect("list")
        .json;
    assert_eq!(ids(&oldest), created[..3]);
    let rest = client
        .get(&format!("/v1/videos?order=asc&after={}", created[2]))
        .expect("list")
        .json;
    assert_eq!(
        (ids(&rest), rest["has_more"].as_bool()),
        (created[3..].to_vec(), Some(false))
    );
    assert_eq!(mock.stats().lists, 5);
}

#[test]
fn an_empty_list_has_null_cursors_and_bad_queries_are_400() {
    let (_mock, client) = with_client(mock(0));
    let empty = client.get("/v1/videos").expect("list").json;
    assert_eq!(
        empty,
        serde_json::json!({"object": "list", "data": [], "first_id": null, "last_id": null,
                           "has_more": false})
    );
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=500", "limit"),
        ("order=sideways", "order"),
        ("after=video_gone", "after"),
    ] {
        let reply = client.get(&format!("/v1/videos?{query}")).expect("list");
        assert_invalid(&reply, param);
    }
}
