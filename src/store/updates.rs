//! Telegram updates already taken in (webhook mode), so a delivery Telegram repeats — after a
//! timeout, or to another instance behind the same address — is handled once.

use super::{Store, StoreError, ctx};

impl Store {
    /// Records update `id` as taken in at `now` (unix seconds), unless it was before; whether
    /// this is its first sight. Durable before it answers.
    pub fn first_sight_of_update(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let first = self
            .updates
            .compare_and_swap(
                id.to_be_bytes(),
                None::<&[u8]>,
                Some(&now.to_be_bytes()[..]),
            )
            .map_err(ctx("recording an update"))?
            .is_ok();
        if first {
            self.updates.flush().map_err(ctx("flushing an update"))?;
        }
        Ok(first)
    }

    /// Forgets update `id`, taken in but not handled: Telegram's next delivery of it counts.
    pub fn forget_update(&self, id: i64) -> Result<(), StoreError> {
        self.updates
            .remove(id.to_be_bytes())
            .map_err(ctx("forgetting an update"))?;
        Ok(())
    }

    /// Forgets the updates taken in before `before` (unix seconds); how many. Telegram gives
    /// up redelivering long before a day has passed.
    pub fn forget_updates_before(&self, before: i64) -> Result<usize, StoreError> {
        // Update ids grow with time: the oldest come first, and the scan stops at the first
        // young one.
        let mut forgotten = 0;
        for entry in self.updates.iter() {
            let (key, seen) = entry.map_err(ctx("reading updates"))?;
            let seen = <[u8; 8]>::try_from(seen.as_ref()).map_or(i64::MIN, i64::from_be_bytes);
            if seen >= before {
                break;
            }
            self.updates
                .remove(key)
                .map_err(ctx("forgetting an update"))?;
            forgotten += 1;
        }
        Ok(forgotten)
    }
}
