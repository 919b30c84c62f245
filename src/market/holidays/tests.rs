use super::japan::equinox;
use super::*;

fn closed(holidays: Holidays, year: i32) -> Vec<String> {
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let mut out = Vec::new();
    while d.year() == year {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && holidays.contains(d) {
            out.push(d.format("%m-%d").to_string());
        }
        d += Duration::days(1);
    }
    out
}

#[test]
fn easter_sundays() {
    for (year, date) in [
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),
        (2285, "2285-03-22"),
    ] {
        assert_eq!(easter_sunday(year).unwrap().to_string(), date);
    }
}

#[test]
fn new_york_closes_as_the_exchanges_publish() {
    assert_eq!(
        closed(Holidays::Us, 2026),
        [
            "01-01", "01-19", "02-16", "04-03", "05-25", "06-19", "07-03", "09-07", "11-26",
            "12-25"
        ]
    );
    assert_eq!(
        closed(Holidays::Us, 2027),
        [
            "01-01", "01-18", "02-15", "03-26", "05-31", "06-18", "07-05", "09-06", "11-25",
            "12-24"
        ]
    );
    // New Year's Day 2022 was a Saturday: 31 December 2021 traded.
    assert_eq!(
        closed(Holidays::Us, 2021).last().map(String::as_str),
        Some("12-24")
    );
    assert_eq!(
        closed(Holidays::Us, 2025),
        [
            "01-01", "01-09", "01-20", "02-17", "04-18", "05-26", "06-19", "07-04", "09-01",
            "11-27", "12-25"
        ]
    );
    // Before Juneteenth was kept.
    assert!(!closed(Holidays::Us, 2021).contains(&"06-18".to_string()));
}

#[test]
fn frankfurt_london_zurich_and_euronext_close_as_they_publish() {
    assert_eq!(
        closed(Holidays::Xetra, 2026),
        [
            "01-01", "04-03", "04-06", "05-01", "12-24", "12-25", "12-31"
        ]
    );
    assert_eq!(
        closed(Holidays::London, 2026),
        [
            "01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"
        ]
    );
    // Christmas 2021 on a Saturday, Boxing Day on a Sunday: the 27th and 28th.
    assert_eq!(
        closed(Holidays::London, 2021)[6..],
        ["12-27".to_string(), "12-28".to_string()]
    );
    assert_eq!(
        closed(Holidays::Six, 2026),
        [
            "01-01", "01-02", "04-03", "04-06", "05-01", "05-14", "05-25", "12-24", "12-25",
            "12-31"
        ]
    );
    assert_eq!(
        closed(Holidays::Euronext, 2026),
        ["01-01", "04-03", "04-06", "05-01", "12-25"]
    );
}

#[test]
fn milan_madrid_and_vienna_close_as_they_publish() {
    assert_eq!(
        closed(Holidays::Milan, 2026),
        [
            "01-01", "04-03", "04-06", "05-01", "12-24", "12-25", "12-31"
        ]
    );
    assert_eq!(
        closed(Holidays::Milan, 2025),
        [
            "01-01", "04-18", "04-21", "05-01", "08-15", "12-24", "12-25", "12-26", "12-31"
        ]
    );
    // Boxing Day 2026 on a Saturday is not made up.
    assert_eq!(
        closed(Holidays::Madrid, 2026),
        ["01-01", "04-03", "04-06", "05-01", "12-25"]
    );
    assert_eq!(
        closed(Holidays::Madrid, 2025),
        ["01-01", "04-18", "04-21", "05-01", "12-25", "12-26"]
    );
    // BME closed on Christmas Eve and New Year's Eve from 2021 to 2023 (weekdays in 2021
    // only); before and after, it trades until 14:00 on them.
    for (year, days) in [
        (2021, &["01-01", "04-02", "04-05", "12-24", "12-31"][..]),
        (2022, &["04-15", "04-18", "12-26"]),
        (2023, &["04-07", "04-10", "05-01", "12-25", "12-26"]),
    ] {
        assert_eq!(closed(Holidays::Madrid, year), days, "{year}");
    }
    assert_eq!(
        closed(Holidays::Madrid, 2020),
        ["01-01", "04-10", "04-13", "05-01", "12-25"]
    );
    assert_eq!(
        closed(Holidays::Madrid, 2024),
        ["01-01", "03-29", "04-01", "05-01", "12-25", "12-26"]
    );
    // Vienna trades on Epiphany, Ascension, Whit Monday, Corpus Christi, 15 August, All
    // Saints and 8 December, not on the National Day.
    assert_eq!(
        closed(Holidays::Vienna, 2026),
        [
            "01-01", "04-03", "04-06", "05-01", "10-26", "12-24", "12-25", "12-31"
        ]
    );
    assert_eq!(
        closed(Holidays::Vienna, 2025),
        [
            "01-01", "04-18", "04-21", "05-01", "12-24", "12-25", "12-26", "12-31"
        ]
    );
    // Whit Monday closed Vienna until 2022.
    assert!(closed(Holidays::Vienna, 2022).contains(&"06-06".to_string()));
}

#[test]
fn the_nordic_exchanges_close_as_they_publish() {
    assert_eq!(
        closed(Holidays::Stockholm, 2026),
        [
            "01-01", "01-06", "04-03", "04-06", "05-01", "05-14", "06-19", "12-24", "12-25",
            "12-31"
        ]
    );
    // The National Day on a Friday, Midsummer Eve on 20 June.
    assert_eq!(
        closed(Holidays::Stockholm, 2025),
        [
            "01-01", "01-06", "04-18", "04-21", "05-01", "05-29", "06-06", "06-20", "12-24",
            "12-25", "12-26", "12-31"
        ]
    );
    assert_eq!(
        closed(Holidays::Copenhagen, 2026),
        [
            "01-01", "04-02", "04-03", "04-06", "05-14", "05-15", "05-25", "06-05", "12-24",
            "12-25", "12-31"
        ]
    );
    // Great Prayer Day (5 May) was last kept in 2023.
    assert_eq!(
        closed(Holidays::Copenhagen, 2023),
        [
            "04-06", "04-07", "04-10", "05-05", "05-18", "05-19", "05-29", "06-05", "12-25",
            "12-26"
        ]
    );
    assert_eq!(
        closed(Holidays::Helsinki, 2026),
        [
            "01-01", "01-06", "04-03", "04-06", "05-01", "05-14", "06-19", "12-24", "12-25",
            "12-31"
        ]
    );
    // Independence Day on a Monday.
    assert_eq!(
        closed(Holidays::Helsinki, 2027),
        [
            "01-01", "01-06", "03-26", "03-29", "05-06", "06-25", "12-06", "12-24", "12-31"
        ]
    );
    assert_eq!(
        closed(Holidays::Oslo, 2026),
        [
            "01-01", "04-02", "04-03", "04-06", "05-01", "05-14", "05-25", "12-24", "12-25",
            "12-31"
        ]
    );
    // Whit Monday 2027 is Constitution Day.
    assert_eq!(
        closed(Holidays::Oslo, 2027),
        [
            "01-01", "03-25", "03-26", "03-29", "05-06", "05-17", "12-24", "12-31"
        ]
    );
}

#[test]
fn toronto_closes_as_it_publishes_with_its_days_in_lieu() {
    // Boxing Day on a Saturday: Monday 28 December.
    assert_eq!(
        closed(Holidays::Toronto, 2026),
        [
            "01-01", "02-16", "04-03", "05-18", "07-01", "08-03", "09-07", "10-12", "12-25",
            "12-28"
        ]
    );
    // New Year's Day on a Sunday, Canada Day on a Saturday: the Mondays after.
    assert_eq!(
        closed(Holidays::Toronto, 2023),
        [
            "01-02", "02-20", "04-07", "05-22", "07-03", "08-07", "09-04", "10-09", "12-25",
            "12-26"
        ]
    );
    assert_eq!(
        closed(Holidays::Toronto, 2025),
        [
            "01-01", "02-17", "04-18", "05-19", "07-01", "08-04", "09-01", "10-13", "12-25",
            "12-26"
        ]
    );
    // Christmas 2021 on a Saturday, Boxing Day on a Sunday, New Year's Day 2022 on a
    // Saturday: 27 and 28 December, 3 January.
    assert_eq!(closed(Holidays::Toronto, 2021)[8..], ["12-27", "12-28"]);
    assert_eq!(closed(Holidays::Toronto, 2022)[0], "01-03");
}

#[test]
fn sydney_closes_as_it_publishes_with_its_substitute_days() {
    // Anzac Day on a Saturday is not made up; Boxing Day on a Saturday is, on Monday.
    assert_eq!(
        closed(Holidays::Sydney, 2026),
        [
            "01-01", "01-26", "04-03", "04-06", "06-08", "12-25", "12-28"
        ]
    );
    // Australia Day on a Sunday: Monday 27 January.
    assert_eq!(
        closed(Holidays::Sydney, 2025),
        [
            "01-01", "01-27", "04-18", "04-21", "04-25", "06-09", "12-25", "12-26"
        ]
    );
    // Anzac Day on a Sunday; Christmas on a Saturday, Boxing Day on a Sunday.
    assert_eq!(
        closed(Holidays::Sydney, 2027),
        [
            "01-01", "01-26", "03-26", "03-29", "06-14", "12-27", "12-28"
        ]
    );
    // New Year's Day 2022 on a Saturday, Christmas on a Sunday.
    let y2022 = closed(Holidays::Sydney, 2022);
    assert_eq!(y2022[0], "01-03");
    assert_eq!(y2022[y2022.len() - 2..], ["12-26", "12-27"]);
}

#[test]
fn tokyo_closes_as_jpx_publishes() {
    // Respect for the Aged Day on 21 September and the equinox on the 23rd make the 22nd a
    // holiday; Constitution Day on a Sunday is kept on Wednesday 6 May, after the two
    // holidays that follow it.
    assert_eq!(
        closed(Holidays::Tokyo, 2026),
        [
            "01-01", "01-02", "01-12", "02-11", "02-23", "03-20", "04-29", "05-04", "05-05",
            "05-06", "07-20", "08-11", "09-21", "09-22", "09-23", "10-12", "11-03", "11-23",
            "12-31"
        ]
    );
    // The Emperor's Birthday and Children's Day on Sundays, kept on the Mondays after.
    assert_eq!(
        closed(Holidays::Tokyo, 2025),
        [
            "01-01", "01-02", "01-03", "01-13", "02-11", "02-24", "03-20", "04-29", "05-05",
            "05-06", "07-21", "08-11", "09-15", "09-23", "10-13", "11-03", "11-24", "12-31"
        ]
    );
    // The vernal equinox on Sunday 21 March, kept on the 22nd.
    assert_eq!(
        closed(Holidays::Tokyo, 2027),
        [
            "01-01", "01-11", "02-11", "02-23", "03-22", "04-29", "05-03", "05-04", "05-05",
            "07-19", "08-11", "09-20", "09-23", "10-11", "11-03", "11-23", "12-31"
        ]
    );
    // The enthronement: 1 May and 22 October 2019 holidays, 30 April and 2 May between
    // holidays; no Emperor's Birthday that year.
    assert_eq!(
        closed(Holidays::Tokyo, 2019),
        [
            "01-01", "01-02", "01-03", "01-14", "02-11", "03-21", "04-29", "04-30", "05-01",
            "05-02", "05-03", "05-06", "07-15", "08-12", "09-16", "09-23", "10-14", "10-22",
            "11-04", "12-31"
        ]
    );
    // The Olympics moved Marine Day, Sports Day and Mountain Day (on a Sunday in 2021,
    // kept on the Monday).
    assert_eq!(
        closed(Holidays::Tokyo, 2020)[11..16],
        ["07-23", "07-24", "08-10", "09-21", "09-22"]
    );
    assert_eq!(
        closed(Holidays::Tokyo, 2021)[8..11],
        ["07-22", "07-23", "08-09"]
    );
}

#[test]
fn japanese_equinoxes() {
    for (year, march, september) in [
        (1980, 20, 23),
        (2012, 20, 22),
        (2024, 20, 22),
        (2025, 20, 23),
        (2026, 20, 23),
        (2027, 21, 23),
        (2044, 20, 22),
    ] {
        assert_eq!(equinox(year, 20_843_100), march, "{year}");
        assert_eq!(equinox(year, 23_248_800), september, "{year}");
    }
}

#[test]
fn hong_kong_closes_as_hkex_publishes() {
    // The Buddha's Birthday and Chung Yeung on Sundays, kept on the Mondays after; the day
    // following the Mid-Autumn Festival and the first weekday after Christmas on Saturdays,
    // not made up.
    assert_eq!(
        closed(Holidays::HongKong, 2026),
        [
            "01-01", "02-17", "02-18", "02-19", "04-03", "04-06", "04-07", "05-01", "05-25",
            "06-19", "07-01", "10-01", "10-19", "12-25"
        ]
    );
    // Tuen Ng on Saturday 31 May is not made up.
    assert_eq!(
        closed(Holidays::HongKong, 2025),
        [
            "01-01", "01-29", "01-30", "01-31", "04-04", "04-18", "04-21", "05-01", "05-05",
            "07-01", "10-01", "10-07", "10-29", "12-25", "12-26"
        ]
    );
    // Lunar New Year's Day on a Saturday, its second day on a Sunday: the third and fourth
    // days closed.
    assert_eq!(
        closed(Holidays::HongKong, 2024),
        [
            "01-01", "02-12", "02-13", "03-29", "04-01", "04-04", "05-01", "05-15", "06-10",
            "07-01", "09-18", "10-01", "10-11", "12-25", "12-26"
        ]
    );
    // The same at the Lunar New Year; Labour Day and Christmas on Saturdays, the first
    // weekday after Christmas Monday 27 December.
    assert_eq!(
        closed(Holidays::HongKong, 2027),
        [
            "01-01", "02-08", "02-09", "03-26", "03-29", "04-05", "05-13", "06-09", "07-01",
            "09-16", "10-01", "10-08", "12-27"
        ]
    );
}

#[test]
fn hong_kong_keeps_a_holiday_on_a_sunday_or_on_another_on_the_next_free_day() {
    // Ching Ming on Easter Sunday: its day is Easter Monday, so the Tuesday after; the third
    // day of the Lunar New Year on a Sunday: the fourth; Christmas on a Saturday.
    assert_eq!(
        closed(Holidays::HongKong, 2021),
        [
            "01-01", "02-12", "02-15", "04-02", "04-05", "04-06", "05-19", "06-14", "07-01",
            "09-22", "10-01", "10-14", "12-27"
        ]
    );
    // Labour Day and the Buddha's Birthday on Sundays; the day following the Mid-Autumn
    // Festival on a Sunday, kept on the second day following it; Christmas on a Sunday, after
    // the first weekday following it.
    assert_eq!(
        closed(Holidays::HongKong, 2022),
        [
            "02-01", "02-02", "02-03", "04-05", "04-15", "04-18", "05-02", "05-09", "06-03",
            "07-01", "09-12", "10-04", "12-26", "12-27"
        ]
    );
    // New Year's Day, Lunar New Year's Day and National Day on Sundays.
    assert_eq!(
        closed(Holidays::HongKong, 2023),
        [
            "01-02", "01-23", "01-24", "01-25", "04-05", "04-07", "04-10", "05-01", "05-26",
            "06-22", "10-02", "10-23", "12-25", "12-26"
        ]
    );
    // The day following the Mid-Autumn Festival on 2 October, National Day the day before.
    assert_eq!(
        closed(Holidays::HongKong, 2020)[9..12],
        ["10-01", "10-02", "10-26"]
    );
    // The Buddha's Birthday on a Sunday.
    assert_eq!(closed(Holidays::HongKong, 2019)[8], "05-13");
}

#[test]
fn hong_kong_after_the_gazetted_years_keeps_the_worked_out_days() {
    // 2028: the Lunar New Year from 26 to 28 January, Ching Ming on 4 April, the Buddha's
    // Birthday on 2 May, Tuen Ng on Sunday 28 May (kept on the Monday), the day following the
    // Mid-Autumn Festival on 4 October, Chung Yeung on 26 October; National Day on a Sunday,
    // New Year's Day and HKSAR Establishment Day on Saturdays.
    assert_eq!(
        closed(Holidays::HongKong, 2028),
        [
            "01-26", "01-27", "01-28", "04-04", "04-14", "04-17", "05-01", "05-02", "05-29",
            "10-02", "10-04", "10-26", "12-25", "12-26"
        ]
    );
    // Outside 2000 to 2099 only the holidays that need no Chinese calendar (Labour Day on a
    // Saturday, Christmas on a Saturday).
    assert_eq!(
        closed(Holidays::HongKong, 2100),
        ["01-01", "03-26", "03-29", "07-01", "10-01", "12-27"]
    );
    assert!(Holidays::HongKong.contains(NaiveDate::from_ymd_opt(2018, 12, 26).unwrap()));
}

/// The half days of `year` on which the exchange trades (weekdays that are no holiday).
fn half_days(holidays: Holidays, year: i32) -> Vec<String> {
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let mut out = Vec::new();
    while d.year() == year {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
            && !holidays.contains(d)
            && holidays.half_day(d)
        {
            out.push(d.format("%m-%d").to_string());
        }
        d += Duration::days(1);
    }
    out
}

#[test]
fn new_york_closes_early_as_the_exchanges_publish() {
    // NYSE's lists: 3 July on a Monday (2023), a Wednesday (2024), a Thursday (2025); none
    // when it is Independence Day's Friday (2026) or 4 July a Sunday (2027, 2021), nor when
    // Christmas Eve is Christmas's Friday (2027) or at a weekend (2022, 2023).
    for (year, days) in [
        (2022, &["11-25"][..]),
        (2023, &["07-03", "11-24"]),
        (2024, &["07-03", "11-29", "12-24"]),
        (2025, &["07-03", "11-28", "12-24"]),
        (2026, &["11-27", "12-24"]),
        (2027, &["11-26"]),
        (2021, &["11-26"]),
    ] {
        assert_eq!(half_days(Holidays::Us, year), days, "{year}");
    }
}

#[test]
fn european_exchanges_close_early_as_they_publish() {
    // London: the eves, at a weekend the Friday before (22 and 29 December 2023).
    for (year, days) in [
        (2012, ["12-24", "12-31"]),
        (2022, ["12-23", "12-30"]),
        (2023, ["12-22", "12-29"]),
        (2026, ["12-24", "12-31"]),
        (2027, ["12-24", "12-31"]),
    ] {
        assert_eq!(half_days(Holidays::London, year), days, "{year}");
    }
    // Euronext: the eves when they are weekdays, not moved.
    assert_eq!(half_days(Holidays::Euronext, 2026), ["12-24", "12-31"]);
    assert!(half_days(Holidays::Euronext, 2022).is_empty());
    // BME: as Euronext until 2020 and again from 2024; from 2021 to 2023 the eves were
    // closed, not short (weekdays in 2021 only).
    for year in [2019, 2020, 2024, 2025] {
        assert_eq!(
            half_days(Holidays::Madrid, year),
            ["12-24", "12-31"],
            "{year}"
        );
    }
    for year in 2021..=2023 {
        assert!(half_days(Holidays::Madrid, year).is_empty(), "{year}");
    }
    // Xetra: the last trading day of the year (Friday 28 December 2012, Wednesday 30 December
    // 2020, Friday 29 December 2023).
    for (year, day) in [
        (2012, "12-28"),
        (2020, "12-30"),
        (2023, "12-29"),
        (2026, "12-30"),
    ] {
        assert_eq!(half_days(Holidays::Xetra, year), [day], "{year}");
    }
    // Stockholm: the eves of Epiphany, Labour Day, Ascension and All Saints, and Maundy
    // Thursday.
    assert_eq!(
        half_days(Holidays::Stockholm, 2024),
        ["01-05", "03-28", "04-30", "05-08", "11-01"]
    );
    assert_eq!(
        half_days(Holidays::Stockholm, 2026),
        ["01-05", "04-02", "04-30", "05-13", "10-30"]
    );
    // 5 January 2025 a Sunday.
    assert_eq!(
        half_days(Holidays::Stockholm, 2025),
        ["04-17", "04-30", "05-28", "10-31"]
    );
    // Oslo: the Wednesday before Easter.
    assert_eq!(half_days(Holidays::Oslo, 2024), ["03-27"]);
    assert_eq!(half_days(Holidays::Oslo, 2026), ["04-01"]);
    // Vienna: the last trading day of the year from 2017, the last weekday before New Year's
    // Eve (which is closed), as Wiener Börse and the reports of each year's last session have
    // it.
    for (year, day) in [
        (2017, "12-29"),
        (2018, "12-28"),
        (2019, "12-30"),
        (2020, "12-30"),
        (2021, "12-30"),
        (2022, "12-30"),
        (2023, "12-29"),
        (2024, "12-30"),
        (2025, "12-30"),
        (2026, "12-30"),
    ] {
        assert_eq!(half_days(Holidays::Vienna, year), [day], "{year}");
    }
    assert!(half_days(Holidays::Vienna, 2016).is_empty());
    for holidays in [
        Holidays::Six,
        Holidays::Milan,
        Holidays::Copenhagen,
        Holidays::Helsinki,
    ] {
        assert!(half_days(holidays, 2026).is_empty(), "{holidays:?}");
    }
}

#[test]
fn toronto_sydney_hong_kong_and_tokyo_close_early_as_they_publish() {
    assert_eq!(half_days(Holidays::Toronto, 2026), ["12-24"]);
    assert!(half_days(Holidays::Toronto, 2022).is_empty());
    // Sydney: the last weekdays before Christmas and of the year; 2022 traded in full.
    assert_eq!(half_days(Holidays::Sydney, 2025), ["12-24", "12-31"]);
    assert_eq!(half_days(Holidays::Sydney, 2023), ["12-22", "12-29"]);
    assert!(half_days(Holidays::Sydney, 2022).is_empty());
    // Hong Kong: the eves of the Lunar New Year, Christmas and the New Year, not moved from a
    // weekend (none in 2023).
    assert_eq!(
        half_days(Holidays::HongKong, 2021),
        ["02-11", "12-24", "12-31"]
    );
    assert_eq!(
        half_days(Holidays::HongKong, 2024),
        ["02-09", "12-24", "12-31"]
    );
    assert_eq!(
        half_days(Holidays::HongKong, 2025),
        ["01-28", "12-24", "12-31"]
    );
    assert_eq!(
        half_days(Holidays::HongKong, 2026),
        ["02-16", "12-24", "12-31"]
    );
    assert!(half_days(Holidays::HongKong, 2023).is_empty());
    // After the gazetted years the eve of the Lunar New Year is worked out (13 February 2029).
    assert_eq!(
        half_days(Holidays::HongKong, 2029),
        ["02-12", "12-24", "12-31"]
    );
    assert_eq!(half_days(Holidays::HongKong, 2100), ["12-24", "12-31"]);
    assert!(half_days(Holidays::Tokyo, 2026).is_empty());
}
