//! Worker throughput: N in-flight Suno tasks over 4 channels against the mock
//! answering at once; time from the first poll until all are settled.
//!
//! cargo run --release --example bench_worker -- --tasks 100000 --outcome success
//! cargo run --release --example bench_worker -- --tasks 100000 --outcome failure
//! cargo run --release --example bench_worker -- --tasks 100000 --webhook-endpoint
//!
//! With `--webhook-endpoint` the tasks' owner has one endpoint registered
//! (for every event), so each settlement also writes its outbox row; no
//! delivery thread runs.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::Parser;
use mock_upstreams::{Mock, MockConfig};
use serde_json::json;
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::domain::TaskStatus;
use taskcenter::domain::webhook::{EventSet, WebhookEvent};
use taskcenter::store::Store;
use taskcenter::store::channels::ChannelFields;
use taskcenter::store::tasks::NewTask;
use taskcenter::store::users::NewUser;
use taskcenter::{Config, Context};

#[derive(Parser)]
struct Args {
    /// In-flight tasks to settle.
    #[arg(long, default_value_t = 100_000)]
    tasks: usize,
    /// Channels (all pointing at one mock).
    #[arg(long, default_value_t = 4)]
    channels: usize,
    /// `success` or `failure` (each failure is refunded).
    #[arg(long, default_value = "success")]
    outcome: String,
    /// Ids per fetch.
    #[arg(long, default_value_t = 100)]
    fetch_batch: usize,
    /// Register one webhook endpoint for the tasks' owner.
    #[arg(long)]
    webhook_endpoint: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let failure = args.outcome == "failure";
    let mock = Mock::start(
        "127.0.0.1:0",
        MockConfig {
            music_duration_ms: 0,
            failure_ratio: if failure { 1.0 } else { 0.0 },
            adopt_unknown_ids: true,
            worker_threads: 2,
            ..Default::default()
        },
    );
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("bench.db"))?;
    let (user, _) = store.create_user(&NewUser {
        username: "bench".into(),
        ..Default::default()
    })?;
    if args.webhook_endpoint {
        let events = EventSet::finals().with(WebhookEvent::Progress);
        store.create_endpoint(user.id, "https://receiver.example/hook", events)?;
    }
    let mut channel_ids = Vec::new();
    for i in 0..args.channels {
        let c = store.create_channel(&ChannelFields {
            channel_type: Some("suno".into()),
            name: Some(format!("mock-{i}")),
            base_url: Some(mock.base_url()),
            key: Some(mock.secret().to_string()),
            models: Some("suno_music".into()),
            ..Default::default()
        })?;
        channel_ids.push(c.id);
    }
    let now = SystemClock.now();
    let seed_start = Instant::now();
    for chunk in (0..args.tasks).collect::<Vec<_>>().chunks(10_000) {
        let batch: Vec<NewTask> = chunk
            .iter()
            .map(|i| NewTask {
                task_id: String::new(),
                platform: "suno".into(),
                user_id: user.id,
                channel_id: channel_ids[i % channel_ids.len()],
                quota: 50_000,
                action: "MUSIC".into(),
                status: TaskStatus::Submitted,
                fail_reason: String::new(),
                submit_time: now,
                start_time: 0,
                finish_time: 0,
                progress: "10%".into(),
                properties: json!({"model": "suno_music", "prompt": "bench"}),
                data: json!({}),
                upstream_task_id: format!("{:032x}", i + 1),
            })
            .collect();
        store.insert_tasks_raw(&batch)?;
    }
    println!(
        "seeded {} in-flight tasks over {} channels in {:.1}s",
        args.tasks,
        args.channels,
        seed_start.elapsed().as_secs_f64()
    );
    let config = Config {
        fetch_batch: args.fetch_batch,
        upstream_timeout_secs: 30,
        // The mock listens on loopback.
        allow_private_upstreams: true,
        ..Config::default()
    };
    let ctx = Context::new(store.clone(), config, Arc::new(SystemClock));
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let mut passes = 0;
    let mut settled = 0;
    while settled < args.tasks && passes < 20 {
        let r = taskcenter::worker::run_once(&ctx, &stop);
        passes += 1;
        settled += r.succeeded + r.failed;
        println!("pass {passes}: {r}");
    }
    let secs = started.elapsed().as_secs_f64();
    let conn = store.conn()?;
    let (done, refunds, events): (i64, i64, i64) = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM tasks WHERE status IN ('SUCCESS','FAILURE')),
                (SELECT COUNT(*) FROM logs WHERE type = 6),
                (SELECT COUNT(*) FROM webhook_deliveries)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    println!(
        "outcome {}: settled {done} tasks ({refunds} refunds, {events} webhook events) in {secs:.2}s over {passes} pass(es): {:.0} tasks/s",
        args.outcome,
        done as f64 / secs
    );
    Ok(())
}
