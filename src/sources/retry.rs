//! The one retry policy for sources: when to try a failing source again.
//!
//! A failed fetch is retried on the source's next scheduled tick. After repeated failures the
//! source backs off exponentially (so a broken feed is not hammered every minute), and a
//! server's Retry-After is always honoured.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Longest wait between attempts of a failing source.
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);
/// Wait after the second consecutive failure; doubles from there.
const FIRST_BACKOFF: Duration = Duration::from_secs(30);

/// The earliest next attempt after `consecutive_failures` failures in a row (counting the one
/// just seen), or `None` when the next tick may try.
pub fn next_attempt(
    now: DateTime<Utc>,
    consecutive_failures: u32,
    retry_after: Option<Duration>,
) -> Option<DateTime<Utc>> {
    let backoff = match consecutive_failures {
        0 | 1 => Duration::ZERO,
        n => FIRST_BACKOFF
            .saturating_mul(1u32.checked_shl(n - 2).unwrap_or(u32::MAX))
            .min(MAX_BACKOFF),
    };
    let wait = backoff.max(
        retry_after
            .unwrap_or_default()
            .min(Duration::from_secs(24 * 3600)),
    );
    (!wait.is_zero())
        .then(|| now + chrono::Duration::from_std(wait).unwrap_or(chrono::TimeDelta::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_after_the_second_failure_and_is_capped() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let secs = |n, ra| next_attempt(now, n, ra).map(|t| (t - now).num_seconds());
        assert_eq!(secs(1, None), None);
        assert_eq!(secs(2, None), Some(30));
        assert_eq!(secs(3, None), Some(60));
        assert_eq!(secs(10, None), Some(1800));
        assert_eq!(secs(u32::MAX, None), Some(1800));
        assert_eq!(secs(1, Some(Duration::from_secs(120))), Some(120));
        assert_eq!(secs(3, Some(Duration::from_secs(5))), Some(60));
    }
}
