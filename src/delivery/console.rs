//! The console sink: alerts on standard output when no Telegram token is configured.

use std::io::Write;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::{Accepted, SendError, Sink};
use crate::delivery::outbox::Delivery;

/// Prints each message to stdout, followed by a blank line.
///
/// Standard output is then the bot's only way to tell anyone: once its reader is gone
/// (`marketbot run | head`), nobody reads the alerts any more. The sink says so once, takes
/// nothing more (what waits stays in the outbox for the next run) and cancels its `closed`
/// token, which stops the bot. A standard output that discards what it is given (`marketbot
/// run > /dev/null`, or closed outright with `>&-`, which the standard library opens on
/// `/dev/null`) takes every alert without an error: the bot says so at the start, loudly,
/// and goes on (the choice may be deliberate).
#[derive(Default)]
pub struct ConsoleSink {
    closed: CancellationToken,
}

impl ConsoleSink {
    /// A sink that cancels `closed` once standard output's reader is gone.
    pub fn new(closed: CancellationToken) -> ConsoleSink {
        ConsoleSink { closed }
    }

    /// Prints a notice of the bot's own (that alerts are printed here) as a line.
    pub fn announce(&self, notice: &str) {
        if stdout_discards() {
            tracing::error!(
                "standard output is /dev/null (or was closed): every alert printed there is lost; send the output somewhere it is read, or configure a Telegram token"
            );
        }
        // A reader gone is reported by `print`, and stops the bot.
        if let Err(SendError::Transient(e)) = self.print(format_args!("{notice}\n")) {
            tracing::warn!(error = %e, "cannot print to standard output");
        }
    }

    /// Writes `text` to standard output; [`SendError::NotSent`] once its reader is gone.
    fn print(&self, text: std::fmt::Arguments<'_>) -> Result<(), SendError> {
        if self.closed.is_cancelled() {
            return Err(SendError::NotSent);
        }
        let mut out = std::io::stdout().lock();
        match out.write_fmt(text).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                tracing::error!(
                    "standard output is closed (its reader is gone): nobody reads the alerts any more; stopping (what waits is printed by the next run)"
                );
                self.closed.cancel();
                Err(SendError::NotSent)
            }
            // A full disk, say: may pass.
            Err(e) => Err(SendError::Transient(format!("stdout: {e}"))),
        }
    }
}

/// Whether standard output is `/dev/null`, where what is written goes nowhere without an
/// error (as does a standard output closed before the bot started: the standard library
/// opens `/dev/null` in its place).
fn stdout_discards() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return false;
        };
        let (Ok(out), Ok(null)) = (
            std::fs::File::from(fd).metadata(),
            std::fs::metadata("/dev/null"),
        ) else {
            return false;
        };
        (out.dev(), out.ino(), out.rdev()) == (null.dev(), null.ino(), null.rdev())
    }
    #[cfg(not(unix))]
    {
        false
    }
}

impl Sink for ConsoleSink {
    fn send<'a>(&'a self, delivery: &'a Delivery) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(async move {
            self.print(format_args!("{}\n\n", delivery.text))?;
            Ok(Accepted::as_asked(delivery, None))
        })
    }
}
