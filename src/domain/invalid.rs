//! The error of every parser in [`crate::domain`]: the input is invalid, and
//! the message says why in words a client can act on.

/// Invalid input; `Display` is the message for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    /// An `Invalid` with this message.
    pub fn new(msg: impl Into<String>) -> Self {
        Invalid(msg.into())
    }
}
