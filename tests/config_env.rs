//! Config keys from the environment: every key of `marketbot.example.toml` set by its
//! `MARKETBOT_<SECTION>__<KEY>` variable arrives in `Config`; bad values name their
//! variable; the token is never shown; the old single-underscore variables still work; every
//! variable the Dockerfile, the compose files and the docs name is a config key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use marketbot::config::{self, ApiKey, Config, FeedSource, Provider};
use marketbot::problem::{Problem, SourceFile};
use marketbot::telegram::gate::Policy;

fn example() -> SourceFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("marketbot.example.toml");
    SourceFile::read(&path).expect("the example config")
}

fn parse(file: &SourceFile, env: &[(String, String)]) -> Result<Config, Vec<Problem>> {
    Config::parse(file, &env.to_vec())
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn messages(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(|p| p.to_string()).collect()
}

/// One key of the example file, set or commented out.
#[derive(Debug)]
struct ExampleKey {
    /// `http.timeout`, `quotes[].symbols`.
    key: String,
    /// The entry of an array of tables.
    index: Option<usize>,
    /// The value as written (TOML).
    value: toml::Value,
    /// Whether the entry it is in is commented out as a whole (it is added from the
    /// environment to be walked).
    in_commented_entry: bool,
}

/// Every key of the example file, also the commented-out ones (`# key = value` within a
/// section, and whole commented `# [[quotes]]` entries).
fn example_keys(text: &str) -> Vec<ExampleKey> {
    let mut keys = Vec::new();
    let mut section = String::new();
    let mut index = None;
    let mut commented_entry = false;
    let mut entries: BTreeMap<String, usize> = BTreeMap::new();
    let is_name = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    for line in text.lines() {
        let (commented, body) = match line.trim().strip_prefix('#') {
            Some(rest) => (true, rest.trim()),
            None => (false, line.trim()),
        };
        if let Some(name) = body.strip_prefix("[[").and_then(|b| b.strip_suffix("]]"))
            && is_name(name)
        {
            let n = entries.entry(name.to_string()).or_default();
            section = format!("{name}[]");
            index = Some(*n);
            *n += 1;
            commented_entry = commented;
        } else if let Some(name) = body.strip_prefix('[').and_then(|b| b.strip_suffix(']'))
            && is_name(name)
        {
            section = name.to_string();
            index = None;
            commented_entry = commented;
        } else if let Some((key, value)) = body.split_once('=')
            && is_name(key.trim())
            && !section.is_empty()
        {
            let value: toml::Table = format!("v = {}", value.trim())
                .parse()
                .unwrap_or_else(|e| panic!("`{line}`: not a TOML value: {e}"));
            keys.push(ExampleKey {
                key: format!("{section}.{}", key.trim()),
                index,
                value: value["v"].clone(),
                in_commented_entry: commented_entry,
            });
        }
    }
    keys
}

/// The value of a key as a variable would write it.
fn as_env(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items.iter().map(as_env).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// What setting a key from the environment takes: the value, other variables it needs, and
/// whether it arrived.
struct Case {
    value: String,
    also: Vec<(String, String)>,
    arrived: Box<dyn Fn(&Config) -> bool>,
}

fn case(key: &str, index: Option<usize>, file_value: &toml::Value) -> Case {
    let i = index.unwrap_or(0);
    let c = |value: &str, arrived: Box<dyn Fn(&Config) -> bool>| Case {
        value: value.to_string(),
        also: Vec::new(),
        arrived,
    };
    let flipped = !file_value.as_bool().unwrap_or(false);
    let secs = |s: u64| Duration::from_secs(s);
    match key {
        "telegram.token" => c(
            "4242:env-token_X",
            Box::new(|c| c.telegram.token.as_deref() == Some("4242:env-token_X")),
        ),
        "telegram.api_url" => c(
            "http://127.0.0.1:8081",
            Box::new(|c| c.telegram.api_url.as_str() == "http://127.0.0.1:8081/"),
        ),
        "telegram.poll_timeout" => c("7s", Box::new(move |c| c.telegram.poll_timeout == secs(7))),
        "telegram.admins" => c("11,22", Box::new(|c| c.telegram.admins == [11, 22])),
        "telegram.access" => Case {
            also: vars(&[("MARKETBOT_TELEGRAM__ADMINS", "1")]),
            ..c(
                "allowlist",
                Box::new(|c| c.telegram.access == Policy::Allowlist),
            )
        },
        "telegram.allow" => c(
            "-1001234,77",
            Box::new(|c| c.telegram.allow == [-1001234, 77]),
        ),
        "telegram.commands_per_minute" => c("33", Box::new(|c| c.telegram.flood.per_minute == 33)),
        "telegram.flood_pause" => c("45s", Box::new(move |c| c.telegram.flood.pause == secs(45))),
        "telegram.webhook_url" => c(
            "https://env.example.org/hook",
            Box::new(|c| {
                c.telegram
                    .webhook
                    .as_ref()
                    .is_some_and(|w| w.url.as_str() == "https://env.example.org/hook")
            }),
        ),
        "telegram.webhook_secret" => Case {
            also: vars(&[(
                "MARKETBOT_TELEGRAM__WEBHOOK_URL",
                "https://env.example.org/hook",
            )]),
            ..c(
                "env-secret",
                Box::new(|c| {
                    c.telegram
                        .webhook
                        .as_ref()
                        .is_some_and(|w| w.secret == "env-secret")
                }),
            )
        },
        "telegram.personal_alerts_per_chat" => {
            c("7", Box::new(|c| c.telegram.personal.per_chat == 7))
        }
        "telegram.personal_alerts_min_every" => c(
            "20m",
            Box::new(move |c| c.telegram.personal.min_cooldown == secs(1200)),
        ),
        "telegram.messages_per_second" => c("12", Box::new(|c| c.telegram.pace.per_second == 12)),
        "telegram.chat_interval" => c("3s", Box::new(move |c| c.telegram.pace.chat_gap == secs(3))),
        "telegram.group_messages_per_minute" => {
            c("9", Box::new(|c| c.telegram.pace.group_per_minute == 9))
        }
        "telegram.allow_paid_broadcast" => c(
            &flipped.to_string(),
            Box::new(move |c| c.telegram.allow_paid_broadcast == flipped),
        ),
        "storage.path" => c(
            "/var/lib/env-data",
            Box::new(|c| c.storage.path == Path::new("/var/lib/env-data")),
        ),
        "storage.cache_mb" => c("64", Box::new(|c| c.storage.cache_bytes == 64 << 20)),
        "storage.url" => c(
            "postgres://bot:pw@db.internal:5433/marketbot",
            Box::new(|c| {
                c.storage.postgres.as_ref().map(|p| p.url.as_str())
                    == Some("postgres://bot:pw@db.internal:5433/marketbot")
            }),
        ),
        "storage.schema" => Case {
            also: vars(&[("MARKETBOT_STORAGE__URL", "postgres://db.internal/marketbot")]),
            ..c(
                "bots",
                Box::new(|c| {
                    c.storage
                        .postgres
                        .as_ref()
                        .and_then(|p| p.schema.as_deref())
                        == Some("bots")
                }),
            )
        },
        "storage.instance" => c(
            "bot-2",
            Box::new(|c| c.storage.instance.as_deref() == Some("bot-2")),
        ),
        "rules.dir" => c(
            "/srv/env-rules",
            Box::new(|c| c.rules_dir == Path::new("/srv/env-rules")),
        ),
        "rules.watch" => c("off", Box::new(|c| c.rules_watch.is_none())),
        "http.timeout" => c("33s", Box::new(move |c| c.http.timeout == secs(33))),
        "http.user_agent" => c(
            "env-agent/1.0",
            Box::new(|c| c.http.user_agent == "env-agent/1.0"),
        ),
        "http.listen" => c(
            "0.0.0.0:9100",
            Box::new(|c| c.http.listen == Some("0.0.0.0:9100".parse().unwrap())),
        ),
        "http.stall_after" => c("90s", Box::new(move |c| c.http.stall_after == secs(90))),
        "quotes[].name" => c(
            &format!("env-quotes-{i}"),
            Box::new(move |c| c.quotes[i].name == format!("env-quotes-{i}")),
        ),
        "quotes[].provider" => {
            let (value, provider) = if file_value.as_str() == Some("yahoo") {
                ("stooq", Provider::Stooq)
            } else {
                ("yahoo", Provider::Yahoo)
            };
            // Finnhub's key and plan go with it (an empty variable is unset).
            let unset = |key: &str| (format!("MARKETBOT_QUOTES__{i}__{key}"), String::new());
            Case {
                also: vec![unset("API_KEY"), unset("REQUESTS_PER_MINUTE")],
                ..c(value, Box::new(move |c| c.quotes[i].provider == provider))
            }
        }
        "quotes[].api_key" => c(
            &format!("env-key-{i}"),
            Box::new(move |c| {
                c.quotes[i].api_key == Some(ApiKey(format!("env-key-{i}")))
                    && !format!("{:?}", c.quotes[i]).contains("env-key")
            }),
        ),
        "quotes[].requests_per_minute" => Case {
            also: vars(&[(&format!("MARKETBOT_QUOTES__{i}__API_KEY"), "another-key")]),
            ..c(
                "120",
                Box::new(move |c| c.quotes[i].requests_per_minute == 120),
            )
        },
        "quotes[].base_url" => c(
            &format!("http://127.0.0.1:{}", 9100 + i),
            Box::new(move |c| c.quotes[i].base_url.port() == Some(9100 + i as u16)),
        ),
        "quotes[].symbols" => c(
            "arm,SAP.DE",
            Box::new(move |c| c.quotes[i].symbols == ["ARM", "SAP.DE"]),
        ),
        "quotes[].schedule" => c(
            "0 0 12 * * *",
            Box::new(move |c| c.quotes[i].schedule.source() == "0 0 12 * * *"),
        ),
        "quotes[].interval" => c("15m", Box::new(move |c| c.quotes[i].interval.secs() == 900)),
        "quotes[].extended_hours" => c(
            &flipped.to_string(),
            Box::new(move |c| c.quotes[i].extended_hours == flipped),
        ),
        "quotes[].history" => c(
            &flipped.to_string(),
            Box::new(move |c| c.quotes[i].history == flipped),
        ),
        "feeds[].name" => c(
            &format!("env-feed-{i}"),
            Box::new(move |c| c.feeds[i].name == format!("env-feed-{i}")),
        ),
        "feeds[].url" => c(
            &format!("https://example.org/env-{i}.xml"),
            Box::new(move |c| {
                c.feeds[i].url().map(|u| u.as_str())
                    == Some(&*format!("https://example.org/env-{i}.xml"))
            }),
        ),
        "feeds[].provider" => {
            // The example's Finnhub news entry made an RSS feed: it needs a `url`, and takes
            // no key, plan or base URL (an empty variable is unset).
            let unset = |key: &str| (format!("MARKETBOT_FEEDS__{i}__{key}"), String::new());
            if file_value.as_str() == Some("finnhub") {
                Case {
                    also: vec![
                        unset("API_KEY"),
                        unset("REQUESTS_PER_MINUTE"),
                        unset("BASE_URL"),
                        (
                            format!("MARKETBOT_FEEDS__{i}__URL"),
                            "https://example.org/news.xml".into(),
                        ),
                    ],
                    ..c("rss", Box::new(move |c| c.feeds[i].url().is_some()))
                }
            } else {
                Case {
                    also: vec![
                        unset("URL"),
                        (
                            format!("MARKETBOT_FEEDS__{i}__API_KEY"),
                            "env-news-key".into(),
                        ),
                        (format!("MARKETBOT_FEEDS__{i}__SYMBOLS"), "NVDA".into()),
                    ],
                    ..c(
                        "finnhub",
                        Box::new(move |c| matches!(c.feeds[i].source, FeedSource::Finnhub { .. })),
                    )
                }
            }
        }
        "feeds[].base_url" => c(
            &format!("http://127.0.0.1:{}", 9200 + i),
            Box::new(move |c| {
                matches!(&c.feeds[i].source, FeedSource::Finnhub { base_url, .. }
                    if base_url.port() == Some(9200 + i as u16))
            }),
        ),
        "feeds[].api_key" => c(
            &format!("env-news-key-{i}"),
            Box::new(move |c| {
                matches!(&c.feeds[i].source, FeedSource::Finnhub { api_key, .. }
                    if *api_key == ApiKey(format!("env-news-key-{i}")))
                    && !format!("{:?}", c.feeds[i]).contains("env-news-key")
            }),
        ),
        // Another plan is another key's: the example's Finnhub sources share one.
        "feeds[].requests_per_minute" => Case {
            also: vars(&[(&format!("MARKETBOT_FEEDS__{i}__API_KEY"), "another-key")]),
            ..c(
                "120",
                Box::new(move |c| {
                    matches!(
                        &c.feeds[i].source,
                        FeedSource::Finnhub {
                            requests_per_minute: 120,
                            ..
                        }
                    )
                }),
            )
        },
        "feeds[].schedule" => c(
            "5 5 5 * * *",
            Box::new(move |c| c.feeds[i].schedule.source() == "5 5 5 * * *"),
        ),
        "feeds[].symbols" => c(
            "AMD, ARM",
            Box::new(move |c| c.feeds[i].symbols == ["AMD", "ARM"]),
        ),
        "symbols.on_demand" => c(
            &flipped.to_string(),
            Box::new(move |c| c.symbols.limits.on_demand == flipped),
        ),
        "symbols.per_chat" => c("5", Box::new(|c| c.symbols.limits.per_chat == 5)),
        "symbols.max" => c("50", Box::new(|c| c.symbols.limits.max == 50)),
        "symbols.keep_quoted" => c(
            "2h",
            Box::new(move |c| c.symbols.limits.keep_quoted == secs(7200)),
        ),
        "symbols.source" => Case {
            also: vars(&[("MARKETBOT_QUOTES__0__NAME", "env-source")]),
            ..c(
                "env-source",
                Box::new(|c| {
                    c.symbols.source.as_deref() == Some("env-source")
                        && c.demand_source().map(|q| q.name.as_str()) == Some("env-source")
                }),
            )
        },
        other => panic!("no test value for `{other}`: add a case for the new key"),
    }
}

#[test]
fn every_key_of_the_example_is_set_from_the_environment() {
    let file = example();
    let keys = example_keys(&file.text);

    // The walk covers every key the config accepts, and nothing else.
    let walked: BTreeSet<String> = keys.iter().map(|k| k.key.clone()).collect();
    let accepted: BTreeSet<String> = config::keys().into_iter().collect();
    assert_eq!(
        walked, accepted,
        "marketbot.example.toml must show every key the config accepts (commented out if optional)"
    );

    // Entries commented out as a whole are added from the environment, as written.
    let base: Vec<(String, String)> = keys
        .iter()
        .filter(|k| k.in_commented_entry)
        .map(|k| (config::env_var(&k.key, k.index), as_env(&k.value)))
        .collect();
    assert!(
        !base.is_empty(),
        "the example has a commented-out [[quotes]]"
    );
    let plain = parse(&file, &[]).unwrap_or_else(|p| panic!("{:#?}", messages(&p)));
    let based = parse(&file, &base).unwrap_or_else(|p| panic!("{:#?}", messages(&p)));
    let commented_quotes: BTreeSet<usize> = keys
        .iter()
        .filter(|k| k.in_commented_entry && k.key.starts_with("quotes[]"))
        .filter_map(|k| k.index)
        .collect();
    assert_eq!(
        based.quotes.len(),
        plain.quotes.len() + commented_quotes.len(),
        "{base:?}"
    );

    let mut walked_entries = 0;
    for k in &keys {
        let var = config::env_var(&k.key, k.index);
        let case = case(&k.key, k.index, &k.value);
        assert_ne!(
            case.value.replace(' ', "").to_lowercase(),
            as_env(&k.value).replace(' ', "").to_lowercase(),
            "{var}: the test value must differ from the file's"
        );
        let mut env = base.clone();
        env.retain(|(name, _)| !case.also.iter().any(|(also, _)| also == name));
        env.extend(case.also.iter().cloned());
        env.retain(|(name, _)| *name != var);
        env.push((var.clone(), case.value.clone()));
        let c = parse(&file, &env)
            .unwrap_or_else(|p| panic!("{var}={}: {:#?}", case.value, messages(&p)));
        assert!(
            (case.arrived)(&c),
            "{var}={} did not arrive in Config",
            case.value
        );
        // The same value is not there without the variable.
        assert!(
            !(case.arrived)(&based) || !case.also.is_empty(),
            "{var}: the example already has the test value"
        );
        walked_entries += usize::from(k.index.is_some());
    }
    assert!(
        walked_entries > 10,
        "keys of [[quotes]] and [[feeds]] walked"
    );
}

#[test]
fn lists_come_comma_separated() {
    let file = example();
    let env = vars(&[
        ("MARKETBOT_TELEGRAM__ADMINS", "123,456"),
        ("MARKETBOT_QUOTES__0__SYMBOLS", "NVDA,AMD"),
        ("MARKETBOT_FEEDS__1__SYMBOLS", " nvda , amd ,"),
        ("MARKETBOT_TELEGRAM__ALLOW", "[-100, 5]"),
    ]);
    let c = parse(&file, &env).unwrap_or_else(|p| panic!("{:#?}", messages(&p)));
    assert_eq!(c.telegram.admins, [123, 456]);
    assert_eq!(c.quotes[0].symbols, ["NVDA", "AMD"]);
    assert_eq!(c.feeds[1].symbols, ["NVDA", "AMD"]);
    assert_eq!(c.telegram.allow, [-100, 5]);
}

#[test]
fn a_bad_value_from_the_environment_names_the_variable() {
    let file = example();
    for (var, value, says) in [
        ("MARKETBOT_HTTP__TIMEOUT", "abc", "`abc` is not a duration"),
        (
            "MARKETBOT_STORAGE__CACHE_MB",
            "lots",
            "invalid type: string \"lots\"",
        ),
        (
            "MARKETBOT_STORAGE__CACHE_MB",
            "0",
            "storage.cache_mb = 0 is out of range",
        ),
        (
            "MARKETBOT_TELEGRAM__ADMINS",
            "12,x",
            "invalid type: string \"x\"",
        ),
        (
            "MARKETBOT_SYMBOLS__ON_DEMAND",
            "yes",
            "invalid type: string \"yes\"",
        ),
        (
            "MARKETBOT_HTTP__LISTEN",
            "nowhere",
            "not an address to listen on",
        ),
        (
            "MARKETBOT_QUOTES__0__PROVIDER",
            "google",
            "unknown variant `google`",
        ),
        (
            "MARKETBOT_FEEDS__2__SCHEDULE",
            "*/5 * * * *",
            "not a valid schedule",
        ),
        (
            "MARKETBOT_TELEGRAM_API_URL",
            "ftp://example.com",
            "not an http(s) URL",
        ),
    ] {
        let problems = parse(&file, &vars(&[(var, value)])).unwrap_err();
        assert_eq!(problems.len(), 1, "{var}: {problems:#?}");
        let p = &problems[0];
        assert!(
            p.message.starts_with(&format!("{var} = `{value}`: ")) && p.message.contains(says),
            "{var}: {}",
            p.message
        );
        assert_eq!(p.span, None, "{var}: no place in the file");
        assert_eq!((p.line, p.col), (1, 1), "{var}: no line of the file");
    }
}

#[test]
fn unknown_variables_are_errors_and_others_are_ignored() {
    let file = example();
    let problems = parse(&file, &vars(&[("MARKETBOT_FOO__BAR", "1")])).unwrap_err();
    assert_eq!(
        messages(&problems),
        [format!(
            "{}:1:1: MARKETBOT_FOO__BAR: not a config key: there is no `foo`",
            file.path.display()
        )]
    );
    let problems = parse(&file, &vars(&[("MARKETBOT_TELEGRAM__TOKN", "1:secret")])).unwrap_err();
    assert_eq!(
        problems[0].hint.as_deref(),
        Some("did you mean MARKETBOT_TELEGRAM__TOKEN?")
    );
    assert!(!messages(&problems)[0].contains("secret"));
    // Not config keys: no `__`, or another prefix.
    let ignored = vars(&[
        ("MARKETBOT_CONFIG", "/etc/marketbot/marketbot.toml"),
        ("MARKETBOT_LOG", "debug"),
        ("MARKETBOT_LOG_FORMAT", "json"),
        ("MARKETBOT_TEST_SOMETHING", "1"),
        ("OTHER__THING", "x"),
        ("MARKETBOT_HTTP__TIMEOUT", ""),
    ]);
    let c = parse(&file, &ignored).unwrap_or_else(|p| panic!("{:#?}", messages(&p)));
    assert_eq!(
        c.http.timeout,
        Duration::from_secs(20),
        "an empty variable is unset"
    );
}

#[test]
fn problems_in_the_file_keep_their_line_and_column_with_variables_set() {
    let file = SourceFile {
        path: PathBuf::from("/etc/marketbot/marketbot.toml"),
        text: "[http]\ntimeout = \"20s\"\n\n[storage]\ncache_mb = \"many\"\n".into(),
    };
    let env = vars(&[
        ("MARKETBOT_HTTP__TIMEOUT", "5s"),
        ("MARKETBOT_TELEGRAM__ADMINS", "1,2"),
    ]);
    let problems = parse(&file, &env).unwrap_err();
    assert_eq!(
        (problems[0].line, problems[0].col),
        (5, 12),
        "{problems:#?}"
    );
    assert!(problems[0].span.is_some());

    // Validation problems too, next to one from a variable.
    let file = SourceFile {
        text: "[http]\ntimeout = \"soon\"\n".into(),
        ..file
    };
    let problems = parse(&file, &vars(&[("MARKETBOT_SYMBOLS__KEEP_QUOTED", "later")])).unwrap_err();
    let located: Vec<(usize, usize, bool)> = problems
        .iter()
        .map(|p| (p.line, p.col, p.message.starts_with("MARKETBOT_")))
        .collect();
    assert_eq!(located, [(2, 11, false), (1, 1, true)], "{problems:#?}");
    // A variable for a key the file has: the variable's value counts, and is the one blamed.
    let problems = parse(&file, &vars(&[("MARKETBOT_HTTP__TIMEOUT", "never")])).unwrap_err();
    assert_eq!(
        problems[0].message,
        "MARKETBOT_HTTP__TIMEOUT = `never`: `never` is not a duration"
    );
    assert!(parse(&file, &vars(&[("MARKETBOT_HTTP__TIMEOUT", "9s")])).is_ok());
}

#[test]
fn the_token_never_appears_in_problems() {
    let file = example();
    let secret = "s3cr3t token value";
    for var in [
        "MARKETBOT_TELEGRAM__TOKEN",
        "MARKETBOT_TELEGRAM_TOKEN",
        "TELOXIDE_TOKEN",
    ] {
        let env = vars(&[(var, secret), ("MARKETBOT_HTTP__TIMEOUT", "x")]);
        let problems = parse(&file, &env).unwrap_err();
        let text = messages(&problems).join("\n");
        assert!(
            text.contains(&format!(
                "the Telegram token ({var}) does not look like a bot token"
            )),
            "{text}"
        );
        assert!(!text.contains(secret) && !text.contains("s3cr3t"), "{text}");
    }
    // A valid-looking token from the environment, next to another problem.
    let token = "123456:AAbbCC_dd-EE";
    let env = vars(&[
        ("MARKETBOT_TELEGRAM__TOKEN", token),
        ("MARKETBOT_SYMBOLS__SOURCE", token),
    ]);
    let problems = parse(&file, &env).unwrap_err();
    let text = format!("{:?}", problems);
    assert!(!text.contains(token), "{text}");
    // From the file, a bad token is not shown either.
    let file = SourceFile {
        text: "[telegram]\ntoken = \"my s3cr3t\"\n".into(),
        ..file
    };
    let text = messages(&parse(&file, &[]).unwrap_err()).join("\n");
    assert!(
        text.contains("(telegram.token)") && !text.contains("s3cr3t"),
        "{text}"
    );
}

#[test]
fn the_single_underscore_variables_still_work() {
    let file = example();
    let env = vars(&[
        ("TELOXIDE_TOKEN", "1:teloxide"),
        ("MARKETBOT_STORAGE_PATH", "/data"),
        ("MARKETBOT_RULES_DIR", "/etc/marketbot/rules"),
        ("MARKETBOT_TELEGRAM_API_URL", "http://127.0.0.1:8081"),
    ]);
    let c = parse(&file, &env).unwrap_or_else(|p| panic!("{:#?}", messages(&p)));
    assert_eq!(c.telegram.token.as_deref(), Some("1:teloxide"));
    assert_eq!(c.storage.path, Path::new("/data"));
    assert_eq!(c.rules_dir, Path::new("/etc/marketbot/rules"));
    assert_eq!(c.telegram.api_url.as_str(), "http://127.0.0.1:8081/");

    // MARKETBOT_TELEGRAM_TOKEN wins over TELOXIDE_TOKEN; the `__` variable over both.
    let mut env = env;
    env.push(("MARKETBOT_TELEGRAM_TOKEN".into(), "2:marketbot".into()));
    let c = parse(&file, &env).unwrap();
    assert_eq!(c.telegram.token.as_deref(), Some("2:marketbot"));
    env.push(("MARKETBOT_TELEGRAM__TOKEN".into(), "3:canonical".into()));
    env.push(("MARKETBOT_STORAGE__PATH".into(), "/state".into()));
    let c = parse(&file, &env).unwrap();
    assert_eq!(c.telegram.token.as_deref(), Some("3:canonical"));
    assert_eq!(c.storage.path, Path::new("/state"));

    // Relative paths: from the file, next to it; from the environment, as given.
    let c = parse(&file, &vars(&[("MARKETBOT_STORAGE__PATH", "state")])).unwrap();
    assert_eq!(c.storage.path, Path::new("state"));
    assert_eq!(
        parse(&file, &[]).unwrap().storage.path,
        file.path.parent().unwrap().join("data")
    );
}

#[test]
fn an_entry_is_added_one_past_the_last() {
    let file = example();
    let feeds = parse(&file, &[]).unwrap().feeds.len();
    let env = vars(&[
        (
            format!("MARKETBOT_FEEDS__{feeds}__URL").as_str(),
            "https://example.org/new.xml",
        ),
        (
            format!("MARKETBOT_FEEDS__{feeds}__SCHEDULE").as_str(),
            "0 */15 * * * *",
        ),
    ]);
    let c = parse(&file, &env).unwrap_or_else(|p| panic!("{:#?}", messages(&p)));
    assert_eq!(c.feeds.len(), feeds + 1);
    assert_eq!(c.feeds[feeds].name, "example.org/new.xml");
    let var = format!("MARKETBOT_FEEDS__{}__URL", feeds + 1);
    let problems = parse(&file, &vars(&[(&var, "https://example.org/gap.xml")])).unwrap_err();
    assert!(
        problems[0]
            .message
            .starts_with(&format!("{var}: there are {feeds} `[[feeds]]` entries")),
        "{problems:#?}"
    );
}

/// Every `MARKETBOT_<SECTION>__<KEY>` a deployment file or a page of the docs names, with a
/// number for an entry's index (`__0__`, or `__N__` in a table of them).
fn named_variables() -> BTreeSet<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = [
        "Dockerfile",
        "compose.yaml",
        "compose.postgres.yaml",
        "README.md",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("a docs entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let name = regex::Regex::new(r"MARKETBOT_[A-Z0-9_]+__[A-Z0-9_]*[A-Z0-9]").unwrap();
    let index = regex::Regex::new(r"__(\d+|N)__").unwrap();
    let mut out = BTreeSet::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        for m in name.find_iter(&text) {
            out.insert((
                path.clone(),
                index.replace_all(m.as_str(), "__0__").into_owned(),
            ));
        }
    }
    out
}

#[test]
fn the_variables_the_deployment_files_and_docs_name_are_config_keys() {
    let known: BTreeSet<String> = config::keys()
        .iter()
        .map(|k| config::env_var(k, k.contains("[]").then_some(0)))
        .collect();
    let named = named_variables();
    let unknown: Vec<_> = named
        .iter()
        .filter(|(_, var)| !known.contains(var))
        .map(|(path, var)| format!("{}: {var}", path.display()))
        .collect();
    assert!(unknown.is_empty(), "not config keys: {unknown:#?}");
    // The scan found what it is for: the variables of the two compose files.
    for var in [
        "MARKETBOT_STORAGE__URL",
        "MARKETBOT_STORAGE__INSTANCE",
        "MARKETBOT_HTTP__LISTEN",
    ] {
        assert!(named.iter().any(|(_, v)| v == var), "{var} not found");
    }
}

#[test]
fn the_environment_of_the_postgres_compose_file_is_a_valid_config() {
    // As compose.postgres.yaml sets it for a replica, with no token and no admins yet (both
    // come empty from an unset `.env` entry).
    let env = vars(&[
        ("MARKETBOT_TELEGRAM_TOKEN", ""),
        ("MARKETBOT_TELEGRAM__ADMINS", ""),
        (
            "MARKETBOT_STORAGE__URL",
            "postgres://marketbot:a-long-random-password@db:5432/marketbot",
        ),
        ("MARKETBOT_STORAGE__INSTANCE", "marketbot-a"),
        ("MARKETBOT_HTTP__LISTEN", "0.0.0.0:9464"),
    ]);
    let c = parse(&example(), &env).unwrap_or_else(|p| panic!("{:#?}", messages(&p)));
    assert_eq!(
        c.storage.postgres.as_ref().map(|p| p.url.as_str()),
        Some("postgres://marketbot:a-long-random-password@db:5432/marketbot")
    );
    assert_eq!(c.storage.instance.as_deref(), Some("marketbot-a"));
    assert_eq!(c.telegram.token, None, "an empty token is console mode");
}
