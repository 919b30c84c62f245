//! The console sink: alerts on standard output when no Telegram token is configured.

use std::io::Write;

use futures::future::BoxFuture;

use super::{Accepted, SendError, Sink};
use crate::delivery::outbox::Delivery;

/// Prints each message to stdout, followed by a blank line.
#[derive(Default)]
pub struct ConsoleSink;

impl Sink for ConsoleSink {
    fn send<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(async move {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}\n", delivery.text)
                .and_then(|_| out.flush())
                .map_err(|e| SendError::Transient(format!("stdout: {e}")))?;
            Ok(Accepted::as_asked(delivery, None))
        })
    }
}
