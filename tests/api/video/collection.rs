//! The caller's videos as a collection: cursor pages, deletion that hides
//! without touching the books, and remixes of completed videos.

use serde_json::{Value, json};

use super::alice_with_video_channel;
use crate::kit::bearer;
use crate::kit::video::{VIDEO_CHARGE, assert_openai_error};
use crate::mock::video::VideoStatus;

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {page}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_list_pages_with_a_cursor_newest_first_or_oldest_first() {
    let (app, _up, alice) = alice_with_video_channel(100_000_000);
    let bob = app.customer("bob", 1_000_000);
    let made: Vec<String> = (0..5)
        .map(|i| {
            let v = app.create_video_ok(&alice.key, &json!({"prompt": format!("v{i}")}));
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    app.create_video_ok(&bob.key, &json!({"prompt": "bob's"}));
    let key = bearer(&alice.key);

    let (status, page) = app.get("/v1/videos?limit=2", &key);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["object"], "list");
    assert_eq!(ids(&page), [made[4].clone(), made[3].clone()]);
    assert_eq!(
        (page["has_more"].clone(), page["last_id"].clone()),
        (json!(true), json!(made[3]))
    );
    assert_eq!(page["first_id"], made[4].as_str());
    let (_, page) = app.get(&format!("/v1/videos?limit=2&after={}", made[3]), &key);
    assert_eq!(ids(&page), [made[2].clone(), made[1].clone()]);
    let (_, page) = app.get(&format!("/v1/videos?limit=2&after={}", made[1]), &key);
    assert_eq!(ids(&page), [made[0].clone()]);
    assert_eq!(page["has_more"], false);

    let (_, page) = app.get("/v1/videos?order=asc", &key);
    assert_eq!(ids(&page), made, "oldest first, only alice's");

    for bad in ["limit=101", "limit=0", "order=sideways", "after=task_nope"] {
        let (status, body) = app.get(&format!("/v1/videos?{bad}"), &key);
        assert_openai_error(status, &body, 400);
    }
}

#[test]
fn a_deleted_video_is_gone_for_its_owner_and_its_charge_stays() {
    let (app, up, alice) = alice_with_video_channel(1_000_000);
    let video = app.create_video_ok(&alice.key, &json!({"prompt": "to delete"}));
    let id = video["id"].as_str().unwrap();
    let (status, body) = app.delete(&format!("/v1/videos/{id}"), &bearer(&alice.key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"id": id, "object": "video.deleted", "deleted": true})
    );
    assert_eq!(up.mock.stats().deletes, 1, "deleted upstream too");

    let (status, body) = app.video(&alice.key, id);
    assert_openai_error(status, &body, 404);
    let (status, body) = app.delete(&format!("/v1/videos/{id}"), &bearer(&alice.key));
    assert_openai_error(status, &body, 404);
    let (_, page) = app.get("/v1/videos", &bearer(&alice.key));
    assert!(ids(&page).is_empty(), "{page}");

    let task = app.db.task(id);
    assert_eq!(
        (task.quota, task.refunded),
        (VIDEO_CHARGE, 0),
        "the books are untouched"
    );
    assert_eq!(app.db.quota(alice.id), 1_000_000 - VIDEO_CHARGE);
}

#[test]
fn a_completed_video_is_remixed_on_its_channel_priced_like_its_source() {
    let (app, up, alice) = alice_with_video_channel(10_000_000);
    let source = app.create_video_ok(
        &alice.key,
        &json!({"prompt": "a dog", "model": "sora-2-pro", "seconds": "8", "size": "1792x1024"}),
    );
    let source_id = source["id"].as_str().unwrap();
    let path = format!("/v1/videos/{source_id}/remix");
    // Not completed yet: refused, nothing charged.
    let (status, body) = app.post(&path, &bearer(&alice.key), &json!({"prompt": "now a cat"}));
    assert_openai_error(status, &body, 400);

    let upstream_source = app.db.task(source_id).upstream_task_id;
    up.mock.set_status(&upstream_source, VideoStatus::Completed);
    app.pass_when_due();
    let (status, remix) = app.post(&path, &bearer(&alice.key), &json!({"prompt": "now a cat"}));
    assert_eq!(status, 200, "{remix}");
    assert_eq!(remix["remixed_from_video_id"], source_id);
    assert_eq!(
        (remix["seconds"].clone(), remix["size"].clone()),
        (json!("8"), json!("1792x1024"))
    );
    let task = app.db.task(remix["id"].as_str().unwrap());
    assert_eq!(task.action, "remixGenerate");
    assert_eq!(
        task.quota,
        app.db.task(source_id).quota,
        "priced like its source"
    );
    assert_eq!(task.quota, 2_000_000);
    let created = up.mock.created();
    assert_eq!(
        created.last().unwrap().remixed_from_video_id.as_deref(),
        Some(upstream_source.as_str())
    );

    let (status, body) = app.post(&path, &bearer(&alice.key), &json!({"prompt": ""}));
    assert_openai_error(status, &body, 400);
    let bob = app.customer("bob", 10_000_000);
    let (status, body) = app.post(&path, &bearer(&bob.key), &json!({"prompt": "mine now"}));
    assert_openai_error(status, &body, 404);
}

#[test]
fn two_hundred_concurrent_creates_by_a_user_who_can_afford_fifty_accept_exactly_fifty() {
    let (app, _up, _alice) = alice_with_video_channel(0);
    let payer = app.customer("payer", 50 * VIDEO_CHARGE);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let (app, key) = (&app, &payer.key);
                s.spawn(move || {
                    app.create_video(key, &json!({"prompt": format!("rush {i}")}))
                        .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(accepted, 50, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 403),
        "{statuses:?}"
    );
    assert_eq!(app.db.quota(payer.id), 0);
    assert_eq!(app.db.task_count(payer.id), 50);
}
