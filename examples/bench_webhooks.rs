//! Webhook delivery throughput: N settled tasks, each with one event in the
//! outbox for one endpoint, delivered by `webhook::run_once` passes (the
//! delivery thread's loop, signing included) to a local warp receiver that
//! answers 204; time from the first pass until every row is delivered.
//!
//! cargo run --release --example bench_webhooks -- --events 20000

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Parser;
use serde_json::json;
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::domain::TaskStatus;
use taskcenter::domain::webhook::EventSet;
use taskcenter::store::Store;
use taskcenter::store::poll::TaskChange;
use taskcenter::store::tasks::NewTask;
use taskcenter::store::users::NewUser;
use taskcenter::webhook::{Sender, run_once};
use taskcenter::{Config, Context};
use warp::Filter;

#[derive(Parser)]
struct Args {
    /// Events to deliver.
    #[arg(long, default_value_t = 20_000)]
    events: usize,
}

/// A receiver answering 204 to every POST, counting them; its address.
fn start_receiver(count: Arc<AtomicUsize>) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let route = warp::post()
                .and(warp::body::bytes())
                .and_then(move |_body| {
                    let count = count.clone();
                    async move {
                        count.fetch_add(1, Ordering::Relaxed);
                        Ok::<_, Infallible>(warp::http::StatusCode::NO_CONTENT)
                    }
                });
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            warp::serve(route).incoming(listener).run().await;
        });
    });
    addr
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let received = Arc::new(AtomicUsize::new(0));
    let addr = start_receiver(received.clone());
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("bench.db"))?;
    let (user, _) = store.create_user(&NewUser {
        username: "bench".into(),
        ..Default::default()
    })?;
    store.create_endpoint(user.id, &format!("http://{addr}/hook"), EventSet::finals())?;
    let now = SystemClock.now();
    let seed_start = Instant::now();
    for chunk in (0..args.events).collect::<Vec<_>>().chunks(5_000) {
        let batch: Vec<NewTask> = chunk
            .iter()
            .map(|i| NewTask {
                task_id: String::new(),
                platform: "suno".into(),
                user_id: user.id,
                channel_id: 1,
                quota: 50_000,
                action: "MUSIC".into(),
                status: TaskStatus::Submitted,
                fail_reason: String::new(),
                submit_time: now,
                start_time: 0,
                finish_time: 0,
                progress: "10%".into(),
                properties: json!({"prompt": "bench"}),
                data: json!({}),
                upstream_task_id: format!("{:032x}", i + 1),
            })
            .collect();
        let ids = store.insert_tasks_raw(&batch)?;
        let changes: Vec<TaskChange> = ids
            .into_iter()
            .map(|id| TaskChange {
                id,
                expected: TaskStatus::Submitted,
                status: TaskStatus::Success,
                progress: "100%".into(),
                fail_reason: String::new(),
                start_time: now,
                finish_time: now,
                data: Some(r#"[{"id":"clip","status":"complete"}]"#.into()),
                next_poll_at_ms: 0,
            })
            .collect();
        store.apply_changes(&changes, now)?;
    }
    println!(
        "settled {} tasks ({} events in the outbox) in {:.1}s",
        args.events,
        args.events,
        seed_start.elapsed().as_secs_f64()
    );
    let config = Config {
        allow_private_webhooks: true,
        ..Config::default()
    };
    let sender = Sender::new(&config);
    let ctx = Context::new(store, config, Arc::new(SystemClock));
    let started = Instant::now();
    let mut delivered = 0;
    let mut passes = 0;
    while delivered < args.events && passes < 10_000 {
        let r = run_once(&ctx, &sender);
        passes += 1;
        delivered += r.delivered;
        if r.attempted == 0 {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "delivered {delivered} webhooks ({} received) in {secs:.2}s over {passes} passes: {:.0} webhooks/s",
        received.load(Ordering::Relaxed),
        delivered as f64 / secs
    );
    Ok(())
}
