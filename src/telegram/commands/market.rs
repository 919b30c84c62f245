//! Market queries: `/quote` (one symbol in detail, or up to ten in one message), `/chart`,
//! `/news`.

use std::fmt::Write;

use super::{Conversation, NEWS_COUNT, Reply, symbols};
use crate::delivery::render::{escape, escape_link};
use crate::series::Series;
use crate::store::StoreError;

/// Most symbols one `/quote` answers.
pub const MAX_QUOTES: usize = 10;

impl Conversation<'_> {
    /// The symbol argument of a query, or the reply explaining it.
    pub(super) fn query_symbol(&self, args: &str, command: &str) -> Result<String, String> {
        let t = self.t();
        match args.split_whitespace().next() {
            None => Err(t.symbol_usage(command)),
            Some(raw) => super::symbol_word(raw).ok_or_else(|| {
                format!(
                    "{}\n{}",
                    t.bad_symbol(&escape(raw)),
                    t.symbol_usage(command)
                )
            }),
        }
    }

    /// The symbol of `/quote` or `/chart`, one the quote provider knows (it is then fetched
    /// for a while, if it is not anyway), or the reply explaining why not.
    pub(super) fn priced_symbol(&self, args: &str, command: &str) -> Result<String, String> {
        let symbol = self.query_symbol(args, command)?;
        self.usable(&symbol)?;
        if let Some(d) = &self.ctx.demand {
            d.quoted(self.incoming.chat, &symbol, self.now);
        }
        Ok(symbol)
    }

    pub(super) fn series(&self, symbol: &str) -> Result<Series, StoreError> {
        let mut series = Series::new(symbol);
        for bar in self.ctx.store.bars_of(symbol)? {
            series.push(&bar);
        }
        Ok(series)
    }

    /// `/quote NVDA` in detail; `/quote NVDA AMD TSM` (up to [`MAX_QUOTES`]) one line each.
    pub(super) fn quote(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let named = match symbols(args) {
            Ok(named) => named,
            Err(raw) => {
                return Ok(format!(
                    "{}\n{}",
                    t.bad_symbol(&escape(&raw)),
                    t.quotes_usage()
                ));
            }
        };
        if named.len() > MAX_QUOTES {
            return Ok(t.too_many_quotes(MAX_QUOTES));
        }
        if named.len() < 2 {
            // The one symbol as read (`NVDA,` and `$nvda;` are `NVDA`), or none.
            return self.quote_one(named.first().map_or("", String::as_str));
        }
        let mut out = String::new();
        for symbol in &named {
            let line = match self.usable(symbol) {
                Err(_) => t.quote_unknown(&escape(symbol)),
                Ok(()) => {
                    if let Some(d) = &self.ctx.demand {
                        d.quoted(self.incoming.chat, symbol, self.now);
                    }
                    match self.series(symbol)?.quote_at(self.now) {
                        None => t.quote_missing(&escape(symbol)),
                        Some(q) => t.quote_line(&escape(symbol), &q, &self.locale.time(q.at)),
                    }
                }
            };
            let _ = writeln!(out, "{line}");
        }
        Ok(out.trim_end().to_string())
    }

    fn quote_one(&self, args: &str) -> Result<String, StoreError> {
        let symbol = match self.priced_symbol(args, "quote") {
            Ok(s) => s,
            Err(reply) => return Ok(reply),
        };
        let t = self.t();
        let series = self.series(&symbol)?;
        Ok(match series.quote_at(self.now) {
            None => t.no_quote.to_string(),
            Some(q) => t.quote(
                &escape(&symbol),
                &q,
                &self.locale.time(q.at),
                (self.now - q.at).num_minutes().max(0),
            ),
        })
    }

    /// `/chart NVDA [1d|5d|1m] [candles|line]`, in the chat's time zone.
    pub(super) fn chart(&self, args: &str) -> Result<Reply, StoreError> {
        let t = self.t();
        let symbol = match self.priced_symbol(args, "chart") {
            Ok(s) => s,
            Err(reply) => return Ok(Reply::Text(reply)),
        };
        let (mut range, mut style) = (crate::chart::Range::Day, crate::chart::Style::Auto);
        for word in args.split_whitespace().skip(1) {
            if let Some(r) = crate::chart::Range::parse(word) {
                range = r;
            } else if let Some(s) = crate::chart::Style::parse(word) {
                style = s;
            } else {
                return Ok(Reply::Text(t.chart_usage().to_string()));
            }
        }
        let series = self.series(&symbol)?;
        Ok(
            match crate::chart::for_range(
                &series,
                &crate::chart::RangeChart {
                    symbol: &symbol,
                    range,
                    style,
                    now: self.now,
                    lang: self.locale.lang,
                    tz: self.locale.tz,
                },
            ) {
                Ok(png) => Reply::Photo {
                    png,
                    caption: t.chart_caption(&escape(&symbol), range.label()),
                },
                Err(e) => {
                    tracing::debug!(%symbol, error = %e, "no chart");
                    Reply::Text(t.no_quote.to_string())
                }
            },
        )
    }

    pub(super) fn news(&self, args: &str) -> Result<String, StoreError> {
        let symbol = match self.query_symbol(args, "news") {
            Ok(s) => s,
            Err(reply) => return Ok(reply),
        };
        let t = self.t();
        let news = self.ctx.store.news(&symbol, NEWS_COUNT)?;
        if news.is_empty() {
            return Ok(t.no_news.to_string());
        }
        let mut out = format!("<b>{}</b>\n", escape(&t.news_heading(&symbol)));
        for h in news {
            let title = match &h.link {
                Some(l) => format!("<a href=\"{}\">{}</a>", escape_link(l), escape(&h.title)),
                None => escape(&h.title),
            };
            let _ = write!(
                out,
                "\n📰 {title}\n<i>{} · {}</i>\n",
                escape(&h.source),
                self.locale.time(h.published)
            );
        }
        Ok(out.trim_end().to_string())
    }
}
