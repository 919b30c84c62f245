//! PostgreSQL for the tests that need one: a schema of its own per test in the database named
//! by `MARKETBOT_TEST_DATABASE_URL` (dropped afterwards), and a proxy in front of the server
//! that can cut every connection, which is what a database restart looks like to the bot.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use marketbot::store::Store;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The variable naming the test database.
pub const URL_ENV: &str = "MARKETBOT_TEST_DATABASE_URL";

/// A schema of its own in the test database.
pub struct TestDatabase {
    /// The database, as the environment names it.
    pub url: String,
    /// This test's schema.
    pub schema: String,
}

impl TestDatabase {
    /// A fresh schema for `test`, or `None` — said on stderr — when no test database is set.
    pub fn create(test: &str) -> Option<TestDatabase> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let Ok(url) = std::env::var(URL_ENV) else {
            // Past the test harness's capture: a skip should be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test}: {URL_ENV} is not set (it needs PostgreSQL)"
            );
            return None;
        };
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let schema = format!("marketbot_it_{}_{n}_{nanos}", std::process::id());
        Some(TestDatabase { url, schema })
    }

    /// The store in this schema (created and migrated on first open).
    pub fn store(&self) -> Store {
        Store::open_postgres(&self.url, Some(&self.schema)).expect("the test database opens")
    }

    /// The `[storage]` keys for a bot on this schema, as instance `instance`, reaching the
    /// server at `via` (a proxy) instead of the URL's own address when given.
    pub fn storage_keys(&self, instance: &str, via: Option<&Proxy>) -> String {
        let url = match via {
            Some(proxy) => {
                let mut u = url::Url::parse(&self.url).expect("the test database URL parses");
                u.set_host(Some("127.0.0.1")).unwrap();
                u.set_port(Some(proxy.port)).unwrap();
                u.to_string()
            }
            None => self.url.clone(),
        };
        format!(
            "url = \"{url}\"\nschema = \"{}\"\ninstance = \"{instance}\"\n",
            self.schema
        )
    }

    /// The server's address (for a proxy).
    pub fn server(&self) -> SocketAddr {
        let u = url::Url::parse(&self.url).expect("the test database URL parses");
        let host = match u.host_str() {
            Some("localhost") | None => "127.0.0.1".to_string(),
            Some(h) => h.to_string(),
        };
        format!("{host}:{}", u.port().unwrap_or(5432))
            .parse()
            .expect("the test database is at an IP address")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        // Its own thread and runtime: dropping may happen inside a test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .ok()?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!(
                        "SET client_min_messages TO warning; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                    ))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A TCP proxy on loopback in front of the database server.
pub struct Proxy {
    /// Where it listens.
    pub port: u16,
    down: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    /// Forwards every connection to `server`.
    pub async fn start(server: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (d, c) = (Arc::clone(&down), Arc::clone(&connections));
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    // The server is "down": the connection is closed at once.
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(server).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                c.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy {
            port,
            down,
            connections,
        }
    }

    /// The server "stops": every open connection is closed, new ones are refused.
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    /// The server is back.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}
