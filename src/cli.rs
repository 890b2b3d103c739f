//! Operator commands that work on the database file directly (also while the
//! server runs) and answer JSON. `main.rs` parses the flags and prints.

use std::path::Path;

use serde_json::{Value, json};

use crate::domain::channel_input::{parse_base_url, parse_channel_type};
use crate::domain::{Page, Role};
use crate::error::{AppError, AppResult};
use crate::platform::Platforms;
use crate::store::Store;
use crate::store::channels::{CHANNEL_DISABLED, CHANNEL_ENABLED, ChannelFields};
use crate::store::tokens::NewToken;
use crate::store::users::NewUser;

/// Opens the database for a command (created when new, so a shell script
/// can bootstrap users, keys and channels before the first `serve`).
pub fn open(db: &Path) -> AppResult<Store> {
    Store::open_with_pool_size(db, 2)
}

/// Opens a database that must exist already (audit, backup): a mistyped
/// path must not pass an audit of a fresh, empty file.
pub fn open_existing(db: &Path) -> AppResult<Store> {
    if !db.is_file() {
        return Err(AppError::NotFound(format!(
            "no database at {}",
            db.display()
        )));
    }
    open(db)
}

/// `user add`: creates a user and shows its access token once.
pub fn user_add(store: &Store, new: NewUser) -> AppResult<Value> {
    if new.role == Some(Role::Root) {
        return Err(AppError::bad("nobody can create another root user"));
    }
    let (user, token) = store.create_user(&new)?;
    let mut v = serde_json::to_value(&user).unwrap_or_default();
    v["access_token"] = json!(token);
    Ok(v)
}

/// `user list`: every user matching `keyword` (up to 100 per page).
pub fn user_list(store: &Store, keyword: Option<&str>, p: i64) -> AppResult<Value> {
    let page = Page {
        p: p.max(1),
        page_size: 100,
    };
    let (items, total) = store.list_users(keyword, page)?;
    Ok(json!({"items": items, "total": total, "page": page.p, "page_size": page.page_size}))
}

/// `user quota`: adds a signed delta with its log row.
pub fn user_quota(store: &Store, id: i64, delta: i64, reason: &str) -> AppResult<Value> {
    let user = store.adjust_quota(id, delta, reason, "cli")?;
    Ok(serde_json::to_value(&user).unwrap_or_default())
}

/// `token add`: creates an API key for a user and shows it once.
pub fn token_add(store: &Store, user_id: i64, new: NewToken) -> AppResult<Value> {
    if store.get_user(user_id)?.is_none() {
        return Err(AppError::NotFound(format!("user {user_id} not found")));
    }
    let (token, key) = store.create_token(user_id, &new)?;
    let mut v = serde_json::to_value(&token).unwrap_or_default();
    v["key"] = json!(key);
    Ok(v)
}

/// `channel add`: validates type and base URL like the API does.
pub fn channel_add(store: &Store, mut fields: ChannelFields) -> AppResult<Value> {
    let platforms = Platforms::builtin(std::time::Duration::from_secs(1));
    let t = fields.channel_type.clone().unwrap_or_else(|| "suno".into());
    fields.channel_type = Some(parse_channel_type(&platforms, &json!(t))?);
    let url = fields
        .base_url
        .clone()
        .ok_or_else(|| AppError::bad("--base-url is required"))?;
    fields.base_url = Some(parse_base_url(&url)?);
    let channel = store.create_channel(&fields)?;
    Ok(serde_json::to_value(channel.view()).unwrap_or_default())
}

/// `channel list`: every channel, keys masked.
pub fn channel_list(store: &Store) -> AppResult<Value> {
    let views: Vec<_> = store.all_channels()?.iter().map(|c| c.view()).collect();
    Ok(json!(views))
}

/// `channel enable|disable`.
pub fn channel_set_enabled(store: &Store, id: i64, enabled: bool) -> AppResult<Value> {
    let status = if enabled {
        CHANNEL_ENABLED
    } else {
        CHANNEL_DISABLED
    };
    let channel = store.update_channel(
        id,
        &ChannelFields {
            status: Some(status),
            ..Default::default()
        },
    )?;
    Ok(serde_json::to_value(channel.view()).unwrap_or_default())
}

/// `backup`: a consistent online copy.
pub fn backup(store: &Store, to: &Path) -> AppResult<Value> {
    let bytes = store.backup_to(to)?;
    Ok(json!({"backup": to.display().to_string(), "bytes": bytes}))
}
