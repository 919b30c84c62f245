//! State in sled: chats and subscriptions, seen feed items, recent bars, the alert log, the
//! engine's correlation state (cooldowns included) and the delivery outbox.
//!
//! Nothing else in marketbot touches sled or raw bytes: this module owns the key layouts and
//! value encodings (documented in ARCHITECTURE.md) and offers typed methods. Values are JSON
//! (readable with `sled` tooling, tolerant of added fields); keys are big-endian integers or
//! UTF-8 so that sled's byte order is the natural order. A value that no longer decodes is
//! logged and skipped, never a crash.

mod access;
mod charts;
mod chats;
mod digest;
mod headlines;
mod outbox;
mod personal;
mod symbols;
mod updates;

pub use updates::TakeIn;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::chats::Chat;
use crate::delivery::outbox::Delivery;
use crate::engine::{Alert, AlertId, EngineState};
use crate::model::{Bar, StoredHeadline};
use crate::personal::{Key, PersonalState};
use crate::sources::SourceHealth;

/// Layout version written to the `meta` tree; bump it with a migration when keys change.
/// 2: personal alerts are stored as their normal form (no compiled rule), with their state
/// in `personal_state`.
const SCHEMA_VERSION: u32 = 2;

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

fn ctx(action: impl Into<String>) -> impl FnOnce(sled::Error) -> StoreError {
    let action = action.into();
    move |source| StoreError::new(action, source)
}

/// A feed item seen before, so re-fetching a feed never re-processes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeenItem {
    /// When the pipeline first processed it.
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
    /// Bars new or changed.
    pub bars: Vec<Bar>,
    /// The engine's state after the step.
    pub engine: Option<&'a EngineState>,
    /// Alerts fired or updated (later copies of their story).
    pub alerts: Vec<Alert>,
    /// Messages to send.
    pub deliveries: Vec<Delivery>,
    /// New texts of pending messages (their alert changed before they went out), by
    /// sequence number.
    pub replace: Vec<(u64, String)>,
    /// Charts of new alerts, per language of their labels.
    pub charts: Vec<(AlertId, crate::text::Lang, Chart)>,
    /// Alerts waiting for chats' digests: (chat, alert).
    pub digest: Vec<(i64, AlertId)>,
    /// New headlines, for `/news`: (item key, headline).
    pub headlines: Vec<(String, StoredHeadline)>,
    /// Personal alerts' new states; `None` for a one-shot alert that fired (it goes).
    pub personal: Vec<(Key, Option<PersonalState>)>,
}

/// The sled database and its trees.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// `schema` → layout version.
    meta: sled::Tree,
    /// chat id → [`Chat`].
    chats: sled::Tree,
    /// feed item key → [`SeenItem`].
    items: sled::Tree,
    /// symbol, interval, time → [`Bar`].
    bars: sled::Tree,
    /// alert id → [`Alert`]: the alert log.
    alerts: sled::Tree,
    /// `state` → [`EngineState`].
    engine: sled::Tree,
    /// sequence number → [`Delivery`]: messages not yet accepted by their sink.
    outbox: sled::Tree,
    /// alert id, chat id → Telegram message id of the alert as sent.
    sent: sled::Tree,
    /// source name → [`SourceHealth`].
    sources: sled::Tree,
    /// chat id, number → [`crate::personal::PersonalAlert`].
    personal: sled::Tree,
    /// chat id, number → [`PersonalState`] (cooldown, waiting headline).
    personal_state: sled::Tree,
    /// symbol → what the quote provider said about it (symbols on demand).
    symbols: sled::Tree,
    /// published (i64 BE), item key → [`StoredHeadline`]: recent headlines for `/news`.
    headlines: sled::Tree,
    /// alert id, language → chart PNG; + `/file` → its Telegram file id.
    charts: sled::Tree,
    /// chat id, alert id → nothing: alerts waiting for a chat's digest.
    digest: sled::Tree,
    /// chat id → [`crate::telegram::gate::Admission`]: the admins' decisions (allowlist).
    access: sled::Tree,
    /// update id (i64 BE) → `UpdateRecord` {seen, run, taken}: webhook deliveries handled once.
    updates: sled::Tree,
}

/// How long [`Store::open`] waits for the directory's lock to be released.
///
/// sled releases its file lock on a background thread after the last handle is dropped, so
/// opening a directory right after closing it (a restart in the same process) can find the
/// lock still held for a moment. Another process holding it is still refused after this.
const LOCK_WAIT: Duration = Duration::from_secs(3);

fn open_waiting_for_lock(config: &sled::Config) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            // sled 0.34 reports a held lock as `Other` with the OS error in the message.
            Err(sled::Error::Io(e))
                if e.to_string().starts_with("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

impl Store {
    /// Opens (or creates) the database in `path` with a page cache of `cache_bytes`.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        std::fs::create_dir_all(path)
            .map_err(|e| StoreError::new(format!("creating {}", path.display()), e))?;
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::LowSpace);
        let db = open_waiting_for_lock(&config).map_err(ctx(format!(
            "opening {} (is another marketbot using this directory?)",
            path.display()
        )))?;
        let tree = |name: &str| {
            db.open_tree(name)
                .map_err(ctx(format!("opening tree {name}")))
        };
        let store = Store {
            meta: tree("meta")?,
            chats: tree("chats")?,
            items: tree("items")?,
            bars: tree("bars")?,
            alerts: tree("alerts")?,
            engine: tree("engine")?,
            outbox: tree("outbox")?,
            sent: tree("sent")?,
            sources: tree("sources")?,
            personal: tree("personal")?,
            personal_state: tree("personal_state")?,
            symbols: tree("symbols")?,
            headlines: tree("headlines")?,
            charts: tree("charts")?,
            digest: tree("digest")?,
            access: tree("access")?,
            updates: tree("updates")?,
            db,
        };
        match store
            .meta
            .get("schema")
            .map_err(ctx("reading schema version"))?
        {
            None => {
                store
                    .meta
                    .insert("schema", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(ctx("writing schema version"))?;
            }
            Some(v) if v.as_ref() == SCHEMA_VERSION.to_be_bytes() => {}
            Some(v) if v.as_ref() == 1u32.to_be_bytes() => {
                let n = store.migrate_personal()?;
                tracing::info!(
                    changed = n,
                    "storage upgraded to layout 2 (personal alerts as data)"
                );
                store
                    .meta
                    .insert("schema", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(ctx("writing schema version"))?;
                store.meta.flush().map_err(ctx("flushing schema version"))?;
            }
            Some(v) => {
                tracing::warn!(found = ?v.as_ref(), expected = SCHEMA_VERSION, "storage layout version differs; reading it anyway");
            }
        }
        Ok(store)
    }

    /// Whether the store answers (one small read), for readiness checks.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.meta
            .get("schema")
            .map(|_| ())
            .map_err(ctx("reading schema version"))
    }

    /// What the store holds, counted (a scan of chats and personal alerts: call now and then,
    /// not per request).
    pub fn holdings(&self) -> Result<crate::metrics::Holdings, StoreError> {
        let mut h = crate::metrics::Holdings {
            personal_alerts: self.personal.len() as u64,
            store_bytes: self.db.size_on_disk().map_err(ctx("measuring the store"))?,
            ..Default::default()
        };
        /// Only what is counted: the rest of a chat's record is skipped, not decoded.
        #[derive(Deserialize)]
        struct Counted {
            active: bool,
            #[serde(default)]
            rules: Vec<serde::de::IgnoredAny>,
        }
        for entry in self.chats.iter() {
            let (_, v) = entry.map_err(ctx("counting chats"))?;
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
        self.db.flush().map(|_| ()).map_err(ctx("flushing"))
    }

    /// Commits one pipeline step atomically.
    pub fn commit(&self, step: &Step<'_>) -> Result<(), StoreError> {
        let items: Vec<(Vec<u8>, Vec<u8>)> = step
            .items
            .iter()
            .map(|k| (k.as_bytes().to_vec(), encode(&SeenItem { seen: step.now })))
            .collect();
        let bars: Vec<(Vec<u8>, Vec<u8>)> =
            step.bars.iter().map(|b| (bar_key(b), encode(b))).collect();
        let engine = step.engine.map(encode);
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
        let result: Result<(), TransactionError<()>> = (
            &self.items,
            &self.bars,
            &self.engine,
            &self.alerts,
            &self.outbox,
            &self.charts,
            &self.digest,
            &self.headlines,
            &self.personal,
            &self.personal_state,
            &self.chats,
        )
            .transaction(
                |(
                    t_items,
                    t_bars,
                    t_engine,
                    t_alerts,
                    t_outbox,
                    t_charts,
                    t_digest,
                    t_headlines,
                    t_personal,
                    t_personal_state,
                    t_chats,
                )| {
                    for (k, v) in &items {
                        t_items.insert(k.as_slice(), v.as_slice())?;
                    }
                    for (k, v) in &bars {
                        t_bars.insert(k.as_slice(), v.as_slice())?;
                    }
                    if let Some(state) = &engine {
                        t_engine.insert("state", state.as_slice())?;
                    }
                    for (k, v) in &alerts {
                        t_alerts.insert(k.as_slice(), v.as_slice())?;
                    }
                    for (seq, text) in &step.replace {
                        // Only if still pending (the sender may have sent it meanwhile), and
                        // only the text: the sender's changes (retry time, attempts, a
                        // migrated target) stay.
                        if let Some(mut d) = t_outbox
                            .get(seq.to_be_bytes())?
                            .and_then(|v| decode::<Delivery>(&v, "delivery"))
                        {
                            d.text = text.clone();
                            t_outbox.insert(&seq.to_be_bytes(), encode(&d))?;
                        }
                    }
                    for d in &deliveries {
                        let seq = t_outbox.generate_id()?;
                        t_outbox.insert(&seq.to_be_bytes(), d.as_slice())?;
                    }
                    for (k, v) in &charts {
                        t_charts.insert(k.as_slice(), v.as_slice())?;
                    }
                    for k in &digest {
                        t_digest.insert(k.as_slice(), &[] as &[u8])?;
                    }
                    for (k, v) in &headlines {
                        t_headlines.insert(k.as_slice(), v.as_slice())?;
                    }
                    for ((k, state), (key, _)) in personal.iter().zip(&step.personal) {
                        match state {
                            // Only while the alert exists: one deleted meanwhile stays gone.
                            Some(v) => {
                                if t_personal.get(k.as_slice())?.is_some() {
                                    t_personal_state.insert(k.as_slice(), v.as_slice())?;
                                }
                            }
                            // A one-shot alert that fired goes with its state and the
                            // chat's subscription to it.
                            None => {
                                t_personal.remove(k.as_slice())?;
                                t_personal_state.remove(k.as_slice())?;
                                personal::forget_rule(t_chats, key.chat, &key.rule_id())?;
                            }
                        }
                    }
                    Ok::<(), ConflictableTransactionError<()>>(())
                },
            );
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Storage(e)) => {
                Err(StoreError::new("committing a pipeline step", e))
            }
            Err(TransactionError::Abort(())) => unreachable!("the step transaction never aborts"),
        }
    }

    /// Whether a feed item was processed before.
    pub fn item_seen(&self, key: &str) -> Result<bool, StoreError> {
        self.items
            .contains_key(key.as_bytes())
            .map_err(ctx("reading seen items"))
    }

    /// Of `bars`, those that are new or add to what is stored (a forming bar fetched again
    /// unchanged is not news). A bar that only repeats part of a stored one — the previous
    /// close from a day chart, after the full daily bar from the history — is merged into it:
    /// values it lacks are kept, so the two never overwrite each other in turn.
    pub fn changed_bars(&self, bars: &[Bar]) -> Result<Vec<Bar>, StoreError> {
        let mut out = Vec::new();
        for bar in bars {
            let stored = self.bars.get(bar_key(bar)).map_err(ctx("reading bars"))?;
            match stored.and_then(|v| decode::<Bar>(&v, "bar")) {
                Some(old) => {
                    let merged = Bar {
                        open: bar.open.or(old.open),
                        high: bar.high.or(old.high),
                        low: bar.low.or(old.low),
                        close: bar.close.or(old.close),
                        volume: bar.volume.or(old.volume),
                        session: bar.session.or(old.session),
                        ..bar.clone()
                    };
                    if merged != old {
                        out.push(merged);
                    }
                }
                None => out.push(bar.clone()),
            }
        }
        Ok(out)
    }

    /// Every stored bar, oldest first per symbol (restores the engine's price series).
    pub fn bars(&self) -> Result<Vec<Bar>, StoreError> {
        let mut out: Vec<Bar> = Vec::new();
        for entry in self.bars.iter() {
            let (_, v) = entry.map_err(ctx("reading bars"))?;
            if let Some(b) = decode(&v, "bar") {
                out.push(b);
            }
        }
        out.sort_by_key(|b| b.time);
        Ok(out)
    }

    /// The stored bars of one symbol, oldest first.
    pub fn bars_of(&self, symbol: &str) -> Result<Vec<Bar>, StoreError> {
        let mut prefix = symbol.as_bytes().to_vec();
        prefix.push(0);
        let mut out: Vec<Bar> = Vec::new();
        for entry in self.bars.scan_prefix(prefix) {
            let (_, v) = entry.map_err(ctx("reading bars"))?;
            if let Some(b) = decode(&v, "bar") {
                out.push(b);
            }
        }
        out.sort_by_key(|b| b.time);
        Ok(out)
    }

    /// The engine state saved by the last step.
    pub fn engine_state(&self) -> Result<EngineState, StoreError> {
        Ok(self
            .engine
            .get("state")
            .map_err(ctx("reading engine state"))?
            .and_then(|v| decode(&v, "engine state"))
            .unwrap_or_default())
    }

    /// An alert from the log.
    pub fn alert(&self, id: AlertId) -> Result<Option<Alert>, StoreError> {
        Ok(self
            .alerts
            .get(id.to_be_bytes())
            .map_err(ctx("reading alerts"))?
            .and_then(|v| decode(&v, "alert")))
    }

    /// Alerts fired at or after `since`, oldest first.
    pub fn alerts_since(&self, since: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
        let mut out = Vec::new();
        for entry in self.alerts.iter().rev() {
            let (_, v) = entry.map_err(ctx("reading alerts"))?;
            match decode::<Alert>(&v, "alert") {
                Some(a) if a.fired_at >= since => out.push(a),
                Some(_) => break,
                None => {}
            }
        }
        out.reverse();
        Ok(out)
    }

    /// Records the Telegram message an alert became in a chat (for later edits; `photo` when
    /// it was sent as a photo with a caption).
    pub fn record_sent(
        &self,
        alert: AlertId,
        chat: i64,
        message_id: i32,
        photo: bool,
    ) -> Result<(), StoreError> {
        let mut value = message_id.to_be_bytes().to_vec();
        value.push(u8::from(photo));
        self.sent
            .insert(sent_key(alert, chat), value)
            .map(|_| ())
            .map_err(ctx("recording a sent message"))
    }

    /// The Telegram messages an alert became: chat, message id, whether a photo.
    pub fn sent_messages(&self, alert: AlertId) -> Result<Vec<(i64, i32, bool)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.sent.scan_prefix(alert.to_be_bytes()) {
            let (k, v) = entry.map_err(ctx("reading sent messages"))?;
            if let (Ok(chat), Some(msg)) = (
                <[u8; 8]>::try_from(&k[8..]),
                v.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()),
            ) {
                out.push((
                    chat_from_key(chat),
                    i32::from_be_bytes(msg),
                    v.get(4) == Some(&1),
                ));
            }
        }
        Ok(out)
    }

    /// Whether `alert` was sent to `chat` (buttons act only on alerts the chat received).
    pub fn was_sent(&self, alert: AlertId, chat: i64) -> Result<bool, StoreError> {
        self.sent
            .contains_key(sent_key(alert, chat))
            .map_err(ctx("reading sent messages"))
    }

    /// Forgets which messages alerts became once the alerts are a month old: their stories
    /// are no longer edited, and their buttons answer "no longer stored".
    fn prune_sent(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let horizon = now - chrono::TimeDelta::days(30);
        let mut removed = 0;
        let mut last: Option<(AlertId, bool)> = None;
        for entry in self.sent.iter() {
            let (k, _) = entry.map_err(ctx("pruning sent messages"))?;
            let Some(id) = k
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(AlertId::from_be_bytes)
            else {
                continue;
            };
            // Rows are ordered by alert: look each alert up once.
            let old = match last {
                Some((prev, old)) if prev == id => old,
                _ => {
                    let old = self.alert(id)?.is_none_or(|a| a.fired_at < horizon);
                    last = Some((id, old));
                    old
                }
            };
            if old {
                self.sent.remove(k).map_err(ctx("pruning sent messages"))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Forgets the messages sent to `chat` (its messages can no longer be edited).
    pub(crate) fn forget_sent_to(&self, chat: i64) -> Result<(), StoreError> {
        for entry in self.sent.iter() {
            let (k, _) = entry.map_err(ctx("reading sent messages"))?;
            if k.get(8..16) == Some(chat_key(chat).as_slice()) {
                self.sent
                    .remove(k)
                    .map_err(ctx("forgetting sent messages"))?;
            }
        }
        Ok(())
    }

    /// Saves a source's health.
    pub fn put_source_health(&self, name: &str, health: &SourceHealth) -> Result<(), StoreError> {
        self.sources
            .insert(name.as_bytes(), encode(health))
            .map(|_| ())
            .map_err(ctx("writing source health"))
    }

    /// A source's health, if it ever ran.
    pub fn source_health(&self, name: &str) -> Result<Option<SourceHealth>, StoreError> {
        Ok(self
            .sources
            .get(name.as_bytes())
            .map_err(ctx("reading source health"))?
            .and_then(|v| decode(&v, "source health")))
    }

    /// Every source's health, by name.
    pub fn sources_health(&self) -> Result<Vec<(String, SourceHealth)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.sources.iter() {
            let (k, v) = entry.map_err(ctx("reading source health"))?;
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
        for entry in self.items.iter() {
            let (k, v) = entry.map_err(ctx("pruning items"))?;
            if decode::<SeenItem>(&v, "seen item").is_none_or(|s| s.seen < item_horizon) {
                self.items.remove(k).map_err(ctx("pruning items"))?;
                removed += 1;
            }
        }
        let intraday_horizon = now - chrono::TimeDelta::days(4);
        let daily_horizon = now - chrono::TimeDelta::days(400);
        for entry in self.bars.iter() {
            let (k, v) = entry.map_err(ctx("pruning bars"))?;
            let keep = decode::<Bar>(&v, "bar").is_some_and(|b| {
                b.time
                    >= if b.interval.is_daily() {
                        daily_horizon
                    } else {
                        intraday_horizon
                    }
            });
            if !keep {
                self.bars.remove(k).map_err(ctx("pruning bars"))?;
                removed += 1;
            }
        }
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

/// `symbol 0x00 interval(u32 BE) time(i64 BE)`: one row per price known at a time. A bar that
/// is fetched again unchanged maps to the same row and is not news.
fn bar_key(bar: &Bar) -> Vec<u8> {
    let mut k = Vec::with_capacity(bar.symbol.len() + 13);
    k.extend_from_slice(bar.symbol.as_bytes());
    k.push(0);
    k.extend_from_slice(&bar.interval.secs().to_be_bytes());
    k.extend_from_slice(&bar.time.timestamp().to_be_bytes());
    k
}

#[cfg(test)]
mod tests;
