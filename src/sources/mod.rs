//! Sources: quote providers and headline feeds, polled on their schedules.
//!
//! Every source shares one HTTP client ([`http::Http`]) and one failure policy
//! ([`retry`]). A poll never panics and never blocks another source: a failure is logged with
//! the source's name, counted in its [`SourceHealth`], and retried on a later tick. What a
//! poll fetched goes to the pipeline as a [`Batch`].

pub mod demand;
pub mod feed;
pub mod finnhub;
mod health;
pub mod http;
pub mod retry;
pub mod stooq;
pub mod yahoo;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::config::{ApiKey, Config, FeedSource, Provider};
use crate::model::{Bar, Headline, Split};
use crate::store::Store;
use demand::Demand;
use feed::Feed;
pub use health::SourceHealth;
use http::{FetchError, Http};

/// What a poll produced, on its way to the pipeline.
#[derive(Debug)]
pub enum Batch {
    /// Headlines from a feed.
    Headlines {
        /// The source's name.
        source: String,
        /// The items, as fetched.
        items: Vec<Headline>,
        /// Told when the items are stored (dropped when they could not be).
        stored: Option<oneshot::Sender<()>>,
    },
    /// Bars from a quote provider.
    Bars {
        /// The source's name.
        source: String,
        /// The bars, as fetched.
        bars: Vec<Bar>,
        /// Splits the provider reported (known ones again, too: the pipeline takes in each
        /// once).
        splits: Vec<Split>,
        /// Told when the bars are stored (a reply waiting to show them).
        done: Option<oneshot::Sender<()>>,
    },
}

/// What a quote provider returned for a list of symbols: bars for some, errors for others.
#[derive(Debug, Default)]
pub struct QuoteFetch {
    /// Bars of the symbols that worked.
    pub bars: Vec<Bar>,
    /// Splits of those symbols the provider reported.
    pub splits: Vec<Split>,
    /// What went wrong, by symbol (or symbol list).
    pub errors: Vec<(String, FetchError)>,
}

impl QuoteFetch {
    /// The batch for the pipeline (none when nothing came) and the errors, of source `name`.
    fn into_batch(self, name: &str) -> (Option<Batch>, Vec<(String, FetchError)>) {
        let batch = (!self.bars.is_empty() || !self.splits.is_empty()).then(|| Batch::Bars {
            source: name.to_string(),
            bars: self.bars,
            splits: self.splits,
            done: None,
        });
        (batch, self.errors)
    }

    /// Adds what fetching `what` gave; `false` when the provider rate-limits (asking again
    /// right away only prolongs it).
    pub fn add(&mut self, what: &str, result: Result<Vec<Bar>, FetchError>) -> bool {
        match result {
            Ok(bars) => {
                self.bars.extend(bars);
                true
            }
            Err(e) => {
                let rate_limited = matches!(e, FetchError::Status { status: 429, .. });
                self.errors.push((what.to_string(), e));
                !rate_limited
            }
        }
    }
}

/// A volume as providers report it (a decimal number): whole, non-negative and finite, or none.
fn volume(v: f64) -> Option<u64> {
    (v.is_finite() && v >= 0.0).then_some(v as u64)
}

/// A quote API. Implementations exist for Yahoo, Stooq and Finnhub; more fit behind this trait.
pub trait QuoteProvider: Send + Sync {
    /// Fetches current bars for `symbols` (the configured ones: everything the provider
    /// has); `now` bounds what may be returned.
    fn fetch<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch>;

    /// How many symbols [`QuoteProvider::fetch_many`] asks for in one request.
    fn batch_size(&self) -> usize {
        1
    }

    /// At most how many requests one [`QuoteProvider::fetch`] of `symbols` symbols makes
    /// (the scheduler's time budget for a poll is counted in them).
    fn requests_per_fetch(&self, symbols: usize) -> usize {
        symbols
    }

    /// How long one fetch may wait, beyond its requests, for the provider's plan to allow them
    /// (the scheduler's time budget for a poll counts it).
    fn waits_at_most(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// Fetches current prices for many symbols in as few requests as the API allows
    /// (symbols on demand: prices are enough). By default the same as [`QuoteProvider::fetch`].
    fn fetch_many<'a>(
        &'a self,
        http: &'a Http,
        symbols: &'a [String],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, QuoteFetch> {
        self.fetch(http, symbols, now)
    }

    /// Whether [`QuoteProvider::fetch`] reports splits (and [`QuoteProvider::fetch_many`]
    /// may not): a symbol on demand whose price jumps is then fetched that way too.
    fn reports_splits(&self) -> bool {
        false
    }

    /// Asks about one symbol: its current bars and the splits reported with them, or
    /// [`FetchError::NoData`] (or a 404) when the provider does not know it.
    fn validate<'a>(
        &'a self,
        http: &'a Http,
        symbol: &'a str,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Prices, FetchError>>;
}

/// One symbol's bars as a provider answered, and the splits it reported with them.
#[derive(Debug, Default)]
pub struct Prices {
    /// The bars.
    pub bars: Vec<Bar>,
    /// The splits (Yahoo's chart reports them; the others none).
    pub splits: Vec<Split>,
}

impl From<Vec<Bar>> for Prices {
    fn from(bars: Vec<Bar>) -> Prices {
        Prices {
            bars,
            splits: Vec::new(),
        }
    }
}

/// A configured source.
pub struct Source {
    /// Name in logs and `/status`.
    pub name: String,
    /// What it fetches.
    pub kind: SourceKind,
}

/// The kinds of sources.
pub enum SourceKind {
    /// Quotes for symbols.
    Quotes {
        /// The provider.
        provider: Arc<dyn QuoteProvider>,
        /// The configured symbols.
        symbols: Vec<String>,
    },
    /// Quotes for the symbols chats asked for (a source of its own, with its own health, so
    /// the symbols on demand never slow down or back off the configured ones).
    OnDemand {
        /// The provider (shared with the configured source it goes with).
        provider: Arc<dyn QuoteProvider>,
        /// Which symbols are wanted.
        demand: Arc<Demand>,
    },
    /// A headline feed.
    Feed(Box<Feed>),
    /// Finnhub's company news for some symbols.
    CompanyNews(Box<finnhub::news::CompanyNews>),
}

impl SourceKind {
    /// `quotes` or `feed`.
    pub fn label(&self) -> &'static str {
        match self {
            SourceKind::Quotes { .. } | SourceKind::OnDemand { .. } => "quotes",
            SourceKind::Feed(_) | SourceKind::CompanyNews(_) => "feed",
        }
    }
}

/// Every source of `config`, with its cron schedule.
pub fn from_config(config: &Config) -> Vec<(Source, cron::Schedule)> {
    let mut out = Vec::new();
    // Sources with the same key spend one plan's requests.
    let mut plans: HashMap<&ApiKey, Arc<finnhub::Plan>> = HashMap::new();
    for q in &config.quotes {
        let provider: Arc<dyn QuoteProvider> = match q.provider {
            Provider::Finnhub => {
                let Some(key) = &q.api_key else {
                    // The config check refuses a finnhub source without a key.
                    tracing::error!(source = %q.name, "a finnhub source without an API key is left out");
                    continue;
                };
                let plan = plans
                    .entry(key)
                    .or_insert_with(|| finnhub::plan(q.requests_per_minute));
                match finnhub::Finnhub::new(q.base_url.clone(), key, Arc::clone(plan)) {
                    Ok(f) => Arc::new(f),
                    Err(e) => {
                        tracing::error!(source = %q.name, error = %e, "left out");
                        continue;
                    }
                }
            }
            Provider::Yahoo => Arc::new(yahoo::Yahoo::new(
                q.base_url.clone(),
                q.interval,
                q.extended_hours,
                q.history,
            )),
            Provider::Stooq => Arc::new(stooq::Stooq {
                base_url: q.base_url.clone(),
            }),
        };
        out.push((
            Source {
                name: q.name.clone(),
                kind: SourceKind::Quotes {
                    provider,
                    symbols: q.symbols.clone(),
                },
            },
            q.schedule.clone(),
        ));
    }
    for f in &config.feeds {
        let kind = match &f.source {
            FeedSource::Rss(url) => SourceKind::Feed(Box::new(Feed::new(
                f.name.clone(),
                url.clone(),
                f.symbols.clone(),
            ))),
            FeedSource::Finnhub {
                base_url,
                api_key,
                requests_per_minute,
            } => {
                let plan = plans
                    .entry(api_key)
                    .or_insert_with(|| finnhub::plan(*requests_per_minute));
                match finnhub::Access::new(base_url.clone(), api_key, Arc::clone(plan)) {
                    Ok(access) => SourceKind::CompanyNews(Box::new(
                        finnhub::news::CompanyNews::new(access, f.name.clone(), f.symbols.clone()),
                    )),
                    Err(e) => {
                        tracing::error!(source = %f.name, error = %e, "left out");
                        continue;
                    }
                }
            }
        };
        out.push((
            Source {
                name: f.name.clone(),
                kind,
            },
            f.schedule.clone(),
        ));
    }
    out
}

/// Prices on demand carry no splits: a symbol whose price jumped as a split's would is
/// fetched with its chart, which reports them, and its prices are held back until that
/// answers (a split's prices taken as they are look like a crash). At most
/// [`demand::SPLIT_CHECKS_PER_POLL`] charts a poll, none after the provider rate-limits one
/// (asking again right away only prolongs it); the other symbols' prices wait for the next
/// poll.
async fn check_for_splits(
    provider: &dyn QuoteProvider,
    demand: &Demand,
    http: &Http,
    fetch: &mut QuoteFetch,
    now: DateTime<Utc>,
) {
    let jumped = demand.jumped(&fetch.bars);
    let mut held = std::collections::HashSet::new();
    let mut rate_limited = false;
    for (i, symbol) in jumped.iter().enumerate() {
        if i >= demand::SPLIT_CHECKS_PER_POLL || rate_limited {
            fetch.errors.push((
                symbol.clone(),
                FetchError::Throttled(
                    "its price moved as a split's would: held back until its chart is asked, \
                     next poll"
                        .into(),
                ),
            ));
            held.insert(symbol.as_str());
            continue;
        }
        let chart = provider
            .fetch(http, std::slice::from_ref(symbol), now)
            .await;
        rate_limited = chart
            .errors
            .iter()
            .any(|(_, e)| matches!(e, FetchError::Status { status: 429, .. }));
        if chart.bars.is_empty() {
            held.insert(symbol.as_str());
        } else {
            tracing::info!(
                symbol,
                splits = chart.splits.len(),
                "price jumped: chart asked for splits"
            );
        }
        fetch.bars.extend(chart.bars);
        fetch.splits.extend(chart.splits);
        fetch.errors.extend(chart.errors);
    }
    fetch.bars.retain(|b| !held.contains(b.symbol.as_str()));
}

/// A sender to tell when a batch's items are stored; `then` runs once they are (not when
/// they could not be).
fn when_stored(then: impl FnOnce() + Send + 'static) -> oneshot::Sender<()> {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        if rx.await.is_ok() {
            then();
        }
    });
    tx
}

/// What one poll needs from the running bot.
#[derive(Clone)]
pub struct PollContext {
    /// The shared HTTP client.
    pub http: Http,
    /// Where health is recorded.
    pub store: Store,
    /// Time.
    pub clock: Clock,
    /// The pipeline's inbox.
    pub pipeline: mpsc::Sender<Batch>,
}

impl Source {
    /// How long one poll may take before the scheduler gives up on it: its wait for the end
    /// of a backoff ([`retry::WAIT_AT_MOST`]), every request it may make timing out, one more,
    /// the provider's waits for its plan, and 5 s to spare.
    pub fn time_budget(&self, http_timeout: std::time::Duration) -> std::time::Duration {
        let (calls, waits) = match &self.kind {
            SourceKind::Quotes { provider, symbols } => (
                provider.requests_per_fetch(symbols.len()),
                provider.waits_at_most(),
            ),
            SourceKind::OnDemand { provider, demand } => (
                demand.limits().max.div_ceil(provider.batch_size().max(1))
                    + if provider.reports_splits() {
                        provider.requests_per_fetch(demand::SPLIT_CHECKS_PER_POLL)
                    } else {
                        0
                    },
                provider.waits_at_most(),
            ),
            SourceKind::Feed(_) => (1, std::time::Duration::ZERO),
            SourceKind::CompanyNews(news) => (news.symbols().len(), news.waits_at_most()),
        };
        let calls = u32::try_from(calls).unwrap_or(u32::MAX).saturating_add(1);
        retry::WAIT_AT_MOST
            + http_timeout.saturating_mul(calls)
            + waits
            + std::time::Duration::from_secs(5)
    }

    /// Polls once: fetches (unless backing off), records health, hands results to the
    /// pipeline. Never fails: problems are logged and counted.
    pub async fn poll(&self, ctx: &PollContext) {
        let mut now = ctx.clock.now();
        let mut health = match ctx.store.source_health(&self.name) {
            Ok(h) => h.unwrap_or_default(),
            Err(e) => {
                tracing::error!(source = %self.name, error = %e, "cannot read source health");
                SourceHealth::default()
            }
        };
        // A tick shortly before the source may try again waits for that moment.
        match retry::wait_before(now, health.next_attempt_after) {
            None => {
                tracing::debug!(source = %self.name, until = ?health.next_attempt_after, "backing off");
                return;
            }
            Some(wait) if !wait.is_zero() => {
                tokio::time::sleep(wait).await;
                now = ctx.clock.now();
            }
            Some(_) => {}
        }
        health.kind = self.kind.label().to_string();
        health.last_attempt = Some(now);
        let started = std::time::Instant::now();
        // Whether some symbols' news answered: progress even with nothing new to hand on.
        let mut answered = false;

        let (batch, errors) = match &self.kind {
            SourceKind::Quotes { provider, symbols } => provider
                .fetch(&ctx.http, symbols, now)
                .await
                .into_batch(&self.name),
            SourceKind::OnDemand { provider, demand } => {
                let wanted = demand.wanted(now);
                if wanted.is_empty() {
                    // Nothing asked for: nothing to fetch, nothing to report.
                    return;
                }
                let mut fetch = provider.fetch_many(&ctx.http, &wanted, now).await;
                if provider.reports_splits() {
                    check_for_splits(provider.as_ref(), demand, &ctx.http, &mut fetch, now).await;
                }
                demand.saw(&fetch.bars);
                fetch.into_batch(&self.name)
            }
            SourceKind::Feed(feed) => match feed.fetch(&ctx.http, now).await {
                Ok(fetched) => {
                    // The response's validators are kept once the pipeline has stored its
                    // items, without holding up the poll.
                    let stored = fetched
                        .validators
                        .map(|pending| when_stored(move || pending.stored()));
                    (
                        Some(Batch::Headlines {
                            source: self.name.clone(),
                            items: fetched.items,
                            stored,
                        }),
                        Vec::new(),
                    )
                }
                Err(e) => (None, vec![(feed.url.to_string(), e)]),
            },
            SourceKind::CompanyNews(news) => {
                let fetched = news.fetch(&ctx.http, now).await;
                answered = fetched.answered > 0;
                if fetched.items.is_empty() {
                    // Nothing new: nothing to store before the answers' ids are kept.
                    fetched.seen.stored();
                    (None, fetched.errors)
                } else {
                    let seen = fetched.seen;
                    (
                        Some(Batch::Headlines {
                            source: self.name.clone(),
                            items: fetched.items,
                            stored: Some(when_stored(move || seen.stored())),
                        }),
                        fetched.errors,
                    )
                }
            }
        };

        let delivered = match &batch {
            Some(Batch::Bars { bars, .. }) => bars.len(),
            Some(Batch::Headlines { items, .. }) => items.len(),
            None => 0,
        };
        let progressed = delivered > 0 || answered;
        let finished = ctx.clock.now();
        // Symbols not asked because the provider's plan was spent are no failure: they come
        // first next poll, which must not be put off by a backoff.
        let (held_back, errors): (Vec<_>, Vec<_>) = errors
            .into_iter()
            .partition(|(_, e)| matches!(e, FetchError::Throttled(_)));
        for (_, e) in errors.iter().chain(&held_back) {
            *health
                .errors_by_kind
                .entry(e.kind().to_string())
                .or_default() += 1;
        }
        for (what, e) in &held_back {
            tracing::info!(source = %self.name, target = %what, "{e}");
        }
        if errors.is_empty() {
            if progressed || held_back.is_empty() {
                health.last_success = Some(finished);
                health.successes += 1;
            }
            health.consecutive_failures = 0;
            health.next_attempt_after = None;
        } else {
            health.failures += 1;
            // A fetch where some symbols answered is no reason to slow down the others: only
            // fetches that got nothing back off (a server's Retry-After always holds).
            health.consecutive_failures = if progressed {
                0
            } else {
                health.consecutive_failures.saturating_add(1)
            };
            let retry_after = errors.iter().filter_map(|(_, e)| e.retry_after()).max();
            health.next_attempt_after =
                retry::next_attempt(now, finished, health.consecutive_failures, retry_after);
            let summary: Vec<String> = errors
                .iter()
                .map(|(what, e)| format!("{what}: {e}"))
                .collect();
            for (what, e) in &errors {
                tracing::warn!(source = %self.name, target = %what, kind = e.kind(), error = %e, "fetch failed");
            }
            health.last_error = Some(summary.join("; "));
            health.last_error_at = Some(finished);
            if progressed {
                health.last_success = Some(finished);
            }
        }
        health.items += delivered as u64;
        let (items, bars) = match &batch {
            Some(Batch::Headlines { items, .. }) => (items.len(), 0),
            Some(Batch::Bars { bars, .. }) => (0, bars.len()),
            None => (0, 0),
        };
        crate::metrics::polled(
            &crate::metrics::Poll {
                source: &self.name,
                took: started.elapsed(),
                items,
                bars,
                consecutive_failures: health.consecutive_failures,
                backoff: health
                    .next_attempt_after
                    .and_then(|t| (t - finished).to_std().ok())
                    .unwrap_or_default(),
            },
            errors.iter().chain(&held_back).map(|(_, e)| e.kind()),
        );
        if let Err(e) = ctx.store.put_source_health(&self.name, &health) {
            tracing::error!(source = %self.name, error = %e, "cannot record source health");
        }
        if let Some(batch) = batch {
            tracing::debug!(source = %self.name, delivered, "fetched");
            if ctx.pipeline.send(batch).await.is_err() {
                tracing::debug!(source = %self.name, "pipeline closed; dropping batch");
            }
        }
    }
}

#[cfg(test)]
mod tests;
