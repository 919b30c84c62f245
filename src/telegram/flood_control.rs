//! Telegram's flood control: after a `429` the Bot API takes nothing more from the bot until
//! its `retry_after` has passed, and a bot that goes on asking is made to wait longer. The Bot
//! API does not say whether a pause is the chat's or the bot's, so it is taken as the bot's:
//! one pause for everything the bot sends — alerts from the outbox, replies, notices, keyboard
//! edits, chat actions. Whichever send meets it records it; every send honours it (a chat
//! action, best effort, is left out rather than waiting). It is kept in the store
//! as well ([`Store::pause_sending`]), so a restart, or the instance that leads next, waits out
//! the rest: the store is read once, the pauses met since are known here.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::store::{Store, StoreError};

/// The bot's flood pause; clones share it.
#[derive(Clone)]
pub struct FloodControl {
    clock: Clock,
    store: Option<Store>,
    state: Arc<Mutex<State>>,
}

struct State {
    /// Whether the pause recorded in the store was read (or there is no store).
    loaded: bool,
    /// The end of the latest pause.
    until: Option<DateTime<Utc>>,
}

impl FloodControl {
    /// A pause known to this process alone (tests, tools).
    pub fn new(clock: Clock) -> FloodControl {
        FloodControl {
            clock,
            store: None,
            state: Arc::new(Mutex::new(State {
                loaded: true,
                until: None,
            })),
        }
    }

    /// A pause recorded in `store` too, and read from it (a pause met before a restart, or by
    /// the instance that led before).
    pub fn kept_in(clock: Clock, store: Store) -> FloodControl {
        FloodControl {
            clock,
            store: Some(store),
            state: Arc::new(Mutex::new(State {
                loaded: false,
                until: None,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The end of the pause in force now, if one is (the store read the first time).
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

    fn in_force(&self) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        self.state().until.filter(|&until| until > now)
    }

    /// Whether a pause holds now, as far as this process knows (no store read): asked by a
    /// send that waited for its turn, since a pause may have begun meanwhile.
    pub fn holds(&self) -> bool {
        self.in_force().is_some()
    }

    /// A send met flood control, which asked to wait `wait`: nothing is sent until then (a
    /// later end known already stays), recorded in the store. The end of the pause.
    pub fn pause_for(&self, wait: Duration) -> DateTime<Utc> {
        let now = self.clock.now();
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
            let until = match self.until() {
                Ok(Some(until)) => until,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read Telegram's flood pause; sending");
                    return;
                }
            };
            tokio::time::sleep((until - self.clock.now()).to_std().unwrap_or_default()).await;
        }
    }
}
