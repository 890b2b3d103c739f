//! WAL checkpoints off the commit path.
//!
//! With SQLite's automatic checkpoints, the commit that takes the WAL past
//! 1,000 pages copies them into the database and syncs both files before it
//! returns, and every writer of this process waits behind it (measured: half
//! of a submission's store time). Connections here run with
//! `wal_autocheckpoint = 0`; a checkpoint thread per database copies the WAL
//! back after commits instead, on a connection of its own, while writers go
//! on appending.
//!
//! A checkpoint that runs beside writers never catches up with the last
//! frames, and the WAL only starts over once everything in it was copied. So
//! when the WAL has grown past [`RESTART_FRAMES`], the thread copies the
//! rest while holding the writer turn (a short copy: the bulk is done), and
//! the next commit starts the WAL from its beginning.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

/// Commits within this long share one checkpoint.
const PAUSE: Duration = Duration::from_millis(200);

/// The WAL size (in pages) past which a checkpoint holds the writer turn to
/// finish, so that the WAL starts over (4,096 pages of 4 KiB: 16 MiB).
pub(super) const RESTART_FRAMES: i64 = 4_096;

/// The wake-up line of one database's checkpoint thread, shared by every
/// clone of its store; the thread ends when the last clone is dropped.
#[derive(Debug)]
pub(super) struct Checkpoints {
    wake: SyncSender<()>,
}

impl Checkpoints {
    /// Starts the checkpoint thread of the database at `path`; `writer` is
    /// the store's writer turn.
    pub(super) fn start(path: &Path, writer: Arc<Mutex<()>>) -> std::io::Result<Checkpoints> {
        let (wake, woken) = mpsc::sync_channel(1);
        let path = path.to_path_buf();
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(&path, &writer, &woken))?;
        Ok(Checkpoints { wake })
    }

    /// Tells the thread that a transaction committed (never blocks).
    pub(super) fn committed(&self) {
        let _ = self.wake.try_send(());
    }
}

/// The thread: after commits, a checkpoint; ends when the store is gone.
fn run(path: &Path, writer: &Mutex<()>, woken: &Receiver<()>) {
    let conn = match Connection::open(path).and_then(|c| {
        c.busy_timeout(Duration::from_secs(5))?;
        Ok(c)
    }) {
        Ok(conn) => conn,
        Err(e) => {
            log::error!(
                "cannot open {} for checkpoints, the WAL will grow until the server stops: {e}",
                path.display()
            );
            return;
        }
    };
    // Frames the last checkpoint found: a busy WAL is checkpointed again
    // at once, a quiet one after a pause that lets commits gather.
    let mut last = 0;
    loop {
        match woken.recv_timeout(Duration::from_secs(60)) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if last < RESTART_FRAMES / 4 {
            std::thread::sleep(PAUSE);
        }
        match checkpoint(&conn, writer) {
            Ok((log, _)) => last = log,
            Err(e) => log::warn!("WAL checkpoint of {} failed: {e}", path.display()),
        }
    }
}

/// One checkpoint beside the writers; when the WAL is long, the frames
/// appended meanwhile while holding the writer turn, so that the next
/// commit starts the WAL over. Returns the WAL's pages and those copied.
pub(super) fn checkpoint(conn: &Connection, writer: &Mutex<()>) -> rusqlite::Result<(i64, i64)> {
    let (log, copied) = passive(conn)?;
    // `log` is the WAL as the checkpoint began: writers went on appending.
    if log >= RESTART_FRAMES {
        let _turn = writer.lock().unwrap_or_else(|e| e.into_inner());
        return passive(conn);
    }
    Ok((log, copied))
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: the WAL's pages and those copied.
fn passive(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}
