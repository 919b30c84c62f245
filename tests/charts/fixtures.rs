//! The bars of the reference charts, built here so the pictures never depend on a clock or a
//! network: NVDA in the seed week (30 January – 4 February 2026), closes as reported
//! (191.13 on 30 January, 185.61 on 2 February, 177.62 on 3 February; see
//! `examples/seed-week/`), the paths between them drawn by a fixed pseudo-random walk.
//! Shared by `tests/charts.rs` and `benches/charts.rs`.

#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, Utc};
use marketbot::chart::{Range, RangeChart, Style};
use marketbot::engine::{Alert, HeadlineRef};
use marketbot::model::{Bar, Session};
use marketbot::rules::{Basis, PriceEvidence, Severity};
use marketbot::series::Series;
use marketbot::text::Lang;

/// A fixed pseudo-random sequence in [-1, 1] (xorshift): the same wiggles on every run.
pub struct Wiggle(u64);

impl Wiggle {
    pub fn new(seed: u64) -> Wiggle {
        Wiggle(seed.max(1))
    }

    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 20_001) as f64 / 10_000.0 - 1.0
    }
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn round(p: f64) -> f64 {
    (p * 100.0).round() / 100.0
}

/// A bar of `minutes` ending at `end`.
fn bar(
    end: DateTime<Utc>,
    minutes: i64,
    open: f64,
    close: f64,
    volume: u64,
    session: Session,
) -> Bar {
    Bar {
        symbol: "NVDA".into(),
        time: end,
        interval: format!("{minutes}m").parse().unwrap(),
        open: Some(round(open)),
        high: Some(round(open.max(close) + 0.05)),
        low: Some(round(open.min(close) - 0.05)),
        close: Some(round(close)),
        volume: Some(volume),
        session: Some(session),
        currency: None,
    }
}

/// A daily bar of `date` (stamped at the US close, as the Yahoo source stamps them).
fn day(date: NaiveDate, open: f64, high: f64, low: f64, close: f64, volume: u64) -> Bar {
    let close_at = marketbot::market::exchange_for("NVDA").close_on(date);
    Bar {
        symbol: "NVDA".into(),
        time: close_at,
        interval: "1d".parse().unwrap(),
        open: Some(round(open)),
        high: Some(round(high)),
        low: Some(round(low)),
        close: Some(round(close)),
        volume: Some(volume),
        session: Some(Session::Regular),
        currency: None,
    }
}

/// One US trading day in bars of `minutes`, New York time in winter (UTC−5): pre-market from
/// `pre_from` (UTC) to the open at 14:30, regular hours to 21:00, after hours to `post_to`.
/// The price walks from `open` to `close` during the day with `wiggle`, starts at `pre` and
/// ends after hours at `post`. Volume is U-shaped in the regular session, thin outside it.
#[allow(clippy::too_many_arguments)]
fn trading_day(
    date: &str,
    minutes: i64,
    pre_from: &str,
    post_to: &str,
    (pre, open, close, post): (f64, f64, f64, f64),
    regular_volume: u64,
    noise: f64,
    wiggle: &mut Wiggle,
) -> Vec<Bar> {
    let open_at = t(&format!("{date}T14:30:00Z"));
    let close_at = t(&format!("{date}T21:00:00Z"));
    let from = t(&format!("{date}T{pre_from}:00Z"));
    let to = t(&format!("{date}T{post_to}:00Z"))
        + if post_to < "09:00" {
            Duration::days(1)
        } else {
            Duration::zero()
        };
    let step = Duration::minutes(minutes);
    let mut bars = Vec::new();
    let mut price = pre;
    let mut start = from;
    while start < to {
        let end = start + step;
        let (session, target, progress) = if start < open_at {
            let f = (start - from).num_seconds() as f64 / (open_at - from).num_seconds() as f64;
            (Session::Pre, pre + (open - pre) * f, f)
        } else if start < close_at {
            let f =
                (end - open_at).num_seconds() as f64 / (close_at - open_at).num_seconds() as f64;
            (Session::Regular, open + (close - open) * f, f)
        } else {
            let f = (end - close_at).num_seconds() as f64 / (to - close_at).num_seconds() as f64;
            (Session::Post, close + (post - close) * f, f)
        };
        let noise = match session {
            Session::Regular => noise,
            _ => noise * 0.35,
        };
        let before = price;
        // Pulled towards the path, pushed about by the wiggle.
        price = target + (price - target) * 0.55 + wiggle.next() * noise;
        if session == Session::Regular && end == close_at {
            price = close;
        }
        let volume = match session {
            Session::Regular => {
                let u = 1.0 + 2.2 * (2.0 * progress - 1.0).powi(4);
                (regular_volume as f64 * u * (1.0 + 0.25 * wiggle.next())) as u64
            }
            _ => (regular_volume as f64 * 0.06 * (1.0 + 0.5 * wiggle.next())) as u64,
        };
        bars.push(bar(end, minutes, before, price, volume, session));
        start = end;
    }
    bars
}

fn series_of(bars: &[Bar]) -> Series {
    let mut series = Series::new("NVDA");
    for b in bars {
        series.push(b);
    }
    series
}

/// The seed story's day, 2 February 2026, in 5-minute bars: pre-market from 4:00, the slide
/// from 188.90 to 185.61 in regular hours, after hours until 16:45 — and the Friday before as
/// a daily bar (the previous close, 191.13). The Reuters headline came at 16:47 (21:47 UTC).
pub fn seed_day() -> (Series, Alert) {
    let mut wiggle = Wiggle::new(20260202);
    let mut bars = vec![day(
        NaiveDate::from_ymd_opt(2026, 1, 30).unwrap(),
        192.40,
        193.35,
        190.62,
        191.13,
        171_950_400,
    )];
    bars.extend(trading_day(
        "2026-02-02",
        5,
        "09:00",
        "21:45",
        (189.60, 188.90, 185.61, 185.95),
        2_400_000,
        0.55,
        &mut wiggle,
    ));
    let alert = Alert {
        id: 1,
        rule: "seed".into(),
        title: "Customer seeks alternatives".into(),
        severity: Severity::High,
        symbol: Some("NVDA".into()),
        fired_at: t("2026-02-02T21:48:00Z"),
        headline: Some(HeadlineRef {
            title: "OpenAI is unsatisfied with some Nvidia chips and looking for alternatives"
                .into(),
            link: Some("https://example.com/reuters/openai-unsatisfied-nvidia-chips".into()),
            source: "Reuters".into(),
            published: t("2026-02-02T21:47:00Z"),
        }),
        also: vec![],
        matched: vec![],
        held: vec!["customer".into(), "alternative".into(), "drop".into()],
        price: Some(PriceEvidence {
            at: t("2026-02-02T21:00:00Z"),
            price: 185.61,
            session: Some(Session::Regular),
            reference: Some(191.13),
            reference_label: "previous close (2026-01-30)".into(),
            change_pct: Some(-2.886),
            condition: "change vs previous close (2026-01-30) <= -2%".into(),
            basis: Basis::PreviousClose {
                date: NaiveDate::from_ymd_opt(2026, 1, 30).unwrap(),
            },
            threshold: "<= -2%".into(),
            currency: None,
        }),
        within_secs: 86_400,
    };
    (series_of(&bars), alert)
}

/// Five trading days over a weekend, Thursday 29 January to Wednesday 4 February 2026, in
/// 15-minute bars with pre-market from 7:00 and after hours to 18:00 (New York time).
pub fn five_days() -> Series {
    let mut wiggle = Wiggle::new(20260129);
    let days = [
        ("2026-01-29", (191.20, 191.80, 192.51, 192.30), 3_200_000),
        ("2026-01-30", (192.10, 192.40, 191.13, 191.00), 2_900_000),
        ("2026-02-02", (189.60, 188.90, 185.61, 185.95), 3_600_000),
        ("2026-02-03", (184.90, 184.20, 177.62, 177.40), 4_400_000),
        ("2026-02-04", (177.70, 177.90, 175.95, 176.20), 3_800_000),
    ];
    let bars: Vec<Bar> = days
        .iter()
        .flat_map(|(date, prices, volume)| {
            trading_day(
                date,
                15,
                "12:00",
                "23:00",
                *prices,
                *volume,
                0.9,
                &mut wiggle,
            )
        })
        .collect();
    series_of(&bars)
}

/// When the five-day chart is asked for: Wednesday evening.
pub fn five_days_now() -> DateTime<Utc> {
    t("2026-02-05T01:00:00Z")
}

/// NVDA's chart of `range` as of `now`, as an English chat in New York asks for it.
pub fn nvda(range: Range, now: DateTime<Utc>) -> RangeChart<'static> {
    RangeChart {
        symbol: "NVDA",
        range,
        style: Style::Auto,
        now,
        lang: Lang::En,
        tz: chrono_tz::America::New_York,
    }
}

/// A month of daily bars, 5 January to 4 February 2026, without Martin Luther King Day
/// (19 January: the exchange was closed, so there is no bar).
pub fn month() -> Series {
    let mut wiggle = Wiggle::new(20260105);
    let us = marketbot::market::exchange_for("NVDA");
    let mut bars = Vec::new();
    let mut close = 186.50;
    let mut date = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 2, 4).unwrap();
    // The reported closes of the seed week; the days before them wander upwards.
    let known = [
        ("2026-01-29", 192.51),
        ("2026-01-30", 191.13),
        ("2026-02-02", 185.61),
        ("2026-02-03", 177.62),
        ("2026-02-04", 175.95),
    ];
    while date <= last {
        if us.is_trading_day(date) && date != NaiveDate::from_ymd_opt(2026, 1, 19).unwrap() {
            let open = close + wiggle.next() * 1.2;
            // Towards 191.50 by the end of January, two dollars a day either way.
            let days = (date - NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).num_days() as f64;
            let target = 186.50 + 5.0 * days / 23.0;
            let next = known.iter().find(|(d, _)| *d == date.to_string()).map_or(
                close + (target - close) * 0.5 + wiggle.next() * 2.0,
                |(_, c)| *c,
            );
            let high = open.max(next) + 0.4 + wiggle.next().abs() * 1.8;
            let low = open.min(next) - 0.4 - wiggle.next().abs() * 1.8;
            let volume = (175_000_000.0 * (1.0 + 0.3 * wiggle.next())) as u64;
            bars.push(day(date, open, high, low, next, volume));
            close = next;
        }
        date = date.succ_opt().unwrap();
    }
    series_of(&bars)
}

/// When the month chart is asked for: after the close on 4 February.
pub fn month_now() -> DateTime<Utc> {
    t("2026-02-04T22:00:00Z")
}
