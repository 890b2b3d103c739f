//! Benchmarks the task lists against a database filled by `seed_tasks`.
//!
//! ```text
//! cargo run --release --example bench_lists -- --db /tmp/tc-bench/tasks.db
//! ```
//!
//! Starts the real server in-process on 127.0.0.1:0 (worker off) and, for
//! each case, times: the store call alone (no HTTP); the call plus the
//! response body as the handler builds it; the call plus a lean body (an
//! estimate of what passing the stored JSON through would save); sequential
//! HTTP requests over one keep-alive connection, as the client's round trip
//! and as the server's own figure from its request log line (0.1 ms
//! resolution). Then it measures self lists per second without HTTP (one
//! thread per core) and sustained `/api/task/self` throughput with
//! concurrent keep-alive clients spread over all users. The client is a few
//! lines over `std::net::TcpStream`, so it costs little of the shared CPU.
//! `--verify N` first checks `list_tasks` against plain SQL on random
//! filters and pages; `--mmap BYTES` shows the effect of `PRAGMA mmap_size`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::Value;
use serde_json::value::RawValue;
use taskcenter::clock::SystemClock;
use taskcenter::domain::{Page, TaskStatus};
use taskcenter::store::Store;
use taskcenter::store::tasks::{Task, TaskFilter};
use taskcenter::{Config, Context};

/// Times the task lists on a seeded database.
#[derive(Debug, Parser)]
struct Args {
    /// Database file filled by `seed_tasks`.
    #[arg(long)]
    db: PathBuf,
    /// Tokens file written by `seed_tasks` (default: `<db>.tokens.json`).
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// Timed requests (and store calls) per case, after a warm-up of a tenth.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Seconds of the throughput run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive client connections (one thread each).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Run only the cases whose name contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Run the server with `--metrics` (recording on, `/metrics` served).
    #[arg(long)]
    metrics: bool,
    /// Skip the throughput run.
    #[arg(long)]
    no_throughput: bool,
    /// Before timing, check this many random filters and pages against
    /// plain SQL (the same answer, however the store plans it).
    #[arg(long, default_value_t = 0)]
    verify: usize,
    /// Set `PRAGMA mmap_size` to this many bytes on every pooled connection
    /// first (0: leave the connections as the store opens them).
    #[arg(long, default_value_t = 0)]
    mmap: u64,
}

type BoxError = Box<dyn std::error::Error>;

/// Latencies in milliseconds.
type Ms = Vec<f64>;

/// Connections in the pool, as `Store::open` builds it.
const POOL_SIZE: usize = 16;

/// One list query: its URL and the same filter for the store call.
struct Case {
    name: &'static str,
    target: &'static str,
    admin: bool,
    query: String,
    filter: TaskFilter,
    page: Page,
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let tokens_path = args.tokens.clone().unwrap_or_else(|| {
        let mut p = args.db.clone().into_os_string();
        p.push(".tokens.json");
        PathBuf::from(p)
    });
    let tokens: Value = serde_json::from_str(&std::fs::read_to_string(&tokens_path)?)?;
    let root = credential(&tokens["root"]).ok_or("tokens file has no root")?;
    let users: Vec<(i64, String)> = tokens["users"]
        .as_array()
        .map(|a| a.iter().filter_map(credential).collect())
        .unwrap_or_default();
    if users.is_empty() {
        return Err("tokens file has no users".into());
    }

    log::set_boxed_logger(Box::new(LatencyLog))?;
    log::set_max_level(log::LevelFilter::Info);
    let store = Store::open_with_pool_size(&args.db, POOL_SIZE as u32)?;
    if args.mmap > 0 {
        // Hold every connection of the pool at once so each gets the pragma.
        let conns = (0..POOL_SIZE)
            .map(|_| store.conn())
            .collect::<Result<Vec<_>, _>>()?;
        for c in &conns {
            c.execute_batch(&format!("PRAGMA mmap_size = {}", args.mmap))?;
        }
    }
    let (newest, tasks): (i64, i64) =
        store
            .conn()?
            .query_row("SELECT MAX(submit_time), COUNT(*) FROM tasks", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
    println!(
        "database {}: {tasks} tasks, {} users; {} cores, load average {}",
        args.db.display(),
        users.len(),
        cores(),
        load_average()
    );

    if args.verify > 0 {
        verify(&store, &users, newest, args.verify)?;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // No worker: the seeded in-flight tasks have no real upstream to poll.
    let config = Config {
        db: args.db.clone(),
        worker: false,
        metrics: args.metrics,
        ..Default::default()
    };
    let ctx = Context::new(store.clone(), config, Arc::new(SystemClock));
    let server = runtime.spawn(taskcenter::run(listener, ctx, async {
        let _ = stopped.await;
    }));

    // The fixed cost of a request, for comparison: no auth, then auth only.
    for (name, path) in [
        ("GET /api/status (no auth)", "/api/status"),
        ("GET /api/user/self (auth)", "/api/user/self"),
    ] {
        let (rtt, srv) = time_plain(addr, path, &users, args.requests)?;
        println!(
            "{name:<34} http p50 {:.3} ms p95 {:.3} ms; server p50 {:.1} ms",
            pct(&rtt, 50),
            pct(&rtt, 95),
            pct(&srv, 50)
        );
    }

    println!(
        "\n{:<34} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  target",
        "case (ms)",
        "store50",
        "store95",
        "+body50",
        "+lean50",
        "http50",
        "http95",
        "srv50",
        "srv95"
    );
    let selected = cases(newest).into_iter().filter(|c| {
        args.only
            .as_ref()
            .is_none_or(|o| c.name.contains(o.as_str()))
    });
    for case in selected {
        let creds: Vec<(i64, String)> = if case.admin {
            vec![root.clone()]
        } else {
            users.clone()
        };
        let store_t = time_store(&store, &case, &creds, args.requests, Body::None)?;
        let json_t = time_store(&store, &case, &creds, args.requests, Body::Handler)?;
        let lean_t = time_store(&store, &case, &creds, args.requests, Body::Lean)?;
        let (http_t, server_t, total) = time_http(addr, &case, &creds, args.requests)?;
        println!(
            "{:<34} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.1} {:>8.1}  {}  (total {total})",
            case.name,
            pct(&store_t, 50),
            pct(&store_t, 95),
            pct(&json_t, 50),
            pct(&lean_t, 50),
            pct(&http_t, 50),
            pct(&http_t, 95),
            pct(&server_t, 50),
            pct(&server_t, 95),
            case.target,
        );
    }

    // The same work without HTTP, on as many threads as there are cores:
    // the ceiling any server could reach with this store and this body.
    for body in [Body::None, Body::Handler, Body::Lean] {
        let rate = store_throughput(&store, &users, body, args.seconds.min(5))?;
        println!(
            "self list without HTTP ({}): {rate:.0} calls/s on {} threads",
            match body {
                Body::None => "store call only",
                Body::Handler => "store + body as built today",
                Body::Lean => "store + lean body",
            },
            cores()
        );
    }
    if args.no_throughput {
        let _ = stop.send(());
        runtime.block_on(server)?;
        return Ok(());
    }
    let (rps, lat, errors) = throughput(addr, &users, args.clients, args.seconds)?;
    println!(
        "\n/api/task/self sustained: {rps:.0} req/s with {} clients over {} users for {}s \
         (latency p50 {:.2} ms, p95 {:.2} ms; {errors} errors)  target >= 5000 req/s",
        args.clients,
        users.len(),
        args.seconds,
        pct(&lat, 50),
        pct(&lat, 95),
    );

    let _ = stop.send(());
    runtime.block_on(server)?;
    println!("load average at the end: {}", load_average());
    Ok(())
}

fn credential(v: &Value) -> Option<(i64, String)> {
    Some((v["id"].as_i64()?, v["token"].as_str()?.to_string()))
}

/// The measured queries; `newest` is the newest submit time in the data.
fn cases(newest: i64) -> Vec<Case> {
    const DAY: i64 = 86_400;
    let page1 = Page {
        p: 1,
        page_size: 20,
    };
    let filtered = |name, target, days: i64, ago: i64, status: TaskStatus, platform: &str| Case {
        name,
        target,
        admin: true,
        query: format!(
            "/api/task/?p=1&page_size=20&status={}&platform={platform}&start_timestamp={}&end_timestamp={}",
            status.as_str(),
            newest - (ago + days) * DAY,
            newest - ago * DAY
        ),
        filter: TaskFilter {
            status: Some(status),
            platform: Some(platform.to_string()),
            start_timestamp: Some(newest - (ago + days) * DAY),
            end_timestamp: Some(newest - ago * DAY),
            ..Default::default()
        },
        page: page1,
    };
    vec![
        Case {
            name: "self p=1 (all users in turn)",
            target: "<= 1 ms",
            admin: false,
            query: "/api/task/self?p=1&page_size=20".into(),
            filter: TaskFilter::default(),
            page: page1,
        },
        Case {
            name: "admin p=1 unfiltered",
            target: "<= 10 ms",
            admin: true,
            query: "/api/task/?p=1&page_size=20".into(),
            filter: TaskFilter::default(),
            page: page1,
        },
        filtered(
            "admin SUCCESS+suno, last 7 days",
            "<= 20 ms",
            7,
            0,
            TaskStatus::Success,
            "suno",
        ),
        filtered(
            "admin SUCCESS+suno, 1 day 45d ago",
            "<= 20 ms",
            1,
            45,
            TaskStatus::Success,
            "suno",
        ),
        filtered(
            "admin SUCCESS+suno, last 30 days",
            "<= 20 ms",
            30,
            0,
            TaskStatus::Success,
            "suno",
        ),
        filtered(
            "admin FAILURE+kling, last 30 days",
            "<= 20 ms",
            30,
            0,
            TaskStatus::Failure,
            "kling",
        ),
        filtered(
            "admin SUCCESS+suno, all 90 days",
            "(worst case)",
            91,
            0,
            TaskStatus::Success,
            "suno",
        ),
        Case {
            name: "admin p=25000 (offset 500k)",
            target: "<= 25 ms",
            admin: true,
            query: "/api/task/?p=25000&page_size=20".into(),
            filter: TaskFilter::default(),
            page: Page {
                p: 25_000,
                page_size: 20,
            },
        },
        Case {
            name: "admin channel_id=3 p=1",
            target: "(info)",
            admin: true,
            query: "/api/task/?p=1&page_size=20&channel_id=3".into(),
            filter: TaskFilter {
                channel_id: Some(3),
                ..Default::default()
            },
            page: page1,
        },
        Case {
            name: "admin action=song p=1",
            target: "(info)",
            admin: true,
            query: "/api/task/?p=1&page_size=20&action=song".into(),
            filter: TaskFilter {
                action: Some("MUSIC".into()),
                ..Default::default()
            },
            page: page1,
        },
    ]
}

/// What [`time_store`] times after `list_tasks`.
#[derive(Clone, Copy, PartialEq)]
enum Body {
    /// Nothing: the store call alone.
    None,
    /// The response body as the handler builds it today (views parse the
    /// stored JSON into `Value`s, then `json!` wraps them, then bytes).
    Handler,
    /// A lean body: the stored JSON copied in as `RawValue`, the rows
    /// serialized straight to bytes. An estimate of what that would save.
    Lean,
}

/// Milliseconds of `list_tasks` plus building `body`.
fn time_store(
    store: &Store,
    case: &Case,
    creds: &[(i64, String)],
    n: usize,
    body: Body,
) -> Result<Vec<f64>, BoxError> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n + warm_up(n, creds) {
        let filter = TaskFilter {
            user_id: (!case.admin).then(|| creds[i % creds.len()].0),
            ..case.filter.clone()
        };
        let started = Instant::now();
        respond(store, case, &filter, body)?;
        if i >= warm_up(n, creds) {
            out.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(out)
}

/// One `list_tasks` call and the response body `body` asks for.
fn respond(store: &Store, case: &Case, filter: &TaskFilter, body: Body) -> Result<(), BoxError> {
    let page = store.list_tasks(filter, case.page)?;
    match body {
        Body::None => {}
        Body::Handler => {
            let items: Vec<_> = page
                .items
                .into_iter()
                .map(|(t, name)| {
                    if case.admin {
                        t.admin_view(name)
                    } else {
                        t.user_view()
                    }
                })
                .collect();
            let data = serde_json::json!({"items": items, "total": page.total,
                "page": case.page.p, "page_size": case.page.page_size});
            let body = serde_json::json!({"success": true, "message": "", "data": data});
            std::hint::black_box(serde_json::to_vec(&body)?);
        }
        Body::Lean => {
            let items = page
                .items
                .iter()
                .map(|(t, name)| LeanView::new(t, name, case.admin))
                .collect::<Result<Vec<_>, _>>()?;
            let body = LeanEnvelope {
                success: true,
                message: "",
                data: LeanPage {
                    items,
                    total: page.total,
                    page: case.page.p,
                    page_size: case.page.page_size,
                },
            };
            std::hint::black_box(serde_json::to_vec(&body)?);
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct LeanEnvelope<'a> {
    success: bool,
    message: &'a str,
    data: LeanPage<'a>,
}

#[derive(serde::Serialize)]
struct LeanPage<'a> {
    items: Vec<LeanView<'a>>,
    total: i64,
    page: i64,
    page_size: i64,
}

/// The fields of `TaskView`, borrowed, with the stored JSON passed through.
#[derive(serde::Serialize)]
struct LeanView<'a> {
    id: i64,
    created_at: i64,
    updated_at: i64,
    task_id: &'a str,
    platform: &'a str,
    user_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    quota: i64,
    action: &'a str,
    status: &'a str,
    fail_reason: &'a str,
    submit_time: i64,
    start_time: i64,
    finish_time: i64,
    progress: &'a str,
    properties: &'a RawValue,
    data: &'a RawValue,
}

impl<'a> LeanView<'a> {
    fn new(t: &'a Task, username: &'a str, admin: bool) -> serde_json::Result<Self> {
        Ok(LeanView {
            id: t.id,
            created_at: t.created_at,
            updated_at: t.updated_at,
            task_id: &t.task_id,
            platform: &t.platform,
            user_id: t.user_id,
            channel_id: admin.then_some(t.channel_id),
            username: admin.then_some(username),
            quota: t.quota,
            action: &t.action,
            status: &t.status,
            fail_reason: &t.fail_reason,
            submit_time: t.submit_time,
            start_time: t.start_time,
            finish_time: t.finish_time,
            progress: &t.progress,
            // Validated, not parsed into a tree.
            properties: serde_json::from_str(&t.properties)?,
            data: serde_json::from_str(&t.data)?,
        })
    }
}

/// Client round trips and server-logged latencies (ms), and the total seen.
fn time_http(
    addr: SocketAddr,
    case: &Case,
    creds: &[(i64, String)],
    n: usize,
) -> Result<(Ms, Ms, i64), BoxError> {
    let mut conn = Client::connect(addr)?;
    let (id, token) = &creds[0];
    let (status, body) = conn.get(&case.query, token, *id)?;
    let reply: Value = serde_json::from_slice(&body)?;
    if status != 200 || reply["success"] != true {
        return Err(format!("{} answered {status}: {reply}", case.query).into());
    }
    let total = reply["data"]["total"].as_i64().unwrap_or(-1);
    let mut rtt = Vec::with_capacity(n);
    for i in 0..n + warm_up(n, creds) {
        if i == warm_up(n, creds) {
            LatencyLog::take();
        }
        let (id, token) = &creds[i % creds.len()];
        let started = Instant::now();
        let (status, _) = conn.get(&case.query, token, *id)?;
        if status != 200 {
            return Err(format!("{} answered {status}", case.query).into());
        }
        if i >= warm_up(n, creds) {
            rtt.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok((rtt, LatencyLog::take(), total))
}

/// Client round trips and server-logged latencies (ms) of a plain GET.
fn time_plain(
    addr: SocketAddr,
    path: &str,
    creds: &[(i64, String)],
    n: usize,
) -> Result<(Ms, Ms), BoxError> {
    let mut conn = Client::connect(addr)?;
    let mut rtt = Vec::with_capacity(n);
    for i in 0..n + warm_up(n, creds) {
        if i == warm_up(n, creds) {
            LatencyLog::take();
        }
        let (id, token) = &creds[i % creds.len()];
        let started = Instant::now();
        let (status, _) = conn.get(path, token, *id)?;
        if status != 200 {
            return Err(format!("{path} answered {status}").into());
        }
        if i >= warm_up(n, creds) {
            rtt.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok((rtt, LatencyLog::take()))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Self-list calls per second over all users, one thread per core.
fn store_throughput(
    store: &Store,
    users: &[(i64, String)],
    body: Body,
    seconds: u64,
) -> Result<f64, BoxError> {
    let case = Case {
        name: "self",
        target: "",
        admin: false,
        query: String::new(),
        filter: TaskFilter::default(),
        page: Page {
            p: 1,
            page_size: 20,
        },
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let calls = AtomicU64::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..cores())
            .map(|t| {
                let (case, calls) = (&case, &calls);
                let mine: Vec<(i64, String)> =
                    users.iter().skip(t).step_by(cores()).cloned().collect();
                s.spawn(move || -> Result<(), String> {
                    for (id, _) in mine.iter().cycle() {
                        if Instant::now() >= deadline {
                            break;
                        }
                        let filter = TaskFilter {
                            user_id: Some(*id),
                            ..TaskFilter::default()
                        };
                        respond(store, case, &filter, body).map_err(|e| e.to_string())?;
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| "store thread panicked")??;
        }
        Ok::<_, BoxError>(())
    })?;
    Ok(calls.load(Ordering::Relaxed) as f64 / seconds as f64)
}

/// Requests per second, latencies under load, and failed requests.
fn throughput(
    addr: SocketAddr,
    users: &[(i64, String)],
    clients: usize,
    seconds: u64,
) -> Result<(f64, Ms, u64), BoxError> {
    let users = Arc::new(users.to_vec());
    let done = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for c in 0..clients {
        let (users, done, errors) = (users.clone(), done.clone(), errors.clone());
        let mut conn = Client::connect(addr)?;
        threads.push(std::thread::spawn(move || {
            let mut lat = Vec::new();
            let mut i = c * users.len() / clients.max(1);
            while !done.load(Ordering::Relaxed) {
                let (id, token) = &users[i % users.len()];
                i += 1;
                let started = Instant::now();
                match conn.get("/api/task/self?p=1&page_size=20", token, *id) {
                    Ok((200, _)) => lat.push(started.elapsed().as_secs_f64() * 1000.0),
                    Ok(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        match Client::connect(addr) {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            lat
        }));
    }
    // A second of warm-up, then count.
    std::thread::sleep(Duration::from_secs(1));
    LatencyLog::take();
    let counted_from = LatencyLog::count();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let served = LatencyLog::count() - counted_from;
    let elapsed = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for t in threads {
        lat.extend(t.join().map_err(|_| "client thread panicked")?);
    }
    LatencyLog::take();
    Ok((served as f64 / elapsed, lat, errors.load(Ordering::Relaxed)))
}

/// Compares `list_tasks` with plain SQL on `n` random filters and pages.
fn verify(store: &Store, users: &[(i64, String)], newest: i64, n: usize) -> Result<(), BoxError> {
    const DAY: i64 = 86_400;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move |k: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % k.max(1)
    };
    let statuses = taskcenter::domain::status::ALL_STATUSES;
    let conn = store.conn()?;
    let mut by_counters = 0;
    for i in 0..n {
        let some = |r: u64| r < 40;
        let day = |d: u64| newest - d as i64 * DAY;
        let mut filter = TaskFilter {
            user_id: some(rnd(100)).then(|| users[rnd(users.len() as u64) as usize].0),
            channel_id: some(rnd(100) / 2).then(|| 1 + rnd(9) as i64),
            status: some(rnd(100)).then(|| statuses[rnd(7) as usize]),
            platform: some(rnd(100))
                .then(|| ["suno", "kling", "runway", "none"][rnd(4) as usize].into()),
            action: some(rnd(100) / 2)
                .then(|| ["MUSIC", "LYRICS", "GENERATE"][rnd(3) as usize].into()),
            start_timestamp: some(rnd(100)).then(|| {
                let t = day(rnd(95));
                bound(&mut rnd, t)
            }),
            end_timestamp: some(rnd(100)).then(|| {
                let t = day(rnd(95));
                bound(&mut rnd, t)
            }),
            task_id: None,
        };
        if let (Some(a), Some(b)) = (filter.start_timestamp, filter.end_timestamp) {
            filter.start_timestamp = Some(a.min(b));
            filter.end_timestamp = Some(a.max(b));
            // Now and then a range within a day or two: no whole day inside.
            if rnd(5) == 0 {
                filter.end_timestamp = Some(a.min(b) + rnd(2 * DAY as u64) as i64);
            }
        }
        let counted = filter.user_id.is_none()
            && (filter.channel_id.is_some()
                || filter.status.is_some()
                || filter.platform.is_some()
                || filter.action.is_some()
                || filter.start_timestamp.is_some()
                || filter.end_timestamp.is_some());
        by_counters += counted as usize;
        let deep = rnd(4) == 0;
        let page = Page {
            p: 1 + rnd(if deep { 3000 } else { 3 }) as i64,
            page_size: [1, 7, 20, 100][rnd(4) as usize],
        };
        let got = store.list_tasks(&filter, page)?;
        let mut conds = Vec::new();
        let mut vals: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |c: &str, v: rusqlite::types::Value| {
            conds.push(format!("{c} ?"));
            vals.push(v);
        };
        use rusqlite::types::Value as V;
        let f = &filter;
        let terms = [
            ("user_id =", f.user_id.map(V::Integer)),
            ("channel_id =", f.channel_id.map(V::Integer)),
            ("status =", f.status.map(|v| V::Text(v.as_str().into()))),
            ("platform =", f.platform.clone().map(V::Text)),
            ("action =", f.action.clone().map(V::Text)),
            ("submit_time >=", f.start_timestamp.map(V::Integer)),
            ("submit_time <=", f.end_timestamp.map(V::Integer)),
        ];
        for (c, v) in terms {
            if let Some(v) = v {
                add(c, v);
            }
        }
        let clause = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM tasks {clause}"),
            rusqlite::params_from_iter(vals.iter()),
            |r| r.get(0),
        )?;
        vals.push(V::Integer(page.page_size));
        vals.push(V::Integer(page.offset()));
        let want: Vec<i64> = conn
            .prepare(&format!(
                "SELECT id FROM tasks {clause} ORDER BY id DESC LIMIT ? OFFSET ?"
            ))?
            .query_map(rusqlite::params_from_iter(vals.iter()), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let ids: Vec<i64> = got.items.iter().map(|(t, _)| t.id).collect();
        if got.total != total || ids != want {
            return Err(format!(
                "check {i}: {filter:?} {page:?}: store gave total {} ids {ids:?}, SQL gave {total} {want:?}",
                got.total
            )
            .into());
        }
    }
    println!(
        "verified {n} random filters and pages against plain SQL \
         ({by_counters} admin totals from the day counters)"
    );
    Ok(())
}

/// A time bound on the UTC day of `t`: `t` itself, the day's first or last
/// second, or a random second of it, so that totals from the day counters
/// are checked with whole days and partial days at both ends.
fn bound(rnd: &mut impl FnMut(u64) -> u64, t: i64) -> i64 {
    const DAY: i64 = 86_400;
    let midnight = t - t.rem_euclid(DAY);
    match rnd(4) {
        0 => t,
        1 => midnight,
        2 => midnight + DAY - 1,
        _ => midnight + rnd(DAY as u64) as i64,
    }
}

/// Untimed calls first: a tenth of the timed ones, and every user once
/// (up to 2000) so their pages are cached as on a server that has run a while.
fn warm_up(n: usize, creds: &[(i64, String)]) -> usize {
    (n / 10).max(creds.len().min(2000))
}

/// The 1, 5 and 15 minute load averages, to show how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The `p`th percentile of `v` (sorted in place).
fn pct(v: &[f64], p: usize) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[(s.len() * p / 100).min(s.len() - 1)]
}

/// A keep-alive HTTP/1.1 connection that sends authenticated GETs.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    /// Sends one GET and returns the status and body.
    fn get(&mut self, path: &str, token: &str, user: i64) -> std::io::Result<(u16, Vec<u8>)> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nNew-Api-User: {user}\r\n\r\n"
        );
        self.stream.write_all(request.as_bytes())?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let body = if let Some(len) = header_value(&head, "content-length") {
            let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
            while self.buf.len() < head_end + len {
                self.fill()?;
            }
            self.buf[head_end..head_end + len].to_vec()
        } else if header_value(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            self.read_chunked(head_end)?
        } else {
            return Err(bad("response has no length"));
        };
        Ok((status, body))
    }

    fn read_chunked(&mut self, mut at: usize) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf[at..], b"\r\n") {
                    break at + i;
                }
                self.fill()?;
            };
            let size_text = String::from_utf8_lossy(&self.buf[at..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            let data_start = line_end + 2;
            while self.buf.len() < data_start + size + 2 {
                self.fill()?;
            }
            body.extend_from_slice(&self.buf[data_start..data_start + size]);
            at = data_start + size + 2;
            if size == 0 {
                return Ok(body);
            }
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 1 << 16];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(bad("connection closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == name).then(|| v.trim())
    })
}

fn bad(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

/// Keeps the latency the server logs for each request (`... 12.3ms`), so
/// the figures are the server's own; nothing is printed.
struct LatencyLog;

static SERVED: AtomicU64 = AtomicU64::new(0);
static LOGGED_MS: Mutex<Vec<f64>> = Mutex::new(Vec::new());

impl LatencyLog {
    /// The latencies logged since the last call.
    fn take() -> Vec<f64> {
        std::mem::take(&mut *LOGGED_MS.lock().unwrap_or_else(|e| e.into_inner()))
    }
    /// Requests logged so far.
    fn count() -> u64 {
        SERVED.load(Ordering::Relaxed)
    }
}

impl log::Log for LatencyLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        // Format as env_logger would, so the cost of the line is paid.
        let line = record.args().to_string();
        if let Some(ms) = line
            .rsplit(' ')
            .next()
            .and_then(|w| w.strip_suffix("ms"))
            .and_then(|w| w.parse::<f64>().ok())
        {
            SERVED.fetch_add(1, Ordering::Relaxed);
            let mut v = LOGGED_MS.lock().unwrap_or_else(|e| e.into_inner());
            if v.len() < 10_000_000 {
                v.push(ms);
            }
        } else if record.level() <= log::Level::Warn {
            eprintln!("{}: {line}", record.level());
        }
    }

    fn flush(&self) {}
}
