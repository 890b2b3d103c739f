//! Many SDK clients at once against one balance.

use std::sync::Arc;

use async_openai::error::OpenAIError;
use tokio::task::JoinSet;

use super::{Setup, World, request, runtime};
use crate::kit::LOG_CONSUME;
use crate::kit::video::VIDEO_CHARGE;

#[test]
fn two_hundred_concurrent_sdk_creates_from_a_user_who_can_pay_for_fifty_accept_exactly_fifty() {
    let world = Arc::new(World::start(Setup {
        quota: 50 * VIDEO_CHARGE,
        // Nothing to poll for while the creates race.
        poll_interval_ms: 60_000,
        ..Setup::new(3_600_000, 0.0)
    }));
    let (accepted, refused) = runtime().block_on(async {
        let mut creates = JoinSet::new();
        for i in 0..200 {
            let world = world.clone();
            creates.spawn(async move {
                let sdk = world.sdk(&world.alice.key);
                sdk.videos().create(request(&format!("race {i}"))).await
            });
        }
        let (mut accepted, mut refused) = (Vec::new(), 0);
        while let Some(done) = creates.join_next().await {
            match done.expect("the task ran") {
                Ok(video) => accepted.push(world.saw(video).id),
                Err(OpenAIError::ApiError(e)) => {
                    assert_eq!(e.status_code.as_u16(), 403, "{e:?}");
                    assert_eq!(e.api_error.code.as_deref(), Some("insufficient_quota"));
                    refused += 1;
                }
                Err(other) => panic!("an unexpected failure: {other:?}"),
            }
        }
        (accepted, refused)
    });
    assert_eq!((accepted.len(), refused), (50, 150));
    let mut unique = accepted.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50, "every accepted video has its own id");
    assert_eq!(world.db.quota(world.alice.id), 0);
    assert_eq!(world.db.task_count(world.alice.id), 50);
    let charges = world.db.scalar(
        "SELECT COUNT(*) FROM logs WHERE user_id = ?1 AND type = ?2",
        [world.alice.id, LOG_CONSUME],
    );
    assert_eq!(charges, 50);
    assert_eq!(world.mock.created().len(), 50);
    world.assert_nothing_leaked();
    world.assert_books_balance();
}
