//! The [`Book`]: every chat's personal alerts, indexed so that the work per bar and per
//! headline depends on what the bar or headline touches, not on how many alerts there are.
//!
//! Per symbol:
//!
//! - **Levels** (`below 180`, `above 200`) sit in ordered sets. A crossing holds only at the
//!   bar that crosses, so a bar looks up the levels between the previous price and its own
//!   (`(last, before]` for falls, `[before, last)` for rises).
//! - **Percentages** (`drop 3%`, `rise 3%`, and `move 2% 1h` grouped by window) sit in ordered
//!   sets of thresholds. The symbol's change against the previous close (and against each
//!   window's high and low) is computed once per bar; the alerts looked at are those whose
//!   threshold lies between the change at the symbol's previous bar and this one: the ones
//!   that just began to hold. Once a new day's close is the reference, the change at the
//!   previous bar (against the close before) passed none of them: the first bar looks at
//!   every threshold its change meets.
//! - A percentage alert goes on holding while the move lasts, and fires again once its
//!   `every` has passed. Rather than looking at every holding alert on every bar, an alert
//!   that held and is cooling down is put on a **due list** for the moment its cooldown
//!   ends; so is a new alert (it may hold already). The first bar after that looks at it
//!   once more.
//! - **News words** sit in an inverted index by the first word of the alert's terms (folded
//!   form and stems, as terms match); a headline looks up its own words among the alerts of
//!   the symbols it concerns and checks the few it finds in full.
//!
//! Candidates are then judged with the same [`PriceCheck`]s and term matching rules use, so a
//! personal alert means exactly what it meant as a compiled rule. Everything here is pure: no
//! I/O, no clock; the engine calls it with the data's time, so `replay` and the live bot run
//! the same code. What must survive a restart (cooldowns, a headline waiting for its price
//! part) is reported as [`Book::changes`] for the pipeline's transaction, and can be rolled
//! back when that transaction fails.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Key, PersonalAlert, PricePart, Spec};
use crate::model::HeadlineRef;
use crate::rules::{Basis, MatchedTerm, PriceEvidence, ROUNDING, Reference, Severity};
use crate::series::Series;
use crate::text::NormalizedText;

mod judge;
mod levels;

use judge::{Held, crossing, held_near, holds, probe, term_keys, terms_of, token_keys, words_in};
use levels::Levels;

/// How far apart the news and the price part of one alert may lie (either order).
const WITHIN: TimeDelta = TimeDelta::days(1);

/// What of a personal alert must survive a restart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonalState {
    /// No alert before this instant (its `every`).
    #[serde(default)]
    pub cooldown_until: Option<DateTime<Utc>>,
    /// A headline that matched the news part and waits for the price part.
    #[serde(default)]
    pub news: Option<Box<PendingNews>>,
}

impl PersonalState {
    fn cooling(&self, now: DateTime<Utc>) -> bool {
        self.cooldown_until.is_some_and(|until| now < until)
    }
}

/// A headline that matched an alert's words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingNews {
    /// When it was published (clamped to processing time).
    pub at: DateTime<Utc>,
    /// The headline as the alert cites it.
    pub headline: HeadlineRef,
    /// Where the words were found.
    pub matched: Vec<MatchedTerm>,
    /// Its story key, so later copies fold into the alert.
    pub story: String,
}

/// A headline as the book reads it.
#[derive(Debug)]
pub struct News<'a> {
    /// Its title, normalised.
    pub title: &'a NormalizedText,
    /// How alerts cite it.
    pub cited: &'a HeadlineRef,
    /// Its story key, so later copies fold into an alert it fires.
    pub story: &'a str,
    /// When it was published (clamped to processing time).
    pub at: DateTime<Utc>,
}

/// A personal alert that fired: what the engine turns into an [`crate::engine::Alert`].
#[derive(Clone, Debug, PartialEq)]
pub struct Fired {
    /// Which alert.
    pub key: Key,
    /// Its symbol.
    pub symbol: String,
    /// How the chat sees it: `#3 NVDA drop 3%`.
    pub title: String,
    /// `low` for quiet alerts (delivered without a sound), else `medium`.
    pub severity: Severity,
    /// The parts that held: `news`, and `price` (or `down`/`up` of a move).
    pub held: Vec<String>,
    /// The price figures, when it has a price part.
    pub price: Option<PriceEvidence>,
    /// The headline, when it has a news part.
    pub news: Option<PendingNews>,
    /// How far apart the parts could be, in seconds.
    pub within_secs: u64,
}

/// The `move` alerts of one window length.
#[derive(Debug, Default)]
struct Moves {
    /// Thresholds of the falls (as positive percentages).
    down: Levels,
    /// Thresholds of the rises.
    up: Levels,
    /// The fall from the window's high and the rise from its low at the last evaluation.
    last: Option<(f64, f64)>,
}

/// One symbol's alerts.
#[derive(Debug, Default)]
struct SymbolBook {
    below: Levels,
    above: Levels,
    /// `drop x%` by x.
    drop: Levels,
    /// `rise x%` by x.
    rise: Levels,
    /// `move` alerts by window length in seconds.
    moves: BTreeMap<u64, Moves>,
    /// News alerts by the first word of their terms: `w:` + folded form, `s:` + stem.
    words: HashMap<String, BTreeSet<Key>>,
    /// Alerts to look at again at the first bar at or after a time (new ones, cooling ones).
    due: BTreeSet<(DateTime<Utc>, Key)>,
    /// The change against the previous close at the last evaluation, with that close's
    /// trading day (`None`: not known, so every threshold it passes counts as just passed —
    /// as after a new day's close became the reference: a change against another close
    /// passed nothing of today's).
    last_change: Option<(NaiveDate, f64)>,
    /// How many alerts it holds.
    alerts: usize,
}

impl SymbolBook {
    fn is_empty(&self) -> bool {
        self.alerts == 0
    }
}

/// One alert in the book.
#[derive(Debug, Clone)]
struct Entry {
    spec: Spec,
    state: PersonalState,
    /// Its place on the due list, if it has one.
    due: Option<DateTime<Utc>>,
}

/// Every chat's personal alerts, indexed per symbol.
#[derive(Debug, Default)]
pub struct Book {
    /// Every alert, by chat and number (a chat's alerts are one range).
    entries: BTreeMap<Key, Entry>,
    symbols: HashMap<String, SymbolBook>,
    /// Alerts that held during the batch in hand, and the latest bar per symbol in it.
    batch: BTreeMap<Key, Held>,
    batch_last: HashMap<String, DateTime<Utc>>,
    /// State changes not yet committed: the new state, or `None` for an alert that is gone
    /// (a one-shot alert that fired).
    dirty: BTreeMap<Key, Option<PersonalState>>,
    /// How to undo them: the entry as it was before its first change.
    undo: BTreeMap<Key, Option<Entry>>,
    /// How many times an alert was judged in full (for tests and benchmarks: the work a bar
    /// or headline caused).
    judged: u64,
}

impl Book {
    /// An empty book.
    pub fn new() -> Book {
        Book::default()
    }

    /// A book of stored alerts and their states. An alert whose text no longer parses is
    /// logged and left out (it stays stored).
    pub fn load(
        alerts: impl IntoIterator<Item = PersonalAlert>,
        states: Vec<(Key, PersonalState)>,
    ) -> Book {
        let mut states: HashMap<Key, PersonalState> = states.into_iter().collect();
        let mut book = Book::new();
        // A paused alert is not in the book: it cannot fire (its state stays stored).
        for alert in alerts.into_iter().filter(|a| !a.paused) {
            let state = states.remove(&alert.key()).unwrap_or_default();
            if let Err(e) = book.insert(&alert, state) {
                tracing::error!(chat = alert.chat, number = alert.number, spec = %alert.spec, error = ?e, "a stored personal alert does not parse; left out");
            }
        }
        book
    }

    /// How many alerts it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The symbols some alert watches.
    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.symbols
            .iter()
            .filter(|(_, b)| !b.is_empty())
            .map(|(s, _)| s.as_str())
    }

    /// How many times an alert was judged in full since the book was made: what the index
    /// saves is the difference to judging every alert on every bar.
    pub fn judged(&self) -> u64 {
        self.judged
    }

    /// Whether `key` is in the book.
    pub fn contains(&self, key: Key) -> bool {
        self.entries.contains_key(&key)
    }

    /// The state of an alert, if it is in the book.
    pub fn state(&self, key: Key) -> Option<&PersonalState> {
        self.entries.get(&key).map(|e| &e.state)
    }

    /// Adds (or replaces) an alert with its state. It is looked at on the next bar of its
    /// symbol, since it may hold already. O(log n).
    pub fn insert(
        &mut self,
        alert: &PersonalAlert,
        state: PersonalState,
    ) -> Result<(), super::SpecError> {
        let spec = alert.parsed()?;
        let key = alert.key();
        self.remove(key);
        self.index(key, &spec);
        let mut entry = Entry {
            spec,
            state,
            due: None,
        };
        if entry.spec.price.is_some() {
            self.schedule(key, &mut entry, DateTime::<Utc>::MIN_UTC);
        }
        self.entries.insert(key, entry);
        Ok(())
    }

    /// Puts `alert`, restated for a split, in place of the alert of its key, with `state`
    /// (what is stored for it: a split changes the shares, not what the alert has seen). The
    /// book's own entry may be older than what was restated (its chat changed it, and the
    /// change is still on its way here), so its state is not used. An alert not in the book
    /// (paused) is left out.
    pub fn restate(
        &mut self,
        alert: &PersonalAlert,
        state: PersonalState,
    ) -> Result<(), super::SpecError> {
        if self.entries.contains_key(&alert.key()) {
            self.insert(alert, state)
        } else {
            Ok(())
        }
    }

    /// Removes an alert; whether it was there. O(log n).
    pub fn remove(&mut self, key: Key) -> bool {
        let Some(entry) = self.entries.remove(&key) else {
            return false;
        };
        self.unindex(key, &entry);
        self.batch.remove(&key);
        true
    }

    /// Makes `chat`'s alerts these (after the chat changed them): new ones are added with
    /// `state_of` (what is stored for them, after a chat moved), missing ones removed,
    /// unchanged ones keep their state.
    pub fn sync_chat(
        &mut self,
        chat: i64,
        alerts: &[PersonalAlert],
        state_of: impl Fn(Key) -> PersonalState,
    ) {
        let wanted: HashMap<Key, &PersonalAlert> = alerts
            .iter()
            .filter(|a| a.chat == chat && !a.paused)
            .map(|a| (a.key(), a))
            .collect();
        let present: Vec<Key> = self
            .entries
            .range(
                Key { chat, number: 0 }..=Key {
                    chat,
                    number: u32::MAX,
                },
            )
            .map(|(k, _)| *k)
            .collect();
        for key in present {
            let unchanged = wanted.get(&key).is_some_and(|a| {
                self.entries
                    .get(&key)
                    .is_some_and(|e| a.parsed().is_ok_and(|s| s == e.spec))
            });
            if !unchanged {
                self.remove(key);
            }
        }
        for (key, alert) in wanted {
            if !self.entries.contains_key(&key)
                && let Err(e) = self.insert(alert, state_of(key))
            {
                tracing::error!(chat, number = key.number, error = ?e, "a personal alert does not parse; left out");
            }
        }
    }

    fn index(&mut self, key: Key, spec: &Spec) {
        let book = self.symbols.entry(spec.symbol.clone()).or_default();
        book.alerts += 1;
        match &spec.price {
            None => {}
            Some(PricePart::Below(x)) => book.below.insert(*x, key),
            Some(PricePart::Above(x)) => book.above.insert(*x, key),
            Some(PricePart::Drop(x)) => book.drop.insert(*x, key),
            Some(PricePart::Rise(x)) => book.rise.insert(*x, key),
            Some(PricePart::Move { pct, window }) => {
                let moves = book.moves.entry(window.as_secs()).or_default();
                moves.down.insert(*pct, key);
                moves.up.insert(*pct, key);
            }
        }
        if let Some(first) = terms_of(spec).first() {
            for k in term_keys(first) {
                book.words.entry(k).or_default().insert(key);
            }
        }
    }

    fn unindex(&mut self, key: Key, entry: &Entry) {
        let spec = &entry.spec;
        let Some(book) = self.symbols.get_mut(&spec.symbol) else {
            return;
        };
        book.alerts = book.alerts.saturating_sub(1);
        match &spec.price {
            None => {}
            Some(PricePart::Below(x)) => book.below.remove(*x, key),
            Some(PricePart::Above(x)) => book.above.remove(*x, key),
            Some(PricePart::Drop(x)) => book.drop.remove(*x, key),
            Some(PricePart::Rise(x)) => book.rise.remove(*x, key),
            Some(PricePart::Move { pct, window }) => {
                if let Some(moves) = book.moves.get_mut(&window.as_secs()) {
                    moves.down.remove(*pct, key);
                    moves.up.remove(*pct, key);
                    if moves.down.is_empty() {
                        book.moves.remove(&window.as_secs());
                    }
                }
            }
        }
        if let Some(first) = terms_of(spec).first() {
            for k in term_keys(first) {
                if let Some(set) = book.words.get_mut(&k) {
                    set.remove(&key);
                    if set.is_empty() {
                        book.words.remove(&k);
                    }
                }
            }
        }
        if let Some(at) = entry.due {
            book.due.remove(&(at, key));
        }
        if book.is_empty() {
            self.symbols.remove(&spec.symbol);
        }
    }

    /// Puts an alert on its symbol's due list for the first bar at or after `at`.
    fn schedule(&mut self, key: Key, entry: &mut Entry, at: DateTime<Utc>) {
        let Some(book) = self.symbols.get_mut(&entry.spec.symbol) else {
            return;
        };
        if let Some(old) = entry.due.take() {
            book.due.remove(&(old, key));
        }
        book.due.insert((at, key));
        entry.due = Some(at);
    }

    /// Looks at the alerts of `symbol` that its bar at `t` (processed at `now`) may have
    /// changed: levels crossed, thresholds just passed, alerts due by `now` (cooldowns run in
    /// processing time). Those that hold are kept for [`Book::end_batch`].
    pub fn bar(&mut self, series: &Series, symbol: &str, t: DateTime<Utc>, now: DateTime<Utc>) {
        let Some(book) = self.symbols.get_mut(symbol) else {
            return;
        };
        self.batch_last.insert(symbol.to_string(), t);
        let mut candidates = Vec::new();
        // Levels between the previous price and this one.
        let any = |_| true;
        if let (Some(last), Some(before)) = (series.last_at(t, any), series.previous_at(t, any))
            && last.time == t
        {
            book.below
                .between(last.price, false, before.price, &mut candidates);
            book.above
                .between(before.price, true, last.price, &mut candidates);
        }
        // Thresholds between the change at the previous bar and now, computed once (a
        // threshold within rounding of a change is met by it, as the check judges), against
        // the same close.
        let change = (!(book.drop.is_empty() && book.rise.is_empty()))
            .then(|| probe(Reference::PreviousClose, None, true).eval(series, t))
            .flatten()
            .and_then(|e| match e.basis {
                Basis::PreviousClose { date } => Some(date).zip(e.change_pct),
                _ => None,
            });
        if let Some((date, c)) = change {
            match book.last_change.filter(|(d0, _)| *d0 == date) {
                Some((_, c0)) => {
                    book.drop.between(met(-c0), false, met(-c), &mut candidates);
                    book.rise.between(met(c0), false, met(c), &mut candidates);
                }
                None => {
                    book.drop.between(0.0, true, met(-c), &mut candidates);
                    book.rise.between(0.0, true, met(c), &mut candidates);
                }
            }
        }
        book.last_change = change;
        for (&secs, moves) in book.moves.iter_mut() {
            let window = Some(std::time::Duration::from_secs(secs));
            let down = probe(Reference::Window, window, true)
                .eval(series, t)
                .and_then(|e| e.change_pct);
            let up = probe(Reference::Window, window, false)
                .eval(series, t)
                .and_then(|e| e.change_pct);
            let now = down.zip(up);
            if let Some((d, u)) = now {
                match moves.last {
                    Some((d0, u0)) => {
                        moves
                            .down
                            .between(met(-d0), false, met(-d), &mut candidates);
                        moves.up.between(met(u0), false, met(u), &mut candidates);
                    }
                    None => {
                        moves.down.between(0.0, true, met(-d), &mut candidates);
                        moves.up.between(0.0, true, met(u), &mut candidates);
                    }
                }
            }
            moves.last = now;
        }
        // Alerts due for another look.
        while let Some(&(at, key)) = book.due.first() {
            if at > now {
                break;
            }
            book.due.pop_first();
            if let Some(e) = self.entries.get_mut(&key) {
                e.due = None;
            }
            candidates.push(key);
        }
        candidates.sort_unstable();
        candidates.dedup();
        for key in candidates {
            let Some(entry) = self.entries.get(&key) else {
                continue;
            };
            self.judged += 1;
            if let Some(held) = holds(&entry.spec, series, t) {
                self.batch.insert(key, held);
            }
        }
    }

    /// After a batch of bars: fires the alerts that held. An alert with only a price part
    /// fires when it still holds at its symbol's latest bar of the batch (a backlog of old
    /// bars does not fire what is already over) and that bar's prices still count at `now` — a crossing, when the price is still past
    /// its level then; one with a news part pairs with a headline within a day.
    pub fn end_batch<'s>(
        &mut self,
        series: impl Fn(&str) -> Option<&'s Series>,
        now: DateTime<Utc>,
    ) -> Vec<Fired> {
        let batch = std::mem::take(&mut self.batch);
        let last = std::mem::take(&mut self.batch_last);
        let mut fired = Vec::new();
        for (key, held) in batch {
            let Some(entry) = self.entries.get(&key) else {
                continue;
            };
            let spec = entry.spec.clone();
            if spec.words.is_empty() {
                let latest = last.get(&spec.symbol).copied().unwrap_or(held.at);
                let held = if latest > held.at {
                    let series = series(&spec.symbol);
                    match series.and_then(|s| holds(&spec, s, latest)) {
                        Some(held) => held,
                        // A crossing holds only at the bar that crosses: it fires though the
                        // batch went on past it, while the price is still past the level.
                        None if crossing(&spec)
                            && series.is_some_and(|s| {
                                spec.price_checks()
                                    .iter()
                                    .all(|(_, c)| c.still_past(s, latest, &held.evidence))
                            }) =>
                        {
                            held
                        }
                        None => continue,
                    }
                } else {
                    held
                };
                // A move its bars showed long before they arrived (a source serving
                // Monday's bars on Wednesday, the first time the bot sees them) is history.
                let fresh = series(&spec.symbol).is_some_and(|s| {
                    spec.price_checks()
                        .iter()
                        .all(|(_, c)| c.of_the_last_trading_day(s, held.at, now))
                });
                if !fresh {
                    continue;
                }
                if entry.state.cooling(now) {
                    // Still holding when the cooldown ends? Look again then.
                    if !crossing(&spec)
                        && let Some(until) = entry.state.cooldown_until
                    {
                        self.reschedule(key, until);
                    }
                    continue;
                }
                fired.extend(self.fire(key, Some(held), None, now));
            } else {
                let news = entry
                    .state
                    .news
                    .as_deref()
                    .filter(|n| (n.at - held.at).abs() <= WITHIN)
                    .cloned();
                let Some(news) = news else { continue };
                if entry.state.cooling(now) {
                    if let Some(until) = entry.state.cooldown_until {
                        self.reschedule(key, until);
                    }
                    continue;
                }
                fired.extend(self.fire(key, Some(held), Some(news), now));
            }
        }
        fired
    }

    fn reschedule(&mut self, key: Key, at: DateTime<Utc>) {
        if let Some(mut entry) = self.entries.remove(&key) {
            self.schedule(key, &mut entry, at);
            self.entries.insert(key, entry);
        }
    }

    /// A headline about `symbols` (see [`News`]), processed at `now`, for the alerts `skip`
    /// does not name (those that judged an earlier copy of its story). Returns the alerts
    /// whose words matched (its story is then worth remembering), and those that fired.
    pub fn headline<'s>(
        &mut self,
        news: &News<'_>,
        symbols: &[String],
        now: DateTime<Utc>,
        series: impl Fn(&str) -> Option<&'s Series>,
        skip: impl Fn(Key) -> bool,
    ) -> (Vec<Key>, Vec<Fired>) {
        let mut matched: Vec<(Key, Vec<MatchedTerm>)> = Vec::new();
        for symbol in symbols {
            let Some(book) = self.symbols.get(symbol.as_str()) else {
                continue;
            };
            let mut candidates: BTreeSet<Key> = BTreeSet::new();
            for token in &news.title.tokens {
                for k in token_keys(token) {
                    if let Some(keys) = book.words.get(&k) {
                        candidates.extend(keys.iter().copied());
                    }
                }
            }
            for key in candidates {
                let Some(entry) = self.entries.get(&key).filter(|_| !skip(key)) else {
                    continue;
                };
                self.judged += 1;
                if let Some(terms) = words_in(&entry.spec, news.title) {
                    matched.push((key, terms));
                }
            }
        }
        let words_held: Vec<Key> = matched.iter().map(|(key, _)| *key).collect();
        if now - news.at > WITHIN {
            // Too old to pair with anything still to come.
            return (words_held, Vec::new());
        }
        let mut fired = Vec::new();
        // Alerts with the same price part on the same symbol share one look back.
        let mut near: HashMap<(String, String), Option<Held>> = HashMap::new();
        for (key, terms) in matched {
            let Some(entry) = self.entries.get(&key) else {
                continue;
            };
            let pending = PendingNews {
                at: news.at,
                headline: news.cited.clone(),
                matched: terms,
                story: news.story.to_string(),
            };
            let spec = entry.spec.clone();
            let cooling = entry.state.cooling(now);
            if spec.price.is_none() {
                if !cooling {
                    fired.extend(self.fire(key, None, Some(pending), now));
                }
                continue;
            }
            // The price part within a day either side, as close to the headline as it held.
            let held = near
                .entry((spec.symbol.clone(), format!("{:?}", spec.price)))
                .or_insert_with(|| {
                    series(&spec.symbol).and_then(|s| held_near(&spec, s, news.at, now))
                })
                .clone();
            match held {
                Some(held) if !cooling => {
                    fired.extend(self.fire(key, Some(held), Some(pending), now));
                }
                // Paired, but cooling down: the news is spent, as when a rule is cooling.
                Some(_) => {}
                // Not yet: it waits for the price part.
                None => self.change(key, |state| state.news = Some(Box::new(pending))),
            }
        }
        (words_held, fired)
    }

    /// Fires `key`: its cooldown starts, its waiting headline is spent, a one-shot alert is
    /// removed, and one that may go on holding is due again when the cooldown ends.
    fn fire(
        &mut self,
        key: Key,
        held: Option<Held>,
        news: Option<PendingNews>,
        now: DateTime<Utc>,
    ) -> Option<Fired> {
        let spec = self.entries.get(&key)?.spec.clone();
        let until = now + TimeDelta::from_std(spec.every).unwrap_or(TimeDelta::days(1));
        if spec.once {
            self.spend(key);
        } else {
            self.change(key, |state| {
                state.cooldown_until = Some(until);
                state.news = None;
            });
            if spec.price.is_some() && spec.words.is_empty() && !crossing(&spec) {
                self.reschedule(key, until);
            }
        }
        let mut names: Vec<String> = Vec::new();
        if news.is_some() {
            names.push("news".into());
        }
        if let Some(h) = &held {
            names.extend(h.names.iter().map(|n| n.to_string()));
        }
        Some(Fired {
            key,
            title: format!("#{} {}", key.number, spec.summary()),
            severity: if spec.quiet {
                Severity::Low
            } else {
                Severity::Medium
            },
            symbol: spec.symbol,
            held: names,
            price: held.map(|h| h.evidence),
            news,
            within_secs: WITHIN.num_seconds().unsigned_abs(),
        })
    }

    /// Changes an alert's state, remembering how to undo it.
    fn change(&mut self, key: Key, f: impl FnOnce(&mut PersonalState)) {
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        self.undo.entry(key).or_insert_with(|| Some(entry.clone()));
        f(&mut entry.state);
        self.dirty.insert(key, Some(entry.state.clone()));
    }

    /// Removes a one-shot alert that fired, remembering how to undo it.
    fn spend(&mut self, key: Key) {
        if let Some(entry) = self.entries.get(&key).cloned() {
            self.undo.entry(key).or_insert(Some(entry));
            self.remove(key);
            self.dirty.insert(key, None);
        }
    }

    /// What changed since the last [`Book::settle`]: each alert's new state, or `None` for an
    /// alert that is gone (a one-shot alert that fired: its definition goes too).
    pub fn changes(&self) -> Vec<(Key, Option<PersonalState>)> {
        self.dirty.iter().map(|(k, s)| (*k, s.clone())).collect()
    }

    /// The changes were committed (`true`), or could not be and are undone (`false`).
    pub fn settle(&mut self, committed: bool) {
        self.dirty.clear();
        let undo = std::mem::take(&mut self.undo);
        if committed {
            return;
        }
        for (key, before) in undo {
            self.remove(key);
            if let Some(entry) = before {
                let mut entry = entry;
                entry.due = None;
                self.index(key, &entry.spec.clone());
                if entry.spec.price.is_some() {
                    self.schedule(key, &mut entry, DateTime::<Utc>::MIN_UTC);
                }
                self.entries.insert(key, entry);
            }
        }
    }
}

/// The largest percentage threshold a change of `pct` % (as a positive figure) meets: the
/// change itself, within [`ROUNDING`] (a fall of exactly 2 % computed as 1.999999999999997
/// meets `drop 2%`).
fn met(pct: f64) -> f64 {
    pct + ROUNDING
}

#[cfg(test)]
mod tests;
