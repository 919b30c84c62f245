//! Rendering cost of the reference charts (`tests/charts/`): the seed story's alert chart (a
//! day of 5-minute bars as a line, with previous close and headline), five days in hourly
//! candles and a month of daily candles — each from the series to the PNG bytes.
//!
//! `cargo bench --bench charts`. Figures: BENCHMARKS.md, "Charts".

#[path = "../tests/charts/fixtures.rs"]
mod fixtures;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use marketbot::chart::{self, Range, Style};
use marketbot::text::Lang;

fn charts(c: &mut Criterion) {
    let mut group = c.benchmark_group("charts");
    group.sample_size(30);
    let (day, alert) = fixtures::seed_day();
    group.bench_function("seed alert (1 day, line)", |b| {
        b.iter(|| chart::for_alert(black_box(&day), black_box(&alert), Lang::En).unwrap())
    });
    let week = fixtures::five_days();
    group.bench_function("5 days (hourly candles)", |b| {
        b.iter(|| {
            chart::for_range(
                black_box(&week),
                "NVDA",
                Range::Week,
                Style::Auto,
                fixtures::five_days_now(),
                Lang::En,
                chrono_tz::America::New_York,
            )
            .unwrap()
        })
    });
    let month = fixtures::month();
    group.bench_function("1 month (daily candles)", |b| {
        b.iter(|| {
            chart::for_range(
                black_box(&month),
                "NVDA",
                Range::Month,
                Style::Auto,
                fixtures::month_now(),
                Lang::En,
                chrono_tz::America::New_York,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, charts);
criterion_main!(benches);
