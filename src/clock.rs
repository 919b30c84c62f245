//! Time as the rest of the crate sees it.
//!
//! Nothing in marketbot calls `Utc::now()` directly: the scheduler, the engine and delivery read
//! a [`Clock`]; what is measured against the dates Telegram stamps on updates, or waits out
//! its flood control, reads [`telegram_now`] ([`Clock::telegram`]), and what is read outside
//! the bot against the host's clock [`host_now`]. The live bot uses [`Clock::system`]; tests
//! and demos use [`Clock::anchored`], which starts at a chosen instant and then advances with
//! tokio's clock — so a test with `tokio::time::pause()` moves both together and never sleeps,
//! and a test against recorded payloads from February 2026 sees February 2026.
//! [`Clock::jump`] moves wall time without moving tokio's clock, which is how a suspended
//! laptop or an NTP step looks to the scheduler ([`Clock::step_back`]: a step back).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// A source of wall-clock time, cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

enum ClockInner {
    System,
    /// [`telegram_now`].
    Telegram,
    Anchored(Mutex<Anchor>),
}

/// Wall time `at` corresponded to tokio instant `since`.
struct Anchor {
    at: DateTime<Utc>,
    since: Instant,
}

impl Clock {
    /// The operating system's clock.
    pub fn system() -> Self {
        Clock {
            inner: Arc::new(ClockInner::System),
        }
    }

    /// Telegram's time ([`telegram_now`]) as a clock, for what waits on it: the flood pause,
    /// whose `retry_after` Telegram counts in its own time. It is never the bot's clock, however
    /// that is anchored; a test puts an anchored clock in its place to move it with tokio's.
    pub fn telegram() -> Self {
        Clock {
            inner: Arc::new(ClockInner::Telegram),
        }
    }

    /// A clock that reads `start` now and advances with tokio's (possibly paused) clock.
    pub fn anchored(start: DateTime<Utc>) -> Self {
        Clock {
            inner: Arc::new(ClockInner::Anchored(Mutex::new(Anchor {
                at: start,
                since: Instant::now(),
            }))),
        }
    }

    /// The current wall-clock time.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.inner {
            ClockInner::System => Utc::now(),
            ClockInner::Telegram => telegram_now(),
            ClockInner::Anchored(anchor) => {
                let anchor = anchor.lock().unwrap_or_else(|e| e.into_inner());
                let elapsed = Instant::now().saturating_duration_since(anchor.since);
                anchor.at + chrono::Duration::from_std(elapsed).unwrap_or(chrono::TimeDelta::MAX)
            }
        }
    }

    /// Moves an anchored clock's wall time forward by `by` without tokio time passing — what a
    /// suspend/resume or a clock step looks like. Does nothing to the system's or Telegram's
    /// clock.
    pub fn jump(&self, by: Duration) {
        if let ClockInner::Anchored(anchor) = &*self.inner {
            let mut anchor = anchor.lock().unwrap_or_else(|e| e.into_inner());
            anchor.at += chrono::Duration::from_std(by).unwrap_or(chrono::TimeDelta::MAX);
        }
    }

    /// Moves an anchored clock's wall time back by `by` without tokio time passing — what an
    /// NTP step back (a clock that ran fast, a restored virtual machine) looks like. Does
    /// nothing to the system's or Telegram's clock.
    pub fn step_back(&self, by: Duration) {
        if let ClockInner::Anchored(anchor) = &*self.inner {
            let mut anchor = anchor.lock().unwrap_or_else(|e| e.into_inner());
            anchor.at -= chrono::Duration::from_std(by).unwrap_or(chrono::TimeDelta::MAX);
        }
    }
}

/// Telegram's time: the wall clock, by which Telegram dates the updates it hands over and
/// counts the `retry_after` of its flood control. The command gate counts a chat's commands by
/// those dates, so it counts the button presses it paces with them (a press carries no date)
/// and tidies its memory by this time too, the webhook's memory of updates ages by it, and the
/// flood pause runs on it ([`Clock::telegram`]). It is not the bot's time: an anchored
/// [`Clock`] (tests, `run --clock-start`) moves the bot's time, never Telegram's.
pub fn telegram_now() -> DateTime<Utc> {
    Utc::now()
}

/// The host's time: the wall clock of the machine the bot runs on, for what is read outside
/// the bot against that same clock — the stamp in the heartbeat file, written beside the
/// file's modification time, which `healthcheck` (and any monitor) compares with the host's
/// clock; and a server's `Retry-After` given as a date when its answer has no `Date` of its
/// own to read it against. Like [`telegram_now`] it is not the bot's time: an anchored
/// [`Clock`] (tests, `run --clock-start`) would date a fresh heartbeat days in the past.
pub fn host_now() -> DateTime<Utc> {
    Utc::now()
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.inner {
            ClockInner::System => f.write_str("Clock::system"),
            ClockInner::Telegram => f.write_str("Clock::telegram"),
            ClockInner::Anchored(_) => write!(f, "Clock::anchored({})", self.now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn anchored_clock_follows_tokio_time_and_jumps() {
        let start = "2026-02-02T21:00:00Z".parse().unwrap();
        let clock = Clock::anchored(start);
        assert_eq!(clock.now(), start);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
        clock.jump(Duration::from_secs(3600));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(3690));
    }

    /// Every reading of the system's wall clock is one of this module's: the bot's [`Clock`],
    /// or a time named for what it is compared with ([`telegram_now`], [`host_now`]). Test
    /// code may read it as it likes.
    #[test]
    fn nothing_else_reads_the_wall_clock() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if path.file_name().is_some_and(|n| n != "tests") {
                        sources(&path, out);
                    }
                } else if path.extension().is_some_and(|e| e == "rs")
                    && path.file_name().is_some_and(|n| n != "tests.rs")
                {
                    out.push(path);
                }
            }
        }
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        let readers: Vec<String> = files
            .iter()
            .filter(|path| !path.ends_with("src/clock.rs"))
            .filter(|path| {
                let text = std::fs::read_to_string(path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                code.contains("Utc::now()")
            })
            .map(|path| path.strip_prefix(&src).unwrap().display().to_string())
            .collect();
        assert!(readers.is_empty(), "Utc::now() read in {readers:?}");
    }
}
