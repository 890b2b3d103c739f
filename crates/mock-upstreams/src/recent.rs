//! The most recent requests of one kind, as a test wants to read them back.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::sync::lock;

/// The last `capacity` records pushed, oldest first; older ones are forgotten so that a long
/// benchmark does not grow the mock without bound.
pub(crate) struct Recent<T> {
    capacity: usize,
    items: Mutex<VecDeque<T>>,
}

impl<T: Clone> Recent<T> {
    /// Remembers nothing yet.
    pub(crate) fn new(capacity: usize) -> Recent<T> {
        Recent {
            capacity,
            items: Mutex::new(VecDeque::new()),
        }
    }

    /// Remembers `item`, forgetting the oldest past the capacity.
    pub(crate) fn push(&self, item: T) {
        let mut items = lock(&self.items);
        if items.len() >= self.capacity {
            items.pop_front();
        }
        items.push_back(item);
    }

    /// What is remembered, oldest first.
    pub(crate) fn all(&self) -> Vec<T> {
        lock(&self.items).iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn only_the_most_recent_are_kept() {
        let recent = Recent::new(2);
        (1..=3).for_each(|n| recent.push(n));
        assert_eq!(recent.all(), [2, 3]);
    }
}
