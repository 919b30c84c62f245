//! The admins' decisions about chats that are not on the allowlist.

use super::{Store, StoreError, ctx, decode, encode};
use crate::telegram::gate::Admission;

impl Store {
    /// What was decided about `chat`, if anything.
    pub fn admission(&self, chat: i64) -> Result<Option<Admission>, StoreError> {
        Ok(self
            .access
            .get(chat.to_be_bytes())
            .map_err(ctx("reading an admission"))?
            .and_then(|v| decode(&v, "admission")))
    }

    /// Records a decision about `chat` (durably: an admin's answer is not asked twice).
    pub fn put_admission(&self, chat: i64, admission: &Admission) -> Result<(), StoreError> {
        self.access
            .insert(chat.to_be_bytes(), encode(admission))
            .map_err(ctx("writing an admission"))?;
        self.access
            .flush()
            .map(|_| ())
            .map_err(ctx("flushing an admission"))
    }

    /// Records that the admins were asked about `chat`, unless something is stored already;
    /// whether this was the first ask (so exactly one question goes to the admins).
    pub fn ask_admission(&self, chat: i64, admission: &Admission) -> Result<bool, StoreError> {
        let first = self
            .access
            .compare_and_swap(chat.to_be_bytes(), None::<&[u8]>, Some(encode(admission)))
            .map_err(ctx("writing an admission"))?
            .is_ok();
        if first {
            self.access.flush().map_err(ctx("flushing an admission"))?;
        }
        Ok(first)
    }
}
