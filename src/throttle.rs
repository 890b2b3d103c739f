//! Counting failures per key in fixed windows, in memory: the login's
//! guard against guessing, per username and per client address. A restart
//! forgets the counts, which costs a guesser at most one more window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;

/// Entries kept before expired ones are swept (bounds the memory an
/// attacker spraying usernames can take).
const SWEEP_AT: usize = 10_000;

/// At most `limit` failures per key in a window of `window_secs`, counted
/// from the key's first failure in it.
pub struct Throttle {
    limit: u32,
    window_secs: i64,
    clock: Arc<dyn Clock>,
    /// key → (window start, failures in it).
    counts: Mutex<HashMap<String, (i64, u32)>>,
}

impl Throttle {
    /// A throttle reading time from `clock`.
    pub fn new(limit: u32, window_secs: i64, clock: Arc<dyn Clock>) -> Throttle {
        Throttle {
            limit,
            window_secs,
            clock,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when `key` used up its failures in the
    /// current window; `None` when it may try.
    pub fn blocked_for(&self, key: &str) -> Option<i64> {
        let now = self.clock.now();
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let (start, n) = *counts.get(key)?;
        let ends = start + self.window_secs;
        (now < ends && n >= self.limit).then_some(ends - now)
    }

    /// Counts one failure of `key`.
    pub fn fail(&self, key: &str) {
        let now = self.clock.now();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= SWEEP_AT {
            counts.retain(|_, (start, _)| now < *start + self.window_secs);
        }
        let entry = counts.entry(key.to_string()).or_insert((now, 0));
        if now >= entry.0 + self.window_secs {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forgets `key`'s failures (its owner proved who they are).
    pub fn forget(&self, key: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn the_eleventh_failure_waits_until_the_window_passes() {
        let clock = ManualClock::at_ms(1_000_000);
        let t = Throttle::new(10, 60, Arc::new(clock.clone()));
        for _ in 0..9 {
            t.fail("alice");
        }
        assert_eq!(t.blocked_for("alice"), None, "9 failures still may try");
        t.fail("alice");
        assert_eq!(t.blocked_for("alice"), Some(60));
        assert_eq!(t.blocked_for("bob"), None, "keys are counted apart");
        clock.advance_ms(59_000);
        assert_eq!(t.blocked_for("alice"), Some(1));
        clock.advance_ms(1_000);
        assert_eq!(t.blocked_for("alice"), None, "the window has passed");
        t.fail("alice");
        assert_eq!(t.blocked_for("alice"), None, "a new window starts at 1");
    }

    #[test]
    fn forgetting_clears_the_count() {
        let t = Throttle::new(1, 60, Arc::new(ManualClock::at_ms(0)));
        t.fail("k");
        assert!(t.blocked_for("k").is_some());
        t.forget("k");
        assert_eq!(t.blocked_for("k"), None);
    }
}
