//! An alert as subscribers get it: a chart sent with sendPhoto, buttons under it that explain
//! it, mute it or unsubscribe, and the whole thing in German for a German chat.

use crate::support;

use std::time::Duration;

use support::origin::{Origin, Reply};
use support::payloads::{Item, rss, seed_item};
use support::telegram::{FakeTelegram, Sent};
use support::{
    RSS, RunningBot, ask, bot_config, eventually, release_seed_story, seed_evening,
    serve_quiet_evening, start_chat, strip_tags,
};

const SEED_RULE: &str = "nvda-customer-seeks-alternatives";

/// The data of the button whose callback data starts with `verb`.
fn button(alert: &Sent, verb: &str) -> String {
    alert
        .buttons()
        .into_iter()
        .map(|(_, data)| data)
        .find(|d| d.starts_with(verb))
        .unwrap_or_else(|| panic!("no {verb} button: {:?}", alert.buttons()))
}

/// The labels of the buttons under `alert`.
fn labels(alert: &Sent) -> Vec<String> {
    alert
        .buttons()
        .into_iter()
        .map(|(label, _)| label)
        .collect()
}

/// Presses "why?" under `alert` in `chat` (a private chat: its user); the callback id and the
/// bot's answer.
async fn ask_why(tg: &FakeTelegram, chat: i64, alert: &Sent) -> (String, Sent) {
    let before = tg.sent_to(chat).len();
    let id = tg.press(chat, chat, alert.message_id, &button(alert, "w:"));
    let why = eventually(Duration::from_secs(10), "the evidence", || {
        tg.sent_to(chat).get(before).cloned()
    })
    .await;
    (id, why)
}

async fn first_alert(tg: &FakeTelegram, chat: i64) -> Sent {
    eventually(Duration::from_secs(15), "the alert", || {
        tg.alerts_to(chat).first().cloned()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_carry_a_chart_and_buttons_that_explain_mute_and_unsubscribe() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    serve_quiet_evening(&origin);
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    for chat in [42, 43, 44] {
        start_chat(&tg, chat).await;
    }
    // Chats 42 and 43 also want any headline about NVDA naming Blackwell.
    for chat in [42, 43] {
        let reply = ask(&tg, chat, "/alert NVDA news Blackwell").await;
        assert!(reply.contains("#1"), "{reply}");
    }
    // Chat 44 reads German.
    let reply = ask(&tg, 44, "/settings lang de").await;
    assert_eq!(strip_tags(&reply), "✅ Sprache: Deutsch");

    release_seed_story(&origin);
    let alert = first_alert(&tg, 42).await;

    // A real PNG of the price series, sent as a photo with the alert as its caption.
    assert!(alert.is_photo(), "{alert:?}");
    // The chart is uploaded once per language of its legend; the other chats get it by id.
    let mut firsts = Vec::new();
    for chat in [42, 43, 44] {
        firsts.push(first_alert(&tg, chat).await);
    }
    let uploads: Vec<&Sent> = firsts[..2].iter().filter(|a| a.photo.is_some()).collect();
    assert_eq!(
        uploads.len(),
        1,
        "one upload for the English chats: {firsts:?}"
    );
    assert!(
        firsts[2].photo.is_some(),
        "the German chart is its own upload"
    );
    assert_ne!(firsts[2].photo, uploads[0].photo);
    assert!(firsts.iter().all(|a| a.is_photo()));
    let png = uploads[0].photo.clone().unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(
        (400..=1600).contains(&width) && (200..=1000).contains(&height),
        "{width}×{height}"
    );
    assert!(
        png.len() > 5_000,
        "a drawn chart, not an empty image: {} bytes",
        png.len()
    );
    assert!(
        alert.text.chars().count() <= 1024,
        "captions stay under Telegram's limit"
    );
    assert!(
        strip_tags(&alert.text).contains("NVDA −2.81 %"),
        "{}",
        alert.text
    );
    assert_eq!(
        labels(&alert),
        ["why?", "mute rule 1d", "mute NVDA 1d", "unsubscribe"]
    );

    // "why?" answers with the evidence of exactly this alert, as a reply to it.
    let (id, why) = ask_why(&tg, 42, &alert).await;
    assert_eq!(why.reply_to, Some(alert.message_id));
    let evidence = strip_tags(&why.text);
    for want in [
        "Why this alert fired",
        SEED_RULE,
        "OpenAI",
        "alternatives",
        "186.40 USD (−2.81 %) vs previous close (2026-01-30) 191.79 USD",
        "Window: ±24 h",
    ] {
        assert!(evidence.contains(want), "{want} missing from {evidence}");
    }
    eventually(Duration::from_secs(5), "the callback answer", || {
        tg.callback_answer(&id)
    })
    .await;

    // "mute NVDA 1d" in chat 42: the next NVDA alert reaches chat 43 only.
    let id = tg.press(42, 42, alert.message_id, &button(&alert, "ms:"));
    let notice = eventually(Duration::from_secs(5), "the mute notice", || {
        tg.callback_answer(&id)
    })
    .await;
    assert!(
        notice
            .as_deref()
            .is_some_and(|n| n.starts_with("🔇 NVDA muted until 2026-02-03 21:5")),
        "{notice:?}"
    );
    let blackwell = Item::new(
        "Nvidia begins shipping Blackwell Ultra systems to cloud providers",
        "https://wire.example/blackwell-1",
        "2026-02-02T21:52:00Z",
    );
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, rss("Wire: NVDA", &[seed_item(), blackwell.clone()])),
    );
    let theirs = eventually(Duration::from_secs(15), "chat 43's Blackwell alert", || {
        tg.alerts_to(43).get(1).cloned()
    })
    .await;
    assert!(theirs.text.contains("Blackwell"), "{}", theirs.text);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(tg.alerts_to(42).len(), 1, "muted: {:?}", tg.alerts_to(42));

    // A day later the mute has expired by itself.
    bot.clock.jump(Duration::from_secs(25 * 3600));
    let later = Item::new(
        "Blackwell demand stays strong into spring, Nvidia says",
        "https://wire.example/blackwell-2",
        "2026-02-03T22:40:00Z",
    );
    origin.set(
        "/wire.xml",
        Reply::ok(RSS, rss("Wire: NVDA", &[seed_item(), blackwell, later])),
    );
    let after = eventually(
        Duration::from_secs(15),
        "chat 42's alert after the mute",
        || tg.alerts_to(42).get(1).cloned(),
    )
    .await;
    assert!(
        strip_tags(&after.text).contains("Blackwell demand"),
        "{}",
        after.text
    );

    // Buttons act only on alerts the chat received (callback data can be forged).
    let forged = tg.press(45, 45, 1, &button(&alert, "w:"));
    let notice = eventually(Duration::from_secs(5), "the forged press", || {
        tg.callback_answer(&forged)
    })
    .await;
    assert_eq!(notice.as_deref(), Some("That alert is no longer stored."));
    assert!(
        tg.sent_to(45).is_empty(),
        "no evidence posted to a stranger"
    );

    // "unsubscribe" in chat 43 stops the seed rule there.
    let theirs_seed = first_alert(&tg, 43).await;
    let id = tg.press(43, 43, theirs_seed.message_id, &button(&theirs_seed, "u:"));
    let notice = eventually(Duration::from_secs(5), "the unsubscribe notice", || {
        tg.callback_answer(&id)
    })
    .await;
    assert!(
        notice.as_deref().is_some_and(|n| n.contains(SEED_RULE)),
        "{notice:?}"
    );

    // Chat 44 got the alert in German, with German buttons.
    let german = first_alert(&tg, 44).await;
    let text = strip_tags(&german.text);
    for want in [
        "NVDA −2,81 %",
        "ggü. Vortagesschluss (30.01.2026) 191,79 USD",
        "Regel: nvda-customer-seeks-alternatives",
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    assert_eq!(
        labels(&german),
        [
            "warum?",
            "Regel 1 Tag stumm",
            "NVDA 1 Tag stumm",
            "abbestellen"
        ]
    );
    let (_, why) = ask_why(&tg, 44, &german).await;
    assert!(
        strip_tags(&why.text).contains("Warum diese Meldung ausgelöst wurde"),
        "{}",
        why.text
    );
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    assert!(!store.chat(43).unwrap().unwrap().rules.contains(SEED_RULE));
    assert!(
        store.chat(42).unwrap().unwrap().rules.contains(SEED_RULE),
        "chat 42 muted, it did not unsubscribe"
    );
}
