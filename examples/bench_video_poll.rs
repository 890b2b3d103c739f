//! Video poll pass (issue 11): N in-flight video tasks over C `sora`
//! channels, all pointing at one OpenAI video mock that answers each
//! `GET /v1/videos/{id}` after `--retrieve-latency-ms`; times one
//! `worker::run_once` pass, which polls every task once (one request per
//! task, `--fetch-concurrency` at once per channel).
//!
//! cargo run --release --example bench_video_poll -- --tasks 10000 --fetch-concurrency 8
//! cargo run --release --example bench_video_poll -- --tasks 10000 --fetch-concurrency 16

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use mock_upstreams::{VideoMock, VideoMockConfig};
use serde_json::json;
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::domain::TaskStatus;
use taskcenter::store::Store;
use taskcenter::store::channels::ChannelFields;
use taskcenter::store::tasks::NewTask;
use taskcenter::store::users::NewUser;
use taskcenter::{Config, Context};

#[allow(dead_code)] // each benchmark uses a part of the kit
#[path = "bench_kit/mod.rs"]
mod kit;

use kit::machine::load_average;

/// The target: one pass over the backlog within this many seconds.
const TARGET_SECS: f64 = 10.0;

#[derive(Parser)]
struct Args {
    /// In-flight video tasks, spread evenly over the channels.
    #[arg(long, default_value_t = 10_000)]
    tasks: usize,
    /// `sora` channels (all pointing at the one mock).
    #[arg(long, default_value_t = 4)]
    channels: usize,
    /// How long the mock takes to answer one retrieve.
    #[arg(long, default_value_t = 50)]
    retrieve_latency_ms: u64,
    /// The worker's `--fetch-concurrency` (requests at once per channel).
    #[arg(long, default_value_t = Config::default().fetch_concurrency)]
    fetch_concurrency: usize,
    /// What every retrieve answers.
    #[arg(long, value_enum, default_value_t = Outcome::InProgress)]
    outcome: Outcome,
    /// Tokio worker threads of the mock.
    #[arg(long, default_value_t = 2)]
    mock_threads: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Outcome {
    /// `in_progress`: every task moves SUBMITTED → IN_PROGRESS (one write each).
    InProgress,
    /// `completed`: every task settles SUCCESS.
    Completed,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!("load average at start: {}", load_average());
    let lasting = match args.outcome {
        Outcome::InProgress => VideoMockConfig {
            queued_ms: 0,
            in_progress_ms: 24 * 3_600_000,
            ..VideoMockConfig::default()
        },
        Outcome::Completed => VideoMockConfig::default().lasting(0),
    };
    let mock = VideoMock::start(
        "127.0.0.1:0",
        VideoMockConfig {
            retrieve_latency_ms: args.retrieve_latency_ms,
            worker_threads: args.mock_threads,
            ..lasting
        },
    );
    let seed_start = Instant::now();
    let upstream_ids = kit::videos::create(&mock, args.tasks, 8)?;

    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("bench.db"))?;
    let (user, _) = store.create_user(&NewUser {
        username: "bench".into(),
        ..Default::default()
    })?;
    let mut channel_ids = Vec::new();
    for i in 0..args.channels.max(1) {
        let c = store.create_channel(&ChannelFields {
            channel_type: Some("sora".into()),
            name: Some(format!("video-{i}")),
            base_url: Some(mock.base_url()),
            key: Some(mock.secret().to_string()),
            models: Some("sora-2".into()),
            ..Default::default()
        })?;
        channel_ids.push(c.id);
    }
    let now = SystemClock.now();
    for (chunk_no, chunk) in upstream_ids.chunks(10_000).enumerate() {
        let batch: Vec<NewTask> = chunk
            .iter()
            .enumerate()
            .map(|(i, upstream_id)| NewTask {
                task_id: String::new(),
                platform: "55".into(),
                user_id: user.id,
                channel_id: channel_ids[(chunk_no * 10_000 + i) % channel_ids.len()],
                quota: 200_000,
                action: "textGenerate".into(),
                status: TaskStatus::Submitted,
                fail_reason: String::new(),
                submit_time: now,
                start_time: 0,
                finish_time: 0,
                progress: "0%".into(),
                properties: json!({"model": "sora-2", "prompt": "a benchmark video",
                                   "seconds": "4", "size": "720x1280"}),
                data: json!({}),
                upstream_task_id: upstream_id.clone(),
            })
            .collect();
        store.insert_tasks_raw(&batch)?;
    }
    println!(
        "seeded {} videos in the mock and {} in-flight tasks over {} channels in {:.1}s",
        upstream_ids.len(),
        upstream_ids.len(),
        channel_ids.len(),
        seed_start.elapsed().as_secs_f64()
    );

    let config = Config {
        fetch_concurrency: args.fetch_concurrency,
        upstream_timeout_secs: 30,
        allow_private_upstreams: true,
        worker: false,
        ..Config::default()
    };
    let ctx = Context::new(store.clone(), config, Arc::new(SystemClock));
    let stop = AtomicBool::new(false);
    mock.reset_stats();
    let load_before = load_average();
    let started = Instant::now();
    let report = taskcenter::worker::run_once(&ctx, &stop);
    let secs = started.elapsed().as_secs_f64();
    let load_after = load_average();
    let retrieves = mock.stats().retrieves;
    println!("pass: {report}");

    let expected = match args.outcome {
        Outcome::InProgress => "IN_PROGRESS",
        Outcome::Completed => "SUCCESS",
    };
    let reached: i64 = store.conn()?.query_row(
        "SELECT COUNT(*) FROM tasks WHERE status = ?1",
        [expected],
        |r| r.get(0),
    )?;
    let n = upstream_ids.len();
    let rate = retrieves as f64 / secs;
    let ceiling = (channel_ids.len() * args.fetch_concurrency) as f64 * 1000.0
        / args.retrieve_latency_ms.max(1) as f64;
    println!(
        "one pass: {} tasks polled, {retrieves} retrieves in {secs:.2}s = {rate:.0} retrieves/s \
         ({} channels x {} at once, {} ms each: ceiling {ceiling:.0}/s); {reached} of {n} now {expected}",
        report.polled,
        channel_ids.len(),
        args.fetch_concurrency,
        args.retrieve_latency_ms,
    );
    println!(
        "target one pass <= {TARGET_SECS:.0} s: {}; new-api's 1 task/s/channel would take {:.0} s \
         ({} retrieves/s)",
        if secs <= TARGET_SECS {
            "met".to_string()
        } else {
            format!("MISSED by {:.2} s", secs - TARGET_SECS)
        },
        n as f64 / channel_ids.len() as f64,
        channel_ids.len()
    );
    println!("load average before the pass: {load_before}; after: {load_after}");
    if reached as usize != n || retrieves as usize != n {
        return Err(format!("expected {n} retrieves and {n} tasks {expected}").into());
    }
    Ok(())
}
