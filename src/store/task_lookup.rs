//! Reading single tasks by their public id (relay fetch, continuations),
//! an owner's cursor pages of one platform's tasks, and hiding a task from
//! its owner.

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

    /// One of `user_id`'s tasks by public id, unless they deleted it.
    pub fn user_visible_task_any(&self, user_id: i64, task_id: &str) -> StoreResult<Option<Task>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t
             WHERE t.task_id = ?1 AND t.user_id = ?2 AND t.deleted = 0"
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

/// Which end of a list comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest first (the default of cursor lists).
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

impl Store {
    /// `user_id`'s task `task_id` of `platform`, unless the user deleted it.
    pub fn user_visible_task(
        &self,
        user_id: i64,
        platform: &str,
        task_id: &str,
    ) -> StoreResult<Option<Task>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t
             WHERE t.task_id = ?1 AND t.user_id = ?2 AND t.platform = ?3 AND t.deleted = 0"
        ))?;
        Ok(stmt
            .query_row(params![task_id, user_id, platform], task_from_row)
            .optional()?)
    }

    /// Up to `limit` of `user_id`'s visible tasks of `platform` in `order`,
    /// after the task with row id `after` (a cursor; row ids grow with
    /// creation).
    pub fn user_task_page(
        &self,
        user_id: i64,
        platform: &str,
        after: Option<i64>,
        order: Order,
        limit: usize,
    ) -> StoreResult<Vec<Task>> {
        let (cmp, dir, start) = match order {
            Order::NewestFirst => ("<", "DESC", i64::MAX),
            Order::OldestFirst => (">", "ASC", 0),
        };
        let conn = self.conn()?;
        // Planner: idx_tasks_user (user_id, id, ...) seeks the user and
        // walks ids from the cursor in order.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks t
             WHERE t.user_id = ?1 AND t.platform = ?2 AND t.deleted = 0 AND t.id {cmp} ?3
             ORDER BY t.id {dir} LIMIT ?4"
        ))?;
        let rows = stmt
            .query_map(
                params![user_id, platform, after.unwrap_or(start), limit as i64],
                task_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Hides `user_id`'s task from the user's own lists (a deleted video);
    /// the row and its ledger stay. False when it was not there to hide.
    pub fn hide_task(&self, user_id: i64, task_id: &str) -> StoreResult<bool> {
        let conn = self.conn()?;
        let n = conn.execute(
            "UPDATE tasks SET deleted = 1 WHERE task_id = ?1 AND user_id = ?2 AND deleted = 0",
            params![task_id, user_id],
        )?;
        Ok(n == 1)
    }
}
