//! Japan's national holidays, as the Tokyo Stock Exchange closes on them: the fixed days, the
//! Mondays, the equinoxes by the astronomical formula, a holiday on a Sunday kept on the next
//! free day, a day between two holidays, and the special years 2019–2021.

use chrono::{Datelike, NaiveDate, Weekday};

use super::nth_weekday;

/// Whether Japan keeps a national holiday on `date`, in its place or between two.
pub(super) fn closed(date: NaiveDate) -> bool {
    holiday(date) || substitute(date) || between_holidays(date)
}

/// Whether `date` is one of Japan's national holidays (weekend or not; days kept in place of
/// one are not).
fn holiday(date: NaiveDate) -> bool {
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
pub(super) fn equinox(year: i32, base: i64) -> i64 {
    let n = i64::from(year) - 1980;
    (base + 242_194 * n).div_euclid(1_000_000) - n.div_euclid(4)
}

/// Whether `date` is kept in place of a Japanese holiday that fell on a Sunday: the first day
/// after it that is no holiday (the holidays between included, as on 6 May when 3 May is a
/// Sunday).
fn substitute(date: NaiveDate) -> bool {
    let mut day = date;
    while let Some(before) = day.pred_opt() {
        if !holiday(before) {
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
fn between_holidays(date: NaiveDate) -> bool {
    date.pred_opt().is_some_and(holiday) && date.succ_opt().is_some_and(holiday)
}
