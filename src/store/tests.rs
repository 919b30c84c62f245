use super::*;
use crate::engine::EngineState;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    (dir, store)
}

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

fn delivery(chat: i64) -> Delivery {
    Delivery {
        alert: 7,
        target: Target::Telegram(chat),
        text: "<b>hi</b>".into(),
        created: "2026-02-02T21:48:00Z".parse().unwrap(),
        attempts: 0,
        not_before: None,
        last_error: None,
        edit: None,
    }
}

#[test]
fn a_step_is_committed_as_a_whole_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), 8 << 20).unwrap();
        let state = EngineState {
            next_alert: 8,
            ..EngineState::default()
        };
        let step = Step {
            now: Utc::now(),
            items: vec!["feed:item-1".into()],
            bars: vec![bar("2026-02-02T21:00:00Z", 186.25)],
            engine: Some(&state),
            alerts: vec![],
            deliveries: vec![delivery(42), delivery(43)],
            replace: vec![],
        };
        store.commit(&step).unwrap();
        store
            .put_chat(&Chat::new(42, ChatKind::Private, "Ann".into(), Utc::now()))
            .unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(dir.path(), 8 << 20).unwrap();
    assert!(store.item_seen("feed:item-1").unwrap());
    assert!(!store.item_seen("feed:item-2").unwrap());
    assert_eq!(store.bars().unwrap().len(), 1);
    assert_eq!(store.engine_state().unwrap().next_alert, 8);
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(outbox[0].0 < outbox[1].0, "sequence numbers keep the order");
    assert_eq!(store.chat(42).unwrap().unwrap().title, "Ann");
}

#[test]
fn only_new_or_changed_bars_are_news() {
    let (_dir, store) = open();
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

#[test]
fn chats_are_updated_in_place_and_subscribers_found() {
    let (_dir, store) = open();
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

#[test]
fn deliveries_are_rescheduled_removed_and_dropped_per_chat() {
    let (_dir, store) = open();
    let a = store.enqueue(&delivery(42)).unwrap();
    store.enqueue(&delivery(43)).unwrap();
    store.enqueue(&delivery(42)).unwrap();
    let mut d = delivery(42);
    d.attempts = 1;
    store.reschedule(a, &d).unwrap();
    assert_eq!(store.outbox().unwrap()[0].1.attempts, 1);
    assert_eq!(store.drop_deliveries_to(42).unwrap(), 2);
    assert_eq!(store.outbox_len(), 1);
    let (seq, _) = store.outbox().unwrap()[0].clone();
    store.remove_delivery(seq).unwrap();
    assert_eq!(store.outbox_len(), 0);
}

#[test]
fn a_corrupt_value_is_skipped_not_fatal() {
    let (_dir, store) = open();
    store
        .chats
        .insert(chat_key(1), b"{not json".to_vec())
        .unwrap();
    store
        .put_chat(&Chat::new(2, ChatKind::Private, "B".into(), Utc::now()))
        .unwrap();
    assert_eq!(store.chats().unwrap().len(), 1);
    assert!(store.chat(1).unwrap().is_none());
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let (dir, _store) = open();
    let err = Store::open(dir.path(), 8 << 20).err().expect("locked");
    assert!(err.to_string().contains("another marketbot"), "{err}");
}

#[test]
fn sent_messages_are_found_per_alert() {
    let (_dir, store) = open();
    store.record_sent(7, 42, 100).unwrap();
    store.record_sent(7, -1001, 101).unwrap();
    store.record_sent(8, 42, 102).unwrap();
    let mut sent = store.sent_messages(7).unwrap();
    sent.sort();
    assert_eq!(sent, [(-1001, 101), (42, 100)]);
}
