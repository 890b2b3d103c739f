//! `GET /api/audit` (root): the ledger audit as JSON.

use warp::{Filter, Rejection, Reply};

use super::envelope::ok;
use super::{State, auth, blocking, with_state};
use crate::domain::Role;

/// `GET /api/audit` → the same report as `taskcenter audit`.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "audit")
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Root))
        .and(with_state(state))
        .and_then(|_root, state: State| async move {
            let report = blocking(move || {
                let stale = crate::audit::stale_after_secs(&state.config);
                state.store.audit(state.clock.now(), stale)
            })
            .await?;
            Ok::<_, Rejection>(ok(report))
        })
}
