//! Request counts kept in a platform's own stats struct.

use std::sync::Mutex;

use crate::sync::lock;

/// A platform's stats struct behind a short lock: every route bumps its field, and a reset
/// is the struct's default. One lock per request is nothing beside the HTTP work around it.
#[derive(Debug, Default)]
pub struct Counts<T>(Mutex<T>);

impl<T: Clone + Default> Counts<T> {
    /// Applies `change` (e.g. `|s| s.submit += 1`) to the counts.
    pub(crate) fn bump(&self, change: impl FnOnce(&mut T)) {
        change(&mut lock(&self.0));
    }

    /// The counts now.
    pub(crate) fn snapshot(&self) -> T {
        lock(&self.0).clone()
    }

    /// Sets every count back to zero.
    pub(crate) fn reset(&self) {
        *lock(&self.0) = T::default();
    }
}

#[cfg(test)]
mod tests {
    use super::Counts;

    #[test]
    fn resetting_zeroes_what_was_bumped() {
        let counts = Counts::<(u64, u64)>::default();
        counts.bump(|c| c.0 += 3);
        counts.bump(|c| c.1 += 1);
        assert_eq!(counts.snapshot(), (3, 1));
        counts.reset();
        assert_eq!(counts.snapshot(), (0, 0));
    }
}
