//! Every refusal as the SDK reports it: `OpenAIError::ApiError` with the
//! HTTP status, and OpenAI's `message`, `type` and `code` (for a 5xx the
//! SDK keeps the raw body as the message: it must still be OpenAI's error
//! object). Nothing refused is charged.

use async_openai::types::InputSource;
use async_openai::types::videos::{CreateVideoRequest, ImageInput, VideoSeconds};
use serde_json::Value;

use super::{Setup, World, api_error, assert_refused, request, runtime};
use crate::kit::video::VIDEO_CHARGE;

#[test]
fn sdk_errors_carry_the_status_type_and_code_of_each_refusal() {
    let world = World::start(Setup::new(3_600_000, 0.0));
    let sdk = world.sdk(&world.alice.key);
    let alice_quota = world.db.quota(world.alice.id);
    let bob = world.person("bob", 1_000_000, "default");
    let poor = world.person("poor", VIDEO_CHARGE - 1, "default");
    let disabled = world.person("disabled", 1_000_000, "default");
    world.set_key_status(&disabled, 2);
    let lonely = world.person("lonely", 1_000_000, "nobody-serves-this-group");
    runtime().block_on(async {
        // 400: invalid fields, checked before anything is charged.
        let invalid = [
            request(""),
            CreateVideoRequest {
                seconds: Some(VideoSeconds::Other("5".into())),
                ..request("p")
            },
            CreateVideoRequest {
                model: "sora-9".into(),
                ..request("p")
            },
        ];
        for body in invalid {
            let refused = sdk.videos().create(body).await;
            assert_refused(
                &world,
                refused,
                400,
                "invalid_request_error",
                "invalid_request",
            );
        }
        assert_eq!(world.db.quota(world.alice.id), alice_quota);

        // 401: a key nobody has.
        let stranger = world.sdk("sk-nobody-has-this-key");
        let refused = stranger.videos().create(request("p")).await;
        assert_refused(
            &world,
            refused,
            401,
            "authentication_error",
            "invalid_api_key",
        );
        let refused = stranger.videos().list().await;
        assert_refused(
            &world,
            refused,
            401,
            "authentication_error",
            "invalid_api_key",
        );

        // 403: a disabled key; not enough quota (nothing charged).
        let refused = world.sdk(&disabled.key).videos().create(request("p")).await;
        assert_refused(&world, refused, 403, "permission_error", "forbidden");
        let refused = world.sdk(&poor.key).videos().create(request("p")).await;
        assert_refused(
            &world,
            refused,
            403,
            "permission_error",
            "insufficient_quota",
        );
        assert_eq!(world.db.quota(poor.id), VIDEO_CHARGE - 1);

        // 404: unknown, another user's, an upstream id.
        let mine = world.saw(sdk.videos().create(request("mine")).await.expect("create"));
        let bob_sdk = world.sdk(&bob.key);
        let upstream_id = world.db.task(&mine.id).upstream_task_id;
        for id in ["task_unknown", mine.id.as_str(), upstream_id.as_str()] {
            let refused = bob_sdk.videos().retrieve(id).await;
            assert_refused(
                &world,
                refused,
                404,
                "invalid_request_error",
                "video_not_found",
            );
        }
        let refused = sdk.videos().retrieve(&upstream_id).await;
        let message = assert_refused(
            &world,
            refused,
            404,
            "invalid_request_error",
            "video_not_found",
        );
        assert!(!message.contains(&upstream_id), "{message}");
        // Content of a video not completed yet.
        let refused = sdk.videos().download_content(&mine.id).await;
        assert_refused(
            &world,
            refused,
            404,
            "invalid_request_error",
            "video_not_found",
        );

        // 413: a reference image over 20 MiB.
        let huge = CreateVideoRequest {
            input_reference: Some(ImageInput {
                source: InputSource::VecU8 {
                    filename: "huge.png".into(),
                    vec: vec![7u8; 20 * 1024 * 1024 + 1],
                },
            }),
            ..request("too big")
        };
        let refused = sdk.videos().create(huge).await;
        assert_refused(
            &world,
            refused,
            413,
            "invalid_request_error",
            "request_too_large",
        );

        // 503: no channel serves the user's group. The SDK keeps a 5xx
        // body as the message, unparsed: it is still OpenAI's error.
        let (status, error) = api_error(
            &world,
            world.sdk(&lonely.key).videos().create(request("p")).await,
        );
        assert_eq!(status, 503, "{error:?}");
        let body: Value = serde_json::from_str(&error.message).expect("a JSON error body");
        assert_eq!(body["error"]["type"], "server_error", "{body}");
        assert_eq!(body["error"]["code"], "no_available_channel", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(world.db.quota(lonely.id), 1_000_000);
    });
    assert_eq!(
        world.db.quota(world.alice.id),
        alice_quota - VIDEO_CHARGE,
        "only the one accepted video was charged"
    );
    assert_eq!(world.mock.created().len(), 1);
    world.assert_nothing_leaked();
    world.assert_books_balance();
}
