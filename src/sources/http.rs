//! The one HTTP client every source uses, and the one place that turns an HTTP exchange into
//! a body or a classified [`FetchError`].

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{self, HeaderMap};
use url::Url;

use crate::config::HttpConfig;

/// Largest body accepted from a quote API or feed; anything bigger is hostile or broken.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Why a fetch failed, classified for logs, counters and the retry policy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// Could not connect or the connection broke.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The server answered with an error status.
    #[error("HTTP {status}{}: {snippet}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// The server's Retry-After, if it sent one.
        retry_after: Option<Duration>,
        /// The start of the body, for the log.
        snippet: String,
    },
    /// The body is not what was asked for (an HTML page instead of JSON, XML or CSV).
    #[error("expected {expected}, got {got}: {snippet}")]
    WrongContent {
        /// What the parser needs.
        expected: &'static str,
        /// What came (content type or sniffed kind).
        got: String,
        /// The start of the body.
        snippet: String,
    },
    /// The body of a successful answer exceeded [`MAX_BODY`] (an error answer is its status,
    /// whatever its size).
    #[error("response larger than {} MiB", MAX_BODY / (1024 * 1024))]
    TooLarge,
    /// The body did not parse.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// The answer was well-formed but held no usable data (`N/D`, empty result).
    #[error("no data: {0}")]
    NoData(String),
    /// Not asked: the provider's plan allows no more requests for now.
    #[error("not asked: {0}")]
    Throttled(String),
}

impl FetchError {
    /// The server's request to wait, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short name for counters and `/status`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout => "timeout",
            FetchError::Connect(_) => "connect",
            FetchError::Status { status: 429, .. } => "rate-limited",
            FetchError::Status { status, .. } if *status >= 500 => "server-error",
            FetchError::Status { .. } => "http-error",
            FetchError::WrongContent { .. } => "wrong-content",
            FetchError::TooLarge => "too-large",
            FetchError::Malformed { .. } => "malformed",
            FetchError::NoData(_) => "no-data",
            FetchError::Throttled(_) => "throttled",
        }
    }
}

/// A successful response.
#[derive(Debug)]
pub struct Response {
    /// Status (2xx or 304).
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// The body (empty for 304).
    pub body: Bytes,
}

impl Response {
    /// The content type, lower-cased, without parameters.
    fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }

    /// The `charset` parameter of the content type, unquoted (`text/xml; charset=ISO-8859-1`).
    pub fn charset(&self) -> Option<&str> {
        let value = self.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        value.split(';').skip(1).find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"'))
        })
    }

    /// Whether the body looks like an HTML page (consent walls, challenges, error pages),
    /// whatever the content type claims.
    pub fn looks_like_html(&self) -> bool {
        let ct = self.content_type();
        if ct == "text/html" || ct == "application/xhtml+xml" {
            return true;
        }
        let head = String::from_utf8_lossy(&self.body[..self.body.len().min(512)])
            .trim_start()
            .to_ascii_lowercase();
        head.starts_with("<!doctype html") || head.starts_with("<html")
    }

    /// The first characters of the body, for logs.
    pub fn snippet(&self) -> String {
        snippet(&self.body)
    }

    /// An error when the body is an HTML page (a consent wall, a challenge, an error page)
    /// where `expected` was asked for.
    pub fn refuse_html(&self, expected: &'static str) -> Result<(), FetchError> {
        if self.looks_like_html() {
            return Err(FetchError::WrongContent {
                expected,
                got: "an HTML page".into(),
                snippet: self.snippet(),
            });
        }
        Ok(())
    }
}

/// How much of a body [`snippet`] looks at.
const SNIPPET_BYTES: usize = 600;

/// The first 120 characters of a body on one line.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET_BYTES)]);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(120).collect()
}

/// The shared client: timeouts, gzip, a browser-like User-Agent, bounded redirects.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    /// The same without redirects, for requests carrying a key a redirect would take along.
    pinned: reqwest::Client,
}

impl Http {
    /// Builds the client from `[http]` settings.
    pub fn new(config: &HttpConfig) -> Http {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, header::HeaderValue::from_static("*/*"));
        headers.insert(
            header::ACCEPT_LANGUAGE,
            header::HeaderValue::from_static("en-US,en;q=0.9,de;q=0.8"),
        );
        let client = |redirects| {
            reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .default_headers(headers.clone())
                .timeout(config.timeout)
                .connect_timeout(config.timeout.min(Duration::from_secs(10)))
                .redirect(redirects)
                .gzip(true)
                .build()
                .expect("the HTTP client configuration is static and valid")
        };
        Http {
            client: client(reqwest::redirect::Policy::limited(5)),
            pinned: client(reqwest::redirect::Policy::none()),
        }
    }

    /// GETs `url` with extra `headers`; 2xx and 304 are responses, anything else an error.
    pub async fn get(&self, url: &Url, headers: HeaderMap) -> Result<Response, FetchError> {
        Http::send(&self.client, url, headers).await
    }

    /// The same without following redirects (a 3xx is an error): for requests whose headers
    /// carry a key, which reqwest would send along to another host.
    pub async fn get_pinned(&self, url: &Url, headers: HeaderMap) -> Result<Response, FetchError> {
        Http::send(&self.pinned, url, headers).await
    }

    async fn send(
        client: &reqwest::Client,
        url: &Url,
        headers: HeaderMap,
    ) -> Result<Response, FetchError> {
        let resp = client
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(classify)?;
        let status = resp.status().as_u16();
        let resp_headers = resp.headers().clone();
        if !(200..300).contains(&status) && status != 304 {
            // The status and its Retry-After are the answer, whatever the size of the page
            // that comes with them: only its start is read, for the log.
            let head = read_head(resp).await;
            return Err(FetchError::Status {
                status,
                retry_after: retry_after(&resp_headers),
                snippet: snippet(&head),
            });
        }
        let body = read_limited(resp).await?;
        Ok(Response {
            status,
            headers: resp_headers,
            body,
        })
    }
}

/// The first [`SNIPPET_BYTES`] (or so) of an error answer's body, as far as it can be read;
/// the rest is not waited for.
async fn read_head(resp: reqwest::Response) -> Vec<u8> {
    let mut stream = resp.bytes_stream();
    let mut head = Vec::new();
    while head.len() < SNIPPET_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => {
                let room = SNIPPET_BYTES - head.len();
                head.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Some(Err(_)) | None => break,
        }
    }
    head
}

async fn read_limited(resp: reqwest::Response) -> Result<Bytes, FetchError> {
    if resp.content_length().is_some_and(|l| l > MAX_BODY as u64) {
        return Err(FetchError::TooLarge);
    }
    let mut stream = resp.bytes_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(classify)?;
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // The causes say what actually went wrong ("dns error", "connection refused").
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    // Without the URL: it may carry an API key in its query.
    let mut message = e.without_url().to_string();
    for cause in causes {
        if !message.contains(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    FetchError::Connect(message)
}

/// The server's Retry-After: a number of seconds, or an HTTP date — read against the server's
/// own `Date`, so that neither clock's error counts, or against the host's clock when the
/// answer has none. A date already past asks for no wait; any wait is capped at a day.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let until = httpdate::parse_http_date(value).ok()?;
            let now = headers
                .get(header::DATE)
                .and_then(|d| httpdate::parse_http_date(d.to_str().ok()?.trim()).ok())
                .unwrap_or_else(|| crate::clock::host_now().into());
            until.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(Duration::from_secs(24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn the_charset_is_read_from_the_content_type_quoted_or_not() {
        let charset = |content_type: &str| {
            Response {
                status: 200,
                headers: headers(&[(header::CONTENT_TYPE, content_type)]),
                body: Bytes::new(),
            }
            .charset()
            .map(str::to_string)
        };
        assert_eq!(
            charset("text/xml; charset=ISO-8859-1").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(
            charset("application/rss+xml;Charset=\"windows-1252\"").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(charset("application/rss+xml"), None);
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date_against_the_servers_own() {
        let seconds = headers(&[(header::RETRY_AFTER, " 120 ")]);
        assert_eq!(retry_after(&seconds), Some(Duration::from_secs(120)));
        let date = headers(&[
            (header::DATE, "Mon, 02 Feb 2026 21:47:00 GMT"),
            (header::RETRY_AFTER, "Mon, 02 Feb 2026 21:48:30 GMT"),
        ]);
        assert_eq!(retry_after(&date), Some(Duration::from_secs(90)));
        // The obsolete forms HTTP still asks a reader to take.
        let rfc850 = headers(&[
            (header::DATE, "Monday, 02-Feb-26 21:47:00 GMT"),
            (header::RETRY_AFTER, "Mon Feb  2 21:49:00 2026"),
        ]);
        assert_eq!(retry_after(&rfc850), Some(Duration::from_secs(120)));
        let past = headers(&[
            (header::DATE, "Mon, 02 Feb 2026 21:47:00 GMT"),
            (header::RETRY_AFTER, "Mon, 02 Feb 2026 21:00:00 GMT"),
        ]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        let far = headers(&[
            (header::DATE, "Mon, 02 Feb 2026 21:47:00 GMT"),
            (header::RETRY_AFTER, "Fri, 01 Jan 2100 00:00:00 GMT"),
        ]);
        assert_eq!(retry_after(&far), Some(Duration::from_secs(24 * 3600)));
        // Against the host's clock when the server sends no date: a date long past waits not.
        let undated = headers(&[(header::RETRY_AFTER, "Thu, 01 Jan 2015 00:00:00 GMT")]);
        assert_eq!(retry_after(&undated), Some(Duration::ZERO));
        for junk in ["soon", "-5", "1e3", "Mon, 32 Feb 2026 21:47:00 GMT", ""] {
            let h = headers(&[(header::RETRY_AFTER, junk)]);
            assert_eq!(retry_after(&h), None, "{junk:?}");
        }
    }
}
