//! Personal alerts: upgraded on open, changed, restated and spent by pipeline steps.

use super::*;

on_every_backend!(
    personal_alerts_stored_as_compiled_rules_are_upgraded_on_open,
    a_step_writes_personal_states_and_removes_spent_one_shot_alerts,
    a_personal_alert_is_changed_in_place_and_an_edit_drops_its_state,
    a_restated_alert_is_stored_only_over_the_spec_it_was_read_from,
);

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
                message: None,
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

fn a_personal_alert_is_changed_in_place_and_an_edit_drops_its_state(f: &Fixture) {
    let store = f.open();
    let alert = PersonalAlert {
        chat: 7,
        number: 1,
        spec: "NVDA drop 3%".into(),
        created: Utc::now(),
        paused: false,
        changed: None,
        message: None,
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
        message: None,
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
