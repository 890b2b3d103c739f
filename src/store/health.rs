//! The database's own health, for `taskcenter doctor`: integrity, schema
//! version and space. Read-only; safe while the server runs.

use serde::Serialize;

use super::Store;
use super::error::StoreResult;
use super::migrate::LATEST;

/// At most this many integrity problems are read (SQLite stops there).
const MAX_INTEGRITY_ERRORS: i64 = 20;

/// What the database says about itself.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseHealth {
    /// `PRAGMA integrity_check` lines other than `ok`.
    pub integrity_errors: Vec<String>,
    /// `PRAGMA user_version`.
    pub schema_version: i64,
    /// The version this binary writes.
    pub latest_version: i64,
    /// Pages in the file.
    pub page_count: i64,
    /// Unused pages in the file (reclaimed by VACUUM).
    pub freelist_count: i64,
    /// Bytes per page.
    pub page_size: i64,
}

impl Store {
    /// Checks the whole file (`integrity_check` reads every page: seconds
    /// per GB) and reads its version and page counts.
    pub fn database_health(&self) -> StoreResult<DatabaseHealth> {
        let conn = self.conn()?;
        let integrity_errors = conn
            .prepare(&format!("PRAGMA integrity_check({MAX_INTEGRITY_ERRORS})"))?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|line| line != "ok")
            .collect();
        let pragma = |name: &str| -> StoreResult<i64> {
            Ok(conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?)
        };
        Ok(DatabaseHealth {
            integrity_errors,
            schema_version: pragma("user_version")?,
            latest_version: LATEST,
            page_count: pragma("page_count")?,
            freelist_count: pragma("freelist_count")?,
            page_size: pragma("page_size")?,
        })
    }
}
