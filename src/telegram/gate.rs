//! Who may use the bot, and how fast: the access policy (`telegram.access`) and per-chat
//! command flood protection.
//!
//! Every message and button press for the bot passes the [`Gate`] before any store work:
//! first the flood check (in memory), then the policy. The flood check counts commands by
//! when they were sent (the message's date), not by when they are answered: Telegram hands
//! one chat's updates over one after another, so a backlog answered at the pace of its
//! replies would never look like a flood, and would keep the chat's answers late for
//! minutes. With [`Policy::Allowlist`] a chat is
//! let in when its id or its sender's id is listed (`telegram.allow`, the admins), or when
//! an admin pressed Allow under the question the bot sent them; that decision is an
//! [`Admission`] in the store.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::text::Lang;

/// `telegram.access`: who may use the bot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Anyone who finds the bot.
    #[default]
    Open,
    /// Only the user and chat ids in `telegram.allow`, the admins, and chats an admin let in.
    Allowlist,
}

/// Per-chat command flood protection (`telegram.commands_per_minute`, `telegram.flood_pause`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodLimits {
    /// Commands one chat may send in a minute (a burst of this many is allowed).
    pub per_minute: u32,
    /// How long a chat that went beyond it is ignored.
    pub pause: Duration,
}

impl Default for FloodLimits {
    fn default() -> Self {
        FloodLimits {
            per_minute: 20,
            pause: Duration::from_secs(120),
        }
    }
}

/// What an admin decided about a chat that is not listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The admins were asked; nobody answered yet.
    Asked,
    /// Let in.
    Allowed,
    /// Kept out.
    Denied,
}

/// A chat's standing under the allowlist, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Admission {
    /// The decision.
    pub decision: Decision,
    /// When it was asked or decided.
    pub at: DateTime<Utc>,
    /// The admin (or listed user) who decided.
    pub by: Option<i64>,
    /// The chat's title when it asked.
    #[serde(default)]
    pub title: String,
    /// The language of whoever asked (for the message that lets them in).
    #[serde(default)]
    pub lang: Lang,
}

/// What to do with a chat's command, by its pace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// Within the limit.
    Go,
    /// Just went beyond it: tell the chat once, then ignore it for the pause.
    Warn,
    /// Ignored: it went beyond the limit a moment ago.
    Ignore,
}

/// The window commands are counted in.
const WINDOW: i64 = 60;

/// One chat's recent commands.
#[derive(Debug, Default)]
struct Paced {
    /// When its commands of the last minute were sent (Unix seconds).
    sent: VecDeque<i64>,
    /// Commands sent before this are ignored (Unix seconds).
    quiet_until: i64,
}

/// The policy and the flood check, shared by the handlers.
pub struct Gate {
    policy: Policy,
    /// Listed user and chat ids, and the admins.
    listed: HashSet<i64>,
    flood: FloodLimits,
    chats: Mutex<HashMap<i64, Paced>>,
}

impl Gate {
    /// A gate for `policy`, letting in `allow` and `admins`, pacing commands by `flood`.
    pub fn new(policy: Policy, allow: &[i64], admins: &[i64], flood: FloodLimits) -> Gate {
        Gate {
            policy,
            listed: allow.iter().chain(admins).copied().collect(),
            flood,
            chats: Mutex::default(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// How long a flooding chat is ignored.
    pub fn pause(&self) -> Duration {
        self.flood.pause
    }

    /// Counts one command (or button press) of `chat`, sent at `sent` (Unix seconds: the
    /// message's date), against its pace.
    pub fn pace(&self, chat: i64, sent: i64) -> Pace {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        let paced = chats.entry(chat).or_default();
        if sent < paced.quiet_until {
            crate::metrics::flood_ignored();
            return Pace::Ignore;
        }
        while paced.sent.front().is_some_and(|&t| t <= sent - WINDOW) {
            paced.sent.pop_front();
        }
        if paced.sent.len() < self.flood.per_minute as usize {
            paced.sent.push_back(sent);
            return Pace::Go;
        }
        paced.sent.clear();
        paced.quiet_until = sent.saturating_add(self.flood.pause.as_secs().max(1) as i64);
        crate::metrics::flood_ignored();
        tracing::warn!(
            chat,
            pause_secs = self.flood.pause.as_secs(),
            "a chat sends commands too fast; ignoring it for a while"
        );
        Pace::Warn
    }

    /// Whether the policy lets `chat` (or `user` in it) in without asking: the bot is open,
    /// or one of them is listed.
    pub fn listed(&self, chat: i64, user: Option<i64>) -> bool {
        self.policy == Policy::Open
            || self.listed.contains(&chat)
            || user.is_some_and(|u| self.listed.contains(&u))
    }

    /// Whether `chat` was listed under the id it had before it became a supergroup (the
    /// config names the group's id; Telegram gave it a new one).
    pub fn listed_before(&self, chat: &crate::chats::Chat) -> bool {
        self.policy == Policy::Allowlist
            && chat
                .migrated_from
                .is_some_and(|old| self.listed.contains(&old))
    }

    /// Whether `chat` may use the bot, given what is stored about it.
    pub fn admits(&self, chat: i64, user: Option<i64>, stored: Option<&Admission>) -> bool {
        self.listed(chat, user) || stored.is_some_and(|a| a.decision == Decision::Allowed)
    }

    /// Forgets the pace of chats that sent nothing for a minute and are not being ignored
    /// (call now and then; `now` in Unix seconds).
    pub fn tidy(&self, now: i64) {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        chats
            .retain(|_, p| p.quiet_until > now || p.sent.back().is_some_and(|&t| t > now - WINDOW));
        chats.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_beyond_its_pace_is_warned_once_then_ignored_and_others_go_on() {
        let gate = Gate::new(
            Policy::Open,
            &[],
            &[],
            FloodLimits {
                per_minute: 5,
                pause: Duration::from_secs(120),
            },
        );
        // Eight commands within two seconds.
        let paces: Vec<Pace> = (0..8).map(|i| gate.pace(1, 1000 + i / 4)).collect();
        assert_eq!(&paces[..5], &[Pace::Go; 5]);
        assert_eq!(paces[5], Pace::Warn);
        assert_eq!(&paces[6..], &[Pace::Ignore; 2]);
        assert_eq!(gate.pace(2, 1001), Pace::Go, "another chat is not affected");
        // Commands sent during the pause are ignored, however late they are looked at.
        assert_eq!(gate.pace(1, 1100), Pace::Ignore);
        gate.tidy(1110);
        assert_eq!(gate.chats.lock().unwrap().len(), 1, "chat 2 forgotten");
        // After the pause the chat is heard again.
        assert_eq!(gate.pace(1, 1122), Pace::Go);
        // One a minute, for ever, is never a flood.
        let slow = Gate::new(
            Policy::Open,
            &[],
            &[],
            FloodLimits {
                per_minute: 1,
                pause: Duration::from_secs(60),
            },
        );
        assert!((0..10).all(|i| slow.pace(3, i * 60) == Pace::Go));
    }

    #[test]
    fn the_allowlist_lets_in_listed_ids_admins_and_allowed_chats() {
        let gate = Gate::new(Policy::Allowlist, &[-100, 7], &[1], FloodLimits::default());
        assert!(gate.listed(-100, None));
        assert!(gate.listed(-200, Some(7)), "a listed user, in any chat");
        assert!(gate.listed(1, Some(1)), "an admin");
        assert!(!gate.listed(42, Some(42)));
        let now = Utc::now();
        let stored = |decision| Admission {
            decision,
            at: now,
            by: Some(1),
            title: String::new(),
            lang: Lang::En,
        };
        assert!(gate.admits(42, Some(42), Some(&stored(Decision::Allowed))));
        assert!(!gate.admits(42, Some(42), Some(&stored(Decision::Asked))));
        assert!(!gate.admits(42, Some(42), Some(&stored(Decision::Denied))));
        let open = Gate::new(Policy::Open, &[], &[], FloodLimits::default());
        assert!(open.admits(42, None, None));
    }
}
