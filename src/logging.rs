//! Log output: text for people or one JSON object per line (`MARKETBOT_LOG_FORMAT=json`),
//! filtered by `MARKETBOT_LOG`, always on stderr, and never with the bot token in it.
//!
//! Messages of our own redact the token where they are made ([`crate::telegram::redact`]);
//! as a second line of defence every line written passes [`Redacting`], which replaces the
//! token (once known: [`hide_token`]) wherever it appears — in a dependency's error that
//! quotes a request URL, say.

use std::io::Write;
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Selects the log format.
pub const FORMAT_ENV: &str = "MARKETBOT_LOG_FORMAT";
/// Selects what is logged (`info`, `debug`, `marketbot=debug,teloxide=info`, …).
pub const FILTER_ENV: &str = "MARKETBOT_LOG";
/// What is logged without `MARKETBOT_LOG` (the store adds its engine's noise to quiet).
const DEFAULT_FILTER: &str = "info,hyper=warn,reqwest=warn,teloxide=warn";

static TOKEN: OnceLock<String> = OnceLock::new();

/// How log lines look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (time, level, target, message and fields).
    Json,
}

impl Format {
    /// From the value of `MARKETBOT_LOG_FORMAT` (`text` when unset); `Err` names what is
    /// accepted.
    pub fn parse(value: Option<&str>) -> Result<Format, String> {
        match value.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("text") => Ok(Format::Text),
            Some("json") => Ok(Format::Json),
            Some(other) => Err(format!(
                "{FORMAT_ENV} = `{other}`: expected `text` or `json`"
            )),
        }
    }
}

/// From now on, `token` is replaced by `<token>` in every log line.
pub fn hide_token(token: &str) {
    if !token.is_empty() {
        let _ = TOKEN.set(token.to_string());
    }
}

/// Installs the global subscriber: `format`, filtered by `MARKETBOT_LOG`, to stderr.
pub fn init(format: Format) {
    let filter = EnvFilter::try_from_env(FILTER_ENV).unwrap_or_else(|_| {
        EnvFilter::new(format!("{DEFAULT_FILTER},{}", crate::store::QUIET_LOGS))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting(std::io::stderr));
    match format {
        Format::Text => builder.init(),
        Format::Json => {
            builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .init();
            // A panic is one more JSON line, not free text on stderr.
            std::panic::set_hook(Box::new(|info| {
                let location = info.location().map(ToString::to_string);
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(ToString::to_string)
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %message, location = location.as_deref().unwrap_or("?"), "panicked");
            }));
        }
    }
}

/// A writer maker whose lines never carry the token.
#[derive(Clone, Copy, Debug)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = Line<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            inner: self.0.make_writer(),
            buffer: Vec::new(),
        }
    }
}

/// One event's output, held until it is complete so the token cannot be split across writes.
pub struct Line<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> Write for Line<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let out = match TOKEN.get() {
            Some(token) => redact_bytes(&self.buffer, token.as_bytes()),
            None => std::mem::take(&mut self.buffer),
        };
        self.buffer.clear();
        self.inner.write_all(&out)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Line<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn redact_bytes(text: &[u8], token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.windows(token.len()).position(|w| w == token) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"<token>");
        rest = &rest[at + token.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// What is logged while a test runs, for the test to check what was said.
#[cfg(test)]
#[derive(Clone, Default)]
pub(crate) struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
impl Logs {
    /// Collects what is logged on this thread, as plain text lines, until the guard is
    /// dropped.
    pub(crate) fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// How many lines logged so far contain `text`.
    pub(crate) fn lines_with(&self, text: &str) -> usize {
        self.text().lines().filter(|l| l.contains(text)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_objects_and_never_carry_the_token() {
        let token = "123456:AAtestTOKENvalue";
        hide_token(token);
        let captured = Logs::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Redacting(move || sink.clone()))
            .json()
            .flatten_event(true)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(url = %format!("https://api.telegram.org/bot{token}/getMe"), "request failed");
            tracing::info!(answer = 42, "second line");
        });
        let text = captured.text();
        assert!(!text.contains(token), "{text}");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["level"], "WARN");
        assert_eq!(lines[0]["message"], "request failed");
        assert_eq!(lines[0]["url"], "https://api.telegram.org/bot<token>/getMe");
        assert_eq!(lines[1]["answer"], 42);
    }

    #[test]
    fn the_format_comes_from_the_environment_value() {
        assert_eq!(Format::parse(None), Ok(Format::Text));
        assert_eq!(Format::parse(Some("JSON")), Ok(Format::Json));
        assert!(
            Format::parse(Some("yaml"))
                .unwrap_err()
                .contains(FORMAT_ENV)
        );
    }
}
