//! Reading single tasks by their public id (relay fetch, continuations).

use rusqlite::{OptionalExtension, params};

use super::Store;
use super::error::StoreResult;
use super::tasks::{TASK_COLUMNS, Task, task_from_row};

impl Store {
    /// One of `user_id`'s tasks by public id.
    pub fn user_task(&self, user_id: i64, task_id: &str) -> StoreResult<Option<Task>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t WHERE t.task_id = ?1 AND t.user_id = ?2"
        ))?;
        Ok(stmt
            .query_row(params![task_id, user_id], task_from_row)
            .optional()?)
    }

    /// Those of `ids` that are `user_id`'s tasks (unknown ids left out).
    pub fn user_tasks(&self, user_id: i64, ids: &[String]) -> StoreResult<Vec<Task>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t WHERE t.task_id = ?1 AND t.user_id = ?2"
        ))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(t) = stmt
                .query_row(params![id, user_id], task_from_row)
                .optional()?
            {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Any task by row id.
    pub fn task_by_row_id(&self, row_id: i64) -> StoreResult<Option<Task>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t WHERE t.id = ?1"
        ))?;
        Ok(stmt.query_row(params![row_id], task_from_row).optional()?)
    }
}
