//! Webhook mode: Telegram posts each update to `telegram.webhook_url`, which a TLS proxy
//! forwards to the bot's HTTP listener; the update then goes to the same dispatcher long
//! polling feeds (per-chat order, the same handlers).
//!
//! A request is answered only after the update is durably recorded as taken in (the store's
//! `updates` tree, by `update_id`), so a delivery Telegram repeats — after a timeout, or to
//! another instance behind the same address — is handled once. Requests without the secret
//! token are refused before anything is read from their body.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::Stream;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::mpsc;

use crate::config::WebhookConfig;
use crate::store::Store;

/// The header Telegram puts the secret token in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Updates taken in and not yet picked up by the dispatcher. Small: a full queue makes
/// Telegram wait (and retry), and few are in hand when the bot stops.
const QUEUE: usize = 64;
/// An update is a few kilobytes; anything far larger is not one.
const MAX_BODY: usize = 1 << 20;

/// What the HTTP handler needs.
#[derive(Clone)]
struct Inbound {
    secret: std::sync::Arc<str>,
    queue: mpsc::Sender<Update>,
    store: Store,
}

/// The route to mount on the HTTP listener, and the update listener to give the dispatcher.
pub fn channel(config: &WebhookConfig, store: Store) -> (Router, Receiving) {
    let (queue, rx) = mpsc::channel(QUEUE);
    let (stop, flag) = mk_stop_token();
    let inbound = Inbound {
        secret: config.secret.as_str().into(),
        queue,
        store,
    };
    let router = Router::new()
        .route(config.url.path(), post(accept))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(inbound);
    (
        router,
        Receiving {
            queue: Queued { rx, flag },
            stop,
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

async fn accept(State(inbound): State<Inbound>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, inbound.secret.as_bytes()) {
        crate::metrics::webhook("refused");
        tracing::warn!("a webhook request without the right secret token was refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // Refusing it would make Telegram send it again and again: log it and move on.
            crate::metrics::webhook("malformed");
            tracing::warn!(error = %e, bytes = body.len(), "a webhook update could not be read; dropped");
            return StatusCode::OK;
        }
    };
    if inbound.queue.is_closed() {
        // Stopping: Telegram delivers it again, here after a restart or to another instance.
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let id = i64::from(update.id.0);
    let store = inbound.store.clone();
    let now = chrono::Utc::now().timestamp();
    let first = tokio::task::spawn_blocking(move || store.first_sight_of_update(id, now)).await;
    match first {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            crate::metrics::webhook("repeated");
            tracing::debug!(
                update = id,
                "a webhook update seen before; not handled again"
            );
            return StatusCode::OK;
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, update = id, "cannot record a webhook update; Telegram will retry");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        Err(e) => {
            tracing::warn!(error = %e, update = id, "recording a webhook update failed");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    if inbound.queue.send(update).await.is_err() {
        // Stopped meanwhile: un-take it so the next delivery counts.
        let store = inbound.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.forget_update(id)).await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    crate::metrics::webhook("accepted");
    StatusCode::OK
}

/// The updates taken in, as the dispatcher's update listener.
pub struct Receiving {
    queue: Queued,
    stop: StopToken,
}

impl Receiving {
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

/// The queue as a stream. Once the dispatcher stops the listener, no more updates are taken
/// in (requests get 503 and Telegram retries), and those already queued are still handed
/// over before the stream ends: an update answered with 200 is never dropped here.
pub struct Queued {
    rx: mpsc::Receiver<Update>,
    flag: StopFlag,
}

impl Stream for Queued {
    type Item = Result<Update, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if std::future::Future::poll(Pin::new(&mut this.flag), cx).is_ready() {
            this.rx.close();
        }
        this.rx.poll_recv(cx).map(|u| u.map(Ok))
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
