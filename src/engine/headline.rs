//! A headline through the engine: a new story matched against the rules and personal alerts
//! of the symbols it concerns, or a later copy folded into its story's alerts — and judged
//! for the symbols the story did not concern yet.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    Alert, Engine, HeadlineRef, Output, Prepared, STORY_MEMORY, StoryState, TextEvent, correlate,
    span, story,
};
use crate::model::Headline;
use crate::personal::{Fired, Key, News};
use crate::rules::{HeadlineMatch, Rule, Tri};
use crate::text::NormalizedText;

/// What a headline did, for logs, `/news` and `/status`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeadlineReport {
    /// The story was seen before; the copy was folded, not matched.
    pub duplicate: bool,
    /// Rules whose text part held or waits for a price move (indices into the rule set).
    pub matched_rules: Vec<usize>,
    /// The headline as alerts cite it (cleaned title), when it was a new story or a copy
    /// that concerns symbols its story did not.
    pub cited: Option<HeadlineRef>,
    /// The symbols it concerns (its feed's, and those of the companies it names); of a copy,
    /// those its story did not concern before.
    pub symbols: Vec<String>,
}

/// A headline as it is judged: its text prepared and matched once, for a new story or a copy.
struct Judged<'a> {
    title: &'a NormalizedText,
    cited: HeadlineRef,
    matches: &'a HeadlineMatch,
    /// When it happened: its publication, or `now` for one dated in the future.
    at: DateTime<Utc>,
}

impl Engine {
    /// Processes one headline at processing time `now`.
    pub fn on_headline(
        &mut self,
        headline: &Headline,
        now: DateTime<Utc>,
    ) -> (Vec<Output>, HeadlineReport) {
        let prepared = Prepared::text_of(&self.rules, headline);
        self.on_prepared_headline(headline, &prepared, now)
    }

    /// [`on_headline`](Self::on_headline) with its text prepared ahead (with the rules this
    /// engine uses). Borrowed, so whoever prepared it also frees it.
    pub fn on_prepared_headline(
        &mut self,
        headline: &Headline,
        prepared: &Prepared,
        now: DateTime<Utc>,
    ) -> (Vec<Output>, HeadlineReport) {
        let mut report = HeadlineReport::default();
        let Prepared {
            text: prepared,
            story:
                story::Identity {
                    key,
                    words,
                    polarity,
                },
            matches,
        } = prepared;
        let cited = HeadlineRef::new(headline, &prepared.title.original);
        let matched_now;
        let matches = match matches {
            Some(m) => m,
            None => {
                matched_now = self.rules.match_headline(prepared);
                &matched_now
            }
        };
        let mut symbols: BTreeSet<String> = headline
            .symbols
            .iter()
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect();
        symbols.extend(matches.linked_symbols.iter().cloned());
        let news = Judged {
            title: &prepared.title,
            cited,
            matches,
            // A headline "published" in the future (clock skew, bad feed) counts as published
            // now.
            at: headline.published.min(now),
        };
        if let Some(story) = self
            .stories
            .find(key, words, polarity, self.remembered.map())
        {
            report.duplicate = true;
            return self.copy_of(story, news, symbols, now, report);
        }
        let story = key.clone();
        report.matched_rules = matches.rules.iter().map(|m| m.rule).collect();
        report.cited = Some(news.cited.clone());
        report.symbols = symbols.iter().cloned().collect();
        let (personal_held, personal) =
            self.personal_news(&news, &story, &report.symbols, now, |_| false);
        if !matches.rules.is_empty() || !personal_held.is_empty() {
            // Only stories some rule or personal alert cares about are remembered: copies of
            // the rest are cheap to match again and would only bloat the state.
            let state = StoryState {
                first_seen: now,
                alerts: Vec::new(),
                fired: BTreeMap::new(),
                copies: vec![news.cited.clone()],
                words: words.clone(),
                polarity: polarity.clone(),
                symbols: Some(symbols.clone()),
                rules: Some(
                    matches
                        .rules
                        .iter()
                        .map(|m| self.rules.rules()[m.rule].id.clone())
                        .chain(personal_held.iter().map(|k| k.rule_id()))
                        .collect(),
                ),
            };
            self.stories.insert(&story, &state);
            self.remembered.insert(story.clone(), state);
        }
        let mut out = self.personal_alerts(personal, now);
        out.extend(self.rules_judge(&news, &story, &symbols, None, &BTreeSet::new(), now));
        (out, report)
    }

    /// A later copy of `story`: folded into its alerts — and judged for the symbols it
    /// concerns that the story did not yet (the same article in another ticker's feed), as
    /// those symbols' rules and personal alerts have not seen it, and by the rules and
    /// personal alerts whose text part it holds and no copy's held before (a fuller wording),
    /// which have not seen the story at all.
    fn copy_of(
        &mut self,
        story: String,
        news: Judged<'_>,
        symbols: BTreeSet<String>,
        now: DateTime<Utc>,
        mut report: HeadlineReport,
    ) -> (Vec<Output>, HeadlineReport) {
        let mut out = Vec::new();
        let Some(seen) = self.remembered.get_mut(&story) else {
            return (out, report);
        };
        if seen.copies.len() < story::MAX_COPIES
            && !seen
                .copies
                .iter()
                .any(|c| c.link == news.cited.link && c.source == news.cited.source)
        {
            seen.copies.push(news.cited.clone());
            for alert in seen.open_alerts(now, STORY_MEMORY) {
                out.push(Output::AlsoReported {
                    alert,
                    headline: news.cited.clone(),
                });
            }
        }
        // A story remembered before its symbols were kept was judged for the symbols of its
        // first copy, which are not known: its copies are only folded.
        let Some(before) = seen.symbols.as_mut() else {
            return (out, report);
        };
        let earlier = before.clone();
        let all = &earlier | &symbols;
        // Rules new to the story (none known for a story remembered before its rules were).
        let rules = Arc::clone(&self.rules);
        let fresh: BTreeSet<usize> = match seen.rules.as_mut() {
            Some(known) => news
                .matches
                .rules
                .iter()
                .map(|m| m.rule)
                .filter(|&r| known.insert(rules.rules()[r].id.clone()))
                .collect(),
            None => BTreeSet::new(),
        };
        let known = seen.rules.clone();
        let new_symbols = !symbols.is_subset(&earlier);
        before.clone_from(&all);
        let mut held = Vec::new();
        if new_symbols {
            report.matched_rules = news.matches.rules.iter().map(|m| m.rule).collect();
            report.cited = Some(news.cited.clone());
            report.symbols = symbols.difference(&earlier).cloned().collect();
            let (words, personal) =
                self.personal_news(&news, &story, &report.symbols, now, |_| false);
            held.extend(words);
            out.extend(self.personal_alerts(personal, now));
        } else {
            report.matched_rules = fresh.iter().copied().collect();
        }
        // The personal alerts of the symbols judged before, by a wording none of their words
        // held on before (none known for a story remembered before its alerts were).
        if let Some(known) = &known {
            let judged: Vec<String> = symbols.intersection(&earlier).cloned().collect();
            let (words, personal) = self.personal_news(&news, &story, &judged, now, |k| {
                known.contains(&k.rule_id())
            });
            held.extend(words);
            out.extend(self.personal_alerts(personal, now));
        }
        if let Some(known) = self
            .remembered
            .get_mut(&story)
            .and_then(|s| s.rules.as_mut())
            .filter(|_| !held.is_empty())
        {
            known.extend(held.iter().map(|k| k.rule_id()));
        }
        if !fresh.is_empty() || new_symbols {
            out.extend(self.rules_judge(&news, &story, &all, Some(&earlier), &fresh, now));
        }
        (out, report)
    }

    /// Judges a headline of `story` against the personal alerts of `symbols` that `skip`
    /// does not name: those whose words matched, and those that fired.
    fn personal_news(
        &mut self,
        news: &Judged<'_>,
        story: &str,
        symbols: &[String],
        now: DateTime<Utc>,
        skip: impl Fn(Key) -> bool,
    ) -> (Vec<Key>, Vec<Fired>) {
        let series = &self.series;
        let personal = News {
            title: news.title,
            cited: &news.cited,
            story,
            at: news.at,
        };
        self.personal
            .headline(&personal, symbols, now, |s| series.get(s), skip)
    }

    fn personal_alerts(&mut self, fired: Vec<Fired>, now: DateTime<Utc>) -> Vec<Output> {
        fired
            .into_iter()
            .map(|f| Output::Alert(Box::new(self.personal_alert(f, now))))
            .collect()
    }

    /// Judges a headline of `story` against the rules whose text part it matched, for the
    /// targets `symbols` give each rule — leaving out, for a later copy, those the story's
    /// symbols `before` it gave already, except for the rules (by index) `fresh` to the story.
    fn rules_judge(
        &mut self,
        news: &Judged<'_>,
        story: &str,
        symbols: &BTreeSet<String>,
        before: Option<&BTreeSet<String>>,
        fresh: &BTreeSet<usize>,
        now: DateTime<Utc>,
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let rules = Arc::clone(&self.rules);
        for m in &news.matches.rules {
            let rule = &rules.rules()[m.rule];
            if rule.expired_on(now.date_naive()) {
                continue;
            }
            let within = span(rule);
            if now - news.at > within {
                // Too old to correlate with anything that could still arrive.
                continue;
            }
            let judged = before
                .filter(|_| !fresh.contains(&m.rule))
                .map(|b| targets(rule, b))
                .unwrap_or_default();
            if judged.iter().any(String::is_empty) {
                // The story alerted (or waits) under no symbol: a copy naming one is the
                // same news, not news about that symbol.
                continue;
            }
            let held: Vec<bool> = m.values.iter().map(|v| *v == Tri::True).collect();
            let event = TextEvent {
                at: news.at,
                held,
                headline: news.cited.clone(),
                matched: m.matched.clone(),
                story: story.to_string(),
            };
            for symbol in targets(rule, symbols) {
                if judged.contains(&symbol) {
                    continue;
                }
                if let Some(alert) = self.text_arrives(rule, &symbol, m.verdict, event.clone(), now)
                {
                    out.push(Output::Alert(Box::new(alert)));
                }
            }
        }
        out
    }

    fn text_arrives(
        &mut self,
        rule: &Rule,
        symbol: &str,
        verdict: Tri,
        event: TextEvent,
        now: DateTime<Utc>,
    ) -> Option<Alert> {
        let within = span(rule);
        let pair = self.pair_mut(&rule.id, symbol);
        pair.prune(now, within);
        if verdict == Tri::True {
            return self.fire(rule, symbol, Some(&event), None, now);
        }
        // Unknown: wait for a price move, or pair with one already seen.
        let found = pair.episodes.iter().rev().find_map(|ep| {
            let at = correlate::pairs_in_time(rule.order, within, event.at, ep)?;
            (correlate::verdict(rule, Some(&event), Some(ep)) == Tri::True)
                .then(|| (ep.clone(), at))
        });
        match found {
            Some((ep, at)) => self.fire(rule, symbol, Some(&event), Some((&ep, at)), now),
            None => {
                pair.texts.push(event);
                None
            }
        }
    }
}

/// The symbols a matching headline concerns for `rule`.
fn targets(rule: &Rule, headline_symbols: &BTreeSet<String>) -> Vec<String> {
    if rule.scope == crate::rules::Scope::All && !rule.symbols.is_empty() {
        return rule.symbols.clone();
    }
    if rule.symbols.is_empty() {
        if headline_symbols.is_empty() && !rule.has_price() {
            vec![String::new()]
        } else {
            headline_symbols.iter().cloned().collect()
        }
    } else {
        rule.symbols
            .iter()
            .filter(|s| headline_symbols.contains(*s))
            .cloned()
            .collect()
    }
}
