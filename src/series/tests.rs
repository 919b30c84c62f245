use super::*;

pub(crate) fn bar(time: &str, interval: &str, close: Option<f64>) -> Bar {
    Bar {
        symbol: "NVDA".into(),
        time: time.parse().unwrap(),
        interval: interval.parse().unwrap(),
        open: close,
        high: close,
        low: close,
        close,
        volume: Some(1000),
        session: None,
        currency: None,
    }
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn intraday_prices_reach_back_five_trading_days_whatever_the_holidays() {
    // An ordinary week: eight days back.
    let us = exchange_for("NVDA");
    let now = t("2026-02-04T21:00:00Z");
    assert_eq!(intraday_horizon(us, now), now - INTRADAY_KEEP);
    // Zurich on Monday 5 January 2026: the five trading days before it began on 19
    // December (24 December to 2 January are closed but for the 29th and 30th).
    let six = exchange_for("NESN.SW");
    let horizon = intraday_horizon(six, t("2026-01-05T16:00:00Z"));
    assert_eq!(six.trading_date(horizon).to_string(), "2025-12-19");
    assert_eq!(horizon, six.start_of("2025-12-19".parse().unwrap()));
    // Tokyo on Monday 5 January 2026, closed from 31 December to 2 January: from 24
    // December.
    let tse = exchange_for("7203.T");
    let horizon = intraday_horizon(tse, t("2026-01-05T06:00:00Z"));
    assert_eq!(horizon, tse.start_of("2025-12-24".parse().unwrap()));
}

fn any(_: Option<Session>) -> bool {
    true
}

fn regular(s: Option<Session>) -> bool {
    matches!(s, Some(Session::Regular) | None)
}

#[test]
fn previous_close_is_the_last_regular_close_of_an_earlier_day() {
    let mut s = Series::new("NVDA");
    s.push(&bar("2026-01-30T21:00:00Z", "1d", Some(191.79)));
    s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.62)));
    s.push(&bar("2026-02-02T21:00:00Z", "30m", Some(186.25)));
    s.push(&bar("2026-02-02T22:00:00Z", "30m", Some(185.35)));
    let at = t("2026-02-02T22:05:00Z");
    assert_eq!(s.previous_close_at(at).unwrap().1, 191.79);
    assert_eq!(s.last_at(at, any).unwrap().price, 185.35);
    assert_eq!(s.last_at(at, regular).unwrap().price, 186.25);
    assert_eq!(s.open_at(at), Some(189.62));
    assert_eq!(s.close_at(at), Some(186.25));
    assert_eq!(s.close_at(t("2026-02-02T20:00:00Z")), None, "not over yet");
    // The next morning, Feb 2's close is the reference.
    assert_eq!(
        s.previous_close_at(t("2026-02-03T14:00:00Z")).unwrap().1,
        186.25
    );
}

#[test]
fn a_view_never_sees_later_bars() {
    let mut s = Series::new("NVDA");
    s.push(&bar("2026-01-30T21:00:00Z", "1d", Some(191.79)));
    s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.0)));
    s.push(&bar("2026-02-02T16:00:00Z", "30m", Some(180.0)));
    assert_eq!(
        s.last_at(t("2026-02-02T15:30:00Z"), any).unwrap().price,
        189.0
    );
    assert_eq!(
        s.previous_at(t("2026-02-02T16:00:00Z"), any).unwrap().price,
        189.0
    );
    assert_eq!(
        s.range_in(
            t("2026-02-02T16:00:00Z"),
            chrono::Duration::minutes(60),
            any
        ),
        Some((189.0, 180.0))
    );
    assert!(s.last_at(t("2026-01-30T20:00:00Z"), any).is_none());
}

#[test]
fn null_bars_are_skipped_and_forming_bars_replaced() {
    let mut s = Series::new("NVDA");
    s.push(&bar("2026-02-02T15:00:00Z", "30m", None));
    assert!(s.is_empty());
    s.push(&bar("2026-02-02T15:10:00Z", "30m", Some(1.0)));
    s.push(&bar("2026-02-02T15:10:00Z", "30m", Some(2.0)));
    assert_eq!(s.ticks.len(), 1);
    assert_eq!(
        s.days.values().next().unwrap().intraday_volume,
        1000,
        "counted once"
    );
    let nan = Bar {
        close: Some(f64::NAN),
        ..bar("2026-02-02T15:20:00Z", "30m", None)
    };
    s.push(&nan);
    assert_eq!(s.ticks.len(), 1);
}

#[test]
fn a_forming_bar_seen_several_times_counts_its_volume_once() {
    // Regression: snapshots of a bar still forming were added up with the final bar.
    let mut s = Series::new("NVDA");
    for (time, volume) in [
        ("2026-02-02T15:02:00Z", 100),
        ("2026-02-02T15:03:00Z", 250),
        ("2026-02-02T15:04:00Z", 300),
        ("2026-02-02T15:05:00Z", 400),
    ] {
        s.push(&Bar {
            volume: Some(volume),
            ..bar(time, "5m", Some(190.0))
        });
    }
    assert_eq!(s.volume_so_far(t("2026-02-02T15:05:00Z")).unwrap().0, 400);
    assert_eq!(
        s.volume_so_far(t("2026-02-02T15:03:30Z")).unwrap().0,
        250,
        "as known then"
    );
    assert_eq!(s.days.values().last().unwrap().intraday_volume, 400);
}

#[test]
fn volume_so_far_and_daily_statistics() {
    let mut s = Series::new("NVDA");
    s.push(&Bar {
        volume: Some(50_000),
        ..bar("2026-01-30T21:00:00Z", "1d", Some(191.79))
    });
    s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.0)));
    s.push(&bar("2026-02-02T15:30:00Z", "30m", Some(188.0)));
    let (v, elapsed) = s.volume_so_far(t("2026-02-02T15:30:00Z")).unwrap();
    assert_eq!(v, 2000);
    assert!((elapsed - 1.0 / 6.5).abs() < 1e-9);
    let before: Vec<&Day> = s.days_before(t("2026-02-02T15:30:00Z"), 20).collect();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].volume(), Some(50_000));
    assert_eq!(
        s.today_range_before(t("2026-02-02T15:30:00Z")),
        Some((189.0, 189.0))
    );
}

#[test]
fn bars_of_two_lengths_count_the_days_volume_once() {
    let fives = ["14:35", "14:40", "14:45", "14:50", "14:55", "15:00"];
    for thirty_first in [false, true] {
        let mut s = Series::new("NVDA");
        let thirty = Bar {
            volume: Some(600),
            ..bar("2026-02-02T15:00:00Z", "30m", Some(190.0))
        };
        if thirty_first {
            s.push(&thirty);
        }
        // The first half hour as six 5-minute bars of 100 from one source...
        for end in fives {
            s.push(&Bar {
                volume: Some(100),
                ..bar(&format!("2026-02-02T{end}:00Z"), "5m", Some(190.0))
            });
        }
        // ...and as one 30-minute bar of 600 from another: 600 were traded, not more.
        if !thirty_first {
            s.push(&thirty);
        }
        let day = *s.days.values().last().unwrap();
        let so_far = s.volume_so_far(t("2026-02-02T15:00:00Z")).unwrap().0;
        assert_eq!(
            (day.intraday_volume, day.volume(), so_far),
            (600, Some(600), 600),
            "30m bar first: {thirty_first}"
        );
    }
}

/// A regular 5-minute bar of `day` ending at `hm` (UTC) with a volume of 100.
fn five(day: &str, hm: &str) -> Bar {
    Bar {
        volume: Some(100),
        ..bar(&format!("{day}T{hm}:00Z"), "5m", Some(190.0))
    }
}

/// A whole regular session of 5-minute bars.
fn session(day: &str) -> Vec<Bar> {
    let open = t(&format!("{day}T14:30:00Z"));
    (1..=78)
        .map(|k| {
            let end = open + chrono::Duration::minutes(5 * k);
            five(day, &end.format("%H:%M").to_string())
        })
        .collect()
}

#[test]
fn a_settled_days_bar_seen_again_leaves_its_volume() {
    let mut s = Series::new("NVDA");
    for b in session("2026-02-02") {
        s.push(&b);
    }
    let monday: NaiveDate = "2026-02-02".parse().unwrap();
    assert_eq!(s.days[&monday].intraday_volume, 7_800);
    // Ten days later the 2nd is behind the intraday history: its volume is settled.
    for b in session("2026-02-12") {
        s.push(&b);
    }
    assert_eq!(s.days[&monday].intraday_volume, 7_800);
    // One of its bars comes again (a late source, a payload sent again).
    s.push(&five("2026-02-02", "15:00"));
    assert_eq!(s.days[&monday].intraday_volume, 7_800);
}

#[test]
fn a_tick_stays_small() {
    // The history holds eight days of ticks per symbol: their size is its memory.
    assert_eq!(std::mem::size_of::<Tick>(), 56);
}

/// Monday 2 February closed at 186.25, 2.89 % below Friday's 191.79. Asked for again before
/// Tuesday's session (overnight, in the pre-market, and the Saturday after a Friday), `/quote`
/// still shows the last session's change against the close before it — not 0 % against
/// itself.
#[test]
fn a_quote_between_sessions_shows_the_last_sessions_change() {
    let mut s = Series::new("NVDA");
    s.push(&bar("2026-01-30T21:00:00Z", "1d", Some(191.79)));
    s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.62)));
    s.push(&bar("2026-02-02T21:00:00Z", "30m", Some(186.25)));
    for at in ["2026-02-02T22:05:00Z", "2026-02-03T07:00:00Z"] {
        let q = s.quote_at(t(at)).unwrap();
        assert_eq!((q.last, q.previous_close), (186.25, Some(191.79)), "{at}");
        assert!((q.change_pct.unwrap() + 2.8886).abs() < 1e-3, "{at}: {q:?}");
        assert_eq!(
            (q.day_low, q.day_high),
            (Some(186.25), Some(189.62)),
            "{at}"
        );
    }
    // Tuesday's pre-market: Monday's figures, and the newer price beside them.
    s.push(&bar("2026-02-03T12:00:00Z", "30m", Some(184.0)));
    let q = s.quote_at(t("2026-02-03T12:05:00Z")).unwrap();
    assert_eq!(q.previous_close, Some(191.79));
    assert_eq!(q.extended, Some((184.0, Session::Pre)));
    // A Friday's close asked for on Saturday: against Thursday's.
    let mut s = Series::new("NVDA");
    s.push(&bar("2026-02-05T21:00:00Z", "1d", Some(100.0)));
    s.push(&bar("2026-02-06T21:00:00Z", "1d", Some(97.0)));
    let q = s.quote_at(t("2026-02-07T12:00:00Z")).unwrap();
    assert_eq!((q.last, q.previous_close), (97.0, Some(100.0)));
}
