//! A channel's model mapping, applied to a job just before it goes to that
//! channel: each channel tried names the model its own way.

use std::borrow::Cow;

use crate::platform::{Platform, PreparedJob};
use crate::store::channels::Channel;

/// The job as `channel` receives it: the client's model renamed when the
/// channel's mapping says so, else the job itself.
pub fn job_for<'a>(
    platform: &dyn Platform,
    channel: &Channel,
    job: &'a PreparedJob,
) -> Cow<'a, PreparedJob> {
    match channel.upstream_model(&job.model) {
        Some(upstream_model) => {
            let mut mapped = job.clone();
            platform.use_upstream_model(&mut mapped, &upstream_model);
            Cow::Owned(mapped)
        }
        None => Cow::Borrowed(job),
    }
}
