//! Chats: kept in place, read past a corrupt record, changed from many threads at once.

use super::*;

on_every_backend!(
    chats_are_updated_in_place_and_subscribers_found,
    a_corrupt_value_is_skipped_not_fatal,
    commands_change_the_stored_record_not_a_stale_copy,
    concurrent_changes_to_one_chat_are_all_kept,
    chats_move_to_a_renamed_rule_once_and_a_cut_short_move_completes,
);

fn chats_move_to_a_renamed_rule_once_and_a_cut_short_move_completes(f: &Fixture) {
    let store = f.open();
    let now: DateTime<Utc> = "2026-02-02T21:00:00Z".parse().unwrap();
    let later = now + chrono::TimeDelta::hours(5);
    let renames = [("acme".to_string(), "acme-news".to_string())];
    // Following by default; by choice, with a mute; following both; stopped; following a
    // rule that is gone; a personal alert.
    let mut ann = Chat::new(1, ChatKind::Private, "Ann".into(), now);
    ann.follow_defaults(&["acme".to_string(), "seed".to_string()]);
    let mut bob = Chat::new(2, ChatKind::Private, "Bob".into(), now);
    bob.follow("acme");
    bob.mute(MuteTarget::Rule("acme".into()), later, now)
        .unwrap();
    let mut cat = Chat::new(3, ChatKind::Private, "Cat".into(), now);
    cat.follow("acme");
    cat.follow("acme-news");
    cat.mute(
        MuteTarget::Rule("acme-news".into()),
        now + chrono::TimeDelta::hours(1),
        now,
    )
    .unwrap();
    cat.mute(MuteTarget::Rule("acme".into()), later, now)
        .unwrap();
    let mut dan = Chat::new(4, ChatKind::Private, "Dan".into(), now);
    dan.follow("acme");
    dan.follow("globex");
    dan.active = false;
    let mut eve = Chat::new(5, ChatKind::Group, "Eve".into(), now);
    eve.follow("globex");
    eve.follow(&PersonalAlert::rule_id(5, 1));
    // A move cut short: one chat moved before the store stopped, the rest still to go.
    let mut ann_moved = ann.clone();
    assert!(ann_moved.rename_rule("acme", "acme-news"));
    store
        .put_chats(&[ann_moved, bob.clone(), cat, dan, eve])
        .unwrap();

    let found = store.rename_rules(&renames).unwrap();
    assert_eq!(
        found.moved,
        [("acme".to_string(), 3)].into(),
        "Ann was moved before"
    );
    assert_eq!(
        found.following,
        [
            ("acme-news".to_string(), 3),
            ("globex".to_string(), 1),
            ("seed".to_string(), 1)
        ]
        .into(),
        "active chats only, personal alerts left out"
    );
    let ann = store.chat(1).unwrap().unwrap();
    assert_eq!(
        ann.rules,
        ["acme-news".to_string(), "seed".to_string()].into()
    );
    assert_eq!(
        ann.by_default,
        ["acme-news".to_string(), "seed".to_string()].into(),
        "given by default still: nobody chose it"
    );
    let bob = store.chat(2).unwrap().unwrap();
    assert_eq!(bob.rules, ["acme-news".to_string()].into());
    assert!(bob.by_default.is_empty());
    assert_eq!(
        bob.mutes,
        [Mute {
            what: MuteTarget::Rule("acme-news".into()),
            until: later
        }]
    );
    let cat = store.chat(3).unwrap().unwrap();
    assert_eq!(cat.rules, ["acme-news".to_string()].into());
    assert_eq!(
        cat.mutes,
        [Mute {
            what: MuteTarget::Rule("acme-news".into()),
            until: later
        }],
        "of two mutes, the one ending later"
    );
    let dan = store.chat(4).unwrap().unwrap();
    assert!(
        !dan.active && dan.rules.contains("acme-news"),
        "stopped chats move too"
    );

    // Done: again (a restart, a reload), and after a restart of the store, nothing moves.
    drop(store);
    let store = f.open();
    let again = store.rename_rules(&renames).unwrap();
    assert!(again.moved.is_empty());
    assert_eq!(again.following, found.following);
    assert_eq!(store.chat(2).unwrap().unwrap(), bob);
    // Without renames it only counts.
    assert_eq!(store.rename_rules(&[]).unwrap().following, found.following);
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
            .create_personal_alert(&fresh, "NVDA drop 3%", Utc::now(), None, |_, _| {})
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
