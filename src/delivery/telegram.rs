//! The Telegram sink: sends alerts as messages or photos with buttons, paced by the shared
//! [`Pacer`] (Telegram's limits), and classifies Bot API errors for the delivery policy.

use std::sync::Arc;

use futures::future::BoxFuture;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ThreadId};

use super::{Accepted, SendError, Sink};
use crate::delivery::outbox::{Delivery, Target};
use crate::store::Store;
use crate::telegram::keyboards::alert_buttons;
use crate::telegram::pace::Pacer;
use crate::telegram::{TgBot, no_preview};

/// Sets what every new alert message carries on a send request (photo or text, different
/// builder types with the same setters): its forum topic, its buttons, paid broadcast, and
/// no notification sound for quiet alerts.
macro_rules! with_extras {
    ($sink:expr, $request:expr, $delivery:expr) => {{
        let mut request = $request;
        if let Some(thread) = $delivery.thread {
            request = request.message_thread_id(ThreadId(MessageId(thread)));
        }
        if let Some(markup) = $sink.buttons($delivery) {
            request = request.reply_markup(markup);
        }
        if $sink.paid_broadcast {
            request = request.allow_paid_broadcast(true);
        }
        if $delivery.silent {
            request = request.disable_notification(true);
        }
        request
    }};
}

/// Why a request for a delivery did not go through.
enum Failed {
    /// Telegram, or the way there, failed it.
    Request(RequestError),
    /// Not made: when its turn came, this instance could no longer send.
    NotSent,
}

impl From<RequestError> for Failed {
    fn from(e: RequestError) -> Failed {
        Failed::Request(e)
    }
}

/// Whether this instance may still send.
type MaySend<'a> = &'a (dyn Fn() -> bool + Send + Sync);

/// Sends messages as the bot.
pub struct TelegramSink {
    bot: TgBot,
    /// The token, so it can be scrubbed from error messages.
    token: String,
    /// Alerts (for their buttons) and charts (bytes, and file ids once uploaded).
    store: Store,
    /// Whether to pay for broadcasting beyond the free limits (`telegram.allow_paid_broadcast`).
    paid_broadcast: bool,
    /// Telegram's limits, shared with command replies.
    pacer: Arc<Pacer>,
    /// Held while a chart is uploaded, so one alert's chart is uploaded once and then sent to
    /// every other chat by its file id.
    uploading: tokio::sync::Mutex<()>,
}

impl TelegramSink {
    /// A sink sending as `bot`.
    pub fn new(
        bot: TgBot,
        token: String,
        store: Store,
        paid_broadcast: bool,
        pacer: Arc<Pacer>,
    ) -> TelegramSink {
        TelegramSink {
            bot,
            token,
            store,
            paid_broadcast,
            pacer,
            uploading: tokio::sync::Mutex::new(()),
        }
    }

    fn buttons(&self, d: &Delivery) -> Option<InlineKeyboardMarkup> {
        if !d.buttons {
            return None;
        }
        let alert = self.store.alert(d.alert).ok()??;
        Some(alert_buttons(&alert, d.lang))
    }

    /// Waits for the chat's turn (Telegram's limits); then whether this instance may still
    /// send: the wait can be long (a group's twenty messages a minute), and a leader that
    /// stepped down meanwhile must not send what the next leader will.
    async fn turn(&self, chat: ChatId, may_send: MaySend<'_>) -> Result<(), Failed> {
        self.pacer.ready(chat.0).await;
        if may_send() {
            Ok(())
        } else {
            Err(Failed::NotSent)
        }
    }

    /// One request for `d`; each kind of send takes its slot of the pacer right before it.
    /// The message it became, and whether a picture.
    async fn send_once(
        &self,
        chat: ChatId,
        d: &Delivery,
        may_send: MaySend<'_>,
    ) -> Result<(i32, bool), Failed> {
        match (d.edit, d.photo) {
            (Some(message), _) => self.edit(chat, MessageId(message), d, may_send).await,
            (None, true) => self.send_photo(chat, d, may_send).await,
            (None, false) => self
                .send_text(chat, d, may_send)
                .await
                .map(|id| (id, false)),
        }
    }

    async fn send_photo(
        &self,
        chat: ChatId,
        d: &Delivery,
        may_send: MaySend<'_>,
    ) -> Result<(i32, bool), Failed> {
        // A file id Telegram refused once: forgotten, and the picture sent again, uploaded.
        let mut refused: Option<String> = None;
        loop {
            // The first chat uploads; the others wait for its file id (before taking a slot of
            // the pacer, so they do not all go out at once when the upload is done).
            let file_id = || {
                self.store
                    .chart_file_id(d.alert, d.lang)
                    .ok()
                    .flatten()
                    .filter(|id| refused.as_ref() != Some(id))
            };
            let mut file_id_now = file_id();
            let mut _upload = None;
            if file_id_now.is_none() {
                let guard = self.uploading.lock().await;
                file_id_now = file_id();
                if file_id_now.is_none() {
                    _upload = Some(guard);
                }
            }
            let file = match &file_id_now {
                Some(id) => InputFile::file_id(teloxide::types::FileId(id.clone())),
                None => match self.store.chart(d.alert, d.lang).ok().flatten() {
                    Some(png) => InputFile::memory(png).file_name("chart.png"),
                    // No chart after all (or no longer): send the caption as a message.
                    None => {
                        return self
                            .send_text(chat, d, may_send)
                            .await
                            .map(|id| (id, false));
                    }
                },
            };
            self.turn(chat, may_send).await?;
            let request = self
                .bot
                .send_photo(chat, file)
                .caption(d.text.clone())
                .parse_mode(ParseMode::Html);
            let sent = with_extras!(self, request, d).await;
            // Telegram does not know the file id (another bot's, the store having moved, or
            // one it no longer keeps): the alert is not lost for it.
            if let (Err(e), Some(id), None) = (&sent, &file_id_now, &refused)
                && refused_file_id(e)
            {
                tracing::warn!(
                    chat = chat.0,
                    alert = d.alert,
                    error = %crate::telegram::redact(&e.to_string(), &self.token),
                    "Telegram refused the chart's file id; uploading the chart again"
                );
                if let Err(e) = self.store.forget_chart_file_id(d.alert, d.lang, id) {
                    tracing::warn!(error = %e, "cannot forget a chart's refused file id");
                }
                refused = Some(id.clone());
                continue;
            }
            let message = sent?;
            // Upload once: later chats get the same file by id.
            if file_id_now.is_none()
                && let Some(largest) = message
                    .photo()
                    .and_then(|sizes| sizes.iter().max_by_key(|p| p.width * p.height))
                && let Err(e) = self
                    .store
                    .put_chart_file_id(d.alert, d.lang, &largest.file.id.0)
            {
                tracing::warn!(error = %e, "cannot remember a chart's file id");
            }
            return Ok((message.id.0, true));
        }
    }

    async fn send_text(
        &self,
        chat: ChatId,
        d: &Delivery,
        may_send: MaySend<'_>,
    ) -> Result<i32, Failed> {
        self.turn(chat, may_send).await?;
        let request = self
            .bot
            .send_message(chat, d.text.clone())
            .parse_mode(ParseMode::Html)
            .link_preview_options(no_preview());
        Ok(with_extras!(self, request, d).await?.id.0)
    }

    async fn edit(
        &self,
        chat: ChatId,
        message: MessageId,
        d: &Delivery,
        may_send: MaySend<'_>,
    ) -> Result<(i32, bool), Failed> {
        let markup = self.buttons(d);
        self.turn(chat, may_send).await?;
        if d.photo {
            let mut request = self
                .bot
                .edit_message_caption(chat, message)
                .caption(d.text.clone())
                .parse_mode(ParseMode::Html);
            if let Some(m) = markup {
                request = request.reply_markup(m);
            }
            Ok(request.await.map(|m| (m.id.0, true))?)
        } else {
            let mut request = self
                .bot
                .edit_message_text(chat, message, d.text.clone())
                .parse_mode(ParseMode::Html)
                .link_preview_options(no_preview());
            if let Some(m) = markup {
                request = request.reply_markup(m);
            }
            Ok(request.await.map(|m| (m.id.0, false))?)
        }
    }
}

/// Words of Telegram's refusals of a file id (in lower case), beyond those teloxide names:
/// one it cannot read (`wrong remote file identifier specified`), one it no longer keeps (a
/// file reference expired), one that names another kind of file.
const FILE_ID_REFUSED: [&str; 6] = [
    "file identifier",
    "file id",
    "file_id",
    "file reference",
    "file_reference",
    "type of file mismatch",
];

/// Whether Telegram refused a picture sent by file id for the file id itself, not for the
/// message: it does not know it (uploaded by another bot) or no longer keeps it.
fn refused_file_id(e: &RequestError) -> bool {
    match e {
        RequestError::Api(
            ApiError::WrongFileId | ApiError::WrongFileIdOrUrl | ApiError::FileIdInvalid,
        ) => true,
        RequestError::Api(ApiError::Unknown(description)) => {
            let description = description.to_lowercase();
            description.starts_with("bad request")
                && FILE_ID_REFUSED.iter().any(|w| description.contains(w))
        }
        _ => false,
    }
}

/// What Telegram says when a message is sent to a forum topic that was deleted.
const THREAD_GONE: &str = "message thread not found";
/// What Telegram says when the bot may post in a chat but not pictures.
const NO_PHOTOS: &str = "not enough rights to send photos";
/// What Telegram says, in a 400, when the bot may not send messages in a chat at all
/// (restricted in a group): in newer words, then in older ones.
const NO_MESSAGES: [&str; 2] = [
    "not enough rights to send text messages",
    "have no rights to send a message",
];
/// What Telegram says when a caption is edited on a message that is text, and text on one
/// that is a picture.
const NOT_A_PHOTO: &str = "there is no caption in the message to edit";
const NOT_TEXT: &str = "there is no text in the message to edit";

impl Sink for TelegramSink {
    fn send<'a>(&'a self, d: &'a Delivery) -> BoxFuture<'a, Result<Accepted, SendError>> {
        self.send_if(d, &|| true)
    }

    fn send_if<'a>(
        &'a self,
        d: &'a Delivery,
        may_send: MaySend<'a>,
    ) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(async move {
            let Target::Telegram(chat) = d.target else {
                return Err(SendError::Permanent("not a Telegram target".into()));
            };
            let chat = ChatId(chat);
            let sent = match self.send_once(chat, d, may_send).await {
                // The chat changed under the alert: its forum topic was deleted, or the bot
                // may no longer post pictures there. The alert still goes out, plainer.
                Err(Failed::Request(RequestError::Api(ApiError::Unknown(why))))
                    if d.edit.is_none() && d.thread.is_some() && why.contains(THREAD_GONE) =>
                {
                    tracing::warn!(
                        chat = chat.0,
                        "the chat's forum topic is gone; alerts go to its general topic"
                    );
                    if let Err(e) = self.store.update_chat(chat.0, |c| c.thread = None) {
                        tracing::error!(error = %e, "cannot forget the chat's forum topic");
                    }
                    let general = Delivery {
                        thread: None,
                        ..d.clone()
                    };
                    self.send_once(chat, &general, may_send).await
                }
                Err(Failed::Request(RequestError::Api(ApiError::Unknown(why))))
                    if d.edit.is_none() && d.photo && why.contains(NO_PHOTOS) =>
                {
                    let text = Delivery {
                        photo: false,
                        ..d.clone()
                    };
                    self.send_once(chat, &text, may_send).await
                }
                // The message became something else than it was meant to (an alert sent as
                // text where pictures were refused): its edit follows what it is.
                Err(Failed::Request(RequestError::Api(ApiError::Unknown(why))))
                    if d.edit.is_some()
                        && (d.photo && why.contains(NOT_A_PHOTO)
                            || !d.photo && why.contains(NOT_TEXT)) =>
                {
                    let other = Delivery {
                        photo: !d.photo,
                        ..d.clone()
                    };
                    self.send_once(chat, &other, may_send).await
                }
                sent => sent,
            };
            match sent {
                Ok((id, photo)) => Ok(Accepted {
                    message: Some(id),
                    photo,
                }),
                // The edit changed nothing (the same copy twice): done.
                Err(Failed::Request(RequestError::Api(ApiError::MessageNotModified)))
                    if d.edit.is_some() =>
                {
                    Ok(Accepted::as_asked(d, d.edit))
                }
                Err(Failed::Request(e)) => Err(classify(e, &self.token)),
                Err(Failed::NotSent) => Err(SendError::NotSent),
            }
        })
    }
}

/// Maps a teloxide error onto the delivery policy.
pub fn classify(e: RequestError, token: &str) -> SendError {
    let text = crate::telegram::redact(&e.to_string(), token);
    match e {
        RequestError::RetryAfter(s) => {
            crate::metrics::rate_limited(s.duration());
            SendError::RetryAfter(s.duration())
        }
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
        // About the bot, not this message: it may pass (a token revoked and restored, a
        // second instance gone), and every delivery waits for it.
        RequestError::Api(
            ApiError::InvalidToken
            | ApiError::TerminatedByOtherGetUpdates
            | ApiError::CantGetUpdates,
        ) => SendError::Transient(text),
        // Telegram's 403: the bot may no longer write to this chat, in words that vary with
        // the kind of chat (kicked from a group, no longer a member of a supergroup or
        // channel, a group deleted, a user who never started the bot) and that teloxide knows
        // only in part.
        RequestError::Api(ApiError::Unknown(description))
            if description.starts_with("Forbidden:") =>
        {
            SendError::ChatGone(text)
        }
        // Restricted in a group: nothing can be sent there until the right comes back (the
        // chat is then turned on again, see `chats::MAY_NOT_POST`).
        RequestError::Api(ApiError::Unknown(description))
            if NO_MESSAGES.iter().any(|n| description.contains(n)) =>
        {
            SendError::ChatGone(format!("{}: {text}", crate::chats::MAY_NOT_POST))
        }
        // Server trouble Telegram reports in words (a 5xx): may pass.
        RequestError::Api(ApiError::Unknown(description))
            if !description.starts_with("Bad Request") =>
        {
            SendError::Transient(text)
        }
        // Every other refusal is about this request — malformed, too long, a message to edit
        // that is gone or can no longer be edited — and will be refused again. Kept for
        // retries, it would hold back the chat's newer deliveries (they go out in order).
        RequestError::Api(_) => SendError::Permanent(text),
        _ => SendError::Transient(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a refusal of the file id itself has the picture uploaded again; a refusal of the
    /// message (a caption too long) would be refused again, and the file id is good.
    #[test]
    fn a_refused_file_id_is_told_from_a_refused_message() {
        let api = |description: &str| {
            RequestError::Api(serde_json::from_value(description.into()).unwrap())
        };
        for refused in [
            "Bad Request: wrong file identifier/HTTP URL specified",
            "Bad Request: wrong remote file identifier specified: Wrong padding in the string",
            "Bad Request: invalid file id",
            "Bad Request: FILE_REFERENCE_EXPIRED",
            "Bad Request: type of file mismatch",
        ] {
            assert!(refused_file_id(&api(refused)), "{refused}");
        }
        for other in [
            "Bad Request: message caption is too long",
            "Bad Request: not enough rights to send photos to the chat",
            "Forbidden: bot was blocked by the user",
            "Internal Server Error: file storage unavailable",
        ] {
            assert!(!refused_file_id(&api(other)), "{other}");
        }
    }
}
