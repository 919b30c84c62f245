//! The state: chats and subscriptions, seen feed items, recent bars, the alert log, the
//! engine's correlation state (cooldowns included), the delivery outbox and more.
//!
//! Nothing else in marketbot names the storage engine or touches raw bytes: this module owns
//! the key layouts and value encodings (documented in ARCHITECTURE.md) and offers typed
//! methods. It keeps them through one key-value interface ([`kv::Backend`]) with two
//! implementations: sled, embedded, for one process ([`embedded`]), and PostgreSQL, shared by
//! several instances ([`postgres`]); the layouts live above it, so both hold the same bytes.
//! Values are JSON (tolerant of added fields); keys are big-endian integers or UTF-8 so that
//! byte order is the natural order. A value that no longer decodes is logged and skipped,
//! never a crash.

mod access;
mod bars;
mod charts;
mod chats;
mod copy;
mod digest;
mod embedded;
mod engine;
mod headlines;
pub mod kv;
mod outbox;
mod personal;
mod postgres;
mod sent;
mod symbols;
mod updates;

pub use bars::Restated;
pub use chats::{Migration, Renumbered, RuleFollowers};
pub use copy::{Copied, CopyError};
pub use updates::TakeIn;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use kv::{Backend, Entry, Order, Range, Transaction, Tree, TxError};

use crate::chats::Chat;
use crate::delivery::outbox::Delivery;
use crate::engine::{Alert, AlertId, EngineState, PairState, StoryState};
use crate::model::{Bar, Split, StoredHeadline};
use crate::personal::{Key, PersonalAlert, PersonalState, Restatement};
use crate::sources::SourceHealth;

/// Log directives that quiet the storage engines' own chatter (added to the default filter).
pub const QUIET_LOGS: &str = "sled=warn,tokio_postgres=warn";

/// Layout version written to the `meta` tree; bump it with a migration when keys change.
/// 2: personal alerts are stored as their normal form (no compiled rule), with their state
/// in `personal_state`.
/// 3: `received` indexes the alerts each chat received (filled from `sent` on upgrade).
const SCHEMA_VERSION: u32 = 3;

/// A storage failure, with what was being done. What the storage engine said is its source;
/// callers see an error, not the engine.
#[derive(Debug, thiserror::Error)]
#[error("storage: {action}: {source}")]
pub struct StoreError {
    /// What the store was doing.
    pub action: String,
    /// What the storage engine said.
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    fn new(
        action: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> StoreError {
        StoreError {
            action: action.into(),
            source: source.into(),
        }
    }
}

fn ctx(action: impl Into<String>) -> impl FnOnce(kv::BackendError) -> StoreError {
    let action = action.into();
    move |source| StoreError::new(action, source)
}

/// A feed item seen before, so re-fetching a feed never re-processes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeenItem {
    /// When the pipeline processed it, or last found it still in its feed (refreshed now and
    /// then, so an item that stays in a feed is never forgotten and taken for news again).
    pub seen: DateTime<Utc>,
}

/// An alert's chart: its own picture, or the one another alert of the same step drew.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// The PNG.
    Png(Vec<u8>),
    /// The same picture as this alert's.
    SameAs(AlertId),
}

/// Everything one pipeline step changes, committed atomically: a crash leaves either all of
/// it or none (so an alert is never recorded without its deliveries, nor engine state that
/// says "fired" without the alert).
#[derive(Default)]
pub struct Step<'a> {
    /// Processing time of the step.
    pub now: DateTime<Utc>,
    /// Feed items now processed.
    pub items: Vec<String>,
    /// Bars new or changed (restated for a split, too).
    pub bars: Vec<Bar>,
    /// Splits the bars have now been restated for.
    pub splits: Vec<Split>,
    /// The engine's state after the step (besides its pairs and stories).
    pub engine: Option<&'a EngineState>,
    /// Stories the engine remembered, changed or forgot (`None`) in the step.
    pub stories: Vec<(&'a str, Option<&'a StoryState>)>,
    /// The engine's correlation state changed or dropped (`None`) in the step, by
    /// [`crate::engine::pair_key`].
    pub pairs: Vec<(&'a str, Option<&'a PairState>)>,
    /// Alerts fired or updated (later copies of their story).
    pub alerts: Vec<Alert>,
    /// Messages to send.
    pub deliveries: Vec<Delivery>,
    /// Pending messages re-rendered (their alert changed before they went out): by sequence
    /// number, the message as read with its new text. One sent meanwhile is edited instead.
    pub replace: Vec<(u64, Delivery)>,
    /// Charts of new alerts, per language of their labels.
    pub charts: Vec<(AlertId, crate::text::Lang, Chart)>,
    /// Alerts waiting for chats' digests: (chat, alert).
    pub digest: Vec<(i64, AlertId)>,
    /// New headlines, for `/news`: (item key, headline).
    pub headlines: Vec<(String, StoredHeadline)>,
    /// Personal alerts' new states; `None` for a one-shot alert that fired (it goes).
    pub personal: Vec<(Key, Option<PersonalState>)>,
    /// Personal alerts' levels restated for a split, each with the message that tells its
    /// chat: both stored only if the alert's spec is still the one restated.
    pub restated: Vec<(Restatement, Option<Delivery>)>,
}

/// The store: typed access to the state, kept by a [`Backend`] (sled or PostgreSQL).
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    /// Held while a group is moved to the supergroup it became (`migrate_chat`).
    migrating: Arc<std::sync::Mutex<()>>,
    /// The outbox entries the last full read of the outbox found not to decode: each is
    /// reported once, not at every read (the sender reads the outbox every few seconds).
    undecodable: Arc<std::sync::Mutex<std::collections::BTreeSet<u64>>>,
}

/// Entries read from a backend per request when a scan walks a whole range.
const PAGE: usize = 256;

/// The entries of a range, read a page at a time: walking every chat never holds them all,
/// and a backend across the network answers in few round trips.
pub(crate) struct Entries {
    backend: Arc<dyn Backend>,
    tree: Tree,
    range: Range,
    order: Order,
    page: std::collections::VecDeque<Entry>,
    done: bool,
    action: &'static str,
}

impl Iterator for Entries {
    type Item = Result<Entry, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            match self.backend.scan(self.tree, &self.range, self.order, PAGE) {
                Ok(page) => {
                    self.done = page.len() < PAGE;
                    // The next page starts past the last key of this one.
                    if let Some((last, _)) = page.last() {
                        match self.order {
                            Order::Ascending => {
                                let mut next = last.clone();
                                next.push(0);
                                self.range.start = next;
                            }
                            Order::Descending => self.range.end = Some(last.clone()),
                        }
                    }
                    self.page = page.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(StoreError::new(self.action, e)));
                }
            }
        }
        self.page.pop_front().map(Ok)
    }
}

impl Store {
    /// Opens (or creates) the embedded database in `path` with a page cache of
    /// `cache_bytes`.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        let backend = embedded::Sled::open(path, cache_bytes)
            .map_err(|e| StoreError::new("opening the store", e))?;
        Store::with_backend(Arc::new(backend))
    }

    /// Opens the store kept in PostgreSQL at `url` (tables in `schema`, default `public`),
    /// applying its migrations first.
    pub fn open_postgres(url: &str, schema: Option<&str>) -> Result<Store, StoreError> {
        let backend = postgres::Postgres::connect(url, schema)
            .map_err(|e| StoreError::new("opening the PostgreSQL store", e))?;
        Store::with_backend(Arc::new(backend))
    }

    /// Opens the store kept by `backend`, upgrading its layout if it is older.
    pub fn with_backend(backend: Arc<dyn Backend>) -> Result<Store, StoreError> {
        let store = Store {
            backend,
            migrating: Arc::default(),
            undecodable: Arc::default(),
        };
        match store
            .backend
            .get(Tree::Meta, b"schema")
            .map_err(ctx("reading schema version"))?
        {
            None => {
                store
                    .backend
                    .insert(Tree::Meta, b"schema", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(ctx("writing schema version"))?;
            }
            Some(v) if v == SCHEMA_VERSION.to_be_bytes() => {}
            Some(v) if v == 1u32.to_be_bytes() || v == 2u32.to_be_bytes() => {
                if v == 1u32.to_be_bytes() {
                    let n = store.migrate_personal()?;
                    tracing::info!(
                        changed = n,
                        "storage upgraded to layout 2 (personal alerts as data)"
                    );
                }
                let n = store.index_received()?;
                tracing::info!(
                    alerts = n,
                    "storage upgraded to layout 3 (each chat's received alerts indexed)"
                );
                store
                    .backend
                    .insert(Tree::Meta, b"schema", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(ctx("writing schema version"))?;
                store.flush()?;
            }
            Some(v) => {
                tracing::warn!(found = ?v, expected = SCHEMA_VERSION, "storage layout version differs; reading it anyway");
            }
        }
        Ok(store)
    }

    /// What keeps the state ("sled /data", "postgres …"), for logs and `/status`.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// Whether several instances may share this store (PostgreSQL), rather than one process
    /// owning it (sled).
    pub fn is_shared(&self) -> bool {
        self.backend.shared()
    }

    /// The backend, for leadership (see [`crate::leader`]) and `migrate`.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    fn get(
        &self,
        tree: Tree,
        key: &[u8],
        action: &'static str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.backend.get(tree, key).map_err(ctx(action))
    }

    /// The value of `key`, decoded (one that does not decode is logged and taken as absent).
    fn get_as<T: DeserializeOwned>(
        &self,
        tree: Tree,
        key: &[u8],
        what: &'static str,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .backend
            .get(tree, key)
            .map_err(|e| StoreError::new(format!("reading a {what}"), e))?
            .and_then(|v| decode(&v, what)))
    }

    fn put(
        &self,
        tree: Tree,
        key: &[u8],
        value: &[u8],
        action: &'static str,
    ) -> Result<(), StoreError> {
        self.backend.insert(tree, key, value).map_err(ctx(action))
    }

    fn delete(&self, tree: Tree, key: &[u8], action: &'static str) -> Result<bool, StoreError> {
        self.backend.remove(tree, key).map_err(ctx(action))
    }

    fn contains(&self, tree: Tree, key: &[u8], action: &'static str) -> Result<bool, StoreError> {
        Ok(self.get(tree, key, action)?.is_some())
    }

    /// The entries of `range` in `tree`, in key order.
    fn entries(&self, tree: Tree, range: Range, action: &'static str) -> Entries {
        self.entries_in(tree, range, Order::Ascending, action)
    }

    fn entries_in(&self, tree: Tree, range: Range, order: Order, action: &'static str) -> Entries {
        Entries {
            backend: Arc::clone(&self.backend),
            tree,
            range,
            order,
            page: Default::default(),
            done: false,
            action,
        }
    }

    /// Every value of `range` in `tree` that decodes, in key order.
    fn values<T: DeserializeOwned>(
        &self,
        tree: Tree,
        range: Range,
        what: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for entry in self.entries(tree, range, "reading the store") {
            let (_, v) = entry?;
            if let Some(x) = decode(&v, what) {
                out.push(x);
            }
        }
        Ok(out)
    }

    /// Changes `key` by `change` (given the current value, the new one or `None` to leave it
    /// unchanged), atomically: a concurrent change makes it read and change again. The value
    /// as written, if it wrote.
    fn update(
        &self,
        tree: Tree,
        key: &[u8],
        action: &'static str,
        change: impl Fn(Option<&[u8]>) -> Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        loop {
            let old = self.get(tree, key, action)?;
            let Some(new) = change(old.as_deref()) else {
                return Ok(None);
            };
            if self
                .backend
                .compare_and_swap(tree, key, old.as_deref(), Some(&new))
                .map_err(ctx(action))?
            {
                return Ok(Some(new));
            }
        }
    }

    /// Runs `body` as one transaction over `trees` and returns what its last run returned.
    fn transact<R>(
        &self,
        trees: &[Tree],
        action: &'static str,
        mut body: impl FnMut(&mut dyn Transaction) -> Result<R, TxError>,
    ) -> Result<R, StoreError> {
        let mut out = None;
        self.backend
            .transaction(trees, &mut |tx| {
                out = Some(body(tx)?);
                Ok(())
            })
            .map_err(ctx(action))?;
        Ok(out.expect("a committed transaction ran its body"))
    }

    /// Whether the store answers (one small read), for readiness checks.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.get(Tree::Meta, b"schema", "reading schema version")
            .map(|_| ())
    }

    /// What the store holds, counted (a scan of chats and personal alerts: call now and then,
    /// not per request).
    pub fn holdings(&self) -> Result<crate::metrics::Holdings, StoreError> {
        let mut h = crate::metrics::Holdings {
            personal_alerts: self
                .backend
                .len(Tree::Personal)
                .map_err(ctx("counting personal alerts"))?,
            store_bytes: self
                .backend
                .size_on_disk()
                .map_err(ctx("measuring the store"))?,
            ..Default::default()
        };
        /// Only what is counted: the rest of a chat's record is skipped, not decoded.
        #[derive(Deserialize)]
        struct Counted {
            active: bool,
            #[serde(default)]
            rules: Vec<serde::de::IgnoredAny>,
        }
        for entry in self.entries(Tree::Chats, Range::all(), "counting chats") {
            let (_, v) = entry?;
            if let Ok(chat) = serde_json::from_slice::<Counted>(&v)
                && chat.active
            {
                h.chats += 1;
                h.subscriptions += chat.rules.len() as u64;
            }
        }
        Ok(h)
    }

    /// Writes everything to disk and waits for it (call on shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.backend.flush().map_err(ctx("flushing"))
    }

    /// Commits one pipeline step atomically.
    pub fn commit(&self, step: &Step<'_>) -> Result<(), StoreError> {
        let items: Vec<(Vec<u8>, Vec<u8>)> = step
            .items
            .iter()
            .map(|k| (k.as_bytes().to_vec(), encode(&SeenItem { seen: step.now })))
            .collect();
        let bars: Vec<(Vec<u8>, Vec<u8>)> = step
            .bars
            .iter()
            .map(|b| (bars::key(b), encode(b)))
            .collect();
        let splits: Vec<(Vec<u8>, Vec<u8>)> = step
            .splits
            .iter()
            .map(|s| (bars::split_key(s), encode(s)))
            .collect();
        let engine = step.engine.map(encode);
        let stories: Vec<(&[u8], Option<Vec<u8>>)> = step
            .stories
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.map(encode)))
            .collect();
        let pairs: Vec<(&[u8], Option<Vec<u8>>)> = step
            .pairs
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.map(encode)))
            .collect();
        let alerts: Vec<(Vec<u8>, Vec<u8>)> = step
            .alerts
            .iter()
            .map(|a| (a.id.to_be_bytes().to_vec(), encode(a)))
            .collect();
        let deliveries: Vec<Vec<u8>> = step.deliveries.iter().map(encode).collect();
        let charts: Vec<(Vec<u8>, Vec<u8>)> = step
            .charts
            .iter()
            .map(|(id, lang, chart)| {
                let value = match chart {
                    Chart::Png(png) => png.clone(),
                    Chart::SameAs(other) => charts::same_as(*other),
                };
                (charts::key(*id, *lang), value)
            })
            .collect();
        let digest: Vec<Vec<u8>> = step
            .digest
            .iter()
            .map(|(chat, alert)| digest_key(*chat, *alert))
            .collect();
        let headlines: Vec<(Vec<u8>, Vec<u8>)> = step
            .headlines
            .iter()
            .map(|(id, h)| (headlines::key(h.headline.published, id), encode(h)))
            .collect();
        let personal: Vec<(Vec<u8>, Option<Vec<u8>>)> = step
            .personal
            .iter()
            .map(|(k, state)| (personal::state_key(*k), state.as_ref().map(encode)))
            .collect();
        let restated: Vec<(Vec<u8>, Option<Vec<u8>>)> = step
            .restated
            .iter()
            .map(|(r, notice)| {
                (
                    personal::state_key(r.before.key()),
                    notice.as_ref().map(encode),
                )
            })
            .collect();
        self.transact(
            &[
                Tree::Items,
                Tree::Bars,
                Tree::Splits,
                Tree::Engine,
                Tree::Stories,
                Tree::Pairs,
                Tree::Alerts,
                Tree::Outbox,
                Tree::Charts,
                Tree::Digest,
                Tree::Headlines,
                Tree::Personal,
                Tree::PersonalState,
                Tree::Chats,
                Tree::Sent,
            ],
            "committing a pipeline step",
            |tx| {
                for (k, v) in &items {
                    tx.insert(Tree::Items, k, v)?;
                }
                for (k, v) in &bars {
                    tx.insert(Tree::Bars, k, v)?;
                }
                for (k, v) in &splits {
                    tx.insert(Tree::Splits, k, v)?;
                }
                if let Some(state) = &engine {
                    tx.insert(Tree::Engine, b"state", state)?;
                }
                for (tree, changes) in [(Tree::Stories, &stories), (Tree::Pairs, &pairs)] {
                    for (k, v) in changes {
                        match v {
                            Some(v) => tx.insert(tree, k, v)?,
                            None => {
                                tx.remove(tree, k)?;
                            }
                        }
                    }
                }
                for (k, v) in &alerts {
                    tx.insert(Tree::Alerts, k, v)?;
                }
                for (seq, changed) in &step.replace {
                    outbox::rerendered(tx, *seq, changed, step.now)?;
                }
                // The notices of restated alerts first: an alert that fires at a restated level
                // in this step goes out after the message that explains the level.
                for ((k, notice), (r, _)) in restated.iter().zip(&step.restated) {
                    // Not over a change its chat made since it was read.
                    let Some(mut stored) = tx
                        .get(Tree::Personal, k)?
                        .and_then(|v| decode::<PersonalAlert>(&v, "personal alert"))
                        .filter(|a| a.spec == r.before.spec)
                    else {
                        continue;
                    };
                    stored.spec.clone_from(&r.after.spec);
                    tx.insert(Tree::Personal, k, &encode(&stored))?;
                    // A one-shot alert this step spends does not keep watching.
                    let spent = step
                        .personal
                        .iter()
                        .any(|(key, state)| *key == r.before.key() && state.is_none());
                    if let Some(notice) = notice.as_ref().filter(|_| !spent) {
                        let seq = tx.generate_id()?;
                        tx.insert(Tree::Outbox, &seq.to_be_bytes(), notice)?;
                    }
                }
                for d in &deliveries {
                    let seq = tx.generate_id()?;
                    tx.insert(Tree::Outbox, &seq.to_be_bytes(), d)?;
                }
                for (k, v) in &charts {
                    tx.insert(Tree::Charts, k, v)?;
                }
                for k in &digest {
                    tx.insert(Tree::Digest, k, &[])?;
                }
                for (k, v) in &headlines {
                    tx.insert(Tree::Headlines, k, v)?;
                }
                for ((k, state), (key, _)) in personal.iter().zip(&step.personal) {
                    match state {
                        // Only while the alert exists: one deleted meanwhile stays gone.
                        Some(v) => {
                            if tx.get(Tree::Personal, k)?.is_some() {
                                tx.insert(Tree::PersonalState, k, v)?;
                            }
                        }
                        // A one-shot alert that fired goes with its state and the chat's
                        // subscription to it.
                        None => {
                            tx.remove(Tree::Personal, k)?;
                            tx.remove(Tree::PersonalState, k)?;
                            personal::forget_rule(tx, key.chat, &key.rule_id())?;
                        }
                    }
                }
                Ok(())
            },
        )
    }

    /// When a feed item was last marked seen (`None`: never, or forgotten).
    pub fn item_seen_at(&self, key: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .get_as::<SeenItem>(Tree::Items, key.as_bytes(), "seen item")?
            .map(|s| s.seen))
    }

    /// An alert from the log.
    pub fn alert(&self, id: AlertId) -> Result<Option<Alert>, StoreError> {
        self.get_as(Tree::Alerts, &id.to_be_bytes(), "alert")
    }

    /// Whether a record of alert `id` is stored, readable or not.
    pub fn holds_alert(&self, id: AlertId) -> Result<bool, StoreError> {
        self.contains(Tree::Alerts, &id.to_be_bytes(), "reading an alert")
    }

    /// Alerts fired at or after `since`, oldest first.
    pub fn alerts_since(&self, since: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        let mut out = Vec::new();
        for entry in self.entries_in(
            Tree::Alerts,
            Range::all(),
            Order::Descending,
            "reading alerts",
        ) {
            let (_, v) = entry?;
            match decode::<Alert>(&v, "alert") {
                Some(a) if a.fired_at >= since => out.push(a),
                Some(_) => break,
                None => {}
            }
        }
        out.reverse();
        Ok(out)
    }

    /// Saves a source's health.
    pub fn put_source_health(&self, name: &str, health: &SourceHealth) -> Result<(), StoreError> {
        self.put(
            Tree::Sources,
            name.as_bytes(),
            &encode(health),
            "writing source health",
        )
    }

    /// A source's health, if it ever ran.
    pub fn source_health(&self, name: &str) -> Result<Option<SourceHealth>, StoreError> {
        self.get_as(Tree::Sources, name.as_bytes(), "source health")
    }

    /// Every source's health, by name.
    pub fn sources_health(&self) -> Result<Vec<(String, SourceHealth)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.entries(Tree::Sources, Range::all(), "reading source health") {
            let (k, v) = entry?;
            if let Some(h) = decode(&v, "source health") {
                out.push((String::from_utf8_lossy(&k).into_owned(), h));
            }
        }
        Ok(out)
    }

    /// Forgets seen items and bars older than what can matter (sled never shrinks by itself).
    pub fn prune(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut removed = 0;
        let item_horizon = now - chrono::TimeDelta::days(30);
        for entry in self.entries(Tree::Items, Range::all(), "pruning items") {
            let (k, v) = entry?;
            if decode::<SeenItem>(&v, "seen item").is_none_or(|s| s.seen < item_horizon) {
                self.delete(Tree::Items, &k, "pruning items")?;
                removed += 1;
            }
        }
        removed += self.prune_bars(now)?;
        removed += self.prune_splits(now)?;
        removed += self.prune_headlines(now)?;
        removed += self.prune_charts(now)?;
        removed += self.prune_sent(now)?;
        removed += self.prune_symbol_checks(now - chrono::TimeDelta::days(7))?;
        Ok(removed)
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("stored types always serialise")
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Option<T> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::error!(error = %e, "skipping a stored {what} that does not decode");
            None
        }
    }
}

/// Chat ids are signed; flipping the sign bit makes their big-endian bytes sort numerically.
fn chat_key(id: i64) -> [u8; 8] {
    ((id as u64) ^ (1 << 63)).to_be_bytes()
}

fn chat_from_key(key: [u8; 8]) -> i64 {
    (u64::from_be_bytes(key) ^ (1 << 63)) as i64
}

fn digest_key(chat: i64, alert: AlertId) -> Vec<u8> {
    let mut k = chat_key(chat).to_vec();
    k.extend_from_slice(&alert.to_be_bytes());
    k
}

fn sent_key(alert: AlertId, chat: i64) -> Vec<u8> {
    let mut k = alert.to_be_bytes().to_vec();
    k.extend_from_slice(&chat_key(chat));
    k
}

#[cfg(test)]
mod tests;
