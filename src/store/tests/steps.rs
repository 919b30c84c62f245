//! A pipeline step, committed as a whole.

use super::*;

on_every_backend!(a_step_is_committed_as_a_whole_and_survives_reopening,);

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
