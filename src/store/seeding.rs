//! The guard of the tool that fills a database with synthetic history
//! (`examples/seed_tasks.rs`). Its tasks go in through
//! [`Store::insert_tasks_raw`] without charges, yet those still in flight
//! are refunded by the worker when they fail or time out: on a database
//! with real accounts that would mint quota. So seeding is only for files
//! that hold nothing but root and the seed's own users.

use super::Store;
use super::error::{StoreError, StoreResult};

/// The username the seed gives its `n`th user of run `run` (unix ms):
/// `bench_<run>_<n>`, the shape [`Store::check_seedable`] recognises.
pub fn seed_username(run: i64, n: u64) -> String {
    format!("bench_{run}_{n}")
}

/// Users [`seed_username`] made: `bench_`, digits, `_`, digits.
const SEEDED_USER: &str =
    "username GLOB 'bench_[0-9]*_[0-9]*' AND substr(username, 7) NOT GLOB '*[^0-9_]*'";

impl Store {
    /// Refuses (with a message naming what was found) a database that has
    /// any channel, or any user other than root (id 1) and the seed's own
    /// ([`seed_username`]): seeding it would let the worker refund charges
    /// nobody paid. A new file, or one only seeded before, passes.
    pub fn check_seedable(&self) -> StoreResult<()> {
        let conn = self.conn()?;
        let channels: i64 = conn.query_row("SELECT COUNT(*) FROM channels", [], |r| r.get(0))?;
        let users: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM users WHERE id != 1 AND NOT ({SEEDED_USER})"),
            [],
            |r| r.get(0),
        )?;
        if channels == 0 && users == 0 {
            return Ok(());
        }
        Err(StoreError::Refused(format!(
            "the database looks live: {channels} channel(s) and {users} user(s) \
             besides root and seeded users (bench_<run>_<n>); seeded tasks in flight \
             carry no charge, and the worker would refund them, minting quota. \
             Seed a new file instead"
        )))
    }
}
