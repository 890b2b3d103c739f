//! Schema creation and numbered migrations keyed on `PRAGMA user_version`.

use rusqlite::Connection;

use super::error::StoreResult;

/// The schema of a new database (version 1).
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Migrations after version 1: entry `i` takes the database from version
/// `i + 1` to `i + 2`. Append only; never edit a released entry.
const MIGRATIONS: &[&str] = &[];

/// Brings the database to the latest version, each step in its own transaction.
pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have created it between our read and our lock.
        let again: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if again == 0 {
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch("PRAGMA user_version = 1")?;
        }
        tx.commit()?;
    }
    loop {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let idx = (version - 1) as usize;
        let Some(step) = MIGRATIONS.get(idx) else {
            break;
        };
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(step)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
        tx.commit()?;
    }
    Ok(())
}
