//! `GET /api/audit` (root): the ledger audit as JSON.

use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::wire;
use crate::domain::Role;
use crate::error::Result;
use crate::store::audit::AuditReport;

/// `GET /api/audit` → the same report as `taskcenter audit`.
pub fn routes(
    ctx: crate::context::Context,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "audit").and(warp::get());
    wire::plain(route, auth::role(ctx, Role::Root), run_audit)
}

fn run_audit(c: &Caller) -> Result<AuditReport> {
    let horizons = crate::audit::horizons(&c.ctx.config);
    Ok(c.ctx.store.audit(c.ctx.clock.now(), horizons)?)
}
