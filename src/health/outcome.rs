//! What an upstream call says about its channel.

use crate::platform::UpstreamError;

/// How a call went, for the channel's health.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The upstream answered as it should. A refusal of the request itself
    /// (a 4xx other than the credential ones: a bad prompt, an unknown id,
    /// a rate limit) counts here too: the channel works.
    Worked,
    /// No usable answer: a transport error or timeout, a 5xx, an
    /// unreadable answer. The text is for administrators.
    Down(String),
    /// The channel's own credentials or balance were refused (401, 402,
    /// 403, or an error code saying so): the channel is disabled.
    Refused(String),
}

impl Outcome {
    /// The outcome of a call's result.
    pub fn of<T>(result: &Result<T, UpstreamError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Worked,
            Err(e) if e.refuses_channel() => Outcome::Refused(e.detail()),
            Err(e) if e.channel_down() => Outcome::Down(e.detail()),
            Err(_) => Outcome::Worked,
        }
    }
}
