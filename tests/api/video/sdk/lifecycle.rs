//! A video's life through the SDK: created, polled to the end, downloaded;
//! a failure refunded once; a remix; a reference image; a channel that
//! calls the model otherwise upstream.

use async_openai::traits::RequestOptionsBuilder;
use async_openai::types::InputSource;
use async_openai::types::videos::{
    CreateVideoRequest, ImageInput, RemixVideoRequest, VideoSeconds, VideoSize, VideoStatus,
};

use super::{Setup, World, request, runtime, until_final};
use crate::kit::LOG_REFUND;
use crate::kit::video::VIDEO_CHARGE;
use crate::mock::video::{VIDEO_FAIL_MESSAGE, Variant};

#[test]
fn an_sdk_video_is_created_polled_to_completion_and_downloaded_byte_for_byte() {
    let world = World::start(Setup::new(600, 0.0));
    let sdk = world.sdk(&world.alice.key);
    runtime().block_on(async {
        let created = world.saw(
            sdk.videos()
                .create(CreateVideoRequest {
                    model: "sora-2".into(),
                    prompt: "a cat on a skateboard".into(),
                    seconds: Some(VideoSeconds::Eight),
                    size: Some(VideoSize::S1280x720),
                    ..Default::default()
                })
                .await
                .expect("create"),
        );
        assert!(created.id.starts_with("task_"), "{created:?}");
        assert!(matches!(created.status, VideoStatus::Queued), "{created:?}");
        assert_eq!(created.model, "sora-2");
        assert_eq!(created.seconds, VideoSeconds::Eight);
        assert_eq!(created.size, VideoSize::S1280x720);
        assert_eq!(created.progress, 0);
        assert_eq!(
            world.db.quota(world.alice.id),
            10 * VIDEO_CHARGE - 2 * VIDEO_CHARGE
        );

        let done = until_final(&world, &sdk, &created.id).await;
        assert!(matches!(done.status, VideoStatus::Completed), "{done:?}");
        assert_eq!(
            (done.id.as_str(), done.progress),
            (created.id.as_str(), 100)
        );
        assert!(
            done.completed_at.is_some() && done.error.is_none(),
            "{done:?}"
        );
        let task = world.db.task(&created.id);
        assert_eq!(task.status, "SUCCESS");

        let bytes = sdk
            .videos()
            .download_content(&created.id)
            .await
            .expect("download the video");
        let expected = world
            .mock
            .content_bytes(&task.upstream_task_id, Variant::Video)
            .expect("the mock's video");
        assert!(
            bytes.len() > 1000 && bytes[..] == expected[..],
            "the mock's bytes"
        );
        let thumbnail = sdk
            .videos()
            .query(&[("variant", "thumbnail")])
            .expect("a query")
            .download_content(&created.id)
            .await
            .expect("download the thumbnail");
        let expected = world
            .mock
            .content_bytes(&task.upstream_task_id, Variant::Thumbnail)
            .expect("the mock's thumbnail");
        assert_eq!(thumbnail[..], expected[..]);
    });
    world.assert_nothing_leaked();
    world.assert_books_balance();
}

#[test]
fn an_sdk_video_that_fails_upstream_is_refunded_exactly_once() {
    let world = World::start(Setup::new(300, 1.0));
    let sdk = world.sdk(&world.alice.key);
    let before = world.db.quota(world.alice.id);
    runtime().block_on(async {
        let created = world.saw(
            sdk.videos()
                .create(request("doomed"))
                .await
                .expect("create"),
        );
        assert_eq!(world.db.quota(world.alice.id), before - VIDEO_CHARGE);
        let failed = until_final(&world, &sdk, &created.id).await;
        assert!(matches!(failed.status, VideoStatus::Failed), "{failed:?}");
        let error = failed.error.expect("a failed video says why");
        assert_eq!(error.message, VIDEO_FAIL_MESSAGE);
        assert!(!error.code.is_empty());
        // Content of a failed video is not there.
        let (status, _) =
            super::api_error(&world, sdk.videos().download_content(&created.id).await);
        assert_eq!(status, 404);

        // Later passes must not refund again.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(world.db.quota(world.alice.id), before);
        let refunds = world.db.refunds(&created.id);
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(
            (refunds[0].log_type, refunds[0].quota),
            (LOG_REFUND, VIDEO_CHARGE)
        );
        assert_eq!(world.db.task(&created.id).refunded, 1);
    });
    world.assert_nothing_leaked();
    world.assert_books_balance();
}

#[test]
fn an_sdk_remix_of_a_completed_video_is_a_new_charged_video_on_the_same_upstream() {
    let world = World::start(Setup::new(300, 0.0));
    let sdk = world.sdk(&world.alice.key);
    runtime().block_on(async {
        let source = world.saw(
            sdk.videos()
                .create(CreateVideoRequest {
                    prompt: "a dog".into(),
                    model: "sora-2-pro".into(),
                    size: Some(VideoSize::S1024x1792),
                    ..Default::default()
                })
                .await
                .expect("create"),
        );
        until_final(&world, &sdk, &source.id).await;
        let quota = world.db.quota(world.alice.id);
        let remix = world.saw(
            sdk.videos()
                .remix(
                    &source.id,
                    RemixVideoRequest {
                        prompt: "the dog dances".into(),
                    },
                )
                .await
                .expect("remix"),
        );
        assert_ne!(remix.id, source.id);
        assert_eq!(
            remix.remixed_from_video_id.as_deref(),
            Some(source.id.as_str())
        );
        assert_eq!(
            (remix.model.as_str(), &remix.size),
            ("sora-2-pro", &VideoSize::S1024x1792)
        );
        // sora-2-pro at 1024x1792: 0.50 USD/s × 4 s.
        assert_eq!(quota - world.db.quota(world.alice.id), 1_000_000);
        let task = world.db.task(&remix.id);
        assert_eq!(task.action, "remixGenerate");
        let source_upstream = world.db.task(&source.id).upstream_task_id;
        let upstream = world.mock.created();
        let last = upstream.last().expect("the remix went upstream");
        assert_eq!(
            last.remixed_from_video_id.as_deref(),
            Some(source_upstream.as_str())
        );
        assert_eq!(last.prompt, "the dog dances");

        let done = until_final(&world, &sdk, &remix.id).await;
        assert!(matches!(done.status, VideoStatus::Completed), "{done:?}");
        let bytes = sdk
            .videos()
            .download_content(&remix.id)
            .await
            .expect("download");
        let expected = world
            .mock
            .content_bytes(&task.upstream_task_id, Variant::Video)
            .expect("the mock's video");
        assert_eq!(bytes[..], expected[..]);
    });
    world.assert_nothing_leaked();
}

#[test]
fn an_sdk_create_with_an_image_sends_the_file_upstream() {
    let world = World::start(Setup::new(3_600_000, 0.0));
    let sdk = world.sdk(&world.alice.key);
    let image: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
    runtime().block_on(async {
        let created = world.saw(
            sdk.videos()
                .create(CreateVideoRequest {
                    prompt: "the picture comes alive".into(),
                    input_reference: Some(ImageInput {
                        source: InputSource::VecU8 {
                            filename: "cat.png".into(),
                            vec: image.clone(),
                        },
                    }),
                    ..Default::default()
                })
                .await
                .expect("create"),
        );
        assert!(matches!(created.status, VideoStatus::Queued));
        assert_eq!(world.db.task(&created.id).action, "generate");
    });
    let upstream = world.mock.created();
    let reference = upstream[0]
        .input_reference
        .as_ref()
        .expect("the image went upstream");
    assert_eq!(reference.bytes, image.len() as u64);
    assert_eq!(reference.filename.as_deref(), Some("cat.png"));
    world.assert_nothing_leaked();
}

#[test]
fn a_channel_model_mapping_sends_the_upstream_name_while_the_sdk_sees_its_own() {
    let world = World::start(Setup {
        model_mapping: r#"{"sora-2":"sora-2-pro"}"#,
        ..Setup::new(300, 0.0)
    });
    let sdk = world.sdk(&world.alice.key);
    runtime().block_on(async {
        let created = world.saw(
            sdk.videos()
                .create(request("mapped"))
                .await
                .expect("create"),
        );
        assert_eq!(created.model, "sora-2");
        let done = until_final(&world, &sdk, &created.id).await;
        assert_eq!(
            done.model, "sora-2",
            "the client's model, not the upstream's"
        );
        let listed = world.saw(sdk.videos().list().await.expect("list"));
        assert_eq!(listed.data[0].model, "sora-2");
        // Priced as the client's model: sora-2, 4 s.
        assert_eq!(world.db.task(&created.id).quota, VIDEO_CHARGE);
        assert_eq!(world.db.task(&created.id).model_name, "sora-2");
    });
    assert_eq!(world.mock.created()[0].model, "sora-2-pro");
}
