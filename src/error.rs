//! The service's error: what went wrong, in the service's own terms.
//!
//! No HTTP here. The store ([`crate::store::StoreError`]) and the domain
//! parsers ([`crate::domain::Invalid`]) have their own errors that convert
//! into this one; `http::error` maps each kind to a status exactly once, and
//! each platform's envelope renders it with its own codes.

use crate::domain::Invalid;
use crate::store::StoreError;

/// Everything a request, a command or a pass can fail with.
///
/// `Display` is the message a client sees; `Debug` keeps the detail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The request is malformed or asks for something that cannot be.
    #[error("{0}")]
    Invalid(String),
    /// No credentials, or credentials nobody has.
    #[error("{0}")]
    Unauthenticated(String),
    /// A known caller who may not do this: role, disabled account or key,
    /// insufficient quota.
    #[error("{0}")]
    Forbidden(String),
    /// The named record does not exist, or is not the caller's.
    #[error("{0}")]
    NotFound(String),
    /// The record's state forbids the change (409): settling a final task,
    /// or an idempotency key whose first request is still running.
    #[error("{0}")]
    Conflict(String),
    /// Well-formed but not processable as asked (422): an idempotency key
    /// reused for a different request.
    #[error("{0}")]
    Unprocessable(String),
    /// No channel can take the job.
    #[error("{0}")]
    NoChannel(String),
    /// Every upstream attempt failed; `status` is the last upstream status
    /// worth passing on to the client.
    #[error("{message}")]
    Upstream {
        /// Upstream HTTP status to pass on (502 when there was none).
        status: u16,
        /// What went wrong upstream.
        message: String,
    },
    /// The service cannot answer this now, though nothing is broken: a
    /// piece of work hit its time limit. The message says what to do.
    #[error("{0}")]
    Unavailable(String),
    /// Too many submissions in flight: refused at once, before any work,
    /// to be retried shortly (503 with `Retry-After`).
    #[error("{0}")]
    Overloaded(String),
    /// Too many attempts (failed logins): the message says when to retry.
    #[error("{0}")]
    TooManyRequests(String),
    /// The database or another internal part failed.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(e.0)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => Error::NotFound(m),
            StoreError::Invalid(m) => Error::Invalid(m),
            StoreError::Refused(m) => Error::Forbidden(m),
            StoreError::Revoked(m) => Error::Unauthenticated(m),
            StoreError::TimedOut(m) => Error::Unavailable(m),
            StoreError::Conflict(m) => Error::Conflict(m),
            other => Error::Internal(other.to_string()),
        }
    }
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
