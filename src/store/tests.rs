use super::*;

use crate::chats::{ChatKind, Mute, MuteTarget};
use crate::delivery::outbox::{SentMessage, Target};
use crate::engine::EngineState;
use crate::model::Session;
use crate::personal::{Key, PersonalAlert, PersonalState, Restatement};

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    (dir, store)
}

/// Where a test's store lives: a sled directory, or a schema of its own in the test database.
enum Fixture {
    Sled(tempfile::TempDir),
    Postgres(postgres::TestSchema),
}

impl Fixture {
    fn sled() -> Fixture {
        Fixture::Sled(tempfile::tempdir().unwrap())
    }

    /// A fresh schema in `MARKETBOT_TEST_DATABASE_URL`, or `None` (said on stderr) without it.
    fn postgres() -> Option<Fixture> {
        postgres::TestSchema::create().map(Fixture::Postgres)
    }

    /// The backend alone (to lay out data as an older version left it).
    fn raw(&self) -> Arc<dyn Backend> {
        match self {
            Fixture::Sled(dir) => Arc::new(embedded::Sled::open(dir.path(), 8 << 20).unwrap()),
            Fixture::Postgres(schema) => Arc::new(schema.connect()),
        }
    }

    /// The store (again: a restart).
    fn open(&self) -> Store {
        Store::with_backend(self.raw()).unwrap()
    }
}

/// Tests every backend must pass: each runs on sled, and on PostgreSQL when
/// `MARKETBOT_TEST_DATABASE_URL` is set.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod on_sled {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::Fixture::sled());
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(fixture) = super::Fixture::postgres() {
                        super::$name(&fixture);
                    }
                }
            )*
        }
    };
}

on_every_backend!(
    a_step_is_committed_as_a_whole_and_survives_reopening,
    news_is_newest_first_and_old_headlines_are_pruned,
    news_lists_an_article_stored_twice_once,
    many_deliveries_are_queued_at_once_in_order_and_survive_reopening,
    a_headline_dated_before_1970_is_not_the_newest_news_and_is_pruned,
    a_migrated_group_keeps_subscriptions_personal_alerts_and_pending_messages,
    a_supergroup_that_spoke_before_its_migration_takes_the_groups_settings,
    a_supergroup_started_before_its_migration_keeps_the_rules_the_group_chose,
    a_supergroup_keeps_at_most_fifty_mutes_after_taking_its_groups_in,
    a_supergroup_started_before_a_group_that_follows_nothing_keeps_its_defaults,
    posted_evidence_is_remembered_per_alert_and_chat_and_forgotten_with_the_messages,
    only_new_or_changed_bars_are_news,
    chats_are_updated_in_place_and_subscribers_found,
    deliveries_are_rescheduled_removed_and_dropped_per_chat,
    a_corrupt_value_is_skipped_not_fatal,
    sent_messages_are_found_per_alert,
    commands_change_the_stored_record_not_a_stale_copy,
    which_message_an_alert_became_is_forgotten_after_a_month,
    a_new_text_for_a_pending_message_keeps_what_the_sender_changed,
    a_message_whose_text_changed_on_the_wire_is_edited_once_sent,
    personal_alerts_stored_as_compiled_rules_are_upgraded_on_open,
    a_step_writes_personal_states_and_removes_spent_one_shot_alerts,
    an_update_is_taken_in_once_across_a_reopen_and_forgotten_after_a_day,
    concurrent_changes_to_one_chat_are_all_kept,
    scans_walk_past_a_page_in_both_directions,
    received_alerts_are_indexed_on_upgrade_and_listed_newest_first,
    a_personal_alert_is_changed_in_place_and_an_edit_drops_its_state,
    a_split_restates_the_bars_before_it_once,
    a_restated_alert_is_stored_only_over_the_spec_it_was_read_from,
    the_newest_wanted_bar_of_a_symbol_is_found_across_its_bar_lengths,
    a_flood_pause_is_kept_to_its_latest_end_across_a_reopen,
    the_messages_of_an_alert_that_does_not_decode_are_not_forgotten_early,
    each_part_of_a_message_split_in_parts_is_recorded_as_its_own_message,
    a_migrated_groups_history_is_forgotten_after_a_month,
);

fn bar(time: &str, close: f64) -> Bar {
    Bar {
        symbol: "NVDA".into(),
        time: time.parse().unwrap(),
        interval: "30m".parse().unwrap(),
        open: Some(close),
        high: Some(close),
        low: Some(close),
        close: Some(close),
        volume: Some(1),
        session: None,
    }
}

/// A whole message (not a part) sent to `chat`.
fn whole(chat: i64, message: i32, photo: bool) -> SentMessage {
    SentMessage {
        chat,
        part: 0,
        message,
        photo,
    }
}

fn delivery(chat: i64) -> Delivery {
    Delivery::message(
        7,
        Target::Telegram(chat),
        "<b>hi</b>".into(),
        "2026-02-02T21:48:00Z".parse().unwrap(),
    )
}

fn a_step_is_committed_as_a_whole_and_survives_reopening(f: &Fixture) {
    {
        let store = f.open();
        let state = EngineState {
            next_alert: 8,
            ..EngineState::default()
        };
        let story = crate::engine::StoryState {
            words: vec!["openai".into()],
            ..Default::default()
        };
        let pair = crate::engine::PairState {
            cooldown_until: Some("2026-02-03T21:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        let pair_key = crate::engine::pair_key("nvda-customer-seeks-alternatives", "NVDA");
        let step = Step {
            now: Utc::now(),
            items: vec!["feed:item-1".into()],
            bars: vec![bar("2026-02-02T21:00:00Z", 186.25)],
            splits: vec![],
            engine: Some(&state),
            alerts: vec![],
            deliveries: vec![delivery(42), delivery(43)],
            replace: vec![],
            charts: vec![
                (7, crate::text::Lang::De, Chart::Png(b"\x89PNG...".to_vec())),
                (9, crate::text::Lang::De, Chart::SameAs(7)),
            ],
            digest: vec![(44, 7)],
            headlines: vec![(
                "feed:item-1".into(),
                StoredHeadline {
                    headline: headline("2026-02-02T21:47:00Z"),
                    symbols: vec!["NVDA".into()],
                },
            )],
            personal: vec![],
            restated: vec![],
            stories: vec![("story-1", Some(&story)), ("story-2", Some(&story))],
            pairs: vec![(&pair_key, Some(&pair))],
        };
        store.commit(&step).unwrap();
        // A story forgotten by a later step goes.
        store
            .commit(&Step {
                stories: vec![("story-2", None)],
                ..Step::default()
            })
            .unwrap();
        store
            .put_chat(&Chat::new(42, ChatKind::Private, "Ann".into(), Utc::now()))
            .unwrap();
        store.flush().unwrap();
    }
    let store = f.open();
    assert!(store.item_seen_at("feed:item-1").unwrap().is_some());
    assert!(store.item_seen_at("feed:item-2").unwrap().is_none());
    assert_eq!(store.bars().unwrap().len(), 1);
    assert_eq!(store.engine_state().unwrap().next_alert, 8);
    let stories = store.engine_stories().unwrap();
    assert_eq!(stories.keys().collect::<Vec<_>>(), ["story-1"]);
    assert_eq!(stories["story-1"].words, ["openai"]);
    let pairs = store.engine_pairs().unwrap();
    let key = crate::engine::pair_key("nvda-customer-seeks-alternatives", "NVDA");
    assert!(pairs[&key].cooldown_until.is_some());
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(outbox[0].0 < outbox[1].0, "sequence numbers keep the order");
    assert_eq!(store.chat(42).unwrap().unwrap().title, "Ann");
    assert_eq!(
        store.chart(7, crate::text::Lang::De).unwrap().as_deref(),
        Some(b"\x89PNG...".as_slice())
    );
    // An alert that shows the same picture refers to it, and shares its upload.
    assert_eq!(
        store.chart(9, crate::text::Lang::De).unwrap().as_deref(),
        Some(b"\x89PNG...".as_slice())
    );
    store
        .put_chart_file_id(9, crate::text::Lang::De, "file-1")
        .unwrap();
    assert_eq!(
        store
            .chart_file_id(7, crate::text::Lang::De)
            .unwrap()
            .as_deref(),
        Some("file-1")
    );
    // A file id Telegram refused is forgotten (by either alert showing the picture), unless
    // an upload since stored another.
    assert!(
        !store
            .forget_chart_file_id(7, crate::text::Lang::De, "file-0")
            .unwrap()
    );
    assert!(
        store
            .forget_chart_file_id(7, crate::text::Lang::De, "file-1")
            .unwrap()
    );
    assert_eq!(store.chart_file_id(9, crate::text::Lang::De).unwrap(), None);
    assert!(store.chart(9, crate::text::Lang::De).unwrap().is_some());
    assert_eq!(store.digest_waiting().unwrap(), vec![(44, vec![7])]);
    assert_eq!(store.news("NVDA", 5).unwrap().len(), 1);
    assert!(store.news("AMD", 5).unwrap().is_empty());
}

fn headline(published: &str) -> crate::engine::HeadlineRef {
    crate::engine::HeadlineRef {
        title: "OpenAI looks at alternatives to Nvidia chips".into(),
        link: Some(format!("https://example.com/{published}")),
        source: "Reuters".into(),
        published: published.parse().unwrap(),
    }
}

fn news_lists_an_article_stored_twice_once(f: &Fixture) {
    let store = f.open();
    let at = "2026-02-02T21:47:00Z";
    let about = |symbols: &[&str]| StoredHeadline {
        headline: headline(at),
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
    };
    let mut unlinked = headline(at);
    unlinked.link = None;
    let step = Step {
        now: Utc::now(),
        headlines: vec![
            ("msft-feed".into(), about(&["MSFT", "NVDA"])),
            ("nvda-feed".into(), about(&["NVDA"])),
            (
                "no-link".into(),
                StoredHeadline {
                    headline: unlinked.clone(),
                    symbols: vec!["NVDA".into()],
                },
            ),
            (
                "no-link-again".into(),
                StoredHeadline {
                    headline: unlinked,
                    symbols: vec!["NVDA".into()],
                },
            ),
        ],
        ..Step::default()
    };
    store.commit(&step).unwrap();
    assert_eq!(store.news("NVDA", 10).unwrap().len(), 2);
    assert_eq!(store.news("MSFT", 10).unwrap().len(), 1);
}

/// Stores a headline about NVDA published at each of `times` (items `item-0`, `item-1`…).
fn store_news_of_nvda(store: &Store, times: &[&str]) {
    let step = Step {
        now: Utc::now(),
        headlines: times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    format!("item-{i}"),
                    StoredHeadline {
                        headline: headline(t),
                        symbols: vec!["NVDA".into()],
                    },
                )
            })
            .collect(),
        ..Step::default()
    };
    store.commit(&step).unwrap();
}

fn many_deliveries_are_queued_at_once_in_order_and_survive_reopening(f: &Fixture) {
    {
        let store = f.open();
        let all: Vec<Delivery> = (0..50).map(delivery).collect();
        store.enqueue_all(&all).unwrap();
    }
    let store = f.open();
    let targets: Vec<Target> = store
        .outbox()
        .unwrap()
        .into_iter()
        .map(|(_, d)| d.target)
        .collect();
    assert_eq!(targets, (0..50).map(Target::Telegram).collect::<Vec<_>>());
}

fn news_is_newest_first_and_old_headlines_are_pruned(f: &Fixture) {
    let store = f.open();
    store_news_of_nvda(
        &store,
        &[
            "2026-01-20T10:00:00Z",
            "2026-02-02T21:47:00Z",
            "2026-02-01T08:00:00Z",
        ],
    );
    let times: Vec<String> = store
        .news("NVDA", 2)
        .unwrap()
        .iter()
        .map(|h| h.published.to_rfc3339())
        .collect();
    assert_eq!(
        times,
        ["2026-02-02T21:47:00+00:00", "2026-02-01T08:00:00+00:00"]
    );
    store
        .prune("2026-02-03T00:00:00Z".parse().unwrap())
        .unwrap();
    assert_eq!(
        store.news("NVDA", 5).unwrap().len(),
        2,
        "the one older than a week is gone"
    );
}

/// Some feeds date an undated item at the zero time of their language ("0001-01-01"): it is
/// the oldest news, not the newest, and goes with the other old headlines.
fn a_headline_dated_before_1970_is_not_the_newest_news_and_is_pruned(f: &Fixture) {
    let store = f.open();
    store_news_of_nvda(&store, &["0001-01-01T00:00:00Z", "2026-02-02T21:47:00Z"]);
    let newest: Vec<String> = store
        .news("NVDA", 1)
        .unwrap()
        .iter()
        .map(|h| h.published.to_rfc3339())
        .collect();
    assert_eq!(newest, ["2026-02-02T21:47:00+00:00"]);
    // As an earlier version stored it: under its negative time.
    let mut legacy = (-62_135_596_800i64).to_be_bytes().to_vec();
    legacy.extend_from_slice(b"item-legacy");
    let ancient = StoredHeadline {
        headline: headline("0001-01-01T00:00:00Z"),
        symbols: vec!["NVDA".into()],
    };
    store
        .backend()
        .insert(Tree::Headlines, &legacy, &encode(&ancient))
        .unwrap();
    store
        .prune("2026-02-03T00:00:00Z".parse().unwrap())
        .unwrap();
    let left: Vec<String> = store
        .news("NVDA", 5)
        .unwrap()
        .iter()
        .map(|h| h.published.to_rfc3339())
        .collect();
    assert_eq!(
        left,
        ["2026-02-02T21:47:00+00:00"],
        "the ancient one is kept forever"
    );
}

fn a_migrated_group_keeps_subscriptions_personal_alerts_and_pending_messages(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    let mut chat = Chat::new(-42, ChatKind::Group, "Traders".into(), now);
    chat.rules.insert("seed".into());
    chat.rules.insert(PersonalAlert::rule_id(-42, 1));
    chat.mutes.push(Mute {
        what: MuteTarget::Rule(PersonalAlert::rule_id(-42, 1)),
        until: now + chrono::TimeDelta::hours(3),
    });
    chat.personal_next = 1;
    store.put_chat(&chat).unwrap();
    store
        .put_personal_alert(&PersonalAlert {
            paused: false,
            changed: None,
            chat: -42,
            number: 1,
            spec: "NVDA drop 3%".into(),
            created: now,
        })
        .unwrap();
    let cooling = PersonalState {
        cooldown_until: Some(now + chrono::TimeDelta::hours(5)),
        news: None,
    };
    store.put_personal_state(-42, 1, &cooling).unwrap();
    store.enqueue(&delivery(-42)).unwrap();
    // An edit of a message in the old group, and the record of that message.
    store
        .enqueue(&Delivery {
            edit: Some(555),
            ..delivery(-42)
        })
        .unwrap();
    store.record_sent(7, &whole(-42, 555, false), now).unwrap();
    store
        .commit(&Step {
            now,
            digest: vec![(-42, 7)],
            ..Step::default()
        })
        .unwrap();
    // Cut short after the new record was written (a crash, or a command in the new
    // supergroup first): the migration still completes when it is reported again.
    store
        .put_chat(&Chat::new(
            -10_042,
            ChatKind::Supergroup,
            "Traders".into(),
            now,
        ))
        .unwrap();
    assert!(
        store.migrate_chat(-42, -10_042, now).unwrap(),
        "personal alerts moved"
    );
    let moved = store.chat(-10_042).unwrap().unwrap();
    let new_id = PersonalAlert::rule_id(-10_042, 1);
    assert!(
        moved.active && moved.rules.contains("seed") && moved.rules.contains(&new_id),
        "{moved:?}"
    );
    assert_eq!(moved.kind, ChatKind::Supergroup);
    assert!(!store.chat(-42).unwrap().unwrap().active);
    let personal = store.personal_alerts_of(-10_042).unwrap();
    assert_eq!(personal.len(), 1);
    assert_eq!(personal[0].key().rule_id(), new_id);
    assert_eq!(
        store.personal_state(-10_042, 1).unwrap(),
        Some(cooling),
        "its cooldown moved with it"
    );
    assert!(store.personal_alerts_of(-42).unwrap().is_empty());
    assert_eq!(store.personal_state(-42, 1).unwrap(), None);
    assert_eq!(moved.mutes[0].what, MuteTarget::Rule(new_id.clone()));
    assert_eq!(moved.personal_next, 1);
    let outbox = store.outbox().unwrap();
    assert_eq!(
        outbox.len(),
        1,
        "the edit of the old group's message is dropped"
    );
    assert_eq!(outbox[0].1.target, Target::Telegram(-10_042));
    assert!(!store.was_sent(7, -42).unwrap());
    assert_eq!(
        store.received(-10_042, 0, 10).unwrap(),
        (vec![7], false),
        "/history of the supergroup shows what the group received"
    );
    assert_eq!(store.received(-42, 0, 10).unwrap(), (vec![], false));
    assert_eq!(store.digest_waiting().unwrap(), vec![(-10_042, vec![7])]);
    assert_eq!(moved.migrated_from, Some(-42));
    // Reported twice (service message, then a failed send): the second changes nothing — not
    // even a rule the supergroup unsubscribed from in between comes back.
    store
        .update_chat(-10_042, |c| {
            c.rules.remove("seed");
        })
        .unwrap();
    assert!(!store.migrate_chat(-42, -10_042, now).unwrap());
    let again = store.chat(-10_042).unwrap().unwrap();
    assert!(again.active && !again.rules.contains("seed"), "{again:?}");
    assert_eq!(store.personal_alerts_of(-10_042).unwrap().len(), 1);
}

fn a_supergroup_that_spoke_before_its_migration_takes_the_groups_settings(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    let mut group = Chat::new(-43, ChatKind::Group, "Traders".into(), now);
    group.rules.insert("seed".into());
    group.settings.lang = crate::text::Lang::De;
    group.settings.tz = "Europe/Berlin".into();
    group.settings.quiet = Some((
        chrono::NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
    ));
    group.settings.digest = vec![chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()];
    store.put_chat(&group).unwrap();
    // A command in the supergroup was answered before the migration was taken in: the
    // supergroup has a record of its own, in its user's language, with a quiet hour it chose.
    let mut early = Chat::new(-10_043, ChatKind::Supergroup, "Traders".into(), now);
    early.rules.insert("other".into());
    early.settings.quiet = Some((
        chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
        chrono::NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
    ));
    store.put_chat(&early).unwrap();
    store.migrate_chat(-43, -10_043, now).unwrap();
    let moved = store.chat(-10_043).unwrap().unwrap();
    assert!(
        moved.rules.contains("seed") && moved.rules.contains("other"),
        "{moved:?}"
    );
    assert_eq!(moved.settings.lang, crate::text::Lang::De);
    assert_eq!(moved.settings.tz, "Europe/Berlin");
    assert_eq!(moved.settings.digest, group.settings.digest);
    assert_eq!(
        moved.settings.quiet, early.settings.quiet,
        "what the supergroup chose itself stays"
    );
    // Taken in once: a setting changed in the supergroup afterwards is its own.
    store
        .update_chat(-10_043, |c| c.settings.tz = "UTC".into())
        .unwrap();
    store.migrate_chat(-43, -10_043, now).unwrap();
    assert_eq!(store.chat(-10_043).unwrap().unwrap().settings.tz, "UTC");
}

fn a_supergroup_started_before_its_migration_keeps_the_rules_the_group_chose(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    let defaults: Vec<String> = ["seed", "guidance", "chips"].map(String::from).to_vec();
    // The group took the defaults and dropped two of them.
    let mut group = Chat::new(-44, ChatKind::Group, "Traders".into(), now);
    group.follow_defaults(&defaults);
    group.unfollow("guidance");
    group.unfollow("chips");
    group.follow("earnings");
    store.put_chat(&group).unwrap();
    // `/start` in the supergroup was answered before the migration was taken in: it got the
    // defaults, and someone there followed "chips" on purpose, and another rule.
    let mut early = Chat::new(-10_044, ChatKind::Supergroup, "Traders".into(), now);
    early.follow_defaults(&defaults);
    early.follow("chips");
    early.follow("other");
    store.put_chat(&early).unwrap();
    store.migrate_chat(-44, -10_044, now).unwrap();
    let moved = store.chat(-10_044).unwrap().unwrap();
    let rules = |names: &[&str]| names.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        moved.rules,
        rules(&["chips", "earnings", "other", "seed"]),
        "the default the group dropped stays dropped; what the supergroup chose stays"
    );
    assert_eq!(
        moved.by_default,
        rules(&["seed"]),
        "still nobody's choice, as in the group"
    );
    // Reported again: nothing changes.
    store.migrate_chat(-44, -10_044, now).unwrap();
    assert_eq!(store.chat(-10_044).unwrap().unwrap(), moved);
}

/// A group that never ran `/start` (a `/settings` or `/mute` there made its record) follows
/// nothing: a supergroup `/start` was answered in first keeps the defaults it was told it
/// follows. A mute of its own that has ended gives way to the group's in force.
fn a_supergroup_started_before_a_group_that_follows_nothing_keeps_its_defaults(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    let defaults: Vec<String> = ["seed", "guidance"].map(String::from).to_vec();
    let later = now + chrono::TimeDelta::hours(5);
    let mut group = Chat::new(-47, ChatKind::Group, "Traders".into(), now);
    group.mutes.push(Mute {
        what: MuteTarget::Symbol("NVDA".into()),
        until: later,
    });
    store.put_chat(&group).unwrap();
    let mut early = Chat::new(-10_047, ChatKind::Supergroup, "Traders".into(), now);
    early.follow_defaults(&defaults);
    early.mutes.push(Mute {
        what: MuteTarget::Symbol("NVDA".into()),
        until: now - chrono::TimeDelta::hours(1),
    });
    store.put_chat(&early).unwrap();
    store.migrate_chat(-47, -10_047, now).unwrap();
    let moved = store.chat(-10_047).unwrap().unwrap();
    assert_eq!(moved.rules, defaults.iter().cloned().collect());
    assert_eq!(
        moved.mutes,
        [Mute {
            what: MuteTarget::Symbol("NVDA".into()),
            until: later
        }]
    );
}

fn a_supergroup_keeps_at_most_fifty_mutes_after_taking_its_groups_in(f: &Fixture) {
    use crate::chats::MAX_MUTES;
    let store = f.open();
    let now = Utc::now();
    let hours = |h: f64| now + chrono::TimeDelta::minutes((h * 60.0) as i64);
    let mute = |what, until| Mute { what, until };
    // Each chat has thirty mutes in force and one that ended; the group also silences
    // everything for half an hour.
    let mut group = Chat::new(-46, ChatKind::Group, "Traders".into(), now);
    let mut early = Chat::new(-10_046, ChatKind::Supergroup, "Traders".into(), now);
    for i in 0..30 {
        let symbol = MuteTarget::Symbol(format!("G{i}"));
        group.mutes.push(mute(symbol, hours(f64::from(i) + 1.0)));
        let rule = MuteTarget::Rule(format!("s{i}"));
        early.mutes.push(mute(rule, hours(f64::from(i) + 1.5)));
    }
    group
        .mutes
        .push(mute(MuteTarget::Symbol("OLD".into()), hours(-1.0)));
    early
        .mutes
        .push(mute(MuteTarget::Rule("old".into()), hours(-1.0)));
    group.mutes.push(mute(MuteTarget::All, hours(0.5)));
    store.put_chat(&group).unwrap();
    store.put_chat(&early).unwrap();
    let (logs, _guard) = crate::logging::Logs::capture();
    store.migrate_chat(-46, -10_046, now).unwrap();
    let moved = store.chat(-10_046).unwrap().unwrap();
    assert_eq!(moved.mutes.len(), MAX_MUTES, "{:?}", moved.mutes);
    assert!(
        moved.mutes.iter().all(|m| m.until > now),
        "ended ones dropped"
    );
    assert!(
        moved.muted("seed", Some("AMD"), now),
        "everything still silenced"
    );
    // Of the sixty other mutes in force, the eleven ending soonest (by 6 hours) gave way.
    let kept = |what: MuteTarget| moved.mutes.iter().any(|m| m.what == what);
    for i in 0..6 {
        assert!(!kept(MuteTarget::Symbol(format!("G{i}"))), "G{i}");
    }
    for i in 0..5 {
        assert!(!kept(MuteTarget::Rule(format!("s{i}"))), "s{i}");
    }
    assert!(kept(MuteTarget::Rule("s5".into())) && kept(MuteTarget::Symbol("G6".into())));
    assert_eq!(logs.lines_with("dropped a mute in force"), 11, "each said");
}

fn posted_evidence_is_remembered_per_alert_and_chat_and_forgotten_with_the_messages(f: &Fixture) {
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
    store
        .commit(&Step {
            now,
            alerts: vec![Alert::sample(1, now), Alert::sample(2, now)],
            ..Step::default()
        })
        .unwrap();
    for (alert, chat) in [(1, -5), (2, -5), (1, -6)] {
        store
            .record_sent(alert, &whole(chat, 100, false), now)
            .unwrap();
    }
    store.record_explained(1, -5).unwrap();
    store.record_explained(1, -6).unwrap();
    assert!(store.explained(1, -5).unwrap());
    assert!(!store.explained(2, -5).unwrap(), "per alert");
    // A group gone to its supergroup forgets its messages, and with them what it was shown.
    store.forget_sent_to(-6).unwrap();
    assert!(!store.explained(1, -6).unwrap());
    // A month on, the alert's messages are forgotten, and so is its evidence.
    store.prune(now + chrono::TimeDelta::days(31)).unwrap();
    assert!(!store.was_sent(1, -5).unwrap());
    assert!(!store.explained(1, -5).unwrap());
}

fn only_new_or_changed_bars_are_news(f: &Fixture) {
    let store = f.open();
    let first = vec![
        bar("2026-02-02T21:00:00Z", 186.25),
        bar("2026-02-02T21:30:00Z", 186.0),
    ];
    assert_eq!(store.changed_bars(&first).unwrap().len(), 2);
    store
        .commit(&Step {
            bars: first.clone(),
            ..Step::default()
        })
        .unwrap();
    assert!(store.changed_bars(&first).unwrap().is_empty());
    let revised = vec![bar("2026-02-02T21:30:00Z", 185.5)];
    assert_eq!(store.changed_bars(&revised).unwrap(), revised);
    // A bar repeating only the close of a stored one is nothing new, and keeps its values.
    let partial = Bar {
        open: None,
        high: None,
        low: None,
        volume: None,
        ..bar("2026-02-02T21:00:00Z", 186.25)
    };
    assert!(store.changed_bars(&[partial]).unwrap().is_empty());
}

fn chats_are_updated_in_place_and_subscribers_found(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    store
        .put_chat(&Chat::new(-1001, ChatKind::Supergroup, "Desk".into(), now))
        .unwrap();
    store
        .put_chat(&Chat::new(42, ChatKind::Private, "Ann".into(), now))
        .unwrap();
    store
        .update_chat(42, |c| {
            c.rules.insert("seed".into());
        })
        .unwrap();
    store
        .update_chat(-1001, |c| {
            c.rules.insert("seed".into());
            c.active = false;
        })
        .unwrap();
    let subs = store.subscribers("seed").unwrap();
    assert_eq!(subs.iter().map(|c| c.id).collect::<Vec<_>>(), [42]);
    assert!(store.update_chat(5, |_| {}).unwrap().is_none());
    assert_eq!(
        store
            .chats()
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        [-1001, 42],
        "numeric order"
    );
}

fn deliveries_are_rescheduled_removed_and_dropped_per_chat(f: &Fixture) {
    let store = f.open();
    let a = store.enqueue(&delivery(42)).unwrap();
    store.enqueue(&delivery(43)).unwrap();
    store.enqueue(&delivery(42)).unwrap();
    assert!(store.update_delivery(a, |d| d.attempts = 1).unwrap());
    assert_eq!(store.outbox().unwrap()[0].1.attempts, 1);
    assert_eq!(store.drop_deliveries_to(42).unwrap(), 2);
    assert_eq!(store.outbox_len().unwrap(), 1);
    let (seq, _) = store.outbox().unwrap()[0].clone();
    store.remove_delivery(seq).unwrap();
    assert_eq!(store.outbox_len().unwrap(), 0);
}

fn a_corrupt_value_is_skipped_not_fatal(f: &Fixture) {
    let store = f.open();
    store
        .backend
        .insert(Tree::Chats, &chat_key(1), b"{not json")
        .unwrap();
    store
        .put_chat(&Chat::new(2, ChatKind::Private, "B".into(), Utc::now()))
        .unwrap();
    assert_eq!(store.chats().unwrap().len(), 1);
    assert!(store.chat(1).unwrap().is_none());
    // A command of that chat (`/start`) does not write a fresh record over the one it
    // cannot read: an error, and the record as it was.
    let fresh = Chat::new(1, ChatKind::Private, "A".into(), Utc::now());
    assert!(store.upsert_chat(&fresh, |c| c.active = true).is_err());
    assert!(
        store
            .create_personal_alert(&fresh, "NVDA drop 3%", Utc::now(), |_, _| {})
            .is_err()
    );
    assert!(store.personal_alerts_of(1).unwrap().is_empty());
    assert_eq!(
        store
            .backend
            .get(Tree::Chats, &chat_key(1))
            .unwrap()
            .as_deref(),
        Some(&b"{not json"[..])
    );
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let (dir, _store) = open();
    let err = Store::open(dir.path(), 8 << 20).err().expect("locked");
    assert!(err.to_string().contains("another marketbot"), "{err}");
}

fn sent_messages_are_found_per_alert(f: &Fixture) {
    let store = f.open();
    let at = "2026-02-02T21:50:00Z".parse().unwrap();
    store.record_sent(7, &whole(42, 100, false), at).unwrap();
    store.record_sent(7, &whole(-1001, 101, true), at).unwrap();
    store.record_sent(8, &whole(42, 102, false), at).unwrap();
    let mut sent = store.sent_messages(7).unwrap();
    sent.sort();
    assert_eq!(sent, [whole(-1001, 101, true), whole(42, 100, false)]);
}

fn commands_change_the_stored_record_not_a_stale_copy(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    let fresh = Chat::new(5, ChatKind::Private, "u".into(), now);
    store
        .upsert_chat(&fresh, |c| {
            c.rules.insert("a".into());
        })
        .unwrap();
    // Meanwhile the digest job notes a digest…
    store.update_chat(5, |c| c.last_digest = Some(now)).unwrap();
    // …and a command made from an older read does not undo it.
    let chat = store
        .upsert_chat(&fresh, |c| {
            c.rules.insert("b".into());
        })
        .unwrap();
    assert_eq!(chat.last_digest, Some(now));
    assert_eq!(chat.rules.len(), 2);
}

fn which_message_an_alert_became_is_forgotten_after_a_month(f: &Fixture) {
    let store = f.open();
    let fired: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
    let alert = crate::engine::Alert::sample(7, fired);
    store
        .commit(&Step {
            now: fired,
            alerts: vec![alert],
            ..Step::default()
        })
        .unwrap();
    store.record_sent(7, &whole(42, 100, true), fired).unwrap();
    store.prune(fired + chrono::TimeDelta::days(29)).unwrap();
    assert!(store.was_sent(7, 42).unwrap());
    store.prune(fired + chrono::TimeDelta::days(31)).unwrap();
    assert!(!store.was_sent(7, 42).unwrap());
}

/// Which messages an alert became is what later copies of its story edit, what its buttons
/// are checked against and what `/history` lists. An alert whose stored record does not
/// decode (written by a later version, say) is no reason to forget them before their month is
/// out: it may decode again after the next upgrade.
fn the_messages_of_an_alert_that_does_not_decode_are_not_forgotten_early(f: &Fixture) {
    let store = f.open();
    let fired: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
    store
        .commit(&Step {
            now: fired,
            alerts: vec![
                crate::engine::Alert::sample(7, fired),
                crate::engine::Alert::sample(8, fired),
                crate::engine::Alert::sample(9, fired),
            ],
            ..Step::default()
        })
        .unwrap();
    store.record_sent(7, &whole(42, 100, false), fired).unwrap();
    // Alerts 8's and 9's messages as an older version recorded them: no time of their own.
    let raw = &store.backend;
    for alert in [8, 9] {
        let mut legacy = 101i32.to_be_bytes().to_vec();
        legacy.push(0);
        raw.insert(Tree::Sent, &sent_key(alert, 42), &legacy)
            .unwrap();
        raw.insert(Tree::Received, &sent::received_key(42, alert), &[])
            .unwrap();
    }
    for id in [7u64, 8] {
        raw.insert(
            Tree::Alerts,
            &id.to_be_bytes(),
            br#"{"id": "of a later version"}"#,
        )
        .unwrap();
    }
    assert!(store.alert(7).unwrap().is_none());
    store.prune(fired + chrono::TimeDelta::days(10)).unwrap();
    assert!(
        store.was_sent(7, 42).unwrap(),
        "a message sent ten days ago forgotten"
    );
    assert_eq!(store.received(42, 0, 10).unwrap().0, [9, 8, 7]);
    // A month on, the message that knows its time goes, and so does the one whose alert
    // tells its age; alert 8's cannot tell it: it stays until the alert decodes again.
    store.prune(fired + chrono::TimeDelta::days(31)).unwrap();
    assert!(!store.was_sent(7, 42).unwrap());
    assert!(!store.was_sent(9, 42).unwrap());
    assert!(store.was_sent(8, 42).unwrap());
    assert_eq!(store.received(42, 0, 10).unwrap().0, [8]);
    store
        .commit(&Step {
            now: fired,
            alerts: vec![crate::engine::Alert::sample(8, fired)],
            ..Step::default()
        })
        .unwrap();
    store.prune(fired + chrono::TimeDelta::days(31)).unwrap();
    assert!(!store.was_sent(8, 42).unwrap());
    assert!(store.received(42, 0, 10).unwrap().0.is_empty());
}

/// A message split in parts becomes one Telegram message per part: each is remembered, so a
/// later copy of the story edits the part it changes — also the part sent while the step that
/// re-rendered it ran.
fn each_part_of_a_message_split_in_parts_is_recorded_as_its_own_message(f: &Fixture) {
    use crate::delivery::outbox::Part;
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
    let part = |index: u32, text: &str| Delivery {
        text: text.into(),
        buttons: index == 1,
        part: Some(Part { index, of: 2 }),
        ..delivery(42)
    };
    let first = store.enqueue(&part(0, "first part")).unwrap();
    let second = store.enqueue(&part(1, "second part")).unwrap();
    store
        .mark_sent(first, &part(0, "first part"), Some(11), now)
        .unwrap();
    // The second part goes out as a step re-renders it; the step lands after its removal.
    store
        .mark_sent(second, &part(1, "second part"), Some(12), now)
        .unwrap();
    store
        .commit(&Step {
            now,
            replace: vec![(second, part(1, "second part · also reported by Bloomberg"))],
            ..Step::default()
        })
        .unwrap();
    let sent: Vec<(u32, i32)> = store
        .sent_messages(7)
        .unwrap()
        .iter()
        .map(|m| (m.part, m.message))
        .collect();
    assert_eq!(sent, [(0, 11), (1, 12)]);
    assert!(store.was_sent(7, 42).unwrap());
    assert!(!store.was_sent(7, 43).unwrap());
    let pending = store.outbox().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let edit = &pending[0].1;
    assert_eq!(edit.edit, Some(12), "the second part's message edited");
    assert!(edit.buttons);
    assert_eq!(edit.text, "second part · also reported by Bloomberg");
    assert_eq!(store.received(42, 0, 10).unwrap().0, [7]);
    store.prune(now + chrono::TimeDelta::days(31)).unwrap();
    assert!(store.sent_messages(7).unwrap().is_empty());
    assert!(store.received(42, 0, 10).unwrap().0.is_empty());
}

#[test]
fn a_directory_let_go_of_a_moment_later_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    store.backend.insert(Tree::Meta, b"kept", b"yes").unwrap();
    store.flush().unwrap();
    // The last handle goes away on another thread shortly after the reopen begins, as when
    // sled's own threads or a finishing task release the directory after a restart.
    let late = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(store);
    });
    let reopened = Store::open(dir.path(), 8 << 20).unwrap();
    late.join().unwrap();
    assert_eq!(
        reopened
            .backend
            .get(Tree::Meta, b"kept")
            .unwrap()
            .as_deref(),
        Some(&b"yes"[..])
    );
}

fn a_new_text_for_a_pending_message_keeps_what_the_sender_changed(f: &Fixture) {
    let store = f.open();
    let step = |deliveries, replace| Step {
        now: Utc::now(),
        items: vec![],
        bars: vec![],
        splits: vec![],
        engine: None,
        alerts: vec![],
        deliveries,
        replace,
        charts: vec![],
        digest: vec![],
        headlines: vec![],
        personal: vec![],
        restated: vec![],
        stories: vec![],
        pairs: vec![],
    };
    store.commit(&step(vec![delivery(42)], vec![])).unwrap();
    let (seq, _) = store.outbox().unwrap()[0].clone();
    // Meanwhile the sender failed, backed off and moved the chat.
    let later: DateTime<Utc> = "2026-02-02T22:00:00Z".parse().unwrap();
    store
        .update_delivery(seq, |d| {
            d.not_before = Some(later);
            d.attempts = 2;
            d.target = Target::Telegram(-1_002_000_000_000);
        })
        .unwrap();
    let changed = |text: &str| Delivery {
        text: text.into(),
        ..delivery(42)
    };
    store
        .commit(&step(vec![], vec![(seq, changed("<b>also reported</b>"))]))
        .unwrap();
    let (_, d) = store.outbox().unwrap()[0].clone();
    assert_eq!(d.text, "<b>also reported</b>");
    assert_eq!(d.not_before, Some(later));
    assert_eq!(d.attempts, 2);
    assert_eq!(d.target, Target::Telegram(-1_002_000_000_000));
    // A message sent meanwhile is not brought back.
    store.remove_delivery(seq).unwrap();
    store
        .commit(&step(vec![], vec![(seq, changed("late"))]))
        .unwrap();
    assert_eq!(store.outbox_len().unwrap(), 0);
}

fn a_message_whose_text_changed_on_the_wire_is_edited_once_sent(f: &Fixture) {
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
    let replace = |seq: u64, d: &Delivery, text: &str| Step {
        now,
        replace: vec![(
            seq,
            Delivery {
                text: text.into(),
                ..d.clone()
            },
        )],
        ..Step::default()
    };
    let only_pending = |store: &Store| {
        let pending = store.outbox().unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        pending[0].1.clone()
    };

    // The later copy's text is committed while the first text is on the wire: the sender
    // finds it on removing the message, and leaves an edit of the message it became.
    let first = Delivery {
        photo: true,
        buttons: true,
        lang: crate::text::Lang::De,
        ..delivery(42)
    };
    let seq = store.enqueue(&first).unwrap();
    store
        .commit(&replace(seq, &first, "<b>hi</b> · also Bloomberg"))
        .unwrap();
    store.mark_sent(seq, &first, Some(555), now).unwrap();
    let edit = only_pending(&store);
    assert_eq!(
        edit,
        Delivery {
            edit: Some(555),
            photo: true,
            buttons: true,
            lang: crate::text::Lang::De,
            ..Delivery::message(
                7,
                Target::Telegram(42),
                "<b>hi</b> · also Bloomberg".into(),
                now
            )
        }
    );
    assert_eq!(store.sent_messages(7).unwrap(), vec![whole(42, 555, true)]);
    store.remove_delivery(store.outbox().unwrap()[0].0).unwrap();

    // Removed as sent before the step commits: the step edits the message instead of
    // bringing it back.
    let second = Delivery {
        alert: 8,
        ..delivery(43)
    };
    let seq = store.enqueue(&second).unwrap();
    store.mark_sent(seq, &second, Some(556), now).unwrap();
    assert_eq!(store.outbox_len().unwrap(), 0);
    store
        .commit(&replace(seq, &second, "<b>hi</b> · also Reuters"))
        .unwrap();
    let edit = only_pending(&store);
    assert_eq!(
        (edit.target, edit.edit, edit.text.as_str()),
        (Target::Telegram(43), Some(556), "<b>hi</b> · also Reuters")
    );
    store.remove_delivery(store.outbox().unwrap()[0].0).unwrap();

    // Unchanged: nothing follows. Edits and broadcasts record no message.
    let third = Delivery {
        alert: 9,
        ..delivery(44)
    };
    let seq = store.enqueue(&third).unwrap();
    store.mark_sent(seq, &third, Some(557), now).unwrap();
    assert_eq!(store.outbox_len().unwrap(), 0);
    for d in [
        Delivery {
            edit: Some(557),
            ..third.clone()
        },
        Delivery {
            alert: crate::delivery::outbox::BROADCAST,
            ..delivery(45)
        },
    ] {
        let seq = store.enqueue(&d).unwrap();
        store.commit(&replace(seq, &d, "changed")).unwrap();
        store.mark_sent(seq, &d, Some(600), now).unwrap();
        assert_eq!(store.outbox_len().unwrap(), 0, "{d:?}");
    }
    assert!(
        store
            .sent_messages(crate::delivery::outbox::BROADCAST)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.sent_messages(9).unwrap(), vec![whole(44, 557, false)]);
}

fn personal_alerts_stored_as_compiled_rules_are_upgraded_on_open(f: &Fixture) {
    {
        // A store of the layout before personal alerts were data.
        let raw = f.raw();
        raw.insert(Tree::Meta, b"schema", &1u32.to_be_bytes())
            .unwrap();
        let mut k = chat_key(42).to_vec();
        k.extend_from_slice(&3u32.to_be_bytes());
        raw.insert(
            Tree::Personal,
            &k,
            r##"{"chat":42,"number":3,"spec":"NVDA move 2% 1h every 4h","rule":"id = \"personal-42-3\"\ntitle = \"#3\"\n","created":"2026-02-01T10:00:00Z"}"##.as_bytes(),
        )
        .unwrap();
        // Its cooldown and a headline waiting for the price part, kept as a rule's state.
        let mut state = EngineState::default();
        let pair = crate::engine::PairState {
            cooldown_until: Some("2026-02-02T20:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        state
            .pairs
            .entry("personal-42-3".into())
            .or_default()
            .insert("NVDA".into(), pair);
        raw.insert(Tree::Engine, b"state", &serde_json::to_vec(&state).unwrap())
            .unwrap();
        raw.flush().unwrap();
    }
    let store = f.open();
    assert_eq!(
        store.personal_state(42, 3).unwrap().unwrap().cooldown_until,
        Some("2026-02-02T20:00:00Z".parse().unwrap()),
        "its cooldown still holds after the upgrade"
    );
    let alerts = store.personal_alerts().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].key(),
        Key {
            chat: 42,
            number: 3
        }
    );
    let spec = alerts[0].parsed().unwrap();
    assert_eq!(spec.summary(), "NVDA move 2% 1h every 4h");
    let raw = store
        .backend
        .scan(Tree::Personal, &Range::all(), Order::Ascending, 1)
        .unwrap()
        .remove(0)
        .1;
    assert!(
        !String::from_utf8_lossy(&raw).contains("\"rule\""),
        "the compiled rule is dropped"
    );
    assert_eq!(
        store.backend.get(Tree::Meta, b"schema").unwrap().unwrap(),
        SCHEMA_VERSION.to_be_bytes()
    );
}

fn a_step_writes_personal_states_and_removes_spent_one_shot_alerts(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    let mut chat = Chat::new(7, ChatKind::Private, String::new(), now);
    chat.rules.insert(PersonalAlert::rule_id(7, 1));
    chat.rules.insert(PersonalAlert::rule_id(7, 2));
    store.put_chat(&chat).unwrap();
    for number in [1, 2] {
        store
            .put_personal_alert(&PersonalAlert {
                paused: false,
                changed: None,
                chat: 7,
                number,
                spec: "NVDA below 180 once".into(),
                created: now,
            })
            .unwrap();
    }
    let cooling = PersonalState {
        cooldown_until: Some(now + chrono::TimeDelta::hours(1)),
        news: None,
    };
    let (one, two, gone) = (
        Key { chat: 7, number: 1 },
        Key { chat: 7, number: 2 },
        Key { chat: 7, number: 9 },
    );
    store
        .commit(&Step {
            now,
            personal: vec![
                (one, Some(cooling.clone())),
                (two, None),
                // Deleted by its chat meanwhile: its state is not written back.
                (gone, Some(cooling.clone())),
            ],
            ..Step::default()
        })
        .unwrap();
    assert_eq!(store.personal_state(7, 1).unwrap(), Some(cooling));
    let left: Vec<u32> = store
        .personal_alerts_of(7)
        .unwrap()
        .iter()
        .map(|a| a.number)
        .collect();
    assert_eq!(left, [1], "the one-shot alert that fired is gone");
    assert_eq!(store.personal_states().unwrap().len(), 1);
    assert_eq!(
        store.chat(7).unwrap().unwrap().rules,
        [PersonalAlert::rule_id(7, 1)].into(),
        "and so is the chat's subscription to it"
    );
    // Deleting one takes its state and subscription in the same step.
    assert!(store.delete_personal_alert(7, 1).unwrap());
    assert!(store.chat(7).unwrap().unwrap().rules.is_empty());
    assert!(store.personal_states().unwrap().is_empty());
    assert!(!store.delete_personal_alert(7, 1).unwrap());
}

fn an_update_is_taken_in_once_across_a_reopen_and_forgotten_after_a_day(f: &Fixture) {
    use super::TakeIn::{First, InFlight, Repeated};
    let store = f.open();
    let run = 1;
    assert_eq!(store.take_in_update(10, 1_000, run).unwrap(), First);
    // Being handed over by another request of this run: come back later.
    assert_eq!(store.take_in_update(10, 1_001, run).unwrap(), InFlight);
    store.mark_update_taken(10).unwrap();
    assert_eq!(store.take_in_update(10, 1_002, run).unwrap(), Repeated);
    // Taken in but not handed over: forgotten, its next delivery counts.
    assert_eq!(store.take_in_update(11, 2_000, run).unwrap(), First);
    store.forget_update(11).unwrap();
    assert_eq!(store.take_in_update(11, 2_001, run).unwrap(), First);
    drop(store);
    // The next run: what was handed over stays handled; what the stopped run had taken in
    // but not handed over is the new run's.
    let store = f.open();
    let next = 2;
    assert_eq!(store.take_in_update(10, 3_000, next).unwrap(), Repeated);
    assert_eq!(store.take_in_update(11, 3_001, next).unwrap(), First);
    assert_eq!(store.take_in_update(11, 3_002, next).unwrap(), InFlight);
    // Old ones go, whatever their order.
    assert_eq!(store.take_in_update(3, 5_000, next).unwrap(), First);
    assert_eq!(store.forget_updates_before(3_500).unwrap(), 2);
    assert_eq!(store.take_in_update(10, 5_001, next).unwrap(), First);
    assert_eq!(store.take_in_update(3, 5_002, next).unwrap(), InFlight);
}

fn concurrent_changes_to_one_chat_are_all_kept(f: &Fixture) {
    let store = f.open();
    store
        .put_chat(&Chat::new(5, ChatKind::Private, "E".into(), Utc::now()))
        .unwrap();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..10 {
                    store
                        .update_chat(5, |c| {
                            c.watch.insert(format!("S{t}x{i}"));
                        })
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(store.chat(5).unwrap().unwrap().watch.len(), 40);
}

fn scans_walk_past_a_page_in_both_directions(f: &Fixture) {
    let store = f.open();
    let n = PAGE * 2 + 7;
    for i in 0..n as u64 {
        store
            .put(Tree::Sent, &i.to_be_bytes(), &[0xff, 0], "writing")
            .unwrap();
    }
    let up: Vec<u64> = store
        .entries(Tree::Sent, Range::all(), "reading")
        .map(|e| u64::from_be_bytes(e.unwrap().0.try_into().unwrap()))
        .collect();
    assert_eq!(up, (0..n as u64).collect::<Vec<_>>());
    let down: Vec<u64> = store
        .entries_in(Tree::Sent, Range::all(), Order::Descending, "reading")
        .map(|e| u64::from_be_bytes(e.unwrap().0.try_into().unwrap()))
        .collect();
    assert_eq!(down, (0..n as u64).rev().collect::<Vec<_>>());
    let prefix = store
        .entries(Tree::Sent, Range::prefix(&[0, 0, 0, 0, 0, 0, 1]), "reading")
        .count();
    assert_eq!(prefix, 256, "keys 256..512 share the prefix");
}

fn received_alerts_are_indexed_on_upgrade_and_listed_newest_first(f: &Fixture) {
    {
        // A store of layout 2: messages recorded, no index of them per chat.
        let raw = f.raw();
        raw.insert(Tree::Meta, b"schema", &2u32.to_be_bytes())
            .unwrap();
        for (alert, chat) in [(5, 42), (9, 42), (7, 43)] {
            raw.insert(Tree::Sent, &sent_key(alert, chat), &[0, 0, 0, 1, 0])
                .unwrap();
        }
        raw.flush().unwrap();
    }
    let store = f.open();
    assert_eq!(store.received(42, 0, 10).unwrap(), (vec![9, 5], false));
    assert_eq!(store.received(42, 0, 1).unwrap(), (vec![9], true));
    assert_eq!(store.received(42, 1, 1).unwrap(), (vec![5], false));
    assert_eq!(store.received(43, 0, 10).unwrap(), (vec![7], false));
    store
        .record_sent(
            11,
            &whole(42, 3, true),
            "2026-02-02T21:50:00Z".parse().unwrap(),
        )
        .unwrap();
    assert_eq!(store.received(42, 0, 10).unwrap(), (vec![11, 9, 5], false));
    assert_eq!(
        store.backend.get(Tree::Meta, b"schema").unwrap().unwrap(),
        SCHEMA_VERSION.to_be_bytes()
    );
}

fn a_personal_alert_is_changed_in_place_and_an_edit_drops_its_state(f: &Fixture) {
    let store = f.open();
    let alert = PersonalAlert {
        chat: 7,
        number: 1,
        spec: "NVDA drop 3%".into(),
        created: Utc::now(),
        paused: false,
        changed: None,
    };
    store.put_personal_alert(&alert).unwrap();
    let cooling = PersonalState {
        cooldown_until: Some(Utc::now()),
        news: None,
    };
    store.put_personal_state(7, 1, &cooling).unwrap();
    let (before, after) = store
        .change_personal_alert(7, 1, |a| a.paused = true)
        .unwrap()
        .unwrap();
    assert!(!before.paused && after.paused);
    assert_eq!(
        store.personal_state(7, 1).unwrap(),
        Some(cooling),
        "a pause keeps the state"
    );
    let (_, edited) = store
        .change_personal_alert(7, 1, |a| a.spec = "NVDA drop 5%".into())
        .unwrap()
        .unwrap();
    assert!(edited.paused, "still paused");
    assert_eq!(store.personal_alerts_of(7).unwrap(), vec![edited]);
    assert_eq!(
        store.personal_state(7, 1).unwrap(),
        None,
        "an edit starts afresh"
    );
    assert!(store.change_personal_alert(7, 2, |_| {}).unwrap().is_none());
}

fn a_split_restates_the_bars_before_it_once(f: &Fixture) {
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-03T15:00:00Z".parse().unwrap();
    store
        .commit(&Step {
            now,
            bars: vec![
                bar("2026-01-30T21:00:00Z", 2000.0),
                bar("2026-02-02T21:00:00Z", 1862.5),
                bar("2026-02-03T15:00:00Z", 186.0),
                Bar {
                    symbol: "AMD".into(),
                    ..bar("2026-02-02T21:00:00Z", 244.1)
                },
            ],
            ..Step::default()
        })
        .unwrap();
    let split = |date: &str, ratio: f64| Split {
        symbol: "NVDA".into(),
        date: date.parse().unwrap(),
        ratio,
    };
    // Reported twice in one fetch, with an older one not taken in either.
    let reported = [
        split("2026-02-03", 10.0),
        split("2026-02-03", 10.0),
        split("2026-02-02", 2.0),
    ];
    let new = store.new_splits(&reported).unwrap();
    assert_eq!(new, [split("2026-02-02", 2.0), split("2026-02-03", 10.0)]);
    // A bar before both is restated for both; one between them for the later only.
    // A fetched bar is compared with the restated copy: the previous close a chart restates
    // itself says nothing new, and what it lacks comes from that copy.
    let previous_close = Bar {
        open: None,
        high: None,
        low: None,
        volume: None,
        ..bar("2026-02-02T21:00:00Z", 186.25)
    };
    let over = store.restated_bars(&new).unwrap();
    assert!(
        store
            .changed_bars_over(std::slice::from_ref(&previous_close), &over)
            .unwrap()
            .is_empty()
    );
    let restated = over.without(&[]);
    let closes: Vec<(String, Option<f64>, Option<u64>)> = restated
        .iter()
        .map(|b| (b.time.to_rfc3339(), b.close, b.volume))
        .collect();
    assert_eq!(
        closes,
        [
            (
                "2026-01-30T21:00:00+00:00".to_string(),
                Some(100.0),
                Some(20)
            ),
            (
                "2026-02-02T21:00:00+00:00".to_string(),
                Some(186.25),
                Some(10)
            ),
        ]
    );
    store
        .commit(&Step {
            now,
            bars: restated,
            splits: new,
            ..Step::default()
        })
        .unwrap();
    assert!(
        store.new_splits(&reported).unwrap().is_empty(),
        "taken in once"
    );
    let closes = |symbol| -> Vec<Option<f64>> {
        store
            .bars_of(symbol)
            .unwrap()
            .iter()
            .map(|b| b.close)
            .collect()
    };
    assert_eq!(closes("NVDA"), [Some(100.0), Some(186.25), Some(186.0)]);
    assert_eq!(
        closes("AMD"),
        [Some(244.1)],
        "other symbols stay as they were"
    );
    // Remembered while a source may still report it, then forgotten.
    store.prune(now + chrono::TimeDelta::days(420)).unwrap();
    assert!(store.new_splits(&reported[..1]).unwrap().is_empty());
    store.prune(now + chrono::TimeDelta::days(440)).unwrap();
    assert_eq!(store.new_splits(&reported[..1]).unwrap().len(), 1);
}

fn a_restated_alert_is_stored_only_over_the_spec_it_was_read_from(f: &Fixture) {
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-03T15:00:00Z".parse().unwrap();
    let alert = PersonalAlert {
        chat: 7,
        number: 1,
        spec: "NVDA below 1850".into(),
        created: now - chrono::TimeDelta::days(3),
        paused: false,
        changed: None,
    };
    store.put_personal_alert(&alert).unwrap();
    let cooling = PersonalState {
        cooldown_until: Some(now),
        news: None,
    };
    store.put_personal_state(7, 1, &cooling).unwrap();
    let step = |before: &PersonalAlert, spec: &str| Step {
        now,
        restated: vec![(
            Restatement {
                before: before.clone(),
                after: PersonalAlert {
                    spec: spec.into(),
                    ..before.clone()
                },
            },
            Some(Delivery::message(
                crate::delivery::outbox::BROADCAST,
                Target::Telegram(7),
                format!("now {spec}"),
                now,
            )),
        )],
        ..Step::default()
    };
    store.commit(&step(&alert, "NVDA below 185")).unwrap();
    let stored = store.personal_alerts_of(7).unwrap();
    assert_eq!(stored[0].spec, "NVDA below 185");
    assert_eq!(
        store.personal_state(7, 1).unwrap(),
        Some(cooling),
        "a restated alert keeps what it has seen"
    );
    let notices: Vec<String> = store
        .outbox()
        .unwrap()
        .into_iter()
        .map(|(_, d)| d.text)
        .collect();
    assert_eq!(notices, ["now NVDA below 185"]);

    // The chat paused it meanwhile: the pause stays. Restated from a spec it no longer has
    // (an edit since), nothing is written and nobody told.
    store
        .change_personal_alert(7, 1, |a| a.paused = true)
        .unwrap();
    store.commit(&step(&alert, "NVDA below 18.5")).unwrap();
    let stored = store.personal_alerts_of(7).unwrap();
    assert_eq!(
        (stored[0].spec.as_str(), stored[0].paused),
        ("NVDA below 185", true)
    );
    assert_eq!(store.outbox().unwrap().len(), 1);
    // Restated again (another split), then deleted: it stays gone.
    store.commit(&step(&stored[0], "NVDA below 18.5")).unwrap();
    let latest = store.personal_alerts_of(7).unwrap().remove(0);
    assert_eq!(latest.spec, "NVDA below 18.5");
    assert_eq!(store.outbox().unwrap().len(), 2);
    assert!(store.delete_personal_alert(7, 1).unwrap());
    store.commit(&step(&latest, "NVDA below 1.85")).unwrap();
    assert!(store.personal_alerts_of(7).unwrap().is_empty());
    assert_eq!(store.outbox().unwrap().len(), 2);
}

fn the_newest_wanted_bar_of_a_symbol_is_found_across_its_bar_lengths(f: &Fixture) {
    let store = f.open();
    let of = |symbol: &str, interval: &str, time: &str, close: f64, session: Session| Bar {
        symbol: symbol.into(),
        interval: interval.parse().unwrap(),
        session: Some(session),
        ..bar(time, close)
    };
    let now: DateTime<Utc> = "2026-02-03T15:00:00Z".parse().unwrap();
    store
        .commit(&Step {
            now,
            bars: vec![
                of(
                    "NVDA",
                    "1d",
                    "2026-02-02T21:00:00Z",
                    186.0,
                    Session::Regular,
                ),
                of(
                    "NVDA",
                    "30m",
                    "2026-02-02T20:30:00Z",
                    185.0,
                    Session::Regular,
                ),
                of("NVDA", "30m", "2026-02-03T13:00:00Z", 18.7, Session::Pre),
                of("NVDA", "5m", "2026-02-02T22:00:00Z", 186.4, Session::Post),
                of("NVDA", "5m", "2026-02-03T12:00:00Z", 18.6, Session::Pre),
                // Symbols whose names extend NVDA's or sort next to it.
                of("NVDAX", "1d", "2026-02-03T21:00:00Z", 1.0, Session::Regular),
                of("NVD", "1d", "2026-02-03T21:00:00Z", 2.0, Session::Regular),
            ],
            ..Default::default()
        })
        .unwrap();
    let newest = |wanted: fn(&Bar) -> bool| {
        store
            .newest_bar_of("NVDA", wanted)
            .unwrap()
            .map(|b| (b.time.to_rfc3339(), b.close))
    };
    assert_eq!(
        newest(|_| true),
        Some(("2026-02-03T13:00:00+00:00".into(), Some(18.7)))
    );
    // Each bar length read back to its newest wanted bar.
    assert_eq!(
        newest(|b| b.session != Some(Session::Pre)),
        Some(("2026-02-02T22:00:00+00:00".into(), Some(186.4)))
    );
    assert_eq!(newest(|_| false), None);
    assert_eq!(store.newest_bar_of("AMD", |_| true).unwrap(), None);
}

fn a_flood_pause_is_kept_to_its_latest_end_across_a_reopen(f: &Fixture) {
    let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    {
        let store = f.open();
        assert_eq!(store.flood_pause().unwrap(), None);
        store.pause_sending(t("2026-02-02T21:51:00Z")).unwrap();
        // A shorter pause reported meanwhile does not end the longer one early.
        store.pause_sending(t("2026-02-02T21:50:30Z")).unwrap();
    }
    let store = f.open();
    assert_eq!(
        store.flood_pause().unwrap(),
        Some(t("2026-02-02T21:51:00Z"))
    );
    store.pause_sending(t("2026-02-02T21:55:00Z")).unwrap();
    assert_eq!(
        store.flood_pause().unwrap(),
        Some(t("2026-02-02T21:55:00Z"))
    );
}

/// A group that became a supergroup keeps its history (`/history` in the supergroup lists
/// what the group received), and that history is forgotten a month after the messages were
/// sent, like any chat's: not kept for ever because the messages themselves were the group's.
fn a_migrated_groups_history_is_forgotten_after_a_month(f: &Fixture) {
    let store = f.open();
    let fired: DateTime<Utc> = "2026-02-02T21:50:00Z".parse().unwrap();
    store
        .commit(&Step {
            now: fired,
            alerts: vec![crate::engine::Alert::sample(7, fired)],
            ..Step::default()
        })
        .unwrap();
    store
        .put_chat(&Chat::new(-5, ChatKind::Group, "Traders".into(), fired))
        .unwrap();
    store.record_sent(7, &whole(-5, 100, false), fired).unwrap();
    store.migrate_chat(-5, -1005, fired).unwrap();
    assert_eq!(store.received(-1005, 0, 10).unwrap().0, [7]);
    store.prune(fired + chrono::TimeDelta::days(29)).unwrap();
    assert_eq!(store.received(-1005, 0, 10).unwrap().0, [7]);
    store.prune(fired + chrono::TimeDelta::days(31)).unwrap();
    assert!(
        store.received(-1005, 0, 10).unwrap().0.is_empty(),
        "a month-old history kept"
    );
}
