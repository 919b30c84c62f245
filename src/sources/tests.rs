//! Polls on the scheduler's ticks, on an anchored clock under tokio's paused one.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::*;
use crate::model::{Interval, Session};
use crate::schedule::Scheduler;

/// A provider whose answers take `takes` and fail as `fails` says for the call they answer
/// (numbered from 0); it notes when each call began.
struct Slow {
    clock: Clock,
    takes: Duration,
    fails: fn(usize) -> Option<FetchError>,
    calls: Mutex<Vec<DateTime<Utc>>>,
}

impl QuoteProvider for Slow {
    fn fetch<'a>(
        &'a self,
        _: &'a Http,
        symbols: &'a [String],
        _: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        Box::pin(async move {
            let call = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(self.clock.now());
                calls.len() - 1
            };
            tokio::time::sleep(self.takes).await;
            let mut fetch = QuoteFetch::default();
            match (self.fails)(call) {
                Some(e) => fetch.errors.push((symbols.join(","), e)),
                None => fetch.bars.push(Bar {
                    symbol: symbols[0].clone(),
                    time: self.clock.now(),
                    interval: Interval::DAY,
                    open: None,
                    high: None,
                    low: None,
                    close: Some(186.25),
                    volume: None,
                    session: Some(Session::Regular),
                    currency: None,
                }),
            }
            fetch
        })
    }

    fn validate<'a>(
        &'a self,
        _: &'a Http,
        symbol: &'a str,
        _: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Prices, FetchError>> {
        Box::pin(async move { Err(FetchError::NoData(symbol.to_string())) })
    }
}

/// Runs a quote source of `provider` on a tick every minute from 15:00:30 for `minutes`;
/// when each of its fetches began.
async fn polled(
    minutes: u64,
    takes: Duration,
    fails: fn(usize) -> Option<FetchError>,
) -> Vec<String> {
    let start: DateTime<Utc> = "2026-02-02T15:00:30Z".parse().unwrap();
    let clock = Clock::anchored(start);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let ctx = PollContext {
        http: Http::new(&crate::config::HttpConfig {
            timeout: Duration::from_secs(20),
            user_agent: crate::config::DEFAULT_USER_AGENT.to_string(),
            listen: None,
            stall_after: Duration::from_secs(45),
        }),
        store,
        clock: clock.clone(),
        pipeline: tx,
    };
    let provider = Arc::new(Slow {
        clock: clock.clone(),
        takes,
        fails,
        calls: Mutex::new(Vec::new()),
    });
    let source = Arc::new(Source {
        name: "quotes".into(),
        kind: SourceKind::Quotes {
            provider: provider.clone(),
            symbols: vec!["NVDA".into()],
        },
    });
    let shutdown = CancellationToken::new();
    let scheduler = Scheduler::new(clock.clone(), shutdown.clone());
    let timeout = source.time_budget(Duration::from_secs(20));
    scheduler.spawn(
        "quotes".into(),
        cron::Schedule::from_str("0 * * * * *").unwrap(),
        timeout,
        false,
        move || {
            let (source, ctx) = (Arc::clone(&source), ctx.clone());
            async move { source.poll(&ctx).await }
        },
    );
    tokio::time::sleep(Duration::from_secs(minutes * 60)).await;
    shutdown.cancel();
    scheduler.stopped().await;
    let calls = provider.calls.lock().unwrap();
    calls
        .iter()
        .map(|t| t.format("%H:%M:%S").to_string())
        .collect()
}

/// A server asks to wait a minute — the schedule's period — in an answer that took 2 s: the
/// next tick comes 2 s before the wait is over. It waits them out and fetches, instead of
/// giving up its tick and fetching a minute later than the server asked; the server's wait
/// still holds.
#[tokio::test(start_paused = true)]
async fn a_retry_after_of_the_schedules_period_costs_no_tick() {
    let calls = polled(3, Duration::from_secs(2), |call| {
        (call == 0).then(|| FetchError::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(60)),
            snippet: "Too Many Requests".into(),
        })
    })
    .await;
    assert_eq!(calls, ["15:01:00", "15:02:02", "15:03:00"]);
}

/// A source that keeps failing backs off from when its poll began: a poll that took 2 s
/// does not push the end of a wait of a minute past the tick a minute later.
#[tokio::test(start_paused = true)]
async fn a_backoff_counts_from_when_the_poll_began() {
    let calls = polled(6, Duration::from_secs(2), |_| {
        Some(FetchError::Status {
            status: 503,
            retry_after: None,
            snippet: "Service Unavailable".into(),
        })
    })
    .await;
    // No wait after the first failure, 30 s after the second, 60 s after the third, 120 s
    // after the fourth.
    assert_eq!(
        calls,
        ["15:01:00", "15:02:00", "15:03:00", "15:04:00", "15:06:00"]
    );
}
