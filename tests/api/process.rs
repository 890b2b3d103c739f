//! Black-box tests of the compiled binary: graceful shutdown on signals,
//! and SIGKILL at random moments under load without losing a task or a
//! refund.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::kit::http::{agent, send};
use crate::kit::process::{ServerProcess, bootstrap, path_str, taskcenter};
use crate::kit::rng::Rng;
use crate::kit::{Db, bearer, mock, mock_with, suno_data};
use crate::mock::Fault;

const ROOT: &str = "process-root-token-0123456789abcdef";

/// `POST /suno/submit/music` with `key`, on a server that may be dying.
fn submit(
    agent: &ureq::Agent,
    server: &str,
    key: &str,
    body: &Value,
) -> Result<(u16, Value), String> {
    let url = format!("{server}/suno/submit/music");
    let body = Some(body.to_string().into_bytes());
    let (status, text) = send(agent, "POST", &url, &bearer(key), body)?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// The ledger audit of a database file by `taskcenter audit --json`.
fn audit_file(db: &Path) -> Value {
    let out = taskcenter(&["audit", "--db", path_str(db), "--json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("an audit report ({e}): {out:?}"))
}

#[test]
fn sigterm_lets_the_in_flight_request_finish_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let mock = mock();
    let key = bootstrap(&db, &mock, 10_000_000);
    let mut server = ServerProcess::start(&db, ROOT, &["--upstream-timeout-secs", "10"]);
    // The upstream answers after 1.5 s: the submission is in flight when
    // the signal arrives.
    mock.fail_next(1, Fault::Stall(1500));
    let url = server.url("");
    let body = json!({"prompt": "crash test", "tags": "rock"});
    let inflight =
        std::thread::spawn(move || submit(&agent(Duration::from_secs(20)), &url, &key, &body));
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
    let report = audit_file(&db);
    assert_eq!(report["ok"], true, "{report}");
}

#[test]
fn sigint_stops_an_idle_server_with_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let mut server = ServerProcess::start(&db, ROOT, &[]);
    let (status, _) = server.request("GET", "/api/status", &vec![], None);
    assert_eq!(status, 200);
    server.signal("INT");
    assert_eq!(server.wait_exit(Duration::from_secs(15)), Some(0));
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
    let mock = mock_with(1500, 0.3);
    let key = bootstrap(&db, &mock, 50_000 * 100_000);
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
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    for round in 0..10 {
        let server = ServerProcess::start(&db, ROOT, &flags);
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for _ in 0..4 {
            let (stop, accepted, key) = (stop.clone(), accepted.clone(), key.clone());
            let url = server.url("");
            clients.push(std::thread::spawn(move || {
                let a = agent(Duration::from_secs(5));
                let body = json!({"prompt": "crash test"});
                while !stop.load(Ordering::SeqCst) {
                    match submit(&a, &url, &key, &body) {
                        Ok((200, v)) => {
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
    let files = Db::at(&db);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let in_flight = files.in_flight_count();
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
    // Every accepted task is still there for the key that submitted it.
    for ids in accepted.chunks(100) {
        let (status, body) = server.request(
            "POST",
            "/suno/fetch",
            &bearer(&key),
            Some(&json!({ "ids": ids })),
        );
        let found = suno_data(status, &body).as_array().map_or(0, Vec::len);
        assert_eq!(found, ids.len(), "accepted tasks were lost: {body}");
    }
    let report = audit_file(&db);
    assert_eq!(report["ok"], true, "audit after crashes: {report}");
    let (status, _) = server.request("GET", "/api/status", &vec![], None);
    assert_eq!(status, 200, "the server still answers");
    eprintln!(
        "crash test: {} accepted, {} tasks, {} log rows, audit ok",
        accepted.len(),
        report["tasks"],
        report["logs"]
    );
}
