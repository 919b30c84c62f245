//! Telegram updates taken in by webhook, so each is handled once: a delivery Telegram repeats
//! (it thought the answer was lost) is recognised, and one a stopped run recorded but never
//! handed over is handled by the next.

use serde::{Deserialize, Serialize};

use super::kv::{Order, Range, Tree};
use super::{Store, StoreError, ctx, decode, encode};

/// What a run knows about one update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct UpdateRecord {
    /// When it was taken in (unix seconds).
    seen: i64,
    /// The run (process start) that took it in.
    run: u64,
    /// Handed to the dispatcher.
    taken: bool,
}

/// What [`Store::take_in_update`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakeIn {
    /// New (or left over by a run that never handed it over): this request hands it over.
    First,
    /// Handed over before: answer and forget it.
    Repeated,
    /// Another request of this run is handing it over right now.
    InFlight,
}

impl Store {
    /// Records update `id` as being taken in by `run` at `now` (unix seconds), durably, and
    /// says whether this request is the one to hand it over.
    pub fn take_in_update(&self, id: i64, now: i64, run: u64) -> Result<TakeIn, StoreError> {
        let key = id.to_be_bytes();
        let mine = encode(&UpdateRecord {
            seen: now,
            run,
            taken: false,
        });
        loop {
            let current = self.get(Tree::Updates, &key, "reading an update")?;
            match current
                .as_ref()
                .map(|v| decode::<UpdateRecord>(v, "update"))
            {
                // Unreadable: treat it as handled rather than handle it twice.
                Some(None) => return Ok(TakeIn::Repeated),
                Some(Some(r)) if r.taken => return Ok(TakeIn::Repeated),
                Some(Some(r)) if r.run == run => return Ok(TakeIn::InFlight),
                // Nothing, or a run that stopped before handing it over: ours now.
                _ => {}
            }
            let swapped = self
                .backend
                .compare_and_swap(Tree::Updates, &key, current.as_deref(), Some(&mine))
                .map_err(ctx("recording an update"))?;
            if swapped {
                if let Err(e) = self.flush() {
                    // Not durable: undo, so the next delivery is not taken for a repeat.
                    let _ = self.backend.remove(Tree::Updates, &key);
                    return Err(e);
                }
                return Ok(TakeIn::First);
            }
            // Someone else changed it meanwhile: look again.
        }
    }

    /// Marks update `id` as handed to the dispatcher.
    pub fn mark_update_taken(&self, id: i64) -> Result<(), StoreError> {
        let key = id.to_be_bytes();
        let Some(v) = self.get(Tree::Updates, &key, "reading an update")? else {
            return Ok(());
        };
        if let Some(mut r) = decode::<UpdateRecord>(&v, "update") {
            r.taken = true;
            self.put(Tree::Updates, &key, &encode(&r), "marking an update")?;
            self.flush()?;
        }
        Ok(())
    }

    /// Forgets update `id`, taken in but not handed over: Telegram's next delivery counts.
    pub fn forget_update(&self, id: i64) -> Result<(), StoreError> {
        self.delete(Tree::Updates, &id.to_be_bytes(), "forgetting an update")?;
        Ok(())
    }

    /// Forgets the updates taken in before `before` (unix seconds); how many. Telegram gives
    /// up redelivering long before a day has passed. (Update ids mostly grow, but restart at
    /// random after a week without updates: the whole tree — a day of updates — is read.)
    pub fn forget_updates_before(&self, before: i64) -> Result<usize, StoreError> {
        let mut forgotten = 0;
        for entry in self.entries(Tree::Updates, Range::all(), "reading updates") {
            let (key, value) = entry?;
            let old = decode::<UpdateRecord>(&value, "update").is_none_or(|r| r.seen < before);
            if old {
                self.delete(Tree::Updates, &key, "forgetting an update")?;
                forgotten += 1;
            }
        }
        Ok(forgotten)
    }

    /// Keeps update `id` (its body as posted) for the leader, durably: an instance that does
    /// not lead takes it in this way. `false` when it was handled or kept before.
    pub fn relay_update(&self, id: i64, body: &[u8]) -> Result<bool, StoreError> {
        let key = id.to_be_bytes();
        let kept = self.transact(
            &[Tree::Updates, Tree::Relayed],
            "relaying an update",
            |tx| {
                let handled = tx
                    .get(Tree::Updates, &key)?
                    .is_some_and(|v| decode::<UpdateRecord>(&v, "update").is_none_or(|r| r.taken));
                if handled || tx.get(Tree::Relayed, &key)?.is_some() {
                    return Ok(false);
                }
                tx.insert(Tree::Relayed, &key, body)?;
                Ok(true)
            },
        )?;
        self.flush()?;
        Ok(kept)
    }

    /// Up to `limit` updates other instances took in, oldest first: (id, body).
    pub fn relayed(&self, limit: usize) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        Ok(self
            .backend
            .scan(Tree::Relayed, &Range::all(), Order::Ascending, limit)
            .map_err(ctx("reading relayed updates"))?
            .into_iter()
            .filter_map(|(k, v)| Some((i64::from_be_bytes(k.try_into().ok()?), v)))
            .collect())
    }

    /// Forgets a relayed update (handed to the dispatcher, or unreadable).
    pub fn drop_relayed(&self, id: i64) -> Result<(), StoreError> {
        self.delete(
            Tree::Relayed,
            &id.to_be_bytes(),
            "forgetting a relayed update",
        )?;
        Ok(())
    }
}
