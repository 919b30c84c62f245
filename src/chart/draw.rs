//! Drawing a prepared chart into a bitmap and encoding it as PNG.
//!
//! Top to bottom: the heading (title, last price and change), the price pane with the price
//! scale on the right as trading screens have it, the volume pane, and two rows of labels —
//! the times (or days, or dates), then the days' names and the time zone. Shapes go first,
//! labels inside the price pane where [`Room`] finds space, letters last.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::ChartError;
use super::axis::{Axis, Tick, TickKind};
use super::data::Candle;
use super::font::{self, Lettering};
use super::layout::{Rect, Room, Scale, decimals, fit, nice_floor, nice_step, volume_label};
use super::words;
use crate::model::Session;
use crate::text::Lang;

/// Chart width in pixels: Telegram shows the picture whole in a chat on a phone.
pub const WIDTH: u32 = 1200;
/// Chart height in pixels.
pub const HEIGHT: u32 = 700;

const MARGIN: i32 = 20;
/// The price scale's column on the right, unless its labels need more.
const SCALE: i32 = 100;
/// Room in the price scale's column besides the last price's label: the gap before its tag,
/// the tag's padding on both sides, and the margin after it.
const TAG_ROOM: i32 = 2 + 8 + 8 + 6;
const TITLE_BAND: i32 = 66;
const VOLUME_PANE: i32 = 104;
const PANE_GAP: i32 = 10;
/// Each of the two rows of labels under the panes.
const ROW: i32 = 32;

const TITLE_SIZE: f32 = 31.0;
const LABEL_SIZE: f32 = 21.0;
const NOTE_SIZE: f32 = 20.0;

const INK: RGBColor = RGBColor(28, 30, 34);
const MUTED: RGBColor = RGBColor(92, 96, 104);
const GRID: RGBColor = RGBColor(232, 234, 238);
const FRAME: RGBColor = RGBColor(204, 207, 214);
const SEPARATOR: RGBColor = RGBColor(160, 164, 172);
const EXTENDED: RGBColor = RGBColor(236, 240, 248);
const UP: RGBColor = RGBColor(14, 145, 72);
const DOWN: RGBColor = RGBColor(212, 46, 46);
const UP_VOLUME: RGBColor = RGBColor(150, 208, 172);
const DOWN_VOLUME: RGBColor = RGBColor(238, 160, 160);
const REFERENCE: RGBColor = RGBColor(110, 114, 122);
const MARK: RGBColor = RGBColor(28, 88, 204);

/// What to draw, prepared by the caller.
pub struct Picture<'a> {
    /// The heading on the left.
    pub title: &'a str,
    /// The last price and its change, on the right of the heading.
    pub summary: Option<String>,
    /// The bars, in time order.
    pub bars: &'a [Candle],
    /// Candles rather than a line.
    pub candles: bool,
    /// The time axis.
    pub axis: &'a Axis,
    /// The previous close: its price and label.
    pub reference: Option<(f64, &'a str)>,
    /// The headline: its time and label.
    pub mark: Option<(DateTime<Utc>, &'a str)>,
    /// Whether the price rose over the chart (the colour of the line and the summary).
    pub rising: bool,
    /// The zone of the time labels.
    pub tz: Tz,
    /// The language of the words.
    pub lang: Lang,
}

/// Draws `p` and encodes it as PNG.
pub fn png(p: &Picture<'_>) -> Result<Vec<u8>, ChartError> {
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    let letters = {
        let area = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        area.fill(&WHITE).map_err(fail)?;
        let mut canvas = Canvas {
            area,
            letters: Vec::new(),
        };
        draw(&mut canvas, p)?;
        canvas.area.present().map_err(fail)?;
        canvas.letters
    };
    for l in &letters {
        font::draw(&mut buffer, WIDTH, l);
    }
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, buffer)
        .ok_or_else(|| ChartError::Draw("bitmap size".into()))?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(fail)?;
    Ok(png)
}

fn fail(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// The bitmap being drawn on, and the letters to draw over it once the shapes are done.
struct Canvas<'b> {
    area: DrawingArea<BitMapBackend<'b>, Shift>,
    letters: Vec<Lettering>,
}

impl Canvas<'_> {
    /// Text starting at `x`, its capitals and digits centred on the row `middle`.
    fn text(&mut self, text: &str, (x, middle): (i32, i32), size: f32, colour: RGBColor) {
        self.letters.push(Lettering {
            text: text.to_string(),
            x,
            middle,
            size,
            colour: [colour.0, colour.1, colour.2],
        });
    }

    fn rect(&self, r: Rect, style: impl Into<ShapeStyle>) -> Result<(), ChartError> {
        self.area
            .draw(&Rectangle::new(
                [(r.left, r.top), (r.right, r.bottom)],
                style,
            ))
            .map_err(fail)
    }

    fn line(&self, points: Vec<(i32, i32)>, style: ShapeStyle) -> Result<(), ChartError> {
        self.area
            .draw(&PathElement::new(points, style))
            .map_err(fail)
    }

    fn dashed(&self, a: (i32, i32), b: (i32, i32), style: ShapeStyle) -> Result<(), ChartError> {
        self.area
            .draw(&DashedPathElement::new([a, b], 9, 6, style))
            .map_err(fail)
    }

    fn dot(&self, at: (i32, i32), radius: i32, colour: RGBColor) -> Result<(), ChartError> {
        self.area
            .draw(&Circle::new(at, radius, colour.filled()))
            .map_err(fail)
    }

    /// A label on a light box, so lines behind it do not cross its words.
    fn boxed(&mut self, r: Rect, text: &str, colour: RGBColor) -> Result<(), ChartError> {
        self.rect(r, WHITE.mix(0.88).filled())?;
        self.text(
            text,
            (r.left + 6, (r.top + r.bottom) / 2),
            NOTE_SIZE,
            colour,
        );
        Ok(())
    }
}

/// Where the panes are and how times and prices map into them.
struct Frame<'p> {
    p: &'p Picture<'p>,
    price: Rect,
    volume: Option<Rect>,
    /// The bottom of the lowest pane.
    bottom: i32,
    scale: Scale,
}

impl Frame<'_> {
    fn new<'p>(p: &'p Picture<'p>) -> Frame<'p> {
        let rows_top = HEIGHT as i32 - 2 * ROW - 10;
        let with_volume = p.bars.iter().any(|b| b.volume.is_some_and(|v| v > 0));
        // Prices to rows, with room above the data for the labels.
        let (mut lo, mut hi) =
            p.bars
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), b| match p.candles {
                    true => (lo.min(b.low), hi.max(b.high)),
                    false => (lo.min(b.close), hi.max(b.close)),
                });
        if let Some((r, _)) = p.reference {
            lo = lo.min(r);
            hi = hi.max(r);
        }
        // A flat line gets a band of its own size around it: a coin's price of a
        // hundred-thousandth of a dollar too, not one of a cent in which it is flat at zero.
        let span = (hi - lo).max(hi.abs() * 0.004).max(1e-9);
        let (lo, hi) = (lo - span * 0.08, hi + span * 0.16);
        let price = Rect {
            left: MARGIN,
            top: TITLE_BAND,
            right: WIDTH as i32 - scale_width(p, lo, hi),
            bottom: match with_volume {
                true => rows_top - VOLUME_PANE - PANE_GAP,
                false => rows_top,
            },
        };
        let volume = with_volume.then_some(Rect {
            top: price.bottom + PANE_GAP,
            bottom: rows_top,
            ..price
        });
        Frame {
            p,
            price,
            volume,
            bottom: volume.map_or(price.bottom, |v| v.bottom),
            scale: Scale {
                lo,
                hi,
                top: price.top,
                bottom: price.bottom,
            },
        }
    }

    fn plot_width(&self) -> f64 {
        f64::from(self.price.right - self.price.left)
    }

    /// The column of a place on the time axis.
    fn x(&self, f: f64) -> i32 {
        self.price.left + (f * self.plot_width()).round() as i32
    }

    /// The column of an instant.
    fn at(&self, t: DateTime<Utc>) -> i32 {
        self.x(self.p.axis.x(t))
    }

    /// The middle column of a bar and its width.
    fn bar(&self, b: &Candle) -> (i32, i32) {
        let (a, z) = (self.at(b.start), self.at(b.end));
        ((a + z) / 2, (z - a).max(1))
    }

    fn panes(&self) -> impl Iterator<Item = Rect> + '_ {
        std::iter::once(self.price).chain(self.volume)
    }
}

/// The width of the price scale's column for prices from `lo` to `hi`: [`SCALE`], or what
/// the last price's tag and the widest level need (an index in the tens of thousands, a share
/// in the hundreds of thousands).
fn scale_width(p: &Picture<'_>, lo: f64, hi: f64) -> i32 {
    let t = crate::i18n::texts(p.lang);
    let measure = |text: &str| font::width(text, LABEL_SIZE);
    let tag = p
        .bars
        .last()
        .map_or(0, |last| measure(&t.price(last.close)) + TAG_ROOM);
    // The levels that could be labelled: the outermost have the most digits.
    let step = nice_step(hi - lo, 6.0);
    let levels = [(lo / step).ceil() * step, (hi / step).floor() * step]
        .into_iter()
        .map(|level| measure(&t.number(level, decimals(step))) + 10 + 6)
        .max()
        .unwrap_or(0);
    SCALE.max(tag).max(levels)
}

/// An extended-hours stretch: its session and columns.
type Band = (Session, i32, i32);

fn draw(c: &mut Canvas<'_>, p: &Picture<'_>) -> Result<(), ChartError> {
    let f = Frame::new(p);
    heading(c, p);
    let bands = bands(&f);
    for (_, x0, x1) in &bands {
        for pane in f.panes() {
            let band = Rect {
                left: *x0,
                right: *x1,
                ..pane
            };
            c.rect(band, EXTENDED.filled())?;
        }
    }
    let measure = |s: &str| f64::from(font::width(s, LABEL_SIZE));
    let ticks = p.axis.ticks(p.tz, p.lang, f.plot_width(), &measure);
    let (step, levels) = grid(c, &f, &ticks)?;
    let mut room = Room::new(f.price);
    if let Some((r, _)) = p.reference {
        let y = f.scale.y(r);
        c.dashed(
            (f.price.left, y),
            (f.price.right, y),
            REFERENCE.stroke_width(2),
        )?;
    }
    if let Some(pane) = f.volume {
        volume(c, &f, pane)?;
    }
    prices(c, &f, &mut room)?;
    price_scale(c, &f, step, &levels)?;
    if let Some((at, label)) = p.mark {
        headline(c, &f, &mut room, at, label)?;
    }
    if let Some((r, label)) = p.reference {
        previous_close(c, &f, &mut room, r, label)?;
    }
    name_bands(c, &f, &mut room, &bands);
    rows(c, &f, &ticks);
    Ok(())
}

/// The title on the left, the last price and its change on the right.
fn heading(c: &mut Canvas<'_>, p: &Picture<'_>) {
    let width = WIDTH as i32;
    let mut room = width - 2 * MARGIN;
    if let Some(summary) = &p.summary {
        let w = font::width(summary, TITLE_SIZE);
        let colour = if p.rising { UP } else { DOWN };
        c.text(summary, (width - MARGIN - w, 34), TITLE_SIZE, colour);
        room -= w + 30;
    }
    c.text(
        &fit(p.title, TITLE_SIZE, room),
        (MARGIN, 34),
        TITLE_SIZE,
        INK,
    );
}

/// The stretches of pre-market and after-hours bars.
fn bands(f: &Frame<'_>) -> Vec<Band> {
    let mut bands: Vec<Band> = Vec::new();
    let mut before: Option<&Candle> = None;
    for b in f.p.bars {
        if let Some(session @ (Session::Pre | Session::Post)) = b.session {
            let (x0, x1) = (f.at(b.start), f.at(b.end));
            let joined = before.is_some_and(|a| a.session == b.session && a.end >= b.start);
            match bands.last_mut() {
                Some((_, _, end)) if joined => *end = x1,
                _ => bands.push((session, x0, x1)),
            }
        }
        before = Some(b);
    }
    bands
}

/// Price levels across the price pane, round times down the panes, breaks between sessions
/// and the panes' frames; the step between price levels and the levels, with their rows.
fn grid(
    c: &mut Canvas<'_>,
    f: &Frame<'_>,
    ticks: &[Tick],
) -> Result<(f64, Vec<(f64, i32)>), ChartError> {
    let step = nice_step(f.scale.hi - f.scale.lo, 6.0);
    let mut levels = Vec::new();
    let mut level = (f.scale.lo / step).ceil() * step;
    while level <= f.scale.hi {
        let y = f.scale.y(level);
        if y > f.price.top + 8 && y < f.price.bottom - 8 {
            c.line(
                vec![(f.price.left, y), (f.price.right, y)],
                GRID.stroke_width(1),
            )?;
            levels.push((level, y));
        }
        level += step;
    }
    for tick in ticks.iter().filter(|t| t.kind != TickKind::Day) {
        let x = f.x(tick.x);
        c.line(vec![(x, f.price.top), (x, f.bottom)], GRID.stroke_width(1))?;
    }
    for b in f.p.axis.breaks() {
        let x = f.x(b);
        c.line(
            vec![(x, f.price.top), (x, f.bottom)],
            SEPARATOR.stroke_width(1),
        )?;
    }
    for pane in f.panes() {
        c.rect(pane, FRAME.stroke_width(1))?;
    }
    Ok((step, levels))
}

/// Volume bars, coloured by whether their price rose, with one round level on the scale.
fn volume(c: &mut Canvas<'_>, f: &Frame<'_>, pane: Rect) -> Result<(), ChartError> {
    let p = f.p;
    let top = p
        .bars
        .iter()
        .filter_map(|b| b.volume)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let scale = Scale {
        lo: 0.0,
        hi: top * 1.08,
        top: pane.top,
        bottom: pane.bottom,
    };
    let level = nice_floor(top);
    let y = scale.y(level);
    c.line(vec![(pane.left, y), (pane.right, y)], GRID.stroke_width(1))?;
    c.text(
        &volume_label(level, p.lang),
        (pane.right + 10, y),
        LABEL_SIZE,
        MUTED,
    );
    let mut before: Option<f64> = None;
    for b in p.bars {
        let up = match p.candles {
            true => b.close >= b.open,
            false => b.close >= before.unwrap_or(b.open),
        };
        before = Some(b.close);
        let Some(v) = b.volume.filter(|v| *v > 0) else {
            continue;
        };
        let (x, w) = f.bar(b);
        let half = ((f64::from(w) * 0.36).round() as i32).clamp(0, 12);
        let bar = Rect {
            left: x - half,
            right: x + half + 1,
            top: scale.y(v as f64).min(pane.bottom - 1),
            bottom: pane.bottom,
        };
        c.rect(bar, (if up { UP_VOLUME } else { DOWN_VOLUME }).filled())?;
    }
    Ok(())
}

/// Candles, or the line through the closes; what they cover is recorded in `room`.
fn prices(c: &mut Canvas<'_>, f: &Frame<'_>, room: &mut Room) -> Result<(), ChartError> {
    let p = f.p;
    if !p.candles {
        let points: Vec<(i32, i32)> = p
            .bars
            .iter()
            .map(|b| (f.bar(b).0, f.scale.y(b.close)))
            .collect();
        for w in points.windows(2) {
            room.cover_line(w[0], w[1], 2);
        }
        let colour = if p.rising { UP } else { DOWN };
        return c.line(points, colour.stroke_width(3));
    }
    for b in p.bars {
        let (x, w) = f.bar(b);
        let half = ((f64::from(w) * 0.35).round() as i32).clamp(0, 12);
        let colour = if b.close >= b.open { UP } else { DOWN };
        let (high, low) = (f.scale.y(b.high), f.scale.y(b.low));
        let (open, close) = (f.scale.y(b.open), f.scale.y(b.close));
        let wick = if half >= 4 { 2 } else { 1 };
        c.line(vec![(x, high), (x, low)], colour.stroke_width(wick))?;
        let body = Rect {
            left: x - half,
            right: x + half + 1,
            top: open.min(close),
            bottom: open.max(close).max(open.min(close) + 1),
        };
        c.rect(body, colour.filled())?;
        for column in x - half..=x + half {
            room.cover(column, high, low);
        }
    }
    Ok(())
}

/// The last price tagged on the scale, and the levels where the tag leaves room.
fn price_scale(
    c: &mut Canvas<'_>,
    f: &Frame<'_>,
    step: f64,
    levels: &[(f64, i32)],
) -> Result<(), ChartError> {
    let t = crate::i18n::texts(f.p.lang);
    let digits = decimals(step);
    let mut tag: Option<i32> = None;
    if let Some(last) = f.p.bars.last() {
        let y = f
            .scale
            .y(last.close)
            .clamp(f.price.top + 15, f.price.bottom - 15);
        let r = Rect {
            left: f.price.right + 2,
            top: y - 15,
            right: WIDTH as i32 - 6,
            bottom: y + 15,
        };
        c.rect(r, (if f.p.rising { UP } else { DOWN }).filled())?;
        let text = t.price(last.close);
        c.text(&text, (r.left + 8, y), LABEL_SIZE, WHITE);
        tag = Some(y);
    }
    for (level, y) in levels {
        if tag.is_none_or(|t| (t - y).abs() >= 28) {
            let text = t.number(*level, digits);
            c.text(&text, (f.price.right + 10, *y), LABEL_SIZE, MUTED);
        }
    }
    Ok(())
}

/// The headline: a line at its time, a dot on the price then, and its label beside the line
/// where the data is not.
fn headline(
    c: &mut Canvas<'_>,
    f: &Frame<'_>,
    room: &mut Room,
    at: DateTime<Utc>,
    label: &str,
) -> Result<(), ChartError> {
    let x = f.at(at);
    c.dashed((x, f.price.top), (x, f.bottom), MARK.stroke_width(2))?;
    if let Some(y) = price_row_at(f, x, at) {
        c.dot((x, y), 7, WHITE)?;
        c.dot((x, y), 5, MARK)?;
        for column in x - 7..=x + 7 {
            room.cover(column, y - 7, y + 7);
        }
    }
    let text = format!("{label} {}", at.with_timezone(&f.p.tz).format("%H:%M"));
    let (w, h) = (font::width(&text, NOTE_SIZE) + 12, 32);
    let inner = f.price.bottom - f.price.top - h - 12;
    // Top, bottom, then between; right of the line, then left.
    let candidates: Vec<(i32, i32)> = [0, 6, 1, 5, 2, 4, 3]
        .into_iter()
        .flat_map(|k| {
            let y = f.price.top + 6 + inner * k / 6;
            [(x + 10, y), (x - 10 - w, y)]
        })
        .collect();
    if let Some(r) = room.place(w, h, &candidates, false) {
        c.boxed(r, &text, MARK)?;
    }
    Ok(())
}

/// The row of the price at column `x` (instant `at`): on the line where it passes `x`, on the
/// close of the last candle before `at`.
fn price_row_at(f: &Frame<'_>, x: i32, at: DateTime<Utc>) -> Option<i32> {
    let bars = f.p.bars;
    if f.p.candles {
        let then = bars.iter().rev().find(|b| b.end <= at).or(bars.first())?;
        return Some(f.scale.y(then.close));
    }
    let point = |b: &Candle| (f.bar(b).0, f.scale.y(b.close));
    let after = bars.iter().position(|b| point(b).0 >= x);
    Some(match after {
        None => point(bars.last()?).1,
        Some(0) => point(&bars[0]).1,
        Some(i) => {
            let ((x0, y0), (x1, y1)) = (point(&bars[i - 1]), point(&bars[i]));
            y0 + (y1 - y0) * (x - x0) / (x1 - x0).max(1)
        }
    })
}

/// The previous close's label, just above or below its line where the data is not.
fn previous_close(
    c: &mut Canvas<'_>,
    f: &Frame<'_>,
    room: &mut Room,
    price: f64,
    label: &str,
) -> Result<(), ChartError> {
    let t = crate::i18n::texts(f.p.lang);
    let y = f.scale.y(price);
    let text = format!("{label} {}", t.price(price));
    let (w, h) = (font::width(&text, NOTE_SIZE) + 12, 30);
    let across = f.price.right - f.price.left - w - 12;
    let candidates: Vec<(i32, i32)> = [y - h - 2, y + 3]
        .into_iter()
        .flat_map(|top| {
            [0, 4, 1, 3, 2]
                .into_iter()
                .map(move |k| (f.price.left + 6 + across * k / 4, top))
        })
        .collect();
    if let Some(r) = room.place(w, h, &candidates, false) {
        c.boxed(r, &text, REFERENCE)?;
    }
    Ok(())
}

/// The first band of each extended session named at its top or bottom, where there is room.
fn name_bands(c: &mut Canvas<'_>, f: &Frame<'_>, room: &mut Room, bands: &[Band]) {
    for session in [Session::Pre, Session::Post] {
        let Some((_, x0, x1)) = bands.iter().find(|(s, _, _)| *s == session) else {
            continue;
        };
        let text = words::session(f.p.lang, session);
        let w = font::width(text, NOTE_SIZE) + 8;
        if x1 - x0 < w + 8 {
            continue;
        }
        let candidates = [
            (x0 + 4, f.price.top + 4),
            (x1 - 4 - w, f.price.top + 4),
            (x0 + 4, f.price.bottom - 32),
        ];
        if let Some(r) = room.place(w, 28, &candidates, true) {
            c.text(text, (r.left + 4, (r.top + r.bottom) / 2), NOTE_SIZE, MUTED);
        }
    }
}

/// Under the panes: the ticks' labels, then the days' names (under times) and the zone.
fn rows(c: &mut Canvas<'_>, f: &Frame<'_>, ticks: &[Tick]) {
    let width = WIDTH as i32;
    let row1 = f.bottom + 20;
    let row2 = row1 + ROW;
    let mut last_right = i32::MIN;
    for tick in ticks.iter().filter(|t| !t.label.is_empty()) {
        let w = font::width(&tick.label, LABEL_SIZE);
        let centred = f.x(tick.label_x) - w / 2;
        let x = centred.clamp(MARGIN, width - MARGIN - w);
        // A label pushed far from its tick by the edge would name the wrong place.
        if x < last_right + 8 || (x - centred).abs() > w / 4 {
            continue;
        }
        c.text(&tick.label, (x, row1), LABEL_SIZE, MUTED);
        last_right = x + w;
    }
    let Some((_, end)) = f.p.axis.bounds() else {
        return;
    };
    let zone = words::zone(f.p.lang, f.p.tz, end);
    let zone_x = width - MARGIN - font::width(&zone, NOTE_SIZE);
    c.text(&zone, (zone_x, row2), NOTE_SIZE, MUTED);
    if ticks.iter().all(|t| t.kind == TickKind::Time) {
        let mut last_right = i32::MIN;
        for (x, day) in f.p.axis.day_starts(f.p.lang) {
            let w = font::width(&day, NOTE_SIZE);
            let x = f.x(x).max(MARGIN);
            if x >= last_right + 16 && x + w <= zone_x - 16 {
                c.text(&day, (x, row2), NOTE_SIZE, INK);
                last_right = x + w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::market::exchange_for;

    /// A day of 30-minute closes from `first`, each `step` above the one before.
    fn bars(first: f64, step: f64) -> Vec<Candle> {
        let start: DateTime<Utc> = "2026-02-02T14:30:00Z".parse().unwrap();
        (0..13)
            .map(|i| {
                let close = first + step * f64::from(i);
                Candle {
                    start: start + Duration::minutes(30 * i64::from(i)),
                    end: start + Duration::minutes(30 * i64::from(i + 1)),
                    open: close,
                    high: close,
                    low: close,
                    close,
                    volume: Some(1000),
                    session: Some(Session::Regular),
                    prices: 1,
                }
            })
            .collect()
    }

    fn axis(bars: &[Candle]) -> Axis {
        Axis::intraday(bars.iter().map(|b| (b.start, b.end)), exchange_for("NVDA"))
    }

    /// A line of `bars` in a German chat.
    fn picture<'a>(bars: &'a [Candle], axis: &'a Axis) -> Picture<'a> {
        Picture {
            title: "X",
            summary: None,
            bars,
            candles: false,
            axis,
            reference: None,
            mark: None,
            rising: true,
            tz: Tz::UTC,
            lang: Lang::De,
        }
    }

    /// The letters `p` is drawn with.
    fn letters(p: &Picture<'_>) -> Vec<Lettering> {
        let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        let area = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        let mut canvas = Canvas {
            area,
            letters: Vec::new(),
        };
        draw(&mut canvas, p).unwrap();
        canvas.letters
    }

    /// An index of tens of thousands (the DAX, the Nikkei) or a share of hundreds of thousands
    /// (Berkshire's A share): the last price and the levels are shown whole, inside the picture
    /// and the last price inside its tag.
    #[test]
    fn large_prices_are_labelled_whole() {
        for (first, step) in [(24_123.45, 10.0), (718_000.0, 500.0), (186.0, 0.3)] {
            let bars = bars(first, step);
            let axis = axis(&bars);
            for l in letters(&picture(&bars, &axis)) {
                let right = l.x + font::width(&l.text, l.size);
                assert!(
                    right <= WIDTH as i32 - 6,
                    "{:?} at {first} ends at {right} px, past the tag and the picture's edge",
                    l.text
                );
            }
        }
    }

    /// A coin quoted at a hundred-thousandth of a dollar (SHIB-USD): its rise fills the pane,
    /// no level is below zero, and the last price is shown with its digits, not as 0,0000.
    #[test]
    fn prices_below_a_cent_are_drawn_and_labelled_as_they_are() {
        let bars = bars(0.000_012_34, 0.000_000_1);
        let axis = axis(&bars);
        let p = picture(&bars, &axis);
        let f = Frame::new(&p);
        let (first, last) = (bars[0].close, bars[bars.len() - 1].close);
        let rise = f.scale.y(first) - f.scale.y(last);
        assert!(
            rise >= (f.price.bottom - f.price.top) / 2,
            "a rise of 10 % takes {rise} px of {}",
            f.price.bottom - f.price.top
        );
        let numbers: Vec<f64> = letters(&p)
            .iter()
            .filter_map(|l| l.text.replace(',', ".").parse().ok())
            .collect();
        assert!(numbers.iter().all(|n| *n >= 0.0), "{numbers:?}");
        assert!(
            numbers.iter().any(|n| (n / last - 1.0).abs() < 0.01),
            "no label shows the last price {last}: {numbers:?}"
        );
    }
}
