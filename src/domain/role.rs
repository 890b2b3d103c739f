//! User roles and statuses.

/// A user's role; higher may do more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Role 1.
    Common,
    /// Role 10.
    Admin,
    /// Role 100.
    Root,
}

impl Role {
    /// From the stored number; anything unknown is treated as common.
    pub fn from_i64(v: i64) -> Self {
        match v {
            100.. => Role::Root,
            10..=99 => Role::Admin,
            _ => Role::Common,
        }
    }

    /// Parse a role number given by a client (1, 10 or 100).
    pub fn parse(v: i64) -> Option<Self> {
        match v {
            1 => Some(Role::Common),
            10 => Some(Role::Admin),
            100 => Some(Role::Root),
            _ => None,
        }
    }

    /// The stored number.
    pub fn as_i64(self) -> i64 {
        match self {
            Role::Common => 1,
            Role::Admin => 10,
            Role::Root => 100,
        }
    }
}

/// User status: enabled.
pub const USER_ENABLED: i64 = 1;
/// User status: disabled.
pub const USER_DISABLED: i64 = 2;
