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

/// Parses a cron expression as the `cron` crate reads it (seconds first).
pub(super) fn parse_schedule(
    file: &SourceFile,
    value: &Spanned<String>,
    problems: &mut Vec<Problem>,
) -> Option<cron::Schedule> {
    match cron::Schedule::from_str(value.get_ref().trim()) {
        Ok(s) => Some(s),
        Err(e) => {
            let fields = value.get_ref().split_whitespace().count();
            let hint = if fields == 5 {
                format!(
                    "schedules have a seconds field first: try `0 {}`",
                    value.get_ref().trim()
                )
            } else {
                "six or seven fields: sec min hour day-of-month month day-of-week [year], e.g. `0 */5 * * * *`".to_string()
            };
            // The cron crate repeats the expression with a caret line; its reason comes last.
            let text = e.to_string();
            let expr = value.get_ref().trim();
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

pub(super) fn duration(
    file: &SourceFile,
    value: Option<&Spanned<String>>,
    default: Duration,
    problems: &mut Vec<Problem>,
) -> Duration {
    let Some(v) = value else { return default };
    match humantime::parse_duration(v.get_ref().trim()) {
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

/// What a source says about its access to a provider: which provider, in which section, and
/// the key and plan it gives.
pub(super) struct AccessFields<'a> {
    /// The provider's name (`finnhub`, `yahoo`, `rss`…).
    pub provider: &'static str,
    /// Whether the provider is Finnhub, the one that takes a key.
    pub finnhub: bool,
    /// `quotes` or `feeds`, for the environment variable a problem names.
    pub section: &'static str,
    pub api_key: Option<&'a Spanned<String>>,
    pub requests_per_minute: Option<&'a Spanned<i64>>,
}

/// A source's key and its plan's request limit: Finnhub needs a key; the others take
/// neither. A problem about the key never shows the line it is on.
pub(super) fn provider_access(
    file: &SourceFile,
    fields: AccessFields<'_>,
    problems: &mut Vec<Problem>,
) -> (Option<ApiKey>, u32) {
    let AccessFields {
        provider,
        finnhub,
        section,
        api_key,
        requests_per_minute,
    } = fields;
    let key = api_key
        .map(|k| k.get_ref().trim())
        .filter(|k| !k.is_empty());
    match (finnhub, key) {
        (true, None) => problems.push(Problem::whole_file(
            &file.path,
            format!(
                "a finnhub source needs its API key: `api_key = \"…\"` in its [[{section}]] \
                 entry, or the environment variable MARKETBOT_{}__<n>__API_KEY (n: the entry's \
                 position, from 0)",
                section.to_ascii_uppercase()
            ),
        )),
        (true, Some(k)) if !k.bytes().all(|b| b.is_ascii_graphic()) => {
            problems.push(Problem::whole_file(
                &file.path,
                "a finnhub API key is printable ASCII without spaces",
            ))
        }
        (false, Some(_)) => problems.push(Problem::whole_file(
            &file.path,
            format!("`api_key` is for finnhub; {provider} takes none"),
        )),
        _ => {}
    }
    let per_minute = match requests_per_minute {
        None => FINNHUB_REQUESTS_PER_MINUTE,
        Some(n) if !finnhub => {
            problems.push(Problem::at(
                file,
                n.span(),
                format!("`requests_per_minute` is for finnhub; {provider} takes none"),
                None,
            ));
            FINNHUB_REQUESTS_PER_MINUTE
        }
        Some(n) => match u32::try_from(*n.get_ref()) {
            Ok(n @ 1..=FINNHUB_MAX_REQUESTS_PER_MINUTE) => n,
            _ => {
                problems.push(Problem::at(
                    file,
                    n.span(),
                    format!(
                        "requests_per_minute must be between 1 and \
                         {FINNHUB_MAX_REQUESTS_PER_MINUTE}"
                    ),
                    Some("Finnhub's free plan allows 60, and no plan more than 30 a second".into()),
                ));
                FINNHUB_REQUESTS_PER_MINUTE
            }
        },
    };
    let key = finnhub.then(|| key.map(|k| ApiKey(k.to_owned()))).flatten();
    (key, per_minute)
}

/// One key, one plan: `plans` holds the first source to name each key and its requests a
/// minute; a later source giving the same key another number is a problem (at its
/// `requests_per_minute`, when it gives one).
pub(super) fn one_plan_per_key(
    file: &SourceFile,
    plans: &mut HashMap<ApiKey, (String, u32)>,
    (key, requests_per_minute): (&ApiKey, u32),
    name: &str,
    given: Option<&Spanned<i64>>,
    problems: &mut Vec<Problem>,
) {
    let (first, plan) = plans
        .entry(key.clone())
        .or_insert_with(|| (name.to_string(), requests_per_minute));
    if *plan == requests_per_minute {
        return;
    }
    let message = format!(
        "sources `{first}` and `{name}` share a Finnhub API key but not its plan: {plan} and \
         {requests_per_minute} requests a minute"
    );
    let hint = Some(
        "one key has one plan, which its sources spend together: give each the same \
         `requests_per_minute`"
            .into(),
    );
    problems.push(match given {
        Some(n) => Problem::at(file, n.span(), message, hint),
        None => Problem {
            hint,
            ..Problem::whole_file(&file.path, message)
        },
    });
}

/// Where a `[[feeds]]` entry's headlines come from: an RSS or Atom feed at its `url`, or
/// Finnhub's company news of its `symbols` with the key and plan given (`access`); a key
/// that does not go with its provider is a problem.
pub(super) fn feed_source(
    file: &SourceFile,
    f: &RawFeed,
    provider: FeedProvider,
    (api_key, requests_per_minute): (Option<ApiKey>, u32),
    symbols: &[String],
    problems: &mut Vec<Problem>,
) -> Option<FeedSource> {
    match provider {
        FeedProvider::Rss => {
            if let Some(b) = &f.base_url {
                problems.push(Problem::at(
                    file,
                    b.span(),
                    "`base_url` is for finnhub; an RSS or Atom feed has its `url`",
                    None,
                ));
            }
            match &f.url {
                Some(u) => parse_url(file, u, problems).map(FeedSource::Rss),
                None => {
                    problems.push(Problem::at(
                        file,
                        f.schedule.span(),
                        "a feed needs its `url`",
                        Some(
                            "the address of an RSS or Atom feed, or `provider = \
                             \"finnhub\"` for Finnhub's company news"
                                .into(),
                        ),
                    ));
                    None
                }
            }
        }
        FeedProvider::Finnhub => {
            if let Some(u) = &f.url {
                problems.push(Problem::at(
                    file,
                    u.span(),
                    "Finnhub's company news takes no `url`",
                    Some("give its endpoint as `base_url`, if not https://finnhub.io".into()),
                ));
            }
            if symbols.is_empty() {
                problems.push(Problem::at(
                    file,
                    f.symbols.as_ref().map_or(f.schedule.span(), |s| s.span()),
                    "Finnhub's company news needs the symbols whose news it asks for",
                    Some("e.g. `symbols = [\"NVDA\", \"AMD\"]`".into()),
                ));
            }
            let base_url = match &f.base_url {
                Some(u) => parse_url(file, u, problems),
                None => Url::parse(Provider::Finnhub.default_base_url()).ok(),
            };
            base_url
                .zip(api_key)
                .map(|(base_url, api_key)| FeedSource::Finnhub {
                    base_url,
                    api_key,
                    requests_per_minute,
                })
        }
    }
}
