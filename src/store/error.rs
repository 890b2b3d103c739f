//! What the store can fail with: refusals by the rules of the books, and
//! failures of the database itself. No HTTP statuses, no platform codes.

/// An error of a store function.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record the caller named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A value the store will not keep (out of range, too long, duplicate).
    #[error("{0}")]
    Invalid(String),
    /// The books refuse the change: insufficient quota, a disabled key.
    #[error("{0}")]
    Refused(String),
    /// The record's state forbids the change: a final task settled again,
    /// or an idempotency claim another request got first.
    #[error("{0}")]
    Conflict(String),
    /// The credential the caller used was deleted meanwhile.
    #[error("{0}")]
    Revoked(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No connection could be had from the pool.
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::Error),
    /// A file operation around the database failed (folders, backups).
    #[error("{0}")]
    Io(String),
    /// A read given a time limit was aborted at it (its snapshot released);
    /// the message says what did not finish in how long.
    #[error("{0}")]
    TimedOut(String),
}

impl From<crate::domain::Invalid> for StoreError {
    /// A domain parser's refusal of a value the store was given.
    fn from(e: crate::domain::Invalid) -> Self {
        StoreError::Invalid(e.0)
    }
}

impl StoreError {
    /// Shorthand for [`StoreError::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        StoreError::Invalid(msg.into())
    }
}

/// Result alias of the store.
pub type StoreResult<T> = Result<T, StoreError>;
