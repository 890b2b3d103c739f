//! `GET /api/status`.

use warp::{Filter, Rejection, Reply};

use super::envelope::ok;
use crate::context::Context;

/// `GET /api/status` → `{"version", "start_time"}`; no auth.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "status").and(warp::get()).map(move || {
        ok(serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "start_time": ctx.started_at,
        }))
    })
}
