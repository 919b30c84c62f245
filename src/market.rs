//! Exchanges, their time zones and sessions.
//!
//! Price conditions speak of "the previous close" and "today's open", and freshness depends
//! on whether a market is open, so the engine needs to know which trading day an instant
//! belongs to and which session is running. Trading days are the weekdays that are not the
//! exchange's holidays ([`holidays`], by each exchange's rules; Hong Kong's of the Chinese
//! calendar from a table of years, outside which a holiday there looks like a day without
//! bars, which the engine handles). On an exchange's half days ([`Holidays::half_day`]) the
//! regular session ends early, and after-hours, where the exchange has some, runs from then
//! to the half day's own end: [`Exchange::close_on`] and [`Exchange::session_at`] say so, and
//! everything that stamps a daily bar, decides a bar's session or judges staleness asks them.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::Session;

pub mod holidays;

pub use holidays::Holidays;

/// One exchange's trading hours, in its own time zone.
#[derive(Debug)]
pub struct Exchange {
    /// Short name for messages (`US`, `XETRA`).
    pub name: &'static str,
    /// The exchange's time zone; all session boundaries are local times in it.
    pub tz: Tz,
    /// Start of pre-market trading (equal to `open` where there is none).
    pub pre_open: NaiveTime,
    /// Start of the regular session.
    pub open: NaiveTime,
    /// End of the regular session on a full day ([`Exchange::close_time`] gives a date's).
    pub close: NaiveTime,
    /// End of after-hours trading on a full day (equal to `close` where there is none).
    pub post_close: NaiveTime,
    /// End of the regular session on a half day (equal to `close` where there are none).
    pub half_day_close: NaiveTime,
    /// End of after-hours trading on a half day (equal to `half_day_close` where there is
    /// none).
    pub half_day_post_close: NaiveTime,
    /// The weekdays it is closed, and those it closes early.
    pub holidays: Holidays,
}

const fn hm(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => panic!("invalid time"),
    }
}

/// An exchange with a regular session only (local times), closed on its `holidays` and
/// closing at `half_day_close` on its half days.
const fn closing_on(
    name: &'static str,
    tz: Tz,
    (open, close): (NaiveTime, NaiveTime),
    half_day_close: NaiveTime,
    holidays: Holidays,
) -> Exchange {
    Exchange {
        name,
        tz,
        pre_open: open,
        open,
        close,
        post_close: close,
        half_day_close,
        half_day_post_close: half_day_close,
        holidays,
    }
}

static US: Exchange = Exchange {
    name: "US",
    tz: chrono_tz::America::New_York,
    pre_open: hm(4, 0),
    open: hm(9, 30),
    close: hm(16, 0),
    post_close: hm(20, 0),
    // NYSE's and Nasdaq's early closes; the late sessions of NYSE Arca and the others end
    // at 17:00 on those days.
    half_day_close: hm(13, 0),
    half_day_post_close: hm(17, 0),
    holidays: Holidays::Us,
};

static XETRA: Exchange = Exchange {
    name: "XETRA",
    tz: chrono_tz::Europe::Berlin,
    pre_open: hm(8, 0),
    open: hm(9, 0),
    close: hm(17, 30),
    post_close: hm(22, 0),
    // The last trading day of the year: Xetra and the floors alike end at 14:00.
    half_day_close: hm(14, 0),
    half_day_post_close: hm(14, 0),
    holidays: Holidays::Xetra,
};

static LSE: Exchange = closing_on(
    "LSE",
    chrono_tz::Europe::London,
    (hm(8, 0), hm(16, 30)),
    hm(12, 30),
    Holidays::London,
);

static SIX: Exchange = closing_on(
    "SIX",
    chrono_tz::Europe::Zurich,
    (hm(9, 0), hm(17, 30)),
    hm(17, 30), // no half days
    Holidays::Six,
);

static TSE: Exchange = closing_on(
    "TSE",
    chrono_tz::Asia::Tokyo,
    (hm(9, 0), hm(15, 30)),
    hm(15, 30), // no half days
    Holidays::Tokyo,
);

static EURONEXT_PARIS: Exchange = closing_on(
    "Euronext",
    chrono_tz::Europe::Paris,
    (hm(9, 0), hm(17, 30)),
    hm(14, 5),
    Holidays::Euronext,
);
static EURONEXT_LISBON: Exchange = closing_on(
    "Euronext Lisbon",
    chrono_tz::Europe::Lisbon,
    (hm(8, 0), hm(16, 30)),
    hm(13, 5), // 14:05 in Paris
    Holidays::Euronext,
);
static MILAN: Exchange = closing_on(
    "Borsa Italiana",
    chrono_tz::Europe::Rome,
    (hm(9, 0), hm(17, 30)),
    hm(17, 30), // no half days
    Holidays::Milan,
);
static MADRID: Exchange = closing_on(
    "BME",
    chrono_tz::Europe::Madrid,
    (hm(9, 0), hm(17, 30)),
    hm(14, 0),
    Holidays::Madrid,
);
static VIENNA: Exchange = closing_on(
    "Wiener Börse",
    chrono_tz::Europe::Vienna,
    (hm(9, 0), hm(17, 30)),
    // The closing auction starts then on the last trading day of the year, as at 17:30 on
    // the others.
    hm(14, 15),
    Holidays::Vienna,
);
static STOCKHOLM: Exchange = closing_on(
    "Nasdaq Stockholm",
    chrono_tz::Europe::Stockholm,
    (hm(9, 0), hm(17, 30)),
    hm(13, 0),
    Holidays::Stockholm,
);
static COPENHAGEN: Exchange = closing_on(
    "Nasdaq Copenhagen",
    chrono_tz::Europe::Copenhagen,
    (hm(9, 0), hm(17, 0)),
    hm(17, 0), // no half days
    Holidays::Copenhagen,
);
static HELSINKI: Exchange = closing_on(
    "Nasdaq Helsinki",
    chrono_tz::Europe::Helsinki,
    (hm(10, 0), hm(18, 30)),
    hm(18, 30), // no half days
    Holidays::Helsinki,
);
static OSLO: Exchange = closing_on(
    "Oslo Børs",
    chrono_tz::Europe::Oslo,
    (hm(9, 0), hm(16, 20)),
    hm(13, 0),
    Holidays::Oslo,
);
static TORONTO: Exchange = closing_on(
    "TSX",
    chrono_tz::America::Toronto,
    (hm(9, 30), hm(16, 0)),
    hm(13, 0),
    Holidays::Toronto,
);
static HONG_KONG: Exchange = closing_on(
    "HKEX",
    chrono_tz::Asia::Hong_Kong,
    (hm(9, 30), hm(16, 0)),
    hm(12, 0), // the morning session only
    Holidays::HongKong,
);
static SYDNEY: Exchange = closing_on(
    "ASX",
    chrono_tz::Australia::Sydney,
    (hm(10, 0), hm(16, 0)),
    hm(14, 10),
    Holidays::Sydney,
);

/// The exchange a Yahoo-style symbol trades on, judged by its suffix (`SAP.DE`, `VOD.L`,
/// `MC.PA`). Symbols without a known suffix are taken as US listings.
pub fn exchange_for(symbol: &str) -> &'static Exchange {
    symbol
        .rsplit_once('.')
        .and_then(|(_, suffix)| exchange_of_suffix(suffix))
        .unwrap_or(&US)
}

/// The exchange Yahoo's suffix (`DE`, `L`, `PA`, after the symbol's dot) stands for, if it is
/// one the bot knows.
pub fn exchange_of_suffix(suffix: &str) -> Option<&'static Exchange> {
    Some(match suffix.to_ascii_uppercase().as_str() {
        "DE" | "F" | "BE" | "MU" | "SG" | "HM" | "DU" => &XETRA,
        "L" => &LSE,
        "SW" | "VX" => &SIX,
        "T" => &TSE,
        "PA" | "AS" | "BR" => &EURONEXT_PARIS,
        "LS" => &EURONEXT_LISBON,
        "MI" => &MILAN,
        "MC" => &MADRID,
        "VI" => &VIENNA,
        "ST" => &STOCKHOLM,
        "CO" => &COPENHAGEN,
        "HE" => &HELSINKI,
        "OL" => &OSLO,
        "TO" | "V" => &TORONTO,
        "HK" => &HONG_KONG,
        "AX" => &SYDNEY,
        _ => return None,
    })
}

impl Exchange {
    /// The local calendar date of `t` at this exchange: the trading day a bar or headline at
    /// `t` belongs to (after-hours belongs to the same day as its regular session).
    pub fn trading_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// Whether `date` is a trading day: a weekday that is not one of the exchange's holidays.
    pub fn is_trading_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(date)
    }

    /// The local time `date`'s regular session ends early, on a trading day that is one of
    /// the exchange's half days.
    pub fn early_close(&self, date: NaiveDate) -> Option<NaiveTime> {
        (self.half_day_close != self.close
            && self.holidays.half_day(date)
            && self.is_trading_day(date))
        .then_some(self.half_day_close)
    }

    /// The local time `date`'s regular session ends: early on a half day.
    pub fn close_time(&self, date: NaiveDate) -> NaiveTime {
        self.early_close(date).unwrap_or(self.close)
    }

    /// The local times `date`'s regular session and after-hours end.
    fn ends(&self, date: NaiveDate) -> (NaiveTime, NaiveTime) {
        match self.early_close(date) {
            Some(close) => (close, self.half_day_post_close),
            None => (self.close, self.post_close),
        }
    }

    /// The session running at `t`, if any.
    pub fn session_at(&self, t: DateTime<Utc>) -> Option<Session> {
        let local = t.with_timezone(&self.tz);
        let date = local.date_naive();
        if !self.is_trading_day(date) {
            return None;
        }
        let (close, post_close) = self.ends(date);
        let time = local.time();
        if time >= self.open && time < close {
            Some(Session::Regular)
        } else if time >= self.pre_open && time < self.open {
            Some(Session::Pre)
        } else if time >= close && time < post_close {
            Some(Session::Post)
        } else {
            None
        }
    }

    /// The session of a bar that became final at `end`: the session of the instant just
    /// before it, so the bar ending exactly at the close counts as regular.
    pub fn session_of_bar_ending(&self, end: DateTime<Utc>) -> Option<Session> {
        self.session_at(end - chrono::Duration::seconds(1))
    }

    /// The trading day before `date`.
    pub fn previous_trading_day(&self, date: NaiveDate) -> NaiveDate {
        self.trading_day_from(date, NaiveDate::pred_opt)
    }

    /// The trading day after `date`.
    pub fn next_trading_day(&self, date: NaiveDate) -> NaiveDate {
        self.trading_day_from(date, NaiveDate::succ_opt)
    }

    /// The first trading day reached from `date` by `step` (a day back or forward).
    fn trading_day_from(
        &self,
        date: NaiveDate,
        step: fn(&NaiveDate) -> Option<NaiveDate>,
    ) -> NaiveDate {
        let mut d = step(&date).unwrap_or(date);
        while !self.is_trading_day(d) {
            match step(&d) {
                Some(next) => d = next,
                None => break,
            }
        }
        d
    }

    /// The UTC instant of the regular close on `date` (early on a half day).
    pub fn close_on(&self, date: NaiveDate) -> DateTime<Utc> {
        self.local_instant(date, self.close_time(date))
    }

    /// The UTC instant `date` begins at this exchange (local midnight).
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.local_instant(date, NaiveTime::MIN)
    }

    /// The UTC instant of the regular open on `date`.
    pub fn open_on(&self, date: NaiveDate) -> DateTime<Utc> {
        self.local_instant(date, self.open)
    }

    /// The last moment at or before `t` when trading (regular, or extended when `extended`)
    /// ended, or `t` itself when trading is in progress: the newest time a price can be from
    /// and still be current.
    pub fn last_trading_moment(&self, t: DateTime<Utc>, extended: bool) -> DateTime<Utc> {
        let in_session = match self.session_at(t) {
            Some(Session::Regular) => true,
            Some(_) => extended,
            None => false,
        };
        if in_session {
            return t;
        }
        let mut date = self.trading_date(t);
        loop {
            if self.is_trading_day(date) {
                let (close, post_close) = self.ends(date);
                let end = self.local_instant(date, if extended { post_close } else { close });
                if end <= t {
                    return end;
                }
            }
            date = date.pred_opt().unwrap_or(date);
        }
    }

    fn local_instant(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let naive = date.and_time(time);
        match self.tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            // Session boundaries never fall into a DST gap on the exchanges above; if one did,
            // the hour after the gap is the honest answer.
            chrono::LocalResult::None => self
                .tz
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
        }
    }
}

#[cfg(test)]
mod tests;
