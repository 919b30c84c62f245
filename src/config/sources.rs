//! `[[quotes]]` and `[[feeds]]`: the sources' configuration — providers, their keys and
//! plans, feeds of both kinds — and its checks (names unique across both lists, one plan per
//! Finnhub key).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::values::*;
use crate::model::Interval;
use crate::problem::{Problem, SourceFile};

/// The quote providers marketbot can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Yahoo Finance chart API v8.
    Yahoo,
    /// Stooq CSV quotes.
    Stooq,
    /// Finnhub's quote API (an API key from finnhub.io).
    Finnhub,
}

impl Provider {
    /// The public endpoint used when `base_url` is not given.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::Yahoo => "https://query1.finance.yahoo.com",
            Provider::Stooq => "https://stooq.com",
            Provider::Finnhub => "https://finnhub.io",
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Yahoo => "yahoo",
            Provider::Stooq => "stooq",
            Provider::Finnhub => "finnhub",
        }
    }
}

/// One `[[quotes]]` entry.
#[derive(Clone, Debug)]
pub struct QuoteSourceConfig {
    /// Name in logs and `/status` (default `PROVIDER:SYMBOLS`).
    pub name: String,
    /// Which provider.
    pub provider: Provider,
    /// Provider endpoint.
    pub base_url: Url,
    /// Symbols to fetch.
    pub symbols: Vec<String>,
    /// When to fetch.
    pub schedule: cron::Schedule,
    /// Intraday bar length to ask for.
    pub interval: Interval,
    /// Whether to ask for pre-market and after-hours bars.
    pub extended_hours: bool,
    /// Whether to fetch a year of daily bars once a day (Yahoo), for averages and 52-week
    /// highs and lows.
    pub history: bool,
    /// The provider's API key (Finnhub), never shown.
    pub api_key: Option<ApiKey>,
    /// How many requests a minute the provider's plan allows (Finnhub; every source with the
    /// same key shares them).
    pub requests_per_minute: u32,
}

/// An API key: its `Debug` does not show it, so a config printed for a log keeps it secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApiKey(pub String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// Finnhub's free plan: 60 requests a minute.
pub const FINNHUB_REQUESTS_PER_MINUTE: u32 = 60;
/// Finnhub takes at most 30 requests a second, whatever the plan.
pub const FINNHUB_MAX_REQUESTS_PER_MINUTE: u32 = 30 * 60;

/// One `[[feeds]]` entry.
#[derive(Clone, Debug)]
pub struct FeedConfig {
    /// Name in logs and `/status` (default: the URL's host and path, or
    /// `finnhub-news:SYMBOLS`).
    pub name: String,
    /// Where its headlines come from.
    pub source: FeedSource,
    /// When to fetch.
    pub schedule: cron::Schedule,
    /// Symbols the items of this feed are about, unless an item names its own (of Finnhub's
    /// company news: the symbols whose news is asked for, each item about the one it was asked
    /// for).
    pub symbols: Vec<String>,
}

impl FeedConfig {
    /// The address of an RSS or Atom feed (none for Finnhub's company news).
    pub fn url(&self) -> Option<&Url> {
        match &self.source {
            FeedSource::Rss(url) => Some(url),
            FeedSource::Finnhub { .. } => None,
        }
    }
}

/// Where a feed's headlines come from.
#[derive(Clone, Debug)]
pub enum FeedSource {
    /// An RSS 2.0 or Atom feed at this address.
    Rss(Url),
    /// Finnhub's company news, one request a symbol.
    Finnhub {
        /// Finnhub's endpoint (`https://finnhub.io`).
        base_url: Url,
        /// The API key, never shown.
        api_key: ApiKey,
        /// The key's plan, shared with every source with the same key.
        requests_per_minute: u32,
    },
}

/// The headline sources marketbot can read (`provider` of a `[[feeds]]` entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedProvider {
    /// An RSS 2.0 or Atom feed at `url` (the default).
    Rss,
    /// Finnhub's company news for the entry's symbols (an API key from finnhub.io).
    Finnhub,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuotes {
    name: Option<String>,
    provider: Provider,
    base_url: Option<Spanned<String>>,
    symbols: Spanned<Vec<String>>,
    schedule: Spanned<String>,
    interval: Option<Spanned<String>>,
    #[serde(default)]
    extended_hours: bool,
    #[serde(default)]
    history: bool,
    api_key: Option<Spanned<String>>,
    requests_per_minute: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    name: Option<String>,
    provider: Option<FeedProvider>,
    url: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    schedule: Spanned<String>,
    symbols: Option<Spanned<Vec<String>>>,
    api_key: Option<Spanned<String>>,
    requests_per_minute: Option<Spanned<i64>>,
}

/// The quote sources and feeds of the file, checked (a schedule as of `now`): the problems go
/// to `problems`.
pub(super) fn validate(
    file: &SourceFile,
    raw_quotes: Vec<RawQuotes>,
    raw_feeds: Vec<RawFeed>,
    now: chrono::DateTime<chrono::Utc>,
    problems: &mut Vec<Problem>,
) -> (Vec<QuoteSourceConfig>, Vec<FeedConfig>) {
    let mut seen = Seen::default();
    let mut quotes = Vec::new();
    for q in raw_quotes {
        let schedule = parse_schedule(file, &q.schedule, now, problems);
        let base_url = match &q.base_url {
            Some(u) => parse_url(file, u, problems),
            None => Url::parse(q.provider.default_base_url()).ok(),
        };
        let symbols = parse_symbols(file, &q.symbols, problems);
        if q.symbols.get_ref().is_empty() {
            problems.push(Problem::at(
                file,
                q.symbols.span(),
                "a quote source needs at least one symbol",
                None,
            ));
        }
        let interval = match &q.interval {
            Some(i) => match Interval::from_str(i.get_ref()) {
                Ok(iv) if !iv.is_daily() => Some(iv),
                Ok(_) => {
                    problems.push(Problem::at(
                        file,
                        i.span(),
                        "interval must be intraday (e.g. 1m, 5m, 30m)",
                        None,
                    ));
                    None
                }
                Err(e) => {
                    problems.push(Problem::at(file, i.span(), e, None));
                    None
                }
            },
            None => Some(Interval::from_secs(300)),
        };
        let (api_key, requests_per_minute) = provider_access(
            file,
            AccessFields {
                provider: q.provider.as_str(),
                finnhub: q.provider == Provider::Finnhub,
                section: "quotes",
                api_key: q.api_key.as_ref(),
                requests_per_minute: q.requests_per_minute.as_ref(),
            },
            problems,
        );
        let name = q
            .name
            .unwrap_or_else(|| format!("{}:{}", q.provider.as_str(), symbols.join(",")));
        seen.source(
            file,
            &name,
            q.schedule.span(),
            api_key.as_ref().map(|key| (key, requests_per_minute)),
            q.requests_per_minute.as_ref(),
            problems,
        );
        if let (Some(schedule), Some(base_url), Some(interval)) = (schedule, base_url, interval) {
            quotes.push(QuoteSourceConfig {
                name,
                provider: q.provider,
                base_url,
                symbols,
                schedule,
                interval,
                extended_hours: q.extended_hours,
                history: q.history,
                api_key,
                requests_per_minute,
            });
        }
    }
    let mut feeds = Vec::new();
    for f in raw_feeds {
        let schedule = parse_schedule(file, &f.schedule, now, problems);
        let symbols = f
            .symbols
            .as_ref()
            .map(|s| parse_symbols(file, s, problems))
            .unwrap_or_default();
        let provider = f.provider.unwrap_or(FeedProvider::Rss);
        let (api_key, requests_per_minute) = provider_access(
            file,
            AccessFields {
                provider: match provider {
                    FeedProvider::Rss => "an RSS or Atom feed",
                    FeedProvider::Finnhub => "finnhub",
                },
                finnhub: provider == FeedProvider::Finnhub,
                section: "feeds",
                api_key: f.api_key.as_ref(),
                requests_per_minute: f.requests_per_minute.as_ref(),
            },
            problems,
        );
        let source = feed_source(
            file,
            &f,
            provider,
            (api_key.clone(), requests_per_minute),
            &symbols,
            problems,
        );
        let name = f.name.clone().unwrap_or_else(|| match (&source, provider) {
            (Some(FeedSource::Rss(u)), _) => format!(
                "{}{}",
                u.host_str().unwrap_or("feed"),
                u.path().trim_end_matches('/')
            ),
            (_, FeedProvider::Finnhub) => format!("finnhub-news:{}", symbols.join(",")),
            _ => f
                .url
                .as_ref()
                .map(|u| u.get_ref().clone())
                .unwrap_or_default(),
        });
        seen.source(
            file,
            &name,
            f.url.as_ref().map_or(f.schedule.span(), |u| u.span()),
            api_key.as_ref().map(|key| (key, requests_per_minute)),
            f.requests_per_minute.as_ref(),
            problems,
        );
        if let (Some(schedule), Some(source)) = (schedule, source) {
            feeds.push(FeedConfig {
                name,
                source,
                schedule,
                symbols,
            });
        }
    }
    (quotes, feeds)
}

/// What a source says about its access to a provider: which provider, in which section, and
/// the key and plan it gives.
struct AccessFields<'a> {
    /// The provider's name (`finnhub`, `yahoo`, `rss`…).
    pub provider: &'static str,
    /// Whether the provider is Finnhub, the one that takes a key.
    pub finnhub: bool,
    /// `quotes` or `feeds`, for the environment variable a problem names.
    pub section: &'static str,
    pub api_key: Option<&'a Spanned<String>>,
    pub requests_per_minute: Option<&'a Spanned<i64>>,
}

/// A source's key and its plan's request limit: Finnhub needs a key; the others take
/// neither. A problem about the key never shows the line it is on.
fn provider_access(
    file: &SourceFile,
    fields: AccessFields<'_>,
    problems: &mut Vec<Problem>,
) -> (Option<ApiKey>, u32) {
    let AccessFields {
        provider,
        finnhub,
        section,
        api_key,
        requests_per_minute,
    } = fields;
    let key = api_key
        .map(|k| k.get_ref().trim())
        .filter(|k| !k.is_empty());
    match (finnhub, key) {
        (true, None) => problems.push(Problem::whole_file(
            &file.path,
            format!(
                "a finnhub source needs its API key: `api_key = \"…\"` in its [[{section}]] \
                 entry, or the environment variable MARKETBOT_{}__<n>__API_KEY (n: the entry's \
                 position, from 0)",
                section.to_ascii_uppercase()
            ),
        )),
        (true, Some(k)) if !k.bytes().all(|b| b.is_ascii_graphic()) => {
            problems.push(Problem::whole_file(
                &file.path,
                "a finnhub API key is printable ASCII without spaces",
            ))
        }
        (false, Some(_)) => problems.push(Problem::whole_file(
            &file.path,
            format!("`api_key` is for finnhub; {provider} takes none"),
        )),
        _ => {}
    }
    let per_minute = match requests_per_minute {
        None => FINNHUB_REQUESTS_PER_MINUTE,
        Some(n) if !finnhub => {
            problems.push(Problem::at(
                file,
                n.span(),
                format!("`requests_per_minute` is for finnhub; {provider} takes none"),
                None,
            ));
            FINNHUB_REQUESTS_PER_MINUTE
        }
        Some(n) => match u32::try_from(*n.get_ref()) {
            Ok(n @ 1..=FINNHUB_MAX_REQUESTS_PER_MINUTE) => n,
            _ => {
                problems.push(Problem::at(
                    file,
                    n.span(),
                    format!(
                        "requests_per_minute must be between 1 and \
                         {FINNHUB_MAX_REQUESTS_PER_MINUTE}"
                    ),
                    Some("Finnhub's free plan allows 60, and no plan more than 30 a second".into()),
                ));
                FINNHUB_REQUESTS_PER_MINUTE
            }
        },
    };
    let key = finnhub.then(|| key.map(|k| ApiKey(k.to_owned()))).flatten();
    (key, per_minute)
}

/// The sources checked so far: their names, which are unique across quotes and feeds, and
/// for each Finnhub key the first source to name it and its requests a minute (one key, one
/// plan).
#[derive(Default)]
struct Seen {
    names: HashSet<String>,
    plans: HashMap<ApiKey, (String, u32)>,
}

impl Seen {
    /// Source `name` (its name's problem placed at `at`), with its Finnhub key and plan if
    /// any: a name taken, or a key whose plan another source gave another figure, is a problem
    /// (at `requests_per_minute`, when given).
    fn source(
        &mut self,
        file: &SourceFile,
        name: &str,
        at: std::ops::Range<usize>,
        access: Option<(&ApiKey, u32)>,
        requests_per_minute: Option<&Spanned<i64>>,
        problems: &mut Vec<Problem>,
    ) {
        if let Some((key, per_minute)) = access {
            let (first, plan) = self
                .plans
                .entry(key.clone())
                .or_insert_with(|| (name.to_string(), per_minute));
            if *plan != per_minute {
                let message = format!(
                    "sources `{first}` and `{name}` share a Finnhub API key but not its plan: \
                     {plan} and {per_minute} requests a minute"
                );
                let hint = Some(
                    "one key has one plan, which its sources spend together: give each the \
                     same `requests_per_minute`"
                        .into(),
                );
                problems.push(match requests_per_minute {
                    Some(n) => Problem::at(file, n.span(), message, hint),
                    None => Problem {
                        hint,
                        ..Problem::whole_file(&file.path, message)
                    },
                });
            }
        }
        if !self.names.insert(name.to_string()) {
            problems.push(Problem::at(
                file,
                at,
                format!("two sources are named `{name}`"),
                Some("give one a different `name`".into()),
            ));
        }
    }
}

/// Where a `[[feeds]]` entry's headlines come from: an RSS or Atom feed at its `url`, or
/// Finnhub's company news of its `symbols` with the key and plan given (`access`); a key
/// that does not go with its provider is a problem.
fn feed_source(
    file: &SourceFile,
    f: &RawFeed,
    provider: FeedProvider,
    (api_key, requests_per_minute): (Option<ApiKey>, u32),
    symbols: &[String],
    problems: &mut Vec<Problem>,
) -> Option<FeedSource> {
    match provider {
        FeedProvider::Rss => {
            if let Some(b) = &f.base_url {
                problems.push(Problem::at(
                    file,
                    b.span(),
                    "`base_url` is for finnhub; an RSS or Atom feed has its `url`",
                    None,
                ));
            }
            match &f.url {
                Some(u) => parse_url(file, u, problems).map(FeedSource::Rss),
                None => {
                    problems.push(Problem::at(
                        file,
                        f.schedule.span(),
                        "a feed needs its `url`",
                        Some(
                            "the address of an RSS or Atom feed, or `provider = \
                             \"finnhub\"` for Finnhub's company news"
                                .into(),
                        ),
                    ));
                    None
                }
            }
        }
        FeedProvider::Finnhub => {
            if let Some(u) = &f.url {
                problems.push(Problem::at(
                    file,
                    u.span(),
                    "Finnhub's company news takes no `url`",
                    Some("give its endpoint as `base_url`, if not https://finnhub.io".into()),
                ));
            }
            if symbols.is_empty() {
                problems.push(Problem::at(
                    file,
                    f.symbols.as_ref().map_or(f.schedule.span(), |s| s.span()),
                    "Finnhub's company news needs the symbols whose news it asks for",
                    Some("e.g. `symbols = [\"NVDA\", \"AMD\"]`".into()),
                ));
            }
            let base_url = match &f.base_url {
                Some(u) => parse_url(file, u, problems),
                None => Url::parse(Provider::Finnhub.default_base_url()).ok(),
            };
            base_url
                .zip(api_key)
                .map(|(base_url, api_key)| FeedSource::Finnhub {
                    base_url,
                    api_key,
                    requests_per_minute,
                })
        }
    }
}
