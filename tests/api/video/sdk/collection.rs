//! The caller's videos through the SDK: cursor pages both ways, and
//! deletion.

use async_openai::traits::RequestOptionsBuilder;
use async_openai::types::videos::{ListVideosOrder, ListVideosQuery, VideoListResource};

use super::{Sdk, Setup, World, assert_refused, request, runtime};

/// One page of `sdk`'s videos.
async fn page(
    world: &World,
    sdk: &Sdk,
    limit: u32,
    order: Option<ListVideosOrder>,
    after: Option<String>,
) -> VideoListResource {
    let query = ListVideosQuery {
        limit: Some(limit),
        order,
        after,
    };
    world.saw(
        sdk.videos()
            .query(&query)
            .expect("a query")
            .list()
            .await
            .expect("list"),
    )
}

/// Every id of `sdk`'s videos, walking pages of `limit` with `after`.
async fn walk(world: &World, sdk: &Sdk, limit: u32, order: ListVideosOrder) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..20 {
        let page = page(world, sdk, limit, Some(order.clone()), after.clone()).await;
        assert_eq!(page.object, "list");
        assert!(page.data.len() <= limit as usize);
        assert_eq!(page.first_id, page.data.first().map(|v| v.id.clone()));
        assert_eq!(page.last_id, page.data.last().map(|v| v.id.clone()));
        ids.extend(page.data.iter().map(|v| v.id.clone()));
        if !page.has_more {
            return ids;
        }
        after = page.last_id;
    }
    panic!("the pages never ended: {ids:?}");
}

#[test]
fn sdk_list_pages_walk_every_video_once_in_either_order() {
    let world = World::start(Setup::new(3_600_000, 0.0));
    let sdk = world.sdk(&world.alice.key);
    let bob = world.person("bob", 1_000_000, "default");
    let bob_sdk = world.sdk(&bob.key);
    runtime().block_on(async {
        let mut created = Vec::new();
        for i in 0..5 {
            let video = sdk.videos().create(request(&format!("video {i}"))).await;
            created.push(world.saw(video.expect("create")).id);
        }
        world.saw(
            bob_sdk
                .videos()
                .create(request("bob's"))
                .await
                .expect("create"),
        );

        assert_eq!(walk(&world, &sdk, 2, ListVideosOrder::Asc).await, created);
        let mut newest_first = created.clone();
        newest_first.reverse();
        assert_eq!(
            walk(&world, &sdk, 2, ListVideosOrder::Desc).await,
            newest_first
        );

        // Defaults: newest first, all five on one page.
        let all = world.saw(sdk.videos().list().await.expect("list"));
        assert!(!all.has_more);
        let ids: Vec<String> = all.data.iter().map(|v| v.id.clone()).collect();
        assert_eq!(ids, newest_first);

        // A full last page says there is no more.
        let exact = page(&world, &sdk, 5, None, None).await;
        assert_eq!((exact.data.len(), exact.has_more), (5, false));
        let short = page(&world, &sdk, 4, None, None).await;
        assert_eq!((short.data.len(), short.has_more), (4, true));

        // Another user's id is no cursor.
        let bobs = world.saw(bob_sdk.videos().list().await.expect("list"));
        assert_eq!(bobs.data.len(), 1);
        let query = ListVideosQuery {
            after: Some(bobs.data[0].id.clone()),
            ..Default::default()
        };
        let refused = sdk.videos().query(&query).expect("a query").list().await;
        assert_refused(
            &world,
            refused,
            400,
            "invalid_request_error",
            "invalid_request",
        );
        let over = ListVideosQuery {
            limit: Some(101),
            ..Default::default()
        };
        let refused = sdk.videos().query(&over).expect("a query").list().await;
        assert_refused(
            &world,
            refused,
            400,
            "invalid_request_error",
            "invalid_request",
        );
    });
    world.assert_nothing_leaked();
}

#[test]
fn an_sdk_delete_hides_the_video_but_keeps_its_books() {
    let world = World::start(Setup::new(300, 0.0));
    let sdk = world.sdk(&world.alice.key);
    runtime().block_on(async {
        let keep = world.saw(sdk.videos().create(request("keep")).await.expect("create"));
        let gone = world.saw(sdk.videos().create(request("gone")).await.expect("create"));
        super::until_final(&world, &sdk, &gone.id).await;
        let upstream_id = world.db.task(&gone.id).upstream_task_id;

        let receipt = world.saw(sdk.videos().delete(&gone.id).await.expect("delete"));
        assert_eq!(
            (
                receipt.id.as_str(),
                receipt.object.as_str(),
                receipt.deleted
            ),
            (gone.id.as_str(), "video.deleted", true)
        );
        assert_eq!(world.mock.stats().deletes, 1, "deleted upstream too");
        assert!(world.mock.status_of(&upstream_id).is_none());

        let listed = world.saw(sdk.videos().list().await.expect("list"));
        let ids: Vec<&str> = listed.data.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, [keep.id.as_str()]);
        for result in [
            sdk.videos().retrieve(&gone.id).await.map(|_| ()),
            sdk.videos().delete(&gone.id).await.map(|_| ()),
            sdk.videos().download_content(&gone.id).await.map(|_| ()),
        ] {
            assert_refused(
                &world,
                result,
                404,
                "invalid_request_error",
                "video_not_found",
            );
        }
        // The task and its charge stay on the books.
        let task = world.db.task(&gone.id);
        assert_eq!((task.status.as_str(), task.refunded), ("SUCCESS", 0));
    });
    world.assert_nothing_leaked();
    world.assert_books_balance();
}
