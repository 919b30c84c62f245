//! Webhook mode: Telegram posts updates to the bot's HTTP listener. The fake Bot API does it
//! as Telegram does (one at a time, again until the bot answers 2xx, with the secret token),
//! and the tests also post by hand: without the secret, and the same update twice, across a
//! restart.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use support::origin::Origin;
use support::telegram::{FakeTelegram, TOKEN};
use support::{
    RunningBot, ask, bot_config_with, eventually, free_port, seed_evening, serve_quiet_evening,
};

/// A fake Telegram, a quiet market, a data directory and the port the bot will listen on.
struct World {
    tg: FakeTelegram,
    origin: Origin,
    dir: tempfile::TempDir,
    port: u16,
}

impl World {
    async fn new() -> World {
        let tg = FakeTelegram::start().await;
        let origin = Origin::start().await;
        serve_quiet_evening(&origin);
        World {
            tg,
            origin,
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
        }
    }

    /// The bot's config in webhook mode.
    fn webhook_config(&self) -> marketbot::config::Config {
        let keys = format!(
            "webhook_url = \"http://127.0.0.1:{}/telegram\"\n",
            self.port
        );
        let mut config = bot_config_with(self.dir.path(), &self.tg, &self.origin, &keys);
        config.http.listen = Some(format!("127.0.0.1:{}", self.port).parse().unwrap());
        config
    }

    /// The bot's config on long polling.
    fn polling_config(&self) -> marketbot::config::Config {
        bot_config_with(self.dir.path(), &self.tg, &self.origin, "")
    }
}

/// A `/help` from `chat` as Telegram would post it.
fn help_update(update_id: i64, chat: i64) -> Value {
    let date = chrono::Utc::now().timestamp();
    json!({
        "update_id": update_id,
        "message": {
            "message_id": 5000 + update_id,
            "date": date,
            "chat": {"id": chat, "type": "private", "first_name": "User"},
            "from": {"id": chat, "is_bot": false, "first_name": "User", "language_code": "en"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]
        }
    })
}

async fn post(port: u16, secret: Option<&str>, update: &Value) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/telegram"))
        .json(update);
    if let Some(s) = secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_posted_by_telegram_are_answered_once_and_only_with_the_secret() {
    let world = World::new().await;
    let (tg, port) = (&world.tg, world.port);
    let bot = RunningBot::start(world.webhook_config(), seed_evening());

    // The webhook is set with Telegram: the listener's path, a secret derived from the
    // token, and the update kinds the bot answers.
    let webhook = eventually(Duration::from_secs(10), "the webhook set", || tg.webhook()).await;
    assert_eq!(webhook.url, format!("http://127.0.0.1:{port}/telegram"));
    let secret = marketbot::config::derived_secret(TOKEN);
    assert_eq!(webhook.secret.as_deref(), Some(secret.as_str()));
    for kind in [
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "my_chat_member",
    ] {
        assert!(
            webhook.allowed_updates.iter().any(|k| k == kind),
            "{webhook:?}"
        );
    }

    // A user's /start reaches the bot through the webhook, and is answered.
    let welcome = ask(tg, 42, "/start").await;
    assert!(welcome.contains("Subscribed"), "{welcome}");
    assert!(tg.deliveries().iter().any(|(_, status)| *status == 200));
    assert!(
        !tg.methods().iter().any(|m| m == "GetUpdates"),
        "no polling in webhook mode"
    );

    // Without the secret, or with another one: refused, and nothing is answered.
    let before = tg.sent_to(43).len();
    assert_eq!(post(port, None, &help_update(900, 43)).await, 401);
    assert_eq!(post(port, Some("guess"), &help_update(900, 43)).await, 401);

    // The same update twice (Telegram repeats one it thinks was lost): answered once.
    assert_eq!(post(port, Some(&secret), &help_update(900, 43)).await, 200);
    eventually(Duration::from_secs(10), "the answer to /help", || {
        (tg.sent_to(43).len() > before).then_some(())
    })
    .await;
    assert_eq!(post(port, Some(&secret), &help_update(900, 43)).await, 200);
    // Not an update at all: accepted (Telegram would otherwise send it for ever) and dropped.
    assert_eq!(
        post(port, Some(&secret), &json!({"hello": "world"})).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(tg.sent_to(43).len(), before + 1, "answered once");

    // While the bot is down, a message waits with Telegram, which keeps trying; after the
    // restart it arrives and is answered, and the update handled before the restart is
    // still known.
    bot.stop().await;
    tg.user_sends(44, "/help");
    eventually(Duration::from_secs(10), "a failed delivery", || {
        tg.deliveries().iter().any(|(_, s)| *s != 200).then_some(())
    })
    .await;
    assert_eq!(tg.pending_updates(), 1, "Telegram keeps it");
    let bot = RunningBot::start(world.webhook_config(), seed_evening());
    eventually(
        Duration::from_secs(15),
        "the waiting /help answered",
        || (!tg.sent_to(44).is_empty()).then_some(()),
    )
    .await;
    assert_eq!(post(port, Some(&secret), &help_update(900, 43)).await, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(tg.sent_to(43).len(), before + 1, "still answered once");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_back_on_long_polling_removes_the_webhook() {
    let world = World::new().await;
    let tg = &world.tg;
    let bot = RunningBot::start(world.webhook_config(), seed_evening());
    eventually(Duration::from_secs(10), "the webhook set", || tg.webhook()).await;
    bot.stop().await;

    // The same bot without webhook_url polls again: the webhook goes, updates arrive.
    let bot = RunningBot::start(world.polling_config(), seed_evening());
    let welcome = ask(tg, 42, "/start").await;
    assert!(welcome.contains("Subscribed"), "{welcome}");
    assert_eq!(tg.webhook(), None);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_taken_in_but_never_handed_over_is_handled_after_a_restart() {
    let world = World::new().await;
    let (tg, port) = (&world.tg, world.port);
    let secret = marketbot::config::derived_secret(TOKEN);

    // Telegram's API cannot be reached: the listener is up, but the dispatcher never starts.
    let mut config = world.webhook_config();
    config.telegram.api_url = format!("http://127.0.0.1:{}", free_port()).parse().unwrap();
    let bot = RunningBot::start(config, seed_evening());
    // The listener is up and the bot leads: what is posted is taken in, not kept for a leader
    // (an instance waiting to lead answers 200 once it has kept the update).
    let leads = async {
        loop {
            let ready = match reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
                Ok(answer) => answer.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if ready.contains(" leads (term") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), leads)
        .await
        .expect("the bot leads within ten seconds");
    let posted = tokio::spawn({
        let secret = secret.clone();
        async move { post(port, Some(&secret), &help_update(700, 45)).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!posted.is_finished(), "not answered before it is taken");
    // The bot stops with the update in hand: it is not acknowledged...
    bot.stop().await;
    assert_eq!(posted.await.unwrap(), 503);

    // ...so Telegram delivers it again, and the next run handles it.
    let bot = RunningBot::start(world.webhook_config(), seed_evening());
    eventually(Duration::from_secs(10), "the webhook set", || tg.webhook()).await;
    assert_eq!(post(port, Some(&secret), &help_update(700, 45)).await, 200);
    eventually(Duration::from_secs(10), "the answer to /help", || {
        (!tg.sent_to(45).is_empty()).then_some(())
    })
    .await;
    bot.stop().await;
}
