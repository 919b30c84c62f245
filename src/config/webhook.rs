//! `telegram.webhook_url` and `telegram.webhook_secret`: Telegram posts updates to the bot's
//! HTTP listener instead of the bot polling for them.

use std::net::SocketAddr;

use toml::Spanned;
use url::Url;

use crate::problem::{Problem, SourceFile};

/// Webhook mode (`telegram.webhook_url`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Where Telegram posts updates: the public address of the HTTP listener, path included.
    pub url: Url,
    /// What Telegram sends in `X-Telegram-Bot-Api-Secret-Token`, checked on every request:
    /// `telegram.webhook_secret`, or derived from the bot token (so it survives restarts and
    /// redeploys unchanged). Empty in console mode, where no webhook is set.
    pub secret: String,
}

/// Paths the listener serves itself.
const RESERVED: [&str; 3] = ["/metrics", "/healthz", "/readyz"];

/// Telegram's rule for a secret token: 1–256 of `A-Z a-z 0-9 _ -`.
fn valid_secret(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The secret derived from `token`: SHA-256 of a fixed label and the token, hex (Telegram's
/// alphabet), so it says nothing about the token.
pub fn derived_secret(token: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("marketbot webhook secret\u{1f}{token}").as_bytes(),
    );
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the webhook keys; `None` without `webhook_url` (long polling).
pub(super) fn parse(
    file: &SourceFile,
    url: Option<&Spanned<String>>,
    secret: Option<&Spanned<String>>,
    token: Option<&str>,
    listen: Option<SocketAddr>,
    problems: &mut Vec<Problem>,
) -> Option<WebhookConfig> {
    if let Some(s) = secret
        && !valid_secret(s.get_ref())
    {
        problems.push(Problem::at(
            file,
            s.span(),
            "telegram.webhook_secret must be 1–256 characters of A–Z, a–z, 0–9, `_` and `-`",
            Some("leave it out to derive one from the bot token".into()),
        ));
    }
    let written = url?;
    let text = written.get_ref().trim();
    let mut problem = |message: String, hint: &str| {
        problems.push(Problem::at(
            file,
            written.span(),
            message,
            Some(hint.into()),
        ));
    };
    let parsed = match Url::parse(text) {
        Ok(u) => u,
        Err(e) => {
            problem(
                format!("telegram.webhook_url `{text}` is not a URL: {e}"),
                "the public HTTPS address Telegram posts to, e.g. `https://bot.example.com/telegram`",
            );
            return None;
        }
    };
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        problem(
            format!("telegram.webhook_url `{text}` must be an https:// address"),
            "Telegram posts updates only over HTTPS (ports 443, 80, 88 or 8443); put a TLS proxy in front of the listener",
        );
    }
    if !loopback && !matches!(parsed.port_or_known_default(), Some(443 | 80 | 88 | 8443)) {
        problem(
            format!(
                "telegram.webhook_url `{text}`: Telegram posts only to ports 443, 80, 88 or 8443"
            ),
            "let the proxy listen on one of them and forward to http.listen",
        );
    }
    if parsed
        .path_segments()
        .into_iter()
        .flatten()
        .any(|segment| segment.starts_with([':', '*', '{']) || segment.contains('}'))
    {
        problem(
            format!(
                "telegram.webhook_url's path `{}` has a segment starting with `:`, `*` or holding braces",
                parsed.path()
            ),
            "use letters, digits, `-` and `_` in the path, e.g. `/telegram`",
        );
    }
    if RESERVED.contains(&parsed.path()) {
        problem(
            format!(
                "telegram.webhook_url's path `{}` is one the listener serves itself",
                parsed.path()
            ),
            "use a path of its own, e.g. `/telegram`",
        );
    }
    if listen.is_none() {
        problem(
            "telegram.webhook_url needs the HTTP listener, and http.listen is `off`".into(),
            "set http.listen to the address the proxy forwards to, e.g. `0.0.0.0:9464`",
        );
    }
    let secret = match (secret, token) {
        (Some(s), _) => s.get_ref().clone(),
        (None, Some(t)) => derived_secret(t),
        (None, None) => String::new(),
    };
    Some(WebhookConfig {
        url: parsed,
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_secret_is_telegrams_alphabet_and_the_same_for_the_same_token() {
        let a = derived_secret("123:abc");
        assert_eq!(a.len(), 64);
        assert!(valid_secret(&a));
        assert_eq!(a, derived_secret("123:abc"));
        assert_ne!(a, derived_secret("123:abd"));
        assert!(!a.contains("abc"));
    }
}
