//! Drains the outbox into a sink, honouring flood control and backing off on failures.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use super::{SendError, Sink};
use crate::clock::Clock;
use crate::store::{Delivery, Store, Target};

/// A delivery failing this often is given up (the alert stays in the log).
const MAX_ATTEMPTS: u32 = 20;
/// Chats served at the same time; the sink's own rate limits do the pacing.
const CONCURRENT_CHATS: usize = 32;
/// Longest wait before the outbox is looked at again without being woken.
const IDLE_CHECK: Duration = Duration::from_secs(30);

/// The outbox worker.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    sink: Arc<dyn Sink>,
    clock: Clock,
    wake: Arc<Notify>,
    /// Flood control pauses all sending until this instant.
    paused_until: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl Sender {
    /// A worker draining `store`'s outbox into `sink`.
    pub fn new(store: Store, sink: Arc<dyn Sink>, clock: Clock) -> Sender {
        Sender {
            store,
            sink,
            clock,
            wake: Arc::new(Notify::new()),
            paused_until: Arc::new(Mutex::new(None)),
        }
    }

    /// Tells the worker new deliveries are waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `shutdown`; deliveries left over from a previous run go out first.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            // A send in flight at shutdown is abandoned: its delivery stays in the outbox and
            // goes out on the next start.
            let drained = tokio::select! {
                d = self.drain_once() => d,
                _ = shutdown.cancelled() => return,
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
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sends every due delivery once; returns how long until the next one is due.
    pub async fn drain_once(&self) -> Result<Duration, crate::store::StoreError> {
        let now = self.clock.now();
        if let Some(until) = *self.paused_until.lock().await
            && now < until
        {
            return Ok((until - now).to_std().unwrap_or_default());
        }
        let mut by_target: BTreeMap<Target, Vec<(u64, Delivery)>> = BTreeMap::new();
        let mut next_due: Option<DateTime<Utc>> = None;
        for (seq, d) in self.store.outbox()? {
            match d.not_before {
                Some(t) if t > now => next_due = Some(next_due.map_or(t, |n| n.min(t))),
                _ => by_target.entry(d.target).or_default().push((seq, d)),
            }
        }
        futures::stream::iter(by_target.into_values())
            .for_each_concurrent(CONCURRENT_CHATS, |queue| self.serve_chat(queue))
            .await;
        // Entries rescheduled during this round (flood control, backoff) decide the next wake.
        let now = self.clock.now();
        for (_, d) in self.store.outbox()? {
            let due = d.not_before.unwrap_or(now);
            next_due = Some(next_due.map_or(due, |n| n.min(due)));
        }
        Ok(next_due.map_or(IDLE_CHECK, |t| {
            (t - now).to_std().unwrap_or_default().min(IDLE_CHECK)
        }))
    }

    /// Sends one chat's deliveries in order; stops at the first that must wait.
    async fn serve_chat(&self, queue: Vec<(u64, Delivery)>) {
        for (seq, mut d) in queue {
            if let Some(until) = *self.paused_until.lock().await
                && self.clock.now() < until
            {
                return;
            }
            match self.sink.send(d.target, &d.text, d.edit).await {
                Ok(message_id) => {
                    if let Err(e) = self.store.remove_delivery(seq) {
                        tracing::error!(error = %e, "sent, but cannot remove from the outbox");
                    }
                    if let (Target::Telegram(chat), Some(id), None) = (d.target, message_id, d.edit)
                        && let Err(e) = self.store.record_sent(d.alert, chat, id)
                    {
                        tracing::warn!(error = %e, "cannot record the sent message");
                    }
                    tracing::info!(alert = d.alert, target = ?d.target, edit = d.edit.is_some(), "delivered");
                }
                Err(SendError::RetryAfter(wait)) => {
                    let until = self.clock.now()
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
                    tracing::warn!(alert = d.alert, target = ?d.target, wait_secs = wait.as_secs(), "flood control: pausing delivery");
                    *self.paused_until.lock().await = Some(until);
                    d.not_before = Some(until);
                    d.last_error = Some(format!("flood control, retry after {}s", wait.as_secs()));
                    self.keep(seq, &d);
                    return;
                }
                Err(SendError::ChatGone(reason)) => {
                    let Target::Telegram(chat) = d.target else {
                        return;
                    };
                    tracing::warn!(chat, %reason, "chat unreachable; deactivating it");
                    if let Err(e) = self.store.update_chat(chat, |c| {
                        c.active = false;
                        c.deactivated = Some(reason.clone());
                    }) {
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
                    if let Err(e) = self.migrate(old, new_id) {
                        tracing::error!(error = %e, "cannot migrate chat");
                    }
                    d.target = Target::Telegram(new_id);
                    self.keep(seq, &d);
                    return;
                }
                Err(SendError::Permanent(reason)) => {
                    tracing::error!(alert = d.alert, target = ?d.target, %reason, "message rejected; giving up on it");
                    if let Err(e) = self.store.remove_delivery(seq) {
                        tracing::error!(error = %e, "cannot remove from the outbox");
                    }
                }
                Err(SendError::Transient(reason)) => {
                    d.attempts += 1;
                    d.last_error = Some(reason.clone());
                    if d.attempts >= MAX_ATTEMPTS {
                        tracing::error!(alert = d.alert, target = ?d.target, %reason, attempts = d.attempts, "giving up on a delivery");
                        if let Err(e) = self.store.remove_delivery(seq) {
                            tracing::error!(error = %e, "cannot remove from the outbox");
                        }
                    } else {
                        let backoff = Duration::from_secs(2u64.saturating_pow(d.attempts).min(600));
                        tracing::warn!(alert = d.alert, target = ?d.target, %reason, attempts = d.attempts, "delivery failed; will retry");
                        d.not_before = Some(
                            self.clock.now()
                                + chrono::Duration::from_std(backoff)
                                    .unwrap_or(chrono::TimeDelta::MAX),
                        );
                        self.keep(seq, &d);
                    }
                    return;
                }
            }
        }
    }

    fn keep(&self, seq: u64, d: &Delivery) {
        if let Err(e) = self.store.reschedule(seq, d) {
            tracing::error!(error = %e, "cannot reschedule a delivery");
        }
    }

    fn migrate(&self, old: i64, new_id: i64) -> Result<(), crate::store::StoreError> {
        if let Some(mut chat) = self.store.chat(old)? {
            chat.id = new_id;
            chat.kind = crate::store::ChatKind::Supergroup;
            self.store.put_chat(&chat)?;
            self.store.update_chat(old, |c| {
                c.active = false;
                c.deactivated = Some(format!("migrated to {new_id}"));
            })?;
        }
        for (seq, mut d) in self.store.outbox()? {
            if d.target == Target::Telegram(old) {
                d.target = Target::Telegram(new_id);
                self.store.reschedule(seq, &d)?;
            }
        }
        Ok(())
    }
}
