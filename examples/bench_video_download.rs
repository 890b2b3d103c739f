//! Video downloads (issue 11): K concurrent downloads of one large video
//! (`--mb`, default 50) from the OpenAI video mock, first straight from
//! the mock, then through `GET /v1/videos/{id}/content` of the compiled
//! `taskcenter` binary (a child process); reports the throughput of both
//! and how much the server's resident memory grew (sampled from
//! `/proc/<pid>/status` while the downloads run). Every download's length
//! and checksum must match the mock's bytes.
//!
//! cargo build --release --bins --examples
//! cargo run --release --example bench_video_download -- --clients 20 --mb 50 --rounds 3

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use mock_upstreams::{VideoMock, VideoMockConfig};
use serde_json::json;
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::domain::TaskStatus;
use taskcenter::store::Store;
use taskcenter::store::channels::ChannelFields;
use taskcenter::store::tasks::NewTask;
use taskcenter::store::tokens::NewToken;
use taskcenter::store::users::NewUser;

#[allow(dead_code)] // each benchmark uses a part of the kit
#[path = "bench_kit/mod.rs"]
mod kit;

use kit::machine::{Rss, load_average, mib};

/// Targets: the server's memory grows by less than this in total...
const MAX_GROWTH_KIB: u64 = 50 * 1024;
/// ...and its throughput is at least this share of the mock's own.
const MIN_RATIO: f64 = 0.8;
/// The public id of the benchmark's video.
const TASK_ID: &str = "task_bench_video_download";

#[derive(Parser)]
struct Args {
    /// Concurrent downloads.
    #[arg(long, default_value_t = 20)]
    clients: usize,
    /// Size of the video in MiB.
    #[arg(long, default_value_t = 50)]
    mb: usize,
    /// Rounds of (direct, relay).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Tokio worker threads of the mock.
    #[arg(long, default_value_t = 2)]
    mock_threads: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let binary = server_binary()?;
    println!("load average at start: {}", load_average());
    let mock = VideoMock::start(
        "127.0.0.1:0",
        VideoMockConfig {
            video_bytes: args.mb * 1024 * 1024,
            worker_threads: args.mock_threads,
            ..VideoMockConfig::default().lasting(0)
        },
    );
    let upstream_id = kit::videos::create(&mock, 1, 1)?.remove(0);
    let expected = mock
        .content_bytes(&upstream_id, mock_upstreams::video::Variant::Video)
        .ok_or("the mock forgot its video")?;
    let want = Digest::of(&expected);
    drop(expected);

    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let key = seed(&db, &mock, &upstream_id)?;
    let server = Server::start(&binary, &db)?;

    let direct_url = format!("{}/v1/videos/{upstream_id}/content", mock.base_url());
    let relay_url = format!("http://{}/v1/videos/{TASK_ID}/content", server.addr);
    // One small range first: the download path's one-time allocations
    // (threads, the upstream agent) belong to the baseline.
    let warm = ureq::get(relay_url.as_str())
        .header("Authorization", format!("Bearer {key}"))
        .header("Range", "bytes=0-1023")
        .call()?;
    if warm.status().as_u16() != 206 {
        return Err(format!("the warm-up range answered {}", warm.status()).into());
    }
    let pid = server.child.id();
    let before = Rss::of(pid).ok_or("the server is gone")?;
    // Rounds alternate direct and relay, so neither gains from going second.
    let (mut direct, mut relay) = (Outcome::default(), Outcome::default());
    for round in 1..=args.rounds.max(1) {
        let d = download_all(&direct_url, mock.secret(), args.clients, want, None)?;
        d.print(&format!("round {round} direct"), args.clients);
        let r = download_all(&relay_url, &key, args.clients, want, Some(pid))?;
        r.print(&format!("round {round}  relay"), args.clients);
        direct.add(&d);
        relay.add(&r);
    }
    let after = Rss::of(pid).ok_or("the server is gone")?;
    direct.print("all direct", args.clients);
    relay.print(" all relay", args.clients);

    let peak = relay.peak_rss_kib.max(after.now_kib);
    let growth = peak.saturating_sub(before.now_kib);
    let ratio = relay.rate() / direct.rate();
    println!(
        "server RSS: {} before, peak {} while downloading (+{}), {} after; VmHWM {} -> {}",
        mib(before.now_kib),
        mib(peak),
        mib(growth),
        mib(after.now_kib),
        mib(before.peak_kib),
        mib(after.peak_kib),
    );
    println!(
        "targets: RSS growth < 50 MiB: {}; relay/direct {:.1}% >= 80%: {}",
        verdict(growth < MAX_GROWTH_KIB),
        ratio * 100.0,
        verdict(ratio >= MIN_RATIO),
    );
    println!("load average at the end: {}", load_average());
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// `target/release/taskcenter`, next to this example's folder.
fn server_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("taskcenter"))
        .ok_or("no folder around this example")?;
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing: cargo build --release --bins",
            bin.display()
        ))
    }
}

/// A user with an unlimited key, a `sora` channel to `mock` and a
/// completed video task of that user over `upstream_id`; returns the key.
fn seed(
    db: &Path,
    mock: &VideoMock,
    upstream_id: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let store = Store::open(db)?;
    let (user, _) = store.create_user(&NewUser {
        username: "bench".into(),
        quota: 1_000_000,
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
    let channel = store.create_channel(&ChannelFields {
        channel_type: Some("sora".into()),
        name: Some("video".into()),
        base_url: Some(mock.base_url()),
        key: Some(mock.secret().to_string()),
        models: Some("sora-2".into()),
        ..Default::default()
    })?;
    let now = SystemClock.now();
    store.insert_tasks_raw(&[NewTask {
        task_id: TASK_ID.into(),
        platform: "55".into(),
        user_id: user.id,
        channel_id: channel.id,
        quota: 200_000,
        action: "textGenerate".into(),
        status: TaskStatus::Success,
        fail_reason: String::new(),
        submit_time: now,
        start_time: now,
        finish_time: now,
        progress: "100%".into(),
        properties: json!({"model": "sora-2", "prompt": "a benchmark video",
                           "seconds": "4", "size": "720x1280"}),
        data: json!({}),
        upstream_task_id: upstream_id.into(),
    }])?;
    Ok(key)
}

/// `taskcenter serve` as a child process; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(binary: &Path, db: &Path) -> Result<Server, Box<dyn std::error::Error>> {
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0", "--allow-private-upstreams"])
            .args(["--root-token", "bench-root-token-0123456789abcdef"])
            .env("RUST_LOG", "warn,taskcenter=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // Drained for the child's whole life: a full pipe would block it.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(30))?.parse()?;
        Ok(Server { child, addr })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Length and a cheap checksum of a body, computed as it streams by.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Digest {
    len: u64,
    sum: u64,
}

impl Digest {
    fn of(bytes: &[u8]) -> Digest {
        let mut d = Digester::default();
        d.feed(bytes);
        d.finish()
    }
}

/// A rolling checksum over 8-byte words (the tail of a read is carried
/// into the next), fast enough not to slow a download down.
#[derive(Default)]
struct Digester {
    len: u64,
    sum: u64,
    carry: Vec<u8>,
}

impl Digester {
    fn feed(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if !self.carry.is_empty() {
            let take = (8 - self.carry.len()).min(bytes.len());
            self.carry.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.carry.len() < 8 {
                return;
            }
            let word = std::mem::take(&mut self.carry);
            self.word(&word);
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.word(w);
        }
        self.carry.extend_from_slice(words.remainder());
    }

    fn word(&mut self, w: &[u8]) {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        self.sum =
            (self.sum.rotate_left(7) ^ u64::from_le_bytes(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(mut self) -> Digest {
        if !self.carry.is_empty() {
            let mut tail = std::mem::take(&mut self.carry);
            tail.resize(8, 0);
            self.word(&tail);
        }
        Digest {
            len: self.len,
            sum: self.sum,
        }
    }
}

/// What one measurement (or several, added up) saw.
#[derive(Default)]
struct Outcome {
    bytes: u64,
    elapsed: Duration,
    /// The server's highest `VmRSS` while the downloads ran (0 when not sampled).
    peak_rss_kib: u64,
}

impl Outcome {
    /// Adds another measurement: its bytes and time, the higher peak.
    fn add(&mut self, o: &Outcome) {
        self.bytes += o.bytes;
        self.elapsed += o.elapsed;
        self.peak_rss_kib = self.peak_rss_kib.max(o.peak_rss_kib);
    }

    /// MiB per second over all clients.
    fn rate(&self) -> f64 {
        self.bytes as f64 / (1024.0 * 1024.0) / self.elapsed.as_secs_f64()
    }

    fn print(&self, label: &str, clients: usize) {
        println!(
            "{label:>16}: {clients} downloads, {} in {:.2}s = {:.0} MiB/s",
            mib(self.bytes / 1024),
            self.elapsed.as_secs_f64(),
            self.rate()
        );
    }
}

/// `clients` downloads of `url` at once, each checked against `want`;
/// samples `pid`'s memory meanwhile when given.
fn download_all(
    url: &str,
    secret: &str,
    clients: usize,
    want: Digest,
    pid: Option<u32>,
) -> Result<Outcome, String> {
    let peak = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let start = Instant::now();
    let results: Vec<Result<u64, String>> = std::thread::scope(|s| {
        if let Some(pid) = pid {
            let (peak, done) = (&peak, &done);
            s.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if let Some(rss) = Rss::of(pid) {
                        peak.fetch_max(rss.now_kib, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
        }
        let handles: Vec<_> = (0..clients)
            .map(|_| s.spawn(|| download(url, secret, want)))
            .collect();
        let results = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a client panicked".into())))
            .collect();
        done.store(true, Ordering::Relaxed);
        results
    });
    let elapsed = start.elapsed();
    let mut bytes = 0;
    for r in results {
        bytes += r?;
    }
    Ok(Outcome {
        bytes,
        elapsed,
        peak_rss_kib: peak.load(Ordering::Relaxed),
    })
}

/// One download, read in 64 KiB pieces and checked against `want`.
fn download(url: &str, secret: &str, want: Digest) -> Result<u64, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let response = agent
        .get(url)
        .header("Authorization", format!("Bearer {secret}"))
        .call()
        .map_err(|e| format!("GET {url}: {e}"))?;
    let mut body = response.into_body().into_reader();
    let mut digester = Digester::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = body
            .read(&mut buf)
            .map_err(|e| format!("reading {url}: {e}"))?;
        if n == 0 {
            break;
        }
        digester.feed(&buf[..n]);
    }
    let got = digester.finish();
    if got != want {
        return Err(format!("{url}: got {got:?}, the mock's bytes are {want:?}"));
    }
    Ok(got.len)
}
