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
//! - **Euronext** (Paris, Amsterdam, Brussels, Lisbon) and **BME** (Madrid): New Year's Day,
//!   Good Friday, Easter Monday, Labour Day, Christmas, Boxing Day.
//! - **Borsa Italiana**: New Year's Day, Good Friday, Easter Monday, Labour Day, Ferragosto
//!   (15 August), Christmas Eve, Christmas, St Stephen's Day, New Year's Eve.
//! - **Wiener Börse**: New Year's Day, Good Friday, Easter Monday, Labour Day, the National Day
//!   (26 October), Christmas Eve, Christmas, St Stephen's Day, New Year's Eve; Whit Monday until
//!   2022. The other Austrian holidays trade.
//! - **Nasdaq Stockholm**: New Year's Day, Epiphany, Good Friday, Easter Monday, Labour Day,
//!   Ascension, the National Day (6 June), Midsummer Eve (the Friday from 19 to 25 June),
//!   Christmas Eve, Christmas, Boxing Day, New Year's Eve.
//! - **Nasdaq Copenhagen**: New Year's Day, Maundy Thursday, Good Friday, Easter Monday,
//!   Ascension and the Friday after it, Whit Monday, Constitution Day (5 June), Christmas Eve,
//!   Christmas, Boxing Day, New Year's Eve; Great Prayer Day (the fourth Friday after Easter)
//!   until 2023.
//! - **Nasdaq Helsinki**: New Year's Day, Epiphany, Good Friday, Easter Monday, May Day,
//!   Ascension, Midsummer Eve, Independence Day (6 December), Christmas Eve, Christmas, Boxing
//!   Day, New Year's Eve.
//! - **Oslo Børs**: New Year's Day, Maundy Thursday, Good Friday, Easter Monday, Labour Day,
//!   Constitution Day (17 May), Ascension, Whit Monday, Christmas Eve, Christmas, Boxing Day,
//!   New Year's Eve.
//! - **TSX**: New Year's Day, Family Day (third Monday of February), Good Friday, Victoria Day
//!   (the Monday from 18 to 24 May), Canada Day, the Civic Holiday (first Monday of August),
//!   Labour Day (first Monday of September), Thanksgiving (second Monday of October),
//!   Christmas, Boxing Day. New Year's Day, Christmas and Boxing Day at a weekend move as in
//!   London, Canada Day to the Monday after.
//! - **ASX**: New Year's Day, Australia Day (26 January; at a weekend the Monday after), Good
//!   Friday, Easter Monday, Anzac Day (25 April, not moved), the King's Birthday (second Monday
//!   of June), Christmas, Boxing Day. New Year's Day, Christmas and Boxing Day at a weekend
//!   move as in London.
//! - **JPX** (Tokyo): 1 to 3 January, 31 December and Japan's national holidays: New Year's
//!   Day, Coming of Age Day (second Monday of January), National Foundation Day (11 February),
//!   the Emperor's Birthday (23 February; 23 December until 2018), the vernal and autumnal
//!   equinoxes (by the standard approximation, right from 1980 to 2099), Showa Day (29
//!   April), 3 to 5 May, Marine Day (third Monday of July), Mountain Day (11 August, from
//!   2016), Respect for the Aged Day (third Monday of September), Sports Day (second Monday of
//!   October), Culture Day (3 November), Labour Thanksgiving Day (23 November). A holiday on a
//!   Sunday is kept on the next day that is no holiday, and a day between two holidays is one
//!   too. The holidays of the enthronement (2019) and those moved for the Olympics (2020,
//!   2021) are known.
//!
//! Other exchanges (Hong Kong: its holidays follow the Chinese lunar calendar) trade every
//! weekday here.

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
    /// BME, the Spanish exchanges: Euronext's days.
    Madrid,
    /// Borsa Italiana.
    Milan,
    /// Wiener Börse.
    Vienna,
    /// Nasdaq Stockholm.
    Stockholm,
    /// Nasdaq Copenhagen.
    Copenhagen,
    /// Nasdaq Helsinki.
    Helsinki,
    /// Oslo Børs.
    Oslo,
    /// The Toronto Stock Exchange and TSX Venture.
    Toronto,
    /// The Australian Securities Exchange.
    Sydney,
    /// Japan Exchange Group (the Tokyo Stock Exchange).
    Tokyo,
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
        // Christmas Eve, Christmas, Boxing Day and New Year's Eve.
        let year_end = matches!((m, d), (12, 24) | (12, 25) | (12, 26) | (12, 31));
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
                    || new_year_and_christmas(date)
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
            Holidays::Euronext | Holidays::Madrid => {
                good_friday_or_easter_monday
                    || matches!((m, d), (1, 1) | (5, 1) | (12, 25) | (12, 26))
            }
            Holidays::Milan => {
                good_friday_or_easter_monday
                    || year_end
                    || matches!((m, d), (1, 1) | (5, 1) | (8, 15))
            }
            Holidays::Vienna => {
                good_friday_or_easter_monday
                    || year_end
                    || matches!((m, d), (1, 1) | (5, 1) | (10, 26))
                    || (y < 2023 && from_easter == Some(50))
            }
            Holidays::Stockholm => {
                matches!(from_easter, Some(-2 | 1 | 39))
                    || year_end
                    || matches!((m, d), (1, 1) | (1, 6) | (5, 1) | (6, 6))
                    || midsummer_eve(date)
            }
            Holidays::Copenhagen => {
                matches!(from_easter, Some(-3 | -2 | 1 | 39 | 40 | 50))
                    || (y < 2024 && from_easter == Some(26))
                    || year_end
                    || matches!((m, d), (1, 1) | (6, 5))
            }
            Holidays::Helsinki => {
                matches!(from_easter, Some(-2 | 1 | 39))
                    || year_end
                    || matches!((m, d), (1, 1) | (1, 6) | (5, 1) | (12, 6))
                    || midsummer_eve(date)
            }
            Holidays::Oslo => {
                matches!(from_easter, Some(-3 | -2 | 1 | 39 | 50))
                    || year_end
                    || matches!((m, d), (1, 1) | (5, 1) | (5, 17))
            }
            Holidays::Toronto => {
                new_year_and_christmas(date)
                    || nth_weekday(date, 2, Weekday::Mon, 3)
                    || from_easter == Some(-2)
                    || (m == 5 && (18..=24).contains(&d) && date.weekday() == Weekday::Mon)
                    || fixed_or_monday(date, 7, 1)
                    || nth_weekday(date, 8, Weekday::Mon, 1)
                    || nth_weekday(date, 9, Weekday::Mon, 1)
                    || nth_weekday(date, 10, Weekday::Mon, 2)
            }
            Holidays::Sydney => {
                new_year_and_christmas(date)
                    || fixed_or_monday(date, 1, 26)
                    || good_friday_or_easter_monday
                    || (m, d) == (4, 25)
                    || nth_weekday(date, 6, Weekday::Mon, 2)
            }
            Holidays::Tokyo => {
                matches!((m, d), (1, 2) | (1, 3) | (12, 31))
                    || japan_holiday(date)
                    || japan_substitute(date)
                    || japan_between_holidays(date)
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

/// Whether `date` is the day `date`'s year keeps a holiday on `month`/`day` that is moved to
/// the Monday after when it falls at a weekend.
fn fixed_or_monday(date: NaiveDate, month: u32, day: u32) -> bool {
    let Some(mut holiday) = NaiveDate::from_ymd_opt(date.year(), month, day) else {
        return false;
    };
    while matches!(holiday.weekday(), Weekday::Sat | Weekday::Sun) {
        holiday += Duration::days(1);
    }
    holiday == date
}

/// New Year's Day, Christmas and Boxing Day as England, Canada and Australia keep them: each
/// at a weekend moved to the next weekday the others leave free.
fn new_year_and_christmas(date: NaiveDate) -> bool {
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

/// Whether `date` is Midsummer Eve, the Friday from 19 to 25 June.
fn midsummer_eve(date: NaiveDate) -> bool {
    date.month() == 6 && (19..=25).contains(&date.day()) && date.weekday() == Weekday::Fri
}

/// Whether `date` is one of Japan's national holidays (weekend or not; days kept in place of
/// one are not).
fn japan_holiday(date: NaiveDate) -> bool {
    let (y, d) = (date.year(), date.day());
    let monday = |month, n| nth_weekday(date, month, Weekday::Mon, n);
    match date.month() {
        1 => d == 1 || monday(1, 2),
        2 => d == 11 || (y >= 2020 && d == 23),
        3 => i64::from(d) == equinox(y, 20_843_100),
        4 => d == 29,
        // The new Emperor's accession, 1 May 2019.
        5 => (3..=5).contains(&d) || (y == 2019 && d == 1),
        // Marine Day and Sports Day moved to the Olympics' opening in 2020 and 2021, Mountain
        // Day (from 2016) to its closing.
        7 => match y {
            2020 => matches!(d, 23 | 24),
            2021 => matches!(d, 22 | 23),
            _ => monday(7, 3),
        },
        8 => match y {
            ..=2015 => false,
            2020 => d == 10,
            2021 => d == 8,
            _ => d == 11,
        },
        9 => monday(9, 3) || i64::from(d) == equinox(y, 23_248_800),
        // The enthronement ceremony, 22 October 2019.
        10 => (monday(10, 2) && !matches!(y, 2020 | 2021)) || (y == 2019 && d == 22),
        11 => matches!(d, 3 | 23),
        12 => y <= 2018 && d == 23,
        _ => false,
    }
}

/// The day of its month of a Japanese equinox holiday in `year`: `base` millionths of a day
/// (20.8431 for March, 23.2488 for September), later by 0.242194 of a day each year since 1980
/// and earlier by one each leap year. Right from 1980 to 2099.
fn equinox(year: i32, base: i64) -> i64 {
    let n = i64::from(year) - 1980;
    (base + 242_194 * n).div_euclid(1_000_000) - n.div_euclid(4)
}

/// Whether `date` is kept in place of a Japanese holiday that fell on a Sunday: the first day
/// after it that is no holiday (the holidays between included, as on 6 May when 3 May is a
/// Sunday).
fn japan_substitute(date: NaiveDate) -> bool {
    let mut day = date;
    while let Some(before) = day.pred_opt() {
        if !japan_holiday(before) {
            return false;
        }
        if before.weekday() == Weekday::Sun {
            return true;
        }
        day = before;
    }
    false
}

/// Whether `date` lies between two Japanese holidays, which makes it one (22 September when
/// the 21st is Respect for the Aged Day and the 23rd the equinox).
fn japan_between_holidays(date: NaiveDate) -> bool {
    date.pred_opt().is_some_and(japan_holiday) && date.succ_opt().is_some_and(japan_holiday)
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
}
