//! Hong Kong's general holidays, as the Hong Kong Stock Exchange closes on them: the fixed
//! days, Easter, and the days of the Chinese calendar from a table of the years Hong Kong has
//! gazetted; a holiday on a Sunday, or on the day of another holiday, kept on the next day that
//! is neither.
//!
//! The table holds, for 2019 to 2027, the dates of Lunar New Year's Day, Ching Ming (a solar
//! term), the Buddha's Birthday, Tuen Ng, the Mid-Autumn Festival and Chung Yeung. They are
//! those of the lists of general holidays the Hong Kong Government gazetted for each year
//! (2027's as reports of the list gazetted in 2026 give it; the Government's own copy was not
//! at hand), and the same as the lunisolar tables of the `exchange_calendars` and
//! `pandas_market_calendars` projects. 2027 is the last year gazetted: add a row a year. In
//! other years only the holidays that need no Chinese calendar are known: by the rule below
//! those are never put on a day Hong Kong trades, only some of the days it closes are missed.

use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::easter_sunday;

/// The dates of one year's holidays that follow the Chinese calendar, as (month, day).
struct Lunar {
    year: i32,
    /// The first day of the first month; the second and third days are holidays too.
    new_year: (u32, u32),
    /// The solar term Qingming, 4 or 5 April.
    ching_ming: (u32, u32),
    /// The eighth day of the fourth month.
    buddha: (u32, u32),
    /// The fifth day of the fifth month (the Dragon Boat Festival).
    tuen_ng: (u32, u32),
    /// The fifteenth day of the eighth month: the holiday is the day after it.
    mid_autumn: (u32, u32),
    /// The ninth day of the ninth month.
    chung_yeung: (u32, u32),
}

const fn lunar(
    year: i32,
    new_year: (u32, u32),
    ching_ming: (u32, u32),
    buddha: (u32, u32),
    tuen_ng: (u32, u32),
    mid_autumn: (u32, u32),
    chung_yeung: (u32, u32),
) -> Lunar {
    Lunar {
        year,
        new_year,
        ching_ming,
        buddha,
        tuen_ng,
        mid_autumn,
        chung_yeung,
    }
}

/// Lunar New Year's Day, Ching Ming, the Buddha's Birthday, Tuen Ng, the Mid-Autumn Festival
/// and Chung Yeung of each year known.
const LUNAR: [Lunar; 9] = [
    lunar(2019, (2, 5), (4, 5), (5, 12), (6, 7), (9, 13), (10, 7)),
    lunar(2020, (1, 25), (4, 4), (4, 30), (6, 25), (10, 1), (10, 25)),
    lunar(2021, (2, 12), (4, 4), (5, 19), (6, 14), (9, 21), (10, 14)),
    lunar(2022, (2, 1), (4, 5), (5, 8), (6, 3), (9, 10), (10, 4)),
    lunar(2023, (1, 22), (4, 5), (5, 26), (6, 22), (9, 29), (10, 23)),
    lunar(2024, (2, 10), (4, 4), (5, 15), (6, 10), (9, 17), (10, 11)),
    lunar(2025, (1, 29), (4, 4), (5, 5), (5, 31), (10, 6), (10, 29)),
    lunar(2026, (2, 17), (4, 5), (5, 24), (6, 19), (9, 25), (10, 18)),
    lunar(2027, (2, 6), (4, 5), (5, 13), (6, 9), (9, 15), (10, 8)),
];

/// Whether Hong Kong keeps a general holiday on `date`, in its place or in place of another.
pub(super) fn closed(date: NaiveDate) -> bool {
    // Every bar of a `.HK` symbol asks: the years of the table are worked out once.
    static TABLED: LazyLock<Vec<(i32, Vec<NaiveDate>)>> =
        LazyLock::new(|| LUNAR.iter().map(|l| (l.year, kept(l.year))).collect());
    match TABLED.iter().find(|(year, _)| *year == date.year()) {
        Some((_, days)) => days.contains(&date),
        None => kept(date.year()).contains(&date),
    }
}

/// Whether `date` is the eve of the Lunar New Year, a half day at the exchange when it trades:
/// known for the years of the table only.
pub(super) fn lunar_new_years_eve(date: NaiveDate) -> bool {
    date.succ_opt().is_some_and(|next| {
        LUNAR.iter().any(|l| {
            l.year == next.year()
                && NaiveDate::from_ymd_opt(l.year, l.new_year.0, l.new_year.1) == Some(next)
        })
    })
}

/// The days `year`'s general holidays are kept on (Sundays aside). Each holiday on a Sunday or
/// on a day already taken moves to the next day that is neither, Saturdays included: Lunar New
/// Year's Day, its second or third day on a Sunday give the fourth day, Ching Ming on Easter
/// Sunday (2021, 2026) the Tuesday after it, Christmas on a Sunday 27 December. A holiday on a
/// Saturday is not made up. Which holiday moves does not change the days taken.
fn kept(year: i32) -> Vec<NaiveDate> {
    let mut taken: Vec<NaiveDate> = Vec::with_capacity(20);
    for mut day in holidays(year) {
        while day.weekday() == Weekday::Sun || taken.contains(&day) {
            day += Duration::days(1);
        }
        taken.push(day);
    }
    taken
}

/// `year`'s general holidays where they fall, before any moves.
fn holidays(year: i32) -> Vec<NaiveDate> {
    let date = |(month, day): (u32, u32)| NaiveDate::from_ymd_opt(year, month, day);
    let mut days: Vec<NaiveDate> = [(1, 1), (5, 1), (7, 1), (10, 1), (12, 25), (12, 26)]
        .into_iter()
        .filter_map(date)
        .collect();
    // Good Friday, the day following it (a Saturday: no trading day, but a holiday another
    // may not share) and Easter Monday.
    if let Some(easter) = easter_sunday(year) {
        days.extend([-2, -1, 1].map(|n| easter + Duration::days(n)));
    }
    if let Some(l) = LUNAR.iter().find(|l| l.year == year) {
        if let Some(new_year) = date(l.new_year) {
            days.extend((0..3).map(|n| new_year + Duration::days(n)));
        }
        days.extend(date(l.mid_autumn).map(|d| d + Duration::days(1)));
        days.extend(
            [l.ching_ming, l.buddha, l.tuen_ng, l.chung_yeung]
                .into_iter()
                .filter_map(date),
        );
    }
    days
}
