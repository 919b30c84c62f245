//! The console sink: alerts on standard output when no Telegram token is configured.

use std::io::Write;

use futures::future::BoxFuture;

use super::{SendError, Sink};
use crate::store::Target;

/// Prints each message to stdout, followed by a blank line.
#[derive(Default)]
pub struct ConsoleSink;

impl Sink for ConsoleSink {
    fn send<'a>(
        &'a self,
        _target: Target,
        text: &'a str,
        _edit: Option<i32>,
    ) -> BoxFuture<'a, Result<Option<i32>, SendError>> {
        Box::pin(async move {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}\n")
                .and_then(|_| out.flush())
                .map_err(|e| SendError::Transient(format!("stdout: {e}")))?;
            Ok(None)
        })
    }
}
