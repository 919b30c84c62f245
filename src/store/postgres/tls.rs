//! TLS to the PostgreSQL server, asked for in `storage.url` the way libpq spells it, so that a
//! connection string from a database provider's console works as given.
//!
//! | `sslmode` | encrypted | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (the default) | when the server offers it | not checked |
//! | `require` | always | not checked; with `sslrootcert`, as `verify-ca` |
//! | `verify-ca` | always | signed by one of the roots in `sslrootcert` |
//! | `verify-full` | always | signed by a trusted root, and naming the host connected to |
//!
//! `sslrootcert` names a PEM file of the roots to trust; without it, or with `system` (which
//! alone means `verify-full`, as in libpq 16), `verify-full` trusts Mozilla's roots, compiled in
//! (a provider whose certificates a public authority signs needs nothing more). Against those
//! only `verify-full` is accepted: they vouch for names, so `verify-ca` would take any site's
//! certificate. `sslcert` and `sslkey` name a client certificate and its key (PEM,
//! unencrypted), for servers that authenticate clients by certificate. `allow` is taken as
//! `prefer` (libpq tries without TLS first; here TLS is tried first). An empty setting is one
//! not given; over Unix sockets there is no TLS (as in libpq); the client offers the ALPN
//! protocol `postgresql`, which `sslnegotiation=direct` needs.
//!
//! tokio-postgres parses the rest of the string, but knows only `disable`, `prefer` and
//! `require`, and none of the file settings: [`Tls::split`] takes them out first, and
//! [`Tls::connector`] builds the rustls client that enforces them.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What `sslmode` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Mode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The TLS settings of a connection string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Tls {
    pub(super) mode: Mode,
    /// Whether the string said `sslmode` (otherwise the driver's reading of it stands).
    explicit: bool,
    /// `sslrootcert`: a PEM file of trusted roots, or `system`.
    root_cert: Option<String>,
    /// `sslcert` and `sslkey`: the client's certificate (PEM) and its key.
    client_cert: Option<String>,
    client_key: Option<String>,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Prefer => "prefer",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }
}

/// The settings this module takes out of the string.
const KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

impl Tls {
    /// Takes the TLS settings out of a connection string (URL or `key=value` form) and returns
    /// the rest, for tokio-postgres to parse. A string this cannot read is returned whole, for
    /// tokio-postgres to report what is wrong with it.
    pub(super) fn split(url: &str) -> Result<(String, Tls), String> {
        let (rest, settings) = if url.starts_with("postgres://") || url.starts_with("postgresql://")
        {
            split_url(url)
        } else {
            split_key_values(url)
        };
        let mut tls = Tls::default();
        for (key, value) in settings {
            // As libpq: an empty setting is one not given.
            let value = Some(value).filter(|v| !v.is_empty());
            match (key.as_str(), value) {
                (_, None) => {}
                ("sslmode", Some(value)) => {
                    tls.explicit = true;
                    tls.mode = match value.as_str() {
                        "disable" => Mode::Disable,
                        "allow" | "prefer" => Mode::Prefer,
                        "require" => Mode::Require,
                        "verify-ca" => Mode::VerifyCa,
                        "verify-full" => Mode::VerifyFull,
                        other => {
                            return Err(format!(
                                "invalid sslmode {other:?}: use disable, allow, prefer, require, \
                                 verify-ca or verify-full"
                            ));
                        }
                    }
                }
                ("sslrootcert", value) => tls.root_cert = value,
                ("sslcert", value) => tls.client_cert = value,
                (_, value) => tls.client_key = value,
            }
        }
        if tls.client_cert.is_some() != tls.client_key.is_some() {
            return Err("sslcert and sslkey go together: give both or neither".into());
        }
        match (tls.root_cert.as_deref(), tls.mode) {
            // The public authorities vouch for names: only a check of the name means anything
            // against them (libpq 16 likewise makes `verify-full` the default with `system`).
            (Some("system"), _) if !tls.explicit => {
                tls.mode = Mode::VerifyFull;
                tls.explicit = true;
            }
            (Some("system") | None, Mode::VerifyCa) | (Some("system"), Mode::Require) => {
                return Err(format!(
                    "sslmode={} against the public authorities would take any site's \
                     certificate: use sslmode=verify-full, or name your own roots with \
                     sslrootcert=FILE",
                    tls.mode.as_str()
                ));
            }
            (Some("system"), Mode::Disable | Mode::Prefer) => {
                return Err(format!(
                    "sslmode={} with sslrootcert=system would check nothing: use \
                     sslmode=verify-full",
                    tls.mode.as_str()
                ));
            }
            // libpq: `require` with a root certificate of the operator's checks the chain.
            (Some(_), Mode::Require) => tls.mode = Mode::VerifyCa,
            _ => {}
        }
        Ok((rest, tls))
    }

    /// Fits the settings to what the driver read from the rest of the string: the `sslmode` it
    /// read where this module found none (a string it could not split), no TLS where every
    /// host is a Unix socket (as libpq: PostgreSQL has no TLS there), and the address as the
    /// name to check where only `hostaddr` was given.
    pub(super) fn apply(&mut self, config: &mut tokio_postgres::Config) {
        use tokio_postgres::config::Host;
        if self.explicit {
            config.ssl_mode(self.ssl_mode());
        } else {
            self.mode = match config.get_ssl_mode() {
                SslMode::Disable => Mode::Disable,
                SslMode::Require => Mode::Require,
                _ => Mode::Prefer,
            };
        }
        let hosts = config.get_hosts();
        #[cfg(unix)]
        let sockets_only = !hosts.is_empty()
            && config.get_hostaddrs().is_empty()
            && hosts.iter().all(|h| matches!(h, Host::Unix(_)));
        #[cfg(not(unix))]
        let sockets_only = false;
        let no_host = hosts.is_empty();
        if sockets_only {
            self.mode = Mode::Disable;
            config.ssl_mode(SslMode::Disable);
        }
        if no_host {
            // The driver names the server to the TLS handshake by `host`: without one it
            // refuses TLS altogether.
            for addr in config.get_hostaddrs().to_vec() {
                config.host(addr.to_string());
            }
        }
    }

    /// What tokio-postgres is told: whether TLS is tried, and whether it must succeed.
    fn ssl_mode(&self) -> SslMode {
        match self.mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        }
    }

    /// The rustls client that checks the server as the mode says, reading the files named.
    pub(super) fn connector(&self) -> Result<MakeRustlsConnect, String> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.mode {
            Mode::Disable | Mode::Prefer | Mode::Require => Arc::new(Unchecked(provider.clone())),
            Mode::VerifyCa | Mode::VerifyFull => {
                let roots = self.roots()?;
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| format!("TLS: {e}"))?;
                if self.mode == Mode::VerifyCa {
                    Arc::new(AnyName(webpki))
                } else {
                    webpki
                }
            }
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => {
                let chain = read_certs("sslcert", cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| format!("sslkey {key}: no private key read: {e}"))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("sslcert/sslkey: {e}"))?
            }
            _ => builder.with_no_client_auth(),
        };
        // As libpq 17: a server taking TLS without the SSL request (`sslnegotiation=direct`)
        // needs it; others ignore it.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(MakeRustlsConnect::new(config))
    }

    /// The roots a `verify-*` mode trusts: the operator's, or the public authorities for
    /// `verify-full` only ([`Tls::split`] refuses the rest).
    fn roots(&self) -> Result<Arc<RootCertStore>, String> {
        let mut roots = RootCertStore::empty();
        match self.root_cert.as_deref() {
            None | Some("system") => {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            Some(path) => {
                for cert in read_certs("sslrootcert", path)? {
                    roots
                        .add(cert)
                        .map_err(|e| format!("sslrootcert {path}: {e}"))?;
                }
            }
        }
        Ok(Arc::new(roots))
    }
}

impl fmt::Display for Tls {
    /// For the log line naming the database: how the connection is protected.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.mode {
            Mode::Disable => "no TLS",
            Mode::Prefer => "TLS if offered",
            Mode::Require => "TLS, certificate not checked",
            Mode::VerifyCa => "TLS, certificate checked",
            Mode::VerifyFull => "TLS, certificate and host checked",
        })
    }
}

/// The crypto of every TLS connection here: *ring*, which the HTTP stack already builds
/// (rustls' other provider, aws-lc, needs cmake and a C toolchain to build). Later rustls
/// releases mark it deprecated for want of post-quantum key exchange; it is still supported.
#[allow(deprecated)]
pub(super) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate of a PEM file; none is an error.
fn read_certs(setting: &str, path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(Path::new(path))
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{setting} {path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{setting} {path}: no certificate in it"));
    }
    Ok(certs)
}

/// A URL's query without this module's settings, and those settings, percent-decoded.
fn split_url(url: &str) -> (String, Vec<(String, String)>) {
    // The credentials cannot hold a raw `@`, the host part no `?`: the query starts at the first
    // `?` after the credentials.
    let after_credentials = url.find('@').map_or(0, |at| at + 1);
    let Some(query_at) = url[after_credentials..]
        .find('?')
        .map(|q| after_credentials + q)
    else {
        return (url.to_owned(), Vec::new());
    };
    let (base, query) = (&url[..query_at], &url[query_at + 1..]);
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key);
        if KEYS.contains(&key.as_str()) {
            taken.push((key, decode(value)));
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (rest, taken)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A `key=value` string without this module's settings (the others quoted again), and those
/// settings. Read as tokio-postgres and libpq read it: values plain or in single quotes, a
/// backslash escaping the next character.
fn split_key_values(s: &str) -> (String, Vec<(String, String)>) {
    let Some(pairs) = key_values(s) else {
        return (s.to_owned(), Vec::new());
    };
    if !pairs.iter().any(|(key, _)| KEYS.contains(&key.as_str())) {
        return (s.to_owned(), Vec::new());
    }
    let (taken, kept): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(key, _)| KEYS.contains(&key.as_str()));
    let rest = kept
        .iter()
        .map(|(key, value)| {
            let value = value.replace('\\', "\\\\").replace('\'', "\\'");
            format!("{key}='{value}'")
        })
        .collect::<Vec<_>>()
        .join(" ");
    (rest, taken)
}

fn key_values(s: &str) -> Option<Vec<(String, String)>> {
    let mut chars = s.chars().peekable();
    let mut pairs = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|&c| !c.is_whitespace() && c != '=') {
            key.push(c);
        }
        if key.is_empty() {
            return chars.peek().is_none().then_some(pairs);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.next_if_eq(&'=')?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\'') if quoted => break,
                Some(c) if !quoted && c.is_whitespace() => break,
                // A backslash escapes the next character; a last one is dropped (as the driver
                // does).
                Some('\\') => value.extend(chars.next()),
                Some(c) => value.push(c),
                None if quoted => return None,
                None => break,
            }
        }
        if !quoted && value.is_empty() {
            return None;
        }
        pairs.push((key, value));
    }
}

/// `prefer` and `require` as libpq has them: the connection is encrypted, the certificate not
/// checked (the handshake's signatures still are, with the key the certificate carries).
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in the certificate is not
/// compared with the host (rustls checks the name after the chain, so a name error means the
/// chain held).
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests;
