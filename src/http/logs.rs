//! Log routes: `GET /api/log/self` and `GET /api/log/` (admin).

use warp::{Filter, Rejection, Reply};

use super::auth::{self, Caller};
use super::envelope::{PageData, page_data};
use super::wire;
use crate::context::Context;
use crate::domain::{Page, QueryParams, Role};
use crate::error::Result;
use crate::store::log_list::{LogEntry, LogFilter};

/// Both log lists.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    list_self(ctx.clone()).or(list_all(ctx))
}

/// `GET /api/log/self?p=&page_size=&type=&model_name=&task_id=&token_name=&start_timestamp=&end_timestamp=`
pub fn list_self(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "log" / "self").and(warp::get());
    wire::with_query(route, auth::user(ctx), |c, q| list(c, q, false))
}

/// `GET /api/log/?...&username=&user_id=&channel_id=` (admin).
pub fn list_all(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let route = warp::path!("api" / "log").and(warp::get());
    wire::with_query(route, auth::role(ctx, Role::Admin), |c, q| list(c, q, true))
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
