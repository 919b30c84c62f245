//! The pure core: headlines and bars in, alerts out.
//!
//! [`Engine`] owns the compiled rules, each symbol's price [`Series`] and the correlation
//! state. It does no I/O and reads no clock: every call gets `now` (processing time) from the
//! caller, so the live bot, `replay` and the tests run exactly this code. Its state is plain
//! data ([`EngineState`]) that the store persists and restores.

mod alert;
mod correlate;
mod headline;
mod journal;
mod prepared;
mod story;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use alert::{Alert, AlertId, HeadlineRef};
pub use correlate::{PairState, PriceEpisode, TextEvent};
pub use headline::HeadlineReport;
pub use journal::Journal;
pub use prepared::Prepared;
pub use story::StoryState;

use story::StoryIndex;

use crate::model::Bar;
use crate::personal::{Book, Fired};
use crate::rules::{Rule, RuleSet, SelectionKind, Tri};
use crate::series::Series;

/// How long a story is remembered for folding later copies into its alerts, from its first
/// sighting or its latest alert: an alert is final (no copy is added to it any more) once this
/// long has passed since it fired.
pub const STORY_MEMORY: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// What the engine remembers besides price series, its correlation state and its stories:
/// persisted between runs, whole with each step (it stays small).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EngineState {
    /// Correlation state per rule id, then per symbol, as an older layout kept it inside the
    /// state: taken out by [`Engine::new`] (the engine keeps each pair on its own, see
    /// [`Engine::changes`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pairs: BTreeMap<String, BTreeMap<String, PairState>>,
    /// Stories, as an older layout kept them inside the state: taken out likewise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stories: BTreeMap<String, StoryState>,
    /// The id the next alert gets.
    pub next_alert: AlertId,
    /// The fingerprint of each rule's definition the state above was built with: state of a
    /// rule whose file changed (between runs or on reload) is not read against the new
    /// definition.
    #[serde(default)]
    pub fingerprints: BTreeMap<String, u64>,
    /// The newest bar time each symbol's price rules were judged at. A rule's state for a
    /// symbol made afresh (tidying drops idle ones) starts from it, so a bar arriving late
    /// (a history refetch) adds to the price history but is not judged as news.
    #[serde(default)]
    pub judged_to: BTreeMap<String, DateTime<Utc>>,
}

/// Something the outside world should hear about.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// A new alert.
    Alert(Box<Alert>),
    /// A later copy of a story that already alerted ("also reported by").
    AlsoReported {
        /// The alert the story produced.
        alert: AlertId,
        /// The copy.
        headline: HeadlineRef,
    },
}

/// What a step changed in the engine's memory, to be stored with it.
pub struct EngineChanges<'a> {
    /// The state besides pairs and stories (small: written whole).
    pub state: &'a EngineState,
    /// Stories remembered, changed or forgotten (`None`), by story key.
    pub stories: Vec<(&'a str, Option<&'a StoryState>)>,
    /// Correlation state changed or dropped (`None`), by [`pair_key`].
    pub pairs: Vec<(&'a str, Option<&'a PairState>)>,
}

/// The key of the correlation state of `rule` on `symbol` (`""` for headlines without one).
pub fn pair_key(rule: &str, symbol: &str) -> String {
    let mut key = String::with_capacity(rule.len() + 1 + symbol.len());
    write_pair_key(&mut key, rule, symbol);
    key
}

/// Writes the [`pair_key`] of `rule` on `symbol` into `key`, replacing what it held.
fn write_pair_key(key: &mut String, rule: &str, symbol: &str) {
    key.clear();
    key.push_str(rule);
    key.push('\u{0}');
    key.push_str(symbol);
}

/// The rule id of a [`pair_key`].
fn rule_of(pair: &str) -> &str {
    pair.split('\u{0}').next().unwrap_or(pair)
}

/// The rule engine.
pub struct Engine {
    rules: Arc<RuleSet>,
    series: HashMap<String, Series>,
    state: EngineState,
    /// Correlation state per rule and symbol, by [`pair_key`]: every headline a rule matched
    /// that waits for its price part lives here, so it is kept and stored entry by entry.
    pairs: Journal<PairState>,
    /// Stories seen recently, by story key; kept and stored entry by entry.
    remembered: Journal<StoryState>,
    /// Finds rewordings among `remembered` and knows their ages; rebuilt from them, never
    /// persisted.
    stories: StoryIndex,
    /// Chats' personal alerts, indexed per symbol (their state is persisted per alert, not
    /// in [`EngineState`]).
    personal: Book,
    /// A [`pair_key`] written in place: each bar looks up a pair per price rule, and building
    /// a new key each time was most of what the lookup cost.
    key: String,
}

impl Engine {
    /// An engine with `rules`, starting from `state` (its pairs and stories too), that keeps
    /// no account of its changes: for replay and tests, which store nothing.
    pub fn new(rules: Arc<RuleSet>, state: EngineState) -> Engine {
        Engine::with(rules, state, false, BTreeMap::new(), BTreeMap::new())
    }

    /// An engine with `rules` restored from what a store kept (`state`, and the `stories` and
    /// `pairs` kept beside it), that keeps account of each step's changes
    /// ([`changes`](Self::changes), [`settle`](Self::settle)). Pairs and stories an older
    /// layout kept inside `state` count as changed, so the first step stores them anew.
    pub fn restored(
        rules: Arc<RuleSet>,
        state: EngineState,
        stories: BTreeMap<String, StoryState>,
        pairs: BTreeMap<String, PairState>,
    ) -> Engine {
        Engine::with(rules, state, true, stories, pairs)
    }

    fn with(
        rules: Arc<RuleSet>,
        mut state: EngineState,
        tracking: bool,
        stories: BTreeMap<String, StoryState>,
        pairs: BTreeMap<String, PairState>,
    ) -> Engine {
        let (mut remembered, mut pairs) = if tracking {
            (Journal::tracking(stories), Journal::tracking(pairs))
        } else {
            (Journal::untracked(stories), Journal::untracked(pairs))
        };
        for (key, story) in std::mem::take(&mut state.stories) {
            remembered.adopt(key, story);
        }
        for (rule, of_rule) in std::mem::take(&mut state.pairs) {
            for (symbol, pair) in of_rule {
                pairs.adopt(pair_key(&rule, &symbol), pair);
            }
        }
        let stories = StoryIndex::build(remembered.map());
        let mut engine = Engine {
            rules,
            series: HashMap::new(),
            state,
            pairs,
            remembered,
            stories,
            personal: Book::new(),
            key: String::new(),
        };
        engine.carry_over_renames();
        engine.forget_unknown_rules();
        engine
    }

    /// The rules in use.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Switches to a new rule set (a reload). Unchanged rules keep all their state; a changed
    /// rule keeps its cooldowns but forgets pending headlines and price episodes (they were
    /// judged by the old definition); a renamed rule (`formerly`) keeps what it had under its
    /// old id, as unchanged or changed by the rest of its definition; a removed rule keeps
    /// only its cooldowns, until they end.
    pub fn replace_rules(&mut self, rules: Arc<RuleSet>) {
        self.rules = rules;
        self.carry_over_renames();
        self.forget_unknown_rules();
    }

    /// The personal alerts it evaluates.
    pub fn personal(&self) -> &Book {
        &self.personal
    }

    /// The personal alerts, to add, remove or settle changes.
    pub fn personal_mut(&mut self) -> &mut Book {
        &mut self.personal
    }

    /// The persistent part of the state besides pairs and stories (see
    /// [`changes`](Self::changes)).
    pub fn state(&self) -> &EngineState {
        &self.state
    }

    /// The stories remembered, by story key.
    pub fn stories(&self) -> &BTreeMap<String, StoryState> {
        self.remembered.map()
    }

    /// The correlation state of `rule` on `symbol`, if any.
    pub fn pair(&self, rule: &str, symbol: &str) -> Option<&PairState> {
        self.pairs.get(&pair_key(rule, symbol))
    }

    /// What changed since the last [`settle`](Self::settle), to be stored (nothing for an
    /// engine made with [`new`](Self::new)).
    pub fn changes(&self) -> EngineChanges<'_> {
        EngineChanges {
            state: &self.state,
            stories: self.remembered.changes().collect(),
            pairs: self.pairs.changes().collect(),
        }
    }

    /// The stories and pairs the step under way left different from before it (see
    /// [`changes`](Self::changes) for all that is still to be stored).
    pub fn changed_in_step(&self) -> EngineChanges<'_> {
        EngineChanges {
            state: &self.state,
            stories: self.remembered.changed_in_step(),
            pairs: self.pairs.changed_in_step(),
        }
    }

    /// Whether pairs or stories changed since the last [`settle`](Self::settle).
    pub fn has_changes(&self) -> bool {
        self.remembered.has_changes() || self.pairs.has_changes()
    }

    /// Ends a step: stored (`committed`), its changes are forgotten; not stored, its changes
    /// to pairs and stories are undone (the rest of the state is put back by
    /// [`restore`](Self::restore)).
    pub fn settle(&mut self, committed: bool) {
        self.remembered.settle(committed);
        self.pairs.settle(committed);
        if !committed {
            self.stories = StoryIndex::build(self.remembered.map());
        }
    }

    /// The price series of `symbol`, if any bar was seen.
    pub fn series(&self, symbol: &str) -> Option<&Series> {
        self.series.get(symbol)
    }

    /// Adds bars to the price history without evaluating anything: restoring the series
    /// after a restart.
    pub fn warm(&mut self, bars: &[Bar]) {
        for bar in bars {
            self.series_mut(&bar.symbol).push(bar);
        }
    }

    /// Replaces `symbol`'s price history with `bars` (oldest first), evaluating nothing: the
    /// history restated for a split.
    pub fn reset_series(&mut self, symbol: &str, bars: &[Bar]) {
        let mut series = Series::new(symbol);
        for bar in bars {
            series.push(bar);
        }
        self.series.insert(symbol.to_string(), series);
    }

    fn series_mut(&mut self, symbol: &str) -> &mut Series {
        // Looked up by `&str` first: a bar of a known symbol allocates nothing.
        if !self.series.contains_key(symbol) {
            self.series.insert(symbol.to_string(), Series::new(symbol));
        }
        self.series.get_mut(symbol).expect("inserted above")
    }

    /// Passes what the engine keeps of a rule under an id it had before (`formerly`) to its
    /// id now: its correlation state on each symbol (the cooldown above all, so a rename does
    /// not fire again), the fingerprint of its definition — its own when the rename changed
    /// nothing else, so its pending headlines and price episodes stay too — and its place
    /// among the rules that judged each story. Whatever the old id left behind is taken out,
    /// so running it again (each start and reload does) finds nothing to do.
    fn carry_over_renames(&mut self) {
        let rules = Arc::clone(&self.rules);
        let mut renamed: HashMap<&str, &str> = HashMap::new();
        for rule in rules.rules().iter().filter(|r| !r.formerly.is_empty()) {
            for former in &rule.formerly {
                let old = former.id.as_str();
                renamed.insert(old, &rule.id);
                if let Some(was) = self.state.fingerprints.remove(old) {
                    let unchanged = former.fingerprint == Some(was);
                    self.state
                        .fingerprints
                        .entry(rule.id.clone())
                        .or_insert(if unchanged { rule.fingerprint } else { was });
                }
                let prefix = pair_key(old, "");
                let keys: Vec<String> = self
                    .pairs
                    .map()
                    .range::<str, _>((
                        std::ops::Bound::Included(prefix.as_str()),
                        std::ops::Bound::Unbounded,
                    ))
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in keys {
                    let Some(pair) = self.pairs.forget(&key) else {
                        continue;
                    };
                    let new_key = pair_key(&rule.id, &key[prefix.len()..]);
                    // State of the new id already there (kept from an earlier run, or made
                    // since): it stays, with the later of the two cooldowns.
                    let pair = match self.pairs.forget(&new_key) {
                        Some(mut kept) => {
                            kept.cooldown_until = kept.cooldown_until.max(pair.cooldown_until);
                            kept
                        }
                        None => pair,
                    };
                    self.pairs.adopt(new_key, pair);
                }
            }
        }
        if renamed.is_empty() {
            return;
        }
        self.remembered.retain_changed(|_, story| {
            let Some(judged) = story.rules.as_mut() else {
                return (true, false);
            };
            let old: Vec<String> = judged
                .iter()
                .filter(|r| renamed.contains_key(r.as_str()))
                .cloned()
                .collect();
            for id in &old {
                judged.remove(id);
                judged.insert(renamed[id.as_str()].to_string());
            }
            (true, !old.is_empty())
        });
    }

    /// Aligns the state with the rules in force: a changed rule keeps its cooldowns but
    /// forgets pending headlines and price episodes (they were judged by the old definition);
    /// so does a removed rule, whose cooldowns stay until they end (`tidy` drops them then):
    /// a rule that comes back, or that another rule names in `formerly` later, does not fire
    /// again at once.
    fn forget_unknown_rules(&mut self) {
        let rules = Arc::clone(&self.rules);
        let fingerprints = std::mem::take(&mut self.state.fingerprints);
        self.pairs.retain_changed(|key, pair| {
            let id = rule_of(key);
            match rules.get(id) {
                None => {
                    let changed = pair.forget_judged();
                    (pair.cooldown_until.is_some(), changed)
                }
                Some(rule) if fingerprints.get(id) != Some(&rule.fingerprint) => {
                    (true, pair.forget_judged())
                }
                Some(_) => (true, false),
            }
        });
        self.state.fingerprints = rules
            .rules()
            .iter()
            .map(|r| (r.id.clone(), r.fingerprint))
            .collect();
    }

    /// Puts back a state taken with `state().clone()` before a step that could not be
    /// committed, and undoes the step's changes to pairs and stories.
    pub fn restore(&mut self, state: EngineState) {
        self.state = state;
        self.settle(false);
    }

    /// Processes bars (of any symbols) at processing time `now`, in the order of their time.
    /// Every bar is evaluated, but a rule fires at most once per batch and only after the
    /// whole batch is in, so the alert shows the newest figures the batch brought.
    pub fn on_bars(&mut self, bars: &[Bar], now: DateTime<Utc>) -> Vec<Output> {
        let mut sorted: Vec<&Bar> = bars.iter().collect();
        sorted.sort_by_key(|b| b.time);
        let batch_from = sorted.first().map_or(now, |b| b.time);
        let rules = Arc::clone(&self.rules);
        let mut touched: Vec<(usize, String)> = Vec::new();
        for bar in sorted {
            self.series_mut(&bar.symbol).push(bar);
            if bar.close.is_none() {
                continue;
            }
            if let Some(series) = self.series.get(&bar.symbol) {
                self.personal.bar(series, &bar.symbol, bar.time, now);
            }
            let mut judged = false;
            for r in rules.price_rules_for(&bar.symbol) {
                let rule = &rules.rules()[r];
                if rule.expired_on(now.date_naive()) {
                    continue;
                }
                judged = true;
                if self.price_evaluated(rule, &bar.symbol, bar.time, now)
                    && !touched.iter().any(|(t, s)| *t == r && *s == bar.symbol)
                {
                    touched.push((r, bar.symbol.clone()));
                }
            }
            if judged {
                // Looked up by `&str` first: a bar of a known symbol allocates nothing.
                match self.state.judged_to.get_mut(bar.symbol.as_str()) {
                    Some(to) => *to = (*to).max(bar.time),
                    None => {
                        self.state.judged_to.insert(bar.symbol.clone(), bar.time);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (r, symbol) in touched {
            if let Some(alert) = self.price_arrives(&rules.rules()[r], &symbol, batch_from, now) {
                out.push(Output::Alert(Box::new(alert)));
            }
        }
        let series = &self.series;
        for f in self.personal.end_batch(|s| series.get(s), now) {
            out.push(Output::Alert(Box::new(self.personal_alert(f, now))));
        }
        out
    }

    /// The alert of a personal alert that fired.
    fn personal_alert(&mut self, f: Fired, now: DateTime<Utc>) -> Alert {
        let id = self.state.next_alert;
        self.state.next_alert += 1;
        let mut also = Vec::new();
        if let Some(news) = &f.news
            && let Some(story) = self.remembered.get_mut(&news.story)
        {
            story.alerts.push(id);
            story.fired.insert(id, now);
            self.stories.renew(&news.story, now);
            also.extend(
                story
                    .copies
                    .iter()
                    .filter(|c| **c != news.headline)
                    .cloned(),
            );
        }
        let (headline, matched) = match f.news {
            Some(n) => (Some(n.headline), n.matched),
            None => (None, Vec::new()),
        };
        Alert {
            id,
            rule: f.key.rule_id(),
            title: f.title,
            severity: f.severity,
            symbol: Some(f.symbol),
            fired_at: now,
            headline,
            also,
            matched,
            held: f.held,
            price: f.price,
            within_secs: f.within_secs,
        }
    }

    /// Evaluates `rule`'s price checks on `symbol` as of `t`; whether any held.
    fn price_evaluated(
        &mut self,
        rule: &Rule,
        symbol: &str,
        t: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(series) = self.series.get(symbol) else {
            return false;
        };
        let mut held = vec![false; rule.selections.len()];
        let mut evidence = None;
        for (i, check) in rule.price_checks() {
            if let Some(e) = check.eval(series, t) {
                held[i] = true;
                evidence.get_or_insert(e);
            }
        }
        let floor = self.state.judged_to.get(symbol).copied();
        let pair = self.pair_mut(&rule.id, symbol);
        if pair.evaluated_to.is_none() {
            pair.evaluated_to = floor;
        }
        pair.prune(now, span(rule));
        pair.record_price(t, held, evidence).is_some()
    }

    /// After new price episodes (of the batch whose first bar is at `batch_from`): fires a
    /// price-only rule, or pairs with a waiting headline.
    fn price_arrives(
        &mut self,
        rule: &Rule,
        symbol: &str,
        batch_from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Alert> {
        let within = span(rule);
        let still_past = self.still_past(rule, symbol, batch_from);
        let latest = self.pair(&rule.id, symbol)?.episodes.last()?.clone();
        let fresh = self.fresh_now(rule, symbol, &latest, now);
        let pair = self.pair_mut(&rule.id, symbol);
        match correlate::verdict(rule, None, Some(&latest)) {
            // A price-only rule fires only on a move that still holds at the latest
            // evaluation (a batch may have ended it after it began) — or, for a crossing or
            // a new high or low, which holds only at the bar where it happens, on one that
            // happened in this batch with the price still past its line at the end of it.
            Tri::True if !latest.open && !still_past => return None,
            // A move the bars showed long before they arrived (a source serving Friday's
            // bars on Monday, the first time the bot sees them) is history, not news.
            Tri::True if !fresh => return None,
            Tri::True => {
                let at = latest.to;
                return self.fire(rule, symbol, None, Some((&latest, at)), now);
            }
            Tri::False => return None,
            Tri::Unknown => {}
        }
        let (text, episode, at) = pair.texts.iter().find_map(|te| {
            pair.episodes.iter().rev().find_map(|ep| {
                let at = correlate::pairs_in_time(rule.order, within, te.at, ep)?;
                (correlate::verdict(rule, Some(te), Some(ep)) == Tri::True)
                    .then(|| (te.clone(), ep.clone(), at))
            })
        })?;
        self.fire(rule, symbol, Some(&text), Some((&episode, at)), now)
    }

    /// Whether the prices that made `episode` of `rule` on `symbol` hold still count at `now`.
    fn fresh_now(
        &self,
        rule: &Rule,
        symbol: &str,
        episode: &PriceEpisode,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(series) = self.series.get(symbol) else {
            return false;
        };
        rule.price_checks()
            .filter(|(i, _)| episode.held[*i])
            .all(|(_, check)| check.of_the_last_trading_day(series, episode.to, now))
    }

    /// Whether `rule`'s latest price episode on `symbol` began in the batch that began at
    /// `batch_from` and every check that held in it holds only where it happens (a crossing,
    /// a new high or low) with the price still past its line at the latest evaluation.
    fn still_past(&self, rule: &Rule, symbol: &str, batch_from: DateTime<Utc>) -> bool {
        let pair = self.pairs.get(&pair_key(&rule.id, symbol));
        let (Some(pair), Some(series)) = (pair, self.series.get(symbol)) else {
            return false;
        };
        let (Some(latest), Some(t)) = (pair.episodes.last(), pair.evaluated_to) else {
            return false;
        };
        let Some(evidence) = latest.first.as_ref() else {
            return false;
        };
        latest.from >= batch_from
            && rule
                .price_checks()
                .filter(|(i, _)| latest.held[*i])
                .all(|(_, check)| check.still_past(series, t, evidence))
    }

    fn pair_mut(&mut self, rule: &str, symbol: &str) -> &mut PairState {
        write_pair_key(&mut self.key, rule, symbol);
        self.pairs.entry(&self.key, PairState::default)
    }

    fn fire(
        &mut self,
        rule: &Rule,
        symbol: &str,
        text: Option<&TextEvent>,
        price: Option<(&PriceEpisode, DateTime<Utc>)>,
        now: DateTime<Utc>,
    ) -> Option<Alert> {
        let pair = self.pair_mut(&rule.id, symbol);
        if pair.cooling(now) {
            return None;
        }
        let mut until =
            now + chrono::Duration::from_std(rule.cooldown).unwrap_or(chrono::TimeDelta::MAX);
        if rule.once_per_day {
            // Quiet until the symbol's next trading day begins (exchange time): a weekend's
            // news is the next trading day's, so Friday evening to Monday's start is one day.
            let exchange = crate::market::exchange_for(symbol);
            let today = exchange.trading_date(now);
            until = until.max(exchange.start_of(exchange.next_trading_day(today)));
        }
        pair.cooldown_until = Some(until);
        // The news that fired is spent; so is anything else that was waiting.
        pair.texts.clear();

        let id = self.state.next_alert;
        self.state.next_alert += 1;
        // Held selections in the order the condition names them: how the rule author reads it.
        let mut order = Vec::new();
        rule.condition.selections(&mut order);
        let mut held: Vec<String> = Vec::new();
        for i in order {
            let s = &rule.selections[i];
            let holds = match s.kind {
                SelectionKind::Text(_) => text.is_some_and(|t| t.held[i]),
                SelectionKind::Price(_) => price.is_some_and(|(e, _)| e.held[i]),
            };
            if holds && !held.contains(&s.name) {
                held.push(s.name.clone());
            }
        }
        let mut also = Vec::new();
        if let Some(t) = text
            && let Some(story) = self.remembered.get_mut(&t.story)
        {
            story.alerts.push(id);
            story.fired.insert(id, now);
            self.stories.renew(&t.story, now);
            also.extend(story.copies.iter().filter(|c| **c != t.headline).cloned());
        }
        Some(Alert {
            id,
            rule: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            symbol: (!symbol.is_empty()).then(|| symbol.to_string()),
            fired_at: now,
            headline: text.map(|t| t.headline.clone()),
            also,
            matched: text.map(|t| t.matched.clone()).unwrap_or_default(),
            held,
            price: price.and_then(|(e, at)| correlate::evidence_near(e, at)),
            within_secs: rule.within.as_secs(),
        })
    }

    /// Drops correlation state that can no longer matter at `now` (keeps the persisted state
    /// small).
    pub fn tidy(&mut self, now: DateTime<Utc>) {
        let rules = Arc::clone(&self.rules);
        self.pairs.retain_changed(|key, pair| {
            let within = rules
                .get(rule_of(key))
                .map_or(chrono::TimeDelta::days(1), span);
            let held = (pair.texts.len(), pair.episodes.len());
            pair.prune(now, within);
            let changed = held != (pair.texts.len(), pair.episodes.len());
            (!pair.is_idle(now), changed)
        });
        self.stories
            .forget_before(now - STORY_MEMORY, &mut self.remembered);
    }
}

fn span(rule: &Rule) -> chrono::Duration {
    chrono::Duration::from_std(rule.within).unwrap_or(chrono::TimeDelta::MAX)
}

#[cfg(test)]
mod tests;
