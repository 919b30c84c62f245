//! Telegram's flood control: after a `429` the Bot API takes nothing more from the bot until
//! its `retry_after` has passed, and a bot that goes on asking is made to wait longer. The Bot
//! API does not say whether a pause is the chat's or the bot's, so it is taken as the bot's:
//! one pause for everything the bot sends — alerts from the outbox, replies, notices, keyboard
//! edits, chat actions. Whichever send meets it records it; every send honours it (a chat
//! action, best effort, is left out rather than waiting). It is kept in the store as well
//! ([`Store::pause_sending`]), so a restart, or the instance that leads next, waits out the
//! rest: the store is read once, the pauses met since are known here.
//!
//! The pause runs on Telegram's time ([`Clock::telegram`]), which its `retry_after` is counted
//! in, in memory and in the store — never on the bot's clock, which `run --clock-start`
//! anchors to another timeline: a pause recorded on that would mean nothing to a bot started
//! again with another anchor (holding it back for years, or not at all).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// The bot's flood pause; clones share it.
#[derive(Clone)]
pub struct FloodControl {
    /// Telegram's time, which the pause's end is on.
    telegram: Clock,
    store: Option<Store>,
    state: Arc<Mutex<State>>,
}

struct State {
    /// Whether the pause recorded in the store was read (or there is no store).
    loaded: bool,
    /// The end of the latest pause, on Telegram's time.
    until: Option<DateTime<Utc>>,
}

impl Default for FloodControl {
    fn default() -> FloodControl {
        FloodControl::new()
    }
}

impl FloodControl {
    /// A pause known to this process alone (tests, tools).
    pub fn new() -> FloodControl {
        FloodControl {
            telegram: Clock::telegram(),
            store: None,
            state: Arc::new(Mutex::new(State {
                loaded: true,
                until: None,
            })),
        }
    }

    /// A pause recorded in `store` too, and read from it (a pause met before a restart, or by
    /// the instance that led before).
    pub fn kept_in(store: Store) -> FloodControl {
        FloodControl {
            store: Some(store),
            state: Arc::new(Mutex::new(State {
                loaded: false,
                until: None,
            })),
            ..FloodControl::new()
        }
    }

    /// Reads Telegram's time from `telegram`, an anchored clock a test moves with tokio's.
    #[cfg(test)]
    pub(crate) fn on(mut self, telegram: Clock) -> FloodControl {
        self.telegram = telegram;
        self
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The end of the pause in force now, on Telegram's time, if one is (the store read the
    /// first time).
    pub fn until(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        if !self.state().loaded
            && let Some(store) = &self.store
        {
            let stored = store.flood_pause()?;
            let mut state = self.state();
            state.until = state.until.max(stored);
            state.loaded = true;
        }
        Ok(self.in_force())
    }

    /// How long the pause in force now still holds, if one does (the store read the first
    /// time): the wait of a sender whose own clock is another.
    pub fn left(&self) -> Result<Option<Duration>, StoreError> {
        Ok(self
            .until()?
            .map(|until| (until - self.telegram.now()).to_std().unwrap_or_default()))
    }

    fn in_force(&self) -> Option<DateTime<Utc>> {
        let now = self.telegram.now();
        self.state().until.filter(|&until| until > now)
    }

    /// Whether a pause holds now, as far as this process knows (no store read): asked by a
    /// send that waited for its turn, since a pause may have begun meanwhile.
    pub fn holds(&self) -> bool {
        self.in_force().is_some()
    }

    /// A send met flood control, which asked to wait `wait`: nothing is sent until then (a
    /// later end known already stays), recorded in the store. The end of the pause, on
    /// Telegram's time.
    pub fn pause_for(&self, wait: Duration) -> DateTime<Utc> {
        let now = self.telegram.now();
        let until = chrono::Duration::from_std(wait)
            .ok()
            .and_then(|wait| now.checked_add_signed(wait))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let until = {
            let mut state = self.state();
            let until = state.until.map_or(until, |known| known.max(until));
            state.until = Some(until);
            until
        };
        if let Some(store) = &self.store
            && let Err(e) = store.pause_sending(until)
        {
            tracing::error!(error = %e, "cannot record the flood pause; a restart would not wait it out");
        }
        until
    }

    /// Returns once no pause holds: at once when none does (or the store cannot tell, which
    /// is logged).
    pub async fn wait_out(&self) {
        loop {
            match self.left() {
                Ok(Some(left)) => tokio::time::sleep(left).await,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read Telegram's flood pause; sending");
                    return;
                }
            }
        }
    }
}
