//! Relay submissions: K keep-alive clients submitting Suno music jobs (or,
//! with `--platform video`, `POST /v1/videos` creates) for D seconds, first
//! straight to the mock upstream, then through taskcenter (in-process,
//! worker off) to the same mock; reports submits/s, errors and latency of
//! both and the ratio (issue 3 §8: ≥ 1,000 submits/s through the relay and
//! ≥ 50% of the direct rate; issue 11 asks for the video figure alike).
//!
//! cargo run --release --example bench_relay -- --clients 16 --seconds 10
//! cargo run --release --example bench_relay -- --clients 16 --seconds 10 --platform video
//! cargo run --release --example bench_relay -- --clients 16 --seconds 10 --client raw
//! cargo run --release --example bench_relay -- --clients 16 --seconds 10 --phase store
//! cargo run --release --example bench_relay -- --clients 16 --seconds 10 --phase relay --metrics
//! cargo run --release --example bench_relay -- --clients 1000 --seconds 30 --phase relay --upstream-latency-ms 3000
//!
//! With `--upstream-latency-ms`, the mock accepts each job that late (a
//! slow real upstream); a relay submit refused with 503 `overloaded`
//! (`--max-inflight-submissions` reached) is counted apart, with how long
//! its answer took, and its client waits the `Retry-After` second.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use mock_upstreams::{Mock, MockConfig, VideoMock, VideoMockConfig};
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::store::Store;
use taskcenter::store::channels::ChannelFields;
use taskcenter::store::tokens::NewToken;
use taskcenter::store::users::NewUser;
use taskcenter::{Config, Context};

#[allow(dead_code)] // each benchmark uses a part of the kit
#[path = "bench_kit/mod.rs"]
mod kit;

use kit::machine::load_average;

/// Which platform's submissions are measured.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Platform {
    /// `POST /suno/submit/music` to a `suno` channel.
    Suno,
    /// `POST /v1/videos` (sora-2, 4 s) to a `sora` channel.
    Video,
}

impl Platform {
    /// Where a client submits.
    fn path(self) -> &'static str {
        match self {
            Platform::Suno => "/suno/submit/music",
            Platform::Video => "/v1/videos",
        }
    }

    /// The job every client submits.
    fn body(self) -> &'static str {
        match self {
            Platform::Suno => {
                r#"{"prompt":"a bench song about keep-alive","mv":"chirp-v3-5","title":"bench"}"#
            }
            Platform::Video => r#"{"prompt":"a bench video about keep-alive","model":"sora-2"}"#,
        }
    }

    /// What one accepted job costs: a music job 0.1 USD, a 4 s sora-2 video
    /// 4 × 0.10 USD, × 500,000 quota per USD.
    fn charge(self) -> i64 {
        match self {
            Platform::Suno => 50_000,
            Platform::Video => 200_000,
        }
    }

    /// The channel type and the models it serves.
    fn channel(self) -> (&'static str, &'static str) {
        match self {
            Platform::Suno => ("suno", "suno_music"),
            Platform::Video => ("sora", "sora-2"),
        }
    }

    /// What an accepted submission's body holds (beside HTTP 200).
    fn accepted_marker(self) -> &'static [u8] {
        match self {
            Platform::Suno => br#""code":"success""#,
            Platform::Video => br#""status":"queued""#,
        }
    }
}

/// The mock of the measured platform.
enum Upstream {
    Suno(Mock),
    Video(VideoMock),
}

impl Upstream {
    fn start(platform: Platform, threads: usize, latency_ms: u64) -> Upstream {
        match platform {
            Platform::Suno => Upstream::Suno(Mock::start(
                "127.0.0.1:0",
                MockConfig {
                    latency_ms,
                    worker_threads: threads,
                    ..Default::default()
                },
            )),
            Platform::Video => Upstream::Video(VideoMock::start(
                "127.0.0.1:0",
                VideoMockConfig {
                    latency_ms,
                    worker_threads: threads,
                    ..Default::default()
                },
            )),
        }
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Upstream::Suno(m) => m.addr(),
            Upstream::Video(m) => m.addr(),
        }
    }

    fn base_url(&self) -> String {
        match self {
            Upstream::Suno(m) => m.base_url(),
            Upstream::Video(m) => m.base_url(),
        }
    }

    fn secret(&self) -> &str {
        match self {
            Upstream::Suno(m) => m.secret(),
            Upstream::Video(m) => m.secret(),
        }
    }
}

#[derive(Parser)]
struct Args {
    /// Which platform's submissions to measure.
    #[arg(long, value_enum, default_value_t = Platform::Suno)]
    platform: Platform,
    /// Client threads, each with one keep-alive connection.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Length of each measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// HTTP client: ureq 3 agents or a minimal HTTP/1.1 client on a TcpStream.
    #[arg(long, value_enum, default_value_t = ClientKind::Ureq)]
    client: ClientKind,
    /// Which measurements to run.
    #[arg(long, value_enum, default_value_t = Phase::Both)]
    phase: Phase,
    /// Tokio worker threads of the mock.
    #[arg(long, default_value_t = 2)]
    mock_threads: usize,
    /// Tokio worker threads of the server (0 = one per core).
    #[arg(long, default_value_t = 0)]
    server_threads: usize,
    /// SQLite connections in the server's pool (`Store::open` uses 16).
    #[arg(long, default_value_t = 16)]
    pool_size: u32,
    /// Print the accepted submits of every second.
    #[arg(long)]
    progress: bool,
    /// Send a new `Idempotency-Key` with every relay submit (ureq clients).
    #[arg(long)]
    idempotency_keys: bool,
    /// Experiment: drop this index from the temporary database first (repeatable).
    #[arg(long)]
    drop_index: Vec<String>,
    /// Experiment: run `PRAGMA <this>` on every connection of the server's pool (repeatable).
    #[arg(long)]
    pragma: Vec<String>,
    /// Run the server with `--metrics` (recording on, `/metrics` served).
    #[arg(long)]
    metrics: bool,
    /// How long the mock takes to accept a job, in milliseconds.
    #[arg(long, default_value_t = 0)]
    upstream_latency_ms: u64,
    /// Experiment: every write in a transaction of its own on the calling
    /// thread (no group commit), as before issue 15.
    #[arg(long)]
    ungrouped: bool,
    /// The server's `--max-inflight-submissions` (its default when absent).
    #[arg(long)]
    max_inflight_submissions: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClientKind {
    /// ureq with per-phase timeouts (resolves on the calling thread).
    Ureq,
    /// ureq with `timeout_global`, as `platform::agent` builds it: ureq 3 then
    /// resolves the host on a new thread for every request.
    UreqGlobalTimeout,
    /// A minimal HTTP/1.1 client on a TcpStream.
    Raw,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    /// Direct, then relay.
    Both,
    Direct,
    Relay,
    /// The relay's store calls without HTTP or upstream, timed per step.
    Store,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let platform = args.platform;
    if platform == Platform::Video && args.phase == Phase::Store {
        return Err("--phase store times the Suno relay's store calls only".into());
    }
    let mock = Upstream::start(platform, args.mock_threads, args.upstream_latency_ms);

    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let store = Store::open(&db)?;
    let quota_start = 1_000_000_000_000_000;
    let (user, _) = store.create_user(&NewUser {
        username: "bench".into(),
        quota: quota_start,
        ..Default::default()
    })?;
    let (_, key) = store.create_token(
        user.id,
        &NewToken {
            name: "bench".into(),
            remain_quota: 0,
            unlimited_quota: true,
            expired_time: -1,
        },
    )?;
    let (channel_type, models) = platform.channel();
    store.create_channel(&ChannelFields {
        channel_type: Some(channel_type.into()),
        name: Some("mock".into()),
        base_url: Some(mock.base_url()),
        key: Some(mock.secret().to_string()),
        models: Some(models.into()),
        ..Default::default()
    })?;

    // The server's own handle, so its pool size can vary (setup needs more
    // than one connection: create_channel nests a checkout).
    let served = Store::open_with_pool_size(&db, args.pool_size)?;
    let served = if args.ungrouped {
        served.ungrouped()
    } else {
        served
    };
    apply_experiments(&served, &args)?;
    let server = Server::start(
        served.clone(),
        db.clone(),
        args.server_threads,
        args.metrics,
        args.max_inflight_submissions,
    )?;
    let secs = Duration::from_secs(args.seconds);
    println!("load average at start: {}", load_average());
    println!(
        "{} {} clients ({}), {} s each, mock {} threads, server {} threads, {} cores",
        args.clients,
        match platform {
            Platform::Suno => "Suno",
            Platform::Video => "video",
        },
        match args.client {
            ClientKind::Ureq => "ureq",
            ClientKind::UreqGlobalTimeout => "ureq with timeout_global",
            ClientKind::Raw => "raw TcpStream",
        },
        args.seconds,
        args.mock_threads,
        if args.server_threads == 0 {
            "default".to_string()
        } else {
            args.server_threads.to_string()
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    describe_db(&store, &db, &args)?;
    let _progress = args.progress.then(|| Progress::start(Instant::now()));
    if args.phase == Phase::Store {
        server.stop();
        // Priced as the server prices (the platforms' list prices).
        let served = served.with_default_prices(
            &taskcenter::platform::Platforms::builtin(&Config::default().upstream_settings())
                .default_prices(),
        );
        let accepted = store_phase(&served, &key, args.clients, secs);
        describe_writes(&served, &args, accepted)?;
        return verify(&store, platform, user.id, quota_start, accepted);
    }

    let direct = matches!(args.phase, Phase::Both | Phase::Direct).then(|| {
        let r = measure(
            args.client,
            platform,
            mock.addr(),
            mock.secret(),
            args.clients,
            secs,
            false,
        );
        r.print("direct");
        r
    });
    let relay = matches!(args.phase, Phase::Both | Phase::Relay).then(|| {
        let keyed = args.idempotency_keys;
        let r = measure(
            args.client,
            platform,
            server.addr,
            &key,
            args.clients,
            secs,
            keyed,
        );
        r.print("relay");
        r
    });
    server.stop();

    if let Some(r) = relay.as_ref().filter(|_| args.upstream_latency_ms > 0) {
        // Past the limit the excess is refused: the ideal is what fits.
        let limit = args
            .max_inflight_submissions
            .unwrap_or(Config::default().max_inflight_submissions);
        let in_flight = args.clients.min(limit);
        let ideal = in_flight as f64 * 1000.0 / args.upstream_latency_ms as f64;
        println!(
            "relay vs ideal ({in_flight} in flight / upstream latency = {ideal:.0}/s): {:.1}%  (target >= 90%: {})",
            100.0 * r.rate() / ideal,
            pass(r.rate() >= 0.9 * ideal)
        );
    }
    if let (Some(d), Some(r)) = (&direct, &relay) {
        let ratio = r.rate() / d.rate();
        println!(
            "ratio relay/direct: {:.1}%  (targets: relay >= 1000/s: {}, ratio >= 50%: {})",
            ratio * 100.0,
            pass(r.rate() >= 1000.0),
            pass(ratio >= 0.5)
        );
    }
    println!("load average at the end: {}", load_average());
    if let Some(r) = &relay {
        describe_writes(&served, &args, r.ok)?;
        verify(&store, platform, user.id, quota_start, r.ok)?;
    }
    Ok(())
}

/// Applies `--drop-index` and `--pragma` to the server's database and pool.
fn apply_experiments(served: &Store, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    for index in &args.drop_index {
        served
            .conn()?
            .execute_batch(&format!("DROP INDEX {index}"))?;
    }
    if !args.pragma.is_empty() {
        // Holding every connection at once reaches each one of the pool.
        let conns = (0..args.pool_size)
            .map(|_| served.conn())
            .collect::<Result<Vec<_>, _>>()?;
        for conn in &conns {
            for p in &args.pragma {
                conn.execute_batch(&format!("PRAGMA {p}"))?;
            }
        }
    }
    Ok(())
}

/// Prints the SQLite settings the server runs with and how it plans the
/// statement of `ledger::mark_submitted` that moves the charge's log row to
/// the channel that took the job.
fn describe_db(
    store: &Store,
    db: &std::path::Path,
    args: &Args,
) -> Result<(), Box<dyn std::error::Error>> {
    let conn = store.conn()?;
    let pragma = |name: &str| -> Result<String, rusqlite::Error> {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
                .map(|v| format!("{v:?}"))
        })
    };
    println!(
        "sqlite {}: journal_mode {}, synchronous {}, wal_autocheckpoint {}, pool {}{}{}",
        rusqlite::version(),
        pragma("journal_mode")?,
        pragma("synchronous")?,
        pragma("wal_autocheckpoint")?,
        args.pool_size,
        if args.pragma.is_empty() {
            String::new()
        } else {
            format!(", pragmas {:?}", args.pragma)
        },
        if args.drop_index.is_empty() {
            String::new()
        } else {
            format!(", dropped {:?}", args.drop_index)
        },
    );
    // A fresh connection: a pooled one may plan with a schema cached before
    // --drop-index.
    let plan: String = rusqlite::Connection::open(db)?.query_row(
        "EXPLAIN QUERY PLAN UPDATE logs SET channel_id = ?2 WHERE task_id = ?1 AND +type = 2 AND channel_id != ?2",
        rusqlite::params!["task_x", 1],
        |r| r.get(3),
    )?;
    println!("plan of mark_submitted's log update: {plan}");
    Ok(())
}

fn pass(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// Every accepted submit left one SUBMITTED task and took exactly one charge.
fn verify(
    store: &Store,
    platform: Platform,
    user_id: i64,
    quota_start: i64,
    accepted: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let conn = store.conn()?;
    let (tasks, submitted, quota): (i64, i64, i64) = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM tasks),
                (SELECT COUNT(*) FROM tasks WHERE status = 'SUBMITTED'),
                (SELECT quota FROM users WHERE id = ?1)",
        [user_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let spent = quota_start - quota;
    let charge = platform.charge();
    let expected = accepted as i64 * charge;
    let ok = tasks == accepted as i64 && submitted == tasks && spent == expected;
    println!(
        "verify: {tasks} tasks ({submitted} SUBMITTED) for {accepted} accepted submits; quota spent {spent} = {accepted} x {charge}? {}",
        if ok { "OK" } else { "MISMATCH" }
    );
    if !ok {
        let mut stmt = conn.prepare("SELECT status, COUNT(*) FROM tasks GROUP BY status")?;
        let statuses = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        println!("        tasks by status: {}", statuses.join(", "));
        return Err("the database does not match the accepted submits".into());
    }
    Ok(())
}

/// Pages the server's transactions wrote to the WAL per accepted
/// submission (SQLite's own count on each pooled connection) and, with
/// `--metrics`, how long a write transaction held the writer and how many
/// writes a grouped transaction took; then the ledger audit.
fn describe_writes(
    served: &Store,
    args: &Args,
    accepted: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    // Every connection of the pool at once: the writes ran on them.
    let conns = (0..args.pool_size)
        .map(|_| served.conn())
        .collect::<Result<Vec<_>, _>>()?;
    let mut pages: i64 = 0;
    for conn in &conns {
        let (mut current, mut highest) = (0, 0);
        // SAFETY: the handle is that of an open connection this thread
        // holds, and sqlite3_db_status only reads its counters.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                conn.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_CACHE_WRITE,
                &mut current,
                &mut highest,
                0,
            )
        };
        if rc == rusqlite::ffi::SQLITE_OK {
            pages += i64::from(current);
        }
    }
    drop(conns);
    println!(
        "writes: {pages} pages to the WAL = {:.1} per accepted submission",
        pages as f64 / accepted.max(1) as f64
    );
    if args.metrics {
        let text = served
            .metrics()
            .render(&[], SystemClock.now())
            .map_err(|e| format!("metrics: {e}"))?;
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or(0.0)
        };
        let (held, transactions) = (
            value("taskcenter_store_writer_hold_seconds_sum"),
            value("taskcenter_store_writer_hold_seconds_count"),
        );
        let (grouped, batches) = (
            value("taskcenter_store_grouped_writes_sum"),
            value("taskcenter_store_grouped_writes_count"),
        );
        println!(
            "writer: {transactions:.0} write transactions, held {:.3} ms each on average, \
             {:.3} ms per accepted submission; {batches:.0} grouped transactions of {:.1} writes on average",
            1000.0 * held / transactions.max(1.0),
            1000.0 * held / accepted.max(1) as f64,
            grouped / batches.max(1.0)
        );
    }
    let report = served.audit(
        SystemClock.now(),
        taskcenter::audit::Horizons {
            stale_after_secs: 86_400,
            orphan_after_secs: 86_400,
        },
    )?;
    println!(
        "audit: {} ({} tasks, {} log rows)",
        if report.ok { "OK" } else { "VIOLATIONS" },
        report.tasks,
        report.logs
    );
    if !report.ok {
        return Err("the ledger audit found violations".into());
    }
    Ok(())
}

/// Accepted submits so far, for `--progress`.
static ACCEPTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn count_accepted() {
    ACCEPTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Prints the accepted submits of every second until dropped.
struct Progress {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Progress {
    fn start(start: Instant) -> Progress {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut last = ACCEPTED.load(Ordering::Relaxed);
            let mut tick = start;
            while !flag.load(Ordering::Relaxed) {
                tick += Duration::from_secs(1);
                std::thread::sleep(tick.saturating_duration_since(Instant::now()));
                let now = ACCEPTED.load(Ordering::Relaxed);
                println!(
                    "  t={:>4.0}s {:>7} accepted/s (total {now})",
                    start.elapsed().as_secs_f64(),
                    now - last
                );
                last = now;
            }
        });
        Progress { stop }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The steps of one relay submission that touch the store, in order.
const STEPS: [&str; 6] = [
    "authenticate_key (route)",
    "authenticate_key (relay)",
    "quote",
    "candidate_channels",
    "ledger::reserve",
    "ledger::mark_submitted",
];

/// What one store-phase thread did.
#[derive(Default)]
struct StoreTally {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    /// Time spent in each of [`STEPS`].
    spent: [Duration; 6],
}

/// Runs the store calls of `relay::submit` (as the route makes them) from
/// `clients` threads for `secs`, with a made-up upstream id instead of the
/// HTTP call; prints the rate and where the time goes. Returns the accepted count.
fn store_phase(store: &Store, key: &str, clients: usize, secs: Duration) -> u64 {
    let start = Instant::now();
    let deadline = start + secs;
    let tallies: Vec<StoreTally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|t| {
                scope.spawn(move || {
                    let mut tally = StoreTally::default();
                    while Instant::now() < deadline {
                        let upstream = format!("{t:08x}{:024x}", tally.ok + tally.errors);
                        match store_submission(store, key, &upstream, &mut tally.spent) {
                            Ok(()) => {
                                tally.ok += 1;
                                count_accepted();
                            }
                            Err(e) => {
                                tally.errors += 1;
                                tally.first_error.get_or_insert(e);
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("store thread panicked"))
            .collect()
    });
    let elapsed = start.elapsed();
    let mut sum = StoreTally::default();
    for t in tallies {
        sum.ok += t.ok;
        sum.errors += t.errors;
        sum.first_error = sum.first_error.or(t.first_error);
        for (a, b) in sum.spent.iter_mut().zip(t.spent) {
            *a += b;
        }
    }
    let calls = (sum.ok + sum.errors).max(1) as f64;
    println!(
        " store: {} submissions in {:.2}s = {:.0}/s ({clients} threads, no HTTP), {} errors",
        sum.ok,
        elapsed.as_secs_f64(),
        sum.ok as f64 / elapsed.as_secs_f64(),
        sum.errors
    );
    if let Some(e) = &sum.first_error {
        println!("        first error: {e}");
    }
    let all: Duration = sum.spent.iter().sum();
    for (name, d) in STEPS.iter().zip(sum.spent) {
        println!(
            "  {name:<26} {:>8.3} ms/call  {:>5.1}%",
            d.as_secs_f64() * 1000.0 / calls,
            100.0 * d.as_secs_f64() / all.as_secs_f64().max(f64::MIN_POSITIVE)
        );
    }
    sum.ok
}

/// One submission's store calls, each step's time added to `spent`.
fn store_submission(
    store: &Store,
    key: &str,
    upstream_id: &str,
    spent: &mut [Duration; 6],
) -> Result<(), String> {
    use taskcenter::store::ledger::{self, Reservation};
    let now = SystemClock.now();
    let mut mark = Instant::now();
    let mut lap = |step: usize| {
        let t = Instant::now();
        spent[step] += t - mark;
        mark = t;
    };
    let failed = |step: usize| move |e: taskcenter::error::Error| format!("{}: {e}", STEPS[step]);
    taskcenter::relay::authenticate_key(store, key, now).map_err(failed(0))?;
    lap(0);
    let (token, user) = taskcenter::relay::authenticate_key(store, key, now).map_err(failed(1))?;
    lap(1);
    let quote = store
        .quote("suno_music", 1.0, &user.group)
        .map_err(|e| failed(2)(e.into()))?;
    lap(2);
    let channels = store
        .candidate_channels("suno", "suno_music", &user.group)
        .map_err(|e| failed(3)(e.into()))?;
    lap(3);
    let channel = channels.first().ok_or("no channel")?.id;
    let task = ledger::reserve(
        store,
        &Reservation {
            user_id: user.id,
            token_id: token.id,
            channel_id: channel,
            platform: "suno".into(),
            action: "MUSIC".into(),
            model_name: "suno_music".into(),
            quote,
            properties: serde_json::json!({"model": "suno_music", "prompt": "bench"}),
            callback_url: String::new(),
        },
        now,
    )
    .map_err(|e| failed(4)(e.into()))?;
    lap(4);
    ledger::mark_submitted(store, task.id, channel, upstream_id, 0, now)
        .map_err(|e| failed(5)(e.into()))?;
    lap(5);
    Ok(())
}

/// taskcenter served on its own runtime thread.
struct Server {
    addr: SocketAddr,
    shutdown: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Server {
    fn start(
        store: Store,
        db: std::path::PathBuf,
        threads: usize,
        metrics: bool,
        max_inflight_submissions: Option<usize>,
    ) -> io::Result<Server> {
        let default = Config::default();
        let config = Config {
            db,
            upstream_timeout_secs: 30,
            // The mock listens on loopback.
            allow_private_upstreams: true,
            worker: false,
            metrics,
            max_inflight_submissions: max_inflight_submissions
                .unwrap_or(default.max_inflight_submissions),
            ..default
        };
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        // As `taskcenter serve` sizes it.
        builder
            .enable_all()
            .max_blocking_threads(config.max_blocking_threads());
        if threads > 0 {
            builder.worker_threads(threads);
        }
        let runtime = builder.build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let ctx = Context::new(store, config, Arc::new(SystemClock));
            runtime.block_on(taskcenter::run(listener, ctx, async move {
                let _ = signal.await;
            }));
        });
        Ok(Server {
            addr,
            shutdown,
            thread,
        })
    }

    fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.thread.join();
    }
}

/// What the clients of one measurement saw.
struct Outcome {
    ok: u64,
    errors: u64,
    /// Submits refused with 503 `overloaded`, and how long each answer took.
    refused: u64,
    refused_latencies_us: Vec<u32>,
    first_error: Option<String>,
    elapsed: Duration,
    /// Latency of every request (accepted or not), in microseconds.
    latencies_us: Vec<u32>,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }

    fn print(&self, label: &str) {
        println!(
            "{label:>6}: {:>7} accepted in {:.2}s = {:>7.0} submits/s, {} errors, p50 {:.2} ms, p99 {:.2} ms",
            self.ok,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.errors,
            self.percentile_ms(0.50),
            self.percentile_ms(0.99),
        );
        if let Some(e) = &self.first_error {
            println!("        first error: {e}");
        }
        if self.refused > 0 {
            let mut sorted = self.refused_latencies_us.clone();
            sorted.sort_unstable();
            println!(
                "        {} refused with 503 overloaded: p50 {:.2} ms, slowest {:.2} ms",
                self.refused,
                sorted[sorted.len() / 2] as f64 / 1000.0,
                sorted[sorted.len() - 1] as f64 / 1000.0
            );
        }
    }
}

/// Runs `clients` threads submitting to `addr` with `secret` until `secs` pass.
fn measure(
    kind: ClientKind,
    platform: Platform,
    addr: SocketAddr,
    secret: &str,
    clients: usize,
    secs: Duration,
    keyed: bool,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + secs;
    let handles: Vec<_> = (0..clients)
        .map(|thread| {
            let secret = secret.to_string();
            std::thread::spawn(move || {
                let mut client = Client::new(kind, platform, addr, &secret);
                if keyed && let Client::Ureq { idempotency, .. } = &mut client {
                    *idempotency = Some((format!("bench-{thread}"), 0));
                }
                let mut ok = 0u64;
                let mut errors = 0u64;
                let mut first_error = None;
                let mut latencies = Vec::with_capacity(1 << 16);
                let mut refused = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let result = client.submit();
                    let took = t.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    match result {
                        Ok(Sent::Accepted) => {
                            latencies.push(took);
                            ok += 1;
                            count_accepted();
                        }
                        Ok(Sent::Overloaded) => {
                            refused.push(took);
                            // Its Retry-After.
                            std::thread::sleep(Duration::from_secs(1));
                        }
                        Err(e) => {
                            latencies.push(took);
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (ok, errors, first_error, latencies, refused, Instant::now())
            })
        })
        .collect();
    let mut out = Outcome {
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
        refused: 0,
        refused_latencies_us: Vec::new(),
    };
    let mut end = start;
    for h in handles {
        let (ok, errors, first_error, latencies, refused, finished) =
            h.join().expect("client thread panicked");
        out.refused += refused.len() as u64;
        out.refused_latencies_us.extend(refused);
        out.ok += ok;
        out.errors += errors;
        if out.first_error.is_none() {
            out.first_error = first_error;
        }
        out.latencies_us.extend(latencies);
        end = end.max(finished);
    }
    out.elapsed = end - start;
    out.latencies_us.sort_unstable();
    out
}

/// One keep-alive client.
/// How the service answered a submit that did not fail.
enum Sent {
    Accepted,
    /// 503 `overloaded`: too many submissions in flight.
    Overloaded,
}

enum Client {
    Ureq {
        agent: ureq::Agent,
        platform: Platform,
        url: String,
        auth: String,
        /// A key prefix and the count of keys sent, when keys are sent.
        idempotency: Option<(String, u64)>,
    },
    Raw(Platform, RawClient),
}

impl Client {
    fn new(kind: ClientKind, platform: Platform, addr: SocketAddr, secret: &str) -> Client {
        let timeout = Some(Duration::from_secs(30));
        let config = ureq::Agent::config_builder().http_status_as_error(false);
        let config = match kind {
            ClientKind::Raw => {
                return Client::Raw(platform, RawClient::new(platform, addr, secret));
            }
            ClientKind::UreqGlobalTimeout => config.timeout_global(timeout),
            ClientKind::Ureq => config
                .timeout_connect(timeout)
                .timeout_recv_response(timeout)
                .timeout_recv_body(timeout),
        };
        Client::Ureq {
            agent: config.build().into(),
            platform,
            url: format!("http://{addr}{}", platform.path()),
            auth: format!("Bearer {secret}"),
            idempotency: None,
        }
    }

    /// One submit; `Ok` only for HTTP 200 with the platform's mark of
    /// acceptance (`"code":"success"`, `"status":"queued"`), or a 503
    /// `overloaded` refusal.
    fn submit(&mut self) -> Result<Sent, String> {
        let (platform, status, body) = match self {
            Client::Ureq {
                agent,
                platform,
                url,
                auth,
                idempotency,
            } => {
                let mut request = agent
                    .post(url.as_str())
                    .header("Authorization", auth.as_str());
                if let Some((prefix, sent)) = idempotency {
                    *sent += 1;
                    request = request.header("Idempotency-Key", format!("{prefix}-{sent}"));
                }
                let mut resp = request
                    .content_type("application/json")
                    .send(platform.body())
                    .map_err(|e| e.to_string())?;
                let status = resp.status().as_u16();
                let body = resp.body_mut().read_to_vec().map_err(|e| e.to_string())?;
                (*platform, status, body)
            }
            Client::Raw(platform, c) => {
                let (status, body) = c.post().map_err(|e| e.to_string())?;
                (*platform, status, body)
            }
        };
        let success = platform.accepted_marker();
        let overloaded = br#""overloaded""#;
        if status == 200 && body.windows(success.len()).any(|w| w == success) {
            Ok(Sent::Accepted)
        } else if status == 503 && body.windows(overloaded.len()).any(|w| w == overloaded) {
            Ok(Sent::Overloaded)
        } else {
            Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))
        }
    }
}

/// Just enough HTTP/1.1 for this benchmark: one POST at a time on a kept-alive
/// connection, answers framed by Content-Length (warp sets it on these replies).
struct RawClient {
    addr: SocketAddr,
    request: Vec<u8>,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl RawClient {
    fn new(platform: Platform, addr: SocketAddr, secret: &str) -> RawClient {
        let (path, body) = (platform.path(), platform.body());
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {secret}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes();
        RawClient {
            addr,
            request,
            stream: None,
            buf: Vec::with_capacity(4096),
        }
    }

    fn post(&mut self) -> io::Result<(u16, Vec<u8>)> {
        // A kept-alive connection the server closed meanwhile gets one retry
        // on a fresh connection.
        let reused = self.stream.is_some();
        match self.exchange() {
            Ok(r) => Ok(r),
            Err(_) if reused => {
                self.stream = None;
                self.exchange()
            }
            Err(e) => Err(e),
        }
    }

    fn exchange(&mut self) -> io::Result<(u16, Vec<u8>)> {
        let result = self.exchange_inner();
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    fn exchange_inner(&mut self) -> io::Result<(u16, Vec<u8>)> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.stream = Some(s);
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(&self.request)?;
        self.buf.clear();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| io::Error::other("response head is not UTF-8"))?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("bad status line"))?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .ok_or_else(|| io::Error::other("response without Content-Length"))?;
        let close = head.lines().any(|l| {
            l.split_once(':').is_some_and(|(n, v)| {
                n.eq_ignore_ascii_case("connection") && v.trim().eq_ignore_ascii_case("close")
            })
        });
        while self.buf.len() < head_end + length {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = self.buf[head_end..head_end + length].to_vec();
        if close {
            self.stream = None;
        }
        Ok((status, body))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
