use super::*;

fn parse(text: &str, env: &dyn Env) -> Result<Config, Vec<Problem>> {
    Config::parse(
        &SourceFile {
            path: "/etc/marketbot/marketbot.toml".into(),
            text: text.into(),
        },
        env,
    )
}

const FULL: &str = r#"
[telegram]
token = "123:abc"
api_url = "http://127.0.0.1:9000"
admins = [42]
[storage]
path = "state"
[rules]
dir = "/srv/rules"
[[quotes]]
provider = "yahoo"
base_url = "http://127.0.0.1:9001"
symbols = ["nvda", "AMD"]
schedule = "0 * * * * *"
interval = "5m"
extended_hours = true
[[feeds]]
url = "http://127.0.0.1:9002/rss"
schedule = "*/30 * * * * *"
symbols = ["NVDA"]
"#;

#[test]
fn a_full_config_parses_with_relative_paths_resolved() {
    let c = parse(FULL, &[]).unwrap();
    assert_eq!(c.telegram.token.as_deref(), Some("123:abc"));
    assert_eq!(c.telegram.api_url.as_str(), "http://127.0.0.1:9000/");
    assert_eq!(c.storage.path, Path::new("/etc/marketbot/state"));
    assert_eq!(c.rules_dir, Path::new("/srv/rules"));
    assert_eq!(c.quotes[0].symbols, ["NVDA", "AMD"]);
    assert_eq!(c.quotes[0].name, "yahoo:NVDA,AMD");
    assert_eq!(c.feeds[0].name, "127.0.0.1/rss");
    assert_eq!(c.storage.cache_bytes, 16 * 1024 * 1024);
    assert_eq!(
        c.symbols.limits,
        crate::sources::demand::DemandLimits::default()
    );
    assert_eq!(
        c.demand_source().map(|q| q.name.as_str()),
        Some("yahoo:NVDA,AMD")
    );
}

#[test]
fn symbols_of_quotes_and_feeds_are_checked_alike() {
    let text = FULL
        .replace(
            r#"symbols = ["nvda", "AMD"]"#,
            r#"symbols = ["$nvda", "180"]"#,
        )
        .replace(r#"symbols = ["NVDA"]"#, r#"symbols = ["NV DA", " amd "]"#);
    let problems = parse(&text, &[]).unwrap_err();
    let messages: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            (13, "`180` is not a ticker symbol"),
            (20, "`NV DA` is not a ticker symbol")
        ]
    );
}

#[test]
fn the_environment_overrides_secrets_and_paths() {
    let env = [(TOKEN_ENV, "999:zzz"), (STORAGE_ENV, "/data")];
    let c = parse(FULL, &env).unwrap();
    assert_eq!(c.telegram.token.as_deref(), Some("999:zzz"));
    assert_eq!(c.storage.path, Path::new("/data"));
    let c = parse("", &[(TELOXIDE_TOKEN_ENV, "1:x")]).unwrap();
    assert_eq!(c.telegram.token.as_deref(), Some("1:x"));
    assert!(parse("", &[]).unwrap().telegram.token.is_none());
}

#[test]
fn unknown_keys_name_the_key_and_line() {
    let problems = parse("[storage]\npath = \"x\"\ncache = 3\n", &[]).unwrap_err();
    assert_eq!(problems[0].line, 3);
    assert!(
        problems[0].message.contains("unknown field `cache`"),
        "{}",
        problems[0].message
    );
    assert_eq!(
        problems[0].hint.as_deref(),
        Some("did you mean `cache_mb`?")
    );
    let problems = parse(
        "[[feeds]]\nurl = \"http://x\"\nschedule = \"0 * * * * *\"\nsymbol = [\"A\"]\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(problems[0].line, 4);
}

#[test]
fn a_bad_value_from_the_environment_names_its_variable() {
    let env = [(TOKEN_ENV, "oops"), (API_URL_ENV, "ftp://example.com")];
    let problems = parse(FULL, &env).unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("token (MARKETBOT_TELEGRAM_TOKEN) does not look like")),
        "{text:?}"
    );
    assert!(
        text.contains(
            &"MARKETBOT_TELEGRAM_API_URL = `ftp://example.com`: `ftp://example.com` is not an http(s) URL (scheme `ftp`)"
                .to_string()
        ),
        "{text:?}"
    );
    assert!(
        text.iter().all(|t| !t.contains("oops")),
        "never echoed: {text:?}"
    );
}

/// A schedule no date matches (30 February, 31 April) reads as cron, but its source would
/// fetch once at the start and never again: it is a problem at its line.
#[test]
fn a_schedule_that_never_fires_is_a_problem() {
    for expr in ["0 0 8 30 2 *", "0 0 8 31 Apr,Jun *"] {
        let text = FULL
            .replace(
                "schedule = \"0 * * * * *\"",
                &format!("schedule = \"{expr}\""),
            )
            .replace(
                "schedule = \"*/30 * * * * *\"",
                &format!("schedule = \"{expr}\""),
            );
        let problems = parse(&text, &[]).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text.iter()
                .all(|t| t.contains(&format!("`{expr}` never fires: no date matches it"))),
            "{text:?}"
        );
    }
    // 29 February comes every four years.
    let leap = FULL.replace("schedule = \"0 * * * * *\"", "schedule = \"0 0 8 29 2 *\"");
    assert!(parse(&leap, &[]).is_ok());
}

/// A day-of-week given by number means other days than crontab's: `1-5` is Sunday to
/// Thursday to the `cron` crate, Monday to Friday to anyone used to crontab. A number there is
/// a problem that names the days it would mean; names, and steps, are fine.
#[test]
fn a_day_of_week_by_number_is_a_problem_naming_its_days() {
    for (expr, days) in [
        ("0 */5 * * * 1-5", "Sun-Thu"),
        ("0 0 9 * * 2,4,6", "Mon,Wed,Fri"),
        ("0 0 9 * * Mon,7", "Mon,Sat"),
        ("0 0 9 * * 2-6/2", "Mon-Fri/2"),
    ] {
        let text = FULL.replace(
            "schedule = \"0 * * * * *\"",
            &format!("schedule = \"{expr}\""),
        );
        let problems = parse(&text, &[]).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(text.len(), 1, "{text:?}");
        assert!(text[0].contains(&format!("is {days} here")), "{text:?}");
        assert!(
            text[0].contains(&format!("write the days by name: `{days}`")),
            "{text:?}"
        );
    }
    for fine in [
        "0 */5 * * * Mon-Fri",
        "0 0 9 * * */2",
        "0 0 9 * * ?",
        "0 0 9 1-5 * *",
    ] {
        let text = FULL.replace(
            "schedule = \"0 * * * * *\"",
            &format!("schedule = \"{fine}\""),
        );
        assert!(parse(&text, &[]).is_ok(), "{fine}");
    }
}

/// A schedule whose every time has passed (a year gone by, in the seventh field) reads as
/// cron, but its source would fetch once at the start and never again: it is a problem at its
/// line, as of the time the config is read.
#[test]
fn a_schedule_with_no_time_left_is_a_problem() {
    let text = FULL.replace(
        "schedule = \"0 * * * * *\"",
        "schedule = \"0 0 9 * * * 2020\"",
    );
    let problems = parse(&text, &[]).unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].contains(":14:")
            && text[0].contains(
                "`0 0 9 * * * 2020` fires no more: its last time was 2020-12-31 09:00 UTC"
            ),
        "{text:?}"
    );
    // Judged as of the time given: 2026's schedule holds until its last time has passed.
    let file = SourceFile {
        path: "/etc/marketbot/marketbot.toml".into(),
        text: FULL.replace(
            "schedule = \"0 * * * * *\"",
            "schedule = \"0 0 9 * * * 2026\"",
        ),
    };
    let at = |t: &str| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    assert!(Config::parse_at(&file, &[], at("2026-12-31T08:59:59Z")).is_ok());
    let problems = Config::parse_at(&file, &[], at("2026-12-31T09:00:01Z")).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].message,
        "`0 0 9 * * * 2026` fires no more: its last time was 2026-12-31 09:00 UTC"
    );
    assert!(
        problems[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("name a year to come")),
        "{problems:?}"
    );
}

#[test]
fn every_bad_value_is_reported() {
    let problems = parse(
        "[telegram]\ntoken = \"not a token\"\n[[quotes]]\nprovider = \"yahoo\"\nsymbols = [\"NV DA\"]\nschedule = \"*/5 * * * *\"\n[[feeds]]\nurl = \"ftp://x\"\nschedule = \"0 * * * * *\"\n",
        &[],
    )
    .unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("does not look like a bot token") && !t.contains("not a token")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains(":6:") && t.contains("try `0 */5 * * * *`")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("`NV DA` is not a ticker")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains(":8:") && t.contains("not an http(s) URL")),
        "{text:?}"
    );
}

#[test]
fn the_example_config_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("marketbot.example.toml");
    let c = Config::load(&path, &[]).unwrap_or_else(|p| panic!("{p:?}"));
    assert!(
        c.telegram.token.is_none(),
        "the example ships without a token"
    );
    assert!(!c.quotes.is_empty() && !c.feeds.is_empty());
}

#[test]
fn the_keys_are_read_off_the_raw_structs() {
    let keys = keys();
    for key in [
        "telegram.token",
        "telegram.admins",
        "telegram.flood_pause",
        "http.listen",
        "rules.watch",
        "quotes[].provider",
        "quotes[].symbols",
        "feeds[].url",
        "symbols.source",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
    }
    assert!(!keys.iter().any(|k| k.contains("serde")), "{keys:?}");
    assert_eq!(
        env_var("quotes[].symbols", Some(2)),
        "MARKETBOT_QUOTES__2__SYMBOLS"
    );
    assert_eq!(env_var("http.timeout", None), "MARKETBOT_HTTP__TIMEOUT");
}

#[test]
fn values_from_the_environment_are_typed_as_their_keys_expect() {
    let env = [
        ("MARKETBOT_STORAGE__CACHE_MB", " 64 "),
        ("MARKETBOT_TELEGRAM__ALLOW_PAID_BROADCAST", "TRUE"),
        ("MARKETBOT_TELEGRAM__ALLOW", "[-100123, 7]"),
        ("MARKETBOT_TELEGRAM__ADMINS", "1, 2,"),
        ("MARKETBOT_FEEDS__0__SYMBOLS", "amd"),
        ("MARKETBOT_QUOTES__0__EXTENDED_HOURS", "false"),
        ("MARKETBOT_RULES__WATCH", "off"),
    ];
    let c = parse(FULL, &env).unwrap();
    assert_eq!(c.storage.cache_bytes, 64 * 1024 * 1024);
    assert!(c.telegram.allow_paid_broadcast);
    assert_eq!(c.telegram.allow, [-100123, 7]);
    assert_eq!(c.telegram.admins, [1, 2]);
    assert_eq!(c.feeds[0].symbols, ["AMD"]);
    assert!(!c.quotes[0].extended_hours);
    assert_eq!(c.rules_watch, None);
    let c = parse(FULL, &[("MARKETBOT_TELEGRAM__ADMINS", "[]")]).unwrap();
    assert!(c.telegram.admins.is_empty());
}

#[test]
fn entries_are_added_at_the_next_index_only() {
    let env = [
        ("MARKETBOT_FEEDS__1__URL", "http://127.0.0.1:9003/atom"),
        ("MARKETBOT_FEEDS__1__SCHEDULE", "0 0 * * * *"),
        ("MARKETBOT_FEEDS__2__URL", "http://127.0.0.1:9004/news"),
        ("MARKETBOT_FEEDS__2__SCHEDULE", "0 0 * * * *"),
    ];
    let c = parse(FULL, &env).unwrap();
    let urls: Vec<&str> = c
        .feeds
        .iter()
        .filter_map(|f| f.url())
        .map(Url::as_str)
        .collect();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:9002/rss",
            "http://127.0.0.1:9003/atom",
            "http://127.0.0.1:9004/news"
        ]
    );
    let problems = parse(FULL, &[("MARKETBOT_FEEDS__3__URL", "http://x")]).unwrap_err();
    assert_eq!(
        problems[0].message,
        "MARKETBOT_FEEDS__3__URL: there is 1 `[[feeds]]` entry: the next one to add is 1"
    );
    let problems = parse(FULL, &[("MARKETBOT_FEEDS__1__URL", "http://x/")]).unwrap_err();
    assert_eq!(
        problems[0].message,
        "MARKETBOT_FEEDS__1__URL = `http://x/`: missing field `schedule`"
    );
}

#[test]
fn variables_that_name_no_key_say_why() {
    let message = |var: &str| {
        let p = parse("", &[(var, "1")]).unwrap_err().remove(0);
        (p.message, p.hint)
    };
    assert_eq!(
        message("MARKETBOT_HTTP__TIMEOT"),
        (
            "MARKETBOT_HTTP__TIMEOT: not a config key: `http` has no `timeot`".into(),
            Some("did you mean MARKETBOT_HTTP__TIMEOUT?".into())
        )
    );
    assert_eq!(
        message("MARKETBOT_QUOTES__X__NAME").0,
        "MARKETBOT_QUOTES__X__NAME: `quotes` is a list of tables: an entry's index (0, 1, …) comes next, not `X`"
    );
    assert_eq!(
        message("MARKETBOT_QUOTES__0").1.as_deref(),
        Some("e.g. MARKETBOT_QUOTES__0__NAME")
    );
    assert_eq!(
        message("MARKETBOT_HTTP__TIMEOUT__X"),
        (
            "MARKETBOT_HTTP__TIMEOUT__X: not a config key: `http.timeout` is a single value".into(),
            Some("did you mean MARKETBOT_HTTP__TIMEOUT?".into())
        )
    );
    assert_eq!(
        message("MARKETBOT_TELEGRAM__").0,
        "MARKETBOT_TELEGRAM__: not a config key: an empty part between `__`s"
    );
}

/// A duration is added to times (a quote kept on demand until now + `keep_quoted`): one past
/// the calendar's end would panic there, so any beyond a hundred years is a problem at its
/// place.
#[test]
fn a_duration_beyond_a_hundred_years_is_a_problem() {
    let problems = parse("[symbols]\nkeep_quoted = \"300000y\"\n", &[]).unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].contains(":2:") && text[0].contains("`300000y` is too long (at most 100 years)"),
        "{text:?}"
    );
    let problems = parse("", &[("MARKETBOT_HTTP__TIMEOUT", "1000000y")]).unwrap_err();
    assert!(
        problems[0]
            .to_string()
            .contains("MARKETBOT_HTTP__TIMEOUT = `1000000y`: `1000000y` is too long"),
        "{problems:?}"
    );
    let c = parse("[symbols]\nkeep_quoted = \"100y\"\n", &[]).unwrap();
    assert_eq!(
        c.symbols.limits.keep_quoted,
        humantime::parse_duration("100y").unwrap()
    );
}

#[test]
fn the_listener_address_is_checked() {
    assert_eq!(parse("", &[]).unwrap().http.listen, Some(DEFAULT_LISTEN));
    let c = parse("[http]\nlisten = \"off\"\n", &[]).unwrap();
    assert_eq!(c.http.listen, None);
    let c = parse("[http]\nlisten = \"[::]:9100\"\n", &[]).unwrap();
    assert_eq!(c.http.listen, Some("[::]:9100".parse().unwrap()));
    // A host name is looked up (localhost is in every hosts file).
    let c = parse("[http]\nlisten = \"localhost:9100\"\n", &[]).unwrap();
    let addr = c.http.listen.unwrap();
    assert!(addr.ip().is_loopback() && addr.port() == 9100, "{addr}");
    for bad in ["localhost", "localhost:port", ":9100", "localhost:70000"] {
        let problems = parse(&format!("[http]\nlisten = \"{bad}\"\n"), &[]).unwrap_err();
        assert_eq!(
            problems[0].message,
            format!("http.listen = `{bad}` is not an address to listen on")
        );
    }
    let problems = parse("[http]\nlisten = \"localhost\"\n", &[]).unwrap_err();
    assert_eq!((problems[0].line, problems[0].col), (2, 10));
    assert_eq!(
        problems[0].message,
        "http.listen = `localhost` is not an address to listen on"
    );
    let problems = parse("[http]\nstall_after = \"1s\"\n", &[]).unwrap_err();
    assert_eq!(problems[0].line, 2);
}

/// The rules directory is looked at every `rules.watch`: a nanosecond would have the bot do
/// nothing else. The shortest is a tenth of a second; `off` stays off.
#[test]
fn rules_watch_has_a_shortest_interval() {
    for short in ["1ns", "99ms"] {
        let problems = parse(&format!("[rules]\nwatch = \"{short}\"\n"), &[]).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!((problems[0].line, problems[0].col), (2, 9));
        assert_eq!(problems[0].message, "rules.watch must be at least 100ms");
    }
    let c = parse("[rules]\nwatch = \"100ms\"\n", &[]).unwrap();
    assert_eq!(c.rules_watch, Some(Duration::from_millis(100)));
    let c = parse("[rules]\nwatch = \"off\"\n", &[]).unwrap();
    assert_eq!(c.rules_watch, None);
}

#[test]
fn the_webhook_keys_are_checked() {
    assert_eq!(parse("", &[]).unwrap().telegram.webhook, None);
    let token = "123:abc";
    let c = parse(
        &format!("[telegram]\ntoken = \"{token}\"\nwebhook_url = \"https://bot.example.com/tg\"\n"),
        &[],
    )
    .unwrap();
    let webhook = c.telegram.webhook.unwrap();
    assert_eq!(webhook.url.path(), "/tg");
    assert_eq!(webhook.secret, derived_secret(token));
    let c = parse(
        "[telegram]\nwebhook_url = \"http://127.0.0.1:8443/tg\"\nwebhook_secret = \"s3cret_-x\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.telegram.webhook.unwrap().secret, "s3cret_-x");
    let messages = |text: &str| -> Vec<String> {
        parse(text, &[])
            .unwrap_err()
            .into_iter()
            .map(|p| p.message)
            .collect()
    };
    let m = messages("[telegram]\nwebhook_url = \"http://bot.example.com/tg\"\n");
    assert!(m[0].contains("must be an https:// address"), "{m:?}");
    let m = messages("[telegram]\nwebhook_url = \"https://bot.example.com/metrics\"\n");
    assert!(m[0].contains("one the listener serves itself"), "{m:?}");
    let m = messages(
        "[telegram]\nwebhook_url = \"https://bot.example.com/tg\"\n[http]\nlisten = \"off\"\n",
    );
    assert!(m[0].contains("needs the HTTP listener"), "{m:?}");
    let m = messages("[telegram]\nwebhook_url = \"https://bot.example.com:9443/tg\"\n");
    assert!(m[0].contains("ports 443, 80, 88 or 8443"), "{m:?}");
    let m = messages("[telegram]\nwebhook_url = \"https://bot.example.com/:hook\"\n");
    assert!(m[0].contains("a segment starting with"), "{m:?}");
    let m = messages(
        "[telegram]\nwebhook_url = \"https://b.example/tg\"\nwebhook_secret = \"no spaces\"\n",
    );
    assert!(m[0].contains("webhook_secret must be"), "{m:?}");
}

#[test]
fn access_and_flood_limits_are_checked() {
    let c = parse("", &[]).unwrap();
    assert_eq!(c.telegram.access, Policy::Open);
    assert_eq!(c.telegram.flood, FloodLimits::default());
    let c = parse(
        "[telegram]\nadmins = [1]\naccess = \"allowlist\"\nallow = [-1001, 5]\ncommands_per_minute = 5\nflood_pause = \"30s\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.telegram.access, Policy::Allowlist);
    assert_eq!(c.telegram.allow, [-1001, 5]);
    assert_eq!(
        c.telegram.flood,
        FloodLimits {
            per_minute: 5,
            pause: Duration::from_secs(30)
        }
    );
    let problems = parse(
        "[telegram]\naccess = \"allowlist\"\ncommands_per_minute = 0\nflood_pause = \"500ms\"\n",
        &[],
    )
    .unwrap_err();
    let lines: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (
                2,
                "telegram.access is `allowlist` but there are no admins: nobody could let anyone in"
            ),
            (
                3,
                "telegram.commands_per_minute = 0 is out of range (1 to 600)"
            ),
            (4, "telegram.flood_pause must be at least 1s"),
        ]
    );
    let problems = parse("[telegram]\naccess = \"closed\"\n", &[]).unwrap_err();
    assert_eq!(problems[0].line, 2);
    let problems = parse("", &[("MARKETBOT_TELEGRAM__ACCESS", "allowlist")]).unwrap_err();
    assert_eq!(
        problems[0].message,
        "MARKETBOT_TELEGRAM__ACCESS = `allowlist`: telegram.access is `allowlist` but there are no admins: nobody could let anyone in"
    );
}

#[test]
fn every_structural_problem_is_reported_in_one_run() {
    // Misspelt keys, wrong types, a provider that does not exist and entries missing a field,
    // in several sections: each is reported, and the values around them are still checked.
    let text = r#"[telegram]
tokn = "123:abc"
admins = ["abc"]
access = "closed"
[storage]
cache_mb = "big"
[[quotes]]
provider = "yahooo"
symbols = ["NVDA"]
schedule = "0 * * * * *"
[[quotes]]
provider = "stooq"
symbols = ["AMD"]
[[feeds]]
url = "ftp://x"
schedule = "0 * * * * *"
symbol = ["NVDA"]
[extra]
x = 1
"#;
    let problems = parse(text, &[]).unwrap_err();
    let found: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.message.split([',', ':']).next().unwrap()))
        .collect();
    let mut expected = vec![
        (2, "unknown field `tokn`"),
        (3, "invalid type"),
        (4, "telegram.access = `closed` is not an access policy"),
        (6, "invalid type"),
        (8, "unknown variant `yahooo`"),
        (11, "missing field `schedule`"),
        (15, "`ftp"),
        (17, "unknown field `symbol`"),
        (18, "unknown field `extra`"),
    ];
    let mut found = found;
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "{problems:#?}");
    // The first entry, read without its provider, is not reported again as lacking one.
    assert!(
        problems
            .iter()
            .all(|p| !p.message.contains("missing field `provider`")),
        "{problems:#?}"
    );
    let tokn = problems.iter().find(|p| p.line == 2).unwrap();
    assert_eq!(tokn.hint.as_deref(), Some("did you mean `token`?"));
}

#[test]
fn a_structural_problem_from_the_environment_names_its_variable() {
    let env = [("MARKETBOT_QUOTES__0__PROVIDER", "yahooo")];
    let problems = parse(FULL, &env).unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].starts_with("MARKETBOT_QUOTES__0__PROVIDER = `yahooo`: unknown variant"),
        "{text:?}"
    );
}

#[test]
fn a_finnhub_source_needs_its_key_and_never_shows_it() {
    const FINNHUB: &str = r#"
[[quotes]]
provider = "finnhub"
symbols = ["NVDA"]
schedule = "0 * * * * *"
"#;
    let problems = parse(FINNHUB, &[]).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().contains("needs its API key")),
        "{problems:?}"
    );

    let env = [("MARKETBOT_QUOTES__0__API_KEY", "sk-very-secret")];
    let c = parse(FINNHUB, &env).unwrap();
    let q = &c.quotes[0];
    assert_eq!(q.api_key, Some(ApiKey("sk-very-secret".into())));
    assert_eq!(q.requests_per_minute, FINNHUB_REQUESTS_PER_MINUTE);
    assert_eq!(q.base_url.as_str(), "https://finnhub.io/");
    assert_eq!(q.name, "finnhub:NVDA");
    assert!(!format!("{c:?}").contains("sk-very-secret"));

    // A key that cannot be a header value is refused without being echoed, line and all.
    let text = format!("{FINNHUB}api_key = \"sk very secret\"\nrequests_per_minute = 0\n");
    let problems = parse(&text, &[]).unwrap_err();
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown.iter().all(|p| !p.contains("secret")), "{shown:?}");
    assert!(shown.iter().any(|p| p.contains("between 1 and 1800")));

    // The others take no key and no plan.
    let yahoo = FINNHUB.replace("finnhub", "yahoo") + "api_key = \"k\"\nrequests_per_minute = 5\n";
    let problems = parse(&yahoo, &[]).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.to_string().contains("is for finnhub"))
    );
}

#[test]
fn sources_sharing_a_finnhub_key_share_one_plan_and_must_say_the_same() {
    let source = |symbol: &str, plan: Option<u32>| {
        let plan = plan.map_or(String::new(), |n| format!("requests_per_minute = {n}\n"));
        format!(
            "[[quotes]]\nprovider = \"finnhub\"\nsymbols = [\"{symbol}\"]\n\
             schedule = \"0 * * * * *\"\napi_key = \"shared-key\"\n{plan}"
        )
    };
    // The same figure, said or left to the default: one plan, no problem.
    let same = source("NVDA", Some(60)) + &source("AMD", None);
    assert_eq!(parse(&same, &[]).unwrap().quotes.len(), 2);

    // Different figures for one key: the second is refused where it is written, without
    // showing the key.
    let text = source("NVDA", None) + &source("AMD", Some(300));
    let problems = parse(&text, &[]).unwrap_err();
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("`finnhub:NVDA` and `finnhub:AMD` share a Finnhub API key")
            && shown[0].contains("60 and 300"),
        "{shown:?}"
    );
    assert!(!shown[0].contains("shared-key"), "{shown:?}");
    assert!(problems[0].span.is_some());

    // Different keys have plans of their own.
    let two_keys = source("NVDA", None) + &source("AMD", Some(300)).replace("shared-key", "other");
    assert_eq!(parse(&two_keys, &[]).unwrap().quotes.len(), 2);
}

#[test]
fn an_api_key_from_the_environment_is_never_shown_in_a_problem() {
    // A [[quotes]] entry set wholly from the environment (a container's usual way), one
    // variable forgotten: the entry's problem is placed at the first of its variables, which
    // is the key's (`api_key` sorts first), and the message quotes its value.
    let base = FULL.split("[[quotes]]").next().unwrap().to_string()
        + "[[feeds]]\nurl = \"http://127.0.0.1:9002/rss\"\nschedule = \"*/30 * * * * *\"\n";
    let env = [
        ("MARKETBOT_QUOTES__0__API_KEY", "sk-env-secret-123"),
        ("MARKETBOT_QUOTES__0__PROVIDER", "finnhub"),
        ("MARKETBOT_QUOTES__0__SYMBOLS", "NVDA"),
    ];
    let problems = parse(&base, &env).unwrap_err();
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(!shown.is_empty());
    assert!(
        shown.iter().all(|p| !p.contains("sk-env-secret")),
        "{shown:?}"
    );
}

#[test]
fn finnhub_company_news_is_a_feed_with_a_key_and_symbols_and_no_url() {
    const NEWS: &str = r#"
[[feeds]]
provider = "finnhub"
symbols = ["NVDA", "AMD"]
schedule = "0 */5 * * * *"
"#;
    // Its key, from the file or the environment, never shown.
    let problems = parse(NEWS, &[]).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().contains("MARKETBOT_FEEDS__<n>__API_KEY")),
        "{problems:?}"
    );
    let env = [("MARKETBOT_FEEDS__0__API_KEY", "news-secret")];
    let c = parse(NEWS, &env).unwrap();
    let f = &c.feeds[0];
    assert_eq!(f.name, "finnhub-news:NVDA,AMD");
    assert_eq!(f.symbols, ["NVDA", "AMD"]);
    let FeedSource::Finnhub {
        base_url,
        api_key,
        requests_per_minute,
    } = &f.source
    else {
        panic!("{:?}", f.source);
    };
    assert_eq!(base_url.as_str(), "https://finnhub.io/");
    assert_eq!(api_key, &ApiKey("news-secret".into()));
    assert_eq!(*requests_per_minute, FINNHUB_REQUESTS_PER_MINUTE);
    assert!(!format!("{c:?}").contains("news-secret"));

    // No symbols, a `url`: said where they are.
    let text = "[[feeds]]\nprovider = \"finnhub\"\nurl = \"https://finnhub.io\"\n\
                schedule = \"0 * * * * *\"\napi_key = \"k\"\n";
    let problems = parse(text, &[]).unwrap_err();
    let shown: Vec<(usize, String)> = problems
        .iter()
        .map(|p| (p.line, p.message.clone()))
        .collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown.contains(&(3, "Finnhub's company news takes no `url`".into())));
    assert!(
        shown
            .iter()
            .any(|(line, m)| *line == 4 && m.contains("needs the symbols"))
    );

    // An RSS feed takes a `url` and no key, plan or base URL.
    let text = "[[feeds]]\nschedule = \"0 * * * * *\"\napi_key = \"k\"\n\
                base_url = \"https://x.example\"\nrequests_per_minute = 5\n";
    let problems = parse(text, &[]).unwrap_err();
    let shown: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
    assert_eq!(shown.len(), 4, "{shown:?}");
    assert!(
        shown.iter().any(|m| m == "a feed needs its `url`"),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .filter(|m| m.contains("is for finnhub"))
            .count()
            == 3,
        "{shown:?}"
    );
}

#[test]
fn news_and_quotes_with_one_finnhub_key_spend_one_plan() {
    let quotes = "[[quotes]]\nprovider = \"finnhub\"\nsymbols = [\"NVDA\"]\n\
                  schedule = \"0 * * * * *\"\napi_key = \"shared-key\"\nrequests_per_minute = 300\n";
    let news = |plan: &str| {
        format!(
            "[[feeds]]\nname = \"news\"\nprovider = \"finnhub\"\nsymbols = [\"NVDA\"]\n\
             schedule = \"30 * * * * *\"\napi_key = \"shared-key\"\n{plan}"
        )
    };
    let c = parse(
        &(quotes.to_string() + &news("requests_per_minute = 300\n")),
        &[],
    )
    .unwrap();
    assert_eq!((c.quotes.len(), c.feeds.len()), (1, 1));
    // The news left at the free plan's 60: the key's plan is said twice, differently.
    let problems = parse(&(quotes.to_string() + &news("")), &[]).unwrap_err();
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("`finnhub:NVDA` and `news` share a Finnhub API key")
            && shown[0].contains("300 and 60")
            && !shown[0].contains("shared-key"),
        "{shown:?}"
    );
}
