//! Who may use the bot: the allowlist with the admins' Allow / Deny, and per-chat flood
//! protection that leaves everyone else's alerts on time.

use crate::support;

use std::time::Duration;

use support::origin::Origin;
use support::telegram::FakeTelegram;
use support::{
    RunningBot, ask, bot_config_text, bot_config_with, config, eventually, release_seed_story,
    seed_evening, serve_quiet_evening, start_chat,
};

const ADMIN: i64 = 7;

/// The admin's question about `chat`: its message id, once it arrived.
fn question_about(tg: &FakeTelegram, chat: i64) -> Vec<i64> {
    tg.sent_to(ADMIN)
        .into_iter()
        .filter(|m| {
            m.buttons()
                .iter()
                .any(|(_, data)| *data == format!("aa:{chat}"))
        })
        .map(|m| m.message_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_allowlist_an_unknown_chat_is_refused_until_an_admin_lets_it_in() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let keys = format!("access = \"allowlist\"\nallow = [55]\nadmins = [{ADMIN}]\n");
    let bot = RunningBot::start(
        bot_config_with(dir.path(), &tg, &origin, &keys),
        seed_evening(),
    );

    // A listed user is in at once.
    start_chat(&tg, 55).await;

    // An unknown chat: a polite refusal, and one question to the admin.
    let refusal = ask(&tg, 42, "/start").await;
    assert!(refusal.contains("private"), "{refusal}");
    let asked = eventually(Duration::from_secs(10), "the admin's question", || {
        let q = question_about(&tg, 42);
        (!q.is_empty()).then_some(q)
    })
    .await;
    let question = tg
        .sent_to(ADMIN)
        .into_iter()
        .find(|m| m.message_id == asked[0])
        .unwrap();
    assert!(
        question.text.contains("<code>42</code>"),
        "{}",
        question.text
    );
    let buttons: Vec<String> = question.buttons().into_iter().map(|(t, _)| t).collect();
    assert_eq!(buttons, ["✅ Allow", "⛔ Deny"]);

    // Asking again, or any other command: the refusal again, nothing else, no second question.
    let again = ask(&tg, 42, "/rules").await;
    assert!(again.contains("private"), "{again}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(question_about(&tg, 42).len(), 1, "one question per chat");
    assert_eq!(tg.sent_to(42).len(), 2, "only the two refusals");
    release_seed_story(&origin);
    eventually(
        Duration::from_secs(20),
        "the alert to the listed chat",
        || tg.alerts_to(55).first().cloned(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(tg.alerts_to(42).is_empty(), "no alert for a chat kept out");

    // Someone who is not an admin cannot decide.
    let forged = tg.press(ADMIN, 8, asked[0], "aa:42");
    let answer = eventually(Duration::from_secs(10), "the forged press's answer", || {
        tg.callback_answer(&forged)
    })
    .await;
    assert!(answer.unwrap_or_default().contains("admins"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(tg.sent_to(42).len(), 2);

    // The admin lets it in: the chat is told, the question shows the answer.
    tg.press(ADMIN, ADMIN, asked[0], "aa:42");
    let welcome = eventually(Duration::from_secs(10), "the welcome", || {
        tg.sent_to(42)
            .into_iter()
            .find(|m| m.text.contains("/start"))
    })
    .await;
    assert!(welcome.text.contains("You are in"), "{}", welcome.text);
    eventually(Duration::from_secs(10), "the answered question", || {
        tg.edits_to(ADMIN)
            .into_iter()
            .find(|(id, text)| *id == asked[0] && text.contains("Allowed by"))
    })
    .await;
    start_chat(&tg, 42).await;

    // A chat the admin denies stays out.
    let refusal = ask(&tg, 43, "/start").await;
    assert!(refusal.contains("private"));
    let asked43 = eventually(Duration::from_secs(10), "the question about 43", || {
        question_about(&tg, 43).first().copied()
    })
    .await;
    tg.press(ADMIN, ADMIN, asked43, "ad:43");
    eventually(Duration::from_secs(10), "the denial noted", || {
        tg.edits_to(ADMIN)
            .into_iter()
            .find(|(id, text)| *id == asked43 && text.contains("Denied by"))
    })
    .await;
    let denied = ask(&tg, 43, "/start").await;
    assert!(denied.contains("Sorry, this bot is private"), "{denied}");
    bot.stop().await;

    // The decisions are stored: after a restart chat 42 is in, chat 43 is not.
    let bot = RunningBot::start(
        bot_config_with(dir.path(), &tg, &origin, &keys),
        seed_evening(),
    );
    let help = ask(&tg, 42, "/help").await;
    assert!(!help.contains("private"), "{help}");
    let denied = ask(&tg, 43, "/help").await;
    assert!(denied.contains("private"), "{denied}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_flooding_commands_is_told_once_and_ignored_while_alerts_to_others_stay_on_time() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    // Telegram's real limits: one message a second to a chat.
    let bot = RunningBot::start(
        config(
            dir.path(),
            &bot_config_text(
                &tg,
                &origin,
                "commands_per_minute = 5\nflood_pause = \"2m\"\n",
            ),
        ),
        seed_evening(),
    );
    let others: Vec<i64> = (100..110).collect();
    for &chat in others.iter().chain([&42]) {
        start_chat(&tg, chat).await;
    }
    let before = tg.sent_to(42).len();

    // 100 commands in 10 seconds from chat 42; the story breaks in the middle of it.
    let flood = {
        let tg = tg.clone();
        tokio::spawn(async move {
            for i in 0..100 {
                tg.user_sends(42, if i % 2 == 0 { "/help" } else { "/rules" });
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let released = tokio::time::Instant::now();
    release_seed_story(&origin);
    for &chat in &others {
        let alert = eventually(Duration::from_secs(20), "the alert to another chat", || {
            tg.alerts_to(chat).first().cloned()
        })
        .await;
        let late = alert.at.duration_since(released);
        assert!(
            late < Duration::from_secs(6),
            "chat {chat} got its alert {late:?} after the story broke"
        );
    }
    flood.await.unwrap();
    // Chat 42 still gets its alert; its commands beyond the limit went unanswered.
    eventually(
        Duration::from_secs(40),
        "the alert to the flooding chat",
        || tg.alerts_to(42).first().cloned(),
    )
    .await;
    // Its five answers of the minute go out a second apart, then the one notice.
    eventually(Duration::from_secs(30), "the notice", || {
        tg.sent_to(42)
            .into_iter()
            .find(|m| m.text.contains("ignore"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let replies: Vec<String> = tg
        .sent_to(42)
        .into_iter()
        .skip(before)
        .filter(|m| !support::telegram::is_alert(m))
        .map(|m| m.text)
        .collect();
    let notices = replies.iter().filter(|t| t.contains("ignore")).count();
    assert_eq!(notices, 1, "one notice: {replies:#?}");
    assert_eq!(
        replies.len(),
        5,
        "four answers (the minute's fifth command was /start) and the notice"
    );
    // Others are heard as before.
    let help = ask(&tg, 100, "/help").await;
    assert!(help.contains("/start"), "{help}");
    bot.stop().await;
}
