//! Exchange holidays: the days an exchange is closed although they are weekdays, worked out by
//! each exchange's rules (fixed dates, weekdays of a month, Easter) so that the calendar never
//! runs out. Half days (Christmas Eve in New York, say) are trading days with the usual hours.
//!
//! - **NYSE and Nasdaq**: New Year's Day, Martin Luther King Jr. Day, Washington's Birthday,
//!   Good Friday, Memorial Day, Juneteenth (from 2022), Independence Day, Labor Day,
//!   Thanksgiving, Christmas. A holiday on a Saturday is kept on the Friday before, on a Sunday
//!   on the Monday after — except New Year's Day on a Saturday, which is not kept at all (the
//!   Friday before closes a year). And the day of mourning for President Carter, 9 January
//!   2025.
//! - **Xetra and the German floors**: New Year's Day, Good Friday, Easter Monday, Labour Day,
//!   Christmas Eve, Christmas, Boxing Day, New Year's Eve.
//! - **London**: England's bank holidays (New Year's Day, Good Friday, Easter Monday, the first
//!   and last Mondays of May, the last Monday of August, Christmas, Boxing Day, those at a
//!   weekend on the next weekdays). Bank holidays moved for a royal occasion are not known.
//! - **SIX**: New Year's Day, Berchtoldstag (2 January), Good Friday, Easter Monday, Labour
//!   Day, Ascension, Whit Monday, the National Day (1 August), Christmas Eve, Christmas,
//!   St Stephen's Day, New Year's Eve.
//! - **Euronext** (Paris, Amsterdam, Brussels, Lisbon): New Year's Day, Good Friday, Easter
//!   Monday, Labour Day, Christmas, Boxing Day.
//!
//! Other exchanges trade every weekday here.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Which rules an exchange closes by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holidays {
    /// NYSE and Nasdaq.
    Us,
    /// Xetra and the German floors.
    Xetra,
    /// The London Stock Exchange.
    London,
    /// SIX Swiss Exchange.
    Six,
    /// Euronext's harmonised calendar.
    Euronext,
    /// None known: every weekday trades.
    None,
}

impl Holidays {
    /// Whether the exchange is closed on weekday `date` for a holiday.
    pub fn contains(self, date: NaiveDate) -> bool {
        if self == Holidays::None {
            return false;
        }
        let (y, m, d) = (date.year(), date.month(), date.day());
        let easter = easter_sunday(y);
        let from_easter = easter.map(|e| (date - e).num_days());
        let good_friday_or_easter_monday = matches!(from_easter, Some(-2 | 1));
        match self {
            Holidays::None => false,
            Holidays::Us => {
                // New Year's Day on a Saturday would be kept on 31 December of the year before,
                // which `fixed_us` never looks at: not kept at all, as the NYSE has it.
                fixed_us(date, 1, 1)
                    || nth_weekday(date, 1, Weekday::Mon, 3)
                    || nth_weekday(date, 2, Weekday::Mon, 3)
                    || from_easter == Some(-2)
                    || last_weekday(date, 5, Weekday::Mon)
                    || (y >= 2022 && fixed_us(date, 6, 19))
                    || fixed_us(date, 7, 4)
                    || nth_weekday(date, 9, Weekday::Mon, 1)
                    || nth_weekday(date, 11, Weekday::Thu, 4)
                    || fixed_us(date, 12, 25)
                    || date == NaiveDate::from_ymd_opt(2025, 1, 9).expect("a date")
            }
            Holidays::Xetra => {
                good_friday_or_easter_monday
                    || matches!(
                        (m, d),
                        (1, 1) | (5, 1) | (12, 24) | (12, 25) | (12, 26) | (12, 31)
                    )
            }
            Holidays::London => {
                good_friday_or_easter_monday
                    || nth_weekday(date, 5, Weekday::Mon, 1)
                    || last_weekday(date, 5, Weekday::Mon)
                    || last_weekday(date, 8, Weekday::Mon)
                    || substitute_uk(date)
            }
            Holidays::Six => {
                matches!(from_easter, Some(-2 | 1 | 39 | 50))
                    || matches!(
                        (m, d),
                        (1, 1)
                            | (1, 2)
                            | (5, 1)
                            | (8, 1)
                            | (12, 24)
                            | (12, 25)
                            | (12, 26)
                            | (12, 31)
                    )
            }
            Holidays::Euronext => {
                good_friday_or_easter_monday
                    || matches!((m, d), (1, 1) | (5, 1) | (12, 25) | (12, 26))
            }
        }
    }
}

/// Whether `date` is the day `date`'s year keeps its US holiday on `month`/`day`: the Friday
/// before when it falls on a Saturday, the Monday after when on a Sunday.
fn fixed_us(date: NaiveDate, month: u32, day: u32) -> bool {
    let Some(holiday) = NaiveDate::from_ymd_opt(date.year(), month, day) else {
        return false;
    };
    let kept = match holiday.weekday() {
        Weekday::Sat => holiday - Duration::days(1),
        Weekday::Sun => holiday + Duration::days(1),
        _ => holiday,
    };
    kept == date
}

/// England's New Year's Day, Christmas and Boxing Day, each at a weekend moved to the next
/// weekday the others leave free.
fn substitute_uk(date: NaiveDate) -> bool {
    let year = date.year();
    let mut taken = [None; 3];
    for (slot, (month, day)) in [(1, 1), (12, 25), (12, 26)].into_iter().enumerate() {
        let Some(mut d) = NaiveDate::from_ymd_opt(year, month, day) else {
            continue;
        };
        while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) || taken.contains(&Some(d)) {
            d += Duration::days(1);
        }
        taken[slot] = Some(d);
    }
    taken.contains(&Some(date))
}

/// Whether `date` is the `n`th `weekday` of `month`.
fn nth_weekday(date: NaiveDate, month: u32, weekday: Weekday, n: u32) -> bool {
    date.month() == month && date.weekday() == weekday && (date.day() - 1) / 7 + 1 == n
}

/// Whether `date` is the last `weekday` of `month`.
fn last_weekday(date: NaiveDate, month: u32, weekday: Weekday) -> bool {
    date.month() == month
        && date.weekday() == weekday
        && (date + Duration::days(7)).month() != month
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous algorithm of 1876).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
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
        assert!(closed(Holidays::None, 2026).is_empty());
    }
}
