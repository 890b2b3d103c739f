//! Log routes: `GET /api/log/self` and `GET /api/log/` (admin).

use warp::{Filter, Rejection, Reply};

use super::auth::Caller;
use super::envelope::{PageData, page_data};
use super::wire;
use crate::context::Context;
use crate::domain::{Page, QueryParams};
use crate::error::Result;
use crate::store::log_list::{LogEntry, LogFilter};

/// Both lists: `GET /api/log/self?p=&page_size=&type=&model_name=&task_id=&token_name=&start_timestamp=&end_timestamp=`, and `GET /api/log/?...&username=&user_id=&channel_id=` (admin).
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let own = warp::path!("api" / "log" / "self").and(warp::get());
    let all = warp::path!("api" / "log").and(warp::get());
    wire::own_and_all(own, all, ctx, list)
}

/// One page of the caller's log (`admin`: everyone's, with more filters).
fn list(c: &Caller, q: &QueryParams, admin: bool) -> Result<PageData<LogEntry>> {
    let page = Page::parse(q)?;
    let (start_timestamp, end_timestamp) = q.time_range()?;
    let admin_i64 = |name: &str| if admin { q.get_i64(name) } else { Ok(None) };
    let filter = LogFilter {
        user_id: if admin {
            q.get_i64("user_id")?
        } else {
            Some(c.user.id)
        },
        log_type: q.get_i64("type")?,
        model_name: q.get_string("model_name"),
        task_id: q.get_string("task_id"),
        token_name: q.get_string("token_name"),
        username: q.get_string("username").filter(|_| admin),
        channel_id: admin_i64("channel_id")?,
        start_timestamp,
        end_timestamp,
    };
    let (items, total) = c.ctx.store.list_logs(&filter, page, admin)?;
    Ok(page_data(items, total, page))
}
