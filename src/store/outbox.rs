//! The outbox: messages stored before they are sent, removed once their sink accepted them.

use super::{Store, StoreError, ctx, decode, encode};
use crate::delivery::outbox::{Delivery, Target};
use crate::engine::AlertId;

impl Store {
    /// Every pending delivery with its sequence number, oldest first.
    pub fn outbox(&self) -> Result<Vec<(u64, Delivery)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.outbox.iter() {
            let (k, v) = entry.map_err(ctx("reading the outbox"))?;
            let Ok(seq) = <[u8; 8]>::try_from(k.as_ref()) else {
                continue;
            };
            if let Some(d) = decode(&v, "delivery") {
                out.push((u64::from_be_bytes(seq), d));
            }
        }
        Ok(out)
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
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Adds a delivery outside a pipeline step (e.g. an edit notice).
    pub fn enqueue(&self, delivery: &Delivery) -> Result<u64, StoreError> {
        let seq = self.db.generate_id().map_err(ctx("numbering a delivery"))?;
        self.outbox
            .insert(seq.to_be_bytes(), encode(delivery))
            .map_err(ctx("enqueueing a delivery"))?;
        Ok(seq)
    }

    /// Changes a pending delivery in place (fields set by the sender: attempts, retry time,
    /// target), leaving anything the pipeline changed meanwhile (the text) as it is. `false`
    /// when it is no longer pending.
    pub fn update_delivery(
        &self,
        seq: u64,
        change: impl Fn(&mut Delivery),
    ) -> Result<bool, StoreError> {
        let updated = self
            .outbox
            .update_and_fetch(seq.to_be_bytes(), |old| {
                let mut d: Delivery = decode(old?, "delivery")?;
                change(&mut d);
                Some(encode(&d))
            })
            .map_err(ctx("updating a delivery"))?;
        Ok(updated.is_some())
    }

    /// Removes a delivery: it was accepted, or can never be.
    pub fn remove_delivery(&self, seq: u64) -> Result<(), StoreError> {
        self.outbox
            .remove(seq.to_be_bytes())
            .map(|_| ())
            .map_err(ctx("removing a delivery"))?;
        // Accepted messages must not be sent again after a crash: make the removal durable.
        self.outbox
            .flush()
            .map(|_| ())
            .map_err(ctx("flushing the outbox"))
    }

    /// Removes every pending delivery to `chat` (it blocked the bot or is gone).
    pub fn drop_deliveries_to(&self, chat: i64) -> Result<usize, StoreError> {
        let mut dropped = 0;
        for (seq, d) in self.outbox()? {
            if d.target == Target::Telegram(chat) {
                self.outbox
                    .remove(seq.to_be_bytes())
                    .map_err(ctx("dropping deliveries"))?;
                dropped += 1;
            }
        }
        Ok(dropped)
    }
}
