//! The bot's one HTTP listener (`http.listen`): `/metrics` for Prometheus, `/healthz` and
//! `/readyz` for orchestrators and `marketbot healthcheck`, and in webhook mode the path of
//! `telegram.webhook_url`, where Telegram posts updates (`telegram::webhook`).
//!
//! Every answer is computed from memory, except `/readyz`'s store check (one small read)
//! and the store's holdings (chats, subscriptions, personal alerts, size): counting them is
//! a scan of the chats, so a scrape counts them again only when the last count is older than
//! [`RECOUNT_AFTER`] and than [`RECOUNT_SHARE`] times what it took: however many chats,
//! counting takes at most a twentieth of the time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::health::{Health, Report};
use crate::store::Store;

/// A count of the store's holdings younger than this is served again.
const RECOUNT_AFTER: Duration = Duration::from_secs(5);
/// … or younger than this many times the count took.
const RECOUNT_SHARE: u32 = 20;

/// What the handlers read.
#[derive(Clone)]
struct Shared {
    health: Health,
    store: Store,
    /// When the holdings were last counted, and how long that took.
    counted: Arc<tokio::sync::Mutex<Option<(Instant, Duration)>>>,
}

/// The listener could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr} (http.listen): {source}")]
pub struct ListenError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// What the system said.
    #[source]
    pub source: std::io::Error,
}

/// A bound listener, not serving yet.
pub struct Listener {
    tcp: tokio::net::TcpListener,
}

impl Listener {
    /// Binds `addr` (port 0: any free port).
    pub async fn bind(addr: SocketAddr) -> Result<Listener, ListenError> {
        let tcp = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ListenError { addr, source })?;
        Ok(Listener { tcp })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp.local_addr().ok()
    }

    /// Serves until `shutdown`, with `more` routes (the webhook's) beside its own.
    pub async fn serve(
        self,
        health: Health,
        store: Store,
        more: Option<Router>,
        shutdown: CancellationToken,
    ) {
        crate::metrics::install();
        let app = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(Shared {
                health,
                store,
                counted: Arc::default(),
            })
            .merge(more.unwrap_or_default());
        let stop = shutdown.clone();
        if let Err(e) = axum::serve(self.tcp, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
        {
            tracing::error!(error = %e, "the HTTP listener failed");
        }
    }
}

async fn metrics(State(shared): State<Shared>) -> Response {
    {
        // One count at a time; scrapes meanwhile wait for it and serve it.
        let mut counted = shared.counted.lock().await;
        let due = counted
            .is_none_or(|(at, took)| at.elapsed() >= RECOUNT_AFTER.max(took * RECOUNT_SHARE));
        if due {
            let started = Instant::now();
            let store = shared.store.clone();
            match tokio::task::spawn_blocking(move || store.holdings()).await {
                Ok(Ok(h)) => crate::metrics::holdings(&h),
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot count the store's holdings"),
                Err(e) => tracing::warn!(error = %e, "counting the store's holdings failed"),
            }
            *counted = Some((Instant::now(), started.elapsed()));
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
        .into_response()
}

fn report(report: Report) -> Response {
    let status = if report.ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        report.text(),
    )
        .into_response()
}

async fn healthz(State(shared): State<Shared>) -> Response {
    report(shared.health.liveness())
}

async fn readyz(State(shared): State<Shared>) -> Response {
    let store = shared.store.clone();
    let store_ok = tokio::task::spawn_blocking(move || store.ping())
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    report(shared.health.readiness(store_ok))
}
