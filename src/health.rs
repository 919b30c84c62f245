//! Liveness for `marketbot healthcheck` (Docker's HEALTHCHECK): the running bot rewrites a
//! heartbeat file in its data directory; the check reads its age. A file rather than a port,
//! because sled's lock keeps a second process out of the database and a healthcheck should
//! not need network configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;

/// How often the heartbeat is written.
pub const BEAT: Duration = Duration::from_secs(15);
/// A heartbeat older than this means the bot is not healthy.
pub const STALE_AFTER: Duration = Duration::from_secs(90);

/// The heartbeat file in a storage directory.
pub fn heartbeat_path(storage: &Path) -> PathBuf {
    storage.join("heartbeat")
}

/// Writes the heartbeat until `shutdown`, then removes it.
pub async fn beat(storage: PathBuf, clock: Clock, shutdown: CancellationToken) {
    let path = heartbeat_path(&storage);
    loop {
        let line = format!("{} pid={}\n", clock.now().to_rfc3339(), std::process::id());
        if let Err(e) = tokio::fs::write(&path, line).await {
            tracing::warn!(error = %e, path = %path.display(), "cannot write the heartbeat");
        }
        tokio::select! {
            _ = tokio::time::sleep(BEAT) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    let _ = tokio::fs::remove_file(&path).await;
}

/// Why the bot is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    /// No heartbeat file: the bot is not running (or never started).
    #[error("no heartbeat at {0}: is marketbot running?")]
    Missing(PathBuf),
    /// The heartbeat is too old.
    #[error("last heartbeat {0:?} ago")]
    Stale(Duration),
}

/// Checks the heartbeat in `storage` by its file modification time.
pub fn check(storage: &Path) -> Result<Duration, Unhealthy> {
    let path = heartbeat_path(storage);
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(|_| Unhealthy::Missing(path.clone()))?;
    let age = modified.elapsed().unwrap_or_default();
    if age > STALE_AFTER {
        Err(Unhealthy::Stale(age))
    } else {
        Ok(age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_running_heartbeat_is_healthy_and_gone_after_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(check(dir.path()), Err(Unhealthy::Missing(_))));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(beat(
            dir.path().to_path_buf(),
            Clock::system(),
            shutdown.clone(),
        ));
        for _ in 0..100 {
            if check(dir.path()).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(check(dir.path()).is_ok());
        shutdown.cancel();
        task.await.unwrap();
        assert!(check(dir.path()).is_err());
    }
}
