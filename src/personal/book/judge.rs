//! Judging one alert in full: its price part with the same [`PriceCheck`]s rules use, its
//! words with the same term matching, and the moment near a headline at which its price
//! part held.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::{Spec, WITHIN};
use crate::personal::PricePart;
use crate::rules::{
    Cmp, DEFAULT_MAX_AGE, Field, MatchedTerm, PriceCheck, PriceEvidence, PriceKind, ROUNDING,
    Reference, SessionFilter, Term, Threshold, TokenPattern,
};
use crate::series::Series;
use crate::text::{NormalizedText, Token};

/// What held, and when: the names of the checks that held and the figures of the first.
#[derive(Debug, Clone)]
pub(super) struct Held {
    pub(super) at: DateTime<Utc>,
    pub(super) names: Vec<&'static str>,
    pub(super) evidence: PriceEvidence,
}

/// Whether the alert's price part holds on `series` at `t`.
pub(super) fn holds(spec: &Spec, series: &Series, t: DateTime<Utc>) -> Option<Held> {
    let mut names = Vec::new();
    let mut evidence = None;
    for (name, check) in spec.price_checks() {
        if let Some(e) = check.eval(series, t) {
            names.push(name);
            evidence.get_or_insert(e);
        }
    }
    evidence.map(|evidence| Held {
        at: t,
        names,
        evidence,
    })
}

/// Whether a level alert (a crossing) holds only at the bar that crosses: such alerts need
/// no second look after a cooldown.
pub(super) fn crossing(spec: &Spec) -> bool {
    matches!(spec.price, Some(PricePart::Below(_) | PricePart::Above(_)))
}

/// A check that always holds, to read a figure (the change against a reference) with the
/// same freshness and reference rules as the alerts' own checks.
pub(super) fn probe(
    from: Reference,
    window: Option<std::time::Duration>,
    falling: bool,
) -> PriceCheck {
    let threshold = if falling {
        Threshold {
            cmp: Cmp::Le,
            value: f64::INFINITY,
        }
    } else {
        Threshold {
            cmp: Cmp::Ge,
            value: f64::NEG_INFINITY,
        }
    };
    PriceCheck {
        kind: PriceKind::Change {
            from,
            window,
            threshold,
        },
        session: SessionFilter::Any,
        max_age: DEFAULT_MAX_AGE,
    }
}

/// The moment within a day of `at` (and not after `now`) at which the price part held,
/// closest to `at`: a headline arriving after the move pairs with it. The moments looked at
/// are the prices of that span; for a move, only those where its window's high or low lay
/// far enough (one pass over the prices), so the work is the span's prices, not the prices
/// times the window.
pub(super) fn held_near(
    spec: &Spec,
    series: &Series,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Held> {
    let (from, to) = (at - WITHIN, (at + WITHIN).min(now));
    let mut times: Vec<DateTime<Utc>> = match &spec.price {
        Some(PricePart::Move { pct, window }) => {
            let window = chrono::Duration::from_std(*window).ok()?;
            moved(series, from, to, window, *pct)
        }
        _ => series
            .ticks_between(from, to)
            .iter()
            .map(|t| t.time)
            .collect(),
    };
    times.dedup();
    times.sort_by_key(|t| ((*t - at).abs(), *t));
    times.into_iter().find_map(|t| holds(spec, series, t))
}

/// The times in `[from, to]` at which the price lay `pct` % or more below its window's high
/// or above its low (as `Reference::Window` reads them), found with two monotonic queues.
/// Borderline moments are included: [`holds`] has the last word.
fn moved(
    series: &Series,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    window: chrono::Duration,
    pct: f64,
) -> Vec<DateTime<Utc>> {
    let ticks = series.ticks_between(from - window, to);
    let mut highs: VecDeque<usize> = VecDeque::new();
    let mut lows: VecDeque<usize> = VecDeque::new();
    let mut out = Vec::new();
    for (i, tick) in ticks.iter().enumerate() {
        while highs.back().is_some_and(|&j| ticks[j].price <= tick.price) {
            highs.pop_back();
        }
        highs.push_back(i);
        while lows.back().is_some_and(|&j| ticks[j].price >= tick.price) {
            lows.pop_back();
        }
        lows.push_back(i);
        let start = tick.time - window;
        while highs.front().is_some_and(|&j| ticks[j].time < start) {
            highs.pop_front();
        }
        while lows.front().is_some_and(|&j| ticks[j].time < start) {
            lows.pop_front();
        }
        if tick.time < from {
            continue;
        }
        let (Some(&h), Some(&l)) = (highs.front(), lows.front()) else {
            continue;
        };
        let (high, low) = (ticks[h].price, ticks[l].price);
        let down = (tick.price - high) / high * 100.0;
        let up = (tick.price - low) / low * 100.0;
        if down <= -pct + ROUNDING || up >= pct - ROUNDING {
            out.push(tick.time);
        }
    }
    out
}

/// The alert's words as terms (each was checked when the alert was made).
pub(super) fn terms_of(spec: &Spec) -> Vec<Term> {
    spec.words
        .iter()
        .filter_map(|w| Term::parse(w).ok())
        .collect()
}

/// The index keys a title token is looked up under: its folded form and its stem.
pub(super) fn token_keys(token: &Token) -> [String; 2] {
    [format!("w:{}", token.text), format!("s:{}", token.stem)]
}

/// The index keys of a term's first word: its folded form and its stems (a word matches a
/// token by either). Words of personal alerts are plain words, never wildcards.
pub(super) fn term_keys(term: &Term) -> Vec<String> {
    match term.tokens.first() {
        Some(TokenPattern::Word { folded, stems }) => std::iter::once(format!("w:{folded}"))
            .chain(stems.iter().map(|s| format!("s:{s}")))
            .collect(),
        Some(TokenPattern::Exact(t)) => vec![format!("w:{t}")],
        Some(TokenPattern::Prefix(_) | TokenPattern::Any) | None => Vec::new(),
    }
}

/// Where each of the alert's words occurs in the title, if all of them do.
pub(super) fn words_in(spec: &Spec, title: &NormalizedText) -> Option<Vec<MatchedTerm>> {
    let mut out = Vec::new();
    for term in terms_of(spec) {
        let start = (0..title.tokens.len()).find(|&i| term.matches_at(&title.tokens, i))?;
        let end = start + term.tokens.len() - 1;
        let span = (title.tokens[start].span.0, title.tokens[end].span.1);
        out.push(MatchedTerm {
            selection: "news".into(),
            term: term.to_string(),
            field: Field::Title,
            text: title.original.get(span.0..span.1).unwrap_or("").to_string(),
            span,
        });
    }
    (!out.is_empty()).then_some(out)
}
