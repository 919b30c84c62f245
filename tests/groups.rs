//! Groups, supergroups, forum topics and channels; who may change what they receive; the bot's
//! own admins; a group becoming a supergroup; the bot being removed.

use crate::support;

use std::time::Duration;

use support::origin::Origin;
use support::telegram::FakeTelegram;
use support::{
    RunningBot, ask, ask_as, bot_config, bot_config_with, eventually, release_seed_story,
    seed_evening, serve_quiet_evening, serve_quiet_prices, strip_tags,
};

const GROUP: i64 = -100;
const GROUP_ADMIN: i64 = 7;
const MEMBER: i64 = 4242;
const FORUM: i64 = -1_001_234_567_890;
const TOPIC: i64 = 55;
const CHANNEL: i64 = -1_009_876_543_210;
const SUPERGROUP: i64 = -1_001_111_111_111;
/// The bot's admin (in `telegram.admins`), in a private chat.
const OPERATOR: i64 = 1;

/// A bot with quiet prices, and `GROUP_ADMIN` an admin of the group `old` and of the
/// supergroup `new` it becomes.
async fn group_and_supergroup(
    old: i64,
    new: i64,
) -> (FakeTelegram, Origin, tempfile::TempDir, RunningBot) {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    tg.set_admins(old, &[GROUP_ADMIN]);
    tg.set_admins(new, &[GROUP_ADMIN]);
    (tg, origin, dir, bot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_change_groups_and_only_the_operator_runs_admin_commands() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_evening(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(
        bot_config_with(dir.path(), &tg, &origin, &format!("admins = [{OPERATOR}]")),
        seed_evening(),
    );
    tg.set_admins(GROUP, &[GROUP_ADMIN]);
    tg.set_admins(FORUM, &[GROUP_ADMIN]);
    let store_dir = dir.path().join("data");

    // A plain member cannot subscribe the group, change its settings or set alerts for it…
    for command in [
        "/start",
        "/subscribe analyst-downgrade-drop",
        "/settings lang de",
        "/watch NVDA",
        "/mute all 1h",
        "/alert NVDA drop 3%",
    ] {
        let reply = strip_tags(&ask_as(&tg, GROUP, MEMBER, command).await.text);
        assert_eq!(
            reply, "Only this chat's admins can change what it follows.",
            "{command}"
        );
    }
    // …but can read.
    let rules = ask_as(&tg, GROUP, MEMBER, "/rules").await;
    assert!(
        rules
            .text
            .contains("<code>nvda-customer-seeks-alternatives</code>"),
        "{}",
        rules.text
    );
    assert!(
        strip_tags(&ask_as(&tg, GROUP, MEMBER, "/settings").await.text)
            .contains("Language: English")
    );

    // Pressing a rule toggle as a member changes nothing either.
    let toggle = rules
        .buttons()
        .into_iter()
        .find(|(_, d)| d == "t:analyst-downgrade-drop")
        .expect("a toggle per rule")
        .1;
    let id = tg.press(GROUP, MEMBER, rules.message_id, &toggle);
    let notice = eventually(Duration::from_secs(5), "the refusal", || {
        tg.callback_answer(&id)
    })
    .await;
    assert_eq!(
        notice.as_deref(),
        Some("Only this chat's admins can change what it follows.")
    );
    assert!(tg.keyboards_in(GROUP).is_empty());

    // The group's admin can, with the command or the toggle.
    let reply = strip_tags(&ask_as(&tg, GROUP, GROUP_ADMIN, "/start").await.text);
    assert!(reply.starts_with("👋 Subscribed."), "{reply}");
    let id = tg.press(GROUP, GROUP_ADMIN, rules.message_id, &toggle);
    let notice = eventually(Duration::from_secs(5), "the toggle", || {
        tg.callback_answer(&id)
    })
    .await;
    assert_eq!(
        notice.as_deref(),
        Some("✅ Following analyst-downgrade-drop")
    );
    let (message, keyboard) = eventually(Duration::from_secs(5), "the new keyboard", || {
        tg.keyboards_in(GROUP).first().cloned()
    })
    .await;
    assert_eq!(message, rules.message_id);
    assert!(
        keyboard.to_string().contains("✅ analyst-downgrade-drop"),
        "{keyboard}"
    );

    // A forum topic: the subscription remembers it, replies and alerts go there.
    let before = tg.sent_to(FORUM).len();
    tg.topic_sends(FORUM, TOPIC, GROUP_ADMIN, "/start");
    let reply = eventually(Duration::from_secs(10), "the topic reply", || {
        tg.sent_to(FORUM).get(before).cloned()
    })
    .await;
    assert_eq!(reply.thread, Some(TOPIC));

    // A channel: posting there takes admin rights already.
    tg.channel_posts(CHANNEL, "/start");
    eventually(Duration::from_secs(10), "the channel reply", || {
        tg.sent_to(CHANNEL).first().cloned()
    })
    .await;
    // But the buttons under a channel post can be pressed by any subscriber: only the
    // channel's admins change anything with them.
    tg.channel_posts(CHANNEL, "/rules");
    let channel_rules = eventually(Duration::from_secs(10), "the channel's rules", || {
        tg.sent_to(CHANNEL).get(1).cloned()
    })
    .await;
    let id = tg.press(CHANNEL, MEMBER, channel_rules.message_id, &toggle);
    let notice = eventually(Duration::from_secs(5), "the refusal in the channel", || {
        tg.callback_answer(&id)
    })
    .await;
    assert_eq!(
        notice.as_deref(),
        Some("Only this chat's admins can change what it follows.")
    );

    // The bot's admin commands: refused (and logged) for everyone else.
    for command in ["/stats", "/broadcast hello", "/reload"] {
        assert_eq!(
            strip_tags(&ask_as(&tg, GROUP, GROUP_ADMIN, command).await.text),
            "Only the bot's admins can do that.",
            "{command}"
        );
        assert_eq!(
            strip_tags(&ask(&tg, 42, command).await),
            "Only the bot's admins can do that.",
            "{command}"
        );
    }
    let stats = strip_tags(&ask(&tg, OPERATOR, "/stats").await);
    assert!(
        stats.contains("Chats 3 (3 active)")
            && stats.contains("Alerts today 0")
            && stats.contains("Sources 6"),
        "{stats}"
    );
    assert!(
        strip_tags(&ask(&tg, OPERATOR, "/reload").await)
            .contains("rules reloaded: 7 rules in force")
    );
    assert!(
        strip_tags(&ask(&tg, OPERATOR, "/help").await).contains("/broadcast"),
        "admins see their commands"
    );
    assert_eq!(
        strip_tags(&ask(&tg, OPERATOR, "/broadcast").await),
        "Example: /broadcast Maintenance tonight at 22:00 UTC."
    );
    let reply = strip_tags(
        &ask(
            &tg,
            OPERATOR,
            "/broadcast Maintenance at 22:00 <UTC> & more",
        )
        .await,
    );
    assert_eq!(
        reply, "📣 Queued for 3 chats.",
        "the group, the forum and the channel: {reply}"
    );
    let note = eventually(
        Duration::from_secs(10),
        "the broadcast in the group",
        || {
            tg.sent_to(GROUP)
                .into_iter()
                .find(|m| m.text.contains("Message from the bot's operator"))
        },
    )
    .await;
    assert!(
        note.text
            .contains("Maintenance at 22:00 &lt;UTC&gt; &amp; more"),
        "{}",
        note.text
    );
    let forum_note = eventually(
        Duration::from_secs(10),
        "the broadcast in the topic",
        || {
            tg.sent_to(FORUM)
                .into_iter()
                .find(|m| m.text.contains("Message from the bot's operator"))
        },
    )
    .await;
    assert_eq!(forum_note.thread, Some(TOPIC));

    // The group becomes a supergroup: its subscriptions move with it, and alerts follow.
    tg.migrate(GROUP, SUPERGROUP);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The bot is removed from the channel.
    tg.bot_removed(CHANNEL);
    tokio::time::sleep(Duration::from_millis(500)).await;
    release_seed_story(&origin);
    let alert = eventually(
        Duration::from_secs(15),
        "the alert in the supergroup",
        || tg.alerts_to(SUPERGROUP).first().cloned(),
    )
    .await;
    assert!(strip_tags(&alert.text).contains("NVDA"));
    let topic_alert = eventually(Duration::from_secs(15), "the alert in the topic", || {
        tg.alerts_to(FORUM).first().cloned()
    })
    .await;
    assert_eq!(topic_alert.thread, Some(TOPIC));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        tg.alerts_to(GROUP).is_empty(),
        "nothing to the old group id"
    );
    assert!(
        tg.alerts_to(CHANNEL).is_empty(),
        "nothing to a channel that removed the bot"
    );
    bot.stop().await;

    let store = marketbot::store::Store::open(&store_dir, 8 << 20).unwrap();
    let moved = store.chat(SUPERGROUP).unwrap().unwrap();
    assert!(
        moved.active && moved.rules.contains("analyst-downgrade-drop"),
        "{moved:?}"
    );
    assert!(!store.chat(GROUP).unwrap().unwrap().active);
    assert!(!store.chat(CHANNEL).unwrap().unwrap().active);
    assert_eq!(
        store.chat(FORUM).unwrap().unwrap().thread,
        Some(TOPIC as i32)
    );
}

/// `/start` in the supergroup answered before the group's migration was taken in (Telegram
/// reports the upgrade in both chats, handled side by side): the rules it gave there by
/// default were nobody's choice, so the group's choice stands in for them — a rule the group
/// dropped stays dropped — while a rule followed in the supergroup on purpose stays, and so
/// does a rule dropped there, though the group follows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supergroup_started_before_its_migration_keeps_what_the_group_chose() {
    const OLD: i64 = -557;
    const NEW: i64 = -1_001_557_000_000;
    let (tg, _origin, _dir, bot) = group_and_supergroup(OLD, NEW).await;
    for (chat, command) in [
        (OLD, "/start"),
        (OLD, "/unsubscribe guidance-cut-gap-down"),
        (OLD, "/settings tz Europe/Berlin"),
        (NEW, "/start"),
        (NEW, "/subscribe new-52-week-low"),
        (NEW, "/unsubscribe nvda-customer-seeks-alternatives"),
    ] {
        let reply = strip_tags(&ask_as(&tg, chat, GROUP_ADMIN, command).await.text);
        assert!(
            !reply.contains("Only this chat's admins"),
            "{command}: {reply}"
        );
    }
    let started = strip_tags(&ask_as(&tg, NEW, GROUP_ADMIN, "/list").await.text);
    assert!(
        started.contains("guidance-cut-gap-down")
            && !started.contains("nvda-customer-seeks-alternatives"),
        "{started}"
    );

    tg.migrate(OLD, NEW);
    // Taken in once the supergroup has the group's time zone.
    let list = support::ask_until(&tg, NEW, GROUP_ADMIN, "/list", |m| {
        strip_tags(&m.text).contains("Time zone: Europe/Berlin")
    })
    .await;
    let list = strip_tags(&list.text);
    assert!(
        list.contains("Time zone: Europe/Berlin")
            && list.contains("chip-export-curbs")
            && list.contains("new-52-week-low")
            && !list.contains("guidance-cut-gap-down")
            && !list.contains("nvda-customer-seeks-alternatives"),
        "{list}"
    );
    bot.stop().await;
}

/// A group and the supergroup it became, which got a record of its own first, have more
/// mutes in force together than a chat keeps: the supergroup is told, once and in the group's
/// language, which gave way — though the migration is reported in both chats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supergroup_is_told_once_which_mutes_gave_way_at_its_migration() {
    use marketbot::chats::{Chat, ChatKind, MAX_MUTES, Mute, MuteTarget};
    const OLD: i64 = -559;
    const NEW: i64 = -1_001_559_000_000;
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("data");
    let hours = |h: i64| seed_evening() + chrono::Duration::hours(h);
    {
        let store = marketbot::store::Store::open(&store_dir, 8 << 20).unwrap();
        let mut group = Chat::new(OLD, ChatKind::Group, "Traders".into(), seed_evening());
        group.settings.lang = marketbot::text::Lang::De;
        for i in 0..30 {
            group.mutes.push(Mute {
                what: MuteTarget::Symbol(format!("G{i}")),
                until: hours(2 * i + 1),
            });
        }
        let mut early = Chat::new(NEW, ChatKind::Supergroup, "Traders".into(), seed_evening());
        for i in 0..MAX_MUTES - 28 {
            early.mutes.push(Mute {
                what: MuteTarget::Symbol(format!("S{i}")),
                until: hours(2 * i as i64 + 2),
            });
        }
        store.put_chats(&[group, early]).unwrap();
    }
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    let is_notice = |text: &str| text.contains("Supergruppe");
    tg.migrate(OLD, NEW);
    let notice = eventually(Duration::from_secs(10), "the notice", || {
        tg.sent_to(NEW).into_iter().find(|m| is_notice(&m.text))
    })
    .await;
    let text = strip_tags(&notice.text);
    assert!(
        text.contains("daher wurden 2 Stummschaltungen aufgehoben:\n• G0 — bis 02.02.2026 22:50 UTC\n• S0 — bis 02.02.2026 23:50 UTC\n"),
        "{text}"
    );
    // Reported again, in the supergroup: nothing more to tell (its updates are answered in
    // order, so the report is taken in before the reply).
    tg.migrated_from(OLD, NEW);
    let list = strip_tags(&ask(&tg, NEW, "/list").await);
    assert!(list.contains("G1 (") && !list.contains("G0 ("), "{list}");
    bot.stop().await;

    let store = marketbot::store::Store::open(&store_dir, 8 << 20).unwrap();
    let queued = store
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|(_, d)| is_notice(&d.text))
        .count();
    let sent = tg
        .sent_to(NEW)
        .iter()
        .filter(|m| is_notice(&m.text))
        .count();
    assert_eq!((sent, queued), (1, 0), "told once");
    assert_eq!(store.chat(NEW).unwrap().unwrap().mutes.len(), MAX_MUTES);
}

/// Personal alerts set in the supergroup before the group's migration was taken in keep their
/// numbers: the group's alert whose number the supergroup used takes the next free one, the
/// supergroup is told which, and `/alerts` there lists both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supergroup_keeps_its_own_alerts_and_is_told_which_of_its_groups_took_new_numbers() {
    const OLD: i64 = -561;
    const NEW: i64 = -1_001_561_000_000;
    let (tg, _origin, _dir, bot) = group_and_supergroup(OLD, NEW).await;
    for (chat, command) in [(OLD, "/alert NVDA drop 3%"), (NEW, "/alert AMD drop 5%")] {
        let reply = strip_tags(&ask_as(&tg, chat, GROUP_ADMIN, command).await.text);
        assert!(reply.contains("Alert #1 set"), "{command}: {reply}");
    }
    tg.migrate(OLD, NEW);
    let notice = eventually(Duration::from_secs(10), "the notice", || {
        tg.sent_to(NEW)
            .into_iter()
            .find(|m| m.text.contains("new number"))
    })
    .await;
    let text = strip_tags(&notice.text);
    assert!(text.contains("• #1 is now #2: NVDA drop 3%"), "{text}");
    let alerts = strip_tags(&ask_as(&tg, NEW, GROUP_ADMIN, "/alerts").await.text);
    assert!(
        alerts.contains("#1 AMD drop 5%") && alerts.contains("#2 NVDA drop 3%"),
        "{alerts}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_the_bot_lacks_is_answered_in_a_group_when_addressed_to_it_by_name() {
    let tg = FakeTelegram::start().await;
    let origin = Origin::start().await;
    serve_quiet_prices(&origin);
    let dir = tempfile::tempdir().unwrap();
    let bot = RunningBot::start(bot_config(dir.path(), &tg, &origin), seed_evening());
    // Commands not addressed to the bot may be another bot's: they get no answer. (Updates
    // of a chat are answered in order: the reply below would come after theirs.)
    tg.user_sends_as(GROUP, MEMBER, "/nonsense NVDA");
    tg.user_sends_as(GROUP, MEMBER, "/qoute@some_other_bot NVDA");
    // One addressed to it by name is for it: a typo is pointed out, not met with silence.
    let reply = ask_as(&tg, GROUP, MEMBER, "/qoute@marketbot_test_bot NVDA").await;
    assert_eq!(
        strip_tags(&reply.text),
        "There is no command /qoute. /help lists them."
    );
    let reply = ask_as(&tg, GROUP, MEMBER, "/help").await;
    assert!(reply.text.contains("/quote"), "{}", reply.text);
    assert_eq!(
        tg.sent_to(GROUP).len(),
        2,
        "{:?}",
        tg.sent_to(GROUP)
            .iter()
            .map(|m| m.text.clone())
            .collect::<Vec<_>>()
    );
    bot.stop().await;
}
