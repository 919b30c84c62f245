//! The chat commands against the fake Bot API.

use crate::support;

use std::time::Duration;

use support::origin::Origin;
use support::payloads::SEED_TITLE;
use support::telegram::{FakeTelegram, GERMAN_USER};
use support::{
    RunningBot, ask, ask_as, bot_config, bot_config_with, eventually, seed_evening,
    serve_seed_evening, start_chat, strip_tags,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_manage_subscriptions_and_explain_themselves() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());

    start_chat(&tg, 42).await;
    let welcome = tg.sent_to(42)[0].text.clone();
    assert!(
        welcome.contains("nvda-customer-seeks-alternatives"),
        "{welcome}"
    );

    let help = strip_tags(&ask(&tg, 42, "/help").await);
    for command in [
        "/start",
        "/stop",
        "/rules",
        "/subscribe",
        "/unsubscribe",
        "/watch",
        "/unwatch",
        "/list",
        "/settings",
        "/mute",
        "/unmute",
        "/alert",
        "/alerts",
        "/delete",
        "/quote",
        "/chart",
        "/news",
        "/status",
    ] {
        assert!(help.contains(command), "{command} missing from {help}");
    }
    assert!(
        !help.contains("/broadcast"),
        "admin commands are shown to admins only"
    );
    assert!(
        tg.menu("").is_some_and(
            |m| m.contains(&"alert".to_string()) && !m.contains(&"broadcast".to_string())
        )
    );
    assert!(tg.menu("de").is_some(), "a German command menu too");

    let rules = ask(&tg, 42, "/rules").await;
    assert!(
        rules.contains("✅ <code>nvda-customer-seeks-alternatives</code>"),
        "{rules}"
    );

    let reply = ask(&tg, 42, "/unsubscribe nvda-customer-seeks-alternatives").await;
    assert!(reply.contains("No longer following"), "{reply}");
    let rules = ask(&tg, 42, "/rules").await;
    assert!(
        rules.contains("▫️ <code>nvda-customer-seeks-alternatives</code>"),
        "{rules}"
    );
    let reply = ask(&tg, 42, "/unsubscribe nvda-customer-seeks-alternatives").await;
    assert!(reply.contains("does not follow"), "{reply}");

    // Wrong arguments get a helpful answer with an example, and change nothing.
    let reply = ask(&tg, 42, "/subscribe").await;
    assert!(
        reply.contains("Which rule?")
            && reply.contains("<code>/subscribe analyst-downgrade-drop</code>"),
        "{reply}"
    );
    let reply = ask(&tg, 42, "/subscribe nvda-customer-seeks-alternative").await;
    assert!(reply.contains("Did you mean"), "{reply}");
    let reply = ask(&tg, 42, "/subscribe <b>&</b>").await;
    assert!(
        reply.contains("&lt;b&gt;&amp;&lt;/b&gt;"),
        "user input is escaped: {reply}"
    );

    // /stop then /start resumes what the chat followed: a default rule it left stays left.
    let reply = ask(&tg, 42, "/unsubscribe chip-export-curbs").await;
    assert!(reply.contains("No longer following"), "{reply}");
    ask(&tg, 42, "/stop").await;
    let reply = ask(&tg, 42, "/start").await;
    assert!(reply.contains("Subscribed"), "{reply}");
    assert!(!reply.contains("chip-export-curbs"), "{reply}");

    let reply = ask(&tg, 42, "/subscribe NVDA-Customer-Seeks-Alternatives").await;
    assert!(reply.contains("Following"), "{reply}");
    let reply = ask(&tg, 42, "/stop").await;
    assert!(reply.contains("Alerts stopped"), "{reply}");
    let reply = ask(&tg, 42, "hello?").await;
    assert!(reply.contains("/help"), "{reply}");
    let status = strip_tags(&ask(&tg, 42, "/status").await);
    assert!(status.contains("Rules 7 loaded"), "{status}");
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let chat = store.chat(42).unwrap().unwrap();
    assert!(!chat.active, "stopped");
    assert!(
        chat.rules.contains("nvda-customer-seeks-alternatives"),
        "subscriptions kept"
    );
    assert_eq!(
        chat.rules.len(),
        3,
        "the four default rules but the one left: {:?}",
        chat.rules
    );
    assert!(!chat.rules.contains("chip-export-curbs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_lists_settings_mutes_and_queries_answer_and_check_their_arguments() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_seed_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(
        bot_config_with(
            dir.path(),
            &tg,
            &origin,
            "personal_alerts_per_chat = 2\npersonal_alerts_min_every = \"30m\"",
        ),
        seed_evening(),
    );
    start_chat(&tg, 42).await;
    let say = |text: &'static str| {
        let tg = tg.clone();
        async move { strip_tags(&ask(&tg, 42, text).await) }
    };

    // Watch lists.
    starts(say("/watch").await, "Example: /watch NVDA AMD");
    let reply = ask(&tg, 42, "/watch NVDA <b>").await;
    assert!(
        reply.contains("<code>&lt;b&gt;</code> is not a ticker symbol"),
        "{reply}"
    );
    assert_eq!(
        say("/watch nvda, $amd").await,
        "👀 Alerts now only about: AMD, NVDA"
    );
    assert_eq!(say("/unwatch NVDA").await, "👀 Alerts now only about: AMD");
    has(say("/list").await, "Symbols: AMD");
    assert_eq!(
        say("/unwatch all").await,
        "👀 Alerts about all symbols again."
    );
    // "All" is every symbol, in either language and either command; the ticker is `$ALL`.
    for all in ["/watch all", "/unwatch alle", "/watch Alle"] {
        say("/watch AMD").await;
        assert_eq!(
            say(all).await,
            "👀 Alerts about all symbols again.",
            "{all}"
        );
    }
    // Taken as the ticker (which the fake quote provider does not know).
    has(say("/watch $ALL").await, "knows no symbol ALL");

    // Settings.
    let shown = say("/settings").await;
    assert!(
        shown.contains("Language: English")
            && shown.contains("Time zone: UTC")
            && shown.contains("/settings tz Europe/Berlin"),
        "{shown}"
    );
    has(say("/settings tz Mars/Olympus").await, "is not a time zone");
    has(
        say("/settings quiet 25:00-07:00").await,
        "is not a time span",
    );
    has(say("/settings digest soon").await, "is not a list of times");
    has(
        say("/settings lang fr").await,
        "English (en) and German (de)",
    );
    // Times are the chat's local times: the answer says in which zone, and how to set it
    // while that is still UTC, which nobody chose.
    assert_eq!(
        say("/settings quiet 22:00-07:00").await,
        "✅ Quiet hours: 22:00–07:00 (UTC; /settings tz Europe/Berlin sets your time zone)"
    );
    assert_eq!(
        strip_tags(&ask(&tg, 43, "/settings digest 8:00").await),
        "✅ Digest: 08:00 (UTC; /settings tz Europe/Berlin sets your time zone)"
    );
    ask(&tg, 46, "/settings lang de").await;
    assert_eq!(
        strip_tags(&ask(&tg, 46, "/settings quiet 22-7").await),
        "✅ Ruhezeiten: 22:00–07:00 (UTC; /settings tz Europe/Berlin stellt Ihre Zeitzone ein)"
    );
    // The answer shows the time there now, and the offset: a wrong zone shows at once.
    let set = say("/settings tz Etc/GMT+1").await;
    assert!(
        set.starts_with("✅ Time zone: Etc/GMT+1 — now 2026-02-02 20:5")
            && set.contains(" there (UTC−01:00)")
            && set.contains("Etc/GMT-1"),
        "IANA's Etc/GMT+1 is an hour behind UTC: {set}"
    );
    let set = say("/settings tz Europe/Berlin").await;
    assert!(
        set.starts_with("✅ Time zone: Europe/Berlin — now 2026-02-02 22:5")
            && set.ends_with(" there (UTC+01:00)"),
        "{set}"
    );
    assert_eq!(
        say("/settings quiet 22:00-07:00").await,
        "✅ Quiet hours: 22:00–07:00 (Europe/Berlin)"
    );
    assert_eq!(
        say("/settings digest 18:00,8:00").await,
        "✅ Digest: 08:00, 18:00 (Europe/Berlin)"
    );
    assert_eq!(say("/settings digest off").await, "✅ Digest: off");
    assert_eq!(say("/settings quiet off").await, "✅ Quiet hours: off");

    // Mutes, shown in the chat's time zone.
    starts(say("/mute").await, "Examples: /mute NVDA 1d");
    has(
        say("/mute NVDA 100d").await,
        "is not a duration up to 30 days",
    );
    has(say("/mute NVDA soon").await, "is not a duration");
    let muted = say("/mute NVDA 2h").await;
    assert!(
        muted.starts_with("🔇 NVDA muted until 2026-02-03 00:5") && muted.ends_with("CET."),
        "{muted}"
    );
    starts(
        say("/mute nvda-customer-own-chips 12h").await,
        "🔇 Rule nvda-customer-own-chips muted until",
    );
    has(say("/list").await, "Muted: NVDA (2026-02-03 00:5");
    starts(
        say("/unmute AMD").await,
        "AMD is not muted on its own. Muted: NVDA (2026-02-03 00:5",
    );
    assert_eq!(say("/unmute NVDA").await, "🔊 1 mute lifted.");
    assert_eq!(say("/unmute").await, "🔊 1 mute lifted.");

    // Personal alerts: limits and bad input.
    has(say("/alert").await, "Examples:");
    has(
        say("/alert NVDA drop 3% every 5m").await,
        "at most every 30 minutes",
    );
    starts(say("/alert NVDA drop 3%").await, "🔔 Alert #1 set");
    starts(say("/alert AMD below 150").await, "🔔 Alert #2 set");
    has(say("/alert AMD above 300").await, "already has 2 alerts");
    starts(say("/delete").await, "Which alert?");
    assert_eq!(
        say("/delete 9").await,
        "There is no alert #9. /alerts lists yours."
    );
    let list = say("/alerts").await;
    assert!(
        list.contains("#1 NVDA drop 3%") && list.contains("#2 AMD below 150"),
        "{list}"
    );
    // Numbers are not reused: buttons under #2's old alerts cannot reach a new alert.
    assert_eq!(say("/delete 2").await, "🗑 Alert #2 deleted.");
    starts(say("/alert AMD below 140").await, "🔔 Alert #3 set");

    // Queries.
    assert_eq!(say("/quote").await, "Which symbol? Example: /quote NVDA");
    let quote = loop {
        let q = say("/quote NVDA").await;
        if !q.starts_with("No price data") {
            break q;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for want in [
        "NVDA 186.25 USD (−2.89 %)",
        "Previous close 191.79 USD",
        "Day range",
        "186.40 USD after hours",
        "Data of 2026-02-02 22:00 CET",
    ] {
        assert!(quote.contains(want), "{want} missing from {quote}");
    }
    starts(
        say("/quote ZZZZ").await,
        "The quote provider knows no symbol ZZZZ.",
    );
    starts(say("/chart NVDA 3y").await, "Example: /chart NVDA 5d");
    let before = tg.sent_to(42).len();
    tg.user_sends(42, "/chart NVDA 1d");
    let chart = eventually(Duration::from_secs(10), "the chart", || {
        tg.sent_to(42).get(before).cloned()
    })
    .await;
    let png = chart.photo.expect("/chart answers with a photo");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        chart.text.contains("NVDA") && chart.text.contains("1d"),
        "{}",
        chart.text
    );
    let news = loop {
        let n = say("/news NVDA").await;
        if !n.starts_with("No recent headlines") {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(
        news.contains("Latest headlines about NVDA") && news.contains(SEED_TITLE),
        "{news}"
    );
    assert_eq!(
        say("/news AMD").await,
        "No recent headlines about that symbol."
    );
    assert_eq!(
        say("/frobnicate").await,
        "There is no command /frobnicate. /help lists them."
    );

    // German.
    assert_eq!(say("/settings lang de").await, "✅ Sprache: Deutsch");
    starts(
        say("/help").await,
        "marketbot beobachtet Kurse und Schlagzeilen.",
    );
    starts(say("/watch").await, "Beispiel: /watch NVDA AMD");
    starts(say("/mute NVDA 1d").await, "🔇 NVDA stumm bis");
    has(say("/quote NVDA").await, "Vortagesschluss 191,79 USD");
    assert_eq!(
        say("/stop").await,
        "🔕 Meldungen gestoppt. Ihre Abos bleiben erhalten: /start nimmt sie wieder auf."
    );
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let chat = store.chat(42).unwrap().unwrap();
    assert!(chat.watch.is_empty());
    assert_eq!(chat.settings.tz, "Europe/Berlin");
    assert_eq!(chat.settings.quiet, None);
    assert_eq!(
        store.personal_alerts_of(42).unwrap().len(),
        2,
        "the refused third alert was not stored"
    );
}

fn starts(reply: String, prefix: &str) {
    assert!(
        reply.starts_with(prefix),
        "expected {prefix:?} at the start of {reply:?}"
    );
}

fn has(reply: String, part: &str) {
    assert!(reply.contains(part), "expected {part:?} in {reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_toggled_before_start_makes_the_chat_in_its_users_language() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_seed_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let chat = GERMAN_USER;
    let rules = ask_as(&tg, chat, chat, "/rules").await;
    assert!(rules.text.starts_with("<b>Regeln"), "{}", rules.text);
    let toggle = rules
        .buttons()
        .into_iter()
        .find(|(_, d)| d == "t:analyst-downgrade-drop")
        .expect("a toggle per rule")
        .1;
    let id = tg.press(chat, chat, rules.message_id, &toggle);
    let notice = eventually(Duration::from_secs(5), "the toggle", || {
        tg.callback_answer(&id)
    })
    .await;
    assert!(
        notice
            .as_deref()
            .is_some_and(|n| n.contains("analyst-downgrade-drop")),
        "{notice:?}"
    );
    bot.stop().await;
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let stored = store.chat(chat).unwrap().unwrap();
    assert!(stored.active && stored.rules.contains("analyst-downgrade-drop"));
    assert_eq!(
        stored.settings.lang,
        marketbot::text::Lang::De,
        "{stored:?}"
    );
    assert_eq!(stored.title, format!("User{chat}"));
}

/// Invisible marks pasted along with a ticker (a zero-width space, a word joiner, a
/// byte-order mark, direction marks) are not read: the symbol is the symbol, not "not a
/// ticker symbol" with the mark unseen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invisible_marks_pasted_with_a_ticker_are_not_read() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_seed_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    start_chat(&tg, 42).await;
    assert_eq!(
        strip_tags(&ask(&tg, 42, "/watch NVDA\u{200b}").await),
        "👀 Alerts now only about: NVDA"
    );
    starts(
        strip_tags(&ask(&tg, 42, "/alert \u{2060}NVDA\u{200e} drop 3%").await),
        "🔔 Alert #1 set: NVDA drop 3%",
    );
    assert_eq!(
        strip_tags(&ask(&tg, 42, "/unwatch N\u{feff}VDA\u{200d}").await),
        "👀 Alerts about all symbols again."
    );
    bot.stop().await;
}

/// A command fixed by editing its message is answered as it now reads. An edited `/alert`
/// changes the alert it made (never a second one), or makes it when the first reading made
/// none; an edited `/broadcast` is not sent again. Edits of messages that are no command for
/// this bot get no answer, and a command in a photo's caption is read as one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_command_is_answered_as_it_now_reads_and_never_makes_a_second_alert() {
    use support::ask_edited;
    const ADMIN: i64 = 42;
    const OTHER: i64 = 43;
    const GROUP: i64 = -100;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_seed_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(
        bot_config_with(dir.path(), &tg, &origin, "admins = [42]"),
        seed_evening(),
    );
    start_chat(&tg, ADMIN).await;
    start_chat(&tg, OTHER).await;
    let text = |m: support::telegram::Sent| strip_tags(&m.text);

    // A typo, answered with what is wrong; the message fixed: the alert is made.
    let typo = tg.user_sends_as(ADMIN, ADMIN, "/alert NVDA drop 3x%");
    let reply = eventually(Duration::from_secs(10), "the typo's answer", || {
        tg.sent_to(ADMIN)
            .into_iter()
            .find(|m| m.text.contains("not clear"))
    })
    .await;
    assert!(text(reply).contains("3x% is not a usable number"));
    let reply = text(ask_edited(&tg, ADMIN, ADMIN, typo, "/alert NVDA drop 3%").await);
    starts(reply, "🔔 Alert #1 set: NVDA drop 3%");
    // Edited again: the same alert changes, keeping its number.
    let reply = text(ask_edited(&tg, ADMIN, ADMIN, typo, "/alert NVDA drop 4%").await);
    assert_eq!(
        reply,
        "✏️ Alert #1 is now NVDA drop 4% (against the previous close)."
    );
    // Edited into something unclear: answered so, the alert stays as it was.
    let reply = text(ask_edited(&tg, ADMIN, ADMIN, typo, "/alert NVDA drop lots").await);
    has(reply, "lots is not a usable number");
    let list = strip_tags(&ask(&tg, ADMIN, "/alerts").await);
    assert!(
        list.contains("#1 NVDA drop 4%") && !list.contains("#2"),
        "one alert from one message, however often edited: {list}"
    );
    // A second message makes a second alert, as it always did.
    starts(
        strip_tags(&ask(&tg, ADMIN, "/alert NVDA drop 4%").await),
        "🔔 Alert #2 set",
    );

    // A command the bot does not have, fixed.
    let wacth = tg.user_sends_as(ADMIN, ADMIN, "/wacth NVDA");
    eventually(
        Duration::from_secs(10),
        "the unknown command's answer",
        || {
            tg.sent_to(ADMIN)
                .into_iter()
                .find(|m| m.text.contains("There is no command /wacth"))
        },
    )
    .await;
    assert_eq!(
        text(ask_edited(&tg, ADMIN, ADMIN, wacth, "/watch NVDA").await),
        "👀 Alerts now only about: NVDA"
    );

    // A broadcast edited is not sent again: the chats got it once.
    let sent = tg.user_sends_as(ADMIN, ADMIN, "/broadcast Markets close early today");
    let broadcasts = |chat| {
        tg.sent_to(chat)
            .into_iter()
            .filter(|m| m.text.contains("Markets close"))
            .count()
    };
    let queued = || {
        tg.sent_to(ADMIN)
            .iter()
            .any(|m| m.text.contains("Queued for 2 chats"))
    };
    eventually(Duration::from_secs(10), "the broadcast", || {
        (broadcasts(OTHER) == 1 && broadcasts(ADMIN) == 1 && queued()).then_some(())
    })
    .await;
    let reply = text(ask_edited(&tg, ADMIN, ADMIN, sent, "/broadcast Markets close at 1 pm").await);
    assert!(reply.contains("not sent again"), "{reply}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!((broadcasts(OTHER), broadcasts(ADMIN)), (1, 1));

    // Edits that are no command for this bot: no answer. Each chat's updates are handled in
    // turn, so the answer to the next command comes after whatever they would have caused.
    let hello = tg.user_sends_as(ADMIN, ADMIN, "hello");
    eventually(Duration::from_secs(10), "the answer to hello", || {
        tg.sent_to(ADMIN)
            .into_iter()
            .find(|m| m.text.contains("I only understand commands"))
    })
    .await;
    let other_bot = tg.user_sends_as(GROUP, support::telegram::GROUP_USER, "/quote@otherbot NVDA");
    let chatter = tg.user_sends_as(GROUP, support::telegram::GROUP_USER, "nice");
    let unnamed = tg.user_sends_as(GROUP, support::telegram::GROUP_USER, "/frobnicate");
    let before = tg.sent_to(ADMIN).len();
    tg.user_edits(ADMIN, ADMIN, hello, "hello there");
    tg.user_edits(ADMIN, ADMIN, typo, "never mind");
    tg.user_edits(
        GROUP,
        support::telegram::GROUP_USER,
        other_bot,
        "/quote@otherbot AMD",
    );
    tg.user_edits(GROUP, support::telegram::GROUP_USER, chatter, "nice one");
    tg.user_edits(
        GROUP,
        support::telegram::GROUP_USER,
        unnamed,
        "/frobnicate now",
    );
    // A command in a photo's caption is a command.
    let photo = tg.user_sends_photo(GROUP, support::telegram::GROUP_USER, "/alerts");
    let answered = eventually(Duration::from_secs(10), "the caption's answer", || {
        tg.sent_to(GROUP).into_iter().next()
    })
    .await;
    starts(text(answered), "No personal alerts yet");
    starts(strip_tags(&ask(&tg, ADMIN, "/alerts").await), "Your alerts");
    let after: Vec<String> = tg
        .sent_to(ADMIN)
        .into_iter()
        .skip(before)
        .filter(|m| !support::telegram::is_alert(m))
        .map(text)
        .collect();
    assert_eq!(after.len(), 1, "only the answer to /alerts: {after:?}");
    // Its caption edited: answered as it now reads.
    let before = tg.sent_to(GROUP).len();
    tg.user_edits_caption(GROUP, support::telegram::GROUP_USER, photo, "/help");
    let reply = eventually(
        Duration::from_secs(10),
        "the edited caption's answer",
        || tg.sent_to(GROUP).into_iter().nth(before).map(text),
    )
    .await;
    starts(reply, "marketbot watches quotes");
    assert_eq!(tg.sent_to(GROUP).len(), 2, "{:?}", tg.sent_to(GROUP));
    bot.stop().await;
}
