//! Drains the outbox into a sink, honouring flood control and backing off on failures.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::{Mutex, Notify, watch};
use tokio_util::sync::CancellationToken;

use super::{Accepted, SendError, Sink};
use crate::chats::Disposition;
use crate::clock::Clock;
use crate::delivery::outbox::{Delivery, Target};
use crate::rules::RuleSet;
use crate::store::Store;
use crate::telegram::flood_control::FloodControl;

/// A delivery that keeps failing for reasons that might pass (network, server trouble) is
/// given up only after this long from its first failure (the alert stays in the log).
const GIVE_UP_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(3);
/// Chats served at the same time; the sink's own rate limits do the pacing.
const CONCURRENT_CHATS: usize = 32;
/// Longest wait before the outbox is looked at again without being woken.
const IDLE_CHECK: Duration = Duration::from_secs(5);
/// Pause after the store failed to record a sent message.
const STORAGE_PAUSE: Duration = Duration::from_secs(30);
/// How long a stop waits for the answers to sends already on the wire (the bot's own grace
/// for all its stages is longer).
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(5);

/// Deliveries sent but left in the outbox, by sequence number: as sent, and the message each
/// became.
type Unremoved = HashMap<u64, (Delivery, Option<i32>)>;

/// What [`Sender::still_wanted`] found.
enum Wanted {
    Yes,
    No,
    After(DateTime<Utc>),
}

/// The outbox worker.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    sink: Arc<dyn Sink>,
    clock: Clock,
    wake: Arc<Notify>,
    /// Telegram's flood pause: the bot's, shared with the replies to commands.
    flood: FloodControl,
    /// A store that failed to record a sent message pauses all sending until this instant.
    paused_until: Arc<Mutex<Option<DateTime<Utc>>>>,
    /// Deliveries sent but not removed from the outbox (the store failed), as sent and with
    /// the message they became: never sent again by this process, and settled as soon as the
    /// store lets them be.
    sent_unremoved: Arc<std::sync::Mutex<Unremoved>>,
    /// Cancelled when the bot stops: no new send starts, those on the wire finish.
    stopping: CancellationToken,
    /// Runs after a chat moved to a new id with its personal alerts (old id, new id).
    after_migration: Option<Arc<dyn Fn(i64, i64) + Send + Sync>>,
    /// Stamped after every send and while idle (liveness).
    beat: Option<crate::health::Beat>,
    /// Sends only while this instance leads (none: always).
    leading: Option<crate::leader::Leading>,
    /// The rules in force: an alert fired before its rule was renamed is wanted by the chats
    /// that follow the rule now (none: rules are taken by the id their alerts carry).
    rules: Option<watch::Receiver<Arc<RuleSet>>>,
}

impl Sender {
    /// A worker draining `store`'s outbox into `sink`.
    pub fn new(store: Store, sink: Arc<dyn Sink>, clock: Clock) -> Sender {
        Sender {
            flood: FloodControl::kept_in(store.clone()),
            store,
            sink,
            clock,
            wake: Arc::new(Notify::new()),
            paused_until: Arc::new(Mutex::new(None)),
            sent_unremoved: Arc::default(),
            stopping: CancellationToken::new(),
            after_migration: None,
            beat: None,
            leading: None,
            rules: None,
        }
    }

    /// Asks the chats about an alert by its rule as `rules` has it now (renamed since it
    /// fired: under its new id and the ones it had), not by the id the alert carries.
    pub fn with_rules(mut self, rules: watch::Receiver<Arc<RuleSet>>) -> Sender {
        self.rules = Some(rules);
        self
    }

    /// Shares `flood`, the bot's flood pause (that of the replies to commands), in place of
    /// one of its own: a pause any send meets holds every send.
    pub fn with_flood_control(mut self, flood: FloodControl) -> Sender {
        self.flood = flood;
        self
    }

    /// Sends only while `leading` says this instance leads: a deposed leader stops at once,
    /// before its next send.
    pub fn while_leading(mut self, leading: crate::leader::Leading) -> Sender {
        self.leading = Some(leading);
        self
    }

    fn may_send(&self) -> bool {
        !self.stopping.is_cancelled() && self.leading.as_ref().is_none_or(|l| l.is_leading())
    }

    /// Calls `hook` with the old and the new id after a chat and its personal alerts were
    /// moved to a new id.
    pub fn after_migration(mut self, hook: impl Fn(i64, i64) + Send + Sync + 'static) -> Sender {
        self.after_migration = Some(Arc::new(hook));
        self
    }

    /// Stamps `beat` as the worker sends and waits ([`crate::health`]).
    pub fn with_beat(mut self, beat: crate::health::Beat) -> Sender {
        self.beat = Some(beat);
        self
    }

    fn stamp(&self) {
        if let Some(beat) = &self.beat {
            beat.stamp();
        }
    }

    /// Tells the worker new deliveries are waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `shutdown`; deliveries left over from a previous run go out first.
    pub async fn run(mut self, shutdown: CancellationToken) {
        self.stopping = shutdown.clone();
        loop {
            self.stamp();
            let drain = self.drain_once();
            tokio::pin!(drain);
            let drained = tokio::select! {
                d = &mut drain => d,
                _ = shutdown.cancelled() => {
                    // No new send starts; a send on the wire may already be at Telegram, so
                    // its answer is awaited (briefly) and the delivery removed: abandoned,
                    // it would go out again on the next start.
                    if tokio::time::timeout(IN_FLIGHT_GRACE, drain).await.is_err() {
                        tracing::warn!("a send was still unanswered at shutdown; it stays in the outbox");
                    }
                    return;
                }
            };
            let wait = match drained {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the outbox");
                    IDLE_CHECK
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.wake.notified() => {}
                // Waiting (for flood control too) is no stall: look again within a beat.
                _ = tokio::time::sleep(wait.min(self.beat.as_ref().map_or(IDLE_CHECK, |b| b.every()))) => {}
            }
        }
    }

    async fn pause(&self, until: DateTime<Utc>) {
        let mut paused = self.paused_until.lock().await;
        *paused = Some(paused.map_or(until, |p| p.max(until)));
    }

    /// Sends every due delivery once; returns how long until the next one is due.
    pub async fn drain_once(&self) -> Result<Duration, crate::store::StoreError> {
        if !self.may_send() {
            return Ok(IDLE_CHECK);
        }
        let now = self.clock.now();
        if let Some(until) = *self.paused_until.lock().await
            && now < until
        {
            return Ok((until - now).to_std().unwrap_or_default());
        }
        // Flood control, met by any send (a reply too), before a restart, or by the instance
        // that led before: on Telegram's time, not this clock's.
        if let Some(left) = self.flood.left()? {
            return Ok(left);
        }
        let skip = self.remove_sent()?;
        // Per chat, in order: a chat whose oldest delivery must wait sends nothing newer.
        let mut by_target: BTreeMap<Target, Vec<(u64, Delivery)>> = BTreeMap::new();
        let mut next_due: Option<DateTime<Utc>> = None;
        for (seq, d) in self.store.outbox()? {
            if !skip.contains(&seq) {
                by_target.entry(d.target).or_default().push((seq, d));
            }
        }
        let queues: Vec<Vec<(u64, Delivery)>> = by_target
            .into_values()
            .filter_map(|queue| {
                let due: Vec<(u64, Delivery)> = queue
                    .into_iter()
                    .take_while(|(_, d)| d.not_before.is_none_or(|t| t <= now))
                    .collect();
                (!due.is_empty()).then_some(due)
            })
            .collect();
        futures::stream::iter(queues)
            .for_each_concurrent(CONCURRENT_CHATS, |queue| self.serve_chat(queue))
            .await;
        // What is left decides the next wake: per chat, when its oldest delivery is due (the
        // others wait behind it).
        let now = self.clock.now();
        let mut heads: BTreeMap<Target, Option<DateTime<Utc>>> = BTreeMap::new();
        let waiting = self.store.outbox()?;
        crate::metrics::outbox_depth(waiting.len(), self.store.undecodable_deliveries());
        for (seq, d) in waiting {
            if !skip.contains(&seq) {
                heads.entry(d.target).or_insert(d.not_before);
            }
        }
        for head in heads.into_values() {
            let due = head.unwrap_or(now);
            next_due = Some(next_due.map_or(due, |n| n.min(due)));
        }
        Ok(next_due.map_or(IDLE_CHECK, |t| {
            (t - now).to_std().unwrap_or_default().min(IDLE_CHECK)
        }))
    }

    /// Settles the deliveries sent but left in the outbox when the store failed, now that it
    /// may work again; returns those it still could not remove (not to be sent again).
    fn remove_sent(&self) -> Result<HashSet<u64>, crate::store::StoreError> {
        let mut unremoved = self
            .sent_unremoved
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut failed = None;
        unremoved.retain(|&seq, (d, message_id)| {
            if failed.is_some() {
                return true;
            }
            match self.settle(seq, d, *message_id) {
                Ok(()) => false,
                Err(e) => {
                    failed = Some(e);
                    true
                }
            }
        });
        match failed {
            // Reading the outbox would fail too, or send these again: wait for the store.
            Some(e) => Err(e),
            None => Ok(unremoved.keys().copied().collect()),
        }
    }

    /// Takes a delivery its sink accepted (`d`, as sent) out of the outbox with what it leaves
    /// behind: the message it became, and an edit when its text changed on the wire
    /// ([`Store::mark_sent`]). When that fails — the store hiccuped, or this instance no
    /// longer leads and its transactions are refused (a stop gives the lease up while a send
    /// is still on the wire) — the delivery is removed on its own, so that no leader sends it
    /// again, and the record and the edit follow, in plain writes as well. An error only when
    /// the removal itself failed.
    fn settle(
        &self,
        seq: u64,
        d: &Delivery,
        message_id: Option<i32>,
    ) -> Result<(), crate::store::StoreError> {
        let now = self.clock.now();
        let Err(e) = self.store.mark_sent(seq, d, message_id, now) else {
            return Ok(());
        };
        tracing::warn!(error = %e, seq, "cannot mark a sent delivery in one step; removing it alone");
        let stored = self.store.delivery(seq).ok().flatten();
        self.store.remove_delivery(seq)?;
        if let Some(message) = d.became(message_id) {
            if let Err(e) = self.store.record_sent(d.alert, &message, now) {
                tracing::warn!(error = %e, "cannot record the sent message");
            }
            if let Some(stored) = stored.filter(|s| s.text != d.text)
                && let Err(e) = self
                    .store
                    .enqueue(&d.edit_to(message.message, stored.text, now))
            {
                tracing::warn!(error = %e, "cannot enqueue the edit of a message changed on the wire");
            }
        }
        Ok(())
    }

    /// Sends one chat's deliveries in order; stops at the first that must wait.
    async fn serve_chat(&self, queue: Vec<(u64, Delivery)>) {
        for (seq, read) in queue {
            if !self.may_send() {
                return;
            }
            // As it is now: the pipeline may have given it a later copy's text since the
            // outbox was read (a fan-out's drain takes minutes), or it may be gone.
            let d = match self.store.delivery(seq) {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, seq, "cannot read a delivery again; sending it as read");
                    read
                }
            };
            let store_paused = self
                .paused_until
                .lock()
                .await
                .is_some_and(|until| self.clock.now() < until);
            if store_paused || self.flood.holds() {
                return;
            }
            match self.still_wanted(&d) {
                Wanted::Yes => {}
                Wanted::No => {
                    tracing::info!(alert = d.alert, target = ?d.target, "no longer wanted (stopped, muted or unsubscribed meanwhile); dropped");
                    if let Err(e) = self.store.remove_delivery(seq) {
                        tracing::error!(error = %e, "cannot remove from the outbox");
                    }
                    continue;
                }
                Wanted::After(until) => {
                    self.keep(seq, |x| x.not_before = Some(until));
                    return;
                }
            }
            // Again, right before the request: reading the store may have taken a while (a
            // leadership lost meanwhile, a stop begun).
            if !self.may_send() {
                return;
            }
            let started = std::time::Instant::now();
            // Asked again when the chat's turn comes: the wait for it may outlast leadership,
            // and flood control may have begun meanwhile (met by another send).
            let sent = self
                .sink
                .send_if(&d, &|| self.may_send() && !self.flood.holds())
                .await;
            self.stamp();
            if !matches!(sent, Err(SendError::NotSent)) {
                crate::metrics::delivered(outcome(&d, &sent), started.elapsed());
            }
            match sent {
                Ok(accepted) => {
                    // Removed with the message it became (as it went out: text where a
                    // picture was refused), and an edit if its text changed while it was on
                    // the wire.
                    let message_id = accepted.message;
                    let d = Delivery {
                        photo: accepted.photo,
                        ..d
                    };
                    if let Err(e) = self.settle(seq, &d, message_id) {
                        // Never send it again from this process; stop hammering a failing store.
                        tracing::error!(error = %e, seq, "sent, but cannot remove it from the outbox; pausing delivery");
                        self.sent_unremoved
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(seq, (d.clone(), message_id));
                        self.pause(
                            self.clock.now()
                                + chrono::Duration::from_std(STORAGE_PAUSE).unwrap_or_default(),
                        )
                        .await;
                    }
                    tracing::info!(alert = d.alert, target = ?d.target, edit = d.edit.is_some(), "delivered");
                }
                // Not made: it stays as it is, for whoever sends next.
                Err(SendError::NotSent) => return,
                Err(SendError::RetryAfter(wait)) => {
                    // The pause holds every send back, this one too; it is not written into
                    // the delivery as well, on the bot's clock (another timeline under `run
                    // --clock-start`, which a restart may anchor elsewhere).
                    let until = self.flood.pause_for(wait);
                    tracing::warn!(alert = d.alert, target = ?d.target, wait_secs = wait.as_secs(), %until, "flood control: pausing delivery");
                    self.keep(seq, |x| {
                        x.last_error =
                            Some(format!("flood control, retry after {}s", wait.as_secs()));
                    });
                    return;
                }
                Err(SendError::ChatGone(reason)) => {
                    let Target::Telegram(chat) = d.target else {
                        return;
                    };
                    tracing::warn!(chat, %reason, "chat unreachable; deactivating it");
                    if let Err(e) = self.store.update_chat(chat, |c| c.deactivate(&reason)) {
                        tracing::error!(error = %e, chat, "cannot deactivate chat");
                    }
                    match self.store.drop_deliveries_to(chat) {
                        Ok(n) => tracing::info!(
                            chat,
                            dropped = n,
                            "dropped deliveries to unreachable chat"
                        ),
                        Err(e) => tracing::error!(error = %e, chat, "cannot drop deliveries"),
                    }
                    return;
                }
                Err(SendError::Migrated(new_id)) => {
                    let Target::Telegram(old) = d.target else {
                        return;
                    };
                    tracing::info!(
                        old,
                        new_id,
                        "group became a supergroup; moving its subscriptions"
                    );
                    // Moves this delivery too (an edit is dropped), so it is not tried again
                    // under the old id. The supergroup is told of mutes that gave way and of
                    // alerts that took new numbers by messages queued with them, which the next
                    // round sends.
                    let now = self.clock.now();
                    let tell = |chat: &crate::chats::Chat, lifted: &[_], renumbered: &[_]| {
                        super::migration_notice(chat, lifted, renumbered, now)
                    };
                    match self.store.migrate_chat(old, new_id, now, tell) {
                        Ok(migration) => {
                            if migration.personal_moved
                                && let Some(hook) = &self.after_migration
                            {
                                hook(old, new_id);
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "cannot migrate chat"),
                    }
                    return;
                }
                Err(SendError::Permanent(reason)) => {
                    tracing::error!(alert = d.alert, target = ?d.target, %reason, "message rejected; giving up on it");
                    if let Err(e) = self.store.remove_delivery(seq) {
                        tracing::error!(error = %e, "cannot remove from the outbox");
                    }
                }
                Err(SendError::Transient(reason)) => {
                    let now = self.clock.now();
                    // Its own failures count, not the time it waited for its turn (a record
                    // of a version that did not note them counts from now), nor the time it
                    // waited past its retry's due time (a bot that was down for days, a flood
                    // pause, an older message to its chat failing first): the start of its
                    // failures moves on by as much.
                    let overdue = d.not_before.map_or(chrono::TimeDelta::zero(), |due| {
                        (now - due).max(chrono::TimeDelta::zero())
                    });
                    let since = d
                        .failing_since
                        .map_or(now, |since| (since + overdue).min(now));
                    if now - since > GIVE_UP_AFTER {
                        tracing::error!(alert = d.alert, target = ?d.target, %reason, attempts = d.attempts + 1, "giving up on a delivery failing for days");
                        if let Err(e) = self.store.remove_delivery(seq) {
                            tracing::error!(error = %e, "cannot remove from the outbox");
                        }
                    } else {
                        let attempts = d.attempts + 1;
                        let backoff = Duration::from_secs(2u64.saturating_pow(attempts).min(600));
                        tracing::warn!(alert = d.alert, target = ?d.target, %reason, attempts, "delivery failed; will retry");
                        let at = now
                            + chrono::Duration::from_std(backoff).unwrap_or(chrono::TimeDelta::MAX);
                        self.keep(seq, |x| {
                            x.attempts = attempts;
                            x.not_before = Some(at);
                            x.last_error = Some(reason.clone());
                            x.failing_since = Some(since);
                        });
                    }
                    return;
                }
            }
        }
    }

    /// Whether the chat still wants a new alert message: it may have stopped alerts, muted the
    /// rule or symbol, unsubscribed, or begun its quiet hours since the alert was enqueued.
    /// Edits, broadcasts and digests always go, and so do the later parts of a message split
    /// in parts whose first part went out.
    fn still_wanted(&self, d: &Delivery) -> Wanted {
        let Target::Telegram(chat) = d.target else {
            return Wanted::Yes;
        };
        if d.edit.is_some() || d.alert == crate::delivery::outbox::BROADCAST {
            return Wanted::Yes;
        }
        let (Ok(Some(chat)), Ok(Some(alert))) = (self.store.chat(chat), self.store.alert(d.alert))
        else {
            return Wanted::Yes;
        };
        // A message split in parts whose first part went out is finished, not cut off: the
        // rest follows while the chat is active, whatever it muted meanwhile.
        if chat.active && self.store.was_sent(d.alert, chat.id).unwrap_or(false) {
            return Wanted::Yes;
        }
        let now = self.clock.now();
        let rules = self.rules.as_ref().map(|r| Arc::clone(&r.borrow()));
        let (rule, formerly) = match rules.as_deref().and_then(|set| set.current(&alert.rule)) {
            Some(r) => (r.id.as_str(), &r.formerly[..]),
            None => (alert.rule.as_str(), &[][..]),
        };
        match chat.disposition_as(rule, formerly, alert.symbol.as_deref(), now) {
            Disposition::Skip => Wanted::No,
            Disposition::After(until) if until > now => Wanted::After(until),
            _ => Wanted::Yes,
        }
    }

    /// Records a failed attempt on the stored delivery (not on the copy read before sending,
    /// which may be outdated).
    fn keep(&self, seq: u64, change: impl Fn(&mut Delivery)) {
        if let Err(e) = self.store.update_delivery(seq, change) {
            tracing::error!(error = %e, "cannot reschedule a delivery");
        }
    }
}

/// How an attempt ends, for the metrics (a transient failure counts as a retry even when it
/// is the one that gives up after days: the give-up is logged).
fn outcome(d: &Delivery, sent: &Result<Accepted, SendError>) -> crate::metrics::Outcome {
    use crate::metrics::Outcome;
    match sent {
        Ok(_) if d.edit.is_some() => Outcome::Edit,
        Ok(a) if a.photo => Outcome::Photo,
        Ok(_) => Outcome::Message,
        Err(SendError::RetryAfter(_)) => Outcome::RateLimited,
        Err(SendError::ChatGone(_)) => Outcome::Blocked,
        Err(SendError::Migrated(_)) => Outcome::Migrated,
        Err(SendError::Permanent(_)) => Outcome::Rejected,
        // Not an attempt (not recorded): it never left.
        Err(SendError::Transient(_) | SendError::NotSent) => Outcome::Retry,
    }
}

#[cfg(test)]
mod tests;
