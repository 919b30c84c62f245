//! Who may use the bot, and how fast: the access policy (`telegram.access`) and per-chat
//! command flood protection.

use std::time::Duration;

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
