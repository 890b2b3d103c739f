//! Online backup: a consistent copy while the server keeps serving.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use super::Store;
use super::error::{StoreError, StoreResult};

impl Store {
    /// Copies the whole database to `to` with SQLite's online backup API,
    /// in one step (one WAL read snapshot, so writers are never blocked and
    /// the copy is consistent). Written to a temporary file, then renamed.
    pub fn backup_to(&self, to: &Path) -> StoreResult<u64> {
        // The copy holds what the database holds: private like it (SQLite
        // would create it with the umask's mode).
        super::files::create_parent(to)?;
        let tmp = to.with_extension("backup-partial");
        let _ = std::fs::remove_file(&tmp);
        super::files::create_private_file(&tmp)?;
        let src = self.conn()?;
        {
            let mut dst = Connection::open(&tmp)?;
            let backup = Backup::new(&src, &mut dst)?;
            loop {
                match backup.step(-1)? {
                    StepResult::Done => break,
                    // Busy/locked: another connection holds a lock; try again.
                    _ => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
        }
        // Check the copy before it replaces anything.
        {
            let check = Connection::open(&tmp)?;
            let verdict: String = check.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if verdict != "ok" {
                return Err(StoreError::Io(format!(
                    "backup failed its check: {verdict}"
                )));
            }
        }
        std::fs::rename(&tmp, to).map_err(|e| super::files::io_error("write", to, &e))?;
        let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
        Ok(size)
    }
}
