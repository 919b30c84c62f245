//! Taking a stock split in: a split reported with a batch's bars is due with the first prices
//! of its ex-date, and the personal alerts' price levels set before it follow it, each chat
//! told. The bars' own restatement is the store's (`Store::restated_bars`); the pipeline's
//! `bars` step puts the two together.

use chrono::{DateTime, Utc};

use super::Pipeline;
use crate::delivery::Mode;
use crate::delivery::outbox::{BROADCAST, Delivery, Target};
use crate::delivery::render::escape;
use crate::model::{Bar, Split};
use crate::personal::{PersonalAlert, Restatement};
use crate::store::StoreError;

/// The splits a step takes in, and the personal alerts it restates for them.
#[derive(Default)]
pub(super) struct SplitsTaken {
    pub(super) splits: Vec<Split>,
    pub(super) restated: Vec<(Restatement, Option<Delivery>)>,
}

impl Pipeline {
    /// The splits of those `reported` with `bars` that are taken in now: not taken in before
    /// (`Store::new_splits`), their ex-date begun, and a price of it among `bars`. Until then
    /// the provider serves old shares (a split reported ahead, a chart of the day before
    /// still served after midnight), and the split is reported again.
    pub(super) fn due_splits(
        &self,
        reported: &[Split],
        bars: &[Bar],
        now: DateTime<Utc>,
    ) -> Result<Vec<Split>, StoreError> {
        Ok(self
            .store
            .new_splits(reported)?
            .into_iter()
            .filter(|s| {
                let begins = s.begins();
                now >= begins && bars.iter().any(|b| b.symbol == s.symbol && b.time > begins)
            })
            .collect())
    }

    /// The personal alerts whose price levels the splits `due` restate, restated in the book
    /// already (each keeps its state), and the message that tells each chat (in Telegram
    /// mode, to an active chat). A split is rare: every alert is read, one at a time.
    pub(super) fn restate_personal(
        &mut self,
        due: &[Split],
    ) -> Result<Vec<(Restatement, Option<Delivery>)>, StoreError> {
        let mut out = Vec::new();
        if due.is_empty() {
            return Ok(out);
        }
        let mut due = due.to_vec();
        due.sort_by_key(|s| s.date);
        for alert in self.store.each_personal_alert() {
            let mut current = alert?;
            for split in &due {
                let Some(after) = current.restated_for(split, split.begins()) else {
                    continue;
                };
                tracing::info!(chat = after.chat, number = after.number, before = %current.spec, after = %after.spec, "split: personal alert restated");
                let state = self
                    .store
                    .personal_state(after.chat, after.number)?
                    .unwrap_or_default();
                // From here the book is ahead of the store until the step is stored.
                self.restated_chats.insert(after.chat);
                if let Err(e) = self.engine.personal_mut().restate(&after, state) {
                    tracing::error!(chat = after.chat, number = after.number, error = ?e, "a restated personal alert does not parse; left as it was");
                    continue;
                }
                let notice = self.split_notice(split, &current, &after)?;
                out.push((
                    Restatement {
                        before: current,
                        after: after.clone(),
                    },
                    notice,
                ));
                current = after;
            }
        }
        Ok(out)
    }

    /// The message that tells a chat its alert was restated for a split.
    fn split_notice(
        &self,
        split: &Split,
        before: &PersonalAlert,
        after: &PersonalAlert,
    ) -> Result<Option<Delivery>, StoreError> {
        if self.mode != Mode::Telegram {
            return Ok(None);
        }
        let Some(chat) = self.store.chat(after.chat)?.filter(|c| c.active) else {
            return Ok(None);
        };
        // As `/alerts` lists it in the chat.
        let code =
            |a: &PersonalAlert| format!("<code>{}</code>", escape(&a.listed(chat.settings.lang)));
        let text = crate::i18n::texts(chat.settings.lang).restated_for_split(
            split,
            after.number,
            &code(before),
            &code(after),
        );
        Ok(Some(Delivery {
            thread: chat.thread,
            lang: chat.settings.lang,
            ..Delivery::message(BROADCAST, Target::Telegram(chat.id), text, self.clock.now())
        }))
    }
}
