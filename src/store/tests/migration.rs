//! A group that becomes a supergroup: what the supergroup takes from it, and keeps of its own.

use super::*;
use crate::chats::MAX_MUTES;

on_every_backend!(
    a_migrated_group_keeps_subscriptions_personal_alerts_and_pending_messages,
    a_supergroup_that_spoke_before_its_migration_takes_the_groups_settings,
    a_supergroup_started_before_its_migration_keeps_the_rules_the_group_chose,
    a_rule_dropped_in_the_supergroup_before_its_migration_stays_dropped,
    a_supergroup_keeps_at_most_fifty_mutes_after_taking_its_groups_in,
    a_supergroup_is_told_once_which_mutes_gave_way,
    a_supergroup_started_before_a_group_that_follows_nothing_keeps_its_defaults,
    a_migrated_groups_history_is_forgotten_after_a_month,
    a_groups_personal_alert_takes_a_new_number_where_the_supergroup_used_its_own,
);

/// Migrates as the bot does: mutes lifted and alerts renumbered are told in the bot's words.
fn migrate(store: &Store, old: i64, new_id: i64, now: DateTime<Utc>) -> Migration {
    store
        .migrate_chat(old, new_id, now, |chat, lifted, renumbered| {
            crate::delivery::migration_notice(chat, lifted, renumbered, now)
        })
        .unwrap()
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
            // Made by the group's message 5.
            message: Some(5),
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
        migrate(&store, -42, -10_042, now).personal_moved,
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
        personal[0].message, None,
        "the supergroup's message 5 is another message"
    );
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
    assert_eq!(migrate(&store, -42, -10_042, now), Migration::default());
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
    migrate(&store, -43, -10_043, now);
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
    migrate(&store, -43, -10_043, now);
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
    migrate(&store, -44, -10_044, now);
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
    migrate(&store, -44, -10_044, now);
    assert_eq!(store.chat(-10_044).unwrap().unwrap(), moved);
}

/// Telegram may hand over a command in the supergroup (`/start`, then `/unsubscribe`) before
/// the migration is taken in: a rule dropped there stays dropped though the group follows
/// it — whether `/start` gave it or someone there chose it — even when the migration, cut
/// short by a crash, is taken in again after a later drop.
fn a_rule_dropped_in_the_supergroup_before_its_migration_stays_dropped(f: &Fixture) {
    let store = f.open();
    let now = Utc::now();
    let defaults: Vec<String> = ["seed", "guidance", "chips"].map(String::from).to_vec();
    let mut group = Chat::new(-48, ChatKind::Group, "Traders".into(), now);
    group.follow_defaults(&defaults);
    group.follow("earnings");
    store.put_chat(&group).unwrap();
    let mut early = Chat::new(-10_048, ChatKind::Supergroup, "Traders".into(), now);
    early.follow_defaults(&defaults);
    // A default dropped; a rule chosen, then dropped; a default dropped and followed again.
    early.unfollow("guidance");
    early.follow("earnings");
    early.unfollow("earnings");
    early.unfollow("chips");
    early.follow("chips");
    store.put_chat(&early).unwrap();
    migrate(&store, -48, -10_048, now);
    let moved = store.chat(-10_048).unwrap().unwrap();
    let rules = |names: &[&str]| names.iter().map(|r| r.to_string()).collect();
    assert_eq!(moved.rules, rules(&["chips", "seed"]), "{moved:?}");
    assert_eq!(moved.by_default, rules(&["seed"]));
    // Cut short before the old record was deactivated (a crash), and a default dropped in
    // the supergroup meanwhile: taken in again, it stays dropped.
    store
        .update_chat(-48, |c| {
            c.active = true;
            c.deactivated = None;
        })
        .unwrap();
    store
        .update_chat(-10_048, |c| {
            c.unfollow("seed");
        })
        .unwrap();
    migrate(&store, -48, -10_048, now);
    let again = store.chat(-10_048).unwrap().unwrap();
    assert_eq!(again.rules, rules(&["chips"]), "{again:?}");
    assert!(!store.chat(-48).unwrap().unwrap().active);
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
    migrate(&store, -47, -10_047, now);
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
    let migration = migrate(&store, -46, -10_046, now);
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
    // Those and no other are told.
    let mut lifted = migration.mutes_lifted;
    lifted.sort_by_key(|m| m.until);
    let told: Vec<String> = lifted.iter().map(|m| format!("{:?}", m.what)).collect();
    assert_eq!(told.len(), 11, "{told:?}");
    assert!(
        lifted
            .iter()
            .all(|m| m.until <= hours(6.0) && !kept(m.what.clone())),
        "{told:?}"
    );
}

/// The mutes that gave way are told to the supergroup in one message, in its language and
/// time zone, in its topic, queued in the outbox; a migration reported again — after it
/// completed, or cut short before the old record was deactivated — tells nothing more and
/// brings back none of them.
fn a_supergroup_is_told_once_which_mutes_gave_way(f: &Fixture) {
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
    let hours = |h: f64| now + chrono::TimeDelta::minutes((h * 60.0) as i64);
    let mut group = Chat::new(-49, ChatKind::Group, "Traders".into(), now);
    group.settings.lang = crate::text::Lang::De;
    for i in 0..30 {
        group.mutes.push(Mute {
            what: MuteTarget::Symbol(format!("G{i}")),
            until: hours(f64::from(i) + 1.0),
        });
    }
    store.put_chat(&group).unwrap();
    let mut early = Chat::new(-10_049, ChatKind::Supergroup, "Traders".into(), now);
    early.settings.tz = "Europe/Berlin".into();
    early.thread = Some(5);
    for i in 0..25 {
        early.mutes.push(Mute {
            what: MuteTarget::Rule(format!("s{i}")),
            until: hours(f64::from(i) + 1.5),
        });
    }
    store.put_chat(&early).unwrap();
    let migration = migrate(&store, -49, -10_049, now);
    // Fifty-five in force: the five ending soonest gave way.
    let lifted: Vec<String> = migration
        .mutes_lifted
        .iter()
        .map(|m| format!("{:?}", m.what))
        .collect();
    assert_eq!(lifted.len(), 5, "{lifted:?}");
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let told = &outbox[0].1;
    assert_eq!(told.target, Target::Telegram(-10_049));
    assert_eq!(told.alert, crate::delivery::outbox::BROADCAST);
    assert_eq!((told.lang, told.thread), (crate::text::Lang::De, Some(5)));
    assert!(
        told.text
            .contains("daher wurden 5 Stummschaltungen aufgehoben")
            && told.text.contains("• G0 — bis 02.02.2026 23:00")
            && told
                .text
                .contains("• Regel <code>s1</code> — bis 03.02.2026 00:30")
            && told.text.contains("G2 —")
            && !told.text.contains("G3 —")
            && !told.text.contains("<code>s2</code>"),
        "{}",
        told.text
    );
    // Reported again after it completed: nothing more to tell.
    assert_eq!(migrate(&store, -49, -10_049, now), Migration::default());
    // Cut short before the old record was deactivated, as if by a crash: taken in again, the
    // mutes that gave way stay lifted and are not told again.
    store
        .update_chat(-49, |c| {
            c.active = true;
            c.deactivated = None;
        })
        .unwrap();
    let again = migrate(&store, -49, -10_049, now);
    assert!(again.mutes_lifted.is_empty(), "{again:?}");
    assert_eq!(store.outbox().unwrap().len(), 1, "told once");
    let moved = store.chat(-10_049).unwrap().unwrap();
    assert_eq!(moved.mutes.len(), MAX_MUTES);
    assert!(!moved.muted("seed", Some("G0"), now), "{:?}", moved.mutes);
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
    migrate(&store, -5, -1005, fired);
    assert_eq!(store.received(-1005, 0, 10).unwrap().0, [7]);
    store.prune(fired + chrono::TimeDelta::days(29)).unwrap();
    assert_eq!(store.received(-1005, 0, 10).unwrap().0, [7]);
    store.prune(fired + chrono::TimeDelta::days(31)).unwrap();
    assert!(
        store.received(-1005, 0, 10).unwrap().0.is_empty(),
        "a month-old history kept"
    );
}

/// A group's personal alert as `/alert` made it, and its subscription in `chat`.
fn group_alert(chat: &mut Chat, number: u32, spec: &str, created: DateTime<Utc>) -> PersonalAlert {
    chat.rules.insert(PersonalAlert::rule_id(chat.id, number));
    PersonalAlert {
        chat: chat.id,
        number,
        spec: spec.into(),
        created,
        paused: false,
        changed: None,
        message: Some(number as i32),
    }
}

/// A supergroup whose commands were answered before the migration was taken in made
/// personal alerts of its own: a group's alert whose number it used takes the next free
/// one, with its cooldown and the mute on it, and the supergroup is told; nothing of either
/// chat is lost. Cut short by a crash (one alert moved, the other not) and taken in again,
/// each group alert ends up once, under the same number, and nothing is told twice.
fn a_groups_personal_alert_takes_a_new_number_where_the_supergroup_used_its_own(f: &Fixture) {
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
    let (old, new_id) = (-51, -10_051);
    let rule = PersonalAlert::rule_id;
    // The group has alerts #1 and #3 (#2 deleted, a mute on it left), #1 cooling and muted.
    let mut group = Chat::new(old, ChatKind::Group, "Traders".into(), now);
    let nvda = group_alert(
        &mut group,
        1,
        "NVDA drop 3%",
        now - chrono::TimeDelta::days(2),
    );
    let msft = group_alert(
        &mut group,
        3,
        "MSFT drop 5%",
        now - chrono::TimeDelta::days(1),
    );
    group.personal_next = 3;
    let muted_until = now + chrono::TimeDelta::hours(3);
    for number in [1, 2] {
        group.mutes.push(Mute {
            what: MuteTarget::Rule(rule(old, number)),
            until: muted_until,
        });
    }
    store.put_chat(&group).unwrap();
    store
        .put_personal_alerts(&[nvda.clone(), msft.clone()])
        .unwrap();
    let cooling = PersonalState {
        cooldown_until: Some(now + chrono::TimeDelta::hours(5)),
        news: None,
    };
    store.put_personal_state(old, 1, &cooling).unwrap();
    // The supergroup made #1 and #2 of its own; #1 is cooling too, until another time.
    let early = Chat::new(new_id, ChatKind::Supergroup, "Traders".into(), now);
    for spec in ["TSLA below 150", "AAPL above 250"] {
        store
            .create_personal_alert(&early, spec, now, Some(9), |c, n| {
                c.rules.insert(rule(new_id, n));
            })
            .unwrap();
    }
    let own_cooling = PersonalState {
        cooldown_until: Some(now + chrono::TimeDelta::hours(1)),
        news: None,
    };
    store.put_personal_state(new_id, 1, &own_cooling).unwrap();

    let migration = migrate(&store, old, new_id, now);
    let told: Vec<(u32, u32)> = migration
        .renumbered
        .iter()
        .map(|r| (r.was, r.alert.number))
        .collect();
    assert_eq!(told, [(1, 4)]);
    let numbered = |chat: i64| -> Vec<(u32, String)> {
        let alerts = store.personal_alerts_of(chat).unwrap();
        alerts.into_iter().map(|a| (a.number, a.spec)).collect()
    };
    let expected: Vec<(u32, String)> = [
        (1, "TSLA below 150"),
        (2, "AAPL above 250"),
        (3, "MSFT drop 5%"),
        (4, "NVDA drop 3%"),
    ]
    .map(|(n, s)| (n, s.to_string()))
    .to_vec();
    assert_eq!(
        numbered(new_id),
        expected,
        "the supergroup's own alerts stay"
    );
    assert!(numbered(old).is_empty());
    let moved = store.chat(new_id).unwrap().unwrap();
    let check = |moved: &Chat| {
        assert_eq!(
            store.personal_state(new_id, 1).unwrap(),
            Some(own_cooling.clone())
        );
        assert_eq!(
            store.personal_state(new_id, 4).unwrap(),
            Some(cooling.clone())
        );
        assert_eq!(store.personal_state(new_id, 3).unwrap(), None);
        assert_eq!(store.personal_state(old, 1).unwrap(), None);
        assert!(
            (1..=4).all(|n| moved.rules.contains(&rule(new_id, n))),
            "{:?}",
            moved.rules
        );
        // The mute on the group's #1 silences #4; the one on the group's deleted #2 does not
        // silence the supergroup's own #2.
        assert_eq!(
            moved.mutes,
            [Mute {
                what: MuteTarget::Rule(rule(new_id, 4)),
                until: muted_until,
            }]
        );
        assert!(moved.personal_next >= 4, "{}", moved.personal_next);
    };
    check(&moved);
    // Told once, in its words: which alert has which number now.
    let told = store.outbox().unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].1.target, Target::Telegram(new_id));
    assert!(
        told[0]
            .1
            .text
            .contains("• #1 is now #4: <code>NVDA drop 3%</code>")
            && !told[0].1.text.contains("MSFT"),
        "{}",
        told[0].1.text
    );

    // Cut short as if by a crash after the merged record was written and MSFT moved, but
    // before NVDA moved and the old record was deactivated.
    store.delete_personal_alert(new_id, 4).unwrap();
    store
        .update_chat(new_id, |c| {
            c.rules.insert(rule(new_id, 4));
        })
        .unwrap();
    store.put_personal_alert(&nvda).unwrap();
    store.put_personal_state(old, 1, &cooling).unwrap();
    store
        .update_chat(old, |c| {
            c.active = true;
            c.deactivated = None;
            c.rules.insert(rule(old, 1));
        })
        .unwrap();
    let again = migrate(&store, old, new_id, now);
    assert!(
        again.personal_moved && again.renumbered.is_empty(),
        "{again:?}"
    );
    assert_eq!(
        numbered(new_id),
        expected,
        "each moved once, to the same number"
    );
    assert!(numbered(old).is_empty());
    check(&store.chat(new_id).unwrap().unwrap());
    assert_eq!(store.outbox().unwrap().len(), 1, "told once");
    assert!(!store.chat(old).unwrap().unwrap().active);
    // Cut short with NVDA written under its new number but not yet removed from the group
    // (the supergroup paused it meanwhile): taken in again, it is not doubled, and stays
    // paused.
    store.put_personal_alert(&nvda).unwrap();
    store
        .change_personal_alert(new_id, 4, |a| a.paused = true)
        .unwrap();
    store
        .update_chat(old, |c| {
            c.active = true;
            c.deactivated = None;
        })
        .unwrap();
    migrate(&store, old, new_id, now);
    assert_eq!(numbered(new_id), expected);
    assert!(numbered(old).is_empty());
    assert!(store.personal_alerts_of(new_id).unwrap()[3].paused);
    check(&store.chat(new_id).unwrap().unwrap());
    assert_eq!(store.outbox().unwrap().len(), 1, "told once");
    // The supergroup's next alert takes a number none of them had.
    let (_, next) = store
        .create_personal_alert(&early, "AMD drop 4%", now, None, |_, _| {})
        .unwrap();
    assert_eq!(next.number, 5);
}
