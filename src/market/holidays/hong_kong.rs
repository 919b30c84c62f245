//! Hong Kong's general holidays, as the Hong Kong Stock Exchange closes on them: the fixed
//! days, Easter, and the days of the Chinese calendar; a holiday on a Sunday, or on the day of
//! another holiday, kept on the next day that is neither.
//!
//! The days of the Chinese calendar (Lunar New Year's Day, Ching Ming, the Buddha's Birthday,
//! Tuen Ng, the Mid-Autumn Festival and Chung Yeung) come, for 2019 to 2027, from a table: those
//! of the lists of general holidays the Hong Kong Government gazetted for each year (2027's as
//! reports of the list gazetted in 2026 give it; the Government's own copy was not at hand),
//! and the same as the lunisolar tables of the `exchange_calendars` and
//! `pandas_market_calendars` projects. For the other years of 2000 to 2099 they are worked
//! out: the lunar months by the astronomy of Reingold and Dershowitz's *Calendrical
//! Calculations* (the `calendrical_calculations` crate, new moons and solar terms at Beijing's
//! time, which is Hong Kong's), and Ching Ming, the solar term Qingming, by the common formula
//! for the 21st century. A test holds the worked-out dates to the table's for every year it
//! has, so a year gazetted later may be added as a row but need not be. Outside 2000 to 2099
//! only the holidays that need no Chinese calendar are known: by the rule below those are never
//! put on a day Hong Kong trades, only some of the days it closes are missed.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::easter_sunday;

/// The dates of one year's holidays that follow the Chinese calendar, as (month, day).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The years whose days of the Chinese calendar are worked out when no table row holds them.
const WORKED_OUT: std::ops::RangeInclusive<i32> = 2000..=2099;

/// Whether Hong Kong keeps a general holiday on `date`, in its place or in place of another.
pub(super) fn closed(date: NaiveDate) -> bool {
    Year::of(date.year()).kept.contains(&date)
}

/// Whether `date` is the eve of the Lunar New Year, a half day at the exchange when it trades:
/// known in the years whose days of the Chinese calendar are (see the module).
pub(super) fn lunar_new_years_eve(date: NaiveDate) -> bool {
    date.succ_opt()
        .is_some_and(|next| Year::of(next.year()).lunar_new_year == Some(next))
}

/// What one year's calendar holds, worked out once: every bar of a `.HK` symbol asks, and the
/// Chinese calendar's astronomy is not free.
struct Year {
    /// The days its general holidays are kept on.
    kept: Vec<NaiveDate>,
    /// Lunar New Year's Day, when known.
    lunar_new_year: Option<NaiveDate>,
}

impl Year {
    fn of(year: i32) -> Arc<Year> {
        static YEARS: LazyLock<Mutex<HashMap<i32, Arc<Year>>>> = LazyLock::new(Default::default);
        let work_out = || {
            let lunar = lunar_dates(year);
            Arc::new(Year {
                kept: kept(year, lunar),
                lunar_new_year: lunar
                    .and_then(|l| NaiveDate::from_ymd_opt(year, l.new_year.0, l.new_year.1)),
            })
        };
        // Only the years with a Chinese calendar are kept: any other is quick to work out, and
        // a date from a hostile source cannot grow the map.
        if !WORKED_OUT.contains(&year) && !LUNAR.iter().any(|l| l.year == year) {
            return work_out();
        }
        let mut years = YEARS.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(years.entry(year).or_insert_with(work_out))
    }
}

/// `year`'s days of the Chinese calendar: the table's row, or worked out (see the module).
fn lunar_dates(year: i32) -> Option<Lunar> {
    match LUNAR.iter().find(|l| l.year == year) {
        Some(row) => Some(*row),
        None => worked_out(year),
    }
}

/// `year`'s days of the Chinese calendar worked out by astronomy, for the years of
/// [`WORKED_OUT`].
fn worked_out(year: i32) -> Option<Lunar> {
    use calendrical_calculations::chinese_based::{Chinese, YearBounds, month_structure_for_year};
    use calendrical_calculations::rata_die::RataDie;

    if !WORKED_OUT.contains(&year) {
        return None;
    }
    // The lunar year under way on 1 March began in `year`, from 21 January to 20 February.
    let march = NaiveDate::from_ymd_opt(year, 3, 1)?;
    let bounds = YearBounds::compute::<Chinese>(RataDie::new(i64::from(march.num_days_from_ce())));
    let (thirty_days, leap) =
        month_structure_for_year::<Chinese>(bounds.new_year, bounds.next_new_year);
    // Day `day` of the `month`th month (a month's leap month, when the year has one, comes
    // after it: `leap` is the place of the leap month among the year's months, from 1).
    let day_of = |month: u8, day: i64| -> Option<(u32, u32)> {
        let place = match leap {
            Some(leap) if month >= leap => month + 1,
            _ => month,
        };
        let before: i64 = thirty_days
            .iter()
            .take(usize::from(place - 1))
            .map(|&thirty| if thirty { 30 } else { 29 })
            .sum();
        let fixed = (bounds.new_year + before + day - 1).to_i64_date();
        let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(fixed).ok()?)?;
        Some((date.month(), date.day()))
    };
    Some(Lunar {
        year,
        new_year: day_of(1, 1)?,
        ching_ming: (4, qingming_day(year)),
        buddha: day_of(4, 8)?,
        tuen_ng: day_of(5, 5)?,
        mid_autumn: day_of(8, 15)?,
        chung_yeung: day_of(9, 9)?,
    })
}

/// The day of April the solar term Qingming falls on at Hong Kong in `year` of the 21st
/// century: the common formula ⌊Y × 0.2422 + 4.81⌋ − ⌊Y / 4⌋ with Y the year's last two digits,
/// which agrees with the sun's apparent longitude reaching 15° (Meeus's low-precision solar
/// position) on every year from 2000 to 2099.
fn qingming_day(year: i32) -> u32 {
    let y = year.rem_euclid(100);
    // Y × 0.2422 + 4.81 in ten-thousandths, so the floor is exact.
    let day = (y * 2422 + 48_100) / 10_000 - y / 4;
    u32::try_from(day).unwrap_or(5)
}

/// The days `year`'s general holidays are kept on (Sundays aside). Each holiday on a Sunday or
/// on a day already taken moves to the next day that is neither, Saturdays included: Lunar New
/// Year's Day, its second or third day on a Sunday give the fourth day, Ching Ming on Easter
/// Sunday (2021, 2026) the Tuesday after it, Christmas on a Sunday 27 December. A holiday on a
/// Saturday is not made up. Which holiday moves does not change the days taken.
fn kept(year: i32, lunar: Option<Lunar>) -> Vec<NaiveDate> {
    let mut taken: Vec<NaiveDate> = Vec::with_capacity(20);
    for mut day in holidays(year, lunar) {
        while day.weekday() == Weekday::Sun || taken.contains(&day) {
            day += Duration::days(1);
        }
        taken.push(day);
    }
    taken
}

/// `year`'s general holidays where they fall, before any moves.
fn holidays(year: i32, lunar: Option<Lunar>) -> Vec<NaiveDate> {
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
    if let Some(l) = lunar {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_out_days_are_those_hong_kong_gazetted() {
        for row in &LUNAR {
            assert_eq!(worked_out(row.year), Some(*row), "{}", row.year);
        }
    }

    #[test]
    fn every_worked_out_year_keeps_its_festivals_in_their_seasons() {
        use calendrical_calculations::chinese_based::{
            Chinese, YearBounds, chinese_based_date_from_fixed, month_structure_for_year,
        };
        use calendrical_calculations::rata_die::RataDie;

        let fixed = |date: NaiveDate| RataDie::new(i64::from(date.num_days_from_ce()));
        let on = |year: i32, (month, day): (u32, u32)| NaiveDate::from_ymd_opt(year, month, day);
        for year in WORKED_OUT {
            let l = worked_out(year).expect("a year worked out");
            let new_year = on(year, l.new_year).unwrap();
            assert!(
                on(year, (1, 21)).unwrap() <= new_year && new_year <= on(year, (2, 20)).unwrap(),
                "{year}: {new_year}"
            );
            assert!(matches!(l.ching_ming, (4, 4 | 5)), "{year}");
            // Lunar months have 29 or 30 days; a leap month between two festivals puts one
            // more month between them.
            let days = |from: (u32, u32), to: (u32, u32)| {
                (on(year, to).unwrap() - on(year, from).unwrap()).num_days()
            };
            let apart = |days: i64, months: i64, day_from: i64, day_to: i64| {
                let span =
                    |months: i64| months * 29 + day_to - day_from..=months * 30 + day_to - day_from;
                span(months).contains(&days) || span(months + 1).contains(&days)
            };
            assert!(apart(days(l.new_year, l.buddha), 3, 1, 8), "{year}");
            assert!(apart(days(l.buddha, l.tuen_ng), 1, 8, 5), "{year}");
            assert!(apart(days(l.tuen_ng, l.mid_autumn), 3, 5, 15), "{year}");
            assert!(apart(days(l.mid_autumn, l.chung_yeung), 1, 15, 9), "{year}");
            // Each date read back by new moons is the month in the year's order (a leap month
            // before it counted) and the day it stands for.
            let bounds = YearBounds::compute::<Chinese>(fixed(new_year));
            let (_, leap) =
                month_structure_for_year::<Chinese>(bounds.new_year, bounds.next_new_year);
            for (date, month, day) in [
                (l.new_year, 1, 1),
                (l.buddha, 4, 8),
                (l.tuen_ng, 5, 5),
                (l.mid_autumn, 8, 15),
                (l.chung_yeung, 9, 9),
            ] {
                let read = chinese_based_date_from_fixed::<Chinese>(fixed(on(year, date).unwrap()));
                let place = match leap {
                    Some(leap) if month >= leap => month + 1,
                    _ => month,
                };
                assert_eq!((read.month, read.day), (place, day), "{year} {date:?}");
            }
        }
    }

    #[test]
    fn a_month_without_a_major_solar_term_is_a_leap_month_only_where_the_year_needs_one() {
        // 2033 has such a month in its summer, but its leap month is the eleventh's: the
        // Mid-Autumn Festival is on 8 September, not a month later.
        assert_eq!(worked_out(2033).map(|l| l.mid_autumn), Some((9, 8)));
    }

    #[test]
    fn outside_the_worked_out_years_nothing_of_the_chinese_calendar_is_guessed() {
        assert_eq!(worked_out(1999), None);
        assert_eq!(worked_out(2100), None);
        assert_eq!(lunar_dates(2100), None);
    }
}
