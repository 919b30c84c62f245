//! A source's record: what it did last, shown by `/status` and kept across restarts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a source did last: shown by `/status`, kept across restarts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    /// `quotes` or `feed`.
    pub kind: String,
    /// Last attempt to fetch.
    pub last_attempt: Option<DateTime<Utc>>,
    /// Last successful fetch.
    pub last_success: Option<DateTime<Utc>>,
    /// Last failure, as a one-line message.
    pub last_error: Option<String>,
    /// When it failed last.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Successful fetches since the store was created.
    pub successes: u64,
    /// Failed fetches since the store was created.
    pub failures: u64,
    /// Fetches in a row that delivered nothing and failed (drives the backoff).
    pub consecutive_failures: u32,
    /// Items or bars delivered to the pipeline.
    pub items: u64,
    /// Don't try again before this (backoff, or the server's Retry-After).
    pub next_attempt_after: Option<DateTime<Utc>>,
    /// Failures counted by kind (`rate-limited`, `server-error`, `wrong-content`, …).
    #[serde(default)]
    pub errors_by_kind: std::collections::BTreeMap<String, u64>,
}

impl SourceHealth {
    /// Whether the last fetch worked completely (a fetch where some symbols failed does not).
    pub fn healthy(&self) -> bool {
        self.last_error_at
            .is_none_or(|failed| self.last_success.is_some_and(|ok| ok > failed))
    }
}
