//! The outbox: deliveries queued in order, rescheduled, re-rendered and sent; the flood pause.

use super::*;

on_every_backend!(
    many_deliveries_are_queued_at_once_in_order_and_survive_reopening,
    deliveries_are_rescheduled_removed_and_dropped_per_chat,
    a_new_text_for_a_pending_message_keeps_what_the_sender_changed,
    a_message_whose_text_changed_on_the_wire_is_edited_once_sent,
    a_flood_pause_is_kept_to_its_latest_end_across_a_reopen,
);

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
