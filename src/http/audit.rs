//! `GET /api/audit` (root): the ledger audit as JSON, within a time limit.

use std::time::Duration;

use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::wire;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::store::StoreError;
use crate::store::audit::AuditReport;

/// `GET /api/audit` → the same report as `taskcenter audit`, or 503 when it
/// takes longer than `--audit-time-limit-ms`.
pub fn routes(
    ctx: crate::context::Context,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "audit").and(warp::get());
    wire::plain(route, auth::role(ctx, Role::Root), run_audit)
}

/// The audit reads the whole ledger in one snapshot; on a large database
/// that can take minutes, during which the WAL cannot be checkpointed and
/// the client has long given up. So it stops at the limit, and the
/// operator is pointed to the command that has none.
fn run_audit(c: &Caller) -> Result<AuditReport> {
    let horizons = crate::audit::horizons(&c.ctx.config);
    let limit = Duration::from_millis(c.ctx.config.audit_time_limit_ms);
    c.ctx
        .store
        .audit_within(c.ctx.clock.now(), horizons, limit)
        .map_err(|e| match e {
            StoreError::TimedOut(m) => {
                Error::Unavailable(format!("{m}; run taskcenter audit instead"))
            }
            other => other.into(),
        })
}
