//! Database paths: one that cannot be created is an error naming it, and
//! the read-only commands (`user list`, `channel list`, `audit`) open the
//! file read-only: they work on a copy nobody may write, write nothing
//! (no byte, no `-wal`, no `-shm`), and create nothing for a missing path.

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::kit::process::{cli_on, path_str, run_to_exit, serve_command, taskcenter};

const ROOT: &str = "paths-tests-root-token-0123456789";

/// The read-only commands, as arguments before `--db`.
const READ_ONLY_COMMANDS: [&[&str]; 3] = [&["user", "list"], &["channel", "list"], &["audit"]];

/// A database made by the CLI in `folder`, closed (so without `-wal`).
fn closed_database(folder: &Path) -> PathBuf {
    let db = folder.join("t.db");
    cli_on(&db, &["user", "add", "--username", "carol", "--quota", "7"]);
    cli_on(
        &db,
        &["channel", "add", "--base-url", "https://93.184.216.34"],
    );
    db
}

/// The names in a folder.
fn names(folder: &Path) -> BTreeSet<String> {
    std::fs::read_dir(folder)
        .expect("read the folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

#[test]
fn a_database_path_that_cannot_be_created_is_an_error_naming_it() {
    // Pins: SQLite's bare "unable to open database file", which names no
    // path, for a folder that cannot be made.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "a file, not a folder").expect("write a file");
    // Even root cannot make a folder under a regular file or in /proc.
    for db in [file.join("t.db"), PathBuf::from("/proc/forbidden/t.db")] {
        let folder = db.parent().expect("a folder").display().to_string();
        let mut serve = serve_command(&db);
        serve.args(["--root-token", ROOT]);
        let out = run_to_exit(serve, Duration::from_secs(20));
        let add = taskcenter(&["user", "add", "--username", "x", "--db", path_str(&db)]);
        for (what, out) in [("serve", out), ("user add", add)] {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{what} {}: {stderr}",
                db.display()
            );
            let line = stderr.trim();
            assert_eq!(line.lines().count(), 1, "{what}: one line: {stderr}");
            assert!(
                line.starts_with("taskcenter: ") && line.contains(&folder),
                "{what}: the message names {folder}: {line}"
            );
        }
    }
}

#[test]
fn read_only_commands_write_nothing() {
    // Pins: the read-only commands opened the database for writing: on a
    // closed WAL database they left a `-wal` and a `-shm` behind (and a
    // write lock could have been taken on a live one).
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = closed_database(dir.path());
    let before = names(dir.path());
    assert!(
        !before.contains("t.db-wal"),
        "a closed database: {before:?}"
    );
    let (bytes, mtime) = (
        std::fs::read(&db).unwrap(),
        std::fs::metadata(&db).unwrap().modified().unwrap(),
    );

    for args in READ_ONLY_COMMANDS {
        let out = taskcenter(&[args, &["--db", path_str(&db)]].concat());
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert_eq!(names(dir.path()), before, "{args:?} created no file");
    }
    assert!(std::fs::read(&db).unwrap() == bytes, "not one byte changed");
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), mtime);
}

/// Runs the binary copied to `bin` with `args` as a user who may not write
/// the database: nobody (uid 65534) when the tests run as root, whom the
/// permission bits do not stop; the tests' own user otherwise.
fn as_a_reader(bin: &Path, args: &[&str], as_root: bool) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("RUST_LOG")
        .env_remove("TASKCENTER_DB");
    if as_root {
        cmd.uid(65534).gid(65534);
    }
    run_to_exit(cmd, Duration::from_secs(20))
}

#[test]
fn read_only_commands_work_on_a_copy_nobody_may_write() {
    // Pins: the read-only commands needed to create the `-wal` and `-shm`
    // of a WAL database, so on a copy in a folder they may not write they
    // retried for 10 s, logged thousands of "attempt to write a readonly
    // database" lines and failed.
    let dir = tempfile::tempdir().expect("a temporary folder");
    chmod(dir.path(), 0o755);
    let bin = dir.path().join("taskcenter");
    std::fs::copy(env!("CARGO_BIN_EXE_taskcenter"), &bin).expect("copy the binary");
    chmod(&bin, 0o755);
    let folder = dir.path().join("copy");
    std::fs::create_dir(&folder).expect("a folder");
    let db = closed_database(&folder);
    let as_root = std::fs::metadata(&db).expect("the database").uid() == 0;
    chmod(&db, 0o444);
    chmod(&folder, 0o555);
    let before = names(&folder);

    for args in READ_ONLY_COMMANDS {
        let out = as_a_reader(&bin, &[args, &["--db", path_str(&db)]].concat(), as_root);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: nothing on stderr: {out:?}"
        );
        assert!(!stdout.trim().is_empty(), "{args:?}: {out:?}");
    }
    let users = as_a_reader(&bin, &["user", "list", "--db", path_str(&db)], as_root);
    assert!(
        String::from_utf8_lossy(&users.stdout).contains("carol"),
        "{users:?}"
    );
    assert_eq!(names(&folder), before);
    chmod(&folder, 0o755);
}

#[test]
fn read_only_commands_refuse_a_missing_path_or_a_file_that_is_no_database() {
    // Pins: opening a mistyped path created an empty database (and its
    // folders), which then passed the audit; and a file that is not a
    // database kept the command retrying for 10 s, logging every attempt.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let missing = dir.path().join("missing/t.db");
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "not a database, but long enough to look like a header".repeat(4),
    )
    .expect("write a file");
    for db in [&missing, &text] {
        for args in READ_ONLY_COMMANDS {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_taskcenter"));
            cmd.args(args).arg("--db").arg(db).env_remove("RUST_LOG");
            let out = run_to_exit(cmd, Duration::from_secs(5));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{args:?} {}: {stderr}",
                db.display()
            );
            assert_eq!(
                stderr.trim().lines().count(),
                1,
                "{args:?}: one line: {stderr}"
            );
            assert!(
                stderr.contains(path_str(db)),
                "{args:?}: names the path: {stderr}"
            );
        }
    }
    assert!(!missing.parent().unwrap().exists(), "nothing created");
    assert_eq!(names(dir.path()), BTreeSet::from(["notes.txt".to_string()]));
}
