//! A webhook endpoint as a user registers it: the events it wants and the
//! URL deliveries go to.

use super::Invalid;

/// An event a webhook endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// The task reached SUCCESS.
    Succeeded,
    /// The task reached FAILURE (its charge refunded).
    Failed,
    /// The task's status or progress moved before it was final (opt-in:
    /// a long video reports many steps).
    Progress,
}

impl WebhookEvent {
    /// Every event, in the order lists show them.
    pub const ALL: [WebhookEvent; 3] = [
        WebhookEvent::Succeeded,
        WebhookEvent::Failed,
        WebhookEvent::Progress,
    ];

    /// The event's type as payloads and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::Succeeded => "task.succeeded",
            WebhookEvent::Failed => "task.failed",
            WebhookEvent::Progress => "task.progress",
        }
    }

    /// The event named `s`, if it is one.
    pub fn from_word(s: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// A set of subscribed events (never empty once parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventSet(u8);

impl EventSet {
    /// What an endpoint registered without `events` gets: the final events.
    pub fn finals() -> EventSet {
        EventSet::default()
            .with(WebhookEvent::Succeeded)
            .with(WebhookEvent::Failed)
    }

    /// The events of an API request: known names, at least one.
    pub fn parse(words: &[String]) -> Result<EventSet, Invalid> {
        let mut set = EventSet::default();
        for w in words {
            let e = WebhookEvent::from_word(w.trim()).ok_or_else(|| {
                Invalid::new(format!(
                    "unknown webhook event '{w}': use task.succeeded, task.failed or task.progress"
                ))
            })?;
            set = set.with(e);
        }
        if set.0 == 0 {
            return Err(Invalid::new("events must name at least one event"));
        }
        Ok(set)
    }

    /// The set stored as space-separated words; unknown words are skipped.
    pub fn from_stored(s: &str) -> EventSet {
        s.split_whitespace()
            .filter_map(WebhookEvent::from_word)
            .fold(EventSet::default(), EventSet::with)
    }

    /// The set plus `e`.
    pub fn with(self, e: WebhookEvent) -> EventSet {
        EventSet(self.0 | 1 << e as u8)
    }

    /// Whether `e` is in the set.
    pub fn contains(self, e: WebhookEvent) -> bool {
        self.0 & (1 << e as u8) != 0
    }

    /// The event names, in [`WebhookEvent::ALL`] order.
    pub fn names(self) -> Vec<&'static str> {
        WebhookEvent::ALL
            .into_iter()
            .filter(|e| self.contains(*e))
            .map(WebhookEvent::as_str)
            .collect()
    }

    /// The stored form: names separated by spaces.
    pub fn stored(self) -> String {
        self.names().join(" ")
    }
}

/// Longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// An endpoint URL: absolute `http://` or `https://` with a host, no
/// credentials, no fragment, at most [`MAX_URL_LEN`] bytes. Whether its
/// host may be private is the caller's question (it depends on the
/// server's flags).
pub fn parse_webhook_url(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    if s.len() > MAX_URL_LEN {
        return Err(Invalid::new(format!(
            "url is longer than {MAX_URL_LEN} bytes"
        )));
    }
    let bad = || Invalid::new(format!("invalid url '{s}': use http(s)://host[:port]/path"));
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or_else(|| {
            Invalid::new(format!(
                "invalid url '{s}': must start with http:// or https://"
            ))
        })?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let uri: warp::http::Uri = s.parse().map_err(|_| bad())?;
    if authority.is_empty()
        || authority.contains('@')
        || s.contains('#')
        || s.chars().any(|c| c.is_whitespace() || c.is_control())
        || uri.host().is_none_or(str::is_empty)
    {
        return Err(bad());
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_and_round_trip() {
        let set = EventSet::parse(&["task.failed".into(), "task.progress".into()]).unwrap();
        assert!(set.contains(WebhookEvent::Failed) && !set.contains(WebhookEvent::Succeeded));
        assert_eq!(EventSet::from_stored(&set.stored()), set);
        assert!(EventSet::parse(&[]).is_err());
        assert!(EventSet::parse(&["task.done".into()]).is_err());
        assert_eq!(
            EventSet::finals().names(),
            ["task.succeeded", "task.failed"]
        );
    }

    #[test]
    fn urls_are_absolute_http_without_credentials() {
        assert!(parse_webhook_url("https://example.com/hook?x=1").is_ok());
        assert!(parse_webhook_url("http://127.0.0.1:9000/").is_ok());
        for bad in [
            "ftp://example.com",
            "example.com/hook",
            "http://",
            "http://user:pw@example.com/",
            "https://example.com/#frag",
            "http://exa mple.com/",
        ] {
            assert!(parse_webhook_url(bad).is_err(), "{bad}");
        }
    }
}
