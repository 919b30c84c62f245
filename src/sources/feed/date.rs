//! Item dates: what feed-rs reads, and the forms it does not.
//!
//! German finance portals write RFC 822-like dates with German day and month names
//! (`Di, 03 Feb 2026 07:32:00 +0100`, `Mo, 02 Mär 2026 17:05:00 MEZ`) or in German orders
//! (`03.02.2026 07:32`, `3. Februar 2026, 07:32 Uhr`); other feeds write sloppy English ones
//! (`Sat, Dec 16 2023 02:02:33 PM EST`, a wrong weekday, `UTC`, a two-digit year). [`parse`]
//! is the feed parser's timestamp hook. A hook replaces feed-rs's own lenient parser, which is
//! not public, so well-formed RFC 3339 and RFC 2822 go to chrono first, as in feed-rs, and
//! whatever chrono refuses is read here.
//!
//! What is read: a day, a month and a year in any order — a month by its German or English
//! name or abbreviation (with or without a dot, umlauts or their ASCII spelling: `Mär`, `Mrz`,
//! `Maerz`, `März`), or numerically as `03.02.2026`, `03.02.26`, `2026-02-03` or `2026/02/03`
//! (day-month-year with slashes or dashes is refused: it may be month-day-year); then an
//! optional time (`07:32`, `7:32:00.000`, `17.05` after the date, `AM`/`PM`; hour 24 is
//! midnight of the same day, as feed-rs takes it) and zone (`+0100`, `+01:00`, `-5`, `GMT`,
//! `UT`, `UTC`, `Z`, `MEZ`/`CET`, `MESZ`/`CEST`, `WEZ`, `OEZ`, `BST` and the US zones; a numeric
//! offset wins over a name beside it, as in `GMT+1` or `+0100 (CET)`). Weekdays are skipped,
//! never checked, and so is a first word before a comma (a weekday in another language:
//! `mer, 16 nov 2022`), `Uhr`, `um`, `am`, `den`, `at` and ordinal suffixes. `am` after a time
//! is English "AM" only in a date with nothing German in it and an hour up to 12; otherwise it
//! is German "on the" (`12:30 Uhr am 03.02.2026`). A dash with a space after it separates the
//! date from the time, and after the time spans a range (`10:00 - 11:30`): unreadable, not an
//! offset. Any other word or sign makes the text unreadable. Two-digit years are RFC 2822's
//! (`26` is 2026, `99` 1999).
//!
//! A date with no zone is Berlin's local time when something in it is German (a German day or
//! month name, a month written with its umlaut, `Uhr`, the dotted day-month-year order): a German portal writes the time its
//! readers live in, winter or summer. Any other date with no zone is UTC, as RFC 3339's
//! date-only form is in feed-rs: a feed in English may come from anywhere, and UTC is off by
//! hours at most. A local time skipped when the clocks go forward is taken an hour later, an
//! ambiguous one as its first occurrence (as a chat's local times, `chats.rs`).
//!
//! Unreadable text, a date outside 1970–2200, or the Unix epoch itself (a zero timestamp
//! written out, `Thu, 01 Jan 1970 00:00:00 +0000` or the same instant in another zone: a
//! publishing system's "no date") is `None` (the item gets the fetch time). The work is
//! linear in the text and bounded: longer texts than `MAX_LEN` are not read leniently.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// Texts longer than this (bytes, trimmed) are not read leniently: no date is that long.
const MAX_LEN: usize = 100;
/// Words longer than this are no day, month, zone or filler word.
const MAX_WORD: usize = 12;
/// Years a feed item can plausibly carry.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=2200;

/// The instant a feed's date text names, or `None` when it is unreadable.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc2822(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| lenient(text))
        // The epoch itself is a zero timestamp written out (in whatever zone): no date.
        .filter(|t| YEARS.contains(&t.year()) && t.timestamp() != 0)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    Num {
        value: u32,
        digits: usize,
    },
    /// Lowercase ASCII, umlauts without their dots; `len` beyond `MAX_WORD` means too long.
    Word {
        bytes: [u8; MAX_WORD],
        len: usize,
        /// Whether it was written with an umlaut (`Mär`: German, where `Mar` is English).
        umlaut: bool,
    },
    /// `.`, `:`, `-`, `+` or `/` (and, until they are dropped, spaces and commas).
    Sign(u8),
}

impl Tok {
    fn word(&self) -> Option<&[u8]> {
        match self {
            Tok::Word { bytes, len, .. } if *len <= MAX_WORD => Some(&bytes[..*len]),
            _ => None,
        }
    }
}

/// The text as numbers, words and signs; spaces, commas and parentheses only separate.
fn tokens(text: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(16);
    for c in text.chars() {
        let last = out.last_mut();
        if let Some(d) = c.to_digit(10) {
            match last {
                Some(Tok::Num { value, digits }) => {
                    *value = value.saturating_mul(10).saturating_add(d);
                    *digits += 1;
                }
                _ => out.push(Tok::Num {
                    value: d,
                    digits: 1,
                }),
            }
            continue;
        }
        let letter = match c {
            'a'..='z' | 'A'..='Z' => Some(c.to_ascii_lowercase() as u8),
            'ä' | 'Ä' => Some(b'a'),
            'ö' | 'Ö' => Some(b'o'),
            'ü' | 'Ü' => Some(b'u'),
            _ => None,
        };
        if let Some(b) = letter {
            let with_umlaut = !c.is_ascii();
            match last {
                Some(Tok::Word { bytes, len, umlaut }) => {
                    if let Some(slot) = bytes.get_mut(*len) {
                        *slot = b;
                    }
                    *len = (*len + 1).min(MAX_WORD + 1);
                    *umlaut |= with_umlaut;
                }
                _ => {
                    let mut bytes = [0; MAX_WORD];
                    bytes[0] = b;
                    out.push(Tok::Word {
                        bytes,
                        len: 1,
                        umlaut: with_umlaut,
                    });
                }
            }
            continue;
        }
        match c {
            '.' | ':' | '-' | '+' | '/' => out.push(Tok::Sign(c as u8)),
            '–' | '—' => out.push(Tok::Sign(b'-')),
            ',' | '(' | ')' => out.push(Tok::Sign(b',')),
            c if c.is_whitespace() => out.push(Tok::Sign(b' ')),
            _ => return None,
        }
    }
    // A first word before a comma is a weekday in any language (`mer, 16 nov 2022`).
    if let [Tok::Word { .. }, rest @ ..] = out.as_slice()
        && let [Tok::Sign(b','), ..] | [Tok::Sign(b'.'), Tok::Sign(b','), ..] = rest
        && weekday(out[0].word().unwrap_or_default()).is_none()
    {
        out[0] = Tok::Sign(b' ');
    }
    // A dash with a space after it is no offset's sign: it separates (`3. Februar - 07:32`)
    // or spans a range (`10:00 - 11:30`).
    for i in 1..out.len() {
        if out[i] == Tok::Sign(b' ') && matches!(out[i - 1], Tok::Sign(b'-' | b'+')) {
            out[i - 1] = Tok::Sign(b'~');
        }
    }
    // Spaces and commas only separate: once tokens are split, they go.
    out.retain(|t| !matches!(t, Tok::Sign(b' ' | b',')));
    Some(out)
}

/// The parts read so far.
#[derive(Default)]
struct Parts {
    day: Option<u32>,
    month: Option<u32>,
    /// The year as written, and its digits (two: RFC 2822's two-digit year).
    year: Option<(u32, usize)>,
    time: Option<(u32, u32, u32)>,
    pm: Option<bool>,
    /// An `am` after the time: English "AM", or German "am" ("on the") before a date.
    am_after_time: bool,
    /// A numeric offset, seconds east of UTC.
    offset: Option<i32>,
    /// A zone's name, as seconds east of UTC.
    zone: Option<i32>,
    german: bool,
}

fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// The lenient reading (see the module's documentation).
fn lenient(text: &str) -> Option<DateTime<Utc>> {
    if text.len() > MAX_LEN {
        return None;
    }
    let toks = tokens(text)?;
    let num = |i: usize| match toks.get(i) {
        Some(Tok::Num { value, digits }) => Some((*value, *digits)),
        _ => None,
    };
    let sign = |i: usize| match toks.get(i) {
        Some(Tok::Sign(s)) => Some(*s),
        _ => None,
    };
    let mut p = Parts::default();
    let mut i = 0;
    while i < toks.len() {
        match toks[i] {
            Tok::Num { value, digits } => {
                // A numeric date: 03.02.2026, 2026-02-03, 2026/02/03.
                if let (Some(s @ (b'.' | b'-' | b'/')), Some((b, bd)), Some((c, cd))) =
                    (sign(i + 1), num(i + 2), num(i + 4))
                    && sign(i + 3) == Some(s)
                    && bd <= 2
                {
                    let (d, m, y) = if digits == 4 && cd <= 2 {
                        ((c, cd), b, (value, digits))
                    } else if s == b'.' && digits <= 2 {
                        p.german = true;
                        ((value, digits), b, (c, cd))
                    } else {
                        return None;
                    };
                    if d.1 > 2 {
                        return None;
                    }
                    set(&mut p.day, d.0)?;
                    set(&mut p.month, m)?;
                    set(&mut p.year, y)?;
                    i += 5;
                    continue;
                }
                // A time: 07:32, 07:32:00, 07:32:00.123.
                if sign(i + 1) == Some(b':') {
                    let (m, md) = num(i + 2)?;
                    let mut s = 0;
                    let mut next = i + 3;
                    if sign(next) == Some(b':') {
                        let (v, sd) = num(next + 1)?;
                        if sd != 2 {
                            return None;
                        }
                        s = v;
                        next += 2;
                        if sign(next) == Some(b'.') && num(next + 1).is_some() {
                            next += 2;
                        }
                    }
                    if digits > 2 || md != 2 {
                        return None;
                    }
                    set(&mut p.time, (value, m, s))?;
                    i = next;
                    continue;
                }
                if sign(i + 1) == Some(b'.') {
                    // A German time after the date: 17.05 Uhr.
                    if let Some((m, 2)) = num(i + 2)
                        && p.year.is_some()
                        && p.time.is_none()
                        && digits <= 2
                    {
                        p.time = Some((value, m, 0));
                        i += 3;
                        continue;
                    }
                    // A German ordinal day: 3. Februar.
                    if digits <= 2 && p.day.is_none() {
                        p.german = true;
                        p.day = Some(value);
                        i += 2;
                        continue;
                    }
                }
                match digits {
                    4 => set(&mut p.year, (value, digits))?,
                    1 | 2 if p.day.is_none() => p.day = Some(value),
                    2 => set(&mut p.year, (value, digits))?,
                    _ => return None,
                }
                i += 1;
            }
            // An offset: +0100, +01:00, -5. A dash before the time only separates.
            Tok::Sign(s @ (b'+' | b'-')) => {
                if s == b'-' && p.time.is_none() {
                    i += 1;
                    continue;
                }
                let (v, digits) = num(i + 1)?;
                let (h, m, used) = match digits {
                    4 => (v / 100, v % 100, 2),
                    1 | 2 => match (sign(i + 2), num(i + 3)) {
                        (Some(b':'), Some((m, 2))) => (v, m, 4),
                        _ => (v, 0, 2),
                    },
                    _ => return None,
                };
                if h > 23 || m > 59 {
                    return None;
                }
                let secs = (h * 3600 + m * 60) as i32;
                set(&mut p.offset, if s == b'-' { -secs } else { secs })?;
                i += used;
            }
            // A spaced dash: a separator before the time, a range after it (unreadable).
            Tok::Sign(b'~') if p.time.is_none() => i += 1,
            // Dots after abbreviations and words.
            Tok::Sign(b'.') => i += 1,
            Tok::Sign(_) => return None,
            Tok::Word { .. } => {
                let w = toks[i].word()?;
                let umlaut = matches!(toks[i], Tok::Word { umlaut: true, .. });
                if let Some((m, german)) = month(w) {
                    set(&mut p.month, m)?;
                    p.german |= german || umlaut;
                } else if let Some(german) = weekday(w) {
                    p.german |= german;
                } else if let Some(z) = zone(w) {
                    set(&mut p.zone, z)?;
                } else if w == b"am" || w == b"pm" {
                    // After a time a meridiem, or German "12:30 Uhr am 3. Februar" (decided
                    // once the whole date is read); before it, German "am 3. Februar".
                    if p.time.is_some() && w == b"pm" {
                        set(&mut p.pm, true)?;
                    } else if p.time.is_some() {
                        if p.am_after_time {
                            return None;
                        }
                        p.am_after_time = true;
                    } else if w == b"am" {
                        p.german = true;
                    } else {
                        return None;
                    }
                } else if let Some(german) = filler(w) {
                    p.german |= german;
                } else {
                    return None;
                }
                i += 1;
            }
        }
    }
    resolve(&p)
}

fn resolve(p: &Parts) -> Option<DateTime<Utc>> {
    let (year, digits) = p.year?;
    let year = match digits {
        1 | 2 if year < 50 => 2000 + year,
        1 | 2 => 1900 + year,
        _ => year,
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, p.month?, p.day?)?;
    let (mut h, m, s) = p.time.unwrap_or((0, 0, 0));
    // `am` after a time is English "AM" in an English date with an hour a clock face has;
    // otherwise German "on the".
    let pm = match (p.pm, p.am_after_time) {
        (Some(_), true) => return None,
        (None, true) if !p.german && (1..=12).contains(&h) => Some(false),
        (pm, _) => pm,
    };
    match pm {
        Some(pm) if (1..=12).contains(&h) => h = h % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None if h == 24 => h = 0,
        None => {}
    }
    let local = date.and_time(NaiveTime::from_hms_opt(h, m, s)?);
    let utc = match p.offset.or(p.zone) {
        Some(secs) => FixedOffset::east_opt(secs)?
            .from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
        None if p.german => {
            let berlin = chrono_tz::Europe::Berlin;
            berlin
                .from_local_datetime(&local)
                .earliest()
                .or_else(|| {
                    berlin
                        .from_local_datetime(&(local + chrono::TimeDelta::hours(1)))
                        .earliest()
                })?
                .with_timezone(&Utc)
        }
        None => local.and_utc(),
    };
    Some(utc)
}

/// A month's name or abbreviation, and whether it is German only.
fn month(w: &[u8]) -> Option<(u32, bool)> {
    Some(match w {
        b"jan" => (1, false),
        b"januar" | b"janner" => (1, true),
        b"january" => (1, false),
        b"feb" | b"febr" => (2, false),
        b"februar" | b"feber" => (2, true),
        b"february" => (2, false),
        // `mar` is also `Mär` without its dots.
        b"mar" | b"march" => (3, false),
        b"marz" | b"maerz" | b"mrz" => (3, true),
        b"apr" | b"april" => (4, false),
        b"mai" => (5, true),
        b"may" => (5, false),
        b"jun" | b"june" => (6, false),
        b"juni" => (6, true),
        b"jul" | b"july" => (7, false),
        b"juli" => (7, true),
        b"aug" | b"august" => (8, false),
        b"sep" | b"sept" | b"september" => (9, false),
        b"okt" | b"oktober" => (10, true),
        b"oct" | b"october" => (10, false),
        b"nov" | b"november" => (11, false),
        b"dez" | b"dezember" => (12, true),
        b"dec" | b"december" => (12, false),
        _ => return None,
    })
}

/// A weekday's name or abbreviation: whether it is German.
fn weekday(w: &[u8]) -> Option<bool> {
    match w {
        b"mo" | b"di" | b"mi" | b"do" | b"fr" | b"sa" | b"so" | b"montag" | b"dienstag"
        | b"mittwoch" | b"donnerstag" | b"freitag" | b"samstag" | b"sonnabend" | b"sonntag" => {
            Some(true)
        }
        b"mon" | b"tue" | b"tues" | b"wed" | b"thu" | b"thur" | b"thurs" | b"fri" | b"sat"
        | b"sun" | b"monday" | b"tuesday" | b"wednesday" | b"thursday" | b"friday"
        | b"saturday" | b"sunday" => Some(false),
        _ => None,
    }
}

/// A zone's name as seconds east of UTC (RFC 2822's US zones; the German names).
fn zone(w: &[u8]) -> Option<i32> {
    let hours = match w {
        b"z" | b"ut" | b"utc" | b"gmt" | b"wez" | b"wet" => 0,
        b"cet" | b"mez" | b"met" | b"bst" | b"wesz" | b"west" => 1,
        b"cest" | b"mesz" | b"mest" | b"eet" | b"oez" => 2,
        b"eest" | b"oesz" => 3,
        b"edt" => -4,
        b"est" | b"cdt" => -5,
        b"cst" | b"mdt" => -6,
        b"mst" | b"pdt" => -7,
        b"pst" => -8,
        _ => return None,
    };
    Some(hours * 3600)
}

/// A word that says nothing about the instant: whether it is German.
fn filler(w: &[u8]) -> Option<bool> {
    match w {
        b"uhr" | b"um" | b"den" => Some(true),
        b"t" | b"at" | b"on" | b"of" | b"h" | b"st" | b"nd" | b"rd" | b"th" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
