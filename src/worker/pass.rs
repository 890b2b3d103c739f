//! One pass of the worker: sweep, then poll every due task once, grouped by
//! channel, channels in parallel, each channel's batches in order.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use super::report::PassReport;
use super::{backoff, expiry, mapping, probe, sweep};
use crate::context::Context;
use crate::metrics::UpstreamKind;
use crate::platform::{FetchMode, Platform, Target};
use crate::store::channels::Channel;
use crate::store::poll::DueTask;

/// Due tasks read per round; a pass keeps reading rounds until every task
/// due at its start was polled once.
const ROUND: usize = 20_000;
/// Channels polled at the same time.
const MAX_PARALLEL_CHANNELS: usize = 8;

/// One pass at the clock's current time, ending with the channels' health
/// saved. Tests call this directly.
pub fn run_once(ctx: &Context, stop: &AtomicBool) -> PassReport {
    let started = Instant::now();
    let mut report = poll(ctx, stop);
    if !crate::health::save(ctx) {
        report.errors += 1;
    }
    ctx.metrics
        .record_worker_pass(started.elapsed(), &report.counts(), ctx.clock.now());
    report
}

/// Sweeps, probes auto-disabled channels, then polls every due task once.
fn poll(ctx: &Context, stop: &AtomicBool) -> PassReport {
    let store = &ctx.store;
    let clock = ctx.clock.as_ref();
    let mut report = PassReport::default();
    let start_ms = clock.now_ms();
    if let Err(e) = sweep::run(store, &ctx.config, clock.now(), &mut report) {
        log::error!("worker sweep failed: {e:?}");
        report.errors += 1;
    }
    if let Err(e) = expiry::run(store, &ctx.config, clock.now(), &mut report) {
        log::error!("worker cannot purge idempotency keys: {e:?}");
        report.errors += 1;
    }
    probe::run(ctx, stop, &mut report);
    let channels: HashMap<i64, Channel> = match store.all_channels() {
        Ok(list) => list.into_iter().map(|c| (c.id, c)).collect(),
        Err(e) => {
            log::error!("worker cannot read channels: {e:?}");
            report.errors += 1;
            return report;
        }
    };
    let mut seen: HashSet<i64> = HashSet::new();
    while !stop.load(Ordering::SeqCst) {
        let due = match store.due_tasks(start_ms, ROUND) {
            Ok(d) => d,
            Err(e) => {
                log::error!("worker cannot read due tasks: {e:?}");
                report.errors += 1;
                break;
            }
        };
        let full_round = due.len() == ROUND;
        let fresh: Vec<DueTask> = due.into_iter().filter(|t| seen.insert(t.id)).collect();
        if fresh.is_empty() {
            break;
        }
        let mut groups: HashMap<i64, Vec<DueTask>> = HashMap::new();
        for t in fresh {
            groups.entry(t.channel_id).or_default().push(t);
        }
        // Tasks of deleted channels are left to the next sweep.
        let work: Vec<(Channel, Vec<DueTask>)> = groups
            .into_iter()
            .filter_map(|(id, tasks)| channels.get(&id).map(|c| (c.clone(), tasks)))
            .collect();
        report.add(&poll_channels(ctx, stop, start_ms, work));
        if !full_round {
            break;
        }
    }
    report
}

/// Polls each channel's tasks, up to [`MAX_PARALLEL_CHANNELS`] at once.
fn poll_channels(
    ctx: &Context,
    stop: &AtomicBool,
    start_ms: i64,
    work: Vec<(Channel, Vec<DueTask>)>,
) -> PassReport {
    let queue = Mutex::new(work);
    let total = Mutex::new(PassReport::default());
    let threads = MAX_PARALLEL_CHANNELS.min(queue.lock().map(|q| q.len()).unwrap_or(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop());
                    let Some((channel, tasks)) = next else { break };
                    let r = poll_channel(ctx, stop, start_ms, &channel, &tasks);
                    if let Ok(mut t) = total.lock() {
                        t.add(&r);
                    }
                }
            });
        }
    });
    total.into_inner().unwrap_or_default()
}

/// Polls one channel's due tasks in batches, or one per request with
/// bounded concurrency (`--fetch-concurrency`); a failed request pushes the
/// channel's remaining tasks back with backoff and ends its turn.
///
/// Next polls are scheduled from the pass's start, so a task polled in this
/// pass is due again by the next one (a fetch that took some milliseconds
/// must not make it miss the next pass and wait a whole extra interval).
fn poll_channel(
    ctx: &Context,
    stop: &AtomicBool,
    start_ms: i64,
    channel: &Channel,
    tasks: &[DueTask],
) -> PassReport {
    let mut report = PassReport::default();
    let Some(platform) = ctx.platforms.get(&channel.channel_type) else {
        log::warn!(
            "channel {} has unknown type '{}'; its tasks wait",
            channel.id,
            channel.channel_type
        );
        defer(ctx, tasks, &mut report);
        return report;
    };
    let target = Target::of(channel);
    match platform.fetch_mode() {
        FetchMode::Batch => {
            let size = ctx.config.fetch_batch.max(1);
            for (i, batch) in tasks.chunks(size).enumerate() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if !poll_batch(
                    ctx,
                    start_ms,
                    platform.as_ref(),
                    &target,
                    batch,
                    &mut report,
                ) {
                    defer(ctx, &tasks[i * size..], &mut report);
                    break;
                }
            }
        }
        FetchMode::PerTask => {
            // One request per task, up to `fetch_concurrency` at once. The
            // first failed request (the channel is likely down) stops the
            // channel's turn: tasks not yet asked for are pushed back.
            let next = AtomicUsize::new(0);
            let failed = AtomicBool::new(false);
            let shared = Mutex::new(PassReport::default());
            let threads = ctx.config.fetch_concurrency.clamp(1, tasks.len().max(1));
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        let mut mine = PassReport::default();
                        while !stop.load(Ordering::SeqCst) && !failed.load(Ordering::SeqCst) {
                            let i = next.fetch_add(1, Ordering::SeqCst);
                            let Some(task) = tasks.get(i) else { break };
                            let one = std::slice::from_ref(task);
                            if !poll_batch(
                                ctx,
                                start_ms,
                                platform.as_ref(),
                                &target,
                                one,
                                &mut mine,
                            ) {
                                failed.store(true, Ordering::SeqCst);
                                defer(ctx, one, &mut mine);
                            }
                        }
                        if let Ok(mut r) = shared.lock() {
                            r.add(&mine);
                        }
                    });
                }
            });
            report.add(&shared.into_inner().unwrap_or_default());
            let asked = next.load(Ordering::SeqCst).min(tasks.len());
            if failed.load(Ordering::SeqCst) && asked < tasks.len() {
                defer(ctx, &tasks[asked..], &mut report);
            }
        }
    }
    report
}

/// Asks the upstream about `batch` and applies the answers; tasks it does
/// not know are pushed back as missing. False when the request failed (the
/// caller pushes back what is left).
fn poll_batch(
    ctx: &Context,
    start_ms: i64,
    platform: &dyn Platform,
    target: &Target,
    batch: &[DueTask],
    report: &mut PassReport,
) -> bool {
    let (store, clock) = (&ctx.store, ctx.clock.as_ref());
    let interval = ctx.config.poll_interval_ms as i64;
    let ids: Vec<String> = batch.iter().map(|t| t.upstream_task_id.clone()).collect();
    report.polled += ids.len();
    let started = Instant::now();
    let fetched = platform.fetch(target, &ids);
    crate::health::observe_call(
        ctx,
        target.channel_id,
        UpstreamKind::Fetch,
        started,
        &fetched,
    );
    let answers = match fetched {
        Ok(a) => a,
        Err(e) => {
            log::warn!(
                "polling channel {} failed, its remaining tasks pushed back: {}",
                target.channel_id,
                e.detail()
            );
            report.request_failures += 1;
            return false;
        }
    };
    let by_id: HashMap<&str, _> = answers
        .iter()
        .map(|a| (a.upstream_id.as_str(), a))
        .collect();
    let now = clock.now();
    let mut changes = Vec::with_capacity(batch.len());
    let mut missing = Vec::new();
    for t in batch {
        match by_id.get(t.upstream_task_id.as_str()) {
            Some(up) => changes.push(mapping::change_for(t, up, now, start_ms + interval)),
            None => missing.push(t.clone()),
        }
    }
    match store.apply_changes(&changes, now) {
        Ok(a) => {
            report.updated += a.updated;
            report.succeeded += a.succeeded;
            report.failed += a.failed;
            report.raced += a.raced;
        }
        Err(e) => {
            log::error!("worker cannot apply updates: {e:?}");
            report.errors += 1;
        }
    }
    if !missing.is_empty() {
        report.missing += missing.len();
        defer(ctx, &missing, report);
    }
    true
}

/// Pushes `rest` back with backoff.
fn defer(ctx: &Context, rest: &[DueTask], report: &mut PassReport) {
    let interval = ctx.config.poll_interval_ms as i64;
    let now_ms = ctx.clock.now_ms();
    let deferrals: Vec<(i64, i64)> = rest
        .iter()
        .map(|t| {
            (
                t.id,
                now_ms + backoff::delay_ms(interval, t.poll_failures + 1),
            )
        })
        .collect();
    match ctx.store.defer_tasks(&deferrals) {
        Ok(()) => report.deferred += deferrals.len(),
        Err(e) => {
            log::error!("worker cannot defer tasks: {e:?}");
            report.errors += 1;
        }
    }
}
