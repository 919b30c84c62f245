//! Every price condition on synthetic series, including bars without trades and
//! extended-hours bars.

use super::*;
use crate::model::{Bar, Interval};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn bar(time: &str, interval: &str, close: Option<f64>, volume: u64) -> Bar {
    Bar {
        symbol: "NVDA".into(),
        time: t(time),
        interval: interval.parse().unwrap(),
        open: close,
        high: close,
        low: close,
        close,
        volume: Some(volume),
        session: None,
        currency: None,
    }
}

fn check(kind: PriceKind) -> PriceCheck {
    PriceCheck {
        kind,
        session: SessionFilter::Any,
        max_age: Duration::from_secs(30 * 60),
    }
}

fn pct(s: &str) -> Threshold {
    Threshold::percent(s).unwrap()
}

/// Friday closed at 191.79; Monday trades from 188.9 down to 186.25 with a bar without trades
/// at 16:00, then after hours at 185.00 and (stale) 00:30.
fn monday() -> Series {
    let mut s = Series::new("NVDA");
    s.push(&bar(
        "2026-01-30T21:00:00Z",
        "1d",
        Some(191.79),
        170_000_000,
    ));
    s.push(&bar("2026-02-02T13:30:00Z", "30m", Some(189.5), 500_000)); // pre-market
    s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(188.9), 30_000_000));
    s.push(&bar("2026-02-02T15:30:00Z", "30m", Some(188.0), 20_000_000));
    s.push(&bar("2026-02-02T16:00:00Z", "30m", None, 0)); // no trades
    s.push(&bar("2026-02-02T16:30:00Z", "30m", Some(187.5), 15_000_000));
    s.push(&bar(
        "2026-02-02T21:00:00Z",
        "30m",
        Some(186.25),
        26_000_000,
    ));
    s.push(&bar("2026-02-02T22:00:00Z", "30m", Some(185.0), 1_000_000)); // after hours
    s
}

#[test]
fn change_against_the_previous_close() {
    let s = monday();
    let c = check(PriceKind::Change {
        from: Reference::PreviousClose,
        window: None,
        threshold: pct("<= -2%"),
    });
    let e = c.eval(&s, t("2026-02-02T21:00:00Z")).unwrap();
    assert_eq!((e.price, e.reference), (186.25, Some(191.79)));
    assert!((e.change_pct.unwrap() + 2.8886).abs() < 1e-3);
    assert!(
        c.eval(&s, t("2026-02-02T15:00:00Z")).is_none(),
        "−1.5 % is not enough"
    );
    // After hours counts by default; regular-only ignores the 185.00 print.
    assert_eq!(c.eval(&s, t("2026-02-02T22:00:00Z")).unwrap().price, 185.0);
    let regular = PriceCheck {
        session: SessionFilter::Regular,
        ..c.clone()
    };
    assert_eq!(
        regular.eval(&s, t("2026-02-02T22:00:00Z")).unwrap().price,
        186.25
    );
}

#[test]
fn change_against_the_open_and_todays_close() {
    let s = monday();
    let vs_open = check(PriceKind::Change {
        from: Reference::Open,
        window: None,
        threshold: pct("<= -1%"),
    });
    let e = vs_open.eval(&s, t("2026-02-02T21:00:00Z")).unwrap();
    assert_eq!(e.reference, Some(188.9));
    let after_hours = PriceCheck {
        session: SessionFilter::Post,
        ..check(PriceKind::Change {
            from: Reference::Close,
            window: None,
            threshold: pct("<= -0.5%"),
        })
    };
    let e = after_hours.eval(&s, t("2026-02-02T22:00:00Z")).unwrap();
    assert_eq!((e.price, e.reference), (185.0, Some(186.25)));
    assert!(
        after_hours.eval(&s, t("2026-02-02T20:00:00Z")).is_none(),
        "no close yet, no post price"
    );
}

#[test]
fn change_within_a_rolling_window() {
    let s = monday();
    let fast_drop = check(PriceKind::Change {
        from: Reference::Window,
        window: Some(Duration::from_secs(90 * 60)),
        threshold: pct("<= -0.7%"),
    });
    // 16:30: the 90-minute high was 188.9 at 15:00; 187.5 is 0.74 % below it.
    let e = fast_drop.eval(&s, t("2026-02-02T16:30:00Z")).unwrap();
    assert_eq!(e.reference, Some(188.9));
    // 60 minutes only reach back to 15:30 (188.0): −0.27 %, not enough.
    let shorter = check(PriceKind::Change {
        from: Reference::Window,
        window: Some(Duration::from_secs(60 * 60)),
        threshold: pct("<= -0.7%"),
    });
    assert!(shorter.eval(&s, t("2026-02-02T16:30:00Z")).is_none());
}

#[test]
fn crossing_a_level() {
    let s = monday();
    let below = check(PriceKind::Crosses {
        direction: Direction::Below,
        level: 188.5,
    });
    assert!(
        below.eval(&s, t("2026-02-02T15:30:00Z")).is_some(),
        "188.9 → 188.0"
    );
    assert!(
        below.eval(&s, t("2026-02-02T16:30:00Z")).is_none(),
        "already below"
    );
    let above = check(PriceKind::Crosses {
        direction: Direction::Above,
        level: 188.5,
    });
    assert!(above.eval(&s, t("2026-02-02T15:30:00Z")).is_none());
}

#[test]
fn opening_gap() {
    let mut s = monday();
    s.push(&bar("2026-02-03T15:00:00Z", "30m", Some(180.0), 40_000_000));
    let gap_down = check(PriceKind::Gap {
        threshold: pct("<= -3%"),
    });
    let e = gap_down.eval(&s, t("2026-02-03T15:00:00Z")).unwrap();
    assert_eq!((e.price, e.reference), (180.0, Some(186.25)));
    let small = check(PriceKind::Gap {
        threshold: pct("<= -5%"),
    });
    assert!(small.eval(&s, t("2026-02-03T15:00:00Z")).is_none());
}

#[test]
fn volume_against_its_average_pace() {
    let mut s = Series::new("NVDA");
    // Twenty quiet days of 100 M shares.
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    let mut n = 0;
    while n < 20 {
        if s.exchange().is_trading_day(day) {
            let close = s.exchange().close_on(day);
            s.push(&Bar {
                time: close,
                ..bar("2026-01-02T21:00:00Z", "1d", Some(190.0), 100_000_000)
            });
            n += 1;
        }
        day = day.succ_opt().unwrap();
    }
    // Monday 2 Feb: 60 M shares in the first hour, a sixth of a day's volume in a sixth of it… ×3.9.
    s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.0), 30_000_000));
    s.push(&bar("2026-02-02T15:30:00Z", "30m", Some(188.0), 30_000_000));
    let spike = check(PriceKind::Volume {
        threshold: Threshold::ratio(">= 3x").unwrap(),
        days: 20,
    });
    let e = spike.eval(&s, t("2026-02-02T15:30:00Z")).unwrap();
    assert_eq!(e.reference, Some(100_000_000.0));
    assert!(e.condition.contains("3.9×"), "{}", e.condition);
    let huge = check(PriceKind::Volume {
        threshold: Threshold::ratio(">= 5x").unwrap(),
        days: 20,
    });
    assert!(huge.eval(&s, t("2026-02-02T15:30:00Z")).is_none());
    let not_enough_history = check(PriceKind::Volume {
        threshold: Threshold::ratio(">= 3x").unwrap(),
        days: 60,
    });
    assert!(
        not_enough_history
            .eval(&s, t("2026-02-02T15:30:00Z"))
            .is_none()
    );
}

/// The day after Thanksgiving closes at 13:00 in New York: its volume is measured at the pace
/// of an ordinary day's hours, so a short day that trades as busily as a full one is not taken
/// for a quiet one.
#[test]
fn volume_on_a_half_day_at_an_ordinary_days_pace() {
    let mut s = Series::new("NVDA");
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 10, 27).unwrap();
    let mut n = 0;
    while n < 20 {
        if s.exchange().is_trading_day(day) {
            s.push(&Bar {
                time: s.exchange().close_on(day),
                ..bar("2026-10-27T20:00:00Z", "1d", Some(190.0), 100_000_000)
            });
            n += 1;
        }
        day = day.succ_opt().unwrap();
    }
    // Friday 27 November from 9:30 (14:30Z): 10 M shares every half hour for three hours, 30 %
    // more than an ordinary day trades in its first three hours.
    let mut time = t("2026-11-27T14:30:00Z");
    for _ in 0..6 {
        time += chrono::Duration::minutes(30);
        s.push(&Bar {
            time,
            ..bar("2026-11-27T15:00:00Z", "30m", Some(189.0), 10_000_000)
        });
    }
    let busy = check(PriceKind::Volume {
        threshold: Threshold::ratio(">= 1.2x").unwrap(),
        days: 20,
    });
    let e = busy.eval(&s, t("2026-11-27T17:30:00Z")).unwrap();
    assert!(e.condition.contains("1.3×"), "{}", e.condition);
}

#[test]
fn new_highs_and_lows() {
    let mut s = Series::new("NVDA");
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    let mut n = 0;
    while n < 20 {
        if s.exchange().is_trading_day(day) {
            let price = 190.0 + (n % 5) as f64;
            let time = s.exchange().close_on(day);
            s.push(&Bar {
                time,
                ..bar("2026-01-02T21:00:00Z", "1d", Some(price), 1)
            });
            n += 1;
        }
        day = day.succ_opt().unwrap();
    }
    s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(189.5), 1));
    s.push(&bar("2026-02-02T15:30:00Z", "30m", Some(189.8), 1));
    let low = check(PriceKind::NewExtreme {
        high: false,
        days: 20,
    });
    let e = low.eval(&s, t("2026-02-02T15:00:00Z")).unwrap();
    assert_eq!(e.reference, Some(190.0));
    assert!(
        low.eval(&s, t("2026-02-02T15:30:00Z")).is_none(),
        "189.8 is above today's 189.5"
    );
    let high = check(PriceKind::NewExtreme {
        high: true,
        days: 20,
    });
    assert!(high.eval(&s, t("2026-02-02T15:00:00Z")).is_none());
    let year = check(PriceKind::NewExtreme {
        high: false,
        days: 260,
    });
    assert!(
        year.eval(&s, t("2026-02-02T15:00:00Z")).is_none(),
        "not enough history to say"
    );
}

#[test]
fn a_stale_price_never_satisfies() {
    let s = monday();
    let c = check(PriceKind::Change {
        from: Reference::PreviousClose,
        window: None,
        threshold: pct("<= -2%"),
    });
    // Tuesday noon: Monday's prices are stale.
    assert!(c.eval(&s, t("2026-02-03T17:00:00Z")).is_none());
    // Monday 20:00 during the session: the last price is from 16:30.
    assert!(c.eval(&s, t("2026-02-02T20:00:00Z")).is_none());
}

#[test]
fn a_gap_in_the_data_is_not_a_previous_close() {
    let mut s = Series::new("NVDA");
    s.push(&bar("2026-01-16T21:00:00Z", "1d", Some(191.79), 1));
    s.push(&bar("2026-02-02T16:00:00Z", "30m", Some(180.0), 1));
    let c = check(PriceKind::Change {
        from: Reference::PreviousClose,
        window: None,
        threshold: pct("<= -2%"),
    });
    assert!(c.eval(&s, t("2026-02-02T16:00:00Z")).is_none());
    let _ = Interval::DAY;
}

#[test]
fn thresholds_and_durations_parse() {
    assert_eq!(
        Threshold::percent("<= -2%").unwrap(),
        Threshold {
            cmp: Cmp::Le,
            value: -2.0
        }
    );
    assert_eq!(
        Threshold::percent(">=3 %").unwrap(),
        Threshold {
            cmp: Cmp::Ge,
            value: 3.0
        }
    );
    assert_eq!(Threshold::ratio(">= 3x").unwrap().value, 3.0);
    assert!(
        Threshold::percent("-2%")
            .unwrap_err()
            .contains("comparison")
    );
    assert!(Threshold::percent("<= -2").unwrap_err().contains("`%`"));
    assert!(Threshold::percent("<= x%").is_err());
    assert!(Threshold::percent("<= 1e9%").is_err());
    assert!(Threshold::percent("<= NaN%").is_err());
    assert!(Threshold::ratio(">= 0x").is_err());
    assert_eq!(parse_days("52w").unwrap(), 260);
    assert_eq!(parse_days("20d").unwrap(), 20);
    assert!(parse_days("0d").is_err() && parse_days("20").is_err() && parse_days("99w").is_err());
    assert!(SessionFilter::parse("night").is_err());
}

/// After Golden Week 2026 in Tokyo (Showa Day on Wednesday 29 April, then 4, 5 and 6 May
/// closed) Thursday 7 May's previous close is Friday 1 May's, the trading day before.
#[test]
fn the_previous_close_is_found_after_golden_week_in_tokyo() {
    let mut s = Series::new("7203.T");
    let at = |time: &str, interval: &str, close: f64| Bar {
        symbol: "7203.T".into(),
        ..bar(time, interval, Some(close), 1_000)
    };
    s.push(&at("2026-05-01T06:30:00Z", "1d", 3000.0)); // Friday's close, 15:30 JST
    s.push(&at("2026-05-07T00:30:00Z", "30m", 2800.0)); // Thursday 9:30 JST
    let c = check(PriceKind::Change {
        from: Reference::PreviousClose,
        window: None,
        threshold: pct("<= -5%"),
    });
    let e = c.eval(&s, t("2026-05-07T00:30:00Z"));
    assert_eq!(
        e.map(|e| e.reference),
        Some(Some(3000.0)),
        "a fall of 6.7 % against Friday's close"
    );
}

/// After the Lunar New Year 2026 (17 to 19 February closed in Hong Kong) Friday 20
/// February's previous close is Monday 16 February's (a half day); and after that of 2028 (26
/// to 28 January), which the calendar does not know, Monday 31 January's is Tuesday 25
/// January's, as the README promises for holidays not known ("a gap of a few days is
/// accepted").
#[test]
fn the_previous_close_is_found_after_the_lunar_new_year_in_hong_kong() {
    let at = |time: &str, interval: &str, close: f64| Bar {
        symbol: "0700.HK".into(),
        ..bar(time, interval, Some(close), 1_000)
    };
    let c = check(PriceKind::Change {
        from: Reference::PreviousClose,
        window: None,
        threshold: pct("<= -5%"),
    });
    for (close, open) in [
        ("2026-02-16T04:00:00Z", "2026-02-20T01:30:00Z"), // Monday 12:00 HKT, Friday 9:30
        ("2028-01-25T08:00:00Z", "2028-01-31T01:30:00Z"), // Tuesday 16:00 HKT, Monday 9:30
    ] {
        let mut s = Series::new("0700.HK");
        s.push(&at(close, "1d", 600.0));
        s.push(&at(open, "30m", 564.0));
        let e = c.eval(&s, t(open));
        assert_eq!(
            e.map(|e| e.reference),
            Some(Some(600.0)),
            "a fall of 6 % against the close of {close}"
        );
    }
}

/// From 180 to 176.40 is a fall of exactly 2 %, though the division makes it
/// −1.999999999999997 %; from 20 to 19.40 one of exactly 3 %, made −3.000000000000007 %. A
/// change of exactly the threshold meets `<=` and `>=` and not `<` or `>`, as written.
#[test]
fn a_change_of_exactly_the_threshold_meets_it_as_written() {
    let holds = |previous: f64, price: f64, kind: fn(Threshold) -> PriceKind, threshold: &str| {
        let mut s = Series::new("NVDA");
        s.push(&bar("2026-01-30T21:00:00Z", "1d", Some(previous), 1));
        s.push(&bar("2026-02-02T15:00:00Z", "30m", Some(price), 1));
        check(kind(pct(threshold)))
            .eval(&s, t("2026-02-02T15:00:00Z"))
            .is_some()
    };
    let change = |threshold| PriceKind::Change {
        from: Reference::PreviousClose,
        window: None,
        threshold,
    };
    let gap = |threshold| PriceKind::Gap { threshold };
    for kind in [change as fn(Threshold) -> PriceKind, gap] {
        for (previous, price, threshold, expected) in [
            (180.0, 176.4, "<= -2%", true),
            (180.0, 176.4, "< -2%", false),
            (180.0, 183.6, ">= 2%", true),
            (180.0, 183.6, "> 2%", false),
            (20.0, 19.4, "<= -3%", true),
            (20.0, 19.4, "< -3%", false),
            (10.0, 9.8, "<= -2%", true),
            (10.0, 10.2, ">= 2%", true),
        ] {
            assert_eq!(
                holds(previous, price, kind, threshold),
                expected,
                "{previous} → {price}: {:?}",
                kind(pct(threshold))
            );
        }
    }
}

/// What a check found is in the currency the series' newest bar that named one named: a bar
/// from a provider that names none (Stooq, Finnhub) leaves it.
#[test]
fn the_evidence_is_in_the_series_currency() {
    let mut s = monday();
    let c = check(PriceKind::Change {
        from: Reference::PreviousClose,
        window: None,
        threshold: pct("<= -2%"),
    });
    assert_eq!(
        c.eval(&s, t("2026-02-02T21:00:00Z")).unwrap().currency,
        None
    );
    s.push(&Bar {
        currency: Some("USD".into()),
        ..bar("2026-02-02T21:00:00Z", "30m", Some(186.25), 26_000_000)
    });
    s.push(&bar("2026-02-02T21:00:00Z", "1d", Some(186.25), 0));
    let e = c.eval(&s, t("2026-02-02T21:00:00Z")).unwrap();
    assert_eq!(e.currency.as_deref(), Some("USD"));
    // An older bar naming another currency does not replace the newer one's.
    s.push(&Bar {
        currency: Some("EUR".into()),
        ..bar("2026-02-02T15:00:00Z", "30m", Some(188.9), 30_000_000)
    });
    assert_eq!(s.currency(), Some("USD"));
}
