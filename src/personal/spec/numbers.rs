//! Numbers in the `/alert` language: read the English or the German way as a chat types them
//! (an ambiguous `1,850` is asked about, never guessed), read back from the normal form, and
//! written in it.

use super::SpecError;

/// How the `,` and `.` of a number are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Separators {
    /// As a chat types them, in English or German: either mark is a decimal point, or
    /// separates thousands where the number shows it (`1,850.50`, `1.850,50`, `1.000.000`);
    /// a lone mark before exactly three digits (`1,850`) could be either and is asked about.
    Typed,
    /// As the normal form writes them: `.` (or `,`) is the decimal point.
    Normal,
}

/// Whether `text` is digits in groups of three after `mark` (`1,850,000`): its digits if so.
fn grouped(text: &str, mark: char) -> Option<String> {
    let mut groups = text.split(mark);
    let first = groups.next()?;
    let digits = |g: &str| g.chars().all(|c| c.is_ascii_digit());
    if !(1..=3).contains(&first.len()) || !digits(first) || first.starts_with('0') {
        return None;
    }
    let mut out = first.to_string();
    for g in groups {
        if g.len() != 3 || !digits(g) {
            return None;
        }
        out.push_str(g);
    }
    Some(out)
}

/// The readings of a typed number: the one to take, or, when a lone mark before three digits
/// may also separate thousands, both (`1850` and `1.85` for `1,850`). `None` when it is no
/// number written either way.
fn readings(text: &str) -> Option<(String, Option<String>)> {
    let marks: Vec<char> = text.chars().filter(|c| matches!(c, ',' | '.')).collect();
    let Some(&last) = marks.last() else {
        return Some((text.to_string(), None));
    };
    let (whole, fraction) = text.rsplit_once(last)?;
    if marks.iter().any(|&m| m != last) {
        // Both marks: the last is the decimal point, the other separates thousands.
        let other = if last == ',' { '.' } else { ',' };
        let whole = grouped(whole, other)?;
        return Some((format!("{whole}.{fraction}"), None));
    }
    if marks.len() > 1 {
        return Some((grouped(text, last)?, None));
    }
    let decimal = format!("{whole}.{fraction}");
    match grouped(text, last) {
        Some(thousands) if fraction.len() == 3 => Some((decimal, Some(thousands))),
        _ => Some((decimal, None)),
    }
}

/// `input` with the spaces before each `%` taken out: `3 %` is written with a space in
/// German, often a no-break one (`3\u{a0}%`), and the sign belongs to its number whatever
/// the space.
pub(super) fn percent_joined(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if c == '%' {
            out.truncate(out.trim_end().len());
        }
        out.push(c);
    }
    out
}

pub(super) fn number(
    word: Option<&(String, bool)>,
    keyword: &str,
    percent: bool,
    separators: Separators,
) -> Result<f64, SpecError> {
    let Some((raw, _)) = word else {
        return Err(SpecError::MissingNumber(keyword.to_string()));
    };
    let text = raw.trim();
    let text = if percent {
        text.trim_end_matches('%').trim()
    } else {
        text
    };
    let range = if percent {
        0.0..=50.0
    } else {
        0.0..=10_000_000.0
    };
    let value = |text: &str| -> Option<f64> {
        let value: f64 = text.parse().ok()?;
        // Kept to the four decimals the alert is written with, so it means what it says.
        let value = (value * 1e4).round() / 1e4;
        (value.is_finite() && value > 0.0 && range.contains(&value)).then_some(value)
    };
    let bad = || SpecError::BadNumber(raw.clone());
    match separators {
        Separators::Normal => value(&text.replace(',', ".")).ok_or_else(bad),
        Separators::Typed => {
            let (decimal, thousands) = readings(text).ok_or_else(bad)?;
            let taken = value(&decimal).ok_or_else(bad);
            match thousands {
                // A percentage in the thousands is out of range: `2,500%` is 2.5 %.
                Some(thousands) if value(&thousands).is_some() => Err(SpecError::AmbiguousNumber {
                    written: text.to_string(),
                    thousands,
                    // In the normal form, not ambiguous in turn: `12.3450` for `12,345`.
                    decimal: decimal.parse().map_or(decimal.clone(), level),
                }),
                _ => taken,
            }
        }
    }
}

/// `x` in the normal form: at most four decimals, no trailing zeros.
pub(super) fn num(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A price level in the normal form: [`num`], but three decimals, which would be asked about
/// when typed back (`1.085` could be 1085), get a fourth (`1.0850`), so what `/alerts` lists
/// can be copied into `/edit` as it is. (A percentage is never asked about: it is never in
/// the thousands.)
pub(super) fn level(x: f64) -> String {
    let s = num(x);
    match s.split_once('.') {
        Some((_, fraction)) if fraction.len() == 3 => format!("{s}0"),
        _ => s,
    }
}
