//! What one pass of the worker did: counters, added up over the channels
//! polled in parallel, printed on the pass's log line and added to
//! `taskcenter_worker_tasks_total`.

use std::fmt;

/// Declares the report's counters once: the struct, adding two reports
/// and the log line all follow from the one list.
macro_rules! counters {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        /// What a pass did.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct PassReport {
            $($(#[doc = $doc])* pub $name: usize,)*
        }

        impl PassReport {
            /// Adds another report's counts to this one.
            pub fn add(&mut self, o: &PassReport) {
                $(self.$name += o.$name;)*
            }

            /// Every counter with its name (the metrics' `event` label).
            pub fn counts(&self) -> Vec<(&'static str, usize)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }

        impl fmt::Display for PassReport {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut sep = "";
                $(
                    write!(f, "{sep}{} {}", stringify!($name), self.$name)?;
                    sep = " ";
                )*
                let _ = sep;
                Ok(())
            }
        }
    };
}

counters! {
    /// Tasks sent to an upstream in a fetch.
    polled,
    /// Tasks whose row changed.
    updated,
    /// Moved to SUCCESS.
    succeeded,
    /// Moved to FAILURE by the upstream's word, refunded.
    failed,
    /// Failed by the timeout sweep, refunded.
    timed_out,
    /// Orphaned reservations failed, refunded.
    orphaned,
    /// Failed because their channel was deleted, refunded.
    channel_gone,
    /// Asked for but absent from the answer.
    missing,
    /// Whole fetch requests that failed.
    request_failures,
    /// Tasks pushed back with backoff.
    deferred,
    /// Updates skipped because another writer got there first.
    raced,
    /// Store errors met (the pass goes on with other channels).
    errors,
    /// Idempotency keys purged after their TTL.
    keys_expired,
    /// Probes of auto-disabled channels.
    probes,
    /// Auto-disabled channels enabled again by a probe.
    channels_enabled,
}

impl PassReport {
    /// Nothing happened.
    pub fn is_idle(&self) -> bool {
        *self == PassReport::default()
    }

    /// Tasks refunded in this pass, whatever the reason.
    pub fn refunded(&self) -> usize {
        self.failed + self.timed_out + self.orphaned + self.channel_gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_line_names_every_counter() {
        let mut r = PassReport {
            polled: 3,
            ..Default::default()
        };
        r.add(&PassReport {
            polled: 1,
            errors: 2,
            ..Default::default()
        });
        assert_eq!(
            r.to_string(),
            "polled 4 updated 0 succeeded 0 failed 0 timed_out 0 orphaned 0 channel_gone 0 \
             missing 0 request_failures 0 deferred 0 raced 0 errors 2 keys_expired 0 probes 0 \
             channels_enabled 0"
        );
    }
}
