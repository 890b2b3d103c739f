//! Task rows: insertion for seeding and tests, and the paginated lists.

use rusqlite::{Row, ToSql, params_from_iter};
use serde::Serialize;

use serde_json::value::RawValue;

use super::error::StoreResult;
use super::{Store, day_counts};
use crate::domain::{Page, TaskStatus};

/// A task as stored, private columns included. Never serialized directly:
/// responses use [`TaskView`].
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Row id.
    pub id: i64,
    /// Unix s.
    pub created_at: i64,
    /// Unix s.
    pub updated_at: i64,
    /// Public id.
    pub task_id: String,
    /// e.g. `suno`.
    pub platform: String,
    /// Owner.
    pub user_id: i64,
    /// Channel that runs it.
    pub channel_id: i64,
    /// The charge.
    pub quota: i64,
    /// The platform's action word, upper-case.
    pub action: String,
    /// Status word.
    pub status: String,
    /// Why it failed.
    pub fail_reason: String,
    /// Unix s.
    pub submit_time: i64,
    /// Unix s.
    pub start_time: i64,
    /// Unix s.
    pub finish_time: i64,
    /// e.g. `30%`.
    pub progress: String,
    /// What the user asked for (JSON text).
    pub properties: String,
    /// The upstream's latest result (JSON text).
    pub data: String,
    /// Private: the upstream's id.
    pub upstream_task_id: String,
    /// Private: the API key used.
    pub token_id: i64,
    /// Private: model charged.
    pub model_name: String,
    /// Private: USD price snapshot.
    pub model_price: f64,
    /// Private: group ratio snapshot.
    pub group_ratio: f64,
    /// Private: 1 once refunded.
    pub refunded: i64,
    /// Private: next poll (unix ms).
    pub next_poll_at_ms: i64,
    /// Private: polls made.
    pub poll_attempts: i64,
    /// Private: consecutive failed polls.
    pub poll_failures: i64,
    /// Admin only: the detail behind `fail_reason` (an upstream's words).
    pub fail_detail: String,
}

/// Columns matching [`task_from_row`], prefixed with `t.`.
pub const TASK_COLUMNS: &str = "t.id, t.created_at, t.updated_at, t.task_id, t.platform, t.user_id, \
    t.channel_id, t.quota, t.action, t.status, t.fail_reason, t.submit_time, t.start_time, \
    t.finish_time, t.progress, t.properties, t.data, t.upstream_task_id, t.token_id, t.model_name, \
    t.model_price, t.group_ratio, t.refunded, t.next_poll_at_ms, t.poll_attempts, t.poll_failures, \
    t.fail_detail";

/// How many columns [`TASK_COLUMNS`] names: a column selected after them
/// has this index.
pub const TASK_COLUMN_COUNT: usize = 27;

/// Reads a [`Task`] selected with [`TASK_COLUMNS`].
pub fn task_from_row(r: &Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: r.get(0)?,
        created_at: r.get(1)?,
        updated_at: r.get(2)?,
        task_id: r.get(3)?,
        platform: r.get(4)?,
        user_id: r.get(5)?,
        channel_id: r.get(6)?,
        quota: r.get(7)?,
        action: r.get(8)?,
        status: r.get(9)?,
        fail_reason: r.get(10)?,
        submit_time: r.get(11)?,
        start_time: r.get(12)?,
        finish_time: r.get(13)?,
        progress: r.get(14)?,
        properties: r.get(15)?,
        data: r.get(16)?,
        upstream_task_id: r.get(17)?,
        token_id: r.get(18)?,
        model_name: r.get(19)?,
        model_price: r.get(20)?,
        group_ratio: r.get(21)?,
        refunded: r.get(22)?,
        next_poll_at_ms: r.get(23)?,
        poll_attempts: r.get(24)?,
        poll_failures: r.get(25)?,
        fail_detail: r.get(26)?,
    })
}

/// The public shape of a task in list responses.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    /// Row id.
    pub id: i64,
    /// Unix s.
    pub created_at: i64,
    /// Unix s.
    pub updated_at: i64,
    /// Public id.
    pub task_id: String,
    /// Platform.
    pub platform: String,
    /// Owner.
    pub user_id: i64,
    /// Admin views only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// Admin views only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The charge.
    pub quota: i64,
    /// Action.
    pub action: String,
    /// Status word.
    pub status: String,
    /// Why it failed.
    pub fail_reason: String,
    /// Admin views only: the detail behind `fail_reason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_detail: Option<String>,
    /// Unix s.
    pub submit_time: i64,
    /// Unix s.
    pub start_time: i64,
    /// Unix s.
    pub finish_time: i64,
    /// Progress string.
    pub progress: String,
    /// JSON object, passed through as stored.
    pub properties: Box<RawValue>,
    /// JSON value, passed through as stored.
    pub data: Box<RawValue>,
}

/// Stored JSON text as a raw value (validated, not rebuilt); `{}` when empty
/// or unreadable. Takes the text so a clean one becomes the value without
/// a copy.
pub fn raw_json(text: String) -> Box<RawValue> {
    let text = match text.trim() {
        trimmed if trimmed.len() == text.len() => text,
        trimmed => trimmed.to_string(),
    };
    if !text.is_empty()
        && let Ok(raw) = RawValue::from_string(text)
    {
        return raw;
    }
    RawValue::from_string("{}".to_string()).unwrap_or_default()
}

impl Task {
    /// The view a user gets of their own task.
    pub fn user_view(&self) -> TaskView {
        self.clone().into_user_view()
    }

    /// [`Task::user_view`], moving the task's text instead of copying it
    /// (a list page moves about 20 KB this way).
    pub fn into_user_view(self) -> TaskView {
        TaskView {
            id: self.id,
            created_at: self.created_at,
            updated_at: self.updated_at,
            task_id: self.task_id,
            platform: self.platform,
            user_id: self.user_id,
            channel_id: None,
            username: None,
            quota: self.quota,
            action: self.action,
            status: self.status,
            fail_reason: self.fail_reason,
            fail_detail: None,
            submit_time: self.submit_time,
            start_time: self.start_time,
            finish_time: self.finish_time,
            progress: self.progress,
            properties: raw_json(self.properties),
            data: raw_json(self.data),
        }
    }

    /// The view an administrator gets: adds channel and username.
    pub fn admin_view(&self, username: String) -> TaskView {
        self.clone().into_admin_view(username)
    }

    /// [`Task::admin_view`], moving the task's text instead of copying it.
    pub fn into_admin_view(mut self, username: String) -> TaskView {
        let channel_id = self.channel_id;
        let fail_detail = std::mem::take(&mut self.fail_detail);
        TaskView {
            channel_id: Some(channel_id),
            username: Some(username),
            fail_detail: Some(fail_detail),
            ..self.into_user_view()
        }
    }

    /// The status as an enum (unknown words read as UNKNOWN).
    pub fn status(&self) -> TaskStatus {
        TaskStatus::from_word(&self.status).unwrap_or(TaskStatus::Unknown)
    }
}

/// Filters of the task lists; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Owner (always set for /api/task/self).
    pub user_id: Option<i64>,
    /// Channel (admin only).
    pub channel_id: Option<i64>,
    /// Status.
    pub status: Option<TaskStatus>,
    /// Exact platform.
    pub platform: Option<String>,
    /// Exact public id.
    pub task_id: Option<String>,
    /// Upper-case action.
    pub action: Option<String>,
    /// Inclusive lower bound on submit_time.
    pub start_timestamp: Option<i64>,
    /// Inclusive upper bound on submit_time.
    pub end_timestamp: Option<i64>,
}

/// Which statement a WHERE clause is for: they use indexes differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// `COUNT(*)`: seek the narrowest range of matches.
    Count,
    /// The page of ids: walk an index newest first, stop when it is full;
    /// start the walk at `max_id` when given.
    Page { max_id: Option<i64> },
    /// `COUNT(*)` of a range within a day or two (the partial days at the
    /// ends of a range the day counters answer): seek the time range.
    DayEdge,
}

/// A page walk steps over at least this many rows newer than a time range
/// before a second pass over the matches is worth finding where to start.
const WALK_SKIP_MIN: i64 = 2_000;

impl TaskFilter {
    /// The WHERE clause of the count (empty when nothing is filtered).
    fn where_clause(&self) -> (String, Vec<Box<dyn ToSql>>) {
        self.clause(Purpose::Count)
    }

    /// The columns whose terms may drive an index for `purpose`; every
    /// other term is written `+col`, which no index can serve. That is how
    /// the planner, which has no statistics (nothing runs ANALYZE), is held
    /// to the plans schema.sql was laid out for:
    /// - a task id, an owner or a channel always drives: its index is in id
    ///   order and stores the other filter columns;
    /// - otherwise the count seeks status + platform (+ time range) or
    ///   status alone (idx_tasks_status), or the time range
    ///   (idx_tasks_submit, also for a platform without a status), and
    ///   tests the rest in the index. The day counters (`day_counts.rs`)
    ///   answer most admin counts and leave this only the partial days at a
    ///   time range's ends, which seek by time even with a channel, whose
    ///   index would walk all its tasks;
    /// - and the page walks idx_tasks_order newest first, testing every
    ///   filter in the index, and stops once the page is full, where a sort
    ///   of all matches would cost as much as the count again.
    fn drivers(&self, purpose: Purpose) -> &'static [&'static str] {
        let timed = self.start_timestamp.is_some() || self.end_timestamp.is_some();
        if self.task_id.is_some() {
            &["task_id"]
        } else if self.user_id.is_some() {
            &["user_id"]
        } else if self.channel_id.is_some() && purpose != Purpose::DayEdge {
            &["channel_id"]
        } else if matches!(purpose, Purpose::Page { .. }) {
            &[]
        } else if self.platform.is_some() {
            &["status", "platform", "submit_time"]
        } else if self.status.is_some() && !timed {
            &["status"]
        } else {
            &["submit_time"]
        }
    }

    /// The WHERE clause of a count of the matches within a day or two.
    pub(super) fn day_edge_clause(&self) -> (String, Vec<Box<dyn ToSql>>) {
        self.clause(Purpose::DayEdge)
    }

    /// Builds the WHERE clause for `purpose` and its parameters.
    fn clause(&self, purpose: Purpose) -> (String, Vec<Box<dyn ToSql>>) {
        let drivers = self.drivers(purpose);
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let mut term = |col: &str, op: &str, v: Box<dyn ToSql>| {
            let plus = if drivers.contains(&col) { "" } else { "+" };
            conds.push(format!("{plus}{col} {op} ?"));
            args.push(v);
        };
        if let Some(v) = self.user_id {
            term("user_id", "=", Box::new(v));
        }
        if let Some(v) = self.channel_id {
            term("channel_id", "=", Box::new(v));
        }
        if let Some(v) = self.status {
            term("status", "=", Box::new(v.as_str()));
        }
        if let Some(v) = &self.platform {
            term("platform", "=", Box::new(v.clone()));
        }
        if let Some(v) = &self.task_id {
            term("task_id", "=", Box::new(v.clone()));
        }
        if let Some(v) = &self.action {
            term("action", "=", Box::new(v.clone()));
        }
        if let Some(v) = self.start_timestamp {
            term("submit_time", ">=", Box::new(v));
        }
        if let Some(v) = self.end_timestamp {
            term("submit_time", "<=", Box::new(v));
        }
        if let Purpose::Page { max_id: Some(v) } = purpose {
            conds.push("id <= ?".into());
            args.push(Box::new(v));
        }
        let clause = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        (clause, args)
    }
}

/// A page of tasks with each owner's username.
#[derive(Debug, Clone)]
pub struct TaskPage {
    /// Rows of this page with their owner's username.
    pub items: Vec<(Task, String)>,
    /// All rows matching the filter.
    pub total: i64,
}

/// A task to insert directly (seeding, tests).
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Public id (generated if empty).
    pub task_id: String,
    /// Platform.
    pub platform: String,
    /// Owner.
    pub user_id: i64,
    /// Channel.
    pub channel_id: i64,
    /// Charge.
    pub quota: i64,
    /// Action.
    pub action: String,
    /// Status.
    pub status: TaskStatus,
    /// Fail reason.
    pub fail_reason: String,
    /// Unix s.
    pub submit_time: i64,
    /// Unix s.
    pub start_time: i64,
    /// Unix s.
    pub finish_time: i64,
    /// Progress.
    pub progress: String,
    /// JSON.
    pub properties: serde_json::Value,
    /// JSON.
    pub data: serde_json::Value,
    /// Private upstream id.
    pub upstream_task_id: String,
}

impl Store {
    /// Inserts tasks as given, in one transaction (seeding and tests only: no
    /// quota moves, so this is not how users create tasks).
    pub fn insert_tasks_raw(&self, tasks: &[NewTask]) -> StoreResult<Vec<i64>> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let mut ids = Vec::with_capacity(tasks.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO tasks (created_at, updated_at, task_id, platform, user_id, channel_id, quota,
                    action, status, fail_reason, submit_time, start_time, finish_time, progress,
                    properties, data, upstream_task_id, refunded)
                 VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?;
            for t in tasks {
                let task_id = if t.task_id.is_empty() {
                    crate::secrets::new_task_id()
                } else {
                    t.task_id.clone()
                };
                stmt.execute(rusqlite::params![
                    t.submit_time,
                    task_id,
                    t.platform,
                    t.user_id,
                    t.channel_id,
                    t.quota,
                    t.action,
                    t.status.as_str(),
                    t.fail_reason,
                    t.submit_time,
                    t.start_time,
                    t.finish_time,
                    t.progress,
                    t.properties.to_string(),
                    t.data.to_string(),
                    t.upstream_task_id,
                    // Seeded failures count as settled so audits do not flag them.
                    (t.status == TaskStatus::Failure) as i64,
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// One page of tasks matching `filter`, newest first, with the total.
    ///
    /// The count and the page are read in one transaction, so the total
    /// always agrees with the page.
    pub fn list_tasks(&self, filter: &TaskFilter, page: Page) -> StoreResult<TaskPage> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        // Without a filter SQLite counts the pages of the narrowest index
        // instead of stepping through its rows.
        let total = match day_counts::total(&tx, filter)? {
            Some(total) => total,
            None => {
                let (clause, args) = filter.where_clause();
                tx.prepare_cached(&format!("SELECT COUNT(*) FROM tasks {clause}"))?
                    .query_row(params_from_iter(args.iter()), |r| r.get(0))?
            }
        };
        let offset = page.offset();
        if offset >= total {
            return Ok(TaskPage {
                items: Vec::new(),
                total,
            });
        }
        // Asking for no more rows than remain lets the walk stop at the last
        // match instead of reading on to the end of the index.
        let limit = page.page_size.min(total - offset);
        // A time range that ends in the past leaves every newer task above
        // the newest match, for the walk to step over. When they outnumber
        // half the matches, one more pass over the matches (cheaper per row
        // than the walk) finds the newest one to start from.
        let skip_limit = (total / 2).max(WALK_SKIP_MIN);
        let max_id = match filter.end_timestamp {
            Some(end) if newer_than(&tx, end, skip_limit)? >= skip_limit => {
                let (clause, args) = filter.where_clause();
                // MAX(+id): `id` bare would let SQLite walk the id order
                // from the top, the very walk this avoids.
                tx.prepare_cached(&format!("SELECT MAX(+id) FROM tasks {clause}"))?
                    .query_row(params_from_iter(args.iter()), |r| r.get(0))?
            }
            _ => None,
        };
        // Page the ids first (narrow index walk), then read only those rows.
        // The page is a FROM subquery, run as a co-routine in id order:
        // `id IN (subquery)` would build a temporary b-tree on every call.
        // `LIMIT +?`: a bare `?` there makes SQLite re-prepare the statement
        // every time a new value is bound.
        let (clause, args) = filter.clause(Purpose::Page { max_id });
        let sql = format!(
            "SELECT {TASK_COLUMNS}, COALESCE(u.username, '')
             FROM (SELECT id FROM tasks {clause} ORDER BY id DESC LIMIT +? OFFSET +?) AS p
             JOIN tasks t ON t.id = p.id
             LEFT JOIN users u ON u.id = t.user_id
             ORDER BY p.id DESC"
        );
        let mut all: Vec<&dyn ToSql> = args.iter().map(|b| b.as_ref()).collect();
        all.push(&limit);
        all.push(&offset);
        let items = tx
            .prepare_cached(&sql)?
            .query_map(params_from_iter(all), |r| {
                Ok((task_from_row(r)?, r.get::<_, String>(TASK_COLUMN_COUNT)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TaskPage { items, total })
    }
}

/// How many tasks were submitted after `end`, counting no further than
/// `limit`.
fn newer_than(conn: &rusqlite::Connection, end: i64, limit: i64) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE submit_time > ?1 LIMIT +?2)",
        )?
        .query_row(rusqlite::params![end, limit], |r| r.get(0))?)
}
