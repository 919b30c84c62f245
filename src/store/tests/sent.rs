//! Which messages alerts became, what chats received, and when both are forgotten.

use super::*;
use crate::store::sent::received_key;

on_every_backend!(
    posted_evidence_is_remembered_per_alert_and_chat_and_forgotten_with_the_messages,
    sent_messages_are_found_per_alert,
    which_message_an_alert_became_is_forgotten_after_a_month,
    received_alerts_are_indexed_on_upgrade_and_listed_newest_first,
    the_messages_of_an_alert_that_does_not_decode_are_not_forgotten_early,
    each_part_of_a_message_split_in_parts_is_recorded_as_its_own_message,
);

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
        raw.insert(Tree::Received, &received_key(42, alert), &[])
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
