//! Files and secrets, on the compiled binary: the database, its `-wal`,
//! `-shm` and lock files and every backup are private (0600, folders
//! 0700) whatever the umask, and a root token is at least 24 characters,
//! given by flag or, better, by `TASKCENTER_ROOT_TOKEN`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::kit::process::{ServerProcess, cli_on, path_str, run_to_exit, serve_command};
use crate::kit::{as_user, assert_ok};

const ROOT: &str = "files-tests-root-token-0123456789";

/// `cmd` run by `sh` under umask 000, so that only modes set on purpose
/// are private.
fn under_open_umask(cmd: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", "umask 000 && exec \"$@\"", "sh"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (name, value) in cmd.get_envs() {
        match value {
            Some(value) => sh.env(name, value),
            None => sh.env_remove(name),
        };
    }
    sh
}

/// The permission bits of a file or folder.
fn mode(path: &Path) -> u32 {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    meta.permissions().mode() & 0o777
}

/// `path` with `suffix` added to its file name.
fn sibling(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

#[test]
fn serve_creates_its_folders_and_files_private_whatever_the_umask() {
    // Pins: the folders and files were made with the process's umask
    // (0755 and 0644 under the usual 022), so any local user could read
    // the channels' keys, the balances and the token hashes.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("new/dir/t.db");
    let mut cmd = serve_command(&db);
    cmd.args(["--root-token", ROOT]);
    let _server = ServerProcess::spawn(under_open_umask(&cmd));

    let (wal, shm, lock) = (
        sibling(&db, "-wal"),
        sibling(&db, "-shm"),
        sibling(&db, ".lock"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(wal.exists() && shm.exists()) {
        assert!(Instant::now() < deadline, "no -wal and -shm after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    for folder in [dir.path().join("new"), dir.path().join("new/dir")] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    }
    for file in [&db, &wal, &shm, &lock] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

#[test]
fn a_backup_and_its_new_folders_are_private() {
    // Pins: `taskcenter backup` made its folders with create_dir_all and
    // let SQLite create the copy, both with the umask's modes: every
    // backup of the books was world-readable.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("t.db");
    cli_on(&db, &["user", "add", "--username", "carol", "--quota", "5"]);
    let to = dir.path().join("backups/nightly/t.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_taskcenter"));
    cmd.args(["backup", "--db", path_str(&db), "--to", path_str(&to)]);
    let out = run_to_exit(under_open_umask(&cmd), Duration::from_secs(20));
    assert!(out.status.success(), "{out:?}");

    assert_eq!(mode(&to), 0o600, "the backup");
    for folder in [
        dir.path().join("backups"),
        dir.path().join("backups/nightly"),
    ] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    }
    let users = cli_on(&to, &["user", "list"]);
    assert!(
        users.to_string().contains("carol"),
        "a usable copy: {users}"
    );

    // A backup over an older, world-readable file is private too.
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = run_to_exit(under_open_umask(&cmd), Duration::from_secs(20));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&to), 0o600, "the replaced backup");
}

#[test]
fn short_or_empty_root_tokens_are_refused_by_flag_and_by_environment() {
    // Pins: any root token of one character or more was taken, so root's
    // could be guessed, and an empty one was silently read as none (a new
    // token generated for an operator who thought they had set one).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("t.db");
    let short = "a".repeat(23);
    let mut attempts = Vec::new();
    for token in [short.as_str(), ""] {
        let mut by_flag = serve_command(&db);
        by_flag.args(["--root-token", token]);
        attempts.push((token, by_flag));
    }
    let mut by_env = serve_command(&db);
    by_env.env("TASKCENTER_ROOT_TOKEN", &short);
    attempts.push((short.as_str(), by_env));
    for (token, cmd) in attempts {
        let out = run_to_exit(cmd, Duration::from_secs(20));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{token:?}: {stderr}");
        assert!(stderr.contains("--root-token"), "{token:?}: {stderr}");
    }
    assert!(!db.exists(), "a refused start creates nothing");
}

#[test]
fn the_root_token_from_the_environment_authenticates_root() {
    // Pins the way the README recommends (the env var, which `ps` does not
    // show): a 24-character token from TASKCENTER_ROOT_TOKEN is root's.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("t.db");
    let token = "e".repeat(24);
    let mut cmd = serve_command(&db);
    cmd.env("TASKCENTER_ROOT_TOKEN", &token);
    let server = ServerProcess::spawn(cmd);

    let (status, body) = server.request("GET", "/api/user/self", &as_user(1, &token), None);
    let me = assert_ok(status, &body);
    assert_eq!(me["role"], 100, "{me}");
    let (status, _) = server.request("GET", "/api/user/self", &as_user(1, &"f".repeat(24)), None);
    assert_eq!(status, 401);
}
