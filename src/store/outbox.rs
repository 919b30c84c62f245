//! The outbox: messages stored before they are sent, removed once their sink accepted them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::kv::{Range, Transaction, Tree, TxError};
use super::{Store, StoreError, ctx, decode, encode, sent};
use crate::delivery::outbox::{Delivery, Target};
use crate::engine::AlertId;

/// The key in `meta` of the end of Telegram's flood control.
const FLOOD_UNTIL: &[u8] = b"flood_until";

impl Store {
    /// Until when Telegram's flood control (`429`, `retry_after`) holds all sending back, as
    /// last recorded (`None`: never, or it does not decode); a time past has no effect.
    pub fn flood_pause(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.get_as(Tree::Meta, FLOOD_UNTIL, "flood pause")
    }

    /// Records that all sending waits until `until` (a later end recorded already stays), on
    /// disk when it returns: a restart, or another instance taking over, waits it out too.
    pub fn pause_sending(&self, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.update(Tree::Meta, FLOOD_UNTIL, "recording a flood pause", |old| {
            let old: Option<DateTime<Utc>> = old.and_then(|v| decode(v, "flood pause"));
            old.is_none_or(|old| old < until).then(|| encode(&until))
        })?;
        self.flush()
    }

    /// Every pending delivery with its sequence number, oldest first. An entry that does not
    /// decode (written by a later version, say) is left in the outbox, never sent: reported
    /// the first time a read finds it, and counted ([`Store::undecodable_deliveries`]).
    pub fn outbox(&self) -> Result<Vec<(u64, Delivery)>, StoreError> {
        let mut out = Vec::new();
        let mut undecodable = BTreeMap::new();
        for entry in self.entries(Tree::Outbox, Range::all(), "reading the outbox") {
            let (k, v) = entry?;
            let Ok(seq) = <[u8; 8]>::try_from(k.as_ref()) else {
                continue;
            };
            let seq = u64::from_be_bytes(seq);
            match serde_json::from_slice(&v) {
                Ok(d) => out.push((seq, d)),
                Err(e) => {
                    undecodable.insert(seq, e);
                }
            }
        }
        let mut known = self.undecodable.lock().unwrap_or_else(|e| e.into_inner());
        for (seq, e) in &undecodable {
            if !known.contains(seq) {
                tracing::error!(seq, error = %e, "skipping a stored delivery that does not decode; it stays in the outbox, unsent (reported once)");
            }
        }
        *known = undecodable.into_keys().collect();
        Ok(out)
    }

    /// How many outbox entries do not decode, as the last read of the outbox found.
    pub fn undecodable_deliveries(&self) -> usize {
        self.undecodable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// The pending delivery `seq` as it is now (`None`: sent, dropped or given up).
    pub fn delivery(&self, seq: u64) -> Result<Option<Delivery>, StoreError> {
        self.get_as(Tree::Outbox, &seq.to_be_bytes(), "delivery")
    }

    /// Pending deliveries of `alert` that are new messages (not edits).
    pub fn pending_for(&self, alert: AlertId) -> Result<Vec<(u64, Delivery)>, StoreError> {
        Ok(self
            .outbox()?
            .into_iter()
            .filter(|(_, d)| d.alert == alert && d.edit.is_none())
            .collect())
    }

    /// Number of pending deliveries.
    pub fn outbox_len(&self) -> Result<u64, StoreError> {
        self.backend
            .len(Tree::Outbox)
            .map_err(ctx("counting the outbox"))
    }

    /// Adds a delivery outside a pipeline step (e.g. an edit notice).
    pub fn enqueue(&self, delivery: &Delivery) -> Result<u64, StoreError> {
        let seq = self
            .backend
            .generate_id()
            .map_err(ctx("numbering a delivery"))?;
        self.put(
            Tree::Outbox,
            &seq.to_be_bytes(),
            &encode(delivery),
            "enqueueing a delivery",
        )?;
        Ok(seq)
    }

    /// Adds `deliveries` to the outbox in one transaction, in order, and waits until they are
    /// on disk: all of them or none (a broadcast is never half queued, nor lost to a crash
    /// after its sender was told it is queued).
    pub fn enqueue_all(&self, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let encoded: Vec<Vec<u8>> = deliveries.iter().map(encode).collect();
        self.transact(&[Tree::Outbox], "enqueueing deliveries", |tx| {
            for d in &encoded {
                let seq = tx.generate_id()?;
                tx.insert(Tree::Outbox, &seq.to_be_bytes(), d)?;
            }
            Ok(())
        })?;
        self.flush()
    }

    /// Changes a pending delivery in place (fields set by the sender: attempts, retry time,
    /// target), leaving anything the pipeline changed meanwhile (the text) as it is. `false`
    /// when it is no longer pending.
    pub fn update_delivery(
        &self,
        seq: u64,
        change: impl Fn(&mut Delivery),
    ) -> Result<bool, StoreError> {
        let updated = self.update(
            Tree::Outbox,
            &seq.to_be_bytes(),
            "updating a delivery",
            |old| {
                let mut d: Delivery = decode(old?, "delivery")?;
                change(&mut d);
                Some(encode(&d))
            },
        )?;
        Ok(updated.is_some())
    }

    /// Removes a delivery its sink accepted (`sent`, as it was sent), in one step with what
    /// it leaves behind: the Telegram message a first send of an alert became (`message_id`:
    /// for later edits and `/history`), and — when a later copy of the story re-rendered the
    /// message while it was on the wire — the edit that brings the message up to that text.
    /// Durable when it returns.
    pub fn mark_sent(
        &self,
        seq: u64,
        sent: &Delivery,
        message_id: Option<i32>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let became = sent.became(message_id);
        self.transact(
            &[Tree::Outbox, Tree::Sent, Tree::Received],
            "marking a delivery sent",
            |tx| {
                if let Some(message) = &became {
                    sent::record(tx, sent.alert, message, now)?;
                }
                let key = seq.to_be_bytes();
                let stored = tx
                    .get(Tree::Outbox, &key)?
                    .and_then(|v| decode::<Delivery>(&v, "delivery"));
                tx.remove(Tree::Outbox, &key)?;
                if let (Some(message), Some(stored)) = (became, stored)
                    && stored.text != sent.text
                {
                    let edit = sent.edit_to(message.message, stored.text, now);
                    let seq = tx.generate_id()?;
                    tx.insert(Tree::Outbox, &seq.to_be_bytes(), &encode(&edit))?;
                }
                Ok(())
            },
        )?;
        // Accepted messages must not be sent again after a crash: make the removal durable.
        self.flush()
    }

    /// Removes a delivery: it was accepted, or can never be.
    pub fn remove_delivery(&self, seq: u64) -> Result<(), StoreError> {
        self.delete(Tree::Outbox, &seq.to_be_bytes(), "removing a delivery")?;
        // Accepted messages must not be sent again after a crash: make the removal durable.
        self.flush()
    }

    /// Removes every pending delivery to `chat` (it blocked the bot or is gone).
    pub fn drop_deliveries_to(&self, chat: i64) -> Result<usize, StoreError> {
        let mut dropped = 0;
        for (seq, d) in self.outbox()? {
            if d.target == Target::Telegram(chat) {
                self.delete(Tree::Outbox, &seq.to_be_bytes(), "dropping deliveries")?;
                dropped += 1;
            }
        }
        Ok(dropped)
    }
}

/// A pending message re-rendered by a pipeline step (its alert changed before it went out),
/// in the step's transaction: only the text of one still pending changes — the sender's
/// changes (retry time, attempts, a migrated target) stay. One sent since it was read is not
/// brought back, but edited, as it went out (text where a picture was refused).
pub(super) fn rerendered(
    tx: &mut dyn Transaction,
    seq: u64,
    changed: &Delivery,
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    let key = seq.to_be_bytes();
    if let Some(mut d) = tx
        .get(Tree::Outbox, &key)?
        .and_then(|v| decode::<Delivery>(&v, "delivery"))
    {
        d.text.clone_from(&changed.text);
        tx.update(Tree::Outbox, &key, &encode(&d))?;
    } else if let Target::Telegram(chat) = changed.target
        && changed.edit.is_none()
        && let Some((id, photo)) =
            sent::message_in(tx, changed.alert, chat, changed.part.map_or(0, |p| p.index))?
    {
        let edit = Delivery {
            photo,
            ..changed.edit_to(id, changed.text.clone(), now)
        };
        let seq = tx.generate_id()?;
        tx.insert(Tree::Outbox, &seq.to_be_bytes(), &encode(&edit))?;
    }
    Ok(())
}
