//! The one retry policy for sources: when to try a failing source again.
//!
//! A failed fetch is retried on the source's next scheduled tick. After repeated failures the
//! source backs off exponentially (so a broken feed is not hammered every minute), and a
//! server's Retry-After is always honoured. The backoff counts from when the failed poll began,
//! like the schedule's ticks, so a slow poll does not push the next try past a tick; a
//! Retry-After counts from the answer that carried it. A tick that comes a little before the
//! source may try again ([`WAIT_AT_MOST`]) waits for that moment instead of giving up its
//! turn: a server asking to wait the schedule's period, counted from its answer, ends just
//! after the next tick.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Longest wait between attempts of a failing source.
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);
/// Wait after the second consecutive failure; doubles from there.
const FIRST_BACKOFF: Duration = Duration::from_secs(30);
/// Longest Retry-After honoured: a server asking for more is asked again after a day.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// How long before a source may try again a poll still waits for that moment and fetches,
/// rather than giving up its tick (a poll's time budget counts it).
pub const WAIT_AT_MOST: Duration = Duration::from_secs(10);

/// The earliest next attempt after `consecutive_failures` failures in a row (counting the one
/// just seen) of a poll that began at `began` and had its answers at `answered`, one of which
/// asked to wait `retry_after`; `None` when the next tick may try.
pub fn next_attempt(
    began: DateTime<Utc>,
    answered: DateTime<Utc>,
    consecutive_failures: u32,
    retry_after: Option<Duration>,
) -> Option<DateTime<Utc>> {
    let backoff = match consecutive_failures {
        0 | 1 => Duration::ZERO,
        n => FIRST_BACKOFF
            .saturating_mul(1u32.checked_shl(n - 2).unwrap_or(u32::MAX))
            .min(MAX_BACKOFF),
    };
    let retry_after = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
    let after = |t: DateTime<Utc>, wait: Duration| {
        (!wait.is_zero())
            .then(|| t + chrono::Duration::from_std(wait).unwrap_or(chrono::TimeDelta::MAX))
    };
    after(began, backoff).max(after(answered, retry_after))
}

/// Whether a poll at `now` may fetch, for a source not to try again before `not_before`:
/// after how long (zero: at once), or `None` when it gives up its tick — the moment is more
/// than [`WAIT_AT_MOST`] away.
pub fn wait_before(now: DateTime<Utc>, not_before: Option<DateTime<Utc>>) -> Option<Duration> {
    match not_before {
        Some(t) if now < t => (t - now).to_std().ok().filter(|wait| *wait <= WAIT_AT_MOST),
        _ => Some(Duration::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_after_the_second_failure_and_is_capped() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let secs = |n, ra| next_attempt(now, now, n, ra).map(|t| (t - now).num_seconds());
        assert_eq!(secs(1, None), None);
        assert_eq!(secs(2, None), Some(30));
        assert_eq!(secs(3, None), Some(60));
        assert_eq!(secs(10, None), Some(1800));
        assert_eq!(secs(u32::MAX, None), Some(1800));
        assert_eq!(secs(1, Some(Duration::from_secs(120))), Some(120));
        assert_eq!(secs(3, Some(Duration::from_secs(5))), Some(60));
        assert_eq!(secs(1, Some(Duration::from_secs(86_400 * 9))), Some(86_400));
    }

    /// The backoff is counted from the poll's start, a Retry-After from its answer.
    #[test]
    fn the_backoff_counts_from_the_start_and_a_retry_after_from_the_answer() {
        let began: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let answered = began + chrono::Duration::seconds(4);
        let secs = |n, ra| next_attempt(began, answered, n, ra).map(|t| (t - began).num_seconds());
        assert_eq!(secs(3, None), Some(60));
        assert_eq!(secs(1, Some(Duration::from_secs(60))), Some(64));
        assert_eq!(secs(3, Some(Duration::from_secs(58))), Some(62));
        assert_eq!(secs(3, Some(Duration::from_secs(50))), Some(60));
    }

    #[test]
    fn a_poll_shortly_before_its_turn_waits_for_it() {
        let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
        let at = |secs| Some(now + chrono::Duration::seconds(secs));
        assert_eq!(wait_before(now, None), Some(Duration::ZERO));
        assert_eq!(wait_before(now, at(-5)), Some(Duration::ZERO));
        assert_eq!(wait_before(now, at(0)), Some(Duration::ZERO));
        assert_eq!(wait_before(now, at(2)), Some(Duration::from_secs(2)));
        assert_eq!(wait_before(now, at(10)), Some(WAIT_AT_MOST));
        assert_eq!(wait_before(now, at(11)), None);
    }
}
