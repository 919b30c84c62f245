//! A fake Telegram Bot API: long-polled getUpdates fed by the test (messages, channel posts,
//! forum topics, button presses, a group becoming a supergroup, the bot being removed),
//! sendMessage and sendPhoto (multipart uploads or file ids) recorded, chat members with admin
//! rights, chat actions, scripted failures (of sends and of chat actions), and — when asked —
//! Telegram's rate limits enforced with 429s.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The token the tests use.
pub const TOKEN: &str = "123456:TEST-token_abc";
/// The bot's own user id.
pub const BOT_ID: i64 = 777;
/// The user who speaks in groups unless a test says otherwise.
pub const GROUP_USER: i64 = 4242;
/// A user whose app is set to German (every other user's is English).
pub const GERMAN_USER: i64 = 4949;

/// How the fake answers the next send to a chat.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 429 with `retry_after` seconds.
    RetryAfter(u64),
    /// 403 "bot was blocked by the user".
    Blocked,
    /// 400 "group chat was upgraded to a supergroup chat" with the new id.
    Migrated(i64),
    /// Never answer (until the client gives up).
    Hang,
    /// Accept (record) the message, but answer only after this long.
    Slow(Duration),
    /// 400 with this description ("Bad Request: …").
    Refused(&'static str),
    /// 403 with this description ("Forbidden: …").
    Forbidden(&'static str),
}

/// A message the bot got accepted.
#[derive(Clone, Debug)]
pub struct Sent {
    pub chat: i64,
    /// The text, or a photo's caption.
    pub text: String,
    pub message_id: i64,
    pub at: Instant,
    /// The uploaded image, when a photo was sent as a file.
    pub photo: Option<Vec<u8>>,
    /// The file id, when a photo was sent by id.
    pub photo_id: Option<String>,
    /// The inline keyboard, if any.
    pub keyboard: Option<Value>,
    /// The forum topic it went to.
    pub thread: Option<i64>,
    /// The message it replies to.
    pub reply_to: Option<i64>,
    /// Sent with `allow_paid_broadcast`.
    pub paid: bool,
    /// Sent with `disable_notification` (no sound).
    pub silent: bool,
}

/// Whether a message is an alert (not a reply): alerts name their rule.
pub fn is_alert(s: &Sent) -> bool {
    s.text.contains("Rule: <code>") || s.text.contains("Regel: <code>")
}

impl Sent {
    /// Whether this is a photo.
    pub fn is_photo(&self) -> bool {
        self.photo.is_some() || self.photo_id.is_some()
    }

    /// The callback data of every button.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for row in self
            .keyboard
            .as_ref()
            .and_then(|k| k["inline_keyboard"].as_array())
            .into_iter()
            .flatten()
        {
            for b in row.as_array().into_iter().flatten() {
                out.push((
                    b["text"].as_str().unwrap_or("").to_string(),
                    b["callback_data"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
        out
    }
}

/// How much sooner than the limits' windows the fake still accepts a send. Telegram counts
/// sends as they reach it, after a network with its own jitter, and tolerates as much; this
/// fake counts them as they reach a handler in the test process, on a busy two-core machine
/// where one request of a steadily paced run can be held back tens of milliseconds and
/// arrive bunched with the next. What the limits test is the bot's pacing, not the machine's
/// scheduling: a bot that does not pace is refused dozens of times in the same run.
const ARRIVAL_JITTER: Duration = Duration::from_millis(60);

/// Telegram's limits, as the fake enforces them when asked.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_second: usize,
    pub chat_gap: Duration,
    pub group_per_minute: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_second: 30,
            chat_gap: Duration::from_secs(1),
            group_per_minute: 20,
        }
    }
}

/// A webhook set with `setWebhook`: where updates go, and the secret sent with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret: Option<String>,
    pub allowed_updates: Vec<String>,
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    /// Set by `setWebhook`: updates are then posted there, not handed to `getUpdates`.
    webhook: Option<Webhook>,
    /// Webhook deliveries: (update id, HTTP status; 0 when the bot could not be reached).
    deliveries: Vec<(i64, u16)>,
    next_update: i64,
    next_message: i64,
    sent: Vec<Sent>,
    /// Every send attempt, accepted or not: (chat, time).
    attempts: Vec<(i64, Instant)>,
    script: HashMap<i64, VecDeque<Answer>>,
    /// How the next chat actions in a chat are answered (only `RetryAfter` is not accepted).
    action_script: HashMap<i64, VecDeque<Answer>>,
    /// Every accepted edit: (chat, message id, new text or caption).
    edits: Vec<(i64, i64, String)>,
    /// Keyboards replaced: (chat, message id, keyboard).
    keyboards: Vec<(i64, i64, Value)>,
    /// Chat actions shown: (chat, action, topic).
    actions: Vec<(i64, String, Option<i64>)>,
    /// Callback answers: (callback id, text).
    callback_answers: Vec<(String, Option<String>)>,
    /// Command menus registered: language code ("" for the default) → command names.
    menus: HashMap<String, Vec<String>>,
    methods: Vec<String>,
    /// Admins per group.
    admins: HashMap<i64, Vec<i64>>,
    channels: HashSet<i64>,
    forums: HashSet<i64>,
    limits: Option<Limits>,
    /// Sends refused with 429 by the enforced limits.
    refused: usize,
    /// Accepted sends, for the limits: (chat, time).
    accepted: VecDeque<(i64, Instant)>,
    last_to_chat: HashMap<i64, Instant>,
    group_window: HashMap<i64, VecDeque<Instant>>,
    next_file: u64,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    new_update: Arc<Notify>,
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn error(status: StatusCode, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": status.as_u16(), "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (status, axum::Json(body)).into_response()
}

fn user_json(id: i64) -> Value {
    let lang = if id == GERMAN_USER { "de" } else { "en" };
    json!({"id": id, "is_bot": false, "first_name": format!("User{id}"), "language_code": lang})
}

/// The bot as a plain member of a chat.
fn bot_member() -> Value {
    json!({"status": "member", "user": {"id": BOT_ID, "is_bot": true, "first_name": "marketbot"}})
}

/// The bot restricted in a supergroup: a member with no rights but, maybe, to send messages.
fn restricted_bot(can_send_messages: bool) -> Value {
    let mut member = bot_member();
    member["status"] = json!("restricted");
    member["is_member"] = json!(true);
    member["until_date"] = json!(0);
    for right in [
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
        "can_change_info",
        "can_invite_users",
        "can_pin_messages",
        "can_manage_topics",
    ] {
        member[right] = json!(false);
    }
    member["can_send_messages"] = json!(can_send_messages);
    member
}

impl Inner {
    fn chat_json(&self, id: i64) -> Value {
        if self.channels.contains(&id) {
            json!({"id": id, "type": "channel", "title": format!("Channel {id}")})
        } else if id <= -1_000_000_000_000 {
            json!({"id": id, "type": "supergroup", "title": format!("Supergroup {id}"), "is_forum": self.forums.contains(&id)})
        } else if id < 0 {
            json!({"id": id, "type": "group", "title": format!("Group {id}")})
        } else {
            json!({"id": id, "type": "private", "first_name": format!("User{id}")})
        }
    }

    fn push(&mut self, key: &str, value: Value) {
        let update_id = self.next_update;
        self.next_update += 1;
        self.updates
            .push(json!({"update_id": update_id, key: value}));
    }

    fn message_id(&mut self) -> i64 {
        self.next_message += 1;
        self.next_message
    }

    /// Whether a send to `chat` now breaks the enforced limits (and records it if not).
    fn over_limits(&mut self, chat: i64, now: Instant) -> bool {
        let Some(limits) = self.limits else {
            return false;
        };
        let second = Duration::from_secs(1) - ARRIVAL_JITTER;
        while self
            .accepted
            .front()
            .is_some_and(|(_, t)| now.duration_since(*t) >= second)
        {
            self.accepted.pop_front();
        }
        let chat_gap = limits.chat_gap.saturating_sub(ARRIVAL_JITTER);
        let chat_too_soon = self
            .last_to_chat
            .get(&chat)
            .is_some_and(|t| now.duration_since(*t) < chat_gap);
        let group = self.group_window.entry(chat).or_default();
        while group
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60) - ARRIVAL_JITTER)
        {
            group.pop_front();
        }
        let group_full = chat < 0 && group.len() >= limits.group_per_minute;
        if self.accepted.len() >= limits.per_second || chat_too_soon || group_full {
            self.refused += 1;
            return true;
        }
        self.accepted.push_back((chat, now));
        self.last_to_chat.insert(chat, now);
        if chat < 0 {
            group.push_back(now);
        }
        false
    }
}

/// A request's parameters: JSON, or multipart fields (text fields read as JSON where they
/// parse, files kept as bytes).
async fn params_of(request: Request) -> (Value, HashMap<String, Vec<u8>>) {
    let multipart = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut files = HashMap::new();
    if !multipart {
        let bytes = axum::body::to_bytes(request.into_body(), 64 << 20)
            .await
            .unwrap_or_default();
        return (serde_json::from_slice(&bytes).unwrap_or(Value::Null), files);
    }
    let mut fields = Map::new();
    let Ok(mut form) = Multipart::from_request(request, &()).await else {
        return (Value::Null, files);
    };
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let bytes = field.bytes().await.unwrap_or_default();
        if is_file {
            files.insert(name, bytes.to_vec());
        } else {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let value = match serde_json::from_str::<Value>(&text) {
                Ok(
                    v @ (Value::Object(_) | Value::Array(_) | Value::Number(_) | Value::Bool(_)),
                ) => v,
                _ => Value::String(text),
            };
            fields.insert(name, value);
        }
    }
    (Value::Object(fields), files)
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        FakeTelegram::serve(None).await
    }

    /// A fake that refuses sends beyond `limits` with 429, like Telegram.
    pub async fn with_limits(limits: Limits) -> FakeTelegram {
        FakeTelegram::serve(Some(limits)).await
    }

    async fn serve(limits: Option<Limits>) -> FakeTelegram {
        let fake = FakeTelegram {
            addr: "127.0.0.1:0".parse().unwrap(),
            inner: Arc::new(Mutex::new(Inner {
                next_update: 1,
                next_message: 100,
                limits,
                ..Inner::default()
            })),
            new_update: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let fake = FakeTelegram { addr, ..fake };
        tokio::spawn(fake.clone().deliver());
        fake
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn update(&self, key: &str, value: Value) {
        self.inner.lock().unwrap().push(key, value);
        self.new_update.notify_waiters();
    }

    fn message(&self, chat: i64, from: Option<i64>, text: &str, thread: Option<i64>) -> Value {
        let mut inner = self.inner.lock().unwrap();
        let message_id = inner.message_id();
        let entities = if text.starts_with('/') {
            let len = text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .encode_utf16()
                .count();
            json!([{"type": "bot_command", "offset": 0, "length": len}])
        } else {
            json!([])
        };
        // Sent now, as Telegram stamps it (the bot paces commands by it).
        let date = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut m = json!({"message_id": message_id, "date": date, "chat": inner.chat_json(chat), "text": text, "entities": entities});
        if let Some(user) = from {
            m["from"] = user_json(user);
        }
        if let Some(t) = thread {
            m["message_thread_id"] = json!(t);
            m["is_topic_message"] = json!(true);
        }
        m
    }

    /// A user (or, in groups, [`GROUP_USER`]) sends `text` in `chat`; the message's id.
    pub fn user_sends(&self, chat: i64, text: &str) -> i64 {
        self.user_sends_as(chat, if chat < 0 { GROUP_USER } else { chat }, text)
    }

    /// `user` sends `text` in `chat`; the message's id.
    pub fn user_sends_as(&self, chat: i64, user: i64, text: &str) -> i64 {
        let m = self.message(chat, Some(user), text, None);
        let id = m["message_id"].as_i64().unwrap_or(0);
        self.update("message", m);
        id
    }

    /// `user` edits their message `message_id` in `chat` to read `text` (Telegram sends the
    /// whole message again, as an `edited_message`, with the time of the edit).
    pub fn user_edits(&self, chat: i64, user: i64, message_id: i64, text: &str) {
        let mut m = self.message(chat, Some(user), text, None);
        m["edit_date"] = m["date"].clone();
        m["date"] = json!(m["date"].as_i64().unwrap_or(0) - 60);
        m["message_id"] = json!(message_id);
        self.update("edited_message", m);
    }

    /// `user` sends a photo captioned `caption` in `chat`; the message's id.
    pub fn user_sends_photo(&self, chat: i64, user: i64, caption: &str) -> i64 {
        let m = self.photo(chat, user, caption);
        let id = m["message_id"].as_i64().unwrap_or(0);
        self.update("message", m);
        id
    }

    /// `user` edits the caption of their photo `message_id` in `chat` to `caption`.
    pub fn user_edits_caption(&self, chat: i64, user: i64, message_id: i64, caption: &str) {
        let mut m = self.photo(chat, user, caption);
        m["edit_date"] = m["date"].clone();
        m["date"] = json!(m["date"].as_i64().unwrap_or(0) - 60);
        m["message_id"] = json!(message_id);
        self.update("edited_message", m);
    }

    /// A photo captioned `caption`, sent by `user` in `chat`.
    fn photo(&self, chat: i64, user: i64, caption: &str) -> Value {
        let mut m = self.message(chat, Some(user), caption, None);
        let obj = m.as_object_mut().unwrap();
        let entities = obj.remove("entities").unwrap_or(json!([]));
        obj.remove("text");
        obj.insert("caption".into(), json!(caption));
        obj.insert("caption_entities".into(), entities);
        obj.insert(
            "photo".into(),
            json!([{"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 60}]),
        );
        m
    }

    /// `user` sends `text` in a forum topic of `chat`.
    pub fn topic_sends(&self, chat: i64, thread: i64, user: i64, text: &str) {
        self.inner.lock().unwrap().forums.insert(chat);
        let m = self.message(chat, Some(user), text, Some(thread));
        self.update("message", m);
    }

    /// An admin posts `text` in channel `chat`.
    pub fn channel_posts(&self, chat: i64, text: &str) {
        self.inner.lock().unwrap().channels.insert(chat);
        let m = self.message(chat, None, text, None);
        self.update("channel_post", m);
    }

    /// `user` presses the button with `data` under message `message_id` in `chat`.
    pub fn press(&self, chat: i64, user: i64, message_id: i64, data: &str) -> String {
        let id = format!(
            "cb-{chat}-{message_id}-{}",
            self.inner.lock().unwrap().next_update
        );
        let chat_json = self.inner.lock().unwrap().chat_json(chat);
        self.update(
            "callback_query",
            json!({
                "id": id,
                "from": user_json(user),
                "message": {"message_id": message_id, "date": 1770068000, "chat": chat_json, "text": "alert"},
                "chat_instance": "42",
                "data": data,
            }),
        );
        id
    }

    /// Group `old` becomes supergroup `new_id` (the service message in the old group).
    pub fn migrate(&self, old: i64, new_id: i64) {
        let mut m = self.message(old, Some(GROUP_USER), "", None);
        let obj = m.as_object_mut().unwrap();
        obj.remove("text");
        obj.remove("entities");
        obj.insert("migrate_to_chat_id".into(), json!(new_id));
        self.update("message", m);
    }

    /// Supergroup `new_id` tells that it was group `old` (the service message in the new
    /// supergroup, which Telegram sends beside the one in the old group).
    pub fn migrated_from(&self, old: i64, new_id: i64) {
        let mut m = self.message(new_id, Some(GROUP_USER), "", None);
        let obj = m.as_object_mut().unwrap();
        obj.remove("text");
        obj.remove("entities");
        obj.insert("migrate_from_chat_id".into(), json!(old));
        self.update("message", m);
    }

    /// The bot is removed from `chat` (or blocked, in a private chat).
    pub fn bot_removed(&self, chat: i64) {
        let chat_json = self.inner.lock().unwrap().chat_json(chat);
        let bot = json!({"id": BOT_ID, "is_bot": true, "first_name": "marketbot"});
        self.update(
            "my_chat_member",
            json!({
                "chat": chat_json,
                "from": user_json(if chat < 0 { GROUP_USER } else { chat }),
                "date": 1770068000,
                "old_chat_member": {"status": "member", "user": bot},
                "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
            }),
        );
    }

    /// An admin of supergroup `chat` restricts the bot: it stays a member, but may send
    /// messages only when `can_send_messages`.
    pub fn bot_restricted(&self, chat: i64, can_send_messages: bool) {
        self.member_changed(chat, bot_member(), restricted_bot(can_send_messages));
    }

    /// An admin of `chat` lifts the bot's restrictions: a plain member again.
    pub fn bot_unrestricted(&self, chat: i64) {
        self.member_changed(chat, restricted_bot(false), bot_member());
    }

    /// The bot's membership of `chat` changes from `old` to `new` (a group's admin did it).
    fn member_changed(&self, chat: i64, old: Value, new: Value) {
        let chat_json = self.inner.lock().unwrap().chat_json(chat);
        self.update(
            "my_chat_member",
            json!({
                "chat": chat_json,
                "from": user_json(GROUP_USER),
                "date": 1770068000,
                "old_chat_member": old,
                "new_chat_member": new,
            }),
        );
    }

    /// Makes `users` the admins of group `chat` (everyone else is a plain member).
    pub fn set_admins(&self, chat: i64, users: &[i64]) {
        self.inner
            .lock()
            .unwrap()
            .admins
            .insert(chat, users.to_vec());
    }

    /// The next sends to `chat` get these answers, in turn.
    pub fn script(&self, chat: i64, answers: Vec<Answer>) {
        self.inner
            .lock()
            .unwrap()
            .script
            .insert(chat, answers.into());
    }

    /// The next chat actions in `chat` get these answers, in turn (`RetryAfter` refuses one;
    /// any other answer shows it).
    pub fn script_actions(&self, chat: i64, answers: Vec<Answer>) {
        self.inner
            .lock()
            .unwrap()
            .action_script
            .insert(chat, answers.into());
    }

    /// How many `sendChatAction` requests reached the fake, shown or refused, in any chat.
    pub fn action_requests(&self) -> usize {
        self.methods()
            .iter()
            .filter(|m| *m == "SendChatAction")
            .count()
    }

    /// Messages and photos accepted for `chat`, oldest first.
    pub fn sent_to(&self, chat: i64) -> Vec<Sent> {
        self.inner
            .lock()
            .unwrap()
            .sent
            .iter()
            .filter(|s| s.chat == chat)
            .cloned()
            .collect()
    }

    /// How many messages each chat got (cheap: nothing is copied but the counts).
    pub fn count_per_chat(&self) -> HashMap<i64, usize> {
        let mut out = HashMap::new();
        for s in &self.inner.lock().unwrap().sent {
            *out.entry(s.chat).or_default() += 1;
        }
        out
    }

    /// When each accepted message arrived.
    pub fn arrival_times(&self) -> Vec<(i64, Instant)> {
        self.inner
            .lock()
            .unwrap()
            .sent
            .iter()
            .map(|s| (s.chat, s.at))
            .collect()
    }

    /// Everything accepted, oldest first.
    pub fn all_sent(&self) -> Vec<Sent> {
        self.inner.lock().unwrap().sent.clone()
    }

    /// Every send attempt to `chat`.
    pub fn attempts(&self, chat: i64) -> Vec<Instant> {
        self.inner
            .lock()
            .unwrap()
            .attempts
            .iter()
            .filter(|(c, _)| *c == chat)
            .map(|(_, t)| *t)
            .collect()
    }

    /// Alerts (not command replies) accepted for `chat`.
    pub fn alerts_to(&self, chat: i64) -> Vec<Sent> {
        self.sent_to(chat).into_iter().filter(is_alert).collect()
    }

    /// Edits accepted for `chat`: (message id, new text).
    pub fn edits_to(&self, chat: i64) -> Vec<(i64, String)> {
        self.inner
            .lock()
            .unwrap()
            .edits
            .iter()
            .filter(|(c, _, _)| *c == chat)
            .map(|(_, m, t)| (*m, t.clone()))
            .collect()
    }

    /// Keyboards replaced in `chat`.
    pub fn keyboards_in(&self, chat: i64) -> Vec<(i64, Value)> {
        self.inner
            .lock()
            .unwrap()
            .keyboards
            .iter()
            .filter(|(c, _, _)| *c == chat)
            .map(|(_, m, k)| (*m, k.clone()))
            .collect()
    }

    /// The answer to callback `id`, once given.
    pub fn callback_answer(&self, id: &str) -> Option<Option<String>> {
        self.inner
            .lock()
            .unwrap()
            .callback_answers
            .iter()
            .find(|(c, _)| c == id)
            .map(|(_, t)| t.clone())
    }

    /// The command menu registered for `lang` ("" for the default).
    pub fn menu(&self, lang: &str) -> Option<Vec<String>> {
        self.inner.lock().unwrap().menus.get(lang).cloned()
    }

    pub fn commands_registered(&self) -> bool {
        self.inner.lock().unwrap().menus.contains_key("")
    }

    /// The chat actions ("typing", "upload_photo") shown in `chat`, with their topics.
    pub fn actions_in(&self, chat: i64) -> Vec<(String, Option<i64>)> {
        let inner = self.inner.lock().unwrap();
        inner
            .actions
            .iter()
            .filter(|(c, _, _)| *c == chat)
            .map(|(_, action, topic)| (action.clone(), *topic))
            .collect()
    }

    /// Sends refused by the enforced limits.
    pub fn refused(&self) -> usize {
        self.inner.lock().unwrap().refused
    }

    /// Every Bot API method called, in order.
    pub fn methods(&self) -> Vec<String> {
        self.inner.lock().unwrap().methods.clone()
    }

    /// The webhook set, if any.
    pub fn webhook(&self) -> Option<Webhook> {
        self.inner.lock().unwrap().webhook.clone()
    }

    /// Webhook deliveries so far: (update id, status; 0 when the bot could not be reached).
    pub fn deliveries(&self) -> Vec<(i64, u16)> {
        self.inner.lock().unwrap().deliveries.clone()
    }

    /// Updates not yet delivered (or fetched).
    pub fn pending_updates(&self) -> usize {
        self.inner.lock().unwrap().updates.len()
    }

    /// Posts pending updates to the webhook, oldest first, as Telegram does: one at a time,
    /// an update leaving the queue only when the bot answers 2xx, again shortly after when it
    /// does not. Runs while the fake lives.
    async fn deliver(self) {
        let client = reqwest::Client::new();
        loop {
            let notified = self.new_update.notified();
            let next = {
                let inner = self.inner.lock().unwrap();
                inner
                    .webhook
                    .clone()
                    .and_then(|w| inner.updates.first().cloned().map(|u| (w, u)))
            };
            let Some((webhook, update)) = next else {
                let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
                continue;
            };
            let id = update["update_id"].as_i64().unwrap_or(0);
            let mut request = client
                .post(&webhook.url)
                .timeout(Duration::from_secs(5))
                .json(&update);
            if let Some(secret) = &webhook.secret {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            let status = match request.send().await {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            {
                let mut inner = self.inner.lock().unwrap();
                inner.deliveries.push((id, status));
                if (200..300).contains(&status) {
                    inner
                        .updates
                        .retain(|u| u["update_id"].as_i64() != Some(id));
                }
            }
            if !(200..300).contains(&status) {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn handle(
    State(fake): State<FakeTelegram>,
    Path((bot, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized", None);
    }
    let (params, files) = params_of(request).await;
    fake.inner.lock().unwrap().methods.push(method.clone());
    let chat = params.get("chat_id").and_then(as_i64).unwrap_or(0);
    let message_id = params.get("message_id").and_then(as_i64).unwrap_or(0);
    match method.as_str() {
        "GetMe" => ok(
            json!({"id": BOT_ID, "is_bot": true, "first_name": "marketbot", "username": "marketbot_test_bot", "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false}),
        ),
        "DeleteWebhook" => {
            fake.inner.lock().unwrap().webhook = None;
            ok(json!(true))
        }
        "SetWebhook" => {
            let webhook = Webhook {
                url: params["url"].as_str().unwrap_or("").to_string(),
                secret: params
                    .get("secret_token")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                allowed_updates: params
                    .get("allowed_updates")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|u| u.as_str().map(str::to_string))
                    .collect(),
            };
            fake.inner.lock().unwrap().webhook = Some(webhook);
            fake.new_update.notify_waiters();
            ok(json!(true))
        }
        "GetWebhookInfo" => {
            let inner = fake.inner.lock().unwrap();
            let url = inner.webhook.as_ref().map_or("", |w| w.url.as_str());
            ok(
                json!({"url": url, "has_custom_certificate": false, "pending_update_count": inner.updates.len()}),
            )
        }
        "GetUpdates" if fake.inner.lock().unwrap().webhook.is_some() => error(
            StatusCode::CONFLICT,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            None,
        ),
        "SetMyCommands" => {
            let lang = params
                .get("language_code")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let names = params["commands"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["command"].as_str().map(str::to_string))
                .collect();
            fake.inner.lock().unwrap().menus.insert(lang, names);
            ok(json!(true))
        }
        "GetUpdates" => {
            let offset = params.get("offset").and_then(Value::as_i64).unwrap_or(0);
            let timeout = params.get("timeout").and_then(Value::as_u64).unwrap_or(0);
            // Telegram hands out at most 100 updates per call.
            let limit = params
                .get("limit")
                .and_then(Value::as_u64)
                .unwrap_or(100)
                .clamp(1, 100) as usize;
            let deadline = Instant::now() + Duration::from_secs(timeout);
            loop {
                let notified = fake.new_update.notified();
                {
                    let mut inner = fake.inner.lock().unwrap();
                    inner
                        .updates
                        .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                    if !inner.updates.is_empty() || Instant::now() >= deadline {
                        return ok(Value::Array(
                            inner.updates.iter().take(limit).cloned().collect(),
                        ));
                    }
                }
                let _ = tokio::time::timeout_at(deadline, notified).await;
            }
        }
        "GetChatMember" => {
            let user = params.get("user_id").and_then(as_i64).unwrap_or(0);
            let inner = fake.inner.lock().unwrap();
            let admin = inner.admins.get(&chat).is_some_and(|a| a.contains(&user));
            ok(if admin {
                json!({"status": "creator", "user": user_json(user), "is_anonymous": false})
            } else {
                json!({"status": "member", "user": user_json(user)})
            })
        }
        "SendChatAction" => {
            let action = params
                .get("action")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let topic = params.get("message_thread_id").and_then(as_i64);
            let mut inner = fake.inner.lock().unwrap();
            let answer = inner
                .action_script
                .get_mut(&chat)
                .and_then(VecDeque::pop_front);
            if let Some(Answer::RetryAfter(secs)) = answer {
                return error(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!("Too Many Requests: retry after {secs}"),
                    Some(json!({"retry_after": secs})),
                );
            }
            inner.actions.push((chat, action, topic));
            ok(json!(true))
        }
        "AnswerCallbackQuery" => {
            let id = params
                .get("callback_query_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let text = params
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_string);
            fake.inner.lock().unwrap().callback_answers.push((id, text));
            ok(json!(true))
        }
        "SendMessage" | "SendPhoto" => {
            let photo = method == "SendPhoto";
            let text = params
                .get(if photo { "caption" } else { "text" })
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let now = Instant::now();
            let mut slow = None;
            let answer = {
                let mut inner = fake.inner.lock().unwrap();
                inner.attempts.push((chat, now));
                inner.script.get_mut(&chat).and_then(VecDeque::pop_front)
            };
            match answer {
                Some(Answer::RetryAfter(secs)) => {
                    return error(
                        StatusCode::TOO_MANY_REQUESTS,
                        &format!("Too Many Requests: retry after {secs}"),
                        Some(json!({"retry_after": secs})),
                    );
                }
                Some(Answer::Blocked) => {
                    return error(
                        StatusCode::FORBIDDEN,
                        "Forbidden: bot was blocked by the user",
                        None,
                    );
                }
                Some(Answer::Migrated(new_id)) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "Bad Request: group chat was upgraded to a supergroup chat",
                        Some(json!({"migrate_to_chat_id": new_id})),
                    );
                }
                Some(Answer::Hang) => {
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                Some(Answer::Slow(d)) => slow = Some(d),
                Some(Answer::Refused(description)) => {
                    return error(StatusCode::BAD_REQUEST, description, None);
                }
                Some(Answer::Forbidden(description)) => {
                    return error(StatusCode::FORBIDDEN, description, None);
                }
                None => {}
            }
            let response = (|| -> Response {
                let mut inner = fake.inner.lock().unwrap();
                if inner.over_limits(chat, now) {
                    return error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "Too Many Requests: retry after 1",
                        Some(json!({"retry_after": 1})),
                    );
                }
                let message_id = inner.message_id();
                let mut result = json!({"message_id": message_id, "date": 1770068000, "chat": inner.chat_json(chat)});
                let (mut upload, mut photo_id) = (None, None);
                if photo {
                    // An upload is a file part named by `attach://NAME`; anything else is a file id.
                    match params.get("photo").and_then(Value::as_str) {
                        Some(p) if p.starts_with("attach://") => {
                            upload = files.get(&p["attach://".len()..]).cloned()
                        }
                        Some(p) => photo_id = Some(p.to_string()),
                        None => upload = files.get("photo").cloned(),
                    }
                    inner.next_file += 1;
                    let file_id = photo_id
                        .clone()
                        .unwrap_or_else(|| format!("photo-{}", inner.next_file));
                    result["photo"] = json!([
                        {"file_id": format!("{file_id}-small"), "file_unique_id": "s", "width": 90, "height": 50, "file_size": 1000},
                        {"file_id": file_id, "file_unique_id": "l", "width": 800, "height": 450, "file_size": upload.as_ref().map_or(0, Vec::len)},
                    ]);
                    result["caption"] = json!(text);
                } else {
                    result["text"] = json!(text);
                }
                inner.sent.push(Sent {
                    chat,
                    text,
                    message_id,
                    at: now,
                    photo: upload,
                    photo_id,
                    keyboard: params.get("reply_markup").cloned().filter(|k| !k.is_null()),
                    thread: params.get("message_thread_id").and_then(as_i64),
                    reply_to: params
                        .get("reply_parameters")
                        .and_then(|r| r.get("message_id"))
                        .and_then(as_i64),
                    paid: params
                        .get("allow_paid_broadcast")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    silent: params
                        .get("disable_notification")
                        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true")),
                });
                ok(result)
            })();
            if let Some(d) = slow {
                tokio::time::sleep(d).await;
            }
            response
        }
        "EditMessageText" | "EditMessageCaption" => {
            let text = params
                .get(if method == "EditMessageText" {
                    "text"
                } else {
                    "caption"
                })
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut inner = fake.inner.lock().unwrap();
            let Some(original) = inner
                .sent
                .iter()
                .find(|s| s.chat == chat && s.message_id == message_id)
            else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Bad Request: message to edit not found",
                    None,
                );
            };
            let photo = original.photo.is_some() || original.photo_id.is_some();
            if photo != (method == "EditMessageCaption") {
                return error(
                    StatusCode::BAD_REQUEST,
                    if photo {
                        "Bad Request: there is no text in the message to edit"
                    } else {
                        "Bad Request: there is no caption in the message to edit"
                    },
                    None,
                );
            }
            if inner
                .edits
                .iter()
                .rev()
                .find(|(c, m, _)| *c == chat && *m == message_id)
                .is_some_and(|(_, _, t)| *t == text)
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                    None,
                );
            }
            inner.edits.push((chat, message_id, text.clone()));
            ok(
                json!({"message_id": message_id, "date": 1770068000, "edit_date": 1770068100, "chat": inner.chat_json(chat), "text": text}),
            )
        }
        "EditMessageReplyMarkup" => {
            let keyboard = params.get("reply_markup").cloned().unwrap_or(Value::Null);
            let mut inner = fake.inner.lock().unwrap();
            inner.keyboards.push((chat, message_id, keyboard));
            ok(
                json!({"message_id": message_id, "date": 1770068000, "edit_date": 1770068100, "chat": inner.chat_json(chat), "text": "rules"}),
            )
        }
        other => error(
            StatusCode::BAD_REQUEST,
            &format!("Bad Request: method {other} is not faked"),
            None,
        ),
    }
}
