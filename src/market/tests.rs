use super::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn us_sessions_in_winter_utc() {
    let us = exchange_for("NVDA");
    assert_eq!(us.session_at(t("2026-02-02T13:00:00Z")), Some(Session::Pre));
    assert_eq!(
        us.session_at(t("2026-02-02T14:30:00Z")),
        Some(Session::Regular)
    );
    assert_eq!(
        us.session_at(t("2026-02-02T21:47:00Z")),
        Some(Session::Post)
    );
    assert_eq!(us.session_at(t("2026-02-03T01:30:00Z")), None);
    assert_eq!(us.session_at(t("2026-01-31T15:00:00Z")), None, "Saturday");
    assert_eq!(
        us.session_of_bar_ending(t("2026-02-02T21:00:00Z")),
        Some(Session::Regular)
    );
}

#[test]
fn holidays_are_no_trading_days() {
    let date = |s: &str| s.parse::<NaiveDate>().unwrap();
    let us = exchange_for("NVDA");
    // Good Friday 2026: closed in New York, Frankfurt and London alike.
    for symbol in ["NVDA", "SAP.DE", "VOD.L", "NESN.SW", "MC.PA"] {
        assert!(
            !exchange_for(symbol).is_trading_day(date("2026-04-03")),
            "{symbol}"
        );
    }
    // Easter Monday: open in New York, closed in Europe.
    assert!(us.is_trading_day(date("2026-04-06")));
    assert!(!exchange_for("SAP.DE").is_trading_day(date("2026-04-06")));
    // Tokyo keeps no Easter; Hong Kong does, and Ching Ming on Easter Sunday closes it on
    // the Tuesday after too: Wednesday 8 April's previous trading day is Thursday 2 April.
    assert!(exchange_for("7203.T").is_trading_day(date("2026-04-03")));
    let hkex = exchange_for("0700.HK");
    for day in ["2026-04-03", "2026-04-06", "2026-04-07"] {
        assert!(!hkex.is_trading_day(date(day)), "{day}");
    }
    assert_eq!(
        hkex.previous_trading_day(date("2026-04-08")),
        date("2026-04-02")
    );
    // Lunar New Year 2026, Tuesday 17 to Thursday 19 February: Friday's previous trading
    // day is Monday 16 February, and Monday's next is Friday 20 February.
    assert_eq!(
        hkex.previous_trading_day(date("2026-02-20")),
        date("2026-02-16")
    );
    assert_eq!(
        hkex.next_trading_day(date("2026-02-16")),
        date("2026-02-20")
    );
    assert_eq!(hkex.session_at(t("2026-02-18T02:00:00Z")), None);
    // The eve, Monday, traded in the morning only.
    assert_eq!(
        hkex.last_trading_moment(t("2026-02-18T02:00:00Z"), false),
        t("2026-02-16T04:00:00Z")
    );
    // Golden Week in Tokyo: Thursday 7 May's previous trading day is Friday 1 May.
    assert_eq!(
        exchange_for("7203.T").previous_trading_day(date("2026-05-07")),
        date("2026-05-01")
    );
    // Victoria Day in Toronto, Whit Monday in Oslo and Copenhagen, Midsummer Eve in
    // Stockholm and Helsinki.
    for (symbol, day) in [
        ("RY.TO", "2026-05-18"),
        ("EQNR.OL", "2026-05-25"),
        ("NOVO-B.CO", "2026-05-25"),
        ("VOLV-B.ST", "2026-06-19"),
        ("NOKIA.HE", "2026-06-19"),
    ] {
        assert!(!exchange_for(symbol).is_trading_day(date(day)), "{symbol}");
    }
    // Madrid closed on Friday 24 and Friday 31 December 2021: the first trading day of 2022
    // compares with Thursday 30 December.
    let madrid = exchange_for("SAN.MC");
    for day in ["2021-12-24", "2021-12-31"] {
        assert!(!madrid.is_trading_day(date(day)), "{day}");
    }
    assert_eq!(
        madrid.previous_trading_day(date("2022-01-03")),
        date("2021-12-30")
    );
    assert_eq!(madrid.session_at(t("2021-12-24T10:00:00Z")), None);
    // The day before Easter Monday's open in Frankfurt is the Thursday before Good Friday.
    assert_eq!(
        exchange_for("SAP.DE").previous_trading_day(date("2026-04-07")),
        date("2026-04-02")
    );
    // Martin Luther King Jr. Day: Tuesday's previous close is Friday's.
    assert_eq!(
        us.previous_trading_day(date("2026-01-20")),
        date("2026-01-16")
    );
    assert_eq!(us.next_trading_day(date("2026-01-16")), date("2026-01-20"));
    assert_eq!(us.session_at(t("2026-01-19T15:00:00Z")), None);
    assert!(us.last_trading_moment(t("2026-01-19T15:00:00Z"), false) < t("2026-01-17T00:00:00Z"));
}

#[test]
fn after_hours_belong_to_the_same_trading_day() {
    let us = exchange_for("NVDA");
    let d = us.trading_date(t("2026-02-03T00:30:00Z"));
    assert_eq!(d.to_string(), "2026-02-02");
    assert_eq!(
        us.previous_trading_day(NaiveDate::from_ymd_opt(2026, 2, 2).unwrap())
            .to_string(),
        "2026-01-30"
    );
    assert_eq!(
        us.close_on(NaiveDate::from_ymd_opt(2026, 2, 2).unwrap()),
        t("2026-02-02T21:00:00Z")
    );
}

#[test]
fn last_trading_moment_skips_nights_and_weekends() {
    let us = exchange_for("NVDA");
    let sat = t("2026-01-31T15:00:00Z");
    assert_eq!(
        us.last_trading_moment(sat, false),
        t("2026-01-30T21:00:00Z")
    );
    assert_eq!(us.last_trading_moment(sat, true), t("2026-01-31T01:00:00Z"));
    let during = t("2026-02-02T16:00:00Z");
    assert_eq!(us.last_trading_moment(during, false), during);
    let after = t("2026-02-02T21:47:00Z");
    assert_eq!(
        us.last_trading_moment(after, false),
        t("2026-02-02T21:00:00Z")
    );
    assert_eq!(us.last_trading_moment(after, true), after);
}

#[test]
fn half_days_end_the_regular_session_early() {
    let date = |s: &str| s.parse::<NaiveDate>().unwrap();
    let us = exchange_for("NVDA");
    // The day after Thanksgiving 2026: regular until 13:00 New York (18:00 UTC), after-hours
    // until 17:00.
    let friday = date("2026-11-27");
    assert_eq!(us.early_close(friday), NaiveTime::from_hms_opt(13, 0, 0));
    assert_eq!(us.close_on(friday), t("2026-11-27T18:00:00Z"));
    assert_eq!(
        us.session_at(t("2026-11-27T17:59:00Z")),
        Some(Session::Regular)
    );
    assert_eq!(
        us.session_at(t("2026-11-27T19:00:00Z")),
        Some(Session::Post),
        "14:00 in New York"
    );
    assert_eq!(us.session_at(t("2026-11-27T22:00:00Z")), None, "17:00");
    assert_eq!(
        us.session_of_bar_ending(t("2026-11-27T18:00:00Z")),
        Some(Session::Regular)
    );
    let saturday = t("2026-11-28T15:00:00Z");
    assert_eq!(
        us.last_trading_moment(saturday, false),
        t("2026-11-27T18:00:00Z")
    );
    assert_eq!(
        us.last_trading_moment(saturday, true),
        t("2026-11-27T22:00:00Z")
    );
    // 3 July 2025 (summer time), and ordinary days around the half days unchanged.
    assert_eq!(us.close_on(date("2025-07-03")), t("2025-07-03T17:00:00Z"));
    assert_eq!(us.close_on(date("2026-11-30")), t("2026-11-30T21:00:00Z"));
    assert_eq!(us.close_on(date("2026-07-02")), t("2026-07-02T20:00:00Z"));
    assert_eq!(us.early_close(date("2026-11-30")), None);
    assert_eq!(
        us.session_at(t("2026-11-30T19:00:00Z")),
        Some(Session::Regular)
    );
    // A holiday is no half day: Christmas Eve 2027 is Christmas's Friday.
    assert_eq!(us.early_close(date("2027-12-24")), None);
    // Elsewhere, each at its own time.
    for (symbol, day, close) in [
        ("VOD.L", "2026-12-24", "2026-12-24T12:30:00Z"),
        ("MC.PA", "2026-12-31", "2026-12-31T13:05:00Z"),
        ("EDP.LS", "2026-12-31", "2026-12-31T13:05:00Z"),
        ("SAN.MC", "2026-12-24", "2026-12-24T13:00:00Z"),
        ("SAP.DE", "2026-12-30", "2026-12-30T13:00:00Z"),
        ("VOLV-B.ST", "2026-04-30", "2026-04-30T11:00:00Z"),
        ("EQNR.OL", "2026-04-01", "2026-04-01T11:00:00Z"),
        ("RY.TO", "2026-12-24", "2026-12-24T18:00:00Z"),
        ("BHP.AX", "2026-12-24", "2026-12-24T03:10:00Z"),
        ("0700.HK", "2026-02-16", "2026-02-16T04:00:00Z"),
        ("0700.HK", "2026-12-31", "2026-12-31T04:00:00Z"),
    ] {
        assert_eq!(
            exchange_for(symbol).close_on(date(day)),
            t(close),
            "{symbol} {day}"
        );
    }
    // Vienna's last trading day of the year ends with the closing auction's start at 14:15;
    // the day before is a full one, New Year's Eve closed.
    let vienna = exchange_for("EBS.VI");
    for (day, close) in [
        ("2021-12-30", "2021-12-30T13:15:00Z"),
        ("2025-12-30", "2025-12-30T13:15:00Z"),
        ("2023-12-29", "2023-12-29T13:15:00Z"),
        ("2023-12-28", "2023-12-28T16:30:00Z"),
    ] {
        assert_eq!(vienna.close_on(date(day)), t(close), "{day}");
    }
    assert_eq!(
        vienna.session_at(t("2025-12-30T13:14:00Z")),
        Some(Session::Regular)
    );
    assert_eq!(vienna.session_at(t("2025-12-30T14:00:00Z")), None);
    assert!(!vienna.is_trading_day(date("2021-12-31")));
    // Frankfurt's after-hours end with Xetra on its last day; the day before is a full one.
    let xetra = exchange_for("SAP.DE");
    assert_eq!(xetra.session_at(t("2026-12-30T14:30:00Z")), None);
    assert_eq!(
        xetra.close_on(date("2026-12-29")),
        t("2026-12-29T16:30:00Z")
    );
    // None at SIX, Milan, Helsinki or Tokyo.
    for symbol in ["NESN.SW", "ENI.MI", "NOKIA.HE", "7203.T"] {
        let exchange = exchange_for(symbol);
        let mut d = date("2026-01-01");
        while d.year() == 2026 {
            assert_eq!(exchange.early_close(d), None, "{symbol} {d}");
            d = d.succ_opt().unwrap();
        }
    }
}

#[test]
fn suffixes_pick_the_exchange() {
    assert_eq!(exchange_for("SAP.DE").name, "XETRA");
    assert_eq!(exchange_for("VOD.L").name, "LSE");
    assert_eq!(exchange_for("NVDA").name, "US");
    assert_eq!(exchange_for("BRK.B").name, "US");
}
