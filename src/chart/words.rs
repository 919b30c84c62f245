//! The words a chart prints besides numbers: day and month names, the range, the sessions and
//! the time zone, in English and German.
//!
//! They are the vocabulary of the chart's axis and nothing else uses them, so they live here
//! rather than in `i18n` (which holds the texts of messages; the chart takes its two legend
//! words, "previous close" and "headline", from there).

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use super::Range;
use crate::model::Session;
use crate::text::Lang;

const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WEEKDAYS_DE: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_DE: [&str; 12] = [
    "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
];

/// The short name of a weekday: `Mon` / `Mo`.
pub(super) fn weekday(lang: Lang, day: Weekday) -> &'static str {
    let i = day.num_days_from_monday() as usize;
    match lang {
        Lang::En => WEEKDAYS_EN[i],
        Lang::De => WEEKDAYS_DE[i],
    }
}

/// The short name of a month (1 = January): `Mar` / `Mär`.
pub(super) fn month(lang: Lang, month: u32) -> &'static str {
    let i = (month.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::En => MONTHS_EN[i],
        Lang::De => MONTHS_DE[i],
    }
}

/// A trading day under a chart of several days: `Mon 2 Feb` / `Mo 2. Feb`.
pub(super) fn day(lang: Lang, date: NaiveDate) -> String {
    format!(
        "{} {}",
        weekday(lang, date.weekday()),
        date_only(lang, date)
    )
}

/// A date on a chart of daily bars: `2 Feb` / `2. Feb`.
pub(super) fn date_only(lang: Lang, date: NaiveDate) -> String {
    match lang {
        Lang::En => format!("{} {}", date.day(), month(lang, date.month())),
        Lang::De => format!("{}. {}", date.day(), month(lang, date.month())),
    }
}

/// The range in a chart's heading: `5 days` / `5 Tage`.
pub(super) fn range(lang: Lang, range: Range) -> &'static str {
    match (lang, range) {
        (Lang::En, Range::Day) => "1 day",
        (Lang::En, Range::Week) => "5 days",
        (Lang::En, Range::Month) => "1 month",
        (Lang::De, Range::Day) => "1 Tag",
        (Lang::De, Range::Week) => "5 Tage",
        (Lang::De, Range::Month) => "1 Monat",
    }
}

/// The label of a shaded extended-hours band.
pub(super) fn session(lang: Lang, session: Session) -> &'static str {
    match (lang, session) {
        (Lang::En, Session::Pre) => "pre-market",
        (Lang::En, Session::Post) => "after hours",
        (Lang::De, Session::Pre) => "vorbörslich",
        (Lang::De, Session::Post) => "nachbörslich",
        (_, Session::Regular) => "",
    }
}

/// The time zone the axis is drawn in, named: `Times: New York (EST)` / `Zeit: New York (EST)`.
/// The abbreviation is the one in force at `at` (the end of the chart), as the chat's messages
/// write it ([`crate::i18n::Texts::zone`]).
pub(super) fn zone(lang: Lang, tz: Tz, at: DateTime<Utc>) -> String {
    let prefix = match lang {
        Lang::En => "Times",
        Lang::De => "Zeit",
    };
    let place = tz
        .name()
        .rsplit('/')
        .next()
        .unwrap_or(tz.name())
        .replace('_', " ");
    // Named as the chat's messages name it.
    let abbreviation = crate::i18n::texts(lang).zone(tz, at);
    if abbreviation == place {
        format!("{prefix}: {place}")
    } else {
        format!("{prefix}: {place} ({abbreviation})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn days_and_months_are_named_in_the_charts_language() {
        assert_eq!(day(Lang::En, date("2026-02-02")), "Mon 2 Feb");
        assert_eq!(day(Lang::De, date("2026-02-03")), "Di 3. Feb");
        assert_eq!(date_only(Lang::De, date("2026-03-05")), "5. Mär");
        assert_eq!(date_only(Lang::En, date("2026-10-30")), "30 Oct");
        assert_eq!(month(Lang::De, 12), "Dez");
    }

    #[test]
    fn the_zone_is_named_with_its_abbreviation_at_the_time() {
        let winter = "2026-02-02T21:00:00Z".parse().unwrap();
        let summer = "2026-07-01T12:00:00Z".parse().unwrap();
        let ny = chrono_tz::America::New_York;
        assert_eq!(zone(Lang::En, ny, winter), "Times: New York (EST)");
        assert_eq!(zone(Lang::De, ny, summer), "Zeit: New York (EDT)");
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(zone(Lang::De, berlin, winter), "Zeit: Berlin (MEZ)");
        assert_eq!(zone(Lang::En, berlin, summer), "Times: Berlin (CEST)");
        assert_eq!(zone(Lang::En, Tz::UTC, winter), "Times: UTC");
        assert_eq!(
            zone(Lang::En, chrono_tz::Asia::Kolkata, winter),
            "Times: Kolkata (IST)"
        );
    }
}
