//! The compiled binary killed (SIGKILL) between the charge and the answer:
//! a retry with the same key after the restart gets the outcome of the
//! charged task, never a second charge.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::kit::http::{agent, send_full};
use crate::kit::process::{ServerProcess, bootstrap};
use crate::kit::{Db, LOG_CONSUME, mock};
use crate::mock::Fault;

const ROOT: &str = "idempotency-root-token-0123456789abcdef";

/// `POST /suno/submit/music` with `Idempotency-Key: crash-key`: status,
/// whether replayed, body.
fn submit(server: &str, key: &str, body: &Value) -> Result<(u16, bool, Value), String> {
    let headers = vec![
        ("Authorization", format!("Bearer {key}")),
        ("Idempotency-Key", "crash-key".to_string()),
    ];
    let url = format!("{server}/suno/submit/music");
    let (status, headers, text) = send_full(
        &agent(Duration::from_secs(30)),
        "POST",
        &url,
        &headers,
        Some(body.to_string().into_bytes()),
    )?;
    let replayed = headers
        .iter()
        .any(|(n, v)| n == "idempotent-replayed" && v == "true");
    Ok((
        status,
        replayed,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    ))
}

#[test]
#[ignore = "about 30 s: run by .ci/run with --ignored"]
fn sigkill_between_the_charge_and_the_answer_never_charges_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tc.db");
    let mock = mock();
    let key = bootstrap(&db, &mock, 10_000_000);
    let flags = [
        "--poll-interval-ms",
        "200",
        "--upstream-timeout-secs",
        "2",
        "--retry-times",
        "0",
    ];
    let server = ServerProcess::start(&db, ROOT, &flags);
    // The upstream holds the submission: it is charged and in flight.
    mock.fail_next(1, Fault::Stall(30_000));
    let body = json!({"prompt": "killed mid-flight"});
    let url = server.url("");
    let (k, b) = (key.clone(), body.clone());
    let inflight = std::thread::spawn(move || submit(&url, &k, &b));
    let deadline = Instant::now() + Duration::from_secs(5);
    while mock.stats().submit == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        mock.stats().submit,
        1,
        "the submission reached the upstream"
    );
    server.signal("KILL");
    assert!(
        inflight.join().unwrap().is_err(),
        "no answer from a killed server"
    );
    drop(server);

    let files = Db::at(&db);
    let tasks: Vec<(String, String)> = files.rows("SELECT task_id, status FROM tasks", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    });
    assert_eq!(tasks.len(), 1, "the charge was committed before the kill");
    let (task_id, status) = tasks[0].clone();
    assert_eq!(status, "NOT_START");

    // Restarted: the retry gets the charged task, not a second charge.
    let server = ServerProcess::start(&db, ROOT, &flags);
    let url = server.url("");
    let (status, replayed, answer) = submit(&url, &key, &body).expect("an answer");
    assert_eq!((status, replayed), (200, true), "{answer}");
    assert_eq!(answer["data"], task_id.as_str(), "{answer}");
    assert_eq!(mock.stats().submit, 1, "no second upstream call");
    let charges = |files: &Db| {
        files
            .logs_of(&task_id)
            .iter()
            .filter(|l| l.log_type == LOG_CONSUME)
            .count()
    };
    assert_eq!(charges(&files), 1);
    assert_eq!(files.count("tasks"), 1);

    // The orphan sweep fails and refunds the task; the key now answers
    // that failure, and keeps answering it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while files.task(&task_id).status != "FAILURE" {
        assert!(Instant::now() < deadline, "the orphan was never settled");
        std::thread::sleep(Duration::from_millis(200));
    }
    let failed = submit(&url, &key, &body).expect("an answer");
    assert_eq!((failed.0, failed.1), (502, true), "{}", failed.2);
    assert_eq!(failed.2["code"], "upstream_error", "{}", failed.2);
    let again = submit(&url, &key, &body).expect("an answer");
    assert_eq!(again, failed, "the failure is stored");
    assert_eq!(files.refunds(&task_id).len(), 1, "refunded once");
    assert_eq!(charges(&files), 1);
    assert_eq!(files.count("tasks"), 1);
    assert_eq!(mock.stats().submit, 1);
}
