//! The files around the database: created private (they hold channel keys
//! and balances), with errors that name the path, and the lock that keeps
//! a second server off a database one already serves.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::error::{StoreError, StoreResult};

/// Mode of every file taskcenter creates: owner read and write only.
pub const FILE_MODE: u32 = 0o600;
/// Mode of a folder taskcenter creates: owner only.
pub const DIR_MODE: u32 = 0o700;

/// A clear message for an I/O error on `path`.
pub fn io_error(what: &str, path: &Path, e: &std::io::Error) -> StoreError {
    let why = match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::NotFound => "no such file or folder".to_string(),
        ErrorKind::AlreadyExists | ErrorKind::NotADirectory => {
            "a file is in the way of a folder".to_string()
        }
        _ => e.to_string(),
    };
    StoreError::Io(format!("cannot {what} {}: {why}", path.display()))
}

/// Creates the missing folders above `path` (mode 0700).
pub fn create_parent(path: &Path) -> StoreResult<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(parent)
            .map_err(|e| io_error("create the folder", parent, &e))?;
    }
    Ok(())
}

/// Makes sure the database file exists, creating it (mode 0600) and its
/// folders when new. SQLite gives its `-wal` and `-shm` files the mode of
/// the database file, so they are private too.
pub fn create_private_file(path: &Path) -> StoreResult<()> {
    create_parent(path)?;
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_error("create the database", path, &e)),
    }
}

/// `path` with `suffix` added to its file name (`t.db` → `t.db-wal`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// SQLite's URI for reading the database at `path` as immutable: no lock,
/// no `-wal` or `-shm`, no write.
pub fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

/// An exclusive lock on `<db>.lock`, held as long as this value lives: one
/// server per database. The CLI does not take it.
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
    path: PathBuf,
}

impl ServerLock {
    /// Takes the lock for the database at `db`, writing this process's id
    /// into the lock file; fails naming the other server's pid when it is
    /// taken.
    pub fn acquire(db: &Path) -> StoreResult<ServerLock> {
        create_parent(db)?;
        let path = sibling(db, ".lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(&path)
            .map_err(|e| io_error("open the lock file", &path, &e))?;
        if file.try_lock().is_err() {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let pid = if pid.is_empty() { "unknown" } else { pid };
            return Err(StoreError::Refused(format!(
                "database {} is in use by another taskcenter (pid {pid})",
                db.display()
            )));
        }
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| writeln!(file, "{}", std::process::id()));
        written.map_err(|e| io_error("write the lock file", &path, &e))?;
        Ok(ServerLock { _file: file, path })
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_are_private_and_the_lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("new/sub/t.db");
        create_private_file(&db).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&db), FILE_MODE);
        assert_eq!(mode(db.parent().unwrap()), DIR_MODE);
        let first = ServerLock::acquire(&db).unwrap();
        let second = ServerLock::acquire(&db).unwrap_err().to_string();
        assert!(second.contains("in use by another taskcenter"), "{second}");
        assert!(second.contains(&std::process::id().to_string()), "{second}");
        drop(first);
        assert!(ServerLock::acquire(&db).is_ok());
    }

    #[test]
    fn immutable_uris_escape_the_path() {
        assert_eq!(
            immutable_uri(Path::new("/data/my db?#%.db")),
            "file:/data/my%20db%3F%23%25.db?mode=ro&immutable=1"
        );
        assert_eq!(
            sibling(Path::new("a/t.db"), "-wal"),
            Path::new("a/t.db-wal")
        );
    }
}
