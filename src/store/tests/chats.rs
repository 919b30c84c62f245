//! Chats: kept in place, read past a corrupt record, changed from many threads at once.

use super::*;

on_every_backend!(
    chats_are_updated_in_place_and_subscribers_found,
    a_corrupt_value_is_skipped_not_fatal,
    commands_change_the_stored_record_not_a_stale_copy,
    concurrent_changes_to_one_chat_are_all_kept,
);

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
