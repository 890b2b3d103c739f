//! The task lists: `GET /api/task/self` and `GET /api/task/`.

use warp::{Filter, Rejection, Reply};

use super::envelope::{PageData, page_data};
use super::{State, auth, blocking, query, with_state};
use crate::domain::{Page, QueryParams, Role, TaskStatus};
use crate::error::AppResult;
use crate::store::tasks::{TaskFilter, TaskPage, TaskView};

/// Both task lists.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    list_self(state.clone()).or(list_all(state))
}

/// `GET /api/task/self?p=1&page_size=20&status=&platform=&task_id=&action=&start_timestamp=&end_timestamp=`
pub fn list_self(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "task" / "self")
        .and(warp::get())
        .and(auth::user(state.clone()))
        .and(query())
        .and(with_state(state))
        .and_then(
            |user: crate::store::users::User, q: QueryParams, state: State| async move {
                let body = blocking(move || {
                    let (filter, page) = parse_filter(&q, false)?;
                    let filter = TaskFilter {
                        user_id: Some(user.id),
                        ..filter
                    };
                    let result = state.store.list_tasks(&filter, page)?;
                    Ok(page_json(result, page, false))
                })
                .await?;
                Ok::<_, Rejection>(super::envelope::ok(body))
            },
        )
}

/// `GET /api/task/?p=1&page_size=20&channel_id=&status=&platform=&task_id=&action=&start_timestamp=&end_timestamp=` (admin)
pub fn list_all(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "task")
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Admin))
        .and(query())
        .and(with_state(state))
        .and_then(|_admin, q: QueryParams, state: State| async move {
            let body = blocking(move || {
                let (filter, page) = parse_filter(&q, true)?;
                let result = state.store.list_tasks(&filter, page)?;
                Ok(page_json(result, page, true))
            })
            .await?;
            Ok::<_, Rejection>(super::envelope::ok(body))
        })
}

/// Reads the filters of a list request; `channel_id` only for admins.
fn parse_filter(q: &QueryParams, admin: bool) -> AppResult<(TaskFilter, Page)> {
    let page = Page::parse(q)?;
    let status = q.get("status").map(TaskStatus::parse_filter).transpose()?;
    let (start_timestamp, end_timestamp) = q.time_range()?;
    let action = q.get("action").map(|a| {
        let a = a.trim().to_ascii_uppercase();
        // The seed's example filters on `song`: new-api records MUSIC.
        if a == "SONG" { "MUSIC".to_string() } else { a }
    });
    let channel_id = if admin {
        q.get_i64("channel_id")?
    } else {
        None
    };
    Ok((
        TaskFilter {
            user_id: None,
            channel_id,
            status,
            platform: q.get_string("platform"),
            task_id: q.get_string("task_id"),
            action,
            start_timestamp,
            end_timestamp,
        },
        page,
    ))
}

fn page_json(result: TaskPage, page: Page, admin: bool) -> PageData<TaskView> {
    let items: Vec<TaskView> = result
        .items
        .into_iter()
        .map(|(t, username)| {
            if admin {
                t.admin_view(username)
            } else {
                t.user_view()
            }
        })
        .collect();
    page_data(items, result.total, page)
}
