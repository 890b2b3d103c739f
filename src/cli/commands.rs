//! Operator commands that work on the database file directly (also while
//! the server runs) and answer JSON. They act as root: the role rules of
//! [`crate::policy`] apply to them as to root over HTTP.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::args::{ChannelCmd, TaskCmd, TokenCmd, UserCmd};
use crate::clock::{Clock, SystemClock};
use crate::domain::page::MAX_PAGE_SIZE;
use crate::domain::{ModelMapping, Page, Role, parse_base_url};
use crate::error::{Error, Result};
use crate::platform::{Platforms, UpstreamSettings};
use crate::policy;
use crate::store::Store;
use crate::store::channels::{CHANNEL_DISABLED, CHANNEL_ENABLED, ChannelFields};
use crate::store::log_list::LogFilter;
use crate::store::repair::ManualSettlement;
use crate::store::tokens::NewToken;
use crate::store::users::NewUser;

/// Opens the database for a command (created when new, so a shell script
/// can bootstrap users, keys and channels before the first `serve`).
pub fn open(db: &Path) -> Result<Store> {
    Ok(Store::open_with_pool_size(db, 2)?)
}

/// Opens a database that must exist already (backup): a mistyped path
/// must not copy a fresh, empty file.
pub fn open_existing(db: &Path) -> Result<Store> {
    if !db.is_file() {
        return Err(Error::NotFound(format!("no database at {}", db.display())));
    }
    open(db)
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// `taskcenter user ...`.
pub fn user(cmd: UserCmd) -> Result<Value> {
    match cmd {
        UserCmd::Add {
            db,
            username,
            password_stdin,
            password,
            display_name,
            role,
            group,
            quota,
        } => {
            let password = super::password::from_flags(password_stdin, password)?;
            let role = Role::parse(role)
                .ok_or_else(|| Error::invalid(format!("invalid role {role}: use 1 or 10")))?;
            policy::may_create_user(Role::Root, role)?;
            let new = NewUser {
                username,
                password,
                display_name,
                role: Some(role),
                group,
                quota,
            };
            let (user, token) = open(&db.db)?.create_user(&new)?;
            let mut v = to_json(&user);
            v["access_token"] = json!(token);
            Ok(v)
        }
        UserCmd::List { db, keyword, page } => {
            let page = Page {
                p: page.max(1),
                page_size: 100,
            };
            let store = Store::open_read_only(&db.db)?;
            let (items, total) = store.list_users(keyword.as_deref(), page)?;
            Ok(json!({"items": items, "total": total, "page": page.p, "page_size": page.page_size}))
        }
        UserCmd::Passwd {
            db,
            user,
            password_stdin,
            password,
        } => {
            let password = super::password::from_flags(password_stdin, password)?
                .ok_or_else(|| Error::invalid("give --password-stdin or --password"))?;
            let store = open_existing(&db.db)?;
            let id = super::password::resolve_user(&store, &user)?;
            store.set_password(id, &password)?;
            let user = store
                .get_user(id)?
                .ok_or_else(|| Error::NotFound(format!("user {id} not found")))?;
            Ok(to_json(&user))
        }
        UserCmd::Quota {
            db,
            id,
            delta,
            reason,
        } => {
            let user = open(&db.db)?.adjust_quota(id, delta, &reason, "cli")?;
            Ok(to_json(&user))
        }
    }
}

/// `taskcenter token ...`.
pub fn token(cmd: TokenCmd) -> Result<Value> {
    let TokenCmd::Add {
        db,
        user_id,
        name,
        remain_quota,
        unlimited,
        expired_time,
    } = cmd;
    let store = open(&db.db)?;
    if store.get_user(user_id)?.is_none() {
        return Err(Error::NotFound(format!("user {user_id} not found")));
    }
    let new = NewToken {
        name,
        remain_quota,
        unlimited_quota: unlimited,
        expired_time,
    };
    let (token, key) = store.create_token(user_id, &new)?;
    let mut v = to_json(&token);
    v["key"] = json!(key);
    Ok(v)
}

/// `taskcenter channel ...`.
pub fn channel(cmd: ChannelCmd) -> Result<Value> {
    match cmd {
        ChannelCmd::Add {
            db,
            name,
            channel_type,
            base_url,
            key,
            models,
            group,
            priority,
            weight,
            model_mapping,
        } => {
            // Validated like the API does (no call is made from here).
            let platforms =
                Platforms::builtin(&UpstreamSettings::with_timeout(Duration::from_secs(1)));
            let channel_type = platforms.parse_channel_type(&json!(channel_type))?;
            let models = match models {
                Some(m) => m,
                None => platforms
                    .get(&channel_type)
                    .map(|p| p.default_models().to_string())
                    .unwrap_or_default(),
            };
            let fields = ChannelFields {
                channel_type: Some(channel_type),
                name: Some(name),
                base_url: Some(parse_base_url(&base_url)?),
                key: Some(key),
                models: Some(models),
                group: Some(group),
                priority: Some(priority),
                weight: Some(weight),
                status: None,
                model_mapping: Some(ModelMapping::parse(&model_mapping)?),
            };
            Ok(to_json(&open(&db.db)?.create_channel(&fields)?.view()))
        }
        ChannelCmd::List { db } => {
            let store = Store::open_read_only(&db.db)?;
            // The health as the server last saved it (once per worker pass).
            let health = crate::health::Health::load(&store, u32::MAX);
            let now = store.now();
            let channels = store.all_channels()?;
            Ok(json!(
                channels
                    .iter()
                    .map(|c| health.report(c, now))
                    .collect::<Vec<_>>()
            ))
        }
        ChannelCmd::Disable { db, id } => set_channel_status(&db.db, id, CHANNEL_DISABLED),
        ChannelCmd::Enable { db, id } => set_channel_status(&db.db, id, CHANNEL_ENABLED),
        ChannelCmd::Test { .. } => Err(Error::Internal(
            "channel test is run by channel_test".into(),
        )),
    }
}

/// `taskcenter channel test ID`: probes the channel as the server would
/// (`--probe-timeout-secs` per stage); the report, whether or not it passed.
pub fn channel_test(
    db: &Path,
    id: i64,
    settings: &UpstreamSettings,
) -> Result<crate::platform::probe::ProbeReport> {
    let channel = Store::open_read_only(db)?
        .get_channel(id)?
        .ok_or_else(|| Error::NotFound(format!("channel {id} not found")))?;
    Ok(crate::platform::probe::probe(
        &Platforms::builtin(settings),
        &channel,
    ))
}

fn set_channel_status(db: &Path, id: i64, status: i64) -> Result<Value> {
    let fields = ChannelFields {
        status: Some(status),
        ..Default::default()
    };
    Ok(to_json(
        &open(db)?
            .update_channel(id, &fields, "taskcenter CLI")?
            .view(),
    ))
}

/// `taskcenter task ...`: acts as the operator at the console (the log row
/// of a settlement names `taskcenter CLI`).
pub fn task(cmd: TaskCmd) -> Result<Value> {
    match cmd {
        TaskCmd::Show { db, task_id } => {
            let store = Store::open_read_only(&db.db)?;
            let (task, owner) = store
                .task_with_owner(&task_id)?
                .ok_or_else(|| Error::NotFound(format!("task {task_id} does not exist")))?;
            let filter = LogFilter {
                task_id: Some(task_id),
                ..Default::default()
            };
            let (ledger, _) = store.list_logs(
                &filter,
                Page {
                    p: 1,
                    page_size: MAX_PAGE_SIZE,
                },
                true,
            )?;
            Ok(json!({"task": task.admin_view(owner), "ledger": ledger}))
        }
        TaskCmd::Settle {
            db,
            task_id,
            status,
            reason,
        } => {
            let s = ManualSettlement::parse(&status, reason.as_deref(), "taskcenter CLI".into())?;
            let (task, owner) =
                open_existing(&db.db)?.settle_by_hand(&task_id, &s, SystemClock.now())?;
            Ok(to_json(&task.admin_view(owner)))
        }
    }
}

/// `taskcenter backup`: a consistent online copy.
pub fn backup(db: &Path, to: &Path) -> Result<Value> {
    let bytes = open_existing(db)?.backup_to(to)?;
    Ok(json!({"backup": to.display().to_string(), "bytes": bytes}))
}
