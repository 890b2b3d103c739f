//! When to poll a task again after a failed or empty poll.

use crate::secrets::random_below;

/// Largest backoff as a multiple of the poll interval.
const MAX_FACTOR: i64 = 32;

/// Delay in ms after `failures` consecutive failures: the interval doubled
/// per failure, capped at 32 intervals, plus up to 25% jitter so channels
/// that failed together do not come back together.
pub fn delay_ms(interval_ms: i64, failures: i64) -> i64 {
    let interval = interval_ms.max(1);
    let exp = failures.clamp(0, 5) as u32;
    let base = interval
        .saturating_mul(1 << exp)
        .min(interval.saturating_mul(MAX_FACTOR));
    base + random_below((base / 4).max(1) as u64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        assert!(delay_ms(1000, 0) >= 1000 && delay_ms(1000, 0) < 1250);
        assert!(delay_ms(1000, 3) >= 8000);
        assert!(delay_ms(1000, 50) <= 32_000 + 8_000);
    }
}
