//! Soak: mixed load (submits, polls settling, list queries, top-ups) against
//! the compiled server and the mock with faults switching on and off, for a
//! chosen number of minutes. Reports request and error counts, latency
//! percentiles per kind, the server's resident memory over time, and the
//! ledger audit at the end.
//!
//! cargo build --release --bins --examples
//! cargo run --release --example soak -- --minutes 5

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use mock_upstreams::{Fault, Mock, MockConfig};
use serde_json::{Value, json};
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::store::Store;
use taskcenter::store::channels::ChannelFields;
use taskcenter::store::tokens::NewToken;
use taskcenter::store::users::NewUser;

#[derive(Parser)]
struct Args {
    /// How long to run.
    #[arg(long, default_value_t = 5.0)]
    minutes: f64,
    /// Concurrent submitters.
    #[arg(long, default_value_t = 4)]
    submitters: usize,
    /// Concurrent list readers.
    #[arg(long, default_value_t = 4)]
    readers: usize,
    /// Submissions per second per submitter (0 = as fast as possible).
    #[arg(long, default_value_t = 25.0)]
    rate: f64,
}

const ROOT: &str = "soak-root-token-0123456789abcdefgh";

#[derive(Default)]
struct Tally {
    latencies_us: BTreeMap<&'static str, Vec<u64>>,
    errors: BTreeMap<&'static str, u64>,
    statuses: BTreeMap<(&'static str, u16), u64>,
}

impl Tally {
    fn record(&mut self, kind: &'static str, started: Instant, result: Result<u16, String>) {
        let us = started.elapsed().as_micros() as u64;
        self.latencies_us.entry(kind).or_default().push(us);
        match result {
            Ok(s) => *self.statuses.entry((kind, s)).or_default() += 1,
            Err(_) => *self.errors.entry(kind).or_default() += 1,
        }
    }
}

/// The server's resident memory in KiB: (anonymous, file-backed). SQLite
/// reads through mmap, so file-backed pages are the OS page cache of the
/// database file; anonymous pages are the process's own heap.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    };
    (field("RssAnon:"), field("RssFile:"))
}

fn server_binary() -> PathBuf {
    // target/release/examples/soak -> target/release/taskcenter
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("taskcenter"))
        .expect("target dir")
}

fn call(req: ureq::RequestBuilder<ureq::typestate::WithBody>, body: Value) -> Result<u16, String> {
    req.content_type("application/json")
        .send(body.to_string())
        .map(|mut r| {
            let _ = r.body_mut().read_to_string();
            r.status().as_u16()
        })
        .map_err(|e| e.to_string())
}

fn get(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> Result<u16, String> {
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.call()
        .map(|mut r| {
            let _ = r.body_mut().read_to_string();
            r.status().as_u16()
        })
        .map_err(|e| e.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mock = Mock::start(
        "127.0.0.1:0",
        MockConfig {
            music_duration_ms: 5_000,
            failure_ratio: 0.2,
            ..Default::default()
        },
    );
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("soak.db");
    let (uid, user_token, key) = {
        let store = Store::open(&db)?;
        let (user, token) = store.create_user(&NewUser {
            username: "soak".into(),
            quota: 1_000_000_000_000,
            ..Default::default()
        })?;
        let (_, key) = store.create_token(
            user.id,
            &NewToken {
                name: "soak".into(),
                unlimited_quota: true,
                expired_time: -1,
                ..Default::default()
            },
        )?;
        for i in 0..2 {
            store.create_channel(&ChannelFields {
                channel_type: Some("suno".into()),
                name: Some(format!("mock-{i}")),
                base_url: Some(mock.base_url()),
                key: Some(mock.secret().to_string()),
                models: Some("suno_music,suno_lyrics".into()),
                ..Default::default()
            })?;
        }
        (user.id, token, key)
    };
    let mut child = Command::new(server_binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--root-token", ROOT])
        .args(["--poll-interval-ms", "1000", "--upstream-timeout-secs", "3"])
        .args(["--task-timeout-secs", "120"])
        .arg("--db")
        .arg(&db)
        .env("RUST_LOG", "warn,taskcenter=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(a) = line.split("listening on ").nth(1) {
                let _ = tx.send(a.trim().to_string());
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(20))?;
    let base = format!("http://{addr}");
    let pid = child.id();
    println!(
        "soak: server pid {pid} on {base}, mock {}, {} min",
        mock.base_url(),
        args.minutes
    );

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let agent = || -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    };
    let mut threads = Vec::new();
    for _ in 0..args.submitters {
        let (stop, tally, key, base, a) = (
            stop.clone(),
            tally.clone(),
            key.clone(),
            base.clone(),
            agent(),
        );
        let pause = if args.rate > 0.0 {
            Duration::from_secs_f64(1.0 / args.rate)
        } else {
            Duration::ZERO
        };
        threads.push(std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let (kind, path, body) = if n.is_multiple_of(10) {
                    (
                        "submit_lyrics",
                        "/suno/submit/lyrics",
                        json!({"prompt": "soak"}),
                    )
                } else {
                    (
                        "submit_music",
                        "/suno/submit/music",
                        json!({"prompt": "soak", "tags": "rock"}),
                    )
                };
                let t = Instant::now();
                let req = a
                    .post(&format!("{base}{path}"))
                    .header("Authorization", &format!("Bearer {key}"));
                let r = call(req, body);
                tally.lock().unwrap().record(kind, t, r);
                std::thread::sleep(pause);
            }
        }));
    }
    for i in 0..args.readers {
        let (stop, tally, base, a, token) = (
            stop.clone(),
            tally.clone(),
            base.clone(),
            agent(),
            user_token.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let uid_s = uid.to_string();
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let t = Instant::now();
                let (kind, r) = if (n + i as u64).is_multiple_of(3) {
                    let url = format!("{base}/api/task/?p={}&status=SUCCESS", n % 50 + 1);
                    (
                        "list_admin",
                        get(&a, &url, &[("Authorization", ROOT), ("New-Api-User", "1")]),
                    )
                } else {
                    let url = format!("{base}/api/task/self?p={}", n % 20 + 1);
                    (
                        "list_self",
                        get(
                            &a,
                            &url,
                            &[("Authorization", &token), ("New-Api-User", &uid_s)],
                        ),
                    )
                };
                tally.lock().unwrap().record(kind, t, r);
                std::thread::sleep(Duration::from_millis(5));
            }
        }));
    }
    {
        let (stop, tally, base, a) = (stop.clone(), tally.clone(), base.clone(), agent());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let t = Instant::now();
                let req = a
                    .post(&format!("{base}/api/user/{uid}/quota"))
                    .header("Authorization", ROOT)
                    .header("New-Api-User", "1");
                let r = call(req, json!({"delta": 1000, "reason": "soak top-up"}));
                tally.lock().unwrap().record("topup", t, r);
                std::thread::sleep(Duration::from_millis(200));
            }
        }));
    }

    // Faults switch on and off: 10 s of trouble every minute.
    let faults = [
        Fault::Http(500),
        Fault::Flip,
        Fault::Http(429),
        Fault::MalformedJson,
    ];
    let started = Instant::now();
    let total = Duration::from_secs_f64(args.minutes * 60.0);
    let mut samples = Vec::new();
    let mut next_sample = Duration::ZERO;
    while started.elapsed() < total {
        let el = started.elapsed();
        let minute = (el.as_secs() / 60) as usize;
        let in_fault = el.as_secs() % 60 >= 40 && el.as_secs() % 60 < 50;
        mock.set_fault(if in_fault {
            faults[minute % faults.len()].clone()
        } else {
            Fault::None
        });
        if el >= next_sample {
            samples.push((el.as_secs(), rss_kib(pid)));
            next_sample += Duration::from_secs(15);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    mock.set_fault(Fault::None);
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        let _ = t.join();
    }
    samples.push((started.elapsed().as_secs(), rss_kib(pid)));

    // Let the backlog settle, then audit the books.
    let store = Store::open(&db)?;
    let drain = Instant::now();
    let mut in_flight: i64 = 0;
    while drain.elapsed() < Duration::from_secs(60) {
        in_flight = store.conn()?.query_row(
            "SELECT COUNT(*) FROM tasks WHERE status NOT IN ('SUCCESS','FAILURE')",
            [],
            |r| r.get(0),
        )?;
        if in_flight == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let horizons = taskcenter::audit::horizons(&taskcenter::Config::default());
    let report = store.audit(SystemClock.now(), horizons)?;
    let _ = child.kill();
    let _ = child.wait();

    let tally = tally.lock().unwrap();
    println!(
        "\n| kind | requests | 2xx | 4xx | 5xx | transport errors | p50 ms | p95 ms | p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (kind, lat) in &tally.latencies_us {
        let mut l = lat.clone();
        l.sort_unstable();
        let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)] as f64 / 1000.0;
        let count = |lo: u16, hi: u16| -> u64 {
            tally
                .statuses
                .iter()
                .filter(|((k, s), _)| k == kind && (lo..hi).contains(s))
                .map(|(_, n)| n)
                .sum()
        };
        println!(
            "| {kind} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} |",
            l.len(),
            count(200, 300),
            count(400, 500),
            count(500, 600),
            tally.errors.get(kind).copied().unwrap_or(0),
            pct(0.50),
            pct(0.95),
            pct(0.99)
        );
    }
    println!(
        "\nserver RSS over time (s: anon MiB / file MiB): {}",
        samples
            .iter()
            .map(|(s, (a, f))| format!("{s}: {:.1}/{:.1}", *a as f64 / 1024.0, *f as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "tasks {} (in flight after drain {in_flight}), log rows {}, audit {}",
        report.tasks,
        report.logs,
        if report.ok {
            "OK".to_string()
        } else {
            format!(
                "{} violations: {:?}",
                report.violations.len(),
                report.violations.iter().take(5).collect::<Vec<_>>()
            )
        }
    );
    println!("mock stats: {:?}", mock.stats());
    Ok(())
}
