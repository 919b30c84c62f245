//! The admins' decisions about chats that are not on the allowlist.

use super::kv::Tree;
use super::{Store, StoreError, ctx, encode};
use crate::telegram::gate::Admission;

impl Store {
    /// What was decided about `chat`, if anything.
    pub fn admission(&self, chat: i64) -> Result<Option<Admission>, StoreError> {
        self.get_as(Tree::Access, &chat.to_be_bytes(), "admission")
    }

    /// Records a decision about `chat` (durably: an admin's answer is not asked twice).
    pub fn put_admission(&self, chat: i64, admission: &Admission) -> Result<(), StoreError> {
        self.put(
            Tree::Access,
            &chat.to_be_bytes(),
            &encode(admission),
            "writing an admission",
        )?;
        self.flush()
    }

    /// Records that the admins were asked about `chat`, unless something is stored already;
    /// whether this was the first ask (so exactly one question goes to the admins).
    pub fn ask_admission(&self, chat: i64, admission: &Admission) -> Result<bool, StoreError> {
        let first = self
            .backend
            .compare_and_swap(
                Tree::Access,
                &chat.to_be_bytes(),
                None,
                Some(&encode(admission)),
            )
            .map_err(ctx("writing an admission"))?;
        if first {
            self.flush()?;
        }
        Ok(first)
    }
}
