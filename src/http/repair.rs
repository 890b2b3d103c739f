//! Operators' repairs (admin): `POST /api/task/{task_id}/settle`.

use serde::Deserialize;
use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::wire;
use crate::context::Context;
use crate::domain::Role;
use crate::error::Result;
use crate::store::repair::ManualSettlement;
use crate::store::tasks::TaskView;

/// All repair routes.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    settle(ctx)
}

/// The body of a settlement by hand.
#[derive(Debug, Deserialize)]
struct SettleBody {
    status: String,
    reason: Option<String>,
}

/// `POST /api/task/{task_id}/settle` `{"status": "FAILURE"|"SUCCESS", "reason"}`
/// → the task as administrators see it. Unknown task 404; final task 409.
pub fn settle(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "task" / String / "settle").and(warp::post());
    wire::with_id_json(route, auth::role(ctx, Role::Admin), settle_task)
}

fn settle_task(c: &Caller, task_id: &str, b: SettleBody) -> Result<TaskView> {
    let s = ManualSettlement::parse(&b.status, b.reason.as_deref(), c.label())?;
    let (task, owner) = c.ctx.store.settle_by_hand(task_id, &s, c.ctx.clock.now())?;
    Ok(task.admin_view(owner))
}
