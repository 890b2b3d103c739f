//! Passwords from the command line: `user add --password-stdin`,
//! `user passwd <id|name> --password-stdin`, and
//! `serve --root-password-stdin`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::{PASSWORD, login, session, with_session};
use crate::kit::process::{ServerProcess, path_str, serve_command};
use crate::kit::{assert_error, assert_ok, spawn_app};

/// Runs the binary with `stdin` as its standard input; (success, stdout, stderr).
fn with_stdin(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_taskcenter"))
        .args(args)
        .env_remove("TASKCENTER_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run taskcenter");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn user_add_and_passwd_read_the_password_from_stdin() {
    let app = spawn_app();
    let db = path_str(app.db_path()).to_string();
    let (ok, out, err) = with_stdin(
        &[
            "user",
            "add",
            "--db",
            &db,
            "--username",
            "carol",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{err}");
    let carol: Value = serde_json::from_str(&out).expect("JSON");
    let carol = carol["id"].as_i64().expect("id");
    assert!(!out.contains(PASSWORD));
    let sid = session(&app, "carol", PASSWORD);

    let (ok, _, err) = with_stdin(
        &["user", "passwd", "carol", "--db", &db, "--password-stdin"],
        "changed on the console\r\n",
    );
    assert!(ok, "{err}");
    let (status, body) = app.get("/api/user/self", &with_session(carol, &sid));
    assert_error(status, &body, 401);
    let old = login(&app, "carol", PASSWORD);
    assert_error(old.status, &old.body, 401);
    let new = login(&app, "carol", "changed on the console");
    assert_ok(new.status, &new.body);

    // By id, and a too short password is refused with the rule.
    let (ok, _, err) = with_stdin(
        &[
            "user",
            "passwd",
            &carol.to_string(),
            "--db",
            &db,
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!ok);
    assert!(err.contains("8 to 128"), "{err}");
    let (ok, _, err) = with_stdin(
        &["user", "passwd", "nobody", "--db", &db, "--password-stdin"],
        "long enough\n",
    );
    assert!(!ok && err.contains("not found"), "{err}");
}

#[test]
fn serve_root_password_stdin_lets_root_log_in() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("taskcenter.db");
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "root's first password\n").expect("write");
    let mut cmd = serve_command(&db);
    cmd.arg("--root-password-stdin")
        .stdin(std::fs::File::open(&password_file).expect("open"));
    let server = ServerProcess::spawn(cmd);
    let (status, body) = server.request(
        "POST",
        "/api/user/login",
        &vec![],
        Some(&json!({"username": "root", "password": "root's first password"})),
    );
    let data = assert_ok(status, &body);
    assert_eq!(data["id"], 1);
    assert_eq!(data["role"], 100);
}
