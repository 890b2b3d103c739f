//! Who may do what: every role rule of the service, used by the HTTP
//! routes and the CLI alike (the CLI acts as root on the database file).

use crate::domain::Role;
use crate::error::{Error, Result};
use crate::store::channels::ChannelFields;
use crate::store::user_admin::UserUpdate;

/// The caller must hold at least role `min`.
pub fn require(actor: Role, min: Role) -> Result<()> {
    if actor >= min {
        return Ok(());
    }
    let name = match min {
        Role::Root => "root",
        Role::Admin => "admin",
        Role::Common => "user",
    };
    Err(Error::Forbidden(format!("this needs the {name} role")))
}

/// Creating a user of `role`: nobody creates a root, only root creates
/// administrators.
pub fn may_create_user(actor: Role, role: Role) -> Result<()> {
    if role == Role::Root {
        return Err(Error::Forbidden(
            "nobody can create another root user".into(),
        ));
    }
    if role >= Role::Admin && actor < Role::Root {
        return Err(Error::Forbidden(
            "only root can create administrators".into(),
        ));
    }
    Ok(())
}

/// Changing a user: an admin cannot change an admin or root (themselves
/// included: no one raises their own group), only root grants admin, nobody
/// disables or demotes root, nobody is made root.
pub fn may_update_user(actor: Role, target: Role, up: &UserUpdate) -> Result<()> {
    if target >= Role::Admin && actor < Role::Root {
        return Err(Error::Forbidden(
            "only root can change an administrator".into(),
        ));
    }
    if target == Role::Root {
        if up.role.is_some_and(|r| r != Role::Root) {
            return Err(Error::Forbidden("root cannot be demoted".into()));
        }
        if up.status.is_some_and(|s| s != 1) {
            return Err(Error::Forbidden("root cannot be disabled".into()));
        }
    } else if up.role == Some(Role::Root) {
        return Err(Error::Forbidden("nobody can be made root".into()));
    }
    if up.role.is_some_and(|r| r >= Role::Admin) && actor < Role::Root {
        return Err(Error::Forbidden(
            "only root can grant the admin role".into(),
        ));
    }
    Ok(())
}

/// Adding to or taking from a balance: an administrator's only by root.
pub fn may_adjust_quota(actor: Role, target: Role) -> Result<()> {
    if target >= Role::Admin && actor < Role::Root {
        return Err(Error::Forbidden(
            "only root can change an administrator's quota".into(),
        ));
    }
    Ok(())
}

/// Pointing a channel somewhere else: only root keeps the stored key. An
/// administrator who changes `base_url` must give the key again, or they
/// could send the channel's key to a server of their own.
pub fn may_move_channel(actor: Role, current_base_url: &str, change: &ChannelFields) -> Result<()> {
    let moves = change
        .base_url
        .as_deref()
        .is_some_and(|url| url != current_base_url);
    if moves && change.key.is_none() && actor < Role::Root {
        return Err(Error::Forbidden(
            "changing a channel's base_url needs its key again (key); only root may keep the stored key"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_manage_common_users_only() {
        let up = UserUpdate::default();
        assert!(may_update_user(Role::Admin, Role::Common, &up).is_ok());
        assert!(may_update_user(Role::Admin, Role::Admin, &up).is_err());
        assert!(may_update_user(Role::Root, Role::Admin, &up).is_ok());
        let promote = UserUpdate {
            role: Some(Role::Admin),
            ..Default::default()
        };
        assert!(may_update_user(Role::Admin, Role::Common, &promote).is_err());
        assert!(may_create_user(Role::Root, Role::Root).is_err());
        assert!(may_adjust_quota(Role::Admin, Role::Root).is_err());
        assert!(require(Role::Common, Role::Admin).is_err());
    }
}
