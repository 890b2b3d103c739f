//! The moment a request is answered at, and how upstreams write it.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The moment a request is answered at: a monotonic instant for elapsed times, wall-clock
/// milliseconds for the times written in answers.
pub(crate) struct Clock {
    pub(crate) instant: Instant,
    pub(crate) unix_ms: u64,
}

impl Clock {
    /// Now.
    pub(crate) fn now() -> Clock {
        Clock {
            instant: Instant::now(),
            unix_ms: unix_ms(),
        }
    }
}

/// Wall-clock milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (days to civil date after Howard Hinnant).
pub(crate) fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let days = (secs / 86_400) as i64 + 719_468;
    let (era, doe) = (days.div_euclid(146_097), days.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sod = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        unix_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::iso8601;

    #[test]
    fn dates_have_the_iso_shape_across_leap_days() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_726_911_801_123), "2024-09-21T09:43:21.123Z");
    }
}
