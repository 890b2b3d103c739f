//! One server per database, and the start-up order: `serve` binds its port
//! first, then takes the database's lock, then opens the database and
//! gives root its token, so a refused start changes nothing.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use crate::kit::as_user;
use crate::kit::process::{ServerProcess, cli_on, run_to_exit, serve_command};

const FIRST: &str = "first-server-root-token-0123456789";
const SECOND: &str = "second-server-root-token-0123456789";

/// The status of `GET /api/user/self` as root with `token`.
fn root_status(server: &ServerProcess, token: &str) -> u16 {
    server
        .request("GET", "/api/user/self", &as_user(1, token), None)
        .0
}

/// Runs `serve --root-token <token>` (plus `extra`) on `db`, which must
/// exit within 20 s; (exit code, stderr).
fn refused_serve(db: &Path, token: Option<&str>, extra: &[&str]) -> (Option<i32>, String) {
    let mut cmd = serve_command(db);
    if let Some(token) = token {
        cmd.args(["--root-token", token]);
    }
    cmd.args(extra);
    let out = run_to_exit(cmd, Duration::from_secs(20));
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr)
}

#[test]
fn a_second_server_on_the_same_database_exits_naming_the_first() {
    // Pins: two servers could serve one database: their workers polled and
    // settled the same tasks, and the second replaced root's token at its
    // start, locking the first server's operator out.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("t.db");
    let first = ServerProcess::start(&db, FIRST, &[]);

    let (code, stderr) = refused_serve(&db, Some(SECOND), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let expected = format!(
        "database {} is in use by another taskcenter (pid {})",
        db.display(),
        first.child.id()
    );
    assert!(stderr.contains(&expected), "{expected:?} in {stderr}");

    assert_eq!(
        root_status(&first, FIRST),
        200,
        "the first root token still works"
    );
    assert_eq!(
        root_status(&first, SECOND),
        401,
        "the second never took effect"
    );
    let users = cli_on(&db, &["user", "list"]);
    assert!(
        users.to_string().contains("root"),
        "the CLI works beside it: {users}"
    );

    // The lock goes with its process, however it ends (SIGKILL here).
    drop(first);
    let next = ServerProcess::start(&db, SECOND, &[]);
    assert_eq!(root_status(&next, SECOND), 200);
}

#[test]
fn a_port_in_use_stops_serve_before_it_touches_the_database() {
    // Pins: serve opened (and created) the database and printed a new root
    // token before it bound its port, so a port clash left a database and
    // a token for a server that never ran.
    let taken = TcpListener::bind("127.0.0.1:0").expect("take a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("data/t.db");

    let (code, stderr) = refused_serve(&db, None, &["--listen", &addr]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(!stderr.contains("token"), "no root token printed: {stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "no folder, no database, no lock"
    );
}
