//! Liveness and readiness of the running bot, for `/healthz`, `/readyz`,
//! `marketbot healthcheck` and Docker's HEALTHCHECK.
//!
//! Liveness means the stages every alert passes through make progress: the pipeline and the
//! outbox sender each stamp their [`Beat`] as they work and while they wait for work, so a
//! stage stuck inside a step (a hung disk, a deadlock, a send that never returns) stops
//! stamping and the bot turns unhealthy once the stamp is older than `stall_after`. A timer
//! alone would stay fresh through such a hang. Readiness adds what the bot needs to do its
//! job: rules loaded, the store answering, Telegram reachable (or console mode).
//!
//! A monitor task also rewrites a heartbeat file in the data directory while the bot is
//! healthy, for `healthcheck` when the HTTP listener is off.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Default for how long a stage may go without a stamp before the bot is unhealthy.
pub const STALL_AFTER: Duration = Duration::from_secs(45);
/// The shortest `stall_after` that makes sense (stages waiting for work stamp a quarter of
/// it apart).
pub const MIN_STALL_AFTER: Duration = Duration::from_secs(2);
/// How often the monitor looks at the stages (gauges, heartbeat file).
const MONITOR_EVERY: Duration = Duration::from_secs(5);

/// A stage's stamp: clones are cheap and shared with the stage's task.
#[derive(Clone, Debug)]
pub struct Beat {
    origin: Instant,
    /// How often a waiting stage stamps.
    every: Duration,
    /// Milliseconds after `origin` of the last stamp.
    last: Arc<AtomicU64>,
}

impl Beat {
    /// How often a stage waiting for work should stamp: a quarter of `stall_after`.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// The stage made progress (or is waiting for work, responsive).
    pub fn stamp(&self) {
        let ms = self.origin.elapsed().as_millis() as u64;
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    fn age(&self) -> Duration {
        let now = self.origin.elapsed();
        now.saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }
}

/// Whether Telegram answers (`/readyz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Telegram {
    /// No token: alerts go to the console; nothing to reach.
    Console = 0,
    /// Not asked yet.
    Unknown = 1,
    /// The last check succeeded.
    Reachable = 2,
    /// The last check failed.
    Unreachable = 3,
}

/// What this instance does among those sharing a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Another instance leads; this one waits to take over (its stages do not run).
    Waiting {
        /// This instance's name.
        instance: String,
    },
    /// This instance runs the bot.
    Leading {
        /// This instance's name.
        instance: String,
        /// The lease's term.
        term: u64,
    },
}

/// The health of the running bot's stages and dependencies.
#[derive(Clone, Debug)]
pub struct Health {
    stall_after: Duration,
    pipeline: Beat,
    sender: Beat,
    telegram: Arc<AtomicU8>,
    /// How many rules are in force, plus one: 0 until they are loaded.
    rules: Arc<AtomicU64>,
    /// `None` until known (and in tests of a single stage).
    role: Arc<std::sync::Mutex<Option<Role>>>,
}

/// One line of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// Whether it is fine.
    pub ok: bool,
    /// A few words for people.
    pub detail: String,
}

/// The answer of `/healthz` or `/readyz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Every check.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether every check is fine.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// One line per check, then the verdict.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.checks {
            let mark = if c.ok { "ok  " } else { "FAIL" };
            out.push_str(&format!("{mark} {}: {}\n", c.name, c.detail));
        }
        out.push_str(if self.ok() {
            "healthy\n"
        } else {
            "unhealthy\n"
        });
        out
    }
}

impl Health {
    /// Health with stages considered stalled after `stall_after` without a stamp; both
    /// stages count as fresh now.
    pub fn new(stall_after: Duration) -> Health {
        let origin = Instant::now();
        let every = (stall_after / 4).max(Duration::from_millis(250));
        let beat = || Beat {
            origin,
            every,
            last: Arc::default(),
        };
        Health {
            stall_after,
            pipeline: beat(),
            sender: beat(),
            telegram: Arc::new(AtomicU8::new(Telegram::Unknown as u8)),
            rules: Arc::default(),
            role: Arc::default(),
        }
    }

    /// Records what this instance does; a leader's stages count as fresh from now.
    pub fn set_role(&self, role: Role) {
        if matches!(role, Role::Leading { .. }) {
            self.pipeline.stamp();
            self.sender.stamp();
        }
        *self.role.lock().unwrap_or_else(|e| e.into_inner()) = Some(role);
    }

    fn role(&self) -> Option<Role> {
        self.role.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The pipeline's beat.
    pub fn pipeline(&self) -> Beat {
        self.pipeline.clone()
    }

    /// The outbox sender's beat.
    pub fn sender(&self) -> Beat {
        self.sender.clone()
    }

    /// Records what the last look at Telegram found.
    pub fn set_telegram(&self, state: Telegram) {
        self.telegram.store(state as u8, Ordering::Relaxed);
    }

    fn telegram(&self) -> Telegram {
        match self.telegram.load(Ordering::Relaxed) {
            0 => Telegram::Console,
            2 => Telegram::Reachable,
            3 => Telegram::Unreachable,
            _ => Telegram::Unknown,
        }
    }

    /// Records how many rules are in force.
    pub fn set_rules(&self, n: usize) {
        self.rules.store(n as u64 + 1, Ordering::Relaxed);
        crate::metrics::rules_loaded(n);
    }

    fn stages(&self) -> [(&'static str, &Beat); 2] {
        [("pipeline", &self.pipeline), ("sender", &self.sender)]
    }

    /// Liveness: every stage stamped within `stall_after` (an instance waiting to lead runs
    /// no stage: it is alive while it answers).
    pub fn liveness(&self) -> Report {
        if let Some(Role::Waiting { instance }) = self.role() {
            return Report {
                checks: vec![Check {
                    name: "role",
                    ok: true,
                    detail: format!("{instance} waits to take over from the leader"),
                }],
            };
        }
        let checks = self
            .stages()
            .into_iter()
            .map(|(name, beat)| {
                let age = beat.age();
                let ok = age <= self.stall_after;
                Check {
                    name,
                    ok,
                    detail: if ok {
                        format!("progress {}s ago", age.as_secs())
                    } else {
                        format!(
                            "no progress for {}s (limit {}s): stalled",
                            age.as_secs(),
                            self.stall_after.as_secs()
                        )
                    },
                }
            })
            .collect();
        Report { checks }
    }

    /// Readiness: leading, alive, rules loaded, the store answering, Telegram reachable. An
    /// instance waiting to lead is not ready: a load balancer sends webhook requests to the
    /// leader.
    pub fn readiness(&self, store_ok: Result<(), String>) -> Report {
        let mut report = self.liveness();
        match self.role() {
            Some(Role::Waiting { instance }) => report.checks.push(Check {
                name: "leader",
                ok: false,
                detail: format!("{instance} waits; another instance leads"),
            }),
            Some(Role::Leading { instance, term }) => report.checks.push(Check {
                name: "leader",
                ok: true,
                detail: format!("{instance} leads (term {term})"),
            }),
            None => {}
        }
        // No rule is a bot for personal alerts (`/alert`) alone: ready all the same.
        let rules = self.rules.load(Ordering::Relaxed);
        report.checks.push(Check {
            name: "rules",
            ok: rules > 0,
            detail: match rules {
                0 => "not loaded yet".into(),
                1 => "none in the rules directory: only personal alerts fire".into(),
                n => format!("{} loaded", n - 1),
            },
        });
        report.checks.push(Check {
            name: "store",
            ok: store_ok.is_ok(),
            detail: store_ok.err().unwrap_or_else(|| "open".into()),
        });
        let telegram = self.telegram();
        report.checks.push(Check {
            name: "telegram",
            ok: matches!(telegram, Telegram::Console | Telegram::Reachable),
            detail: match telegram {
                Telegram::Console => "console mode (no token)",
                Telegram::Unknown => "not reached yet",
                Telegram::Reachable => "reachable",
                Telegram::Unreachable => "unreachable",
            }
            .into(),
        });
        report
    }

    /// Until `shutdown`: publishes the stages' ages as metrics and keeps the heartbeat file
    /// in `storage` fresh while the bot is healthy (removed on shutdown).
    pub async fn monitor(self, storage: PathBuf, shutdown: CancellationToken) {
        let path = heartbeat_path(&storage);
        loop {
            for (name, beat) in self.stages() {
                crate::metrics::stage_age(name, beat.age());
            }
            crate::metrics::upkeep();
            let live = self.liveness();
            if live.ok() {
                // The host's time, not the bot's: read beside the file's modification time.
                let line = format!(
                    "{} pid={}\n",
                    crate::clock::host_now().to_rfc3339(),
                    std::process::id()
                );
                if let Err(e) = tokio::fs::write(&path, line).await {
                    tracing::warn!(error = %e, path = %path.display(), "cannot write the heartbeat");
                }
            } else {
                tracing::error!(report = %live.text().trim_end().replace('\n', "; "), "a stage makes no progress");
            }
            tokio::select! {
                _ = tokio::time::sleep(MONITOR_EVERY) => {}
                _ = shutdown.cancelled() => break,
            }
        }
        let _ = tokio::fs::remove_file(&path).await;
    }
}

/// The heartbeat file in a storage directory.
pub fn heartbeat_path(storage: &Path) -> PathBuf {
    storage.join("heartbeat")
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
    /// The HTTP listener did not answer.
    #[error("no answer from {url}: {error}")]
    Unreachable {
        /// What was asked.
        url: String,
        /// Why not.
        error: String,
    },
    /// The listener answered unhealthy.
    #[error("{url} answered {status}:\n{body}")]
    Failing {
        /// What was asked.
        url: String,
        /// Its status.
        status: u16,
        /// Its report.
        body: String,
    },
}

/// Checks the heartbeat file in `storage` by its modification time (when the HTTP listener
/// is off): written every few seconds while the stages make progress.
pub fn check_file(storage: &Path, stall_after: Duration) -> Result<Duration, Unhealthy> {
    let path = heartbeat_path(storage);
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(|_| Unhealthy::Missing(path.clone()))?;
    let age = modified.elapsed().unwrap_or_default();
    if age > stall_after + MONITOR_EVERY * 2 {
        Err(Unhealthy::Stale(age))
    } else {
        Ok(age)
    }
}

/// Asks the listener at `addr` for `/healthz`; its report when healthy.
pub async fn probe(addr: std::net::SocketAddr) -> Result<String, Unhealthy> {
    // A listener on every interface is asked on loopback.
    let host = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        }
        ip => ip,
    };
    let url = format!(
        "http://{}/healthz",
        std::net::SocketAddr::new(host, addr.port())
    );
    let unreachable = |e: reqwest::Error| Unhealthy::Unreachable {
        url: url.clone(),
        error: e.to_string(),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(4))
        .no_proxy()
        .build()
        .map_err(unreachable)?;
    let response = client.get(&url).send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(unreachable)?;
    if status == 200 {
        Ok(body)
    } else {
        Err(Unhealthy::Failing { url, status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_stage_that_stops_stamping_is_unhealthy_within_a_minute() {
        let health = Health::new(STALL_AFTER);
        let (pipeline, sender) = (health.pipeline(), health.sender());
        assert!(health.liveness().ok());
        // Both stages work (or wait) and stamp as they go.
        for _ in 0..10 {
            tokio::time::advance(pipeline.every()).await;
            pipeline.stamp();
            sender.stamp();
        }
        assert!(health.liveness().ok());
        // The pipeline hangs; the sender goes on.
        let mut unhealthy_after = None;
        for second in 1..=120 {
            tokio::time::advance(Duration::from_secs(1)).await;
            sender.stamp();
            if !health.liveness().ok() {
                unhealthy_after = Some(second);
                break;
            }
        }
        let after = unhealthy_after.expect("turns unhealthy");
        assert!(after <= 60, "unhealthy after {after}s");
        let report = health.liveness();
        assert!(report.text().contains("FAIL pipeline"), "{}", report.text());
        assert!(report.text().contains("ok   sender"), "{}", report.text());
        // It recovers when the stage moves again.
        pipeline.stamp();
        assert!(health.liveness().ok());
    }

    #[tokio::test(start_paused = true)]
    async fn readiness_needs_rules_the_store_and_telegram() {
        let health = Health::new(STALL_AFTER);
        assert!(
            !health.readiness(Ok(())).ok(),
            "no rules yet, telegram unknown"
        );
        health.set_rules(3);
        health.set_telegram(Telegram::Console);
        assert!(health.readiness(Ok(())).ok());
        assert!(!health.readiness(Err("closed".into())).ok());
        health.set_telegram(Telegram::Unreachable);
        let report = health.readiness(Ok(()));
        assert!(!report.ok());
        assert!(report.text().contains("FAIL telegram: unreachable"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_bot_without_rules_is_ready_for_personal_alerts() {
        let health = Health::new(STALL_AFTER);
        health.set_telegram(Telegram::Console);
        let report = health.readiness(Ok(()));
        assert!(
            report.text().contains("FAIL rules: not loaded yet"),
            "{}",
            report.text()
        );
        health.set_rules(0);
        let report = health.readiness(Ok(()));
        assert!(report.ok(), "{}", report.text());
        assert!(
            report.text().contains("only personal alerts fire"),
            "{}",
            report.text()
        );
        health.set_rules(1);
        assert!(
            health
                .readiness(Ok(()))
                .text()
                .contains("ok   rules: 1 loaded")
        );
    }
}
