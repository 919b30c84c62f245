use super::*;

fn split(url: &str) -> (String, Tls) {
    Tls::split(url).expect(url)
}

#[test]
fn a_url_without_tls_settings_is_left_as_it_is() {
    for url in [
        "postgres://u:p@db:5432/marketbot",
        "postgres://u:p@db/marketbot?application_name=x&connect_timeout=3",
        "postgresql://db",
        "host=db user=u password='a b'",
        "",
    ] {
        let (rest, tls) = split(url);
        assert_eq!(rest, url);
        assert_eq!(tls, Tls::default());
        assert_eq!(tls.ssl_mode(), SslMode::Prefer);
    }
}

#[test]
fn the_tls_settings_are_taken_out_of_a_url() {
    let (rest, tls) = split(
        "postgres://u:p%3Fq@db:5432/marketbot?sslmode=verify-full&connect_timeout=3\
         &sslrootcert=%2Fcerts%2Fca%20bundle.pem&sslcert=/c.pem&sslkey=/k.pem",
    );
    assert_eq!(
        rest,
        "postgres://u:p%3Fq@db:5432/marketbot?connect_timeout=3"
    );
    assert_eq!(tls.mode, Mode::VerifyFull);
    assert_eq!(tls.root_cert.as_deref(), Some("/certs/ca bundle.pem"));
    assert_eq!(tls.client_cert.as_deref(), Some("/c.pem"));
    assert_eq!(tls.client_key.as_deref(), Some("/k.pem"));
    assert_eq!(tls.ssl_mode(), SslMode::Require);

    let (rest, tls) = split("postgresql://u@db/x?sslmode=disable");
    assert_eq!(rest, "postgresql://u@db/x");
    assert_eq!(tls.ssl_mode(), SslMode::Disable);
    // A `?` in the password does not start the query.
    let (rest, tls) = split("postgres://u:a?b@db/x?sslmode=require");
    assert_eq!(rest, "postgres://u:a?b@db/x");
    assert_eq!(tls.mode, Mode::Require);
}

#[test]
fn the_tls_settings_are_taken_out_of_key_values() {
    let (rest, tls) = split(
        "host=db  user = u password='it\\'s a \\\\secret' sslmode=verify-ca \
         sslrootcert='/etc/my certs/ca.pem'",
    );
    assert_eq!(rest, "host='db' user='u' password='it\\'s a \\\\secret'");
    let config: tokio_postgres::Config = rest.parse().unwrap();
    assert_eq!(config.get_password(), Some("it's a \\secret".as_bytes()));
    assert_eq!(tls.mode, Mode::VerifyCa);
    assert_eq!(tls.root_cert.as_deref(), Some("/etc/my certs/ca.pem"));
}

#[test]
fn modes_as_libpq_reads_them() {
    let mode = |s: &str| split(&format!("postgres://db/x?{s}")).1.mode;
    assert_eq!(mode("sslmode=allow"), Mode::Prefer);
    assert_eq!(mode("sslmode=prefer"), Mode::Prefer);
    assert_eq!(mode("sslmode=require"), Mode::Require);
    // `require` with roots of the operator's checks the chain.
    assert_eq!(mode("sslmode=require&sslrootcert=/ca.pem"), Mode::VerifyCa);
    assert_eq!(mode("sslrootcert=/ca.pem&sslmode=require"), Mode::VerifyCa);
    assert_eq!(
        mode("sslmode=verify-ca&sslrootcert=/ca.pem"),
        Mode::VerifyCa
    );
    assert_eq!(mode("sslmode=verify-full"), Mode::VerifyFull);
}

#[test]
fn bad_settings_are_clear_errors() {
    let err = Tls::split("postgres://db/x?sslmode=strict").unwrap_err();
    assert!(err.contains("invalid sslmode \"strict\""), "{err}");
    let err = Tls::split("postgres://db/x?sslcert=/c.pem").unwrap_err();
    assert!(err.contains("sslcert and sslkey"), "{err}");

    let tls = split("postgres://db/x?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").1;
    let err = tls
        .connector()
        .err()
        .expect("a missing root file is an error");
    assert!(
        err.starts_with("sslrootcert /nonexistent/ca.pem: "),
        "{err}"
    );
    let empty = tempfile::NamedTempFile::new().unwrap();
    let path = empty.path().display();
    let tls = split(&format!(
        "postgres://db/x?sslmode=verify-ca&sslrootcert={path}"
    ))
    .1;
    let err = tls
        .connector()
        .err()
        .expect("a file without certificates is an error");
    assert!(err.ends_with("no certificate in it"), "{err}");
}

#[test]
fn a_string_it_cannot_read_is_left_for_the_driver_to_report() {
    for s in ["host=db password='open", "host=", "=x sslmode=require"] {
        let (rest, tls) = split(s);
        assert_eq!(rest, s);
        assert_eq!(tls, Tls::default());
    }
}

#[test]
fn every_mode_builds_a_connector() {
    let root = Authority::new();
    let root = root.path("root.pem");
    for mode in ["disable", "prefer", "require", "verify-ca", "verify-full"] {
        let tls = split(&format!(
            "postgres://db/x?sslmode={mode}&sslrootcert={root}"
        ))
        .1;
        assert!(tls.connector().is_ok(), "{mode}");
    }
    for mode in ["disable", "prefer", "require", "verify-full"] {
        let tls = split(&format!("postgres://db/x?sslmode={mode}")).1;
        assert!(tls.connector().is_ok(), "{mode}");
    }
}

// Over the test database, through a TLS front made for each test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::PrivatePkcs8KeyDer;
use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::store::kv::{Backend, Tree};
use crate::store::postgres::{Postgres, TestSchema};

/// What a client sends to ask for TLS before its startup message.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Certificates made for one test: a root of its own, in a PEM file, and what it signs.
struct Authority {
    dir: tempfile::TempDir,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    fn new() -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own: roots are looked up by name.
        static ROOTS: AtomicUsize = AtomicUsize::new(0);
        let n = ROOTS.fetch_add(1, Ordering::SeqCst);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("marketbot test root {n}"));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let authority = Authority {
            dir: tempfile::tempdir().unwrap(),
            issuer,
        };
        std::fs::write(authority.path("root.pem"), authority.issuer.pem()).unwrap();
        authority
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A server's certificate for `names`, or with none a client's, and its key.
    fn sign(&self, names: &[&str]) -> (Certificate, KeyPair) {
        let client = names.is_empty();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "test");
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert, key)
    }

    /// The server side of the handshake with a certificate for `names`; asking for a client
    /// certificate this root signed if `clients`; offering `alpn`.
    fn acceptor(&self, names: &[&str], clients: bool, alpn: &[&[u8]]) -> tokio_rustls::TlsAcceptor {
        let (cert, key) = self.sign(names);
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if clients {
            let mut roots = RootCertStore::empty();
            roots.add(self.issuer.der().clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivatePkcs8KeyDer::from(key.serialize_der());
        let mut config = builder
            .with_single_cert(vec![cert.der().clone()], key.into())
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }

    /// A client certificate and its key in PEM files: the values of `sslcert` and `sslkey`.
    fn client_files(&self) -> (String, String) {
        let (cert, key) = self.sign(&[]);
        std::fs::write(self.path("client.pem"), cert.pem()).unwrap();
        std::fs::write(self.path("client.key"), key.serialize_pem()).unwrap();
        (self.path("client.pem"), self.path("client.key"))
    }
}

/// How the front answers a client's request for TLS.
enum Offer {
    /// With a certificate for these names; a client certificate signed by the root too, if
    /// `clients` is set.
    Tls {
        names: &'static [&'static str],
        clients: bool,
    },
    /// Declined, as by a server without TLS.
    None,
}

/// A stand-in for a PostgreSQL server with TLS in front of the test database: it takes a
/// client's request for TLS, completes the handshake, and passes the decrypted stream on to the
/// test database (which is asked for no TLS). It counts what it saw.
struct Front {
    port: u16,
    /// Requests for TLS, and handshakes completed.
    requests: Arc<AtomicUsize>,
    handshakes: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Front {
    fn start(authority: &Authority, offer: Offer, upstream: (String, u16)) -> Front {
        let acceptor = match offer {
            Offer::None => None,
            Offer::Tls { names, clients } => Some(authority.acceptor(names, clients, &[])),
        };
        let requests = Arc::new(AtomicUsize::new(0));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let (seen, done) = (requests.clone(), handshakes.clone());
        let (port, runtime) = listen(move |client, _| {
            let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
            let (seen, done) = (seen.clone(), done.clone());
            async move {
                let _ = serve(client, acceptor, upstream, seen, done).await;
            }
        });
        Front {
            port,
            requests,
            handshakes,
            _runtime: runtime,
        }
    }
}

/// A listener on loopback with a runtime of its own (kept while the port is used): each
/// connection, numbered from 0, is handed to `serve`.
fn listen<F, Fut>(serve: F) -> (u16, tokio::runtime::Runtime)
where
    F: Fn(TcpStream, usize) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(async move {
        let mut n = 0;
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(serve(client, n));
            n += 1;
        }
    });
    (port, runtime)
}

/// One client connection of the front.
async fn serve(
    mut client: TcpStream,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    upstream: (String, u16),
    requests: Arc<AtomicUsize>,
    handshakes: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut first = [0u8; 8];
    client.read_exact(&mut first).await?;
    let mut server = TcpStream::connect(upstream).await?;
    if first != SSL_REQUEST {
        // No TLS asked for: the startup message goes on as it came.
        server.write_all(&first).await?;
        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
        return Ok(());
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let Some(acceptor) = acceptor else {
        client.write_all(b"N").await?;
        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
        return Ok(());
    };
    client.write_all(b"S").await?;
    let mut client = acceptor.accept(client).await?;
    handshakes.fetch_add(1, Ordering::SeqCst);
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}

/// The test database, and how to reach it through a front.
struct Through {
    schema: TestSchema,
    upstream: (String, u16),
    user: String,
    dbname: String,
}

impl Through {
    fn new() -> Option<Through> {
        let schema = TestSchema::create()?;
        let (url, _) = Tls::split(&schema.url).unwrap();
        let config: tokio_postgres::Config = url.parse().unwrap();
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres").to_owned();
        let dbname = config.get_dbname().unwrap_or(&user).to_owned();
        Some(Through {
            schema,
            upstream: (host, port),
            user,
            dbname,
        })
    }

    /// A front for the test database, with a root of its own.
    fn front(&self, offer: Offer) -> (Authority, Front) {
        let authority = Authority::new();
        let front = Front::start(&authority, offer, self.upstream.clone());
        (authority, front)
    }

    /// Connects through `front` as `host`, with these settings; the store must work, and a
    /// failure must come at once (a certificate refused is not retried as an outage).
    fn open(&self, front: &Front, host: &str, settings: &str) -> Result<Postgres, String> {
        let url = format!(
            "postgres://{}@{host}:{}/{}?{settings}",
            self.user, front.port, self.dbname
        );
        let started = Instant::now();
        let opened = Postgres::open(&url, Some(&self.schema.schema), Duration::from_secs(3))
            .map_err(|e| e.to_string());
        if let Err(e) = &opened {
            assert!(!e.contains("gave up after"), "retried as an outage: {e}");
            assert!(started.elapsed() < Duration::from_secs(3), "{e}");
        }
        let pg = opened?;
        pg.insert(Tree::Meta, b"through", b"tls").unwrap();
        assert_eq!(
            pg.get(Tree::Meta, b"through").unwrap(),
            Some(b"tls".to_vec())
        );
        Ok(pg)
    }
}

#[test]
fn verify_full_trusts_the_root_given_and_checks_the_host() {
    let Some(db) = Through::new() else { return };
    let (authority, front) = db.front(Offer::Tls {
        names: &["localhost"],
        clients: false,
    });
    let root = authority.path("root.pem");

    let pg = db
        .open(
            &front,
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={root}"),
        )
        .unwrap();
    assert!(
        pg.describe()
            .ends_with(", TLS, certificate and host checked)"),
        "{}",
        pg.describe()
    );
    assert!(front.handshakes.load(Ordering::SeqCst) >= 1);
    drop(pg);

    // The certificate names localhost, not 127.0.0.1.
    let err = db
        .open(
            &front,
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={root}"),
        )
        .expect_err("a certificate for another host is refused");
    assert!(err.contains("certificate not valid for name"), "{err}");
    // verify-ca checks the chain only; so does require given a root.
    for settings in ["sslmode=verify-ca", "sslmode=require"] {
        db.open(
            &front,
            "127.0.0.1",
            &format!("{settings}&sslrootcert={root}"),
        )
        .unwrap();
    }
}

#[test]
fn a_certificate_no_trusted_root_signed_is_refused_only_where_checked() {
    let Some(db) = Through::new() else { return };
    let (_authority, front) = db.front(Offer::Tls {
        names: &["localhost"],
        clients: false,
    });
    let other = Authority::new();
    let other_root = other.path("root.pem");
    for settings in [
        "sslmode=verify-full".to_owned(),
        "sslmode=verify-full&sslrootcert=system".to_owned(),
        format!("sslmode=verify-full&sslrootcert={other_root}"),
        format!("sslmode=require&sslrootcert={other_root}"),
    ] {
        let err = db
            .open(&front, "localhost", &settings)
            .expect_err(&settings);
        assert!(err.contains("UnknownIssuer"), "{settings}: {err}");
    }
    // prefer (the default) and require encrypt without checking, as libpq does.
    let before = front.handshakes.load(Ordering::SeqCst);
    db.open(&front, "localhost", "sslmode=require").unwrap();
    db.open(&front, "localhost", "connect_timeout=5").unwrap();
    assert!(front.handshakes.load(Ordering::SeqCst) >= before + 2);
}

#[test]
fn a_server_without_tls_is_refused_by_require_and_used_by_prefer() {
    let Some(db) = Through::new() else { return };
    let (_authority, front) = db.front(Offer::None);
    let err = db
        .open(&front, "localhost", "sslmode=require")
        .expect_err("require needs TLS");
    assert!(err.contains("server does not support TLS"), "{err}");
    db.open(&front, "localhost", "sslmode=prefer").unwrap();
    let asked = front.requests.load(Ordering::SeqCst);
    assert!(asked >= 2, "{asked}");
    // disable does not ask.
    db.open(&front, "localhost", "sslmode=disable").unwrap();
    assert_eq!(front.requests.load(Ordering::SeqCst), asked);
    assert_eq!(front.handshakes.load(Ordering::SeqCst), 0);
}

#[test]
fn a_client_certificate_is_presented_when_named() {
    let Some(db) = Through::new() else { return };
    let (authority, front) = db.front(Offer::Tls {
        names: &["localhost"],
        clients: true,
    });
    let root = authority.path("root.pem");
    let (cert, key) = authority.client_files();
    db.open(
        &front,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={root}&sslcert={cert}&sslkey={key}"),
    )
    .unwrap();
    let err = db
        .open(
            &front,
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={root}"),
        )
        .expect_err("the front wants a client certificate");
    assert!(err.contains("CertificateRequired"), "{err}");
}

// libpq compatibility and safety of the settings.

/// libpq (16 and later): `sslrootcert=system` alone makes the default `sslmode` `verify-full`.
#[test]
fn sslrootcert_system_alone_is_verify_full() {
    let (_, tls) = split("postgres://u@db.example.net/x?sslrootcert=system");
    assert_eq!(tls.mode, Mode::VerifyFull, "{tls}");
}

/// `verify-ca` against the public authorities checks no name: any site's certificate any
/// public authority signed would pass. Like libpq with `sslrootcert=system`, only `verify-full`
/// is allowed against them.
#[test]
fn the_public_authorities_are_trusted_for_verify_full_only() {
    for settings in [
        "sslmode=verify-ca",
        "sslmode=verify-ca&sslrootcert=system",
        "sslmode=require&sslrootcert=system",
        "sslmode=prefer&sslrootcert=system",
        "sslmode=disable&sslrootcert=system",
    ] {
        let err =
            Tls::split(&format!("postgres://u@db.example.net/x?{settings}")).expect_err(settings);
        assert!(err.contains("use sslmode=verify-full"), "{settings}: {err}");
    }
    let (_, tls) = split("postgres://u@db.example.net/x?sslmode=verify-full&sslrootcert=system");
    assert_eq!(tls.mode, Mode::VerifyFull);
    assert!(tls.connector().is_ok());
}

/// libpq treats an empty setting as unset: `sslrootcert=` is no root file, so `require` stays
/// `require` and builds.
#[test]
fn an_empty_sslrootcert_is_as_if_unset() {
    let (_, tls) = split("postgres://u@db/x?sslmode=require&sslrootcert=");
    assert_eq!(tls.mode, Mode::Require);
    assert!(tls.connector().is_ok());
}

/// A string ending in a backslash (which the driver drops) keeps its `sslmode=require`: a
/// server declining TLS is refused, not used in plaintext.
#[test]
fn require_is_kept_in_a_string_ending_in_a_backslash() {
    let Some(db) = Through::new() else { return };
    let (_authority, front) = db.front(Offer::None);
    let s = format!(
        "host=localhost port={} user={} dbname={} sslmode=require application_name=bot\\",
        front.port, db.user, db.dbname
    );
    // tokio-postgres reads it, with require.
    let config: tokio_postgres::Config = s.parse().unwrap();
    assert_eq!(config.get_ssl_mode(), SslMode::Require);
    let opened = Postgres::open(&s, Some(&db.schema.schema), Duration::from_secs(3));
    assert!(
        opened.is_err(),
        "sslmode=require connected without TLS: {}",
        opened.map(|pg| pg.describe()).unwrap_or_default()
    );
}

/// The test database as `authority` (`host:port`, or none for `hostaddr` or a socket).
fn direct(db: &Through, authority: &str, settings: &str) -> Result<Postgres, String> {
    let url = format!(
        "postgres://{}@{authority}/{}?{settings}",
        db.user, db.dbname
    );
    Postgres::open(&url, Some(&db.schema.schema), Duration::from_secs(3)).map_err(|e| e.to_string())
}

/// `hostaddr` without `host` connects, with TLS when the server offers it (the driver names
/// the server to the handshake by `host`: the address stands in for it).
#[test]
fn hostaddr_without_host_connects() {
    let Some(db) = Through::new() else { return };
    let (host, port) = &db.upstream;
    let Ok(addr) = host.parse::<std::net::IpAddr>() else {
        return;
    };
    for settings in [
        format!("hostaddr={addr}&port={port}"),
        format!("hostaddr={addr}&port={port}&sslmode=require"),
    ] {
        direct(&db, "", &settings).expect(&settings);
    }
}

/// libpq: "sslmode is ignored for Unix domain socket communication": a socket path with
/// `sslmode=require` (a string shared by a local and a remote setup) connects.
#[test]
fn sslmode_is_ignored_on_a_unix_socket() {
    let Some(db) = Through::new() else { return };
    let dir = "/var/run/postgresql";
    let port = db.upstream.1;
    if !Path::new(&format!("{dir}/.s.PGSQL.{port}")).exists() {
        return;
    }
    let pg = direct(
        &db,
        "",
        &format!("host=%2Fvar%2Frun%2Fpostgresql&port={port}&sslmode=require"),
    )
    .unwrap();
    assert!(pg.get(Tree::Meta, b"nothing").unwrap().is_none());
}

/// `sslnegotiation=direct` (TLS without the SSL request) needs the ALPN protocol `postgresql`:
/// PostgreSQL 17 closes a direct TLS connection without it, as this front does.
#[test]
fn direct_negotiation_offers_the_postgresql_alpn() {
    let Some(db) = Through::new() else { return };
    let authority = Authority::new();
    let acceptor = authority.acceptor(&["localhost"], false, &[b"postgresql"]);
    let upstream = db.upstream.clone();
    let (port, _runtime) = listen(move |client, _| {
        let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
        async move {
            let Ok(mut client) = acceptor.accept(client).await else {
                return;
            };
            if client.get_ref().1.alpn_protocol() != Some(b"postgresql") {
                // As PostgreSQL: no direct TLS without the protocol named.
                return;
            }
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
    });
    let root = authority.path("root.pem");
    direct(
        &db,
        &format!("localhost:{port}"),
        &format!("sslmode=verify-full&sslrootcert={root}&sslnegotiation=direct"),
    )
    .unwrap();
}

#[test]
fn verify_full_accepts_an_ip_address_the_certificate_names() {
    let Some(db) = Through::new() else { return };
    let (authority, front) = db.front(Offer::Tls {
        names: &["127.0.0.1"],
        clients: false,
    });
    let root = authority.path("root.pem");
    db.open(
        &front,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    )
    .unwrap();
    let err = db
        .open(
            &front,
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={root}"),
        )
        .expect_err("localhost is not named");
    assert!(err.contains("not valid for name"), "{err}");
}

#[test]
fn verify_ca_refuses_a_client_only_certificate() {
    let Some(db) = Through::new() else { return };
    let authority = Authority::new();
    // No names: `sign` makes a client certificate (ClientAuth only).
    let offer = Offer::Tls {
        names: &[],
        clients: false,
    };
    let front = Front::start(&authority, offer, db.upstream.clone());
    let root = authority.path("root.pem");
    for mode in ["verify-ca", "require"] {
        let err = db
            .open(
                &front,
                "localhost",
                &format!("sslmode={mode}&sslrootcert={root}"),
            )
            .expect_err(mode);
        assert!(err.contains("invalid peer certificate"), "{err}");
    }
}

#[test]
fn the_test_servers_own_certificate_can_be_the_root() {
    let Some(db) = Through::new() else { return };
    let pem = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    if !Path::new(pem).exists() {
        return;
    }
    let port = db.upstream.1;
    direct(
        &db,
        &format!("localhost:{port}"),
        &format!("sslmode=verify-full&sslrootcert={pem}"),
    )
    .unwrap();
    let err = direct(&db, &format!("localhost:{port}"), "sslmode=verify-full")
        .err()
        .unwrap();
    assert!(err.contains("UnknownIssuer"), "{err}");
}

/// A server that takes the request for TLS and then drops the connection (as one restarting
/// does) is an outage, retried: the third connection gets through.
#[test]
fn a_connection_dropped_during_the_handshake_is_retried() {
    let Some(db) = Through::new() else { return };
    let authority = Authority::new();
    let acceptor = authority.acceptor(&["localhost"], false, &[]);
    let upstream = db.upstream.clone();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let (port, _runtime) = listen(move |mut client, n| {
        count.fetch_add(1, Ordering::SeqCst);
        let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
        async move {
            let mut first = [0u8; 8];
            if client.read_exact(&mut first).await.is_err() {
                return;
            }
            let _ = client.write_all(b"S").await;
            if n < 2 {
                // Read the ClientHello, then hang up.
                let mut hello = [0u8; 64];
                let _ = client.read(&mut hello).await;
                return;
            }
            let Ok(mut client) = acceptor.accept(client).await else {
                return;
            };
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
    });
    let root = authority.path("root.pem");
    let url = format!(
        "postgres://{}@localhost:{port}/{}?sslmode=verify-full&sslrootcert={root}",
        db.user, db.dbname
    );
    Postgres::open(&url, Some(&db.schema.schema), Duration::from_secs(10)).unwrap();
    assert!(seen.load(Ordering::SeqCst) >= 3);
}
