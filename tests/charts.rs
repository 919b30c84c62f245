//! The charts as pictures: each reference chart is drawn from fixed bars and compared with its
//! PNG in `tests/charts/`, pixel by pixel within a small tolerance (fonts may rasterise a shade
//! differently elsewhere). After an intended change of the look, rewrite the references with
//!
//! ```sh
//! MARKETBOT_UPDATE_GOLDEN=1 cargo test --test integration charts::
//! ```
//!
//! and look at them before committing.

#[path = "charts/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use chrono::Duration;
use marketbot::chart::{self, HEIGHT, Range, RangeChart, Style, WIDTH};
use marketbot::model::Bar;
use marketbot::series::Series;
use marketbot::text::Lang;

/// A pixel differs when a channel differs by more than this.
const CHANNEL_DELTA: u8 = 24;
/// A picture matches when at most this share of its pixels differ.
const PIXELS_DIFFERING: f64 = 0.005;

fn reference(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/charts")
        .join(format!("{name}.png"))
}

/// Compares `png` with the reference picture `name` (or rewrites it, when asked to).
fn matches_reference(name: &str, png: &[u8]) {
    let path = reference(name);
    if std::env::var("MARKETBOT_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, png).unwrap();
        return;
    }
    let expected = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "no reference picture {} ({e}); draw it with MARKETBOT_UPDATE_GOLDEN=1 cargo test --test integration charts::",
                path.display()
            )
        })
        .to_rgb8();
    let actual = image::load_from_memory(png).unwrap().to_rgb8();
    assert_eq!(actual.dimensions(), expected.dimensions(), "{name}: size");
    let differing = actual
        .pixels()
        .zip(expected.pixels())
        .filter(|(a, e)| {
            a.0.iter()
                .zip(e.0)
                .any(|(a, e)| a.abs_diff(e) > CHANNEL_DELTA)
        })
        .count();
    let share = differing as f64 / (actual.width() * actual.height()) as f64;
    if share > PIXELS_DIFFERING {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
        std::fs::write(&out, png).unwrap();
        panic!(
            "{name}: {:.2} % of the pixels differ from {} (at most {:.1} % may); this run drew {}",
            share * 100.0,
            path.display(),
            PIXELS_DIFFERING * 100.0,
            out.display()
        );
    }
}

#[test]
fn the_seed_story_alert_chart_matches_its_reference() {
    let (series, alert) = fixtures::seed_day();
    let png = chart::for_alert(&series, &alert, Lang::En).unwrap();
    matches_reference("seed-alert", &png);
}

#[test]
fn five_days_over_a_weekend_match_their_reference() {
    let ask = fixtures::nvda(Range::Week, fixtures::five_days_now());
    let png = chart::for_range(&fixtures::five_days(), &ask).unwrap();
    matches_reference("nvda-5d", &png);
}

#[test]
fn a_month_of_daily_candles_matches_its_reference() {
    let ask = fixtures::nvda(Range::Month, fixtures::month_now());
    let png = chart::for_range(&fixtures::month(), &ask).unwrap();
    matches_reference("nvda-1m", &png);
}

#[test]
fn a_german_chat_sees_a_day_in_german_and_in_its_own_zone() {
    let (series, _) = fixtures::seed_day();
    let ask = RangeChart {
        lang: Lang::De,
        tz: chrono_tz::Europe::Berlin,
        ..fixtures::nvda(Range::Day, "2026-02-02T21:48:00Z".parse().unwrap())
    };
    let png = chart::for_range(&series, &ask).unwrap();
    matches_reference("nvda-1d-de", &png);
}

/// How many pixels of `png` have exactly `colour`.
fn pixels_of(png: &[u8], colour: [u8; 3]) -> usize {
    image::load_from_memory(png)
        .unwrap()
        .to_rgb8()
        .pixels()
        .filter(|p| p.0 == colour)
        .count()
}

/// The colours of rising and falling volume bars.
const VOLUME_COLOURS: [[u8; 3]; 2] = [[150, 208, 172], [238, 160, 160]];

#[test]
fn bars_with_only_a_close_make_a_line_without_a_volume_pane() {
    let (full, _) = fixtures::seed_day();
    let at = "2026-02-02T21:48:00Z".parse().unwrap();
    let mut bare = Series::new("NVDA");
    for tick in full.ticks_between(at - Duration::days(4), at) {
        bare.push(&Bar {
            symbol: "NVDA".into(),
            time: tick.time,
            interval: "5m".parse().unwrap(),
            open: None,
            high: None,
            low: None,
            close: Some(tick.price),
            volume: None,
            session: tick.session,
            currency: None,
        });
    }
    for style in [Style::Auto, Style::Candles] {
        let ask = RangeChart {
            style,
            ..fixtures::nvda(Range::Day, at)
        };
        let png = chart::for_range(&bare, &ask).unwrap();
        for colour in VOLUME_COLOURS {
            assert_eq!(pixels_of(&png, colour), 0, "{style:?}: no volume bars");
        }
    }
    // With volumes, the same day has its volume pane.
    let png = chart::for_range(&full, &fixtures::nvda(Range::Day, at)).unwrap();
    assert!(
        VOLUME_COLOURS
            .iter()
            .map(|c| pixels_of(&png, *c))
            .sum::<usize>()
            > 1_000
    );
}

#[test]
fn a_day_of_five_minute_bars_is_drawn_in_candles_or_a_line_as_asked() {
    let (series, _) = fixtures::seed_day();
    let at = "2026-02-02T21:48:00Z".parse().unwrap();
    let draw = |style| {
        let ask = RangeChart {
            style,
            ..fixtures::nvda(Range::Day, at)
        };
        chart::for_range(&series, &ask).unwrap()
    };
    let (auto, line, candles) = (draw(Style::Auto), draw(Style::Line), draw(Style::Candles));
    assert_eq!(
        auto, candles,
        "quarter-hour candles of 5-minute closes by default"
    );
    assert_ne!(line, candles);
    let decoded = image::load_from_memory(&line).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
}
