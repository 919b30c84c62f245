//! Where things go on a chart: rectangles, price-to-row scales, round steps for the price
//! and volume scales, and the search for free room for a label.
//!
//! Labels inside the price pane are placed where the data is not: every pixel column of the
//! pane remembers the rows the data covers, and a label tries its candidate places in order
//! until one is free of data and of the labels placed before it.

use super::font;
use crate::i18n::MAX_DECIMALS;
use crate::text::Lang;

/// A rectangle in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
}

impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.left < o.right && o.left < self.right && self.top < o.bottom && o.top < self.bottom
    }

    pub fn inside(&self, o: &Rect) -> bool {
        self.left >= o.left && self.right <= o.right && self.top >= o.top && self.bottom <= o.bottom
    }
}

/// The rows each pixel column of the price pane has data in, and the labels placed so far.
pub struct Room {
    pane: Rect,
    /// Per column from `pane.left`: the highest and lowest row drawn on.
    columns: Vec<(i32, i32)>,
    labels: Vec<Rect>,
}

impl Room {
    pub fn new(pane: Rect) -> Room {
        Room {
            pane,
            columns: vec![(i32::MAX, i32::MIN); (pane.right - pane.left + 1).max(1) as usize],
            labels: Vec::new(),
        }
    }

    pub fn cover(&mut self, x: i32, top: i32, bottom: i32) {
        if let Some(c) = usize::try_from(x - self.pane.left)
            .ok()
            .and_then(|i| self.columns.get_mut(i))
        {
            c.0 = c.0.min(top.min(bottom));
            c.1 = c.1.max(top.max(bottom));
        }
    }

    /// Records a line from `a` to `b` (and its width around it).
    pub fn cover_line(&mut self, a: (i32, i32), b: (i32, i32), half_width: i32) {
        let (a, b) = if a.0 <= b.0 { (a, b) } else { (b, a) };
        let dx = (b.0 - a.0).max(1);
        for x in a.0..=b.0 {
            let y0 = a.1 + (b.1 - a.1) * (x - a.0) / dx;
            let y1 = a.1 + (b.1 - a.1) * (x + 1 - a.0).min(dx) / dx;
            self.cover(x, y0.min(y1) - half_width, y0.max(y1) + half_width);
        }
    }

    /// How much of `r` the data or an earlier label takes (0 when free).
    fn clash(&self, r: &Rect) -> i64 {
        const CLEAR: i32 = 5;
        let mut clash: i64 = 0;
        for x in r.left..r.right {
            if let Some((top, bottom)) = usize::try_from(x - self.pane.left)
                .ok()
                .and_then(|i| self.columns.get(i))
                && *top - CLEAR < r.bottom
                && *bottom + CLEAR > r.top
            {
                clash += 1;
            }
        }
        for l in &self.labels {
            if l.overlaps(r) {
                clash += 1_000;
            }
        }
        clash
    }

    /// The first free place among `candidates` (top-left corners) for a `w`×`h` label inside
    /// the pane — else, unless `only_free`, the one that covers least — recorded as taken.
    pub fn place(
        &mut self,
        w: i32,
        h: i32,
        candidates: &[(i32, i32)],
        only_free: bool,
    ) -> Option<Rect> {
        let mut best: Option<(i64, Rect)> = None;
        for &(x, y) in candidates {
            let x = x.clamp(
                self.pane.left + 4,
                (self.pane.right - 4 - w).max(self.pane.left),
            );
            let r = Rect {
                left: x,
                top: y,
                right: x + w,
                bottom: y + h,
            };
            if !r.inside(&self.pane) {
                continue;
            }
            let clash = self.clash(&r);
            if clash == 0 {
                best = Some((0, r));
                break;
            }
            if !only_free && best.is_none_or(|(c, _)| clash < c) {
                best = Some((clash, r));
            }
        }
        let (_, r) = best?;
        self.labels.push(r);
        Some(r)
    }
}

/// Price to row, within a pane.
#[derive(Clone, Copy)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub top: i32,
    pub bottom: i32,
}

impl Scale {
    pub fn y(&self, v: f64) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        (self.bottom as f64 - f * (self.bottom - self.top) as f64).round() as i32
    }
}

/// A round step for about `count` intervals over `span`: 1, 2, 2.5 or 5 times a power of ten.
pub fn nice_step(span: f64, count: f64) -> f64 {
    let raw = (span / count).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * magnitude)
}

/// The largest round number (1, 2, 2.5 or 5 times a power of ten) at most `v`.
pub fn nice_floor(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.max(f64::MIN_POSITIVE).log10().floor());
    [5.0, 2.5, 2.0, 1.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|r| *r <= v * 1.000_001)
        .unwrap_or(magnitude)
}

/// The decimals a multiple of `step` needs (the steps of prices down to a millionth).
pub fn decimals(step: f64) -> usize {
    (0..MAX_DECIMALS)
        .find(|d| {
            let scaled = step * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs()
        })
        .unwrap_or(MAX_DECIMALS)
}

/// `27M`, `950K`, `1.2B`.
pub fn volume_label(v: f64, lang: Lang) -> String {
    let (value, unit) = if v >= 1e9 {
        (v / 1e9, "B")
    } else if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let digits = if value < 10.0 && value.fract() > 0.05 {
        1
    } else {
        0
    };
    crate::i18n::texts(lang).number(value, digits) + unit
}

/// `text` cut with an ellipsis to fit `room` pixels.
pub fn fit(text: &str, size: f32, room: i32) -> String {
    if font::width(text, size) <= room {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if font::width(&cut, size) <= room {
            return cut;
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_steps_are_round() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(7.0, 6.0), 2.0);
        assert_eq!(nice_step(1.1, 6.0), 0.2);
        assert_eq!(nice_step(1.4, 6.0), 0.25);
        assert_eq!(decimals(0.25), 2);
        assert_eq!(nice_floor(8_800_000.0), 5_000_000.0);
        assert_eq!(nice_floor(230_000_000.0), 200_000_000.0);
        assert_eq!(decimals(5.0), 0);
        assert_eq!(decimals(0.000_000_2), 7);
        assert_eq!(volume_label(27_500_000.0, Lang::De), "28M");
        assert_eq!(volume_label(2_500_000.0, Lang::De), "2,5M");
    }

    #[test]
    fn a_label_goes_where_the_data_is_not() {
        let pane = Rect {
            left: 0,
            top: 0,
            right: 200,
            bottom: 100,
        };
        let mut room = Room::new(pane);
        // Data along the top of the left half.
        room.cover_line((0, 10), (100, 10), 2);
        let r = room.place(40, 20, &[(10, 5), (10, 60)], false).unwrap();
        assert_eq!(r.top, 60, "below the data");
        // The same place again is taken by the first label.
        let again = room.place(40, 20, &[(10, 60)], true);
        assert!(again.is_none());
    }
}
