//! The Telegram sink: sends through teloxide's `Throttle` adaptor (30 messages/s overall,
//! 1/s per chat) and classifies Bot API errors for the delivery policy.

use futures::future::BoxFuture;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{LinkPreviewOptions, MessageId, ParseMode};

use super::{SendError, Sink};
use crate::store::Target;
use crate::telegram::TgBot;

/// Sends messages as the bot.
pub struct TelegramSink {
    bot: TgBot,
    /// The token, so it can be scrubbed from error messages.
    token: String,
}

impl TelegramSink {
    /// A sink sending as `bot`.
    pub fn new(bot: TgBot, token: String) -> TelegramSink {
        TelegramSink { bot, token }
    }
}

impl Sink for TelegramSink {
    fn send<'a>(
        &'a self,
        target: Target,
        text: &'a str,
        edit: Option<i32>,
    ) -> BoxFuture<'a, Result<Option<i32>, SendError>> {
        Box::pin(async move {
            let Target::Telegram(chat) = target else {
                return Err(SendError::Permanent("not a Telegram target".into()));
            };
            let no_preview = LinkPreviewOptions {
                is_disabled: true,
                url: None,
                prefer_small_media: false,
                prefer_large_media: false,
                show_above_text: false,
            };
            let sent = match edit {
                Some(message) => self
                    .bot
                    .edit_message_text(ChatId(chat), MessageId(message), text)
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview)
                    .await
                    .map(|m| m.id.0),
                None => self
                    .bot
                    .send_message(ChatId(chat), text)
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview)
                    .await
                    .map(|m| m.id.0),
            };
            match sent {
                Ok(id) => Ok(Some(id)),
                // The edit changed nothing (the same copy twice): done.
                Err(RequestError::Api(ApiError::MessageNotModified)) if edit.is_some() => Ok(edit),
                Err(e) => Err(classify(e, &self.token)),
            }
        })
    }
}

/// Maps a teloxide error onto the delivery policy.
pub fn classify(e: RequestError, token: &str) -> SendError {
    let text = crate::telegram::redact(&e.to_string(), token);
    match e {
        RequestError::RetryAfter(s) => SendError::RetryAfter(s.duration()),
        RequestError::MigrateToChatId(id) => SendError::Migrated(id.0),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::GroupDeactivated
            | ApiError::NotEnoughRightsToPostMessages,
        ) => SendError::ChatGone(text),
        RequestError::Api(
            ApiError::CantParseEntities(_)
            | ApiError::MessageIsTooLong
            | ApiError::MessageTextIsEmpty,
        ) => SendError::Permanent(text),
        // A request Telegram refuses as malformed will be refused again.
        RequestError::Api(ApiError::Unknown(description))
            if description.starts_with("Bad Request") =>
        {
            SendError::Permanent(text)
        }
        _ => SendError::Transient(text),
    }
}
