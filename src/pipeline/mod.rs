//! The transform stage of the live bot: batches from sources go through the engine, and each
//! batch's results are committed to the store in one step.
//!
//! One task owns the [`Engine`], so headlines and bars are processed one batch at a time in
//! arrival order. For every batch: skip feed items seen before, run the engine, then commit
//! the seen items, new bars, engine state, personal alerts' states, alerts and their
//! deliveries atomically, and wake the sender. Between batches it takes up the personal
//! alerts a chat changed ([`PersonalSync`]): only that chat's, read from the store.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

mod splits;

use crate::chart;
use crate::clock::Clock;
use crate::delivery::{self, Mode, Sender};
use crate::engine::{Alert, Engine, EngineState, Output};
use crate::health::Beat;
use crate::model::StoredHeadline;
use crate::model::{Bar, Headline, Split};
use crate::personal::{Key, PersonalState};
use crate::record::Recorder;
use crate::rules::RuleSet;
use crate::sources::Batch;
use crate::sources::demand::Demand;
use crate::store::{Chart, Step, Store, StoreError};
use crate::text::Lang;
use splits::SplitsTaken;

/// How often a pipeline without a beat to stamp wakes while waiting.
const IDLE_BEAT: Duration = Duration::from_secs(10);
/// How often old state is tidied away.
const TIDY_EVERY: Duration = Duration::from_secs(3600);
/// A feed item seen longer ago than this and still in its feed is marked seen again (the
/// store forgets items after a month; see `Store::prune`).
const RENEW_SEEN_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Tells the pipeline that a chat's personal alerts changed in the store, so the engine takes
/// them up before its next batch. Commands, buttons and the sender (a chat that moved) hold
/// a clone.
#[derive(Clone, Debug)]
pub struct PersonalSync(mpsc::UnboundedSender<i64>);

impl PersonalSync {
    /// `chat`'s personal alerts changed.
    pub fn chat_changed(&self, chat: i64) {
        // The pipeline gone means the bot is stopping: the store has the change.
        let _ = self.0.send(chat);
    }

    /// A handle whose changes go nowhere (tools and tests without a pipeline).
    pub fn detached() -> PersonalSync {
        personal_sync().0
    }
}

/// The pipeline's end of [`PersonalSync`].
#[derive(Debug)]
pub struct PersonalChanges(mpsc::UnboundedReceiver<i64>);

/// A [`PersonalSync`] and the end [`Pipeline::restore`] takes.
pub fn personal_sync() -> (PersonalSync, PersonalChanges) {
    let (tx, rx) = mpsc::unbounded_channel();
    (PersonalSync(tx), PersonalChanges(rx))
}

/// The engine, fed from the sources' channel.
pub struct Pipeline {
    engine: Engine,
    store: Store,
    clock: Clock,
    mode: Mode,
    sender: Sender,
    rules: watch::Receiver<Arc<RuleSet>>,
    last_tidy: Option<DateTime<Utc>>,
    /// Writes what the engine is handed, for `run --record`.
    recorder: Option<Recorder>,
    /// Chats whose personal alerts changed.
    personal_changes: PersonalChanges,
    /// Symbols on demand: told when a one-shot alert that fired leaves a symbol unused.
    demand: Option<Arc<Demand>>,
    /// Stamped as batches are processed and while waiting for them (liveness).
    beat: Option<Beat>,
    /// Chats whose personal alerts the current step restated for a split: taken up from the
    /// store again if the step is not stored.
    restated_chats: BTreeSet<i64>,
}

impl Pipeline {
    /// Restores the engine from `store` (its state and recent bars) with the current rules.
    pub fn restore(
        store: Store,
        rules: watch::Receiver<Arc<RuleSet>>,
        clock: Clock,
        mode: Mode,
        sender: Sender,
        personal_changes: PersonalChanges,
    ) -> Result<Pipeline, StoreError> {
        let current = rules.borrow().clone();
        let mut engine = Engine::restored(
            current,
            store.engine_state()?,
            store.engine_stories()?,
            store.engine_pairs()?,
        );
        let bars = store.bars()?;
        tracing::info!(bars = bars.len(), "restored price history");
        engine.warm(&bars);
        // Read one at a time: a hundred thousand alerts are never held twice.
        let states = store.personal_states()?;
        let mut failed = None;
        let alerts = store
            .each_personal_alert()
            .map_while(|a| a.map_err(|e| failed = Some(e)).ok());
        *engine.personal_mut() = crate::personal::Book::load(alerts, states);
        if let Some(e) = failed {
            return Err(e);
        }
        tracing::info!(alerts = engine.personal().len(), "restored personal alerts");
        Ok(Pipeline {
            engine,
            store,
            clock,
            mode,
            sender,
            rules,
            last_tidy: None,
            recorder: None,
            personal_changes,
            demand: None,
            beat: None,
            restated_chats: BTreeSet::new(),
        })
    }

    /// Tells `demand` which chats' alerts a step removed (one-shot alerts that fired).
    pub fn with_demand(mut self, demand: Arc<Demand>) -> Pipeline {
        self.demand = Some(demand);
        self
    }

    /// Takes up `chat`'s personal alerts as stored now.
    fn sync_personal(&mut self, chat: i64) {
        let alerts = match self.store.personal_alerts_of(chat) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(chat, error = %e, "cannot read a chat's personal alerts");
                return;
            }
        };
        let store = &self.store;
        self.engine.personal_mut().sync_chat(chat, &alerts, |key| {
            // What is stored for an alert new to the book (one that moved with its chat).
            store
                .personal_state(key.chat, key.number)
                .unwrap_or_else(|e| {
                    tracing::error!(chat, number = key.number, error = %e, "cannot read a personal alert's state; it starts afresh");
                    None
                })
                .unwrap_or_default()
        });
    }

    /// Stamps `beat` as the pipeline works and waits ([`crate::health`]).
    pub fn with_beat(mut self, beat: Beat) -> Pipeline {
        self.beat = Some(beat);
        self
    }

    /// Records every new headline and bar to `recorder` from now on.
    pub fn with_recorder(mut self, recorder: Recorder) -> Pipeline {
        self.recorder = Some(recorder);
        self
    }

    /// Processes batches until every source has hung up.
    pub async fn run(mut self, mut inbox: mpsc::Receiver<Batch>) {
        loop {
            if let Some(beat) = &self.beat {
                beat.stamp();
            }
            let batch = tokio::select! {
                biased;
                Some(chat) = self.personal_changes.0.recv() => {
                    self.sync_personal(chat);
                    continue;
                }
                batch = inbox.recv() => match batch {
                    Some(batch) => batch,
                    None => break,
                },
                // Waiting for work is no stall: say so now and then.
                () = tokio::time::sleep(self.beat.as_ref().map_or(IDLE_BEAT, Beat::every)) => continue,
            };
            if self.rules.has_changed().unwrap_or(false) {
                let rules = self.rules.borrow_and_update().clone();
                tracing::info!(rules = rules.rules().len(), "rules replaced");
                self.engine.replace_rules(rules);
            }
            // The engine runs ahead of the store; if the step cannot be stored, it is undone, so
            // the same items fetched again are processed again rather than taken as seen.
            let snapshot = self.engine.state().clone();
            self.restated_chats.clear();
            // A step draws charts and writes to the store: work that blocks, kept off the
            // async workers.
            let (result, stored) = crate::blocking::off_workers(|| match batch {
                Batch::Headlines {
                    source,
                    items,
                    stored,
                } => (self.headlines(&source, items), stored),
                Batch::Bars {
                    source,
                    bars,
                    splits,
                    done,
                } => {
                    let result = self.bars(&source, bars, &splits);
                    if let Some(done) = done {
                        // Whoever waits for these bars may go on (stored or not).
                        let _ = done.send(());
                    }
                    (result, None)
                }
            });
            let kept = match result {
                Ok(()) => true,
                Err(e) if self.landed_after_all(&snapshot) => {
                    // The commit was reported failed but is stored (PostgreSQL committed as
                    // the connection dropped): undoing the step would fire its alerts again,
                    // under the same ids.
                    self.stored(self.engine.personal().changes());
                    self.sender.wake();
                    tracing::warn!(error = %e, "a pipeline step reported as failed was stored all the same; kept");
                    true
                }
                Err(e) => {
                    self.engine.restore(snapshot);
                    self.engine.personal_mut().settle(false);
                    for chat in std::mem::take(&mut self.restated_chats) {
                        self.sync_personal(chat);
                    }
                    tracing::error!(error = %e, "cannot commit a pipeline step; it will be retried with the next fetch");
                    false
                }
            };
            if let Some(stored) = stored.filter(|_| kept) {
                // A feed's conditional GET may now take its items as known.
                let _ = stored.send(());
            }
            self.tidy();
        }
        tracing::debug!("pipeline stopped");
    }

    /// Whether the step that failed changed the engine state and the store holds the changed
    /// state: its commit landed although it was reported failed. Otherwise (nothing to tell
    /// by, or the store cannot say) the step is taken as not stored.
    fn landed_after_all(&self, before: &EngineState) -> bool {
        let encode = |s: &EngineState| serde_json::to_vec(s).ok();
        let after = encode(self.engine.state());
        if after != encode(before) {
            return self
                .store
                .engine_state()
                .is_ok_and(|stored| encode(&stored) == after);
        }
        // The state as a whole did not change: the stories and pairs the step changed tell,
        // as its commit carried all of them (not those only still to be written from an
        // earlier step that was undone: the store holds them as they are now).
        let changes = self.engine.changed_in_step();
        let entries = changes
            .stories
            .iter()
            .map(|(k, v)| (false, *k, v.map(|v| serde_json::to_vec(v).ok())))
            .chain(
                changes
                    .pairs
                    .iter()
                    .map(|(k, v)| (true, *k, v.map(|v| serde_json::to_vec(v).ok()))),
            )
            .collect::<Vec<_>>();
        !entries.is_empty()
            && entries.into_iter().all(|(pair, key, value)| {
                self.store
                    .engine_entry(pair, key)
                    .is_ok_and(|stored| stored.map(Some) == value)
            })
    }

    fn headlines(&mut self, source: &str, mut items: Vec<Headline>) -> Result<(), StoreError> {
        let now = self.clock.now();
        items.sort_by_key(|h| h.published);
        let mut seen_now = HashSet::new();
        let mut keys = Vec::new();
        let mut processed = Vec::new();
        let mut outputs = Vec::new();
        let mut cited = Vec::new();
        let mut folded = 0;
        // Items seen long ago that are still in their feed: their seen time is renewed, or
        // the store would forget them after a month and an undated one (dated "now") would
        // be news again.
        let mut renewed = Vec::new();
        for h in &items {
            if h.id.is_empty() || !seen_now.insert(h.id.clone()) {
                continue;
            }
            if let Some(seen) = self.store.item_seen_at(&h.id)? {
                if now - seen > RENEW_SEEN_AFTER {
                    renewed.push(h.id.clone());
                }
                continue;
            }
            processed.push(h);
            let (out, report) = self.engine.on_headline(h, now);
            tracing::debug!(source, title = %h.title, duplicate = report.duplicate, rules = report.matched_rules.len(), "headline");
            folded += usize::from(report.duplicate);
            for &rule in &report.matched_rules {
                if let Some(rule) = self.engine.rules().rules().get(rule) {
                    crate::metrics::matched(&rule.id);
                }
            }
            if let Some(headline) = report.cited {
                cited.push((
                    h.id.clone(),
                    StoredHeadline {
                        headline,
                        symbols: report.symbols,
                    },
                ));
            }
            keys.push(h.id.clone());
            outputs.extend(out);
        }
        if keys.is_empty() && renewed.is_empty() {
            return Ok(());
        }
        if !keys.is_empty() {
            crate::metrics::judged(keys.len(), folded, 0);
            tracing::info!(source, new = keys.len(), "new headlines");
        }
        keys.extend(renewed);
        self.commit(
            now,
            keys,
            Vec::new(),
            SplitsTaken::default(),
            outputs,
            cited,
        )?;
        if let Some(r) = &mut self.recorder {
            r.append(&processed, &[], &[]);
        }
        Ok(())
    }

    fn bars(&mut self, source: &str, bars: Vec<Bar>, splits: &[Split]) -> Result<(), StoreError> {
        let now = self.clock.now();
        // The stored history before a split taken in now is restated, and the fetched bars
        // are compared with that.
        let due = self.due_splits(splits, &bars, now)?;
        let restated = self.store.restated_bars(&due)?;
        let changed = self.store.changed_bars_over(&bars, &restated)?;
        // Price levels people chose in the old shares, in the new ones, before a price is
        // judged against them.
        let levels = self.restate_personal(&due)?;
        if changed.is_empty() && due.is_empty() {
            return Ok(());
        }
        // The provider's own copy of a bar (restated by it, or news) replaces the restated one.
        let mut writes = restated.without(&changed);
        let symbols: BTreeSet<&str> = due.iter().map(|s| s.symbol.as_str()).collect();
        // For the recording: each split with the newest price of its symbol judged before it.
        let mut taken = Vec::new();
        for symbol in symbols {
            if self.recorder.is_some() {
                let after = self
                    .engine
                    .series(symbol)
                    .and_then(crate::series::Series::latest_time);
                taken.extend(due.iter().filter(|s| s.symbol == symbol).map(|s| {
                    crate::replay::RecordedSplit {
                        split: s.clone(),
                        after,
                    }
                }));
            }
            // The symbol's history as it will be stored, before the new bars are judged: the
            // first price in new shares is compared with like, not taken for a crash, a new
            // low or a surge in volume.
            let history = self
                .store
                .bars_with(symbol, writes.iter().chain(&changed))?;
            for split in due.iter().filter(|s| s.symbol == symbol) {
                tracing::info!(source, symbol, date = %split.date, ratio = split.ratio, "split: price history restated");
            }
            self.engine.reset_series(symbol, &history);
        }
        tracing::debug!(source, changed = changed.len(), "new prices");
        crate::metrics::judged(0, 0, changed.len());
        let outputs = self.engine.on_bars(&changed, now);
        let recorded = self.recorder.is_some().then(|| changed.clone());
        writes.extend(changed);
        let splits = SplitsTaken {
            splits: due,
            restated: levels,
        };
        self.commit(now, Vec::new(), writes, splits, outputs, Vec::new())?;
        if let (Some(r), Some(bars)) = (&mut self.recorder, recorded) {
            r.append(&[], &bars, &taken);
        }
        Ok(())
    }

    fn commit(
        &mut self,
        now: DateTime<Utc>,
        items: Vec<String>,
        bars: Vec<Bar>,
        SplitsTaken { splits, restated }: SplitsTaken,
        outputs: Vec<Output>,
        headlines: Vec<(String, StoredHeadline)>,
    ) -> Result<(), StoreError> {
        let notices = restated.iter().filter(|(_, n)| n.is_some()).count();
        let mut alerts: Vec<Alert> = Vec::new();
        let mut deliveries = Vec::new();
        let mut charts = Vec::new();
        let mut drawn = std::collections::HashMap::new();
        let mut digest = Vec::new();
        let mut replace = Vec::new();
        let mut new_alerts = 0;
        let rules = Arc::clone(self.engine.rules());
        for output in outputs {
            match output {
                Output::Alert(alert) => {
                    tracing::info!(rule = %alert.rule, symbol = ?alert.symbol, id = alert.id, "alert fired");
                    crate::metrics::fired(&alert.rule);
                    let rule = rules.get(&alert.rule);
                    // Whether there is a chart at all decides whether the alert goes out as
                    // photos; it is drawn only for the languages of those who get it.
                    let with_chart = self.mode == Mode::Telegram
                        && alert
                            .symbol
                            .as_deref()
                            .and_then(|s| self.engine.series(s))
                            .is_some_and(|series| {
                                chart::alert_spec(series, &alert, Lang::En).is_ok()
                            });
                    let fan_out = delivery::deliveries_for(
                        &alert,
                        rule,
                        self.mode,
                        &self.store,
                        now,
                        with_chart,
                    )?;
                    // One chart per language its receivers read (the legend is localised).
                    let langs: BTreeSet<Lang> = fan_out
                        .deliveries
                        .iter()
                        .filter(|d| d.photo)
                        .map(|d| d.lang)
                        .collect();
                    for lang in langs {
                        // Personal alerts fired by one move show the same picture: drawn
                        // once, the others refer to it.
                        let shared = crate::personal::is_personal(&alert.rule).then(|| {
                            (
                                alert.symbol.clone(),
                                lang,
                                alert.price.as_ref().map(|p| p.at),
                                alert.headline.as_ref().map(|h| h.published),
                            )
                        });
                        if let Some(first) = shared.as_ref().and_then(|k| drawn.get(k)) {
                            charts.push((alert.id, lang, Chart::SameAs(*first)));
                        } else if let Some(png) = self.chart(&alert, lang) {
                            if let Some(k) = shared {
                                drawn.insert(k, alert.id);
                            }
                            charts.push((alert.id, lang, Chart::Png(png)));
                        }
                    }
                    deliveries.extend(fan_out.deliveries);
                    digest.extend(fan_out.digest);
                    alerts.push(*alert);
                    new_alerts += 1;
                }
                Output::AlsoReported { alert, headline } => {
                    let index = match alerts.iter().position(|a| a.id == alert) {
                        Some(i) => Some(i),
                        None => self.store.alert(alert)?.map(|a| {
                            alerts.push(a);
                            alerts.len() - 1
                        }),
                    };
                    let Some(a) = index.map(|i| &mut alerts[i]) else {
                        continue;
                    };
                    if a.also.contains(&headline) {
                        continue;
                    }
                    tracing::info!(alert = a.id, source = %headline.source, "story also reported");
                    a.also.push(headline.clone());
                    // An alert fired before its rule was renamed keeps the rule's layout.
                    let template = rules.current(&a.rule).and_then(|r| r.template.as_ref());
                    let (replaced, edits) =
                        delivery::updates_for(a, &headline, template, self.mode, &self.store, now)?;
                    // A message enqueued in this very step is re-rendered in the list itself.
                    delivery::refresh_unsent(a, template, &mut deliveries, &self.store)?;
                    replace.extend(replaced);
                    new_alerts += edits.len();
                    deliveries.extend(edits);
                }
            }
        }
        let personal = self.engine.personal().changes();
        let engine = self.engine.changes();
        let committed = self.store.commit(&Step {
            now,
            items,
            bars,
            splits,
            engine: Some(engine.state),
            stories: engine.stories,
            pairs: engine.pairs,
            alerts,
            deliveries,
            replace,
            charts,
            digest,
            headlines,
            personal: personal.clone(),
            restated,
        });
        // A failed step is settled by the caller, which finds out whether it was stored.
        committed?;
        self.stored(personal);
        if new_alerts + notices > 0 {
            self.sender.wake();
        }
        Ok(())
    }

    /// After a step is stored, with the personal alerts' changes it stored: the book takes
    /// them as settled, and the symbols on demand let go of what a one-shot alert that fired
    /// was the last to refer to.
    fn stored(&mut self, personal: Vec<(Key, Option<PersonalState>)>) {
        self.engine.settle(true);
        self.engine.personal_mut().settle(true);
        if let Some(demand) = &self.demand {
            let spent: BTreeSet<i64> = personal
                .iter()
                .filter(|(_, state)| state.is_none())
                .map(|(key, _)| key.chat)
                .collect();
            for chat in spent {
                if let Err(e) = demand.sync_chat(chat) {
                    tracing::warn!(chat, error = %e, "cannot update the symbols on demand");
                }
            }
        }
    }

    /// The chart of an alert's move, when its symbol has prices (a failure only costs the
    /// picture: the alert goes out as text).
    fn chart(&self, alert: &Alert, lang: Lang) -> Option<Vec<u8>> {
        let series = self.engine.series(alert.symbol.as_deref()?)?;
        match chart::for_alert(series, alert, lang) {
            Ok(png) => Some(png),
            Err(e) => {
                tracing::debug!(alert = alert.id, error = %e, "no chart for the alert");
                None
            }
        }
    }

    fn tidy(&mut self) {
        let now = self.clock.now();
        if self
            .last_tidy
            .is_some_and(|t| (now - t).to_std().unwrap_or_default() < TIDY_EVERY)
        {
            return;
        }
        self.last_tidy = Some(now);
        self.engine.tidy(now);
        // Whole-tree scans: off the pipeline's task, so batches keep flowing meanwhile (what
        // is pruned is older than anything a batch writes).
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || match store.prune(now) {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "pruned old items and bars"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the store"),
        });
    }
}
