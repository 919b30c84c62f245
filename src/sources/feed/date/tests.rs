use super::*;

/// `text` read, as RFC 3339 in UTC.
fn read(text: &str) -> Option<String> {
    parse(text).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn reads(cases: &[(&str, &str)]) {
    for (text, want) in cases {
        assert_eq!(read(text).as_deref(), Some(*want), "{text:?}");
    }
}

#[test]
fn well_formed_dates_read_as_feed_rs_read_them() {
    reads(&[
        ("Tue, 03 Feb 2026 06:32:00 GMT", "2026-02-03T06:32:00Z"),
        ("Tue, 03 Feb 2026 07:32:00 +0100", "2026-02-03T06:32:00Z"),
        ("Tue, 3 Feb 2026 01:32:00 EST", "2026-02-03T06:32:00Z"),
        ("2026-02-04T16:31:07-05:00", "2026-02-04T21:31:07Z"),
        ("2026-02-03T06:32:00.123Z", "2026-02-03T06:32:00Z"),
        ("  2026-02-03T07:32:00+01:00\n", "2026-02-03T06:32:00Z"),
    ]);
}

#[test]
fn sloppy_dates_feed_rs_mended_still_read() {
    reads(&[
        // A wrong weekday, a long one, UTC, -0000, a long month, month before day.
        ("Wed, 03 Feb 2026 06:32:00 GMT", "2026-02-03T06:32:00Z"),
        ("Tuesday, 03 Feb 2026 06:32:00 GMT", "2026-02-03T06:32:00Z"),
        ("Thurs, 05 Feb 2026 06:32:00 UTC", "2026-02-05T06:32:00Z"),
        ("Tue, 03 Feb 2026 06:32:00 -0000", "2026-02-03T06:32:00Z"),
        ("Tue, 03 February 2026 06:32:00 GMT", "2026-02-03T06:32:00Z"),
        ("Sat, Dec 16 2023 02:02:33 PM EST", "2023-12-16T19:02:33Z"),
        ("Tue, 03 Feb 2026 24:15:00 GMT", "2026-02-03T00:15:00Z"),
        ("Tue, 03 Feb 2026 6:32:00 GMT", "2026-02-03T06:32:00Z"),
        ("Tue, 15 Nov 2022 20:15:04 Z", "2022-11-15T20:15:04Z"),
        ("Fri, Oct 7 2022 10:15:00 -0400", "2022-10-07T14:15:00Z"),
        ("26 August 2019 10:00:00 +0000", "2019-08-26T10:00:00Z"),
        ("24 Sep 2013 1:27 PDT", "2013-09-24T08:27:00Z"),
        ("5 Jun 2017 24:05 PDT", "2017-06-05T07:05:00Z"),
        // A weekday in another language.
        ("mer, 16 nov 2022 00:38:15 +0100", "2022-11-15T23:38:15Z"),
        // RFC 3339 with a colonless offset, or a date alone.
        ("2026-02-03T07:32:00+0100", "2026-02-03T06:32:00Z"),
        ("2026-02-03", "2026-02-03T00:00:00Z"),
    ]);
}

#[test]
fn german_rfc_822_like_dates_read() {
    reads(&[
        ("Di, 03 Feb 2026 07:32:00 +0100", "2026-02-03T06:32:00Z"),
        ("Mo, 02 Mär 2026 17:05:00 MEZ", "2026-03-02T16:05:00Z"),
        ("Mi, 4 Mrz 2026 08:00:00 GMT", "2026-03-04T08:00:00Z"),
        ("Do, 05 Dez 2026 14:00:00 +0100", "2026-12-05T13:00:00Z"),
        ("Fr, 17 Okt 2025 09:15:00 MESZ", "2025-10-17T07:15:00Z"),
        ("Di., 03. Feb. 2026 07:32:00 +01:00", "2026-02-03T06:32:00Z"),
        ("Mo, 02 Maerz 2026 17:05:00 CET", "2026-03-02T16:05:00Z"),
        ("Mo, 02 MÄRZ 2026 17:05:00 CET", "2026-03-02T16:05:00Z"),
        ("So, 31 Mai 2026 12:00:00 CEST", "2026-05-31T10:00:00Z"),
        ("Sa, 13 Juni 2026 12:00:00 UT", "2026-06-13T12:00:00Z"),
        ("Mi, 15 Jul 2026 12:00:00 Z", "2026-07-15T12:00:00Z"),
        (
            "Mittwoch, 15 Juli 2026 12:00:00 +0200",
            "2026-07-15T10:00:00Z",
        ),
        ("Mo, 19 Jänner 2026 12:00:00 MEZ", "2026-01-19T11:00:00Z"),
    ]);
}

#[test]
fn german_orders_read_and_without_a_zone_are_berlin_time() {
    reads(&[
        ("03.02.2026 07:32", "2026-02-03T06:32:00Z"),
        ("03.02.26 07:32", "2026-02-03T06:32:00Z"),
        ("3. Februar 2026, 07:32 Uhr", "2026-02-03T06:32:00Z"),
        ("03. Februar 2026", "2026-02-02T23:00:00Z"),
        (
            "Dienstag, den 3. Februar 2026 um 07:32 Uhr",
            "2026-02-03T06:32:00Z",
        ),
        ("am 17. Oktober 2025, 09:15", "2025-10-17T07:15:00Z"),
        ("17.10.2025 - 09:15 Uhr", "2025-10-17T07:15:00Z"),
        ("17.10.2025 – 17.05 Uhr", "2025-10-17T15:05:00Z"),
        ("Fr, 17 Okt 2025 09:15:00", "2025-10-17T07:15:00Z"),
        ("03.02.2026 07:32 MEZ", "2026-02-03T06:32:00Z"),
        // Skipped when the clocks went forward: an hour later; the hour that repeats
        // when they go back: its first time.
        ("29.03.2026 02:30", "2026-03-29T01:30:00Z"),
        ("25.10.2026 02:30", "2026-10-25T00:30:00Z"),
    ]);
}

#[test]
fn sloppy_english_dates_read_and_without_a_zone_are_utc() {
    reads(&[
        ("February 3, 2026 at 7:32 PM EST", "2026-02-04T00:32:00Z"),
        ("Feb 3rd, 2026 12:05 AM", "2026-02-03T00:05:00Z"),
        ("03 Feb 26 07:32 GMT", "2026-02-03T07:32:00Z"),
        ("03 Feb 2026 07:32", "2026-02-03T07:32:00Z"),
        ("Tue, 03 Feb 2026 07:32:00 PDT", "2026-02-03T14:32:00Z"),
        ("Tue, 03 Feb 2026 07:32:00 BST", "2026-02-03T06:32:00Z"),
        ("Tue, 03 Feb 2026 07:32:00 GMT+1", "2026-02-03T06:32:00Z"),
        (
            "Tue, 03 Feb 2026 07:32:00 +0100 (CET)",
            "2026-02-03T06:32:00Z",
        ),
        (
            "Tue, 03 Feb 2026 07:32:00 UTC-05:00",
            "2026-02-03T12:32:00Z",
        ),
        ("2026-02-03 07:32:00 +0100", "2026-02-03T06:32:00Z"),
        ("2026-02-03T07:32:00", "2026-02-03T07:32:00Z"),
        ("2026/02/03 07:32", "2026-02-03T07:32:00Z"),
        ("Sept 30 2026\u{a0}23:59:59 GMT", "2026-09-30T23:59:59Z"),
    ]);
}

#[test]
fn unreadable_and_hostile_dates_are_none() {
    let huge = format!("Di, 03 Feb 2026 07:32:00 +0100{}", " x".repeat(1_000_000));
    let many_numbers = "1 ".repeat(100_000);
    let long_word = format!("03 {} 2026", "Februar".repeat(10_000));
    for text in [
        "",
        "   ",
        "gestern",
        "heute, 07:32",
        "Februar 2026",
        "03 Feb",
        "99 Feb 2026 07:32 GMT",
        "31.02.2026",
        "00.02.2026",
        "03.13.2026",
        "03 Feb 2026 25:00 GMT",
        "03 Feb 2026 07:60 GMT",
        "03 Feb 2026 07:32:61 GMT",
        "03 Feb 2026 13:00 PM",
        "03 Feb 2026 PM",
        "03 Feb 0000 07:32 GMT",
        "Mon, 01 Jan 0001 00:00:00 UTC",
        "03 Feb 99999 07:32 GMT",
        "0000-02-03T07:32:00Z",
        "03 Feb 1969 07:32 GMT",
        "03 Feb 2026 07:32 +2500",
        "03 Feb 2026 07:32 +0199",
        "03 Feb 2026 07:32 +01234",
        "03 Feb 2026 07:32 XYZ",
        "03 Feb 2026 07:32 GMT MEZ",
        "03 Feb 2026 07:32 +0100 +0200",
        "03 Feb März 2026",
        "03 Feb 2026 2027",
        "03/02/2026",
        "03-02-2026",
        "03 Feb 2026 07:32 🚀",
        "03 Фев 2026",
        "03 Feb 2026 07:32 ٠١",
        "4294967296 Feb 2026",
        "03 Feb 2026 99999999999999999999:00",
        ":::...---+++///",
        "+",
        "03 Feb 2026 07:32 +",
        "1770000000",
        &huge,
        &many_numbers,
        &long_word,
    ] {
        assert_eq!(read(text), None, "{:?}", text.get(..60).unwrap_or(text));
    }
}

#[test]
fn german_am_after_a_time_is_not_a_meridiem() {
    // "12:30 Uhr am 03.02.2026" is half past noon on that day (German "am" = "on the"),
    // not half past midnight; an afternoon time before "am" is no less readable.
    reads(&[
        ("12:30 Uhr am 03.02.2026", "2026-02-03T11:30:00Z"),
        ("12:05 Uhr am 3. Februar 2026", "2026-02-03T11:05:00Z"),
        ("17:05 Uhr am 3. Februar 2026", "2026-02-03T16:05:00Z"),
    ]);
}

#[test]
fn a_time_range_is_not_read_as_an_offset() {
    // The second time of a range is no UTC offset: its start (or nothing) is the date, not
    // a time 11 or 12 hours later.
    for (text, start) in [
        ("03.02.2026 10:00 - 11:30 Uhr", "2026-02-03T09:00:00Z"),
        ("03.02.2026, 10:00 - 12:00 Uhr", "2026-02-03T09:00:00Z"),
        ("Feb 3, 2026 10:00 - 11:30", "2026-02-03T10:00:00Z"),
    ] {
        let got = read(text);
        assert!(
            got.is_none() || got.as_deref() == Some(start),
            "{text:?} read as {got:?}"
        );
    }
}

#[test]
fn mar_with_its_umlaut_is_a_german_month_name() {
    // `Mär` is German only (the English abbreviation is `Mar`): a date naming it without a
    // zone is Berlin time, as `März` and `Okt` are.
    reads(&[
        ("03 März 2026 17:05", "2026-03-03T16:05:00Z"),
        ("03 Mär 2026 17:05", "2026-03-03T16:05:00Z"),
        ("03 Mär. 2026 17:05", "2026-03-03T16:05:00Z"),
    ]);
}

#[test]
fn the_unix_epoch_is_no_date_in_any_zone() {
    // A zero timestamp written out (a publishing system's "no date") is the item's fetch
    // time, as Finnhub's `datetime: 0` is: read as 1970 it was too old for every rule.
    for text in [
        "Thu, 01 Jan 1970 00:00:00 +0000",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "1970-01-01T00:00:00Z",
        "1970-01-01T01:00:00+01:00",
        "Wed, 31 Dec 1969 19:00:00 EST",
        "Wed, 31 Dec 1969 16:00:00 -0800",
        "01.01.1970 01:00",
    ] {
        assert_eq!(read(text), None, "{text:?}");
    }
    // The day after is a date (a feed's archive may reach back that far).
    reads(&[("02 Jan 1970 00:00 GMT", "1970-01-02T00:00:00Z")]);
}
