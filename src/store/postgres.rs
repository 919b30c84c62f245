//! PostgreSQL as the store's [`Backend`], for several instances sharing one state (one leads,
//! the others wait for its lease).
//!
//! **Layout.** Every tree lives in one table, `marketbot_kv (tree, key, value)` with the primary
//! key `(tree, key)`; `bytea` compares like `memcmp` (a shorter key first), which is the order
//! the trait promises, so a scan is one index range scan in either direction. Ids come from the
//! sequence `marketbot_ids`, the leader lease is the row `'leader'` of `marketbot_lease`. The
//! tables live in one PostgreSQL schema (default `public`, created if missing), set as the
//! connections' `search_path`. The migrations in `postgres/*.sql` are applied on
//! [`Postgres::connect`], under an advisory lock so that instances starting together apply each
//! one once; `marketbot_migrations` records which ran.
//!
//! **Threads.** The trait is synchronous and is called from plain threads and from tasks of other
//! tokio runtimes. Each request is a future spawned on this backend's own runtime (one worker,
//! `marketbot-postgres`) whose result comes back through a `std::sync::mpsc` channel: blocking
//! on that never panics inside a runtime, and the request never needs the caller's runtime to
//! make progress.
//!
//! **Transactions** run at `SERIALIZABLE`: the body reads, decides and writes like a sled
//! transaction, and PostgreSQL guarantees the result is as if the transactions ran one after the
//! other, or fails one of them with a serialization failure (SQLSTATE 40001, or a deadlock,
//! 40P01). Such a conflict rolls back and runs the body again, after a short jittered pause, as
//! often as needed. The body runs on the calling thread; each of its reads is one round trip
//! on the transaction's connection, its writes are buffered (reads see them) and sent up to a
//! thousand to a statement, and ids are reserved in growing batches. With a fence set ([`Backend::fence`]) the lease
//! row is read `FOR SHARE` just before `COMMIT`: a deposed leader's transaction fails with
//! "deposed" and writes nothing, and a takeover cannot slip in between the check and the commit.
//! That read sees the row as of the transaction's snapshot, so a renewal committed since fails
//! it as a conflict; a run again after a conflict therefore reads the lease row `FOR SHARE`
//! first, holding off renewals and takeovers until it ends, so that a transaction longer than
//! the renewal period ([`crate::leader::RENEW_EVERY`]) still commits — within what is left of
//! the lease. The renewal it holds off waits too (asked again whenever its statement times
//! out): the leader steps down once
//! [`crate::leader::STEP_DOWN_AFTER`] has passed since its last renewal began (so 6 to 8 s
//! into such a run), and the fence, which wants the lease unexpired by the clock at `COMMIT`,
//! fails a run that ends past the lease's end ([`crate::leader::LEASE`] after that renewal)
//! as deposed. A run holding the row longer than the renewal period is logged as a warning.
//!
//! **Retries.** When the database cannot be reached (connection refused or lost, SQLSTATE class
//! 08, 57P01-57P03: a restart), a single operation, or a transaction that failed before its
//! `COMMIT` was sent, is tried again with exponential backoff (100 ms doubling to 5 s, jittered)
//! for up to 60 s, then its error is returned (a compare-and-swap tried again that finds the
//! value it meant to write takes it for its own swap: the answer to the try before may have
//! been lost after the swap was made). The pool checks a
//! connection before handing it out, so after a restart new connections are made. A failure of
//! the `COMMIT` itself is ambiguous (the server may have committed before the connection
//! dropped): it is never retried, and the error says so. A database that answers but does not
//! do the work is retried the same way ("database busy" when given up on): one with no
//! connection to spare (53300), or a statement it cancelled (57014: an operator's
//! `pg_cancel_backend`). That error rolled back what the statement did — a `COMMIT` can be
//! cancelled only before the commit is recorded, while deferred triggers run — so the
//! transaction runs again whole, a cancelled `COMMIT` included.
//!
//! **Bounds.** Every session runs with a `statement_timeout` of 2 s ([`STATEMENT_TIMEOUT`]:
//! what is left of the lease when its leader steps down) and an
//! `idle_in_transaction_session_timeout` of 10 s (the lease). A statement held up by a lock
//! another session holds, or by a server too loaded to finish it, is cancelled and tried again
//! as above instead of waiting for good (the error names the lock it waited for), and one a
//! leader sent before it stepped down has ended by the time its lease can have (writes outside
//! a transaction are not fenced). A transaction left idle that long — its instance stopped or
//! hung — is ended by the server, so its locks, the lease row's among them (a takeover waits
//! for it), do not outlast the lease. A lock timeout set in the URL is tried again too.
//! Options in the URL (`options=-c statement_timeout=5s`) go after these and win; migrations
//! run without a statement timeout.

use std::error::Error as _;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, mpsc};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, BlockingRetryable, ExponentialBuilder};
use deadpool_postgres::{
    ClientWrapper, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
    TimeoutType,
};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::kv::{Backend, BackendError, Body, Entry, Order, Range, Transaction, Tree, TxError};
use tls::Tls;

mod tls;

/// The migrations in order: `MIGRATIONS[i]` is version `i + 1`.
const MIGRATIONS: &[&str] = &[include_str!("postgres/0001_kv.sql")];

/// How long operations are retried while the database is unreachable, unless changed.
const RETRY_FOR: Duration = Duration::from_secs(60);

/// How long a statement may run, waiting for locks included, before the server cancels it
/// (and it is tried again): what is left of the lease when its leader steps down, so that a
/// statement a leader sent before it stepped down has ended by the time its lease can have.
const STATEMENT_TIMEOUT: Duration =
    crate::leader::LEASE.saturating_sub(crate::leader::STEP_DOWN_AFTER);
/// How long the server lets a transaction sit idle before it ends the session: the lease, so
/// that an instance stopped or hung mid-transaction does not hold its locks — the lease row's
/// among them, which a takeover waits for — past the end of its lease.
const IDLE_IN_TRANSACTION: Duration = crate::leader::LEASE;

const GET: &str = "SELECT value FROM marketbot_kv WHERE tree = $1 AND key = $2";
const UPSERT: &str = "INSERT INTO marketbot_kv (tree, key, value) VALUES ($1, $2, $3) \
    ON CONFLICT (tree, key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM marketbot_kv WHERE tree = $1 AND key = $2";
const UPDATE: &str = "UPDATE marketbot_kv SET value = $3 WHERE tree = $1 AND key = $2";
/// Many upserts in one statement (a transaction's buffered writes; keys unique).
const UPSERT_MANY: &str = "INSERT INTO marketbot_kv (tree, key, value) \
    SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[]) \
    ON CONFLICT (tree, key) DO UPDATE SET value = excluded.value";
/// `$1` new ids in one round trip, in order.
const NEXT_IDS: &str = "SELECT nextval('marketbot_ids') FROM generate_series(1, $1::bigint)";
const INSERT_NEW: &str = "INSERT INTO marketbot_kv (tree, key, value) VALUES ($1, $2, $3) \
    ON CONFLICT (tree, key) DO NOTHING";
const DELETE_IF: &str = "DELETE FROM marketbot_kv WHERE tree = $1 AND key = $2 AND value = $3";
const UPDATE_IF: &str =
    "UPDATE marketbot_kv SET value = $4 WHERE tree = $1 AND key = $2 AND value = $3";
/// [`INSERT_NEW`] tried again after its answer was lost: whether the key holds `$3` now.
const INSERT_NEW_OR_SAME: &str = "WITH made AS (INSERT INTO marketbot_kv (tree, key, value) \
    VALUES ($1, $2, $3) ON CONFLICT (tree, key) DO NOTHING RETURNING 1) \
    SELECT EXISTS (SELECT 1 FROM made) OR EXISTS (SELECT 1 FROM marketbot_kv \
    WHERE tree = $1 AND key = $2 AND value = $3)";
/// [`DELETE_IF`] tried again after its answer was lost: whether the key is gone now.
const DELETE_IF_OR_ABSENT: &str = "WITH gone AS (DELETE FROM marketbot_kv \
    WHERE tree = $1 AND key = $2 AND value = $3 RETURNING 1) \
    SELECT EXISTS (SELECT 1 FROM gone) OR NOT EXISTS (SELECT 1 FROM marketbot_kv \
    WHERE tree = $1 AND key = $2)";
/// [`UPDATE_IF`] tried again after its answer was lost: whether the key holds `$4` now.
const UPDATE_IF_OR_SAME: &str = "WITH changed AS (UPDATE marketbot_kv SET value = $4 \
    WHERE tree = $1 AND key = $2 AND value = $3 RETURNING 1) \
    SELECT EXISTS (SELECT 1 FROM changed) OR EXISTS (SELECT 1 FROM marketbot_kv \
    WHERE tree = $1 AND key = $2 AND value = $4)";
const ABSENT: &str = "SELECT NOT EXISTS (SELECT 1 FROM marketbot_kv WHERE tree = $1 AND key = $2)";
const LEN: &str = "SELECT count(*) FROM marketbot_kv WHERE tree = $1";
const NEXT_ID: &str = "SELECT nextval('marketbot_ids')";
const SIZE: &str = "SELECT pg_total_relation_size('marketbot_kv')";
/// Moves the id sequence past `$1` (never back).
const ADVANCE_IDS: &str = "SELECT setval('marketbot_ids', \
    GREATEST($1::bigint, (SELECT last_value FROM marketbot_ids)))";
/// Takes the lease when there is none or it ran out, keeps it for the holder of `$3`; the term
/// stays when the holder renews its own term, else grows by one.
const LEASE: &str = "INSERT INTO marketbot_lease AS l (name, holder, term, expires) \
    VALUES ('leader', $1, 1, now() + $2::bigint * interval '1 millisecond') \
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires, \
    term = CASE WHEN l.holder = excluded.holder AND l.term = $3::bigint THEN l.term \
    ELSE l.term + 1 END \
    WHERE l.expires <= now() OR (l.holder = excluded.holder AND l.term = $3::bigint) \
    RETURNING term";
const RELEASE: &str = "UPDATE marketbot_lease SET expires = now() \
    WHERE name = 'leader' AND holder = $1 AND term = $2 AND expires > now()";
const LEADER: &str =
    "SELECT holder, term FROM marketbot_lease WHERE name = 'leader' AND expires > now()";
const FENCE: &str = "SELECT 1 FROM marketbot_lease WHERE name = 'leader' AND holder = $1 \
    AND term = $2 AND expires > clock_timestamp() FOR SHARE";

/// The statement of a scan: ascending or descending, with or without an end.
fn scan_sql(order: Order, bounded: bool) -> &'static str {
    match (order, bounded) {
        (Order::Ascending, false) => {
            "SELECT key, value FROM marketbot_kv WHERE tree = $1 AND key >= $2 \
             ORDER BY key ASC LIMIT $3"
        }
        (Order::Ascending, true) => {
            "SELECT key, value FROM marketbot_kv WHERE tree = $1 AND key >= $2 AND key < $4 \
             ORDER BY key ASC LIMIT $3"
        }
        (Order::Descending, false) => {
            "SELECT key, value FROM marketbot_kv WHERE tree = $1 AND key >= $2 \
             ORDER BY key DESC LIMIT $3"
        }
        (Order::Descending, true) => {
            "SELECT key, value FROM marketbot_kv WHERE tree = $1 AND key >= $2 AND key < $4 \
             ORDER BY key DESC LIMIT $3"
        }
    }
}

/// The state store in PostgreSQL. See the module documentation.
pub struct Postgres {
    /// The runtime every request runs on; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    /// "postgres db@host:port (schema s)", without the password.
    target: String,
    fence: RwLock<Option<(String, u64)>>,
    retry_for: Duration,
    /// Whether the database was last seen unreachable (one warning per outage).
    outage: AtomicBool,
    /// Whether, in the outage, the database could not be reached (rather than only being too
    /// busy to do the work): what its end is called.
    unreachable: AtomicBool,
}

impl Postgres {
    /// Connects to `url` (`postgres://user:password@host:5432/db`), keeping the tables in
    /// `schema` (`[a-z0-9_]`, created if missing; default `public`), and applies the migrations
    /// not applied yet. Retries for up to 60 s while the database cannot be reached.
    pub fn connect(url: &str, schema: Option<&str>) -> Result<Postgres, BackendError> {
        Postgres::open(url, schema, RETRY_FOR)
    }

    fn open(
        url: &str,
        schema: Option<&str>,
        retry_for: Duration,
    ) -> Result<Postgres, BackendError> {
        let schema = schema.unwrap_or("public");
        if schema.is_empty()
            || schema.len() > 63
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!(
                "postgres: invalid schema name {schema:?}: use 1 to 63 of a-z, 0-9 and _"
            )
            .into());
        }
        let (url, mut tls) = Tls::split(url).map_err(|e| format!("postgres: invalid url: {e}"))?;
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| format!("postgres: invalid url: {}", explain(&e)))?;
        tls.apply(&mut config);
        // The URL's own options come after the bounds, so they can change them.
        let bounds = format!(
            "-c statement_timeout={}ms -c idle_in_transaction_session_timeout={}ms",
            STATEMENT_TIMEOUT.as_millis(),
            IDLE_IN_TRANSACTION.as_millis()
        );
        let options = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{bounds} {o} -c search_path={schema}"),
            _ => format!("{bounds} -c search_path={schema}"),
        };
        config.options(options);
        if config.get_application_name().is_none() {
            config.application_name("marketbot");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_tcp_user_timeout().is_none() {
            // A request on a connection whose peer vanished fails instead of hanging.
            config.tcp_user_timeout(Duration::from_secs(30));
        }
        let target = describe_config(&config, schema, &tls);
        let connector = tls.connector().map_err(|e| format!("postgres: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("marketbot-postgres")
            .enable_all()
            .build()
            .map_err(|e| format!("postgres: cannot start its runtime: {e}"))?;
        let manager = Manager::from_config(
            config,
            connector,
            ManagerConfig {
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(8)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| format!("postgres: cannot make the pool: {e}"))?;
        let pg = Postgres {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            pool,
            target,
            fence: RwLock::new(None),
            retry_for,
            outage: AtomicBool::new(false),
            unreachable: AtomicBool::new(false),
        };
        pg.retrying("migrate", || {
            let (pool, schema) = (pg.pool.clone(), schema.to_owned());
            pg.run(async move { migrate(pool, schema).await })
        })?;
        Ok(pg)
    }

    /// Runs `request` on the own runtime and waits for it on this thread.
    fn run<T: Send + 'static>(
        &self,
        request: impl Future<Output = Result<T, Fail>> + Send + 'static,
    ) -> Result<T, Fail> {
        let (sender, receiver) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = sender.send(request.await);
        });
        let wait = || {
            receiver.recv().unwrap_or_else(|_| {
                Err(Fail::Fatal(
                    "the request was dropped (runtime stopped or panic)".into(),
                ))
            })
        };
        // From an async task the wait hands the worker's other tasks over first: a database
        // that answers slowly, or not at all for a while, must not stall the sender's pacing
        // or the listener.
        crate::blocking::off_workers(wait)
    }

    /// Runs `attempt` again while the database cannot be reached, for up to `retry_for`.
    fn retrying<T>(
        &self,
        action: &str,
        attempt: impl FnMut() -> Result<T, Fail>,
    ) -> Result<T, BackendError> {
        let started = Instant::now();
        let deadline = started + self.retry_for;
        let backoff = ExponentialBuilder::new()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(5))
            .with_jitter()
            .without_max_times();
        // Jitter adds up to the pause itself: keep it within 5 s, and the last one to the
        // deadline, where the last try is made.
        let sleep = move |pause: Duration| {
            let left = deadline.saturating_duration_since(Instant::now());
            std::thread::sleep(pause.min(Duration::from_secs(5)).min(left));
        };
        let result = attempt
            .retry(backoff)
            .sleep(sleep)
            .when(|fail| fail.retryable() && started.elapsed() < self.retry_for)
            .notify(|fail, pause| {
                let outage = matches!(fail, Fail::Unavailable(_) | Fail::Busy(_));
                if matches!(fail, Fail::Unavailable(_)) {
                    self.unreachable.store(true, Ordering::SeqCst);
                }
                if outage && !self.outage.swap(true, Ordering::SeqCst) {
                    let what = match fail {
                        Fail::Busy(_) => "database busy",
                        _ => "database unreachable",
                    };
                    tracing::warn!(
                        target: "marketbot::store",
                        "{}: {action}: {what}: {fail}; retrying for up to {:?}",
                        self.target,
                        self.retry_for
                    );
                } else {
                    tracing::debug!(
                        target: "marketbot::store",
                        "{action}: {fail}; next try in {pause:?}"
                    );
                }
            })
            .call();
        match result {
            Ok(value) => {
                if self.outage.swap(false, Ordering::SeqCst) {
                    let ended = outage_ended(self.unreachable.swap(false, Ordering::SeqCst));
                    tracing::info!(target: "marketbot::store", "{}: {ended}", self.target);
                }
                Ok(value)
            }
            Err(Fail::Unavailable(detail)) => Err(format!(
                "postgres: {action}: database unavailable, gave up after {:?}: {detail}",
                started.elapsed()
            )
            .into()),
            Err(Fail::Busy(detail)) => Err(format!(
                "postgres: {action}: database busy, gave up after {:?}: {detail}",
                started.elapsed()
            )
            .into()),
            Err(fail) => Err(fail.into_error(action)),
        }
    }

    /// One request on a pooled connection, retried while the database cannot be reached.
    fn op<T, F, Fut>(&self, action: &str, request: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(Object) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send + 'static,
    {
        self.retrying(action, || {
            let (pool, request) = (self.pool.clone(), request.clone());
            self.run(async move {
                let client = pool.get().await.map_err(pool_fail)?;
                Ok(request(client).await?)
            })
        })
    }

    /// One try of a single operation, not repeated when the database cannot be reached: the
    /// lease is asked for again by its caller, on its own schedule and deadline.
    fn op_once<T, F, Fut>(&self, action: &str, request: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, tokio_postgres::Error>> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.run(async move {
            let client = pool.get().await.map_err(pool_fail)?;
            Ok(request(client).await?)
        })
        .map_err(|fail| fail.into_error(action))
    }

    /// One run of a transaction: BEGIN, the body, the fence check, COMMIT. With `lease_first`
    /// the fence is checked right after BEGIN as well, which locks the lease row for the whole
    /// run, holding off the lease's renewals (see [`Backend::transaction`] and the module's
    /// doc for how long that may last).
    fn attempt(
        &self,
        body: &mut Body<'_>,
        fence: Option<&(String, u64)>,
        lease_first: bool,
    ) -> Result<(), Fail> {
        let pool = self.pool.clone();
        let conn = self.run(async move {
            let conn = Arc::new(TxConn {
                client: Some(pool.get().await.map_err(pool_fail)?),
                ended: AtomicBool::new(false),
            });
            conn.client()
                .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
                .await?;
            Ok(conn)
        })?;
        if lease_first && let Some(fence) = fence {
            self.check_fence(&conn, fence)?;
        }
        let mut tx = PgTx {
            pg: self,
            conn: conn.clone(),
            failed: None,
            pending: Vec::new(),
            ids: std::collections::VecDeque::new(),
            reserve: 1,
        };
        let mut outcome = body(&mut tx);
        if outcome.is_ok() {
            // The writes still buffered go before the fence check and COMMIT.
            outcome = tx.send_writes();
        }
        // A failure seen by an operation decides, even if the body went on (the server has
        // aborted the transaction: its COMMIT would silently roll back).
        let failed = match (tx.failed.take(), outcome) {
            (Some(fail), _) => Some(fail),
            (None, Err(TxError::Conflict)) => Some(Fail::Conflict("the body asked to".into())),
            (None, Err(TxError::Failed(e))) => Some(Fail::Body(e)),
            (None, Ok(())) => None,
        };
        if let Some(fail) = failed {
            self.rollback(conn);
            return Err(fail);
        }
        if let Some(fence) = fence {
            self.check_fence(&conn, fence)?;
        }
        self.run(async move {
            match conn.client().batch_execute("COMMIT").await {
                Ok(()) => {
                    conn.ended.store(true, Ordering::SeqCst);
                    Ok(())
                }
                Err(e) => match (e.as_db_error().is_some(), Fail::from(e)) {
                    // Lost or cut off while committing: it may have committed. Never retried.
                    (false, fail) | (_, fail @ Fail::Unavailable(_)) => {
                        Err(Fail::Ambiguous(fail.to_string()))
                    }
                    // The server refused (a conflict, say): it rolled back, the connection is fine.
                    (true, fail) => {
                        conn.ended.store(true, Ordering::SeqCst);
                        Err(fail)
                    }
                },
            }
        })
    }

    /// Reads the lease row `FOR SHARE` in the transaction on `conn`: until it ends, no other
    /// instance can take the lease over (nor this one renew it). Rolls back, and fails with
    /// [`Fail::Deposed`], when `fence` no longer holds the lease.
    fn check_fence(&self, conn: &Arc<TxConn>, (holder, term): &(String, u64)) -> Result<(), Fail> {
        let (c, who, term) = (conn.clone(), holder.clone(), *term);
        let holds = self.run(async move {
            let term = to_i64(term)?;
            Ok(query_opt(c.client(), FENCE, &[&who, &term])
                .await?
                .is_some())
        });
        match holds {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.rollback(conn.clone());
                Err(Fail::Deposed(format!(
                    "{holder} no longer leads (term {term}); nothing was written"
                )))
            }
            Err(fail) => {
                self.rollback(conn.clone());
                Err(fail)
            }
        }
    }

    /// Rolls back; a connection where that fails is closed instead of pooled (see [`TxConn`]).
    fn rollback(&self, conn: Arc<TxConn>) {
        let _ = self.run(async move {
            conn.client().batch_execute("ROLLBACK").await?;
            conn.ended.store(true, Ordering::SeqCst);
            Ok(())
        });
    }
}

impl Backend for Postgres {
    fn describe(&self) -> String {
        self.target.clone()
    }

    fn shared(&self) -> bool {
        true
    }

    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, BackendError> {
        let key = key.to_vec();
        self.op("get", move |c| async move {
            query_opt(&c, GET, &[&tree.name(), &key])
                .await?
                .map(|r| r.try_get(0))
                .transpose()
        })
    }

    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), BackendError> {
        let (key, value) = (key.to_vec(), value.to_vec());
        self.op("insert", move |c| async move {
            execute(&c, UPSERT, &[&tree.name(), &key, &value])
                .await
                .map(drop)
        })
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<bool, BackendError> {
        let key = key.to_vec();
        self.op("remove", move |c| async move {
            Ok(execute(&c, DELETE, &[&tree.name(), &key]).await? > 0)
        })
    }

    fn compare_and_swap(
        &self,
        tree: Tree,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, BackendError> {
        let key = key.to_vec();
        let (old, new) = (old.map(<[u8]>::to_vec), new.map(<[u8]>::to_vec));
        // A try whose connection dropped before its answer came may have swapped: a try after
        // it takes the key already holding `new` for its own swap, or the caller would hear
        // "someone else changed it" of its own change (and a webhook update it recorded so
        // would stay "in flight", never handed over).
        let tried = Arc::new(AtomicBool::new(false));
        self.op("compare_and_swap", move |c| async move {
            let t = tree.name();
            let again = tried.swap(true, Ordering::SeqCst);
            if again && (old.is_some() || new.is_some()) {
                let (sql, params): (&str, Vec<&(dyn ToSql + Sync)>) = match (&old, &new) {
                    (None, Some(new)) => (INSERT_NEW_OR_SAME, vec![&t, &key, new]),
                    (Some(old), None) => (DELETE_IF_OR_ABSENT, vec![&t, &key, old]),
                    (old, new) => (UPDATE_IF_OR_SAME, vec![&t, &key, old, new]),
                };
                return query_one(&c, sql, &params).await?.try_get(0);
            }
            let changed = match (old, new) {
                (None, None) => return query_one(&c, ABSENT, &[&t, &key]).await?.try_get(0),
                (None, Some(new)) => execute(&c, INSERT_NEW, &[&t, &key, &new]).await?,
                (Some(old), None) => execute(&c, DELETE_IF, &[&t, &key, &old]).await?,
                (Some(old), Some(new)) => execute(&c, UPDATE_IF, &[&t, &key, &old, &new]).await?,
            };
            Ok(changed > 0)
        })
    }

    fn scan(
        &self,
        tree: Tree,
        range: &Range,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Entry>, BackendError> {
        let range = range.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.op("scan", move |c| async move {
            let sql = scan_sql(order, range.end.is_some());
            let rows = match &range.end {
                Some(end) => query(&c, sql, &[&tree.name(), &range.start, &limit, end]).await?,
                None => query(&c, sql, &[&tree.name(), &range.start, &limit]).await?,
            };
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    fn len(&self, tree: Tree) -> Result<u64, BackendError> {
        let n: i64 = self.op("len", move |c| async move {
            query_one(&c, LEN, &[&tree.name()]).await?.try_get(0)
        })?;
        Ok(to_u64(n)?)
    }

    fn transaction(&self, _trees: &[Tree], body: &mut Body<'_>) -> Result<(), BackendError> {
        let fence = self
            .fence
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut pauses = ExponentialBuilder::new()
            .with_min_delay(Duration::from_millis(1))
            .with_max_delay(Duration::from_millis(50))
            .with_jitter()
            .without_max_times()
            .build();
        // The fence's check reads the lease row as the transaction's snapshot has it, and a
        // row changed since fails it as a conflict: the leader's own renewal, every 2 s, would
        // fail every run of a transaction that takes longer. A run again after a conflict so
        // locks the lease row first, and the renewal waits for its COMMIT instead — not for
        // ever: a renewal held up until the step-down time makes the leader step down, and a
        // run ending after the lease's end fails as deposed (see the module's doc). A run
        // holding the row past a renewal's time is a warning of that.
        let mut lease_first = false;
        self.retrying("transaction", || {
            loop {
                let began = Instant::now();
                let outcome = self.attempt(body, fence.as_ref(), lease_first);
                let held = began.elapsed();
                if lease_first && fence.is_some() && held > crate::leader::RENEW_EVERY {
                    tracing::warn!(
                        target: "marketbot::store",
                        "{}: a transaction run again held the lease row for {held:?}, holding \
                         off the lease's renewal; one held past {:?} since the last renewal \
                         makes this instance step down",
                        self.target,
                        crate::leader::STEP_DOWN_AFTER
                    );
                }
                match outcome {
                    Err(Fail::Conflict(_)) => {
                        lease_first = true;
                        std::thread::sleep(pauses.next().unwrap_or(Duration::from_millis(50)));
                    }
                    other => return other,
                }
            }
        })
    }

    fn generate_id(&self) -> Result<u64, BackendError> {
        let id: i64 = self.op("generate_id", |c| async move {
            query_one(&c, NEXT_ID, &[]).await?.try_get(0)
        })?;
        Ok(to_u64(id)?)
    }

    fn advance_ids(&self, floor: u64) -> Result<(), BackendError> {
        let floor = to_i64(floor)?.max(1);
        self.op("advance_ids", move |c| async move {
            query_one(&c, ADVANCE_IDS, &[&floor]).await.map(|_| ())
        })
    }

    fn flush(&self) -> Result<(), BackendError> {
        Ok(()) // Every call returns after its COMMIT: durable already.
    }

    fn size_on_disk(&self) -> Result<u64, BackendError> {
        let size: i64 = self.op("size_on_disk", |c| async move {
            query_one(&c, SIZE, &[]).await?.try_get(0)
        })?;
        Ok(to_u64(size)?)
    }

    fn lease(
        &self,
        holder: &str,
        held: Option<u64>,
        ttl: Duration,
    ) -> Result<Option<u64>, BackendError> {
        let holder = holder.to_owned();
        let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let held = held.map(to_i64).transpose()?;
        let term: Option<i64> = self.op_once("lease", move |c| async move {
            query_opt(&c, LEASE, &[&holder, &ttl, &held])
                .await?
                .map(|r| r.try_get(0))
                .transpose()
        })?;
        Ok(term.map(to_u64).transpose()?)
    }

    fn release(&self, holder: &str, term: u64) -> Result<(), BackendError> {
        let (holder, term) = (holder.to_owned(), to_i64(term)?);
        self.op_once("release", move |c| async move {
            execute(&c, RELEASE, &[&holder, &term]).await.map(drop)
        })
    }

    fn leader(&self) -> Result<Option<(String, u64)>, BackendError> {
        let row: Option<(String, i64)> = self.op_once("leader", |c| async move {
            query_opt(&c, LEADER, &[])
                .await?
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .transpose()
        })?;
        Ok(row
            .map(|(holder, term)| Ok::<_, Fail>((holder, to_u64(term)?)))
            .transpose()?)
    }

    fn fence(&self, fence: Option<(String, u64)>) {
        *self.fence.write().unwrap_or_else(PoisonError::into_inner) = fence;
    }
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Postgres")
            .field("target", &self.target)
            .field("retry_for", &self.retry_for)
            .finish_non_exhaustive()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.pool.close();
        // Not a blocking shutdown: it may be dropped inside another runtime's task.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The operations of [`Backend::transaction`]'s body on its connection. Writes are buffered
/// and sent many to a statement (before a removal, when the buffer is full, and before
/// COMMIT); reads see them. Ids are reserved in growing batches. So a step that writes ten
/// thousand deliveries costs a few dozen round trips, not twenty thousand.
struct PgTx<'a> {
    pg: &'a Postgres,
    conn: Arc<TxConn>,
    /// The first failure: the server aborted the transaction, every later operation fails too.
    failed: Option<Fail>,
    /// Writes not sent yet, latest last.
    pending: Vec<(Tree, Vec<u8>, Vec<u8>)>,
    /// Ids reserved and not handed out yet, smallest first.
    ids: std::collections::VecDeque<u64>,
    /// How many ids the next reservation takes.
    reserve: i64,
}

/// Writes sent in one statement at most.
const WRITE_BATCH: usize = 1000;
/// Most ids reserved at once.
const MAX_RESERVE: i64 = 1024;

impl PgTx<'_> {
    fn call<T, Fut>(&mut self, request: impl FnOnce(Arc<TxConn>) -> Fut) -> Result<T, TxError>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T, Fail>> + Send + 'static,
    {
        if let Some(fail) = &self.failed {
            return Err(fail.to_tx_error());
        }
        self.pg.run(request(self.conn.clone())).map_err(|fail| {
            let e = fail.to_tx_error();
            self.failed = Some(fail);
            e
        })
    }

    /// Sends the buffered writes (the last value of each key) in one statement.
    fn send_writes(&mut self) -> Result<(), TxError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut latest: std::collections::HashMap<(Tree, Vec<u8>), Vec<u8>> =
            std::collections::HashMap::with_capacity(self.pending.len());
        for (tree, key, value) in self.pending.drain(..) {
            latest.insert((tree, key), value);
        }
        let (mut trees, mut keys, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for ((tree, key), value) in latest {
            trees.push(tree.name().to_string());
            keys.push(key);
            values.push(value);
        }
        self.call(move |c| async move {
            execute(c.client(), UPSERT_MANY, &[&trees, &keys, &values]).await?;
            Ok(())
        })
    }
}

impl Transaction for PgTx<'_> {
    fn get(&mut self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        if let Some(fail) = &self.failed {
            return Err(fail.to_tx_error());
        }
        if let Some((_, _, value)) = self
            .pending
            .iter()
            .rev()
            .find(|(t, k, _)| *t == tree && k.as_slice() == key)
        {
            return Ok(Some(value.clone()));
        }
        let key = key.to_vec();
        self.call(move |c| async move {
            let row = query_opt(c.client(), GET, &[&tree.name(), &key]).await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
    }

    fn insert(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), TxError> {
        if let Some(fail) = &self.failed {
            return Err(fail.to_tx_error());
        }
        self.pending.push((tree, key.to_vec(), value.to_vec()));
        if self.pending.len() >= WRITE_BATCH {
            self.send_writes()?;
        }
        Ok(())
    }

    fn remove(&mut self, tree: Tree, key: &[u8]) -> Result<bool, TxError> {
        // In order with the writes before it.
        self.send_writes()?;
        let key = key.to_vec();
        self.call(move |c| async move {
            Ok(execute(c.client(), DELETE, &[&tree.name(), &key]).await? > 0)
        })
    }

    fn update(&mut self, tree: Tree, key: &[u8], value: &[u8]) -> Result<bool, TxError> {
        // Not an upsert: a row deleted since this transaction read it (the sender's
        // autocommit removal of a message it sent) would be inserted again, and sent twice.
        // An UPDATE of a row deleted since the snapshot fails as a serialization conflict,
        // and the transaction runs again without it.
        self.send_writes()?;
        let (key, value) = (key.to_vec(), value.to_vec());
        self.call(move |c| async move {
            Ok(execute(c.client(), UPDATE, &[&tree.name(), &key, &value]).await? > 0)
        })
    }

    fn generate_id(&mut self) -> Result<u64, TxError> {
        if self.ids.is_empty() {
            let n = self.reserve;
            let ids: Vec<u64> = self.call(move |c| async move {
                let rows = c.client().query(NEXT_IDS, &[&n]).await?;
                rows.iter()
                    .map(|r| to_u64(r.try_get::<_, i64>(0)?))
                    .collect::<Result<Vec<u64>, Fail>>()
            })?;
            self.ids.extend(ids);
            self.reserve = (self.reserve * 4).min(MAX_RESERVE);
        }
        self.ids
            .pop_front()
            .ok_or_else(|| TxError::Failed("postgres: no id was reserved".into()))
    }
}

/// A connection inside a transaction. Unless its transaction ended (COMMIT or ROLLBACK went
/// through), dropping it closes the connection instead of pooling it: it may be mid-transaction.
struct TxConn {
    /// `None` only while dropping.
    client: Option<Object>,
    ended: AtomicBool,
}

impl TxConn {
    fn client(&self) -> &ClientWrapper {
        self.client
            .as_ref()
            .expect("the client is taken only when dropped")
    }
}

impl Drop for TxConn {
    fn drop(&mut self) {
        if !*self.ended.get_mut()
            && let Some(client) = self.client.take()
        {
            drop(Object::take(client));
        }
    }
}

/// Creates the schema if missing and applies the migrations it lacks, in one transaction under
/// an advisory lock (per schema), so concurrent starts apply each migration once.
/// What the log says when an outage ends: whether the database could not be reached at some
/// point of it, or was only too busy to do the work.
fn outage_ended(unreachable: bool) -> &'static str {
    if unreachable {
        "reachable again"
    } else {
        "no longer busy"
    }
}

async fn migrate(pool: Pool, schema: String) -> Result<(), Fail> {
    let mut client = pool.get().await.map_err(pool_fail)?;
    let tx = client.transaction().await?;
    // A migration may rewrite the table, and waits for another instance's: not bounded.
    tx.batch_execute("SET LOCAL statement_timeout = 0").await?;
    let lock = format!("marketbot_migrations {schema}");
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&lock])
        .await?;
    let exists = "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)";
    if !tx
        .query_one(exists, &[&schema])
        .await?
        .try_get::<_, bool>(0)?
    {
        tx.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .await?;
    }
    // The schema is validated ([a-z0-9_]): quoting it is enough.
    tx.batch_execute(&format!("SET LOCAL search_path TO \"{schema}\""))
        .await?;
    let table = "SELECT to_regclass('marketbot_migrations') IS NOT NULL";
    if !tx.query_one(table, &[]).await?.try_get::<_, bool>(0)? {
        tx.batch_execute(
            "CREATE TABLE marketbot_migrations (version int PRIMARY KEY, \
             applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
    }
    let current = "SELECT coalesce(max(version), 0) FROM marketbot_migrations";
    let current: i32 = tx.query_one(current, &[]).await?.try_get(0)?;
    let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    if current > known {
        return Err(Fail::Fatal(format!(
            "schema {schema} is at version {current}, this marketbot knows up to {known}: \
             run a newer marketbot"
        )));
    }
    for (version, sql) in (1..)
        .zip(MIGRATIONS)
        .skip(current.max(0).unsigned_abs() as usize)
    {
        tx.batch_execute(sql).await?;
        let record = "INSERT INTO marketbot_migrations (version) VALUES ($1)";
        tx.execute(record, &[&version]).await?;
        tracing::info!(
            target: "marketbot::store",
            "postgres: schema {schema}: applied migration {version}"
        );
    }
    tx.commit().await?;
    Ok(())
}

async fn query_opt(
    c: &ClientWrapper,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, tokio_postgres::Error> {
    c.query_opt(&c.prepare_cached(sql).await?, params).await
}

async fn query_one(
    c: &ClientWrapper,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Row, tokio_postgres::Error> {
    c.query_one(&c.prepare_cached(sql).await?, params).await
}

async fn query(
    c: &ClientWrapper,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, tokio_postgres::Error> {
    c.query(&c.prepare_cached(sql).await?, params).await
}

async fn execute(
    c: &ClientWrapper,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    c.execute(&c.prepare_cached(sql).await?, params).await
}

/// "postgres db@host:port (schema s)": what [`Backend::describe`] says (never the password).
fn describe_config(config: &tokio_postgres::Config, schema: &str, tls: &Tls) -> String {
    use tokio_postgres::config::Host;
    let ports = config.get_ports();
    let hosts: Vec<String> = (config.get_hosts().iter().enumerate())
        .map(|(i, host)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    let db = config.get_dbname().or(config.get_user()).unwrap_or("?");
    format!("postgres {db}@{} (schema {schema}, {tls})", hosts.join(","))
}

/// Why an attempt failed, which decides what happens next.
#[derive(Debug)]
enum Fail {
    /// Serialization failure or deadlock: the transaction runs again.
    Conflict(String),
    /// The database cannot be reached, and nothing was committed: retried for a while.
    Unavailable(String),
    /// The database answered but did not do the work: it had no connection to spare (53300),
    /// or cancelled the statement (57014: a statement timeout, an operator's
    /// `pg_cancel_backend`; 55P03: a lock timeout) and rolled back what it did, a `COMMIT`
    /// included. Retried as [`Fail::Unavailable`] is.
    Busy(String),
    /// The connection failed during COMMIT: it may or may not have committed.
    Ambiguous(String),
    /// The fence no longer holds the lease.
    Deposed(String),
    /// Anything else.
    Fatal(String),
    /// What the transaction's body returned.
    Body(BackendError),
}

impl Fail {
    fn retryable(&self) -> bool {
        matches!(
            self,
            Fail::Unavailable(_) | Fail::Busy(_) | Fail::Conflict(_)
        )
    }

    fn to_tx_error(&self) -> TxError {
        match self {
            Fail::Conflict(_) => TxError::Conflict,
            fail => TxError::Failed(format!("postgres: transaction: {fail}").into()),
        }
    }

    fn into_error(self, action: &str) -> BackendError {
        match self {
            Fail::Body(e) => e,
            fail if action.is_empty() => format!("postgres: {fail}").into(),
            fail => format!("postgres: {action}: {fail}").into(),
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fail::Conflict(d) => write!(f, "conflict: {d}"),
            Fail::Unavailable(d) | Fail::Busy(d) | Fail::Fatal(d) => f.write_str(d),
            Fail::Ambiguous(d) => write!(
                f,
                "the connection failed during COMMIT; the transaction may or may not have been \
                 committed (not retried): {d}"
            ),
            Fail::Deposed(d) => write!(f, "deposed: {d}"),
            Fail::Body(e) => e.fmt(f),
        }
    }
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Fail {
        let detail = explain(&e);
        let Some(code) = e.code() else {
            // No answer from the server: a closed connection or an I/O failure (refused,
            // reset, timed out) means it went away; anything else is a bug or bad input. A TLS
            // handshake that failed (a certificate not trusted, say) does not heal by waiting.
            let mut source = e.source();
            let (mut io, mut tls) = (e.is_closed(), false);
            while let Some(s) = source {
                if let Some(e) = s.downcast_ref::<std::io::Error>() {
                    io = true;
                    tls |= e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>());
                }
                source = s.source();
            }
            return if io && !tls {
                Fail::Unavailable(detail)
            } else {
                Fail::Fatal(detail)
            };
        };
        if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            Fail::Conflict(detail)
        } else if code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(code)
        {
            Fail::Unavailable(detail)
        } else if [
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::QUERY_CANCELED,
            SqlState::LOCK_NOT_AVAILABLE,
        ]
        .contains(code)
        {
            // An error, not the end of the connection: the server rolled the statement back
            // (a COMMIT cancelled while it runs deferred triggers, too; once the commit is
            // being recorded a cancel waits, or ends as a warning).
            Fail::Busy(detail)
        } else {
            Fail::Fatal(detail)
        }
    }
}

fn pool_fail(e: PoolError) -> Fail {
    match e {
        PoolError::Backend(e) => e.into(),
        PoolError::Timeout(TimeoutType::Wait) => {
            Fail::Fatal("no free connection in the pool for 30 s".into())
        }
        PoolError::Timeout(_) => Fail::Unavailable(format!("connecting: {e}")),
        e => Fail::Fatal(format!("connection pool: {e}")),
    }
}

/// What the server said (severity, SQLSTATE, message, detail, hint, where: a lock waited for, a
/// function), or the error and its causes.
fn explain(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        if let Some(detail) = db.detail() {
            s = format!("{s} ({detail})");
        }
        if let Some(hint) = db.hint() {
            s = format!("{s}; hint: {hint}");
        }
        if let Some(context) = db.where_() {
            s = format!("{s}; {context}");
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s = format!("{s}: {cause}");
        source = cause.source();
    }
    s
}

fn to_i64(n: u64) -> Result<i64, Fail> {
    i64::try_from(n).map_err(|_| Fail::Fatal(format!("{n} is out of PostgreSQL's bigint range")))
}

fn to_u64(n: i64) -> Result<u64, Fail> {
    u64::try_from(n)
        .map_err(|_| Fail::Fatal(format!("the database returned a negative number {n}")))
}

impl From<Fail> for BackendError {
    fn from(fail: Fail) -> BackendError {
        fail.into_error("")
    }
}

/// A schema of its own in the test database (`MARKETBOT_TEST_DATABASE_URL`), dropped with it:
/// the store's tests run against PostgreSQL with it.
#[cfg(test)]
pub(crate) struct TestSchema {
    url: String,
    schema: String,
}

#[cfg(test)]
impl TestSchema {
    /// A fresh schema, or `None` (and a line on stderr) when no test database is configured.
    pub(crate) fn create() -> Option<TestSchema> {
        use std::sync::atomic::AtomicUsize;
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let Ok(url) = std::env::var("MARKETBOT_TEST_DATABASE_URL") else {
            // Once, past the test harness's capture: a skip should be seen.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "store tests on PostgreSQL skipped: MARKETBOT_TEST_DATABASE_URL is not set"
                );
            });
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let schema = format!("marketbot_test_{}_{n}_{nanos}", std::process::id());
        Some(TestSchema { url, schema })
    }

    /// A backend on the schema (created and migrated on first connect).
    pub(crate) fn connect(&self) -> Postgres {
        Postgres::connect(&self.url, Some(&self.schema)).expect("connect to the test database")
    }
}

#[cfg(test)]
impl Drop for TestSchema {
    fn drop(&mut self) {
        let Ok(pg) = Postgres::open(&self.url, None, Duration::from_secs(1)) else {
            return;
        };
        let (pool, sql) = (
            pg.pool.clone(),
            format!(
                "SET client_min_messages TO warning; DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.schema
            ),
        );
        let _ = pg.run(async move {
            Ok(pool
                .get()
                .await
                .map_err(pool_fail)?
                .batch_execute(&sql)
                .await?)
        });
    }
}

#[cfg(test)]
mod tests;
