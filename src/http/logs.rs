//! Log routes: `GET /api/log/self` and `GET /api/log/` (admin).

use warp::{Filter, Rejection, Reply};

use super::envelope::{ok, page_data};
use super::{State, auth, blocking, query, with_state};
use crate::domain::{Page, QueryParams, Role};
use crate::error::AppResult;
use crate::store::log_list::LogFilter;
use crate::store::users::User;

/// Both log lists.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    list_self(state.clone()).or(list_all(state))
}

fn parse_filter(q: &QueryParams, admin: bool) -> AppResult<(LogFilter, Page)> {
    let page = Page::parse(q)?;
    let (start_timestamp, end_timestamp) = q.time_range()?;
    Ok((
        LogFilter {
            user_id: if admin { q.get_i64("user_id")? } else { None },
            log_type: q.get_i64("type")?,
            model_name: q.get_string("model_name"),
            task_id: q.get_string("task_id"),
            token_name: q.get_string("token_name"),
            username: if admin {
                q.get_string("username")
            } else {
                None
            },
            channel_id: if admin {
                q.get_i64("channel_id")?
            } else {
                None
            },
            start_timestamp,
            end_timestamp,
        },
        page,
    ))
}

/// `GET /api/log/self?p=&page_size=&type=&model_name=&task_id=&token_name=&start_timestamp=&end_timestamp=`
pub fn list_self(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "log" / "self")
        .and(warp::get())
        .and(auth::user(state.clone()))
        .and(query())
        .and(with_state(state))
        .and_then(|user: User, q: QueryParams, state: State| async move {
            let data = blocking(move || {
                let (f, page) = parse_filter(&q, false)?;
                let f = LogFilter {
                    user_id: Some(user.id),
                    ..f
                };
                let (items, total) = state.store.list_logs(&f, page, false)?;
                Ok(page_data(items, total, page))
            })
            .await?;
            Ok::<_, Rejection>(ok(data))
        })
}

/// `GET /api/log/?...&username=&user_id=&channel_id=` (admin).
pub fn list_all(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "log")
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Admin))
        .and(query())
        .and(with_state(state))
        .and_then(|_admin, q: QueryParams, state: State| async move {
            let data = blocking(move || {
                let (f, page) = parse_filter(&q, true)?;
                let (items, total) = state.store.list_logs(&f, page, true)?;
                Ok(page_data(items, total, page))
            })
            .await?;
            Ok::<_, Rejection>(ok(data))
        })
}
