//! Exact totals of the admin task lists from `task_day_counts`: the tasks of
//! each UTC day of `submit_time` by status, platform, action and channel,
//! kept by triggers on `tasks` (schema.sql) in the transaction of every
//! write. A total sums the whole days of the time range from the counters
//! and counts only the partial days at its ends in `tasks`, so it costs at
//! most two days of index entries however many tasks match.

use rusqlite::{Connection, ToSql, params_from_iter};

use super::error::StoreResult;
use super::tasks::TaskFilter;

/// Seconds in a (UTC) day: the counters' `day` is `submit_time` divided
/// by this, rounded down.
const DAY: i64 = 86_400;

/// The number of tasks matching `filter`, or `None` where the counters do
/// not answer: an owner or a task id (their own indexes find those), or no
/// filter at all (`COUNT(*)` then adds up the pages of the narrowest index,
/// which is faster than summing every counter).
pub(super) fn total(conn: &Connection, filter: &TaskFilter) -> StoreResult<Option<i64>> {
    let counted = filter.status.is_some()
        || filter.platform.is_some()
        || filter.action.is_some()
        || filter.channel_id.is_some()
        || filter.start_timestamp.is_some()
        || filter.end_timestamp.is_some();
    if filter.user_id.is_some() || filter.task_id.is_some() || !counted {
        return Ok(None);
    }
    let (start, end) = (filter.start_timestamp, filter.end_timestamp);
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Ok(Some(0));
    }
    // A bound that is not a day's first (last) second leaves part of its
    // day to count in `tasks`; the whole days between come from the counters.
    let head = start.filter(|s| s.rem_euclid(DAY) != 0);
    let tail = end.filter(|e| e.rem_euclid(DAY) != DAY - 1);
    let first_day = start.map_or(i64::MIN, |s| s.div_euclid(DAY) + head.is_some() as i64);
    let last_day = end.map_or(i64::MAX, |e| e.div_euclid(DAY) - tail.is_some() as i64);
    if first_day > last_day {
        // No whole day inside: the range lies within two days at most.
        return Ok(Some(count_tasks(conn, filter, start, end)?));
    }
    let mut total = sum_days(conn, filter, first_day, last_day)?;
    if let Some(s) = head {
        let day_end = (s - s.rem_euclid(DAY)).saturating_add(DAY - 1);
        total += count_tasks(conn, filter, Some(s), Some(day_end))?;
    }
    if let Some(e) = tail {
        let day_start = e.saturating_sub(e.rem_euclid(DAY));
        total += count_tasks(conn, filter, Some(day_start), Some(e))?;
    }
    Ok(Some(total))
}

/// The counters' sum over days `first..=last` for `filter`'s status,
/// platform, action and channel. The primary key leads with the day, so the
/// range is one seek and the other filters are tested in its rows.
fn sum_days(conn: &Connection, filter: &TaskFilter, first: i64, last: i64) -> StoreResult<i64> {
    let mut sql = String::from(
        "SELECT COALESCE(SUM(tasks), 0) FROM task_day_counts WHERE day BETWEEN ? AND ?",
    );
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(first), Box::new(last)];
    let mut term = |col: &str, v: Box<dyn ToSql>| {
        sql.push_str(&format!(" AND {col} = ?"));
        args.push(v);
    };
    if let Some(v) = filter.status {
        term("status", Box::new(v.as_str()));
    }
    if let Some(v) = &filter.platform {
        term("platform", Box::new(v.clone()));
    }
    if let Some(v) = &filter.action {
        term("action", Box::new(v.clone()));
    }
    if let Some(v) = filter.channel_id {
        term("channel_id", Box::new(v));
    }
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?)
}

/// `COUNT(*)` of the tasks matching `filter` submitted in `start..=end`, a
/// range of two days at most, sought by time (with status and platform
/// when filtered) rather than walked by channel.
fn count_tasks(
    conn: &Connection,
    filter: &TaskFilter,
    start: Option<i64>,
    end: Option<i64>,
) -> StoreResult<i64> {
    let edge = TaskFilter {
        start_timestamp: start,
        end_timestamp: end,
        ..filter.clone()
    };
    let (clause, args) = edge.day_edge_clause();
    Ok(conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM tasks {clause}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TaskStatus;
    use crate::store::Store;
    use crate::store::tasks::NewTask;

    fn task(submit_time: i64, status: TaskStatus, platform: &str, channel_id: i64) -> NewTask {
        NewTask {
            task_id: String::new(),
            platform: platform.into(),
            user_id: 1,
            channel_id,
            quota: 0,
            action: "MUSIC".into(),
            status,
            fail_reason: String::new(),
            submit_time,
            start_time: 0,
            finish_time: 0,
            progress: "0%".into(),
            properties: serde_json::json!({}),
            data: serde_json::json!({}),
            upstream_task_id: String::new(),
        }
    }

    /// Tasks at the edges of days (first and last seconds, before 1970
    /// too), counted for ranges starting and ending on, next to and inside
    /// day boundaries: the counters' total is plain SQL's every time.
    #[test]
    fn totals_from_the_counters_equal_a_count_of_the_tasks_at_every_day_edge() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let edges = [-DAY - 1, -DAY, -1, 0, 1, DAY - 1, DAY, DAY + 1, 2 * DAY - 1];
        let mut tasks = Vec::new();
        for (i, &t) in edges.iter().chain(&[3 * DAY + 5, 5 * DAY]).enumerate() {
            let status = [TaskStatus::Success, TaskStatus::Failure][i % 2];
            let platform = ["suno", "kling", "suno"][i % 3];
            tasks.push(task(t, status, platform, 1 + (i % 2) as i64));
        }
        store.insert_tasks_raw(&tasks).unwrap();
        let conn = store.conn().unwrap();
        let bounds: Vec<Option<i64>> = std::iter::once(None)
            .chain(edges.iter().map(|&t| Some(t)))
            .chain([Some(3 * DAY), Some(4 * DAY + 7)])
            .collect();
        let mut checked = 0;
        for &start in &bounds {
            for &end in &bounds {
                for (status, channel) in [
                    (None, None),
                    (Some(TaskStatus::Success), None),
                    (None, Some(2)),
                ] {
                    let filter = TaskFilter {
                        start_timestamp: start,
                        end_timestamp: end,
                        status,
                        channel_id: channel,
                        ..Default::default()
                    };
                    let plain: i64 = conn
                        .query_row(
                            "SELECT COUNT(*) FROM tasks WHERE submit_time >= ?1 AND submit_time <= ?2
                               AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR channel_id = ?4)",
                            rusqlite::params![
                                start.unwrap_or(i64::MIN),
                                end.unwrap_or(i64::MAX),
                                status.map(|s| s.as_str()),
                                channel
                            ],
                            |r| r.get(0),
                        )
                        .unwrap();
                    let got = total(&conn, &filter).unwrap();
                    let expected =
                        (start.is_some() || end.is_some() || status.is_some() || channel.is_some())
                            .then_some(plain);
                    assert_eq!(got, expected, "{filter:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 300);
    }
}
