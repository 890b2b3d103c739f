//! The task lists: `GET /api/task/self` and `GET /api/task/`.

use warp::{Filter, Rejection, Reply};

use super::auth::Caller;
use super::envelope::{PageData, page_data};
use super::wire;
use crate::context::Context;
use crate::domain::{Page, QueryParams, TaskStatus};
use crate::error::Result;
use crate::store::tasks::{TaskFilter, TaskView};

/// Both lists: `GET /api/task/self?p=1&page_size=20&status=&platform=&task_id=&action=&start_timestamp=&end_timestamp=`, and `GET /api/task/?...&channel_id=&user_id=` (admin).
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let own = warp::path!("api" / "task" / "self").and(warp::get());
    let all = warp::path!("api" / "task").and(warp::get());
    wire::own_and_all(own, all, ctx, list)
}

/// One page of the caller's tasks (`admin`: everyone's, with channel and
/// owner's name).
fn list(c: &Caller, q: &QueryParams, admin: bool) -> Result<PageData<TaskView>> {
    let page = Page::parse(q)?;
    let platforms = &c.ctx.platforms;
    let (start_timestamp, end_timestamp) = q.time_range()?;
    let filter = TaskFilter {
        user_id: if admin {
            q.get_i64("user_id")?
        } else {
            Some(c.user.id)
        },
        channel_id: if admin {
            q.get_i64("channel_id")?
        } else {
            None
        },
        status: q.get("status").map(TaskStatus::parse_filter).transpose()?,
        platform: q.get("platform").map(|p| platforms.canonical_platform(p)),
        task_id: q.get_string("task_id"),
        action: q.get("action").map(|a| platforms.canonical_action(a)),
        start_timestamp,
        end_timestamp,
    };
    let result = c.ctx.store.list_tasks(&filter, page)?;
    let items = result
        .items
        .into_iter()
        .map(|(t, username)| {
            if admin {
                t.into_admin_view(username)
            } else {
                t.into_user_view()
            }
        })
        .collect();
    Ok(page_data(items, result.total, page))
}
