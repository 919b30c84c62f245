//! Which instance runs the bot: one lease in the store, taken by one instance at a time.
//!
//! Several instances may share one PostgreSQL store. Exactly one of them — the leader —
//! polls Telegram, runs the scheduled sources, the pipeline and the outbox; the others wait
//! ([`wait_for_lease`]) and serve `/healthz` and `/metrics`. The leader renews its lease every
//! [`RENEW_EVERY`]; when it dies or is cut off from the database, the lease runs out after
//! [`LEASE`] and a waiting instance takes it over (with the next term), loading the state
//! from the store as a restart would.
//!
//! A leader that cannot renew stops sending before its lease can have run out anywhere
//! ([`Leading::is_leading`] turns false at [`STEP_DOWN_AFTER`] since the last renewal began,
//! by its own monotonic clock), and the store refuses its transactions once another term
//! began (the fence), so a deposed leader never commits a step or sends on. It then stops
//! the process: a supervisor starts it again, as a waiting instance.
//!
//! With the embedded store only one process can open it: the lease is always granted, and the same
//! code runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// How long a lease lasts unless renewed (by the database's clock).
pub const LEASE: Duration = Duration::from_secs(10);
/// How often the leader renews.
pub const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How long after the last renewal began the leader goes on without a new one.
pub const STEP_DOWN_AFTER: Duration = Duration::from_secs(8);
/// Pause before asking again a store that could not be reached, while renewing.
const RETRY: Duration = Duration::from_millis(250);
/// How often a waiting instance tries to take the lease.
pub const TRY_EVERY: Duration = Duration::from_secs(1);

/// This instance's part in leading: whether it leads now, and in which term.
#[derive(Clone)]
pub struct Leading {
    inner: Arc<Inner>,
}

struct Inner {
    instance: String,
    term: AtomicU64,
    leading: AtomicBool,
    /// Cancelled when the lease is lost.
    lost: CancellationToken,
}

impl Leading {
    fn new(instance: &str, term: u64, leading: bool) -> Leading {
        Leading {
            inner: Arc::new(Inner {
                instance: instance.to_string(),
                term: AtomicU64::new(term),
                leading: AtomicBool::new(leading),
                lost: CancellationToken::new(),
            }),
        }
    }

    /// Leadership that never ends (tests, single-process tools).
    pub fn always(instance: &str) -> Leading {
        Leading::new(instance, 1, true)
    }

    /// An instance that does not lead yet: [`wait_for_lease`] makes it lead. Parts that start
    /// before the lease is taken (the webhook intake) hold a clone and see it change.
    pub fn waiting(instance: &str) -> Leading {
        Leading::new(instance, 0, false)
    }

    /// Whether this instance may act as the leader right now.
    pub fn is_leading(&self) -> bool {
        self.inner.leading.load(Ordering::Acquire)
    }

    /// This instance's name.
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// The term of the lease held.
    pub fn term(&self) -> u64 {
        self.inner.term.load(Ordering::Acquire)
    }

    /// Completes when the lease is lost.
    pub async fn lost(&self) {
        self.inner.lost.cancelled().await;
    }

    fn begin(&self, term: u64) {
        self.inner.term.store(term, Ordering::Release);
        self.inner.leading.store(true, Ordering::Release);
    }

    fn step_down(&self) {
        if self.inner.leading.swap(false, Ordering::AcqRel) {
            crate::metrics::leading(&self.inner.instance, false);
        }
        self.inner.lost.cancel();
    }
}

/// This instance's name for the lease: `storage.instance`, else host name and process id.
pub fn instance_name(configured: Option<&str>) -> String {
    if let Some(name) = configured {
        return name.to_string();
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "marketbot".into());
    format!("{host}-{}", std::process::id())
}

/// Asks the store for the lease (off the async workers: the store may be across the
/// network): the term held, `None` while another instance's lease runs, `Err` when the store
/// cannot be reached.
async fn ask(store: &Store, instance: &str, held: Option<u64>) -> Result<Option<u64>, ()> {
    let (backend, who) = (Arc::clone(store.backend()), instance.to_string());
    match tokio::task::spawn_blocking(move || backend.lease(&who, held, LEASE)).await {
        Ok(Ok(term)) => Ok(term),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot reach the store for the lease");
            Err(())
        }
        Err(e) => {
            tracing::error!(error = %e, "asking for the lease failed");
            Err(())
        }
    }
}

/// Waits until this instance holds the lease (`None` if `stop` came first), then keeps it
/// renewed until it is lost or `stop`; whether it leads (`false` if `stop` came first). A
/// lease answered [`STEP_DOWN_AFTER`] or more after it was asked for is not led on, but asked
/// for again. The store is fenced with the term from then on.
pub async fn wait_for_lease(store: &Store, leading: &Leading, stop: &CancellationToken) -> bool {
    let instance = leading.instance();
    let mut said = false;
    crate::metrics::leading(instance, false);
    // A term granted too late to lead on, renewed by the next request.
    let mut late = None;
    let (term, asked) = loop {
        // The lease runs from when the database granted it, which may be long before its
        // answer arrives: leadership is counted from the request.
        let asked = Instant::now();
        match ask(store, instance, late).await {
            Ok(Some(term)) if asked.elapsed() < STEP_DOWN_AFTER => break (term, asked),
            // Leadership counted from the request would be over already, and the lease may
            // have run out: asked again at once, renewing it, this instance leads from then.
            Ok(Some(term)) => {
                tracing::warn!(
                    instance,
                    term,
                    "the lease was granted, but answered too late to lead on; asking again"
                );
                late = Some(term);
                continue;
            }
            Ok(None) => late = None,
            Err(()) => {}
        }
        if !said {
            let leader = store.backend().leader().ok().flatten();
            tracing::info!(
                instance,
                leader = leader.as_ref().map(|(who, _)| who.as_str()),
                "another instance leads; waiting to take over"
            );
            said = true;
        }
        tokio::select! {
            _ = tokio::time::sleep(TRY_EVERY) => {}
            _ = stop.cancelled() => return false,
        }
    };
    store.backend().fence(Some((instance.to_string(), term)));
    crate::metrics::leading(instance, true);
    tracing::info!(instance, term, store = %store.describe(), "this instance leads");
    leading.begin(term);
    keep(store.clone(), leading.clone(), stop.clone(), asked);
    true
}

/// Renews the lease every [`RENEW_EVERY`] on a thread of its own — the async workers may all
/// be busy waiting for the store when the database is away, and the lease must not wait for
/// them; steps down when the lease is refused or cannot be renewed within
/// [`STEP_DOWN_AFTER`] since the request that last took or renewed it (`asked`: the one that
/// took it) began; gives it up on `stop`.
fn keep(store: Store, leading: Leading, stop: CancellationToken, asked: Instant) {
    let spawned = std::thread::Builder::new()
        .name("marketbot-lease".into())
        .spawn(move || renew(&store, &leading, &stop, asked));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the lease keeper");
    }
}

fn renew(store: &Store, leading: &Leading, stop: &CancellationToken, asked: Instant) {
    let term = leading.term();
    let mut renewed = asked;
    let mut unreachable = false;
    loop {
        // Not past the time to step down: the answer that took the lease may have come late.
        let pause =
            RENEW_EVERY.min((renewed + STEP_DOWN_AFTER).saturating_duration_since(Instant::now()));
        if sleep_unless(stop, pause) {
            let _ = store.backend().release(leading.instance(), term);
            return;
        }
        // Until the deadline, a store that cannot be reached is asked again; a refusal ends
        // this instance's term at once.
        loop {
            let began = Instant::now();
            let deadline = renewed + STEP_DOWN_AFTER;
            let (answer, asked) = std::sync::mpsc::channel();
            let (backend, who) = (Arc::clone(store.backend()), leading.instance().to_string());
            // A thread per request: one that hangs past the deadline is left behind.
            let _ = std::thread::Builder::new()
                .name("marketbot-lease-ask".into())
                .spawn(move || {
                    let _ = answer.send(backend.lease(&who, Some(term), LEASE));
                });
            match asked.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(Some(t))) if t == term => {
                    if std::mem::take(&mut unreachable) {
                        tracing::info!(instance = leading.instance(), term, "lease renewed again");
                    }
                    renewed = began;
                    break;
                }
                Ok(Ok(_)) => {
                    tracing::error!(
                        instance = leading.instance(),
                        term,
                        "the lease went to another instance; stepping down"
                    );
                    leading.step_down();
                    return;
                }
                Ok(Err(e)) if Instant::now() + RETRY < deadline => {
                    if !std::mem::replace(&mut unreachable, true) {
                        tracing::warn!(error = %e, "cannot reach the store to renew the lease; asking again until {STEP_DOWN_AFTER:?} after the last renewal");
                    }
                    if sleep_unless(stop, RETRY) {
                        return;
                    }
                }
                Ok(Err(_)) | Err(_) => {
                    tracing::error!(
                        instance = leading.instance(),
                        term,
                        "the lease could not be renewed in time; stepping down"
                    );
                    leading.step_down();
                    return;
                }
            }
        }
    }
}

/// Sleeps `pause`, or less if `stop` comes first; whether it came.
fn sleep_unless(stop: &CancellationToken, pause: Duration) -> bool {
    let until = Instant::now() + pause;
    while Instant::now() < until {
        if stop.is_cancelled() {
            return true;
        }
        std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
    }
    stop.is_cancelled()
}
