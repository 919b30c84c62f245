//! What the outbox holds: one message to one target, stored before it is sent and removed
//! once its sink accepted it (the store persists them; the sender drains them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::AlertId;

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// A Telegram chat.
    Telegram(i64),
    /// Standard output (no token configured).
    Console,
}

/// One message waiting to be sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The alert it carries.
    pub alert: AlertId,
    /// Where it goes.
    pub target: Target,
    /// The rendered text (Telegram HTML, or plain text for the console).
    pub text: String,
    /// When it was enqueued.
    pub created: DateTime<Utc>,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// Not before this instant, on the bot's clock (backoff, quiet hours). Telegram's flood
    /// pause is not written here: it holds every send ([`FloodControl`]), on Telegram's time.
    ///
    /// [`FloodControl`]: crate::telegram::flood_control::FloodControl
    #[serde(default)]
    pub not_before: Option<DateTime<Utc>>,
    /// The last failure.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When its first failure that might pass happened (network, server trouble): the days
    /// of failures that give it up are counted from here, not from when it was queued — it
    /// may have waited its turn for days (behind an older message to its chat, a flood
    /// pause, a bot that was down). Time a retry waited past its due time (`not_before`)
    /// moves it on by as much: only the days it was being tried count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// The Telegram message this delivery replaces by editing it, if it is an update.
    #[serde(default)]
    pub edit: Option<i32>,
    /// Send the alert's chart, with the text as its caption.
    #[serde(default)]
    pub photo: bool,
    /// Attach the alert's buttons (why?, mute, unsubscribe).
    #[serde(default)]
    pub buttons: bool,
    /// The chat's language, for the buttons.
    #[serde(default)]
    pub lang: crate::text::Lang,
    /// The forum topic to post in.
    #[serde(default)]
    pub thread: Option<i32>,
    /// Deliver without a notification sound (alerts of `info` and `low` severity).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub silent: bool,
    /// Which part it is of an alert's message split in parts (none: the whole message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
}

/// One part of a message too long for one Telegram message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Its place, from 0.
    pub index: u32,
    /// How many parts the message went out in.
    pub of: u32,
}

/// A Telegram message an alert became in a chat: the whole message, or one of its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SentMessage {
    /// The chat.
    pub chat: i64,
    /// Which part (0: the first, or the whole message).
    pub part: u32,
    /// Telegram's message id.
    pub message: i32,
    /// Whether a picture with a caption.
    pub photo: bool,
}

/// The alert id of messages that are not one alert's (`/broadcast`, digests): never edited,
/// no buttons.
pub const BROADCAST: AlertId = AlertId::MAX;

impl Delivery {
    /// A plain message for `target` (no photo, no buttons).
    pub fn message(
        alert: AlertId,
        target: Target,
        text: String,
        created: DateTime<Utc>,
    ) -> Delivery {
        Delivery {
            alert,
            target,
            text,
            created,
            attempts: 0,
            not_before: None,
            last_error: None,
            failing_since: None,
            edit: None,
            photo: false,
            buttons: false,
            lang: crate::text::Lang::En,
            thread: None,
            silent: false,
            part: None,
        }
    }

    /// The Telegram message an alert's first send became (`message_id`, as the sink answered;
    /// the part it is, and whether a picture, as this delivery says), to be remembered for
    /// later edits and `/history`; `None` for edits, broadcasts, digests and the console.
    pub fn became(&self, message_id: Option<i32>) -> Option<SentMessage> {
        match (self.target, message_id) {
            (Target::Telegram(chat), Some(message))
                if self.edit.is_none() && self.alert != BROADCAST =>
            {
                Some(SentMessage {
                    chat,
                    part: self.part.map_or(0, |p| p.index),
                    message,
                    photo: self.photo,
                })
            }
            _ => None,
        }
    }

    /// The edit bringing the message this delivery became (`message`, in its chat) up to
    /// `text`: a caption for a photo, text otherwise, with the same buttons.
    pub fn edit_to(&self, message: i32, text: String, created: DateTime<Utc>) -> Delivery {
        Delivery {
            edit: Some(message),
            photo: self.photo,
            buttons: self.buttons,
            lang: self.lang,
            ..Delivery::message(self.alert, self.target, text, created)
        }
    }
}
