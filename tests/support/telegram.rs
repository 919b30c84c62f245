//! A fake Telegram Bot API: long-polled getUpdates fed by the test, sendMessage recorded,
//! and scripted failures (flood control, blocked users, a hanging connection).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The token the tests use.
pub const TOKEN: &str = "123456:TEST-token_abc";

/// How the fake answers the next sendMessage to a chat.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 429 with `retry_after` seconds.
    RetryAfter(u64),
    /// 403 "bot was blocked by the user".
    Blocked,
    /// Never answer (until the client gives up).
    Hang,
}

/// A message the bot got accepted.
#[derive(Clone, Debug)]
pub struct Sent {
    pub chat: i64,
    pub text: String,
    pub message_id: i64,
    pub at: tokio::time::Instant,
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    next_update: i64,
    next_message: i64,
    sent: Vec<Sent>,
    /// Every sendMessage attempt, accepted or not: (chat, time).
    attempts: Vec<(i64, tokio::time::Instant)>,
    script: HashMap<i64, VecDeque<Answer>>,
    /// Every accepted editMessageText: (chat, message id, new text).
    edits: Vec<(i64, i64, String)>,
    commands_registered: bool,
    methods: Vec<String>,
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

fn chat_json(id: i64) -> Value {
    if id < 0 {
        json!({"id": id, "type": "group", "title": format!("Group {id}")})
    } else {
        json!({"id": id, "type": "private", "first_name": format!("User{id}")})
    }
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let fake = FakeTelegram {
            addr: "127.0.0.1:0".parse().unwrap(),
            inner: Arc::new(Mutex::new(Inner {
                next_update: 1,
                next_message: 100,
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
        FakeTelegram { addr, ..fake }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A user (or group member) sends `text` in `chat`.
    pub fn user_sends(&self, chat: i64, text: &str) {
        let mut inner = self.inner.lock().unwrap();
        let update_id = inner.next_update;
        inner.next_update += 1;
        inner.next_message += 1;
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
        let from = if chat < 0 { 4242 } else { chat };
        let message_id = inner.next_message;
        inner.updates.push(json!({
            "update_id": update_id,
            "message": {
                "message_id": message_id,
                "date": 1770068000,
                "chat": chat_json(chat),
                "from": {"id": from, "is_bot": false, "first_name": format!("User{from}"), "language_code": "en"},
                "text": text,
                "entities": entities,
            }
        }));
        drop(inner);
        self.new_update.notify_waiters();
    }

    /// The next sendMessage calls to `chat` get these answers, in turn.
    pub fn script(&self, chat: i64, answers: Vec<Answer>) {
        self.inner
            .lock()
            .unwrap()
            .script
            .insert(chat, answers.into());
    }

    /// Messages accepted for `chat`, oldest first.
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

    /// Every sendMessage attempt to `chat`.
    pub fn attempts(&self, chat: i64) -> Vec<tokio::time::Instant> {
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
        self.sent_to(chat)
            .into_iter()
            .filter(|s| s.text.contains("Rule: <code>"))
            .collect()
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

    pub fn commands_registered(&self) -> bool {
        self.inner.lock().unwrap().commands_registered
    }

    /// Every Bot API method called, in order.
    pub fn methods(&self) -> Vec<String> {
        self.inner.lock().unwrap().methods.clone()
    }
}

async fn handle(
    State(fake): State<FakeTelegram>,
    Path((bot, method)): Path<(String, String)>,
    body: String,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
        )
            .into_response();
    }
    let params: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    fake.inner.lock().unwrap().methods.push(method.clone());
    match method.as_str() {
        "GetMe" => ok(json!({"id": 777, "is_bot": true, "first_name": "marketbot", "username": "marketbot_test_bot", "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false})),
        "DeleteWebhook" => ok(json!(true)),
        "SetMyCommands" => {
            fake.inner.lock().unwrap().commands_registered = true;
            ok(json!(true))
        }
        "GetUpdates" => {
            let offset = params.get("offset").and_then(Value::as_i64).unwrap_or(0);
            let timeout = params.get("timeout").and_then(Value::as_u64).unwrap_or(0);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
            loop {
                let notified = fake.new_update.notified();
                {
                    let mut inner = fake.inner.lock().unwrap();
                    inner.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                    if !inner.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                        return ok(Value::Array(inner.updates.clone()));
                    }
                }
                let _ = tokio::time::timeout_at(deadline, notified).await;
            }
        }
        "SendMessage" => {
            let chat = params.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let text = params.get("text").and_then(Value::as_str).unwrap_or("").to_string();
            let answer = {
                let mut inner = fake.inner.lock().unwrap();
                inner.attempts.push((chat, tokio::time::Instant::now()));
                inner.script.get_mut(&chat).and_then(VecDeque::pop_front)
            };
            match answer {
                Some(Answer::RetryAfter(secs)) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(json!({"ok": false, "error_code": 429, "description": format!("Too Many Requests: retry after {secs}"), "parameters": {"retry_after": secs}})),
                )
                    .into_response(),
                Some(Answer::Blocked) => (
                    StatusCode::FORBIDDEN,
                    axum::Json(json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})),
                )
                    .into_response(),
                Some(Answer::Hang) => {
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                None => {
                    let mut inner = fake.inner.lock().unwrap();
                    inner.next_message += 1;
                    let message_id = inner.next_message;
                    inner.sent.push(Sent { chat, text: text.clone(), message_id, at: tokio::time::Instant::now() });
                    ok(json!({"message_id": message_id, "date": 1770068000, "chat": chat_json(chat), "text": text}))
                }
            }
        }
        "EditMessageText" => {
            let chat = params.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let message_id = params.get("message_id").and_then(Value::as_i64).unwrap_or(0);
            let text = params.get("text").and_then(Value::as_str).unwrap_or("").to_string();
            let mut inner = fake.inner.lock().unwrap();
            if !inner.sent.iter().any(|s| s.chat == chat && s.message_id == message_id) {
                return (StatusCode::BAD_REQUEST, axum::Json(json!({"ok": false, "error_code": 400, "description": "Bad Request: message to edit not found"}))).into_response();
            }
            if inner.edits.iter().rev().find(|(c, m, _)| *c == chat && *m == message_id).is_some_and(|(_, _, t)| *t == text) {
                return (StatusCode::BAD_REQUEST, axum::Json(json!({"ok": false, "error_code": 400, "description": "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}))).into_response();
            }
            inner.edits.push((chat, message_id, text.clone()));
            ok(json!({"message_id": message_id, "date": 1770068000, "edit_date": 1770068100, "chat": chat_json(chat), "text": text}))
        }
        other => (StatusCode::BAD_REQUEST, axum::Json(json!({"ok": false, "error_code": 400, "description": format!("Bad Request: method {other} is not faked")}))).into_response(),
    }
}
