//! Locking that survives a panicked handler.

use std::sync::{Mutex, MutexGuard};

/// A poisoned lock only means a handler panicked; the data is still usable for a mock.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
