//! Webhook mode: Telegram posts each update to `telegram.webhook_url`, which a TLS proxy
//! forwards to the bot's HTTP listener; the update then goes to the same dispatcher long
//! polling feeds (the same handlers, one chat's updates in order).
//!
//! An update is answered `200` only once the dispatcher has taken it, and recorded by its
//! `update_id` in the store before that (`Store::take_in_update`): a delivery Telegram
//! repeats is answered without being handled again, and one that a stopped run recorded but
//! never handed over is handled by the next. Anything that fails on the way (a full queue, a
//! stop, the store) forgets the record and answers `503`, and Telegram delivers it again. The
//! secret token is checked before the body is read; the body has a size and a time limit.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use futures::Stream;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::{mpsc, oneshot};

use crate::config::WebhookConfig;
use crate::store::{Store, TakeIn};

/// The header Telegram puts the secret token in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Updates handed over and not yet picked up by the dispatcher.
const QUEUE: usize = 64;
/// An update is a few kilobytes; anything far larger is not one.
const MAX_BODY: usize = 1 << 20;
/// How long a body may take to arrive.
const BODY_TIME: Duration = Duration::from_secs(10);
/// How long an update may wait for the dispatcher to take it before Telegram is told to
/// deliver it again.
const HANDOVER: Duration = Duration::from_secs(20);

/// An update on its way to the dispatcher, and who waits for it to be taken.
type Handover = (Update, oneshot::Sender<()>);

/// What the HTTP handler needs.
#[derive(Clone)]
struct Inbound {
    secret: Arc<str>,
    queue: mpsc::Sender<Handover>,
    store: Store,
    /// This process's run, told apart from earlier ones in the store's records.
    run: u64,
    /// When a refused request was last logged (unix seconds): probes do not flood the log.
    refused_logged: Arc<AtomicI64>,
    /// Whether this instance leads: one that does not (waiting to take over, or stepped
    /// down) keeps updates in the store for the leader to hand to its dispatcher.
    leading: crate::leader::Leading,
}

/// A number telling this run apart from earlier ones (and from other processes).
fn this_run() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 40)
}

/// The route to mount on the HTTP listener, and the update listener to give the dispatcher.
pub fn channel(
    config: &WebhookConfig,
    store: Store,
    leading: crate::leader::Leading,
) -> (Router, Receiving) {
    let (queue, rx) = mpsc::channel(QUEUE);
    let (stop, flag) = mk_stop_token();
    let inbound = Inbound {
        secret: config.secret.as_str().into(),
        queue,
        store,
        run: this_run(),
        refused_logged: Arc::default(),
        leading,
    };
    let inbound_copy = inbound.clone();
    let router = Router::new()
        .route(config.url.path(), post(accept))
        .with_state(inbound);
    (
        router,
        Receiving {
            config: config.clone(),
            queue: Queued { rx, flag },
            stop,
            inbound: inbound_copy,
        },
    )
}

/// Whether `given` is `expected`, in time that does not depend on where they differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

async fn accept(State(inbound): State<Inbound>, request: Request) -> StatusCode {
    let (parts, body) = request.into_parts();
    let given = parts
        .headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, inbound.secret.as_bytes()) {
        crate::metrics::webhook("refused");
        let now = crate::clock::telegram_now().timestamp();
        if inbound.refused_logged.swap(now, Ordering::Relaxed) < now - 60 {
            tracing::warn!(
                "a webhook request without the right secret token was refused (logged once a minute)"
            );
        }
        return StatusCode::UNAUTHORIZED;
    }
    let body = match tokio::time::timeout(BODY_TIME, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => return StatusCode::PAYLOAD_TOO_LARGE,
        Err(_) => return StatusCode::REQUEST_TIMEOUT,
    };
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // Refusing it would make Telegram send it again and again: log it and move on.
            crate::metrics::webhook("malformed");
            tracing::warn!(error = %e, bytes = body.len(), "a webhook update could not be read; dropped");
            return StatusCode::OK;
        }
    };
    if !inbound.leading.is_leading() {
        // Behind a load balancer any instance may be posted to: one that does not lead keeps
        // the update in the store, and the leader hands it to its dispatcher.
        return relay(&inbound, i64::from(update.id.0), body.to_vec()).await;
    }
    // In a task of its own: a request given up half-way does not leave an update recorded
    // but never handed over.
    tokio::spawn(take_in(inbound, update))
        .await
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

/// Records `update`, hands it to the dispatcher and waits until it is taken.
async fn take_in(inbound: Inbound, update: Update) -> StatusCode {
    if inbound.queue.is_closed() {
        // Stopping: Telegram delivers it again, here after a restart or elsewhere.
        return unavailable("stopping");
    }
    let id = i64::from(update.id.0);
    let (store, run, now) = (
        inbound.store.clone(),
        inbound.run,
        crate::clock::telegram_now().timestamp(),
    );
    match tokio::task::spawn_blocking(move || store.take_in_update(id, now, run)).await {
        Ok(Ok(TakeIn::First)) => {}
        Ok(Ok(TakeIn::Repeated)) => {
            crate::metrics::webhook("repeated");
            tracing::debug!(
                update = id,
                "a webhook update handled before; not handled again"
            );
            return StatusCode::OK;
        }
        Ok(Ok(TakeIn::InFlight)) => return unavailable("being handed over"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, update = id, "cannot record a webhook update; Telegram will retry");
            return unavailable("store");
        }
        Err(e) => {
            tracing::warn!(error = %e, update = id, "recording a webhook update failed");
            return unavailable("store");
        }
    }
    let (ack, taken) = oneshot::channel();
    let handed = match tokio::time::timeout(HANDOVER, inbound.queue.send((update, ack))).await {
        Ok(Ok(())) => matches!(tokio::time::timeout(HANDOVER, taken).await, Ok(Ok(()))),
        _ => false,
    };
    let store = inbound.store.clone();
    if !handed {
        // Not taken (stopping, or the dispatcher is stuck): the next delivery counts.
        let _ = tokio::task::spawn_blocking(move || store.forget_update(id)).await;
        return unavailable("not taken");
    }
    match tokio::task::spawn_blocking(move || store.mark_update_taken(id)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, update = id, "cannot mark a webhook update handed over")
        }
        Err(e) => tracing::warn!(error = %e, update = id, "marking a webhook update failed"),
    }
    crate::metrics::webhook("accepted");
    StatusCode::OK
}

/// Keeps an update for the leader (this instance waits to lead); 200 once it is stored.
async fn relay(inbound: &Inbound, id: i64, body: Vec<u8>) -> StatusCode {
    let store = inbound.store.clone();
    match tokio::task::spawn_blocking(move || store.relay_update(id, &body)).await {
        Ok(Ok(_)) => {
            crate::metrics::webhook("relayed");
            StatusCode::OK
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, update = id, "cannot keep a webhook update for the leader; Telegram will retry");
            unavailable("store")
        }
        Err(e) => {
            tracing::warn!(error = %e, update = id, "keeping a webhook update failed");
            unavailable("store")
        }
    }
}

/// How often the leader looks for updates other instances took in.
const RELAY_CHECK: Duration = Duration::from_millis(500);

/// Until `shutdown`, hands the updates other instances kept (see [`relay`]) to this
/// instance's dispatcher, oldest first, each once.
async fn relayed(inbound: Inbound, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        let store = inbound.store.clone();
        let waiting = tokio::task::spawn_blocking(move || store.relayed(QUEUE)).await;
        match waiting {
            Ok(Ok(updates)) => {
                for (id, body) in updates {
                    let forget = match serde_json::from_slice::<Update>(&body) {
                        Ok(update) => take_in(inbound.clone(), update).await == StatusCode::OK,
                        Err(e) => {
                            crate::metrics::webhook("malformed");
                            tracing::warn!(error = %e, update = id, "a relayed update could not be read; dropped");
                            true
                        }
                    };
                    if !forget {
                        // Not taken now (stopping, busy): the next round tries again.
                        break;
                    }
                    let store = inbound.store.clone();
                    if let Ok(Err(e)) =
                        tokio::task::spawn_blocking(move || store.drop_relayed(id)).await
                    {
                        tracing::warn!(error = %e, update = id, "cannot forget a relayed update");
                    }
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot read relayed updates"),
            Err(e) => tracing::warn!(error = %e, "reading relayed updates failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RELAY_CHECK) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Answers 503 (Telegram delivers the update again later), counted.
fn unavailable(why: &'static str) -> StatusCode {
    crate::metrics::webhook("unavailable");
    tracing::debug!(why, "a webhook update is to be delivered again");
    StatusCode::SERVICE_UNAVAILABLE
}

/// The updates taken in, as the dispatcher's update listener.
pub struct Receiving {
    /// The address and secret to set with Telegram.
    pub config: WebhookConfig,
    queue: Queued,
    stop: StopToken,
    inbound: Inbound,
}

impl Receiving {
    /// Hands the updates other instances took in to the dispatcher, until `shutdown` (run it
    /// beside the listener, on the leader).
    pub fn relay(
        &self,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> impl Future<Output = ()> + use<> {
        relayed(self.inbound.clone(), shutdown)
    }

    /// The listener for `Dispatcher::dispatch_with_listener`.
    pub fn into_listener(self) -> impl UpdateListener<Err = Infallible> {
        StatefulListener::new((self.queue, self.stop), queue_of, stop_of)
    }
}

fn queue_of(state: &mut (Queued, StopToken)) -> &mut Queued {
    &mut state.0
}

fn stop_of(state: &mut (Queued, StopToken)) -> StopToken {
    state.1.clone()
}

/// The queue as a stream. Each update it yields is acknowledged to the request waiting for
/// it (which then answers 200); one whose request gave up meanwhile is skipped, as Telegram
/// will deliver it again. Once the dispatcher stops the listener no more are taken in, and
/// those already queued are still yielded before the stream ends.
pub struct Queued {
    rx: mpsc::Receiver<Handover>,
    flag: StopFlag,
}

impl Stream for Queued {
    type Item = Result<Update, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if std::future::Future::poll(Pin::new(&mut this.flag), cx).is_ready() {
            this.rx.close();
        }
        loop {
            match this.rx.poll_recv(cx) {
                Poll::Ready(Some((update, ack))) => {
                    if ack.send(()).is_ok() {
                        return Poll::Ready(Some(Ok(update)));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_comparison_wants_every_byte() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
