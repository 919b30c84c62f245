//! Price bars: what is news, splits restating them, the newest wanted one.

use super::*;

on_every_backend!(
    only_new_or_changed_bars_are_news,
    a_split_restates_the_bars_before_it_once,
    the_newest_wanted_bar_of_a_symbol_is_found_across_its_bar_lengths,
);

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
    // The currency a provider names is news once, and a bar from one that names none keeps it.
    let priced = Bar {
        currency: Some("USD".into()),
        ..bar("2026-02-02T21:00:00Z", 186.25)
    };
    let news = std::slice::from_ref(&priced);
    assert_eq!(store.changed_bars(news).unwrap(), news);
    store
        .commit(&Step {
            bars: vec![priced.clone()],
            ..Step::default()
        })
        .unwrap();
    assert!(
        store
            .changed_bars(&[bar("2026-02-02T21:00:00Z", 186.25)])
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.bars_of("NVDA").unwrap()[0].currency.as_deref(),
        Some("USD")
    );
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
