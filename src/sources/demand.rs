//! Symbols on demand: any symbol a chat asks for, not only those in the config.
//!
//! A symbol named by `/quote`, `/chart`, `/watch` or `/alert` that no quote source lists is
//! looked up with the on-demand source's provider once ([`Demand::check`]); the answer —
//! known or not — is remembered in the store, so an unknown symbol gets a clear reply and is
//! never fetched. A known one is fetched on that source's schedule while something refers to
//! it: a personal alert, a watch list, or a recent `/quote` or `/chart` (kept for
//! `symbols.keep_quoted`); when nothing does any more it is dropped. References are counted
//! per chat, so a chat's change is applied by replacing that chat's references, whatever
//! changed (a deletion, a one-shot alert that fired, a group that moved).
//!
//! Limits keep the fetching bounded: `symbols.per_chat` symbols a chat may add, and
//! `symbols.max` symbols overall.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::http::{FetchError, Http};
use super::{Batch, Prices, QuoteProvider};
pub use crate::model::SymbolCheck;
use crate::store::{Store, StoreError};

/// `[symbols]`: what chats may add.
#[derive(Clone, Debug, PartialEq)]
pub struct DemandLimits {
    /// Whether symbols outside the config are accepted at all.
    pub on_demand: bool,
    /// Symbols outside the config one chat may refer to (alerts and watch list together).
    pub per_chat: usize,
    /// Symbols outside the config fetched at once, for all chats together.
    pub max: usize,
    /// How long a symbol asked for with `/quote` or `/chart` goes on being fetched.
    pub keep_quoted: Duration,
}

impl Default for DemandLimits {
    fn default() -> DemandLimits {
        DemandLimits {
            on_demand: true,
            per_chat: 20,
            max: 1000,
            keep_quoted: Duration::from_secs(24 * 3600),
        }
    }
}

/// How often the provider may be asked on all chats' behalf in a minute.
const ASKS_PER_MINUTE: usize = 30;

/// How often the provider may be asked on one chat's behalf in an hour (new symbols, and
/// symbols quoted that are not fetched anyway).
const ASKS_PER_CHAT_HOUR: usize = 20;

/// How long "unknown" is believed: a listing can be new.
const UNKNOWN_FOR: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Whether a symbol may be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// In the config, or known to the provider.
    Known,
    /// The provider has no prices for it.
    Unknown,
    /// Not asked yet (or the provider could not be reached): ask first.
    Unchecked,
    /// Symbols outside the config are switched off.
    Refused,
}

/// Why a chat may not add a symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The chat refers to this many symbols outside the config already.
    PerChat(usize),
    /// This many symbols outside the config are fetched already.
    Overall(usize),
}

#[derive(Debug, Default)]
struct State {
    /// What the provider said, by symbol.
    checks: HashMap<String, SymbolCheck>,
    /// Each chat's references (symbols outside the config) from alerts and from its watch list.
    alerts: HashMap<i64, BTreeSet<String>>,
    watched: HashMap<i64, BTreeSet<String>>,
    /// How many chats refer to each symbol (alerts and watch lists counted separately).
    counts: HashMap<String, usize>,
    /// Symbols asked for by `/quote` or `/chart`: until when they are kept, and for which
    /// chat (a chat may keep as many as `symbols.per_chat`).
    quoted: HashMap<String, (DateTime<Utc>, i64)>,
    /// When each chat last had the provider asked on its behalf (within the hour).
    asks: HashMap<i64, VecDeque<DateTime<Utc>>>,
    /// When the provider was last asked on any chat's behalf (within the minute).
    asked: VecDeque<DateTime<Utc>>,
}

impl State {
    /// Makes room for one more symbol when the overall limit is reached by letting go of the
    /// quote that would end first (nothing else refers to it); whether there is room.
    fn room(&mut self, max: usize, now: DateTime<Utc>) -> bool {
        if self.wanted(now).len() < max {
            return true;
        }
        let evict = self
            .quoted
            .iter()
            .filter(|(s, (until, _))| *until > now && !self.counts.contains_key(*s))
            .min_by_key(|(s, (until, _))| (*until, (*s).clone()))
            .map(|(s, _)| s.clone());
        match evict {
            Some(s) => {
                self.quoted.remove(&s);
                self.wanted(now).len() < max
            }
            None => false,
        }
    }

    fn add(&mut self, symbols: &BTreeSet<String>) {
        for s in symbols {
            *self.counts.entry(s.clone()).or_default() += 1;
        }
    }

    fn sub(&mut self, symbols: &BTreeSet<String>) {
        for s in symbols {
            if let Some(n) = self.counts.get_mut(s) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.counts.remove(s);
                }
            }
        }
    }

    fn wanted(&self, now: DateTime<Utc>) -> BTreeSet<String> {
        self.counts
            .keys()
            .chain(
                self.quoted
                    .iter()
                    .filter(|(_, (until, _))| *until > now)
                    .map(|(s, _)| s),
            )
            .filter(|s| self.checks.get(*s).is_some_and(|c| c.known))
            .cloned()
            .collect()
    }
}

/// The on-demand symbols of one quote source, shared by commands and the source's polls.
pub struct Demand {
    /// Symbols the config lists (never on demand).
    configured: HashSet<String>,
    limits: DemandLimits,
    /// The source whose provider checks and fetches them.
    provider: Arc<dyn QuoteProvider>,
    http: Http,
    store: Store,
    state: Mutex<State>,
    /// The symbols the provider is being asked about now, each with a gate its askers pass
    /// one at a time, holding when the last of them got its answer.
    asking: Mutex<HashMap<String, Weak<Gate>>>,
    /// The last price taken in of each symbol fetched on demand (from the store at first).
    last_prices: Mutex<HashMap<String, f64>>,
}

/// Asks about one symbol, one at a time: when the last one was answered (and its prices
/// stored), so one that waited for it takes that answer instead of asking again.
type Gate = tokio::sync::Mutex<Option<Instant>>;

impl std::fmt::Debug for Demand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demand")
            .field("configured", &self.configured)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Demand {
    /// On-demand symbols fetched with `provider`, besides the `configured` ones; what the
    /// store remembers (checks, chats' alerts and watch lists) is read back.
    pub fn open(
        configured: impl IntoIterator<Item = String>,
        limits: DemandLimits,
        provider: Arc<dyn QuoteProvider>,
        http: Http,
        store: Store,
    ) -> Result<Demand, StoreError> {
        let demand = Demand {
            configured: configured.into_iter().collect(),
            limits,
            provider,
            http,
            store: store.clone(),
            state: Mutex::new(State::default()),
            asking: Mutex::default(),
            last_prices: Mutex::default(),
        };
        {
            let mut state = demand.lock();
            state.checks = store.symbol_checks()?.into_iter().collect();
        }
        // What active chats refer to: their watch lists, then their alerts.
        let mut active = HashSet::new();
        {
            let mut state = demand.lock();
            for chat in store.each_chat() {
                let chat = chat?;
                if !chat.active {
                    continue;
                }
                active.insert(chat.id);
                if !chat.watch.is_empty() {
                    demand.set_watch(&mut state, chat.id, chat.watch.iter().cloned());
                }
            }
            let mut alerts: HashMap<i64, Vec<String>> = HashMap::new();
            for a in store.each_personal_alert() {
                let a = a?;
                if active.contains(&a.chat)
                    && let Ok(spec) = a.parsed()
                {
                    alerts.entry(a.chat).or_default().push(spec.symbol);
                }
            }
            for (chat, symbols) in alerts {
                demand.set_alerts(&mut state, chat, symbols);
            }
        }
        Ok(demand)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The gate of the asks about `symbol` (one while anyone holds it).
    fn gate(&self, symbol: &str) -> Arc<Gate> {
        let mut asking = self.asking.lock().unwrap_or_else(|e| e.into_inner());
        asking.retain(|_, gate| gate.strong_count() > 0);
        if let Some(gate) = asking.get(symbol).and_then(Weak::upgrade) {
            return gate;
        }
        let gate = Arc::new(Gate::default());
        asking.insert(symbol.to_string(), Arc::downgrade(&gate));
        gate
    }

    /// The limits in force.
    pub fn limits(&self) -> &DemandLimits {
        &self.limits
    }

    /// The symbols the config lists, in order.
    pub fn configured(&self) -> Vec<String> {
        let mut list: Vec<String> = self.configured.iter().cloned().collect();
        list.sort();
        list
    }

    /// Whether the config lists `symbol`.
    pub fn is_configured(&self, symbol: &str) -> bool {
        self.configured.contains(symbol)
    }

    /// Whether `symbol` may be used, as far as is known now.
    pub fn verdict(&self, symbol: &str, now: DateTime<Utc>) -> Verdict {
        if self.is_configured(symbol) {
            return Verdict::Known;
        }
        if !self.limits.on_demand {
            return Verdict::Refused;
        }
        match self.lock().checks.get(symbol) {
            Some(c) if c.known => Verdict::Known,
            Some(c) if now - c.checked < UNKNOWN_FOR => Verdict::Unknown,
            _ => Verdict::Unchecked,
        }
    }

    /// Whether `symbol` is fetched on the schedule now (configured, or wanted on demand).
    pub fn is_fetched(&self, symbol: &str, now: DateTime<Utc>) -> bool {
        self.is_configured(symbol) || self.lock().wanted(now).contains(symbol)
    }

    /// The symbols outside the config to fetch at `now`, in order.
    pub fn wanted(&self, now: DateTime<Utc>) -> Vec<String> {
        self.lock().wanted(now).into_iter().collect()
    }

    /// Whether the provider may be asked on `chat`'s behalf now (and counts the ask): at most
    /// [`ASKS_PER_CHAT_HOUR`] an hour per chat and [`ASKS_PER_MINUTE`] a minute for all chats
    /// together, so no chat can get the bot rate-limited by its provider or use up the
    /// others' asks.
    fn may_ask(&self, chat: i64, now: DateTime<Utc>) -> bool {
        let mut state = self.lock();
        let (hour_ago, minute_ago) = (
            now - chrono::TimeDelta::hours(1),
            now - chrono::TimeDelta::minutes(1),
        );
        state.asks.retain(|_, times| {
            while times.front().is_some_and(|t| *t <= hour_ago) {
                times.pop_front();
            }
            !times.is_empty()
        });
        while state.asked.front().is_some_and(|t| *t <= minute_ago) {
            state.asked.pop_front();
        }
        let busy = state.asked.len() >= ASKS_PER_MINUTE;
        let times = state.asks.entry(chat).or_default();
        if busy || times.len() >= ASKS_PER_CHAT_HOUR {
            tracing::warn!(
                chat,
                "too many symbols asked about; the provider is not asked now"
            );
            return false;
        }
        times.push_back(now);
        state.asked.push_back(now);
        true
    }

    /// Asks the provider about `symbol` for `chat` now, remembers the answer, and hands the
    /// prices it fetched to the pipeline (waiting until they are stored, so a reply can show
    /// them). An unreachable provider, or a chat that asked too much, is no answer: the
    /// symbol stays unchecked.
    pub async fn check(
        &self,
        chat: i64,
        symbol: &str,
        now: DateTime<Utc>,
        pipeline: &tokio::sync::mpsc::Sender<Batch>,
    ) -> Verdict {
        if self.is_configured(symbol) {
            return Verdict::Known;
        }
        if !self.limits.on_demand {
            return Verdict::Refused;
        }
        // Two chats naming a new symbol at once: the second takes the first's answer.
        let gate = self.gate(symbol);
        let mut answered = gate.lock().await;
        if let verdict @ (Verdict::Known | Verdict::Unknown) = self.verdict(symbol, now) {
            return verdict;
        }
        if !self.may_ask(chat, now) {
            return Verdict::Unchecked;
        }
        let result = self.provider.validate(&self.http, symbol, now).await;
        let known = match &result {
            Ok(_) => true,
            Err(FetchError::NoData(_)) => false,
            Err(FetchError::Status { status: 404, .. }) => false,
            Err(e) => {
                tracing::warn!(symbol, error = %e, "cannot check a symbol with the quote provider");
                return Verdict::Unchecked;
            }
        };
        let check = SymbolCheck {
            known,
            checked: now,
        };
        if let Err(e) = self.store.put_symbol_check(symbol, &check) {
            tracing::warn!(symbol, error = %e, "cannot remember a symbol check");
        }
        {
            let mut state = self.lock();
            // An old "unknown" is asked again anyway: no need to keep it.
            state
                .checks
                .retain(|_, c| c.known || now - c.checked < UNKNOWN_FOR);
            state.checks.insert(symbol.to_string(), check);
        }
        tracing::info!(symbol, known, "symbol checked with the quote provider");
        if let Ok(prices) = result {
            deliver(pipeline, prices).await;
        }
        *answered = Some(Instant::now());
        if known {
            Verdict::Known
        } else {
            Verdict::Unknown
        }
    }

    /// Fetches `symbol` for `chat` now and hands its prices to the pipeline, waiting until
    /// they are stored: a `/quote` of a symbol that is not fetched on the schedule (within the
    /// chat's asks).
    pub async fn fetch_now(
        &self,
        chat: i64,
        symbol: &str,
        now: DateTime<Utc>,
        pipeline: &tokio::sync::mpsc::Sender<Batch>,
    ) {
        // Asked for by two chats at once: fetched once, for both.
        let gate = self.gate(symbol);
        let waiting_since = Instant::now();
        let mut answered = gate.lock().await;
        if answered.is_some_and(|at| at >= waiting_since) {
            return;
        }
        if !self.may_ask(chat, now) {
            return;
        }
        // With the splits the provider reports: prices stored before one are restated.
        match self.provider.validate(&self.http, symbol, now).await {
            Ok(prices) => {
                deliver(pipeline, prices).await;
                *answered = Some(Instant::now());
            }
            Err(e) => tracing::warn!(symbol, error = %e, "cannot fetch a symbol asked for"),
        }
    }

    /// Whether a chat may add `symbol` to what it refers to (its alerts and watch list,
    /// given as `current`): within the per-chat and the overall limit.
    pub fn may_add(
        &self,
        symbol: &str,
        current: impl IntoIterator<Item = String>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        if self.is_configured(symbol) {
            return Ok(());
        }
        let mine: BTreeSet<String> = current
            .into_iter()
            .filter(|s| !self.is_configured(s))
            .collect();
        if !mine.contains(symbol) && mine.len() >= self.limits.per_chat {
            return Err(Refusal::PerChat(self.limits.per_chat));
        }
        let mut state = self.lock();
        if !state.wanted(now).contains(symbol) && !state.room(self.limits.max, now) {
            return Err(Refusal::Overall(self.limits.max));
        }
        Ok(())
    }

    /// Takes up what `chat` refers to as stored now (after it changed its alerts or watch
    /// list, stopped, a one-shot alert of it fired, or it moved to a new id). A chat that
    /// stopped (or blocked the bot) refers to nothing. Read and applied under one lock, so two
    /// changes of one chat cannot be applied in the wrong order.
    pub fn sync_chat(&self, chat: i64) -> Result<(), StoreError> {
        let mut state = self.lock();
        let record = self.store.chat(chat)?;
        let active = record.as_ref().is_some_and(|c| c.active);
        let alerts: Vec<String> = if active {
            self.store
                .personal_alerts_of(chat)?
                .iter()
                .filter_map(|a| a.parsed().ok().map(|s| s.symbol))
                .collect()
        } else {
            Vec::new()
        };
        let watch = record
            .filter(|c| c.active)
            .map(|c| c.watch)
            .unwrap_or_default();
        self.set_alerts(&mut state, chat, alerts);
        self.set_watch(&mut state, chat, watch);
        Ok(())
    }

    /// The symbols outside the config `chat` refers to now, as the store says.
    pub fn symbols_of(&self, chat: i64) -> Result<BTreeSet<String>, StoreError> {
        let mut out: BTreeSet<String> = self
            .store
            .personal_alerts_of(chat)?
            .iter()
            .filter_map(|a| a.parsed().ok().map(|s| s.symbol))
            .collect();
        out.extend(self.store.chat(chat)?.map(|c| c.watch).unwrap_or_default());
        out.retain(|s| !self.is_configured(s));
        Ok(out)
    }

    /// `chat`'s personal alerts now watch these symbols.
    fn set_alerts(&self, state: &mut State, chat: i64, symbols: impl IntoIterator<Item = String>) {
        let new: BTreeSet<String> = symbols
            .into_iter()
            .filter(|s| !self.is_configured(s))
            .collect();
        if let Some(old) = state.alerts.remove(&chat) {
            state.sub(&old);
        }
        state.add(&new);
        if !new.is_empty() {
            state.alerts.insert(chat, new);
        }
    }

    /// `chat`'s watch list is now these symbols.
    fn set_watch(&self, state: &mut State, chat: i64, symbols: impl IntoIterator<Item = String>) {
        let new: BTreeSet<String> = symbols
            .into_iter()
            .filter(|s| !self.is_configured(s))
            .collect();
        if let Some(old) = state.watched.remove(&chat) {
            state.sub(&old);
        }
        state.add(&new);
        if !new.is_empty() {
            state.watched.insert(chat, new);
        }
    }

    /// `symbol` was asked for with `/quote` or `/chart` by `chat` at `now`: it is fetched
    /// for a while — within the overall limit, and as one of the chat's `symbols.per_chat`
    /// (alerts, watch list and quotes together); a quote makes way for an alert or a watch
    /// list when the overall limit is reached.
    pub fn quoted(&self, chat: i64, symbol: &str, now: DateTime<Utc>) {
        if self.is_configured(symbol) {
            return;
        }
        let mut state = self.lock();
        state.quoted.retain(|_, (until, _)| *until > now);
        let mine = state.quoted.values().filter(|(_, c)| *c == chat).count()
            + state.alerts.get(&chat).map_or(0, BTreeSet::len)
            + state.watched.get(&chat).map_or(0, BTreeSet::len);
        let renewal = state.quoted.get(symbol).is_some_and(|(_, c)| *c == chat);
        if !renewal && mine >= self.limits.per_chat {
            return;
        }
        if !state.wanted(now).contains(symbol) && !state.room(self.limits.max, now) {
            return;
        }
        let until = now + chrono::TimeDelta::from_std(self.limits.keep_quoted).unwrap_or_default();
        state.quoted.insert(symbol.to_string(), (until, chat));
    }
}

/// Hands bars to the pipeline and waits until they are stored (or the pipeline is gone).
async fn deliver(pipeline: &tokio::sync::mpsc::Sender<Batch>, prices: Prices) {
    let Prices { bars, splits } = prices;
    if bars.is_empty() && splits.is_empty() {
        return;
    }
    let (done, stored) = tokio::sync::oneshot::channel();
    let batch = Batch::Bars {
        source: "on demand".into(),
        bars,
        splits,
        done: Some(done),
    };
    if pipeline.send(batch).await.is_ok() {
        let _ = stored.await;
    }
}

mod jumps;
pub use jumps::SPLIT_CHECKS_PER_POLL;

#[cfg(test)]
mod tests;
