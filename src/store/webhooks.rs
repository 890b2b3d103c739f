//! A user's webhook endpoints: where completion events go, which events,
//! and the secret that signs them (returned only when created or rotated).

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::logs::{LOG_SYSTEM, NewLog, insert_log};
use crate::domain::Page;
use crate::domain::webhook::EventSet;
use crate::secrets::new_webhook_secret;

/// Endpoints one user may have: each settlement of their tasks reads them
/// all and writes a row per subscriber, so the number is kept small.
pub const MAX_ENDPOINTS_PER_USER: i64 = 10;

/// An endpoint as its owner sees it (no secret).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Endpoint {
    /// Row id.
    pub id: i64,
    /// Where deliveries are posted.
    pub url: String,
    /// Subscribed event names.
    pub events: Vec<&'static str>,
    /// Disabled endpoints get no deliveries (theirs wait, pending).
    pub enabled: bool,
    /// Why the server disabled it (empty when enabled or disabled by hand).
    pub disabled_reason: String,
    /// Unix s.
    pub created_at: i64,
    /// Unix s.
    pub updated_at: i64,
}

/// What a user may change about an endpoint; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct EndpointUpdate {
    /// A new URL (already parsed and checked).
    pub url: Option<String>,
    /// New events.
    pub events: Option<EventSet>,
    /// Enable (which clears the disabled reason) or disable.
    pub enabled: Option<bool>,
}

const ENDPOINT_COLUMNS: &str = "id, url, events, enabled, disabled_reason, created_at, updated_at";

fn endpoint_from_row(r: &Row<'_>) -> rusqlite::Result<Endpoint> {
    let events: String = r.get(2)?;
    Ok(Endpoint {
        id: r.get(0)?,
        url: r.get(1)?,
        events: EventSet::from_stored(&events).names(),
        enabled: r.get::<_, i64>(3)? != 0,
        disabled_reason: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("webhook endpoint {id} not found"))
}

impl Store {
    /// Whether `user_id` has an enabled endpoint (to sign a task's callbacks).
    pub fn has_enabled_endpoint(&self, user_id: i64) -> StoreResult<bool> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE user_id = ?1 AND enabled = 1)",
            )?
            .query_row(params![user_id], |r| r.get(0))?)
    }

    /// Registers an endpoint for `user_id`; returns it with its secret.
    pub fn create_endpoint(
        &self,
        user_id: i64,
        url: &str,
        events: EventSet,
    ) -> StoreResult<(Endpoint, String)> {
        let now = self.now();
        let secret = new_webhook_secret();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let count: i64 = tx.query_row(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE user_id = ?1",
            params![user_id],
            |r| r.get(0),
        )?;
        if count >= MAX_ENDPOINTS_PER_USER {
            return Err(StoreError::invalid(format!(
                "at most {MAX_ENDPOINTS_PER_USER} webhook endpoints per user"
            )));
        }
        tx.execute(
            "INSERT INTO webhook_endpoints (user_id, url, events, secret, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![user_id, url, events.stored(), secret, now],
        )?;
        let id = tx.last_insert_rowid();
        let endpoint = read_endpoint(&tx, user_id, id)?;
        tx.commit()?;
        Ok((endpoint, secret))
    }

    /// `user_id`'s endpoints, newest first, and how many there are.
    pub fn list_endpoints(&self, user_id: i64, page: Page) -> StoreResult<(Vec<Endpoint>, i64)> {
        let conn = self.conn()?;
        let total: i64 = conn.query_row(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE user_id = ?1",
            params![user_id],
            |r| r.get(0),
        )?;
        let items = conn
            .prepare_cached(&format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE user_id = ?1
                 ORDER BY id DESC LIMIT ?2 OFFSET ?3"
            ))?
            .query_map(
                params![user_id, page.page_size, page.offset()],
                endpoint_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }

    /// One of `user_id`'s endpoints (404 when it is not theirs).
    pub fn endpoint(&self, user_id: i64, id: i64) -> StoreResult<Endpoint> {
        let conn = self.conn()?;
        read_endpoint(&conn, user_id, id)
    }

    /// Changes one of `user_id`'s endpoints.
    pub fn update_endpoint(
        &self,
        user_id: i64,
        id: i64,
        up: &EndpointUpdate,
    ) -> StoreResult<Endpoint> {
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        read_endpoint(&tx, user_id, id)?;
        tx.execute(
            "UPDATE webhook_endpoints SET url = COALESCE(?3, url), events = COALESCE(?4, events),
                enabled = COALESCE(?5, enabled),
                disabled_reason = CASE WHEN ?5 = 1 THEN '' ELSE disabled_reason END,
                updated_at = ?6
             WHERE id = ?1 AND user_id = ?2",
            params![
                id,
                user_id,
                up.url,
                up.events.map(EventSet::stored),
                up.enabled.map(i64::from),
                now
            ],
        )?;
        let endpoint = read_endpoint(&tx, user_id, id)?;
        tx.commit()?;
        Ok(endpoint)
    }

    /// Gives one of `user_id`'s endpoints a new secret and returns it;
    /// deliveries signed from now on use it.
    pub fn rotate_endpoint_secret(&self, user_id: i64, id: i64) -> StoreResult<String> {
        let secret = new_webhook_secret();
        let conn = self.conn()?;
        let n = conn.execute(
            "UPDATE webhook_endpoints SET secret = ?3, updated_at = ?4
             WHERE id = ?1 AND user_id = ?2",
            params![id, user_id, secret, self.now()],
        )?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(secret)
    }

    /// Deletes one of `user_id`'s endpoints and its deliveries.
    pub fn delete_endpoint(&self, user_id: i64, id: i64) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let n = tx.execute(
            "DELETE FROM webhook_endpoints WHERE id = ?1 AND user_id = ?2",
            params![id, user_id],
        )?;
        if n == 0 {
            return Err(not_found(id));
        }
        tx.execute(
            "DELETE FROM webhook_deliveries WHERE endpoint_id = ?1",
            params![id],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// One of `user_id`'s endpoints on `conn`.
fn read_endpoint(conn: &rusqlite::Connection, user_id: i64, id: i64) -> StoreResult<Endpoint> {
    conn.prepare_cached(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1 AND user_id = ?2"
    ))?
    .query_row(params![id, user_id], endpoint_from_row)
    .optional()?
    .ok_or_else(|| not_found(id))
}

/// Disables endpoint `id` after its deliveries kept failing, with the
/// system log row (type 4) that tells its owner why; inside the
/// transaction that records the last failed attempt.
pub(super) fn disable_exhausted(
    tx: &Transaction<'_>,
    id: i64,
    reason: &str,
    now: i64,
) -> StoreResult<()> {
    let owner: Option<(i64, String)> = tx
        .prepare_cached(
            "SELECT e.user_id, COALESCE(u.username, '') FROM webhook_endpoints e
             LEFT JOIN users u ON u.id = e.user_id WHERE e.id = ?1 AND e.enabled = 1",
        )?
        .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((user_id, username)) = owner else {
        return Ok(());
    };
    tx.prepare_cached(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![id, reason, now])?;
    insert_log(
        tx,
        &NewLog {
            log_type: LOG_SYSTEM,
            user_id,
            username,
            token_id: 0,
            token_name: String::new(),
            channel_id: 0,
            model_name: String::new(),
            quota: 0,
            content: format!("webhook endpoint {id} disabled: {reason}"),
            task_id: String::new(),
            other: Some(serde_json::json!({"webhook_endpoint_id": id})),
        },
        now,
    )?;
    Ok(())
}
