//! Channels: the upstream providers tasks are relayed to.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::Store;
use super::error::{StoreError, StoreResult};
use crate::domain::{ModelMapping, Page};

/// Channel status: enabled.
pub const CHANNEL_ENABLED: i64 = 1;
/// Channel status: disabled by hand (not chosen for new jobs; running jobs
/// still polled; never enabled again by the server).
pub const CHANNEL_DISABLED: i64 = 2;
/// Channel status: disabled by the server because the upstream refused the
/// channel's credentials or balance; the worker probes it and enables it
/// again when a probe works.
pub const CHANNEL_AUTO_DISABLED: i64 = 3;

/// A channel with its secret. Serialize only through [`Channel::view`].
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Id.
    pub id: i64,
    /// Platform type, e.g. `suno`.
    pub channel_type: String,
    /// Name.
    pub name: String,
    /// Upstream base URL.
    pub base_url: String,
    /// Upstream secret.
    pub key: String,
    /// Comma list of models served.
    pub models: String,
    /// Comma list of user groups served.
    pub group: String,
    /// Higher is tried first.
    pub priority: i64,
    /// Weight within a priority tier.
    pub weight: i64,
    /// 1 enabled, 2 disabled by hand, 3 disabled by the server.
    pub status: i64,
    /// Quota charged through this channel.
    pub used_quota: i64,
    /// Unix s.
    pub created_at: i64,
    /// Client model → upstream model, as stored ([`ModelMapping`]'s text;
    /// empty = none).
    pub model_mapping: String,
    /// Why the server disabled it (status 3; empty otherwise).
    pub disabled_reason: String,
    /// Unix s when the server disabled it (0 = it did not).
    pub disabled_at: i64,
}

/// The public form of a channel: the key is masked.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelView {
    id: i64,
    #[serde(rename = "type")]
    channel_type: String,
    name: String,
    base_url: String,
    key: String,
    models: String,
    group: String,
    priority: i64,
    weight: i64,
    status: i64,
    used_quota: i64,
    created_at: i64,
    model_mapping: String,
    disabled_reason: String,
    disabled_at: Option<i64>,
}

/// Masks a secret: at most its first 3 and last 2 characters stay visible.
pub fn mask_secret(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len().max(3));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}***{tail}")
}

impl Channel {
    /// The form every endpoint returns (key masked).
    pub fn view(&self) -> ChannelView {
        ChannelView {
            id: self.id,
            channel_type: self.channel_type.clone(),
            name: self.name.clone(),
            base_url: self.base_url.clone(),
            key: mask_secret(&self.key),
            models: self.models.clone(),
            group: self.group.clone(),
            priority: self.priority,
            weight: self.weight,
            status: self.status,
            used_quota: self.used_quota,
            created_at: self.created_at,
            model_mapping: self.model_mapping.clone(),
            disabled_reason: self.disabled_reason.clone(),
            disabled_at: (self.disabled_at > 0).then_some(self.disabled_at),
        }
    }

    /// The upstream's name for the client's `model` on this channel, when
    /// its mapping renames it. The text was checked when it was saved; one
    /// that no longer parses (edited by hand) maps nothing.
    pub fn upstream_model(&self, model: &str) -> Option<String> {
        ModelMapping::parse(&self.model_mapping)
            .ok()?
            .upstream_model(model)
            .map(str::to_string)
    }

    /// Whether this channel serves `model` for users of `group`.
    pub fn serves(&self, model: &str, group: &str) -> bool {
        let has = |list: &str, item: &str| list.split(',').any(|x| x.trim() == item);
        has(&self.models, model) && has(&self.group, group)
    }
}

pub(super) const CHANNEL_COLUMNS: &str = "id, type, name, base_url, key, models, \"group\", priority, weight, status, used_quota, created_at, model_mapping, disabled_reason, disabled_at";

/// A channel read with [`CHANNEL_COLUMNS`] (for the store's other files).
pub(super) fn channel_from_row(r: &Row<'_>) -> rusqlite::Result<Channel> {
    Ok(Channel {
        id: r.get(0)?,
        channel_type: r.get(1)?,
        name: r.get(2)?,
        base_url: r.get(3)?,
        key: r.get(4)?,
        models: r.get(5)?,
        group: r.get(6)?,
        priority: r.get(7)?,
        weight: r.get(8)?,
        status: r.get(9)?,
        used_quota: r.get(10)?,
        created_at: r.get(11)?,
        model_mapping: r.get(12)?,
        disabled_reason: r.get(13)?,
        disabled_at: r.get(14)?,
    })
}

/// Fields of a channel to create or (with `None` = keep) update.
#[derive(Debug, Clone, Default)]
pub struct ChannelFields {
    /// Platform type.
    pub channel_type: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Base URL (validated by the caller).
    pub base_url: Option<String>,
    /// Secret.
    pub key: Option<String>,
    /// Models.
    pub models: Option<String>,
    /// Groups.
    pub group: Option<String>,
    /// Priority.
    pub priority: Option<i64>,
    /// Weight.
    pub weight: Option<i64>,
    /// Status.
    pub status: Option<i64>,
    /// Client model → upstream model.
    pub model_mapping: Option<ModelMapping>,
}

fn check_fields(f: &ChannelFields) -> StoreResult<()> {
    if let Some(s) = f.status
        && s != CHANNEL_ENABLED
        && s != CHANNEL_DISABLED
    {
        return Err(StoreError::invalid(
            "status must be 1 (enabled) or 2 (disabled)",
        ));
    }
    if f.weight.is_some_and(|w| w < 0) {
        return Err(StoreError::invalid("weight must not be negative"));
    }
    Ok(())
}

impl Store {
    /// Creates a channel; `type` and `base_url` must be set and valid already.
    pub fn create_channel(&self, f: &ChannelFields) -> StoreResult<Channel> {
        check_fields(f)?;
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO channels (type, name, base_url, key, models, \"group\", priority, weight, status, created_at, model_mapping)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                f.channel_type.clone().unwrap_or_default(),
                f.name.clone().unwrap_or_default(),
                f.base_url.clone().unwrap_or_default(),
                f.key.clone().unwrap_or_default(),
                f.models.clone().unwrap_or_default(),
                f.group.clone().filter(|g| !g.trim().is_empty()).unwrap_or_else(|| "default".into()),
                f.priority.unwrap_or(0),
                f.weight.unwrap_or(1),
                f.status.unwrap_or(CHANNEL_ENABLED),
                self.now(),
                f.model_mapping.as_ref().map(ModelMapping::to_text).unwrap_or_default()
            ],
        )?;
        let id = conn.last_insert_rowid();
        self.get_channel(id)?
            .ok_or_else(|| StoreError::NotFound(format!("channel {id} vanished after insert")))
    }

    /// One channel by id.
    pub fn get_channel(&self, id: i64) -> StoreResult<Option<Channel>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(&format!(
                "SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = ?1"
            ))?
            .query_row(params![id], channel_from_row)
            .optional()?)
    }

    /// A page of channels, newest first, with the total.
    pub fn list_channels(&self, page: Page) -> StoreResult<(Vec<Channel>, i64)> {
        let conn = self.conn()?;
        let total: i64 = conn.query_row("SELECT COUNT(*) FROM channels", [], |r| r.get(0))?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels ORDER BY id DESC LIMIT +?1 OFFSET +?2"
        ))?;
        let items = stmt
            .query_map(params![page.page_size, page.offset()], channel_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }

    /// Every channel (the worker and the CLI; there are few).
    pub fn all_channels(&self) -> StoreResult<Vec<Channel>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels ORDER BY id"
        ))?;
        let items = stmt
            .query_map([], channel_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// Enabled channels of `channel_type` serving `model` for `group`.
    pub fn candidate_channels(
        &self,
        channel_type: &str,
        model: &str,
        group: &str,
    ) -> StoreResult<Vec<Channel>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE status = 1 AND type = ?1"
        ))?;
        let items = stmt
            .query_map(params![channel_type], channel_from_row)?
            .filter(|c| c.as_ref().map(|c| c.serves(model, group)).unwrap_or(true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// Updates a channel (404 when unknown). A change of status by hand
    /// writes a system log row naming `by`, in the same transaction; leaving
    /// status 3 clears the reason and the probe schedule.
    pub fn update_channel(&self, id: i64, f: &ChannelFields, by: &str) -> StoreResult<Channel> {
        check_fields(f)?;
        let now = self.now();
        let mut conn = self.conn()?;
        let tx = self.immediate(&mut conn)?;
        let before: i64 = tx
            .query_row(
                "SELECT status FROM channels WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("channel {id} not found")))?;
        tx.execute(
            "UPDATE channels SET
                type = COALESCE(?2, type), name = COALESCE(?3, name), base_url = COALESCE(?4, base_url),
                key = COALESCE(?5, key), models = COALESCE(?6, models), \"group\" = COALESCE(?7, \"group\"),
                priority = COALESCE(?8, priority), weight = COALESCE(?9, weight), status = COALESCE(?10, status),
                model_mapping = COALESCE(?11, model_mapping)
             WHERE id = ?1",
            params![
                id, f.channel_type, f.name, f.base_url, f.key, f.models, f.group, f.priority, f.weight,
                f.status, f.model_mapping.as_ref().map(ModelMapping::to_text)
            ],
        )?;
        if let Some(status) = f.status
            && status != before
        {
            super::channel_status::changed_by_hand(&tx, id, status, by, now)?;
        }
        tx.commit()?;
        self.get_channel(id)?
            .ok_or_else(|| StoreError::NotFound(format!("channel {id} not found")))
    }

    /// Deletes a channel (404 when unknown). Its unfinished tasks are failed
    /// and refunded by the worker's next pass.
    pub fn delete_channel(&self, id: i64) -> StoreResult<()> {
        let conn = self.conn()?;
        let n = conn.execute("DELETE FROM channels WHERE id = ?1", params![id])?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("channel {id} not found")));
        }
        conn.execute(
            "DELETE FROM channel_health WHERE channel_id = ?1",
            params![id],
        )?;
        Ok(())
    }
}
