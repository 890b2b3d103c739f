//! The compiled `taskcenter` binary: `serve` as a child process, for tests
//! where process behaviour matters (signals, crashes, restarts), and the
//! operator commands run on a database file.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::{Headers, agent, json_answer, send};
use crate::mock::Mock;

/// A running `taskcenter serve`; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    /// The child.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    agent: ureq::Agent,
}

impl ServerProcess {
    /// Starts `taskcenter serve` on a free port over `db` with extra flags,
    /// and waits until it listens.
    pub fn start(db: &Path, root_token: &str, extra: &[&str]) -> ServerProcess {
        let mut cmd = serve_command(db);
        cmd.args(["--root-token", root_token])
            // The mock upstreams listen on loopback.
            .arg("--allow-private-upstreams")
            .args(extra);
        ServerProcess::spawn(cmd)
    }

    /// Starts `cmd` (a [`serve_command`] the caller finished) and waits
    /// until it listens.
    pub fn spawn(mut cmd: Command) -> ServerProcess {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start taskcenter serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        // Keep draining stderr for the child's whole life: a full pipe
        // would block its logging.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on ").nth(1) {
                    let _ = tx.send(addr.trim().to_string());
                }
                if std::env::var("TEST_LOG").is_ok() {
                    eprintln!("[serve] {line}");
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("server did not report its address")
            .parse()
            .expect("a socket address");
        ServerProcess {
            child,
            addr,
            agent: agent(Duration::from_secs(30)),
        }
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request and returns the status with the JSON answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (url, body) = (self.url(path), body.map(|b| b.to_string().into_bytes()));
        json_answer(
            &format!("{method} {url}"),
            send(&self.agent, method, &url, headers, body),
        )
    }

    /// Sends a signal by name (TERM, INT, KILL).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -{name} failed");
    }

    /// Waits up to `limit` for the process to exit; its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `taskcenter serve --db <db>` on a free port of 127.0.0.1 (given as
/// `TASKCENTER_LISTEN`, so that a `--listen` added wins), with
/// `RUST_LOG=info` and none of the caller's other `TASKCENTER_*` settings:
/// the caller adds the rest (flags, environment) and runs it with
/// [`ServerProcess::spawn`] or [`run_to_exit`].
pub fn serve_command(db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_taskcenter"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TASKCENTER_") {
            cmd.env_remove(name);
        }
    }
    cmd.arg("serve")
        .arg("--db")
        .arg(db)
        .env("TASKCENTER_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info");
    cmd
}

/// Runs `cmd` to its end, which must come within `limit` (a server that
/// starts when it should have refused is killed and fails the test);
/// its output.
pub fn run_to_exit(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start taskcenter");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    // Read both pipes to the end while waiting: a child blocked on a full
    // pipe would never exit.
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("collect the output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let out = rx.recv().ok().and_then(Result::ok);
            let stderr = out
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            let tail: String = stderr
                .chars()
                .rev()
                .take(2000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            panic!("{cmd:?} still ran after {limit:?}; the end of its stderr: {tail}");
        }
    }
}

/// Runs the binary with `args`, untouched by the caller's environment.
pub fn taskcenter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskcenter"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("TASKCENTER_DB")
        .env_remove("TASKCENTER_TASK_TIMEOUT_SECS")
        .env_remove("TASKCENTER_POLL_INTERVAL_MS")
        .output()
        .expect("run the taskcenter binary")
}

/// Runs a command that must succeed and print JSON; returns it.
pub fn cli_json(args: &[&str]) -> Value {
    let out = taskcenter(args);
    assert!(out.status.success(), "taskcenter {args:?} failed: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "taskcenter {args:?} prints JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs `taskcenter <args> --db <db>`, which must succeed and print JSON; returns it.
pub fn cli_on(db: &Path, args: &[&str]) -> Value {
    cli_json(&[args, &["--db", path_str(db)]].concat())
}

/// Runs a command that must fail with a one-line message on stderr and
/// nothing on stdout; returns the message.
pub fn cli_error_line(args: &[&str]) -> String {
    let out = taskcenter(args);
    assert!(
        !out.status.success(),
        "taskcenter {args:?} must fail: {out:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = stderr.trim();
    assert!(
        !message.is_empty(),
        "taskcenter {args:?}: a message: {out:?}"
    );
    assert_eq!(
        message.lines().count(),
        1,
        "taskcenter {args:?}: one line on stderr: {message:?}"
    );
    assert!(
        out.stdout.is_empty(),
        "taskcenter {args:?}: nothing on stdout: {out:?}"
    );
    message.to_string()
}

/// The compiled `seed_tasks` example next to the binary under test, when
/// it was built (`.ci/run` and a plain `cargo test` build the examples;
/// `cargo test --test api` does not).
pub fn seed_example() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_BIN_EXE_taskcenter"));
    let example = bin.parent()?.join("examples").join("seed_tasks");
    example.is_file().then_some(example)
}

/// A user with `quota`, an unlimited key and a channel to `mock`, made with
/// the CLI on the database file before any server runs; returns the key.
pub fn bootstrap(db: &Path, mock: &Mock, quota: i64) -> String {
    let quota = quota.to_string();
    let user = cli_on(
        db,
        &["user", "add", "--username", "crash", "--quota", &quota],
    );
    let user_id = user["id"].as_i64().expect("the user's id").to_string();
    let key_args = [
        "token",
        "add",
        "--user-id",
        &user_id,
        "--name",
        "load",
        "--unlimited",
    ];
    let key = cli_on(db, &key_args);
    let base_url = mock.base_url();
    cli_on(
        db,
        &[
            "channel",
            "add",
            "--base-url",
            &base_url,
            "--key",
            mock.secret(),
        ],
    );
    key["key"].as_str().expect("the key").to_string()
}

/// A path as the UTF-8 text a command line takes.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}
