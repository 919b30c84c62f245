//! Letters on the chart: the embedded DejaVu Sans, measured and drawn with ab_glyph straight
//! into the bitmap.
//!
//! Plotters' own text drawing places each glyph at its advance without its side bearing, so a
//! colon or an `i` sits off its place (`16: 47`); drawing the glyphs here puts them where the
//! font says and measures labels exactly, which the layout relies on.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

fn font() -> Option<&'static FontRef<'static>> {
    static PARSED: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    PARSED
        .get_or_init(|| match FontRef::try_from_slice(FONT) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the chart font");
                None
            }
        })
        .as_ref()
}

/// Where the baseline is below the middle of a line of capitals and digits, per pixel of size.
const HALF_CAP: f32 = 0.365;

/// The width of `text` at `size` pixels.
pub fn width(text: &str, size: f32) -> i32 {
    let Some(font) = font() else {
        return (text.chars().count() as f32 * size * 0.6) as i32;
    };
    let font = font.as_scaled(PxScale::from(size));
    let mut caret = 0.0;
    let mut before = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(b) = before {
            caret += font.kern(b, id);
        }
        caret += font.h_advance(id);
        before = Some(id);
    }
    caret.ceil() as i32
}

/// Text to draw once the shapes are drawn.
#[derive(Clone, Debug)]
pub struct Lettering {
    /// The words.
    pub text: String,
    /// Left end, in pixels.
    pub x: i32,
    /// The row its capitals and digits are centred on.
    pub middle: i32,
    /// Size in pixels.
    pub size: f32,
    /// Colour.
    pub colour: [u8; 3],
}

/// Draws `l` into an RGB bitmap `width` pixels wide, blending by the glyphs' coverage.
pub fn draw(buffer: &mut [u8], width: u32, l: &Lettering) {
    let Some(font) = font() else {
        return;
    };
    let scale = PxScale::from(l.size);
    let scaled = font.as_scaled(scale);
    let baseline = l.middle as f32 + HALF_CAP * l.size;
    let height = buffer.len() / (width as usize * 3).max(1);
    let mut caret = l.x as f32;
    let mut before = None;
    for c in l.text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(b) = before {
            caret += scaled.kern(b, id);
        }
        before = Some(id);
        let glyph = id.with_scale_and_position(scale, point(caret, baseline));
        caret += scaled.h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let x = bounds.min.x as i64 + i64::from(gx);
            let y = bounds.min.y as i64 + i64::from(gy);
            if x < 0 || y < 0 || x >= i64::from(width) || y >= height as i64 {
                return;
            }
            let a = coverage.clamp(0.0, 1.0);
            let at = (y as usize * width as usize + x as usize) * 3;
            for (dst, src) in buffer[at..at + 3].iter_mut().zip(l.colour) {
                *dst = (f32::from(*dst) * (1.0 - a) + f32::from(src) * a).round() as u8;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colon_keeps_its_place() {
        // Regression: plotters drew `16:47` as `16: 47`, the colon left of its place.
        let mut buffer = vec![255u8; 100 * 30 * 3];
        draw(
            &mut buffer,
            100,
            &Lettering {
                text: "16:47".into(),
                x: 2,
                middle: 15,
                size: 20.0,
                colour: [0, 0, 0],
            },
        );
        // Ink in every fifth of the word's width: no hole after the colon.
        let w = width("16:47", 20.0) as usize;
        let inked = |x: usize| (0..30).any(|y| buffer[(y * 100 + x) * 3] < 128);
        let columns: Vec<bool> = (2..2 + w).map(inked).collect();
        let longest_gap = columns.split(|c| *c).map(<[bool]>::len).max().unwrap_or(0);
        assert!(longest_gap < 6, "a gap of {longest_gap} px in 16:47");
    }
}
