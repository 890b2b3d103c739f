//! The relay: authenticate an API key, price the job, charge it, forward it
//! to a channel with retries across channels, and settle a final failure.

mod mapping;
mod pick;

use std::collections::HashSet;
use std::time::Instant;

use serde_json::Value;

use crate::context::Context;
use crate::domain::TaskStatus;
use crate::error::{Error, Result};
use crate::metrics::{SubmitOutcome, UpstreamKind};
use crate::platform::{Target, Upload};
use crate::store::Store;
use crate::store::idempotency::KeyHold;
use crate::store::ledger::{self, Failure, Reservation};
use crate::store::tokens::{TOKEN_DISABLED, TOKEN_ENABLED, TOKEN_EXHAUSTED, TOKEN_EXPIRED, Token};
use crate::store::users::User;

/// Checks an `sk-...` key: it exists (401), and key and user are usable (403).
pub fn authenticate_key(store: &Store, key: &str, now: i64) -> Result<(Token, User)> {
    if key.is_empty() {
        return Err(Error::Unauthenticated("API key is missing".into()));
    }
    let (token, user) = store
        .token_by_key(key)?
        .ok_or_else(|| Error::Unauthenticated("invalid API key".into()))?;
    match token.status {
        TOKEN_ENABLED => {}
        TOKEN_DISABLED => return Err(Error::Forbidden("API key is disabled".into())),
        TOKEN_EXPIRED => return Err(Error::Forbidden("API key has expired".into())),
        TOKEN_EXHAUSTED => return Err(Error::Forbidden("API key quota is exhausted".into())),
        _ => return Err(Error::Forbidden("API key is not enabled".into())),
    }
    if token.expired_time != -1 && token.expired_time <= now {
        return Err(Error::Forbidden("API key has expired".into()));
    }
    if user.status != crate::domain::role::USER_ENABLED {
        return Err(Error::Forbidden("user is disabled".into()));
    }
    Ok((token, user))
}

/// A client's submission as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// The authenticated key (see [`authenticate_key`]).
    pub token: &'a Token,
    /// Its owner.
    pub user: &'a User,
    /// Platform name, e.g. `suno`.
    pub platform: &'a str,
    /// Action from the path, e.g. `music`.
    pub action: &'a str,
    /// The JSON body.
    pub body: &'a Value,
    /// A file sent with the job, if any.
    pub upload: Option<&'a Upload>,
    /// The idempotency claim the request holds, tied to its charge.
    pub idempotency: Option<&'a KeyHold>,
}

/// Submits a job on behalf of the key's owner and returns the public task
/// id. Blocking. Its outcome is counted in `taskcenter_submissions_total`.
pub fn submit(ctx: &Context, sub: Submission<'_>) -> Result<String> {
    let mut action = None;
    let result = submit_job(ctx, sub, &mut action);
    if ctx.metrics.enabled() {
        let outcome = match &result {
            Ok(_) => SubmitOutcome::Accepted,
            Err(Error::NoChannel(_)) => SubmitOutcome::NoChannel,
            Err(Error::Upstream { .. }) => SubmitOutcome::UpstreamFailed,
            Err(
                Error::Invalid(_)
                | Error::Unauthenticated(_)
                | Error::Forbidden(_)
                | Error::NotFound(_)
                | Error::Conflict(_)
                | Error::Unprocessable(_)
                | Error::TooManyRequests(_),
            ) => SubmitOutcome::Rejected,
            Err(_) => SubmitOutcome::Error,
        };
        // The path's action word is the client's: only a validated one
        // becomes a label.
        let action = action.as_deref().unwrap_or("other");
        ctx.metrics.record_submission(sub.platform, action, outcome);
    }
    result
}

/// [`submit`]; `action` gets the job's action once the platform has
/// validated it.
fn submit_job(
    ctx: &Context,
    sub: Submission<'_>,
    validated_action: &mut Option<String>,
) -> Result<String> {
    let Context {
        store,
        platforms,
        config,
        clock,
        ..
    } = ctx;
    let Submission {
        token,
        user,
        platform: platform_name,
        action,
        body,
        upload,
        idempotency,
    } = sub;
    let now = clock.now();
    let platform = platforms
        .get(platform_name)
        .ok_or_else(|| Error::Internal(format!("unknown platform {platform_name}")))?;
    let mut job = platform.prepare(action, body)?;
    *validated_action = Some(job.action.to_lowercase());
    job.upload = upload.cloned();
    let callback_url = match platform.callback_field() {
        Some(field) => crate::webhook::callback_url(store, config, user.id, field, body)?,
        None => String::new(),
    };
    let priced = match &job.price_variant {
        Some(variant) if store.has_price(variant)? => variant.as_str(),
        _ => job.model.as_str(),
    };
    let quote = store.quote(priced, job.units, &user.group)?;

    // A continuation must run where its original ran.
    let candidates = match &job.continues {
        Some(parent_id) => {
            let parent = store.user_task(user.id, parent_id)?.ok_or_else(|| {
                Error::invalid(format!("task_id {parent_id} is not one of your tasks"))
            })?;
            if parent.upstream_task_id.is_empty() {
                return Err(Error::invalid(format!(
                    "task {parent_id} was never accepted upstream"
                )));
            }
            let channel = store
                .get_channel(parent.channel_id)?
                .filter(|c| c.status == crate::store::channels::CHANNEL_ENABLED)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "the channel of task {parent_id} is gone or disabled"
                    ))
                })?;
            platform.link_parent(&mut job, &parent.upstream_task_id);
            vec![channel]
        }
        None => store.candidate_channels(platform_name, &job.model, &user.group)?,
    };
    if candidates.is_empty() {
        return Err(Error::NoChannel(format!(
            "no available channel for model {} in group {}",
            job.model, user.group
        )));
    }
    let mut tried: HashSet<i64> = HashSet::new();
    let healthy = |id: i64| ctx.health.is_healthy(id);
    let first = pick::choose(&candidates, &tried, healthy)
        .ok_or_else(|| Error::NoChannel("no available channel".into()))?;

    let task = ledger::reserve_with_key(
        store,
        &Reservation {
            user_id: user.id,
            token_id: token.id,
            channel_id: first.id,
            platform: platform.task_platform().to_string(),
            action: job.action.clone(),
            model_name: job.model.clone(),
            quote,
            properties: job.properties.clone(),
            callback_url,
        },
        idempotency,
        now,
    )?;

    let mut channel = first;
    let mut attempts = 0u32;
    let last_error = loop {
        attempts += 1;
        tried.insert(channel.id);
        let target = Target::of(&channel);
        let started = Instant::now();
        let submitted = platform.submit(&target, &mapping::job_for(&*platform, &channel, &job));
        crate::health::observe_call(ctx, channel.id, UpstreamKind::Submit, started, &submitted);
        match submitted {
            Ok(upstream_id) => {
                let first_poll = clock.now_ms() + config.poll_interval_ms as i64;
                let accepted = ledger::mark_submitted(
                    store,
                    task.id,
                    channel.id,
                    &upstream_id,
                    first_poll,
                    clock.now(),
                )?;
                if !accepted {
                    return Err(Error::Internal(format!(
                        "task {} was settled while its submission was in flight",
                        task.task_id
                    )));
                }
                return Ok(task.task_id);
            }
            Err(e) => {
                log::warn!(
                    "submit of {} to channel {} failed (attempt {attempts}): {}",
                    task.task_id,
                    channel.id,
                    e.detail()
                );
                if !e.retryable() || attempts > config.retry_times {
                    break e;
                }
                match pick::choose(&candidates, &tried, healthy) {
                    Some(next) => channel = next,
                    None => break e,
                }
            }
        }
    };
    let failure = Failure {
        reason: last_error.message(),
        detail: last_error.detail(),
        ..Default::default()
    };
    ledger::settle_failure(store, task.id, TaskStatus::NotStart, &failure, clock.now())?;
    Err(Error::Upstream {
        status: last_error.client_status(),
        message: last_error.message(),
    })
}
