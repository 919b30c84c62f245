//! Rendering cost of the reference charts (`tests/charts/`): the seed story's alert chart (a
//! day of 5-minute bars as a line, with previous close and headline), five days in hourly
//! candles and a month of daily candles — each from the series to the PNG bytes.
//!
//! `cargo bench --bench charts`. Figures: BENCHMARKS.md, "Charts".

#[path = "../tests/charts/fixtures.rs"]
mod fixtures;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use marketbot::chart::{self, Range};
use marketbot::text::Lang;

fn charts(c: &mut Criterion) {
    let mut group = c.benchmark_group("charts");
    group.sample_size(30);
    let (day, alert) = fixtures::seed_day();
    group.bench_function("seed alert (1 day, line)", |b| {
        b.iter(|| chart::for_alert(black_box(&day), black_box(&alert), Lang::En).unwrap())
    });
    for (name, series, ask) in [
        (
            "5 days (hourly candles)",
            fixtures::five_days(),
            fixtures::nvda(Range::Week, fixtures::five_days_now()),
        ),
        (
            "1 month (daily candles)",
            fixtures::month(),
            fixtures::nvda(Range::Month, fixtures::month_now()),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| chart::for_range(black_box(&series), black_box(&ask)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, charts);
criterion_main!(benches);
