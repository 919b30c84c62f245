//! Each setting's text made into a typed value — a URL, a schedule, a duration, a number in
//! range, symbols, a listening address, the PostgreSQL store, a quote provider's key and plan
//! — or, when it cannot be, a problem pointing at it (the value in force is then the
//! default).

use super::*;

/// The address `http.listen` names: an IP address and a port, or a host name (such as
/// `localhost`) and a port, looked up once (its first address). Err: why not.
pub(super) fn listen_address(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err("is not an address to listen on".into());
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err("is not an address to listen on".into());
    }
    match text.to_socket_addrs() {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| format!("names a host `{host}` with no address")),
        Err(e) => Err(format!(
            "names a host `{host}` that cannot be looked up ({e})"
        )),
    }
}

pub(super) fn looks_like_token(t: &str) -> bool {
    match t.split_once(':') {
        Some((id, secret)) => {
            !id.is_empty()
                && id.chars().all(|c| c.is_ascii_digit())
                && !secret.is_empty()
                && secret
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }
        None => false,
    }
}

pub(super) fn parse_url(
    file: &SourceFile,
    value: &Spanned<String>,
    problems: &mut Vec<Problem>,
) -> Option<Url> {
    match Url::parse(value.get_ref().trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        Ok(u) => {
            problems.push(Problem::at(
                file,
                value.span(),
                format!(
                    "`{}` is not an http(s) URL (scheme `{}`)",
                    value.get_ref(),
                    u.scheme()
                ),
                None,
            ));
            None
        }
        Err(e) => {
            problems.push(Problem::at(
                file,
                value.span(),
                format!("`{}` is not a URL: {e}", value.get_ref()),
                Some("write the full address, e.g. `https://example.com/feed.xml`".into()),
            ));
            None
        }
    }
}

/// `storage.url` and `storage.schema`: the PostgreSQL store, if one is configured.
pub(super) fn storage_postgres(
    file: &SourceFile,
    raw: &RawStorage,
    problems: &mut Vec<Problem>,
) -> Option<PostgresConfig> {
    let schema = raw.schema.as_ref().and_then(|schema| {
        let name = schema.get_ref();
        let ok = (1..=63).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            problems.push(Problem::at(
                file,
                schema.span(),
                format!("storage.schema `{name}` must be a plain lower-case name (a-z, 0-9, _; up to 63)"),
                None,
            ));
        }
        ok.then(|| name.clone())
    });
    let url = raw.url.as_ref()?;
    let text = url.get_ref().trim();
    if text.is_empty() {
        // An empty value (e.g. from the environment) keeps the embedded store.
        return None;
    }
    if is_postgres_url(text) {
        Some(PostgresConfig {
            url: text.to_string(),
            schema,
        })
    } else {
        problems.push(Problem::at(
            file,
            url.span(),
            format!("storage.url `{}` is not a PostgreSQL address", redact_url(text)),
            Some("write it as `postgres://user:password@host:5432/database`, or leave it out to keep state in storage.path".into()),
        ));
        None
    }
}

/// Parses a cron expression as the `cron` crate reads it (seconds first). One with no time
/// after `now` is a problem: its job would run at the start and never again — whether no date
/// matches it (`0 0 8 30 2 *`) or its every time has passed (`0 0 9 * * * 2020`, a year gone
/// by in the seventh field).
pub(super) fn parse_schedule(
    file: &SourceFile,
    value: &Spanned<String>,
    now: chrono::DateTime<chrono::Utc>,
    problems: &mut Vec<Problem>,
) -> Option<cron::Schedule> {
    let expr = value.get_ref().trim();
    match cron::Schedule::from_str(expr) {
        Ok(s) if s.after(&now).next().is_none() => {
            let (message, hint) = match last_time(&s, now) {
                Some(last) => (
                    format!(
                        "`{expr}` fires no more: its last time was {} UTC",
                        last.format("%Y-%m-%d %H:%M")
                    ),
                    "its year field names only years gone by: name a year to come, or leave the field out (every year)",
                ),
                None => (
                    format!("`{expr}` never fires: no date matches it"),
                    "the day of the month must exist in the months given (and fall on the day of the week given, if any)",
                ),
            };
            problems.push(Problem::at(file, value.span(), message, Some(hint.into())));
            None
        }
        Ok(s) => match numbered_days(expr) {
            Some((field, named)) => {
                problems.push(Problem::at(
                    file,
                    value.span(),
                    format!(
                        "`{expr}`: day-of-week `{field}` is {named} here, not what crontab reads \
                         (this cron counts Sunday as 1, crontab as 0)"
                    ),
                    Some(format!(
                        "write the days by name: `{named}` (weekdays are `Mon-Fri`)"
                    )),
                ));
                None
            }
            None => Some(s),
        },
        Err(e) => {
            let fields = expr.split_whitespace().count();
            let hint = if fields == 5 {
                format!("schedules have a seconds field first: try `0 {expr}`")
            } else {
                "six or seven fields: sec min hour day-of-month month day-of-week [year], e.g. `0 */5 * * * *`".to_string()
            };
            // The cron crate repeats the expression with a caret line; its reason comes last.
            let text = e.to_string();
            let reason = text
                .lines()
                .map(str::trim)
                .rfind(|l| {
                    !l.is_empty() && *l != expr && !l.chars().all(|c| c == '^' || c.is_whitespace())
                })
                .unwrap_or("");
            let message = if fields != 6 && fields != 7 {
                format!("`{expr}` is not a valid schedule: it has {fields} fields, not 6 or 7")
            } else if reason.is_empty() {
                format!("`{expr}` is not a valid schedule")
            } else {
                format!("`{expr}` is not a valid schedule: {reason}")
            };
            problems.push(Problem::at(file, value.span(), message, Some(hint)));
            None
        }
    }
}

/// A day-of-week field (the sixth) that names days by number, with the days it names here,
/// by name: cron dialects number the days differently (the `cron` crate reads `1-5` as Sunday
/// to Thursday, crontab as Monday to Friday), so a number is a trap, never what was meant
/// for sure. A number after `/` (a step) counts days, not names one.
fn numbered_days(expr: &str) -> Option<(String, String)> {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let field = expr.split_whitespace().nth(5)?;
    let numbered = field.split(',').any(|item| {
        item.split('/')
            .next()
            .is_some_and(|v| v.contains(|c: char| c.is_ascii_digit()))
    });
    if !numbered {
        return None;
    }
    let named = field
        .split(',')
        .map(|item| {
            let (values, step) = match item.split_once('/') {
                Some((v, s)) => (v, Some(s)),
                None => (item, None),
            };
            let values = values
                .split('-')
                .map(|v| match v.parse::<usize>() {
                    Ok(n @ 1..=7) => DAYS[n - 1].to_string(),
                    _ => v.to_string(),
                })
                .collect::<Vec<_>>()
                .join("-");
            match step {
                Some(step) => format!("{values}/{step}"),
                None => values,
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    Some((field.to_string(), named))
}

/// The last time of `schedule` before `now`, if it has one. Looked for year by year, from the
/// start of the year after: the `cron` crate, going back from one year into an earlier one,
/// keeps the month and day it started from (from June 2026 the last time of
/// `0 0 9 * * * 2020` would be 6 June 2020, not 31 December).
fn last_time(
    schedule: &cron::Schedule,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{Datelike, TimeZone};
    use cron::TimeUnitSpec;
    let years: Vec<u32> = schedule.years().iter().collect();
    years
        .into_iter()
        .rev()
        .filter(|y| i64::from(*y) <= i64::from(now.year()))
        .find_map(|year| {
            let next_year = chrono::Utc
                .with_ymd_and_hms(year as i32 + 1, 1, 1, 0, 0, 0)
                .single()?;
            schedule
                .after(&now.min(next_year))
                .next_back()
                .filter(|t| t.year() == year as i32)
        })
}

/// A number from the file, or `default` when it is not there; out of `range` is a problem.
pub(super) fn in_range<T: Copy + PartialOrd + std::fmt::Display>(
    file: &SourceFile,
    value: Option<&Spanned<T>>,
    key: &str,
    range: std::ops::RangeInclusive<T>,
    default: T,
    problems: &mut Vec<Problem>,
) -> T {
    let Some(v) = value else { return default };
    if !range.contains(v.get_ref()) {
        problems.push(Problem::at(
            file,
            v.span(),
            format!(
                "{key} = {} is out of range ({} to {})",
                v.get_ref(),
                range.start(),
                range.end()
            ),
            None,
        ));
    }
    *v.get_ref()
}

/// The symbols of a list (see [`crate::model::symbol`]); every one that is not a symbol is a
/// problem.
pub(super) fn parse_symbols(
    file: &SourceFile,
    value: &Spanned<Vec<String>>,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let mut symbols = Vec::new();
    for raw in value.get_ref() {
        match crate::model::symbol(raw) {
            Some(s) => symbols.push(s),
            None => problems.push(Problem::at(
                file,
                value.span(),
                format!("`{raw}` is not a ticker symbol"),
                Some("write it as Yahoo does, e.g. `NVDA` or `SAP.DE`".into()),
            )),
        }
    }
    symbols
}

/// The longest duration any setting takes, `100y` (years of 365.25 days, as humantime counts
/// them): durations are added to times and instants, and one past the calendar's end would
/// panic there.
const LONGEST: Duration = Duration::from_secs(36_525 * 24 * 3600);

/// A duration (`20s`, `5m`), or `default` when it is not there; zero, or over a hundred years,
/// is a problem.
pub(super) fn duration(
    file: &SourceFile,
    value: Option<&Spanned<String>>,
    default: Duration,
    problems: &mut Vec<Problem>,
) -> Duration {
    let Some(v) = value else { return default };
    match humantime::parse_duration(v.get_ref().trim()) {
        Ok(d) if d > LONGEST => {
            problems.push(Problem::at(
                file,
                v.span(),
                format!("`{}` is too long (at most 100 years)", v.get_ref()),
                None,
            ));
            default
        }
        Ok(d) if !d.is_zero() => d,
        _ => {
            problems.push(Problem::at(
                file,
                v.span(),
                format!("`{}` is not a duration", v.get_ref()),
                Some("write a number and a unit, e.g. `20s` or `5m`".into()),
            ));
            default
        }
    }
}
