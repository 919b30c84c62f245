//! PNG charts of a symbol's price: the move behind an alert (with the headline's time marked),
//! and `/chart NVDA 5d`.
//!
//! Drawn with plotters into an in-memory bitmap and encoded as PNG. The font is compiled in
//! (DejaVu Sans, see `assets/fonts/`), so the image needs no system fonts.

use std::sync::Once;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::engine::Alert;
use crate::i18n::texts;
use crate::series::Series;
use crate::text::Lang;

/// Chart size in pixels.
const WIDTH: u32 = 800;
const HEIGHT: u32 = 420;

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            tracing::error!("cannot register the chart font");
        }
    });
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Fewer than two prices in the range.
    #[error("not enough prices to draw")]
    NoData,
    /// Drawing or encoding failed.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
}

/// A chart to draw.
pub struct Spec<'a> {
    /// The heading (`NVDA 1d`).
    pub title: String,
    /// Prices, in time order.
    pub prices: Vec<(DateTime<Utc>, f64)>,
    /// A horizontal reference line (the previous close) and its label.
    pub reference: Option<(f64, &'a str)>,
    /// A vertical marker (the headline) and its label.
    pub mark: Option<(DateTime<Utc>, &'a str)>,
    /// Time zone of the axis labels.
    pub tz: Tz,
}

/// Draws `spec` as a PNG.
pub fn render(spec: &Spec<'_>) -> Result<Vec<u8>, ChartError> {
    let prices: Vec<(DateTime<Utc>, f64)> = spec
        .prices
        .iter()
        .copied()
        .filter(|(_, p)| p.is_finite())
        .collect();
    if prices.len() < 2 {
        return Err(ChartError::NoData);
    }
    let spec = &Spec {
        prices,
        title: spec.title.clone(),
        reference: spec.reference,
        mark: spec.mark,
        tz: spec.tz,
    };
    register_font();
    let draw = |e: &dyn std::fmt::Display| ChartError::Draw(e.to_string());
    let (first, last) = (spec.prices[0].0, spec.prices[spec.prices.len() - 1].0);
    let mut lo = spec.prices.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    let mut hi = spec.prices.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    if let Some((r, _)) = spec.reference {
        lo = lo.min(r);
        hi = hi.max(r);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.002).max(0.01);
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |t: DateTime<Utc>| (t - first).num_seconds() as f64;
    let span = x(last).max(1.0);
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw(&e))?;
        let tz = spec.tz;
        let multi_day = last - first > Duration::hours(20);
        let mut chart = ChartBuilder::on(&root)
            .caption(&spec.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..span, lo..hi)
            .map_err(|e| draw(&e))?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|s| {
                let t = (first + Duration::seconds(*s as i64)).with_timezone(&tz);
                if multi_day {
                    t.format("%d.%m %H:%M").to_string()
                } else {
                    t.format("%H:%M").to_string()
                }
            })
            .y_label_formatter(&|v| format!("{v:.2}"))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| draw(&e))?;
        if let Some((r, label)) = spec.reference {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, r), (span, r)],
                    RGBColor(150, 150, 150).stroke_width(1),
                ))
                .map_err(|e| draw(&e))?
                .label(label)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RGBColor(150, 150, 150)));
        }
        let colour = if spec.prices[spec.prices.len() - 1].1 < spec.prices[0].1 {
            RGBColor(200, 40, 40)
        } else {
            RGBColor(20, 140, 60)
        };
        chart
            .draw_series(LineSeries::new(
                spec.prices.iter().map(|(t, p)| (x(*t), *p)),
                colour.stroke_width(2),
            ))
            .map_err(|e| draw(&e))?;
        if let Some((t, label)) = spec.mark {
            let mx = x(t).clamp(0.0, span);
            chart
                .draw_series(LineSeries::new(
                    [(mx, lo), (mx, hi)],
                    RGBColor(30, 90, 200).stroke_width(2),
                ))
                .map_err(|e| draw(&e))?
                .label(label)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RGBColor(30, 90, 200)));
        }
        if spec.reference.is_some() || spec.mark.is_some() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .label_font(("sans-serif", 14))
                .draw()
                .map_err(|e| draw(&e))?;
        }
        root.present().map_err(|e| draw(&e))?;
    }
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, buffer)
        .ok_or_else(|| ChartError::Draw("bitmap size".into()))?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| draw(&e))?;
    Ok(png)
}

/// The chart of an alert's move: from a day before its earliest part to when it fired, with
/// the previous close and the headline's time.
pub fn for_alert(series: &Series, alert: &Alert, lang: Lang) -> Result<Vec<u8>, ChartError> {
    render(&alert_spec(series, alert, lang)?)
}

/// What [`for_alert`] draws, without drawing it: `NoData` when there is nothing to draw.
pub fn alert_spec(series: &Series, alert: &Alert, lang: Lang) -> Result<Spec<'static>, ChartError> {
    let t = texts(lang);
    let price = alert.price.as_ref().ok_or(ChartError::NoData)?;
    let earliest = alert
        .headline
        .as_ref()
        .map_or(price.at, |h| h.published.min(price.at));
    let from = earliest - Duration::hours(12);
    let to = alert.fired_at.max(price.at);
    let prices: Vec<(DateTime<Utc>, f64)> = series
        .ticks_between(from, to)
        .iter()
        .map(|t| (t.time, t.price))
        .collect();
    if prices.iter().filter(|(_, p)| p.is_finite()).count() < 2 {
        return Err(ChartError::NoData);
    }
    let reference = series.previous_close_at(price.at).map(|(_, p)| p);
    Ok(Spec {
        // A personal alert's chart is its symbol's move alone: the many alerts one move fires
        // share it (the message says which alert it is).
        title: if crate::personal::is_personal(&alert.rule) {
            alert.symbol.clone().unwrap_or_default()
        } else {
            format!(
                "{} · {}",
                alert.symbol.as_deref().unwrap_or(""),
                alert.title.chars().take(60).collect::<String>()
            )
        },
        prices,
        reference: reference.map(|r| (r, t.chart_previous_close())),
        mark: alert
            .headline
            .as_ref()
            .map(|h| (h.published, t.chart_headline())),
        tz: series.exchange().tz,
    })
}

/// A range for `/chart`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// The last trading day.
    Day,
    /// Five days.
    Week,
    /// A month.
    Month,
}

impl Range {
    /// Parses `1d`, `5d`, `1m`.
    pub fn parse(s: &str) -> Option<Range> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "1d" | "d" => Some(Range::Day),
            "5d" | "w" | "1w" => Some(Range::Week),
            "1m" | "1mo" | "m" => Some(Range::Month),
            _ => None,
        }
    }

    /// How the range is written: `1d`, `5d`, `1m`.
    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "1d",
            Range::Week => "5d",
            Range::Month => "1m",
        }
    }
}

/// `/chart SYMBOL RANGE` as of `now`.
pub fn for_range(
    series: &Series,
    symbol: &str,
    range: Range,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<Vec<u8>, ChartError> {
    let last = series.latest_time().ok_or(ChartError::NoData)?.min(now);
    let from = match range {
        Range::Day => {
            series
                .exchange()
                .open_on(series.exchange().trading_date(last - Duration::seconds(1)))
                - Duration::hours(6)
        }
        Range::Week => last - Duration::days(7),
        Range::Month => last - Duration::days(31),
    };
    let mut prices: Vec<(DateTime<Utc>, f64)> = series
        .ticks_between(from, last)
        .iter()
        .map(|t| (t.time, t.price))
        .collect();
    if prices.len() < 2 {
        // Intraday prices are kept for days; longer ranges fall back to daily closes.
        prices = series.daily_closes_between(from, last);
    }
    let reference = series
        .previous_close_at(last)
        .map(|(_, p)| (p, texts(lang).chart_previous_close()));
    render(&Spec {
        title: format!("{symbol} {}", range.label()),
        prices,
        reference: if range == Range::Day { reference } else { None },
        mark: None,
        tz: series.exchange().tz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Bar;

    fn series() -> Series {
        let mut s = Series::new("NVDA");
        let bar = |time: &str, interval: &str, close: f64| Bar {
            symbol: "NVDA".into(),
            time: time.parse().unwrap(),
            interval: interval.parse().unwrap(),
            open: Some(close),
            high: Some(close),
            low: Some(close),
            close: Some(close),
            volume: Some(1000),
            session: None,
        };
        s.push(&bar("2026-01-30T21:00:00Z", "1d", 191.79));
        for (i, p) in [
            189.6, 190.0, 188.7, 187.9, 187.2, 186.4, 185.6, 186.0, 186.25,
        ]
        .iter()
        .enumerate()
        {
            let t = chrono::DateTime::parse_from_rfc3339("2026-02-02T15:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
                + Duration::minutes(45 * i as i64);
            s.push(&Bar {
                time: t,
                ..bar("2026-02-02T15:00:00Z", "30m", *p)
            });
        }
        s
    }

    #[test]
    fn a_range_chart_is_a_real_png() {
        let png = for_range(
            &series(),
            "NVDA",
            Range::Day,
            "2026-02-02T22:00:00Z".parse().unwrap(),
            Lang::En,
        )
        .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 5_000, "{} bytes", png.len());
        let decoded = image::load_from_memory(&png).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
    }

    #[test]
    fn legends_are_in_the_chats_language() {
        let at = "2026-02-02T22:00:00Z".parse().unwrap();
        let en = for_range(&series(), "NVDA", Range::Day, at, Lang::En).unwrap();
        let de = for_range(&series(), "NVDA", Range::Day, at, Lang::De).unwrap();
        assert_ne!(en, de, "the legend's words differ");
    }

    #[test]
    fn too_few_prices_is_an_error_not_a_panic() {
        let empty = Series::new("NVDA");
        assert!(matches!(
            for_range(&empty, "NVDA", Range::Week, Utc::now(), Lang::En),
            Err(ChartError::NoData)
        ));
        let nan = render(&Spec {
            title: "x".into(),
            prices: vec![(Utc::now(), f64::NAN), (Utc::now(), 1.0)],
            reference: None,
            mark: None,
            tz: Tz::UTC,
        });
        assert!(
            matches!(nan, Err(ChartError::NoData)),
            "one usable price is not a chart"
        );
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(Range::parse("5d"), Some(Range::Week));
        assert_eq!(Range::parse(""), Some(Range::Day));
        assert_eq!(Range::parse("7y"), None);
    }
}
