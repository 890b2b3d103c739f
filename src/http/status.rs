//! `GET /api/status`.

use warp::{Filter, Rejection, Reply};

use super::State;
use super::envelope::ok;

/// `GET /api/status` → `{"version", "start_time"}`; no auth.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "status").and(warp::get()).map(move || {
        ok(serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "start_time": state.start_time,
        }))
    })
}
