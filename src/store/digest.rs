//! Alerts waiting for a chat's digest, and handing a digest to the outbox.

use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{Chat, Delivery, Store, StoreError, chat_from_key, chat_key, ctx, decode, encode};
use crate::engine::AlertId;

impl Store {
    /// Chats with alerts waiting for their digest, and those alerts (oldest first).
    pub fn digest_waiting(&self) -> Result<Vec<(i64, Vec<AlertId>)>, StoreError> {
        let mut out: Vec<(i64, Vec<AlertId>)> = Vec::new();
        for entry in self.digest.iter() {
            let (k, _) = entry.map_err(ctx("reading digests"))?;
            let (Some(chat), Some(alert)) = (
                k.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()),
                k.get(8..16).and_then(|b| <[u8; 8]>::try_from(b).ok()),
            ) else {
                continue;
            };
            let (chat, alert) = (chat_from_key(chat), AlertId::from_be_bytes(alert));
            match out.last_mut() {
                Some((c, alerts)) if *c == chat => alerts.push(alert),
                _ => out.push((chat, vec![alert])),
            }
        }
        Ok(out)
    }

    /// Replaces a chat's waiting alerts by the digest messages, atomically, and notes when the
    /// digest went out.
    pub fn commit_digest(
        &self,
        chat: i64,
        alerts: &[AlertId],
        messages: &[Delivery],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let keys: Vec<Vec<u8>> = alerts.iter().map(|a| super::digest_key(chat, *a)).collect();
        let messages: Vec<Vec<u8>> = messages.iter().map(encode).collect();
        let result: Result<(), TransactionError<()>> = (&self.digest, &self.outbox, &self.chats)
            .transaction(|(t_digest, t_outbox, t_chats)| {
                for k in &keys {
                    t_digest.remove(k.as_slice())?;
                }
                for m in &messages {
                    let seq = t_outbox.generate_id()?;
                    t_outbox.insert(&seq.to_be_bytes(), m.as_slice())?;
                }
                if let Some(mut c) = t_chats
                    .get(chat_key(chat))?
                    .and_then(|v| decode::<Chat>(&v, "chat"))
                {
                    c.last_digest = Some(now);
                    t_chats.insert(&chat_key(chat), encode(&c))?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        match result {
            Ok(()) => self
                .db
                .flush()
                .map(|_| ())
                .map_err(ctx("flushing a digest")),
            Err(TransactionError::Storage(e)) => Err(StoreError::new("committing a digest", e)),
            Err(TransactionError::Abort(())) => unreachable!("the digest transaction never aborts"),
        }
    }

    /// Moves a chat's waiting alerts to its new id (a group became a supergroup).
    pub(super) fn move_digest(&self, old: i64, new_id: i64) -> Result<(), StoreError> {
        for entry in self.digest.scan_prefix(chat_key(old)) {
            let (k, _) = entry.map_err(ctx("moving a digest"))?;
            if let Some(alert) = k.get(8..16).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                self.digest
                    .insert(
                        super::digest_key(new_id, AlertId::from_be_bytes(alert)),
                        &[] as &[u8],
                    )
                    .map_err(ctx("moving a digest"))?;
            }
            self.digest.remove(k).map_err(ctx("moving a digest"))?;
        }
        Ok(())
    }

    /// Drops a chat's waiting alerts (it no longer takes digests, or is gone).
    pub fn clear_digest(&self, chat: i64) -> Result<(), StoreError> {
        for entry in self.digest.scan_prefix(chat_key(chat)) {
            let (k, _) = entry.map_err(ctx("clearing a digest"))?;
            self.digest.remove(k).map_err(ctx("clearing a digest"))?;
        }
        Ok(())
    }
}
