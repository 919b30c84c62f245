//! Finnhub's company news: the headlines Finnhub gathers about a symbol from many publishers
//! (Reuters, MarketWatch, Yahoo, Seeking Alpha…), a headline source next to the RSS feeds.
//!
//! `GET {base}/api/v1/company-news?symbol=NVDA&from=2026-02-02&to=2026-02-03` with the key in
//! the `X-Finnhub-Token` header answers a bare JSON array, newest first, of
//! `{"category","datetime","headline","id","image","related","source","summary","url"}`:
//! `datetime` in epoch seconds, `source` a publisher's name or its site's address, `url` often
//! a finnhub.io redirect to the article. A poll asks for yesterday and today (UTC) for each
//! symbol, one request a symbol, spending the key's plan with every other source using it
//! (see [`super::Access::in_turn`]). An item is about the symbol it was asked for, and keyed
//! with it: the same article under two symbols is an item under each, the second of which the
//! engine folds into the story of the first and judges for the symbol that is new to it. Which
//! symbols a poll brings an article under changes from poll to poll (each symbol's window moves
//! on its own), and a restart forgets what the last poll brought: an article's key under a
//! symbol stays the same whatever other symbols it comes under, so the pipeline knows every
//! one it handed on before.
//!
//! Finnhub has no conditional GET: every poll brings the whole window again. The ids of each
//! symbol's last answer are kept once its items are stored ([`Seen::stored`]), and items among
//! them are not handed on again, so a quiet symbol costs the pipeline nothing, the way a 304
//! does for a feed. Answers whose items were not stored leave the ids as they were: the next
//! poll brings those items again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Access, refusal};
use crate::model::Headline;
use crate::sources::feed::{MAX_ITEMS, MAX_SUMMARY, MAX_TITLE, clip, item_key, plain_text};
use crate::sources::http::{FetchError, Http};

/// The namespace of the items' keys: an article is the same item whichever symbol, source or
/// endpoint brought it.
const KEYS: &str = "finnhub:company-news";

/// Publisher names longer than this are cut.
const MAX_PUBLISHER: usize = 60;

/// Finnhub's company news for a list of symbols.
pub struct CompanyNews {
    access: Access,
    name: String,
    symbols: Vec<String>,
    /// The symbol the next poll starts with (the first the last poll did not reach).
    next: Mutex<Option<String>>,
    /// By symbol, the ids of its last answer whose items were stored.
    seen: Arc<Mutex<HashMap<String, HashSet<String>>>>,
}

/// What one poll brought.
pub struct NewsFetch {
    /// The items not handed on before.
    pub items: Vec<Headline>,
    /// What went wrong, by symbol.
    pub errors: Vec<(String, FetchError)>,
    /// How many symbols answered (with news or without anything new).
    pub answered: usize,
    /// The answers' ids, to be kept once the items are stored.
    pub seen: Seen,
}

/// The ids of a poll's answers, waiting for its items to be stored.
pub struct Seen {
    answers: Vec<(String, HashSet<String>)>,
    into: Arc<Mutex<HashMap<String, HashSet<String>>>>,
}

impl Seen {
    /// The poll's items are stored: they are not handed on again.
    pub fn stored(self) {
        let mut seen = self.into.lock().unwrap_or_else(PoisonError::into_inner);
        seen.extend(self.answers);
    }
}

impl CompanyNews {
    /// The news of `symbols` through `access`, as source `name` (the publisher of an item
    /// that names none).
    pub fn new(access: Access, name: String, symbols: Vec<String>) -> CompanyNews {
        CompanyNews {
            access,
            name,
            symbols,
            next: Mutex::default(),
            seen: Arc::default(),
        }
    }

    /// The symbols whose news is asked for.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// How long one poll waits, in all, for the plan.
    pub fn waits_at_most(&self) -> Duration {
        self.access.waits_at_most()
    }

    /// The request URL for `symbol`'s news of yesterday and today, as of `now` (UTC dates).
    pub fn url(&self, symbol: &str, now: DateTime<Utc>) -> url::Url {
        let to = now.date_naive();
        let from = to.pred_opt().unwrap_or(to);
        let (from, to) = (from.to_string(), to.to_string());
        self.access.url(
            "company-news",
            &[
                ("symbol", &super::finnhub_symbol(symbol)),
                ("from", &from),
                ("to", &to),
            ],
        )
    }

    /// Asks for the news of every symbol, in turn, while the plan allows it.
    pub async fn fetch(&self, http: &Http, now: DateTime<Utc>) -> NewsFetch {
        let turns = self
            .access
            .in_turn(&self.next, &self.symbols, |symbol| async move {
                let resp = self
                    .access
                    .get(http, &self.url(&symbol, now), "Finnhub's company news")
                    .await?;
                parse_news(&resp.body, &symbol, &self.name, now)
            })
            .await;
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut items: Vec<Headline> = Vec::new();
        let mut answers = Vec::with_capacity(turns.answers.len());
        for (symbol, answer) in turns.answers {
            let before = seen.get(&symbol);
            let mut ids = HashSet::with_capacity(answer.len());
            for mut h in answer {
                // Once an answer (one listing it twice), and not again after it was stored.
                if ids.insert(h.id.clone()) && !before.is_some_and(|b| b.contains(&h.id)) {
                    h.id = under_symbol(&h.id, &symbol);
                    items.push(h);
                }
            }
            answers.push((symbol, ids));
        }
        drop(seen);
        NewsFetch {
            items,
            errors: turns.errors,
            answered: answers.len(),
            seen: Seen {
                answers,
                into: Arc::clone(&self.seen),
            },
        }
    }
}

/// The pipeline's key of an article under `symbol`: the article's own key with the symbol.
/// Under another symbol the article is an item of its own, which the engine takes as a copy
/// of the story it knows and judges only for the symbol that is new to it; under a symbol it
/// came under before it has the key it had then, whatever other symbols it comes under now,
/// so it is not taken for news (after a restart too).
fn under_symbol(id: &str, symbol: &str) -> String {
    item_key(KEYS, Some(&format!("{id}\0{symbol}")), None, "")
}

/// One answer of the company-news endpoint for `symbol` as headlines (at most
/// [`MAX_ITEMS`]): items without a headline are left out, fields of the wrong type are taken
/// as missing, and an item dated after `now` is news of now. `feed_name` is the publisher of
/// items that name none.
pub fn parse_news(
    body: &[u8],
    symbol: &str,
    feed_name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Headline>, FetchError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| FetchError::Malformed {
        what: "Finnhub's company news",
        detail: e.to_string(),
    })?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(o) if o.contains_key("error") => {
            let error = match &o["error"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return Err(refusal(&error, "Finnhub's company news"));
        }
        other => {
            return Err(FetchError::WrongContent {
                expected: "Finnhub's company news (a JSON array)",
                got: match other {
                    Value::Object(_) => "an object",
                    Value::Null => "null",
                    _ => "a single value",
                }
                .into(),
                snippet: crate::sources::http::snippet(body),
            });
        }
    };
    let text = |item: &Value, field: &str| {
        item.get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for item in items.iter().take(MAX_ITEMS) {
        // Blank once its entities are decoded (`&nbsp;`) is no headline either.
        let Some(title) = text(item, "headline")
            .map(|t| html_escape::decode_html_entities(&t).trim().to_string())
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let title = clip(&title, MAX_TITLE);
        let link =
            text(item, "url").filter(|l| l.starts_with("http://") || l.starts_with("https://"));
        let id = match item.get("id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        };
        let published = item
            .get("datetime")
            .and_then(Value::as_i64)
            .filter(|t| *t > 0)
            .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
            .unwrap_or(now)
            .min(now);
        let summary = text(item, "summary")
            .map(|s| plain_text(&s))
            .filter(|s| !s.is_empty())
            .map(|s| clip(&s, MAX_SUMMARY));
        out.push(Headline {
            id: item_key(KEYS, id.as_deref(), link.as_deref(), &title),
            published,
            source: text(item, "source")
                .map(|s| publisher(&s))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| feed_name.to_string()),
            title,
            link,
            summary,
            symbols: vec![symbol.to_string()],
            lang: None,
        });
    }
    Ok(out)
}

/// The publisher as Finnhub names it: a name (`Reuters`), or a site's address
/// (`https://www.thestar.com.my`) taken as its host (`thestar.com.my`).
fn publisher(source: &str) -> String {
    let name = match url::Url::parse(source) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => match u.host_str() {
            Some(host) => host.trim_start_matches("www.").to_string(),
            None => source.to_string(),
        },
        _ => source.to_string(),
    };
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.char_indices().nth(MAX_PUBLISHER) {
        Some((i, _)) => name[..i].to_string(),
        None => name,
    }
}

#[cfg(test)]
mod tests;
