//! The purge of expired idempotency keys: one bounded delete per pass, so
//! a large backlog is worked off over several passes without holding the
//! writer for long.

use super::PassReport;
use crate::Config;
use crate::store::{Store, StoreResult};

/// Most keys deleted in one pass.
pub const PURGE_BATCH: usize = 1000;

/// Deletes up to [`PURGE_BATCH`] keys older than the TTL at `now` (unix s).
pub fn run(store: &Store, config: &Config, now: i64, report: &mut PassReport) -> StoreResult<()> {
    let expired_before = now - config.idempotency_ttl_secs as i64;
    report.keys_expired += store.purge_idempotency_keys(expired_before, PURGE_BATCH)?;
    Ok(())
}
