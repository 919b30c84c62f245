//! What people type and press at the edges: arguments written a little differently, mutes
//! named as the bot shows them, settings however they are capitalised, a listed group that
//! becomes a supergroup, and buttons pressed by many people at once.

use crate::support;

use std::time::Duration;

use support::origin::Origin;
use support::telegram::FakeTelegram;
use support::{
    RunningBot, ask, bot_config, bot_config_text, config, eventually, seed_evening,
    serve_quiet_prices, strip_tags,
};

const CHAT: i64 = 42;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_of_one_symbol_written_with_a_separator_is_answered() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    // Once its prices are in, as `/quote NVDA` shows.
    let quoted = support::ask_until(&tg, CHAT, CHAT, "/quote NVDA", |m| {
        strip_tags(&m.text).starts_with("NVDA ")
    })
    .await;
    assert!(
        strip_tags(&quoted.text).starts_with("NVDA "),
        "{}",
        quoted.text
    );
    for written in ["/quote NVDA,", "/quote $nvda;", "/quote NVDA, nvda"] {
        let reply = strip_tags(&ask(&tg, CHAT, written).await);
        assert!(
            reply.starts_with("NVDA ") && !reply.contains("not a ticker symbol"),
            "{written}: {reply}"
        );
    }
    // The same for the commands that take one symbol.
    for written in ["/news NVDA,", "/mute nvda; 1h", "/chart NVDA, 1d"] {
        let reply = strip_tags(&ask(&tg, CHAT, written).await);
        assert!(!reply.contains("not a ticker symbol"), "{written}: {reply}");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_alert_is_muted_and_unmuted_by_the_rule_id_its_messages_show() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA drop 3%").await);
    assert!(reply.starts_with("🔔 Alert #1 set"), "{reply}");

    // Its messages say "Rule: personal-42-1", and the mute button mutes that rule.
    let reply = strip_tags(&ask(&tg, CHAT, "/mute personal-42-1 2h").await);
    assert!(
        reply.starts_with("🔇 Rule personal-42-1 muted until"),
        "{reply}"
    );
    let list = strip_tags(&ask(&tg, CHAT, "/list").await);
    assert!(list.contains("Rule personal-42-1 ("), "{list}");
    let reply = strip_tags(&ask(&tg, CHAT, "/unmute personal-42-1").await);
    assert_eq!(reply, "🔊 1 mute lifted.");
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let chat = store.chat(CHAT).unwrap().unwrap();
    assert!(chat.mutes.is_empty(), "{:?}", chat.mutes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_zone_is_found_however_its_name_is_capitalised() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    for (written, zone) in [
        ("europe/berlin", "Europe/Berlin"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("utc", "UTC"),
    ] {
        let reply = strip_tags(&ask(&tg, CHAT, &format!("/settings tz {written}")).await);
        assert!(
            reply.starts_with(&format!("✅ Time zone: {zone} — now ")),
            "{written}: {reply}"
        );
    }
    let reply = strip_tags(&ask(&tg, CHAT, "/settings tz Mars/Olympus").await);
    assert!(reply.contains("is not a time zone"), "{reply}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_group_that_becomes_a_supergroup_stays_let_in() {
    const GROUP: i64 = -555;
    const SUPERGROUP: i64 = -1_001_555_000_000;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let keys = format!("access = \"allowlist\"\nallow = [{GROUP}]\nadmins = [7]\n");
    let started = |at| {
        RunningBot::start(
            support::bot_config_with(dir.path(), &tg, &origin, &keys),
            at,
        )
    };
    let bot = started(seed_evening());
    tg.set_admins(GROUP, &[support::telegram::GROUP_USER]);
    tg.set_admins(SUPERGROUP, &[support::telegram::GROUP_USER]);
    let reply = ask(&tg, GROUP, "/start").await;
    assert!(reply.contains("Subscribed"), "{reply}");

    // The group grows into a supergroup: Telegram gives it a new id. (The two chats' updates
    // are handled side by side: a command may overtake the migration for a moment.)
    tg.migrate(GROUP, SUPERGROUP);
    let reply = support::ask_until(
        &tg,
        SUPERGROUP,
        support::telegram::GROUP_USER,
        "/list",
        |m| !m.text.contains("private"),
    )
    .await
    .text;
    assert!(
        !reply.contains("private") && reply.contains("nvda-customer-seeks-alternatives"),
        "{reply}"
    );
    bot.stop().await;

    // Nor is it kept out when the bot starts again.
    let bot = started(seed_evening() + chrono::Duration::minutes(1));
    let reply = ask(&tg, SUPERGROUP, "/list").await;
    assert!(!reply.contains("private"), "{reply}");
    bot.stop().await;
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    assert!(store.chat(SUPERGROUP).unwrap().unwrap().active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_pressing_buttons_under_a_channel_post_never_make_the_bot_post_there() {
    const CHANNEL: i64 = -1_001_555_000_111;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = started_with_a_flood_limit_of_five(&tg, &origin, &dir);
    tg.channel_posts(CHANNEL, "/start");
    eventually(Duration::from_secs(10), "the channel subscribed", || {
        tg.sent_to(CHANNEL)
            .iter()
            .find(|m| m.text.contains("Subscribed"))
            .cloned()
    })
    .await;
    let posts = tg.sent_to(CHANNEL).len();

    // Thirty subscribers tap "why?" under the same post within a few seconds, and one of
    // them a dozen times more.
    let mut presses = Vec::new();
    for user in 0..30 {
        presses.push(tg.press(CHANNEL, 5000 + user, 101, "w:1"));
    }
    for _ in 0..12 {
        presses.push(tg.press(CHANNEL, 5000, 101, "w:1"));
    }
    for id in &presses {
        eventually(Duration::from_secs(20), "every press answered", || {
            tg.callback_answer(id)
        })
        .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let posted: Vec<String> = tg
        .sent_to(CHANNEL)
        .into_iter()
        .skip(posts)
        .map(|m| m.text)
        .collect();
    assert!(posted.is_empty(), "posted to the channel: {posted:#?}");
    // Each subscriber's first press was answered as a press, not ignored.
    let answered = presses[..30]
        .iter()
        .filter(|id| {
            tg.callback_answer(id)
                .flatten()
                .is_some_and(|t| t.contains("no longer stored"))
        })
        .count();
    assert_eq!(answered, 30);
    // The channel's admins are still heard.
    tg.channel_posts(CHANNEL, "/help");
    eventually(Duration::from_secs(10), "the answer to the admins", || {
        tg.sent_to(CHANNEL)
            .into_iter()
            .skip(posts)
            .find(|m| m.text.contains("/start"))
    })
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmuting_one_symbol_while_everything_is_muted_does_not_say_nothing_is_muted() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let reply = strip_tags(&ask(&tg, CHAT, "/mute all 2h").await);
    assert!(reply.starts_with("🔇 All alerts muted until"), "{reply}");
    let reply = strip_tags(&ask(&tg, CHAT, "/unmute NVDA").await);
    assert_eq!(
        reply,
        "NVDA is not muted on its own. Muted: All alerts (2026-02-02 23:50 UTC). /unmute lifts every mute."
    );
    // Nothing was lifted; without a mute at all, nothing is muted.
    let list = strip_tags(&ask(&tg, CHAT, "/list").await);
    assert!(list.contains("Muted: All alerts"), "{list}");
    let reply = strip_tags(&ask(&tg, CHAT, "/unmute").await);
    assert_eq!(reply, "🔊 1 mute lifted.");
    let reply = strip_tags(&ask(&tg, CHAT, "/unmute NVDA").await);
    assert_eq!(reply, "Nothing is muted.");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_channels_admins_turn_the_pages_of_its_history_post() {
    const CHANNEL: i64 = -1_001_555_000_222;
    const OWNER: i64 = 6000;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    crate::chat_features::seed_history(dir.path(), CHANNEL, 24);
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    tg.set_admins(CHANNEL, &[OWNER]);
    tg.channel_posts(CHANNEL, "/history 25");
    let post = eventually(Duration::from_secs(10), "the history post", || {
        tg.sent_to(CHANNEL)
            .into_iter()
            .find(|m| m.text.contains("(1/3)"))
    })
    .await;
    let older = post.buttons()[0].1.clone();

    // A subscriber's tap changes nothing everyone sees; they are told why.
    let tap = tg.press(CHANNEL, 5000, post.message_id, &older);
    let answer = eventually(Duration::from_secs(10), "the answer to the tap", || {
        tg.callback_answer(&tap)
    })
    .await;
    assert_eq!(
        answer.as_deref(),
        Some("Only this chat's admins can change what it follows.")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        tg.edits_to(CHANNEL).is_empty(),
        "{:?}",
        tg.edits_to(CHANNEL)
    );

    // The channel's admin turns the page.
    tg.press(CHANNEL, OWNER, post.message_id, &older);
    let (_, page) = eventually(Duration::from_secs(10), "page 2", || {
        tg.edits_to(CHANNEL).into_iter().next()
    })
    .await;
    assert!(
        strip_tags(&page).starts_with("Recent alerts (2/3)"),
        "{page}"
    );
    bot.stop().await;
}

/// A failing source's last error names its address, which may carry a key in its query: the
/// bot's admins read it in `/status`, everyone else the kind of failure alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_bots_admins_read_a_failing_sources_last_error_in_status() {
    use support::origin::Reply;
    const ADMIN: i64 = 7;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    origin.set(
        "/broken.xml",
        Reply::status(503, "text/html", "<html>Service Unavailable</html>"),
    );
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(
        support::bot_config_with(dir.path(), &tg, &origin, "admins = [7]\n"),
        seed_evening(),
    );
    let failing = |m: &support::telegram::Sent| strip_tags(&m.text).contains("server-error");
    let admin = strip_tags(
        &support::ask_until(&tg, ADMIN, ADMIN, "/status", failing)
            .await
            .text,
    );
    assert!(admin.contains("last error"), "{admin}");
    let anyone = strip_tags(
        &support::ask_until(&tg, CHAT, CHAT, "/status", failing)
            .await
            .text,
    );
    assert!(
        anyone.contains("broken (feed)") && !anyone.contains("last error"),
        "{anyone}"
    );
    bot.stop().await;
}

/// Telegram tells of a group's upgrade in both chats: the old group gets `migrate_to_chat_id`,
/// the new supergroup `migrate_from_chat_id`. The supergroup's own messages (its service
/// message, then its commands) can be handled before the old group's message is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_moved_once_when_its_supergroup_tells_of_the_upgrade_first() {
    const GROUP: i64 = -556;
    const SUPERGROUP: i64 = -1_001_556_000_000;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let user = support::telegram::GROUP_USER;
    tg.set_admins(GROUP, &[user]);
    tg.set_admins(SUPERGROUP, &[user]);
    for command in [
        "/start",
        "/unsubscribe guidance-cut-gap-down",
        "/settings tz Europe/Berlin",
        "/alert NVDA drop 3%",
    ] {
        let reply = strip_tags(&ask(&tg, GROUP, command).await);
        assert!(
            !reply.contains("Only this chat's admins"),
            "{command}: {reply}"
        );
    }

    // The supergroup's service message comes first, and a command right after it.
    tg.migrated_from(GROUP, SUPERGROUP);
    let list = strip_tags(&ask(&tg, SUPERGROUP, "/list").await);
    assert!(
        list.contains("nvda-customer-seeks-alternatives")
            && !list.contains("guidance-cut-gap-down")
            && list.contains("Time zone: Europe/Berlin")
            && list.contains("Personal alerts: 1"),
        "{list}"
    );
    // The supergroup changes something; the old group's report of the same upgrade, coming
    // late, moves nothing a second time.
    let reply = strip_tags(&ask(&tg, SUPERGROUP, "/unsubscribe chip-export-curbs").await);
    assert!(reply.contains("chip-export-curbs"), "{reply}");
    tg.migrate(GROUP, SUPERGROUP);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = strip_tags(&ask(&tg, SUPERGROUP, "/list").await);
    assert!(
        !list.contains("chip-export-curbs") && list.contains("Personal alerts: 1"),
        "{list}"
    );
    let alerts = strip_tags(&ask(&tg, SUPERGROUP, "/alerts").await);
    assert!(alerts.contains("NVDA drop 3%"), "{alerts}");
    bot.stop().await;

    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    assert!(!store.chat(GROUP).unwrap().unwrap().active);
    let moved = store.chat(SUPERGROUP).unwrap().unwrap();
    assert!(
        moved.active && moved.migrated_from == Some(GROUP),
        "{moved:?}"
    );
}

/// A chat keeps at most fifty mutes: one more is refused in words, never dropped while the
/// reply says it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mute_beyond_the_most_a_chat_keeps_is_refused_not_dropped() {
    use marketbot::chats::{Chat, ChatKind, MAX_MUTES, MuteTarget};
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    {
        let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
        let mut chat = Chat::new(CHAT, ChatKind::Private, "Ann".into(), seed_evening());
        for i in 0..MAX_MUTES {
            chat.mutes.push(marketbot::chats::Mute {
                what: MuteTarget::Symbol(format!("S{i}")),
                until: seed_evening() + chrono::Duration::days(20),
            });
        }
        // And one that has ended: it takes no room.
        chat.mutes.push(marketbot::chats::Mute {
            what: MuteTarget::Symbol("OLD".into()),
            until: seed_evening() - chrono::Duration::hours(1),
        });
        store.put_chat(&chat).unwrap();
    }
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let reply = strip_tags(&ask(&tg, CHAT, "/mute NVDA 1h").await);
    let list = strip_tags(&ask(&tg, CHAT, "/list").await);
    assert!(
        reply.starts_with("🔇 Not muted: 50 mutes are in force here"),
        "{reply}"
    );
    assert!(!list.contains("NVDA ("), "{list}");
    // A mute in force is changed in place: that takes no room.
    let reply = strip_tags(&ask(&tg, CHAT, "/mute S7 2h").await);
    assert!(reply.starts_with("🔇 S7 muted until"), "{reply}");
    // Once one is lifted, there is room again.
    assert_eq!(
        strip_tags(&ask(&tg, CHAT, "/unmute S3").await),
        "🔊 1 mute lifted."
    );
    let reply = strip_tags(&ask(&tg, CHAT, "/mute NVDA 1h").await);
    assert!(reply.starts_with("🔇 NVDA muted until"), "{reply}");
    let list = strip_tags(&ask(&tg, CHAT, "/list").await);
    assert!(list.contains("NVDA ("), "{list}");
    bot.stop().await;
}

/// After /stop, following a rule, setting a personal alert or resuming one asks for alerts
/// again: they are turned back on, and the reply says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_alerts_in_a_stopped_chat_turns_them_on_and_says_so() {
    const BACK: &str = "Alerts in this chat were off; they are on again (/stop pauses them).";
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    support::start_chat(&tg, CHAT).await;
    let reply = strip_tags(&ask(&tg, CHAT, "/alert NVDA drop 3%").await);
    assert!(!reply.contains(BACK), "{reply}");
    ask(&tg, CHAT, "/pause 1").await;
    for (command, done) in [
        ("/subscribe analyst-downgrade-drop", "✅ Following"),
        ("/alert AMD drop 5%", "🔔 Alert #2 set"),
        ("/resume 1", "▶️ Alert #1 is on again."),
    ] {
        let stopped = strip_tags(&ask(&tg, CHAT, "/stop").await);
        assert!(stopped.starts_with("🔕"), "{stopped}");
        let reply = strip_tags(&ask(&tg, CHAT, command).await);
        assert!(
            reply.starts_with(done) && reply.contains(BACK),
            "{command}: {reply}"
        );
        let list = strip_tags(&ask(&tg, CHAT, "/list").await);
        assert!(!list.contains("Alerts are stopped"), "{command}: {list}");
    }
    // In a chat whose alerts are on, nothing more is said.
    let reply = strip_tags(&ask(&tg, CHAT, "/subscribe chip-export-curbs").await);
    assert!(!reply.contains(BACK), "{reply}");
    bot.stop().await;
}

/// The flood check counts a chat's commands by the date Telegram stamped on them, and its
/// button presses (which carry no date) by Telegram's time too: a bot whose own clock runs
/// elsewhere (anchored, as here and with `run --clock-start`) still pauses a chat that pressed
/// too fast, for its commands as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presses_and_commands_of_a_chat_are_paced_on_one_clock() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = started_with_a_flood_limit_of_five(&tg, &origin, &dir);
    let presses: Vec<String> = (0..6).map(|_| tg.press(CHAT, CHAT, 101, "w:1")).collect();
    let last = eventually(Duration::from_secs(10), "the sixth press answered", || {
        tg.callback_answer(&presses[5])
    })
    .await;
    assert!(
        last.as_deref()
            .is_some_and(|t| t.starts_with("⏳ That is more commands than I can answer")),
        "{last:?}"
    );
    // Its commands are ignored for the pause too.
    tg.user_sends(CHAT, "/help");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(tg.sent_to(CHAT).is_empty(), "{:?}", tg.sent_to(CHAT));
    bot.stop().await;
}

/// In a group everyone sees what the bot posts: the evidence behind an alert is posted once,
/// and members who tap "why?" after that are pointed to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evidence_behind_an_alert_is_posted_once_in_a_group() {
    const GROUP: i64 = -557;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    crate::chat_features::seed_history(dir.path(), GROUP, 2);
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let evidence = |message: i64| {
        tg.sent_to(GROUP)
            .into_iter()
            .filter(|m| m.reply_to == Some(message) && m.text.contains("Why this alert fired"))
            .count()
    };
    let first = tg.press(GROUP, 5001, 1001, "w:1");
    eventually(Duration::from_secs(10), "the evidence", || {
        (evidence(1001) == 1).then_some(())
    })
    .await;
    assert_eq!(tg.callback_answer(&first), Some(None));
    // Other members, and the first one again.
    let later: Vec<String> = [5002, 5003, 5001]
        .into_iter()
        .map(|user| tg.press(GROUP, user, 1001, "w:1"))
        .collect();
    for id in &later {
        let answer = eventually(Duration::from_secs(10), "the answer to a later tap", || {
            tg.callback_answer(id)
        })
        .await;
        assert_eq!(
            answer.as_deref(),
            Some("The evidence is posted above, as a reply to this alert."),
        );
    }
    // Another alert's evidence is its own.
    tg.press(GROUP, 5002, 1002, "w:2");
    eventually(
        Duration::from_secs(10),
        "the other alert's evidence",
        || (evidence(1002) == 1).then_some(()),
    )
    .await;
    assert_eq!(evidence(1001), 1, "{:#?}", tg.sent_to(GROUP));
    bot.stop().await;
}

/// A group's admins may take the bot's right to send messages without removing it: alerts
/// stop there as when it is removed (nothing is sent to be refused), and start again when the
/// right is given back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_may_not_send_messages_in_a_group_stops_alerts_there_until_it_may() {
    const SUPERGROUP: i64 = -1_001_558_000_000;
    const STOPPED: &str = "Alerts are stopped";
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let user = support::telegram::GROUP_USER;
    tg.set_admins(SUPERGROUP, &[user]);
    support::start_chat(&tg, SUPERGROUP).await;
    // What the group's /list says about its alerts, once it says `stopped` or not.
    let list_until = |stopped: bool| {
        support::ask_until(&tg, SUPERGROUP, user, "/list", move |m| {
            strip_tags(&m.text).contains(STOPPED) == stopped
        })
    };

    // Restricted, but still allowed to send messages: nothing changes.
    tg.bot_restricted(SUPERGROUP, true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = strip_tags(&ask(&tg, SUPERGROUP, "/list").await);
    assert!(!list.contains(STOPPED), "{list}");
    // Its right to send messages taken (the fake still takes the bot's messages, so /list
    // can tell).
    tg.bot_restricted(SUPERGROUP, false);
    let list = strip_tags(&list_until(true).await.text);
    assert!(list.contains(STOPPED), "{list}");
    // Given back: the alerts start again by themselves.
    tg.bot_unrestricted(SUPERGROUP);
    let list = strip_tags(&list_until(false).await.text);
    assert!(!list.contains(STOPPED), "{list}");
    bot.stop().await;
    let store = marketbot::store::Store::open(&dir.path().join("data"), 8 << 20).unwrap();
    let chat = store.chat(SUPERGROUP).unwrap().unwrap();
    assert!(chat.active && chat.deactivated.is_none(), "{chat:?}");
}

/// The bot at the seed evening, answering five commands (or presses) a minute per chat.
fn started_with_a_flood_limit_of_five(
    tg: &FakeTelegram,
    origin: &Origin,
    dir: &tempfile::TempDir,
) -> RunningBot {
    RunningBot::start(
        config(
            dir.path(),
            &bot_config_text(
                tg,
                origin,
                "commands_per_minute = 5\nchat_interval = \"20ms\"\n",
            ),
        ),
        seed_evening(),
    )
}
