//! Cron-driven jobs on tokio.
//!
//! Each job runs in its own task, so a slow or hanging job never delays another; within a job,
//! runs are sequential, so a job never overlaps itself. Ticks that pass while a run is busy, or
//! while the machine sleeps, coalesce into one run. Wall time comes from the injected
//! [`Clock`] and is re-read after every nap (naps are capped), because tokio's monotonic
//! clock stops during suspend and ignores clock steps. A wall clock stepped back does not
//! hold a job until it has made up the step: the ticks go on from the time it reads.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::Clock;

/// Longest single sleep: after at most this long the wall clock is read again.
pub const MAX_NAP: Duration = Duration::from_secs(30);

/// Runs jobs until shut down.
#[derive(Clone)]
pub struct Scheduler {
    clock: Clock,
    shutdown: CancellationToken,
    tracker: TaskTracker,
}

impl Scheduler {
    /// A scheduler whose jobs stop when `shutdown` is cancelled.
    pub fn new(clock: Clock, shutdown: CancellationToken) -> Scheduler {
        Scheduler {
            clock,
            shutdown,
            tracker: TaskTracker::new(),
        }
    }

    /// Starts a job: `run` is called on every tick of `schedule` (evaluated in UTC), and once
    /// right away if `run_at_start`. A run taking longer than `timeout` is abandoned.
    pub fn spawn<F, Fut>(
        &self,
        name: String,
        schedule: cron::Schedule,
        timeout: Duration,
        run_at_start: bool,
        run: F,
    ) where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let clock = self.clock.clone();
        let shutdown = self.shutdown.clone();
        self.tracker.spawn(async move {
            job_loop(
                &name,
                &schedule,
                timeout,
                run_at_start,
                &clock,
                &shutdown,
                run,
            )
            .await;
            tracing::debug!(job = %name, "job stopped");
        });
    }

    /// Waits until every job has stopped (after shutdown).
    pub async fn stopped(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}

async fn job_loop<F, Fut>(
    name: &str,
    schedule: &cron::Schedule,
    timeout: Duration,
    run_at_start: bool,
    clock: &Clock,
    shutdown: &CancellationToken,
    run: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    // Every tick at or before `covered` has been served by a run.
    let mut covered = clock.now();
    if run_at_start && !run_once(name, timeout, shutdown, &run).await {
        return;
    }
    loop {
        let now = clock.now();
        if now < covered {
            // The wall clock was stepped back: the ticks go on from the time it reads now
            // (one at this very instant too), instead of waiting until it reaches the time it
            // read before the step.
            tracing::info!(job = %name, back_secs = (covered - now).num_seconds(), "wall clock stepped back");
            covered = now - chrono::TimeDelta::nanoseconds(1);
        }
        let Some(next) = schedule.after(&covered.with_timezone(&Utc)).next() else {
            tracing::info!(job = %name, "schedule has no further ticks");
            return;
        };
        if next > now {
            let nap = (next - now).to_std().unwrap_or(Duration::ZERO).min(MAX_NAP);
            tokio::select! {
                _ = tokio::time::sleep(nap) => continue,
                _ = shutdown.cancelled() => return,
            }
        }
        // Due: one run serves this tick and any others missed while busy or asleep.
        let missed = schedule
            .after(&covered)
            .take_while(|t| *t <= now)
            .take(2)
            .count();
        if missed > 1 {
            tracing::debug!(job = %name, "ticks missed while busy or suspended; running once");
        }
        covered = now;
        if !run_once(name, timeout, shutdown, &run).await {
            return;
        }
    }
}

/// One run; `false` when shutdown interrupted it.
async fn run_once<F, Fut>(
    name: &str,
    timeout: Duration,
    shutdown: &CancellationToken,
    run: &F,
) -> bool
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    // A panicking run is logged and the job lives on: one bad input must not end a source.
    let guarded = std::panic::AssertUnwindSafe(run()).catch_unwind();
    tokio::select! {
        result = tokio::time::timeout(timeout, guarded) => {
            match result {
                Err(_) => tracing::warn!(job = %name, timeout_secs = timeout.as_secs(), "run timed out and was abandoned"),
                Ok(Err(panic)) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(job = %name, panic = %what, "run panicked; the job goes on");
                }
                Ok(Ok(())) => {}
            }
            true
        }
        _ = shutdown.cancelled() => false,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn every_second() -> cron::Schedule {
        cron::Schedule::from_str("* * * * * *").unwrap()
    }

    fn start() -> chrono::DateTime<Utc> {
        "2026-02-02T21:00:00.500Z".parse().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_runs_on_every_tick() {
        let clock = Clock::anchored(start());
        let shutdown = CancellationToken::new();
        let s = Scheduler::new(clock, shutdown.clone());
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        s.spawn(
            "tick".into(),
            every_second(),
            Duration::from_secs(5),
            false,
            move || {
                let r = r.clone();
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(10_200)).await;
        shutdown.cancel();
        s.stopped().await;
        assert_eq!(runs.load(Ordering::SeqCst), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_panics_is_logged_and_the_job_goes_on() {
        let clock = Clock::anchored(start());
        let shutdown = CancellationToken::new();
        let s = Scheduler::new(clock, shutdown.clone());
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        s.spawn(
            "panicky".into(),
            every_second(),
            Duration::from_secs(5),
            true,
            move || {
                let n = r.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(n > 0, "the first run panics");
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(3_200)).await;
        shutdown.cancel();
        s.stopped().await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            4,
            "at start and on three ticks"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_job_never_overlaps_itself_and_missed_ticks_coalesce() {
        let clock = Clock::anchored(start());
        let shutdown = CancellationToken::new();
        let s = Scheduler::new(clock, shutdown.clone());
        let (runs, running, max_running) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let (r, g, m) = (runs.clone(), running.clone(), max_running.clone());
        s.spawn(
            "slow".into(),
            every_second(),
            Duration::from_secs(60),
            false,
            move || {
                let (r, g, m) = (r.clone(), g.clone(), m.clone());
                async move {
                    let now = g.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(3_500)).await;
                    g.fetch_sub(1, Ordering::SeqCst);
                    r.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(15_000)).await;
        shutdown.cancel();
        s.stopped().await;
        assert_eq!(max_running.load(Ordering::SeqCst), 1, "never overlapping");
        // Runs start at ~1s, ~4.5s, ~8s, ~11.5s: the ticks in between were folded into them.
        assert_eq!(runs.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_job_does_not_delay_another_and_times_out() {
        let clock = Clock::anchored(start());
        let shutdown = CancellationToken::new();
        let s = Scheduler::new(clock, shutdown.clone());
        let fast = Arc::new(AtomicUsize::new(0));
        let hung = Arc::new(AtomicUsize::new(0));
        let h = hung.clone();
        s.spawn(
            "hangs".into(),
            every_second(),
            Duration::from_secs(4),
            false,
            move || {
                let h = h.clone();
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    std::future::pending::<()>().await;
                }
            },
        );
        let f = fast.clone();
        s.spawn(
            "fast".into(),
            every_second(),
            Duration::from_secs(4),
            false,
            move || {
                let f = f.clone();
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(10_200)).await;
        shutdown.cancel();
        s.stopped().await;
        assert_eq!(fast.load(Ordering::SeqCst), 10);
        // Started at 1s, abandoned at 5s, restarted at once for the missed ticks, abandoned at 9s…
        assert_eq!(hung.load(Ordering::SeqCst), 3);
    }

    /// Spawns a job on `s` every minute at :00 that counts its runs.
    fn count_minutely_runs(s: &Scheduler) -> Arc<AtomicUsize> {
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let minutely = cron::Schedule::from_str("0 * * * * *").unwrap();
        s.spawn(
            "minutely".into(),
            minutely,
            Duration::from_secs(5),
            false,
            move || {
                let r = r.clone();
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        runs
    }

    #[tokio::test(start_paused = true)]
    async fn ticks_missed_during_suspend_coalesce_into_one_run() {
        let clock = Clock::anchored(start());
        let shutdown = CancellationToken::new();
        let s = Scheduler::new(clock.clone(), shutdown.clone());
        let runs = count_minutely_runs(&s);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        // The machine sleeps for three hours: wall time jumps, tokio time does not.
        clock.jump(Duration::from_secs(3 * 3600));
        tokio::time::sleep(MAX_NAP + Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "180 missed ticks, one run");
        shutdown.cancel();
        s.stopped().await;
    }

    /// A wall clock stepped back (it ran fast, and NTP set it right) does not hold a job
    /// until it has made up the step: the ticks go on from the time it reads now.
    #[tokio::test(start_paused = true)]
    async fn a_clock_stepped_back_does_not_hold_the_job_for_the_step() {
        let clock = Clock::anchored(start());
        let shutdown = CancellationToken::new();
        let s = Scheduler::new(clock.clone(), shutdown.clone());
        let runs = count_minutely_runs(&s);
        tokio::time::sleep(Duration::from_secs(150)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2, "at 21:01 and 21:02");
        clock.step_back(Duration::from_secs(2 * 3600));
        tokio::time::sleep(Duration::from_secs(180)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            5,
            "at 19:03, 19:04 and 19:05 by the clock set right"
        );
        shutdown.cancel();
        s.stopped().await;
    }

    #[tokio::test(start_paused = true)]
    async fn run_at_start_and_shutdown_interrupts_a_run() {
        let clock = Clock::anchored(start());
        let shutdown = CancellationToken::new();
        let s = Scheduler::new(clock, shutdown.clone());
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let yearly = cron::Schedule::from_str("0 0 0 1 1 *").unwrap();
        s.spawn(
            "once".into(),
            yearly,
            Duration::from_secs(3600),
            true,
            move || {
                let r = r.clone();
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(600)).await;
                }
            },
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(1), s.stopped())
            .await
            .expect("stops promptly");
    }
}
