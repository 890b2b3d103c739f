//! Black-box tests of the compiled binary: graceful shutdown on signals,
//! and SIGKILL at random moments under load without losing a task or a
//! refund.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use taskcenter::store::Store;
use taskcenter::store::channels::ChannelFields;
use taskcenter::store::tokens::NewToken;
use taskcenter::store::users::NewUser;

use crate::mock::{Fault, Mock, MockConfig};
use crate::process_support::{Rng, ServerProcess, agent};

const ROOT: &str = "process-root-token-0123456789abcdef";

/// A user with `quota`, an unlimited key and a channel to `mock`, written
/// straight into the database file before any server runs.
fn bootstrap(db: &std::path::Path, mock: &Mock, quota: i64) -> (i64, String) {
    let store = Store::open(db).expect("open db");
    let (user, _) = store
        .create_user(&NewUser {
            username: "crash".into(),
            quota,
            ..Default::default()
        })
        .expect("user");
    let (_, key) = store
        .create_token(
            user.id,
            &NewToken {
                name: "load".into(),
                unlimited_quota: true,
                expired_time: -1,
                ..Default::default()
            },
        )
        .expect("key");
    store
        .create_channel(&ChannelFields {
            channel_type: Some("suno".into()),
            base_url: Some(mock.base_url()),
            key: Some(mock.secret().to_string()),
            models: Some("suno_music,suno_lyrics".into()),
            ..Default::default()
        })
        .expect("channel");
    (user.id, key)
}

fn submit(agent: &ureq::Agent, addr: SocketAddr, key: &str) -> Result<(u16, Value), String> {
    let mut resp = agent
        .post(&format!("http://{addr}/suno/submit/music"))
        .header("Authorization", &format!("Bearer {key}"))
        .content_type("application/json")
        .send(json!({"prompt": "crash test", "tags": "rock"}).to_string())
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body: Value = resp
        .body_mut()
        .read_to_string()
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    Ok((status, body))
}

#[test]
fn sigterm_lets_the_in_flight_request_finish_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let mock = Mock::start("127.0.0.1:0", MockConfig::default());
    let (_, key) = bootstrap(&db, &mock, 10_000_000);
    let mut server = ServerProcess::start(&db, ROOT, &["--upstream-timeout-secs", "10"]);
    // The upstream answers after 1.5 s: the submission is in flight when
    // the signal arrives.
    mock.fail_next(1, Fault::Stall(1500));
    let addr = server.addr;
    let inflight = std::thread::spawn(move || submit(&agent(Duration::from_secs(20)), addr, &key));
    let deadline = Instant::now() + Duration::from_secs(5);
    while mock.stats().submit == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        mock.stats().submit,
        1,
        "the submission reached the upstream"
    );
    server.signal("TERM");
    let code = server.wait_exit(Duration::from_secs(8));
    let (status, body) = inflight
        .join()
        .unwrap()
        .expect("the in-flight request got an answer");
    assert_eq!(status, 200, "in-flight submission completed: {body}");
    assert_eq!(code, Some(0), "exit code after SIGTERM");
    // Nothing was half-written: the task is SUBMITTED and the books balance.
    let store = Store::open(&db).unwrap();
    let report = store.audit(taskcenter::clock::unix_now(), 3600).unwrap();
    assert!(report.ok, "{:?}", report.violations);
}

#[test]
fn sigint_stops_an_idle_server_with_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let mut server = ServerProcess::start(&db, ROOT, &[]);
    let (status, _) = {
        let mut r = agent(Duration::from_secs(5))
            .get(&server.url("/api/status"))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(status, 200);
    server.signal("INT");
    assert_eq!(server.wait_exit(Duration::from_secs(5)), Some(0));
}

/// Kills the server with SIGKILL at seeded random moments while clients
/// submit and the worker polls, restarts it on the same database each
/// time, lets the load drain, and checks that no accepted task was lost,
/// nothing was refunded twice, every failure was refunded, and the books
/// balance. Replay a failure with `TC_CRASH_SEED=<seed>`.
#[test]
#[ignore = "about a minute: run by .ci/run with --ignored"]
fn sigkill_at_random_moments_loses_nothing() {
    let seed: u64 = std::env::var("TC_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261129);
    eprintln!("crash test seed {seed} (TC_CRASH_SEED to replay)");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let mock = Mock::start(
        "127.0.0.1:0",
        MockConfig {
            music_duration_ms: 1500,
            failure_ratio: 0.3,
            ..Default::default()
        },
    );
    let (user_id, key) = bootstrap(&db, &mock, 50_000 * 100_000);
    let flags = [
        "--poll-interval-ms",
        "200",
        "--upstream-timeout-secs",
        "2",
        "--retry-times",
        "0",
        "--task-timeout-secs",
        "60",
    ];
    let accepted = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    for round in 0..10 {
        let server = ServerProcess::start(&db, ROOT, &flags);
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for _ in 0..4 {
            let (stop, accepted, key) = (stop.clone(), accepted.clone(), key.clone());
            let addr = server.addr;
            clients.push(std::thread::spawn(move || {
                let a = agent(Duration::from_secs(5));
                let url = format!("http://{addr}/suno/submit/music");
                while !stop.load(Ordering::SeqCst) {
                    let r = a
                        .post(&url)
                        .header("Authorization", &format!("Bearer {key}"))
                        .content_type("application/json")
                        .send(json!({"prompt": "crash test"}).to_string());
                    match r {
                        Ok(mut resp) if resp.status().as_u16() == 200 => {
                            let v: Value = resp
                                .body_mut()
                                .read_to_string()
                                .ok()
                                .and_then(|t| serde_json::from_str(&t).ok())
                                .unwrap_or(Value::Null);
                            if let Some(id) = v["data"].as_str() {
                                accepted.lock().unwrap().push(id.to_string());
                            }
                        }
                        Ok(_) => {}
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            }));
        }
        let alive_ms = rng.range(150, 1200);
        std::thread::sleep(Duration::from_millis(alive_ms));
        server.signal("KILL");
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
        drop(server);
        eprintln!(
            "round {round}: killed after {alive_ms} ms; {} accepted so far",
            accepted.lock().unwrap().len()
        );
    }

    // The last life: no more load, let every task settle (orphans after
    // their grace of 2 timeouts + 10 s).
    let server = ServerProcess::start(&db, ROOT, &flags);
    let store = Store::open(&db).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let in_flight: i64 = store
            .conn()
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM tasks WHERE status NOT IN ('SUCCESS', 'FAILURE')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if in_flight == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{in_flight} tasks still not final after the drain"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Invariants.
    let accepted = accepted.lock().unwrap().clone();
    assert!(!accepted.is_empty(), "the load submitted something");
    for id in &accepted {
        assert!(
            store.user_task(user_id, id).unwrap().is_some(),
            "accepted task {id} was lost"
        );
    }
    let report = store.audit(taskcenter::clock::unix_now(), 3600).unwrap();
    assert!(report.ok, "audit after crashes: {:?}", report.violations);
    let (status, _) = {
        let mut r = agent(Duration::from_secs(5))
            .get(&server.url("/api/status"))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(status, 200, "the server still answers");
    eprintln!(
        "crash test: {} accepted, {} tasks, {} log rows, audit ok",
        accepted.len(),
        report.tasks,
        report.logs
    );
}
