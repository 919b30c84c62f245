//! The config file (TOML) and environment, parsed once into validated settings.
//!
//! Everything outside the process is addressable here — the Telegram Bot API, every quote
//! provider and every feed — so the same binary can be pointed at local fakes. Unknown keys
//! are errors that name the key and its line. The rest of the program only ever sees
//! [`Config`], never the raw form.
//!
//! Every key can also be set from the environment, which wins over the file:
//! `MARKETBOT_<SECTION>__<KEY>`, upper case, path parts joined by a double underscore and
//! entries of `[[quotes]]`/`[[feeds]]` by their index (`MARKETBOT_QUOTES__0__SYMBOLS`). The
//! variables are laid over the parsed file before it is deserialized, typed as the key
//! expects (the keys and their types are read off the raw structs themselves, see
//! [`keys`]), so a new key needs nothing here to be settable. A problem with a value from
//! the environment names its variable instead of a line of the file.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};
use url::Url;

use crate::clock::Clock;
use crate::problem::{Problem, SourceFile};
use crate::telegram::gate::{FloodLimits, Policy};

mod env;
mod sources;
mod structure;
mod values;
mod webhook;
use env::Overlay;
pub use env::{Env, ProcessEnv, env_var, keys};
pub use sources::{
    ApiKey, FINNHUB_MAX_REQUESTS_PER_MINUTE, FINNHUB_REQUESTS_PER_MINUTE, FeedConfig, FeedProvider,
    FeedSource, Provider, QuoteSourceConfig,
};
use sources::{RawFeed, RawQuotes};
use values::*;
pub use webhook::{WebhookConfig, derived_secret};

/// Environment variable holding the Telegram bot token (an alias of
/// `MARKETBOT_TELEGRAM__TOKEN`).
pub const TOKEN_ENV: &str = "MARKETBOT_TELEGRAM_TOKEN";
/// teloxide's conventional token variable, also accepted (weaker than [`TOKEN_ENV`]).
pub const TELOXIDE_TOKEN_ENV: &str = "TELOXIDE_TOKEN";
/// Overrides `storage.path` (an alias of `MARKETBOT_STORAGE__PATH`).
pub const STORAGE_ENV: &str = "MARKETBOT_STORAGE_PATH";
/// Overrides `rules.dir` (an alias of `MARKETBOT_RULES__DIR`).
pub const RULES_ENV: &str = "MARKETBOT_RULES_DIR";
/// Overrides `telegram.api_url` (an alias of `MARKETBOT_TELEGRAM__API_URL`).
pub const API_URL_ENV: &str = "MARKETBOT_TELEGRAM_API_URL";
/// Prefix of the variables that set config keys.
pub const ENV_PREFIX: &str = "MARKETBOT_";
/// Between the parts of a key's path in a variable's name (`MARKETBOT_HTTP__TIMEOUT`).
pub const ENV_SEPARATOR: &str = "__";

/// The single-underscore variables kept from before every key could be set, weakest first,
/// with the variable they stand for (without [`ENV_PREFIX`]). That variable wins over them.
const ALIASES: [(&str, &str); 5] = [
    (TELOXIDE_TOKEN_ENV, "TELEGRAM__TOKEN"),
    (TOKEN_ENV, "TELEGRAM__TOKEN"),
    (API_URL_ENV, "TELEGRAM__API_URL"),
    (STORAGE_ENV, "STORAGE__PATH"),
    (RULES_ENV, "RULES__DIR"),
];

/// A browser-like User-Agent: Yahoo answers 429 to library defaults.
pub const DEFAULT_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Where the HTTP listener (`/metrics`, `/healthz`, `/readyz`) listens unless `http.listen`
/// says otherwise: loopback only.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9464));

/// Validated settings for the whole bot.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the settings came from (for messages).
    pub path: PathBuf,
    /// Telegram connection.
    pub telegram: TelegramConfig,
    /// sled location and cache size.
    pub storage: StorageConfig,
    /// Directory with rule files and `lexicons/`.
    pub rules_dir: PathBuf,
    /// How often the rules directory is looked at for changes (`None`: never).
    pub rules_watch: Option<Duration>,
    /// Where `run --record` writes what the sources fetched (set from the command line).
    pub record_dir: Option<PathBuf>,
    /// The shared HTTP client's settings.
    pub http: HttpConfig,
    /// Quote sources.
    pub quotes: Vec<QuoteSourceConfig>,
    /// Headline feeds.
    pub feeds: Vec<FeedConfig>,
    /// Symbols chats ask for beyond the configured ones.
    pub symbols: SymbolsConfig,
}

/// `[symbols]`
#[derive(Clone, Debug)]
pub struct SymbolsConfig {
    /// What chats may add.
    pub limits: crate::sources::demand::DemandLimits,
    /// The quote source that checks and fetches them (by name; `None`: the first one).
    pub source: Option<String>,
}

/// `[telegram]`
#[derive(Clone, Debug)]
pub struct TelegramConfig {
    /// The bot token; `None` runs the bot in console mode.
    pub token: Option<String>,
    /// Base URL of the Bot API (a local fake in tests).
    pub api_url: Url,
    /// Long-poll timeout for getUpdates.
    pub poll_timeout: Duration,
    /// User ids allowed to run admin commands.
    pub admins: Vec<i64>,
    /// Pay (in Stars) to send beyond the free broadcast limit of 30 messages per second.
    pub allow_paid_broadcast: bool,
    /// Limits on chats' personal alerts.
    pub personal: crate::personal::Limits,
    /// Telegram's sending limits, kept by the bot.
    pub pace: crate::telegram::pace::Limits,
    /// Who may use the bot (`telegram.access`).
    pub access: Policy,
    /// User and chat ids let in with [`Policy::Allowlist`] (`telegram.allow`; groups are
    /// negative).
    pub allow: Vec<i64>,
    /// Per-chat command flood protection (`telegram.commands_per_minute`,
    /// `telegram.flood_pause`).
    pub flood: FloodLimits,
    /// Updates posted by Telegram to the HTTP listener instead of long polling
    /// (`telegram.webhook_url`).
    pub webhook: Option<WebhookConfig>,
}

/// `[storage]`
#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// Directory of the sled database.
    pub path: PathBuf,
    /// sled page cache size in bytes.
    pub cache_bytes: u64,
    /// The shared PostgreSQL store instead of sled (`storage.url`), for several instances.
    pub postgres: Option<PostgresConfig>,
    /// This instance's name among those sharing the store (`storage.instance`; default: host
    /// name and process id).
    pub instance: Option<String>,
}

/// Where the PostgreSQL store is.
#[derive(Clone)]
pub struct PostgresConfig {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Schema of the tables (`storage.schema`; default `public`).
    pub schema: Option<String>,
}

impl std::fmt::Debug for PostgresConfig {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &redact_url(&self.url))
            .field("schema", &self.schema)
            .finish()
    }
}

/// Whether `text` is a PostgreSQL address (`postgres://` or `postgresql://`, with a host).
pub fn is_postgres_url(text: &str) -> bool {
    Url::parse(text.trim())
        .is_ok_and(|u| matches!(u.scheme(), "postgres" | "postgresql") && u.host_str().is_some())
}

/// `url` with the password (if any) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(not a URL)".into(),
    }
}

/// `[http]`
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Timeout for a whole request.
    pub timeout: Duration,
    /// User-Agent sent to quote providers and feeds.
    pub user_agent: String,
    /// Where the bot's own HTTP listener (`/metrics`, `/healthz`, `/readyz`) listens; `None`
    /// (`listen = "off"`): no listener.
    pub listen: Option<SocketAddr>,
    /// How long a stage may go without progress before the bot reports itself unhealthy
    /// (`http.stall_after`; see [`crate::health`]).
    pub stall_after: Duration,
}

// The raw form is also the schema of the environment: every field here can be set with a
// variable (see `env`), typed as declared. Keep values that need checking `Spanned`, so a
// problem points at the line, or names the variable.

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    telegram: RawTelegram,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    quotes: Vec<RawQuotes>,
    #[serde(default)]
    feeds: Vec<RawFeed>,
    #[serde(default)]
    symbols: RawSymbols,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSymbols {
    on_demand: Option<bool>,
    per_chat: Option<Spanned<u32>>,
    max: Option<Spanned<u32>>,
    keep_quoted: Option<Spanned<String>>,
    source: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    token: Option<Spanned<String>>,
    api_url: Option<Spanned<String>>,
    poll_timeout: Option<Spanned<String>>,
    #[serde(default)]
    admins: Vec<i64>,
    #[serde(default)]
    allow_paid_broadcast: bool,
    personal_alerts_per_chat: Option<Spanned<u32>>,
    personal_alerts_min_every: Option<Spanned<String>>,
    messages_per_second: Option<Spanned<u32>>,
    chat_interval: Option<Spanned<String>>,
    group_messages_per_minute: Option<Spanned<u32>>,
    access: Option<Spanned<String>>,
    #[serde(default)]
    allow: Vec<i64>,
    commands_per_minute: Option<Spanned<u32>>,
    flood_pause: Option<Spanned<String>>,
    webhook_url: Option<Spanned<String>>,
    webhook_secret: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: Option<Spanned<String>>,
    cache_mb: Option<Spanned<u64>>,
    url: Option<Spanned<String>>,
    schema: Option<Spanned<String>>,
    instance: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    dir: Option<Spanned<String>>,
    watch: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    timeout: Option<Spanned<String>>,
    user_agent: Option<String>,
    listen: Option<Spanned<String>>,
    stall_after: Option<Spanned<String>>,
}

impl Config {
    /// Reads and validates the config file at `path`, with overrides from `env`, as of the
    /// system's clock (see [`Config::parse`]).
    pub fn load(path: &Path, env: &dyn Env) -> Result<Config, Vec<Problem>> {
        Config::load_at(path, env, Clock::system().now())
    }

    /// Reads and validates the config file at `path`, with overrides from `env`, as of `now`
    /// (see [`Config::parse_at`]).
    pub fn load_at(path: &Path, env: &dyn Env, now: DateTime<Utc>) -> Result<Config, Vec<Problem>> {
        let file = SourceFile::read(path).map_err(|p| vec![p])?;
        Config::parse_at(&file, env, now)
    }

    /// Validates config text with the keys `env` sets laid over it, as of the system's clock
    /// (see [`Config::parse_at`]).
    pub fn parse(file: &SourceFile, env: &dyn Env) -> Result<Config, Vec<Problem>> {
        Config::parse_at(file, env, Clock::system().now())
    }

    /// Validates config text with the keys `env` sets laid over it (see the module docs);
    /// relative paths in the file are taken relative to the file's directory, those from
    /// the environment relative to the working directory. A schedule with no time after `now`
    /// (no date matches it, or its years are past) is a problem.
    pub fn parse_at(
        file: &SourceFile,
        env: &dyn Env,
        now: DateTime<Utc>,
    ) -> Result<Config, Vec<Problem>> {
        let overlay = Overlay::read(file, env);
        let mut problems = overlay.problems.clone();
        let config = overlay
            .raw(file, &mut problems)
            .and_then(|raw| Config::validate(file, &overlay, raw, now, &mut problems));
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(problems.into_iter().map(|p| overlay.locate(p)).collect()),
        }
    }

    /// The settings of `raw`, or `None` when there are `problems`.
    fn validate(
        file: &SourceFile,
        overlay: &Overlay,
        raw: RawConfig,
        now: DateTime<Utc>,
        problems: &mut Vec<Problem>,
    ) -> Option<Config> {
        let base_dir = file
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let relative = |p: &Spanned<String>| -> PathBuf {
            let path = PathBuf::from(p.get_ref());
            if path.is_absolute() || overlay.is_env(p) {
                path
            } else {
                base_dir.join(path)
            }
        };

        let token = raw
            .telegram
            .token
            .as_ref()
            .filter(|t| !t.get_ref().trim().is_empty())
            .map(|t| {
                (
                    overlay.source(t, "telegram.token"),
                    t.get_ref().trim().to_string(),
                )
            });
        if let Some((from, t)) = &token
            && !looks_like_token(t)
        {
            // Never echo the token itself (not even the line it is on).
            problems.push(Problem::whole_file(
                &file.path,
                format!("the Telegram token ({from}) does not look like a bot token (expected `<digits>:<secret>` from @BotFather)"),
            ));
        }
        let token = token.map(|(_, t)| t);
        let api_url = match &raw.telegram.api_url {
            Some(u) => parse_url(file, u, problems),
            None => Url::parse("https://api.telegram.org").ok(),
        };
        let poll_timeout = duration(
            file,
            raw.telegram.poll_timeout.as_ref(),
            Duration::from_secs(10),
            problems,
        );
        if poll_timeout >= Duration::from_secs(15) {
            problems.push(Problem::at(
                file,
                raw.telegram
                    .poll_timeout
                    .as_ref()
                    .map_or(0..0, |s| s.span()),
                "telegram.poll_timeout must be below 15s (the Bot API client gives up after 17s)",
                None,
            ));
        }

        let defaults = crate::personal::Limits::default();
        let per_chat = in_range(
            file,
            raw.telegram.personal_alerts_per_chat.as_ref(),
            "telegram.personal_alerts_per_chat",
            0..=1000,
            defaults.per_chat as u32,
            problems,
        );
        let personal = crate::personal::Limits {
            per_chat: per_chat as usize,
            min_cooldown: duration(
                file,
                raw.telegram.personal_alerts_min_every.as_ref(),
                defaults.min_cooldown,
                problems,
            ),
        };
        let pace_defaults = crate::telegram::pace::Limits::default();
        let per_second = in_range(
            file,
            raw.telegram.messages_per_second.as_ref(),
            "telegram.messages_per_second",
            1..=1000,
            pace_defaults.per_second,
            problems,
        );
        let group_per_minute = in_range(
            file,
            raw.telegram.group_messages_per_minute.as_ref(),
            "telegram.group_messages_per_minute",
            1..=600,
            pace_defaults.group_per_minute,
            problems,
        );
        let pace = crate::telegram::pace::Limits {
            per_second,
            chat_gap: duration(
                file,
                raw.telegram.chat_interval.as_ref(),
                pace_defaults.chat_gap,
                problems,
            ),
            group_per_minute,
        };

        let access = match &raw.telegram.access {
            None => Policy::default(),
            Some(a) => match a.get_ref().trim() {
                "open" => Policy::Open,
                "allowlist" => Policy::Allowlist,
                other => {
                    problems.push(Problem::at(
                        file,
                        a.span(),
                        format!("telegram.access = `{other}` is not an access policy"),
                        Some("`open` (anyone) or `allowlist` (only `allow`, the admins and chats they let in)".into()),
                    ));
                    Policy::default()
                }
            },
        };
        if access == Policy::Allowlist && raw.telegram.admins.is_empty() {
            problems.push(Problem::at(
                file,
                raw.telegram.access.as_ref().map_or(0..0, |a| a.span()),
                "telegram.access is `allowlist` but there are no admins: nobody could let anyone in",
                Some("add your Telegram user id to `telegram.admins`".into()),
            ));
        }
        let flood_defaults = FloodLimits::default();
        let flood = FloodLimits {
            per_minute: in_range(
                file,
                raw.telegram.commands_per_minute.as_ref(),
                "telegram.commands_per_minute",
                1..=600,
                flood_defaults.per_minute,
                problems,
            ),
            pause: duration(
                file,
                raw.telegram.flood_pause.as_ref(),
                flood_defaults.pause,
                problems,
            ),
        };
        if let Some(pause) = &raw.telegram.flood_pause
            && flood.pause < Duration::from_secs(1)
        {
            problems.push(Problem::at(
                file,
                pause.span(),
                "telegram.flood_pause must be at least 1s",
                None,
            ));
        }

        let storage_path = raw
            .storage
            .path
            .as_ref()
            .map_or_else(|| base_dir.join("data"), relative);
        let cache_mb = in_range(
            file,
            raw.storage.cache_mb.as_ref(),
            "storage.cache_mb",
            1..=4096,
            16,
            problems,
        );
        let postgres = storage_postgres(file, &raw.storage, problems);
        let instance = raw.storage.instance.as_ref().and_then(|name| {
            let ok = !name.get_ref().is_empty()
                && name.get_ref().len() <= 64
                && name
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
            if !ok {
                problems.push(Problem::at(
                    file,
                    name.span(),
                    "storage.instance must be 1 to 64 letters, digits or - _ . :",
                    None,
                ));
            }
            ok.then(|| name.get_ref().clone())
        });
        let rules_dir = raw
            .rules
            .dir
            .as_ref()
            .map_or_else(|| base_dir.join("rules"), relative);

        let rules_watch = match raw.rules.watch.as_ref().map(|w| (w, w.get_ref().trim())) {
            None => Some(Duration::from_secs(2)),
            Some((_, "off")) => None,
            Some((w, _)) => {
                let every = duration(file, Some(w), Duration::from_secs(2), problems);
                if every < crate::reload::MIN_WATCH {
                    problems.push(Problem::at(
                        file,
                        w.span(),
                        format!(
                            "rules.watch must be at least {}",
                            humantime::format_duration(crate::reload::MIN_WATCH)
                        ),
                        Some("`2s` is plenty for files edited by hand; `off` to look only on /reload or SIGHUP".into()),
                    ));
                }
                Some(every)
            }
        };
        let listen = match raw.http.listen.as_ref().map(|l| (l, l.get_ref().trim())) {
            None => Some(DEFAULT_LISTEN),
            Some((_, "off")) => None,
            Some((l, text)) => match listen_address(text) {
                Ok(addr) => Some(addr),
                Err(why) => {
                    problems.push(Problem::at(
                        file,
                        l.span(),
                        format!("http.listen = `{text}` {why}"),
                        Some("a host and a port, e.g. `127.0.0.1:9464`, `0.0.0.0:9464` or `localhost:9464`; `off` for no listener".into()),
                    ));
                    None
                }
            },
        };
        let stall_after = duration(
            file,
            raw.http.stall_after.as_ref(),
            crate::health::STALL_AFTER,
            problems,
        );
        if let Some(s) = &raw.http.stall_after
            && stall_after < crate::health::MIN_STALL_AFTER
        {
            problems.push(Problem::at(
                file,
                s.span(),
                format!(
                    "http.stall_after must be at least {}s",
                    crate::health::MIN_STALL_AFTER.as_secs()
                ),
                None,
            ));
        }
        let http = HttpConfig {
            timeout: duration(
                file,
                raw.http.timeout.as_ref(),
                Duration::from_secs(20),
                problems,
            ),
            user_agent: raw
                .http
                .user_agent
                .unwrap_or_else(|| DEFAULT_USER_AGENT.to_string()),
            listen,
            stall_after,
        };

        let webhook = webhook::parse(
            file,
            raw.telegram.webhook_url.as_ref(),
            raw.telegram.webhook_secret.as_ref(),
            token.as_deref(),
            http.listen,
            problems,
        );

        let (quotes, feeds) = sources::validate(file, raw.quotes, raw.feeds, now, problems);

        let demand_defaults = crate::sources::demand::DemandLimits::default();
        let symbols = SymbolsConfig {
            limits: crate::sources::demand::DemandLimits {
                on_demand: raw.symbols.on_demand.unwrap_or(demand_defaults.on_demand),
                per_chat: in_range(
                    file,
                    raw.symbols.per_chat.as_ref(),
                    "symbols.per_chat",
                    0..=1000,
                    demand_defaults.per_chat as u32,
                    problems,
                ) as usize,
                max: in_range(
                    file,
                    raw.symbols.max.as_ref(),
                    "symbols.max",
                    0..=100_000,
                    demand_defaults.max as u32,
                    problems,
                ) as usize,
                keep_quoted: duration(
                    file,
                    raw.symbols.keep_quoted.as_ref(),
                    demand_defaults.keep_quoted,
                    problems,
                ),
            },
            source: raw.symbols.source.as_ref().map(|s| s.get_ref().clone()),
        };
        if let Some(name) = &raw.symbols.source
            && !quotes.iter().any(|q| q.name == *name.get_ref())
        {
            problems.push(Problem::at(
                file,
                name.span(),
                format!(
                    "symbols.source: there is no quote source named `{}`",
                    name.get_ref()
                ),
                Some("name one of the `[[quotes]]` sources (their `name`)".into()),
            ));
        }

        if !problems.is_empty() {
            return None;
        }
        Some(Config {
            path: file.path.clone(),
            telegram: TelegramConfig {
                token,
                api_url: api_url?,
                poll_timeout,
                admins: raw.telegram.admins,
                allow_paid_broadcast: raw.telegram.allow_paid_broadcast,
                personal,
                pace,
                access,
                allow: raw.telegram.allow,
                flood,
                webhook,
            },
            storage: StorageConfig {
                path: storage_path,
                cache_bytes: cache_mb * 1024 * 1024,
                postgres,
                instance,
            },
            rules_dir,
            rules_watch,
            record_dir: None,
            http,
            quotes,
            feeds,
            symbols,
        })
    }

    /// The quote source that fetches symbols on demand: `symbols.source`, else the first.
    pub fn demand_source(&self) -> Option<&QuoteSourceConfig> {
        match &self.symbols.source {
            Some(name) => self.quotes.iter().find(|q| q.name == *name),
            None => self.quotes.first(),
        }
    }
}

#[cfg(test)]
mod tests;
