//! The running bot: every stage wired together, started, and stopped cleanly.
//!
//! `run(config, clock, shutdown)` takes its shutdown trigger as a future, so `main` passes
//! SIGINT/SIGTERM and tests pass whatever they like. On shutdown the scheduler stops the
//! sources, the pipeline drains what they already fetched, delivery stops after its
//! in-flight message, and the store is flushed. With a shared store the bot first waits for
//! the lease ([`crate::leader`]): only the instance that holds it runs the stages.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Config;
use crate::delivery::{ConsoleSink, Mode, Sender, Sink, TelegramSink};
use crate::health::{self, Health};
use crate::listener::{ListenError, Listener};
use crate::pipeline::Pipeline;
use crate::problem::Problem;
use crate::record::Recorder;
use crate::reload::{ReloadReport, Reloader};
use crate::schedule::Scheduler;
use crate::sources::demand::Demand;
use crate::sources::http::Http;
use crate::sources::{self, PollContext, SourceKind};
use crate::store::{Store, StoreError};
use crate::telegram;
use crate::telegram::flood_control::FloodControl;
use crate::telegram::gate::Gate;
use crate::telegram::pace::Pacer;

/// Why the bot could not start, or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The rules directory has problems.
    #[error("the rules in {dir} have {}:\n{}", crate::i18n::count(problems.len(), "problem", "problems"), problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Rules {
        /// The directory.
        dir: String,
        /// What is wrong.
        problems: Vec<Problem>,
    },
    /// The store could not be opened or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP listener could not bind its address.
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// A stage every alert passes through stopped while the bot ran (a bug): the bot stops
    /// too, so that a supervisor (Docker's restart policy) starts it again.
    #[error("the {0} stopped unexpectedly; the bot stopped with it")]
    StageFailed(&'static str),
    /// Another instance took the lease over (this one could not renew it in time): the bot
    /// stopped, so that a supervisor starts it again as a waiting instance.
    #[error("another instance leads now; this one stopped (start it again to wait its turn)")]
    Deposed,
}

/// Time allowed for stages to finish after shutdown before the store is flushed anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the bot until `shutdown` completes.
pub async fn run(
    config: Config,
    clock: Clock,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let (reloader, rules_rx) =
        Reloader::load(&config.rules_dir).map_err(|problems| StartError::Rules {
            dir: config.rules_dir.display().to_string(),
            problems,
        })?;
    let reloader = Arc::new(reloader);
    crate::metrics::install();
    let health = Health::new(config.http.stall_after);
    {
        let set = rules_rx.borrow();
        tracing::info!(rules = set.rules().len(), terms = set.term_count(), dir = %config.rules_dir.display(), "rules loaded");
        if set.rules().is_empty() {
            tracing::warn!(dir = %config.rules_dir.display(), "no rule in the rules directory: only personal alerts (/alert) fire");
        }
        health.set_rules(set.rules().len());
    }
    let store = match &config.storage.postgres {
        Some(pg) => {
            // The directory still holds the heartbeat file (`healthcheck` without a listener).
            if let Err(e) = std::fs::create_dir_all(&config.storage.path) {
                tracing::warn!(error = %e, path = %config.storage.path.display(), "cannot make the storage directory");
            }
            Store::open_postgres(&pg.url, pg.schema.as_deref())?
        }
        None => Store::open(&config.storage.path, config.storage.cache_bytes)?,
    };
    tracing::info!(store = %store.describe(), "store open");
    let listener = match config.http.listen {
        Some(addr) => {
            let listener = Listener::bind(addr).await?;
            if let Some(bound) = listener.local_addr() {
                tracing::info!(addr = %bound, "HTTP listener: /metrics, /healthz, /readyz");
            }
            Some(listener)
        }
        None => None,
    };
    let stop = CancellationToken::new();
    // Whatever reloads the rules (the watcher, SIGHUP, `/reload`), /readyz and the metrics
    // count the set in force.
    tokio::spawn({
        let (mut rules, health, stop) = (rules_rx.clone(), health.clone(), stop.clone());
        async move {
            loop {
                tokio::select! {
                    changed = rules.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        let n = rules.borrow_and_update().rules().len();
                        health.set_rules(n);
                    }
                    _ = stop.cancelled() => return,
                }
            }
        }
    });
    let bot = config.telegram.token.as_ref().map(|token| {
        (
            telegram::bot(token, config.telegram.api_url.clone()),
            token.clone(),
        )
    });
    // Webhook mode: the listener takes the updates in, the dispatcher gets them from it.
    let mut webhook_route = None;
    let instance = crate::leader::instance_name(config.storage.instance.as_deref());
    let leading = crate::leader::Leading::waiting(&instance);
    let updates = match (&config.telegram.webhook, &bot) {
        (Some(webhook), Some(_)) => {
            let (route, receiving) =
                telegram::webhook::channel(webhook, store.clone(), leading.clone());
            webhook_route = Some(route);
            telegram::Updates::Webhook(receiving)
        }
        _ => telegram::Updates::Polling(config.telegram.poll_timeout),
    };
    // The listener answers from the start: an instance waiting to lead is alive too.
    let http_task = listener
        .map(|l| tokio::spawn(l.serve(health.clone(), store.clone(), webhook_route, stop.clone())));
    health.set_role(health::Role::Waiting {
        instance: instance.clone(),
    });
    tokio::pin!(shutdown);
    let leads = tokio::select! {
        leads = crate::leader::wait_for_lease(&store, &leading, &stop) => leads,
        () = &mut shutdown => false,
    };
    if !leads {
        // Stopped while waiting to lead: nothing ran, nothing to drain.
        stop.cancel();
        if let Some(h) = http_task {
            let _ = h.await;
        }
        tracing::info!("stopped while waiting to lead; bye");
        return Ok(());
    }
    health.set_role(health::Role::Leading {
        instance: instance.clone(),
        term: leading.term(),
    });

    let gate = Arc::new(Gate::new(
        config.telegram.access,
        &config.telegram.allow,
        &config.telegram.admins,
        config.telegram.flood,
    ));
    // At start, like restoring the engine: one pass over the chats, only with an allowlist.
    let kept_out = telegram::admission::enforce(&store, &gate)?;
    if kept_out > 0 {
        tracing::warn!(
            chats = kept_out,
            "allowlist: chats neither listed nor let in stopped receiving alerts (they may ask with /start)"
        );
    }
    // Chats that follow a rule under an id it had before (`formerly`) follow it under its id
    // now; rules gone that chats follow are logged. On each reload too, from here on.
    let in_force = Arc::clone(&rules_rx.borrow());
    crate::reload::carry_over(&store, &in_force, None)?;
    reloader.carry_chats_in(store.clone());
    let (personal_sync, personal_changes) = crate::pipeline::personal_sync();
    // Without a token standard output is the bot's only output: once nobody reads it, the
    // console sink cancels this (the sender stops at once) and the bot stops cleanly.
    let output_closed = stop.child_token();
    // Telegram's flood pause: one for every message the bot sends, alerts and replies, on
    // Telegram's time whatever the bot's clock.
    let flood = FloodControl::kept_in(store.clone());
    let pacer = Arc::new(Pacer::new(config.telegram.pace).with_flood_control(flood.clone()));

    let (mode, sink): (Mode, Arc<dyn Sink>) = match &bot {
        Some((bot, token)) => (
            Mode::Telegram,
            Arc::new(TelegramSink::new(
                bot.clone(),
                token.clone(),
                store.clone(),
                config.telegram.allow_paid_broadcast,
                Arc::clone(&pacer),
            )),
        ),
        None => {
            health.set_telegram(health::Telegram::Console);
            let console = ConsoleSink::new(output_closed.clone());
            console.announce(
                "marketbot: no Telegram token configured (set MARKETBOT_TELEGRAM_TOKEN); alerts are printed here.",
            );
            (Mode::Console, Arc::new(console))
        }
    };

    // Sources first: the on-demand source's provider also serves the commands.
    let http = Http::new(&config.http);
    let mut sources = sources::from_config(&config);
    let demand_source = config.demand_source().map(|q| q.name.clone());
    let configured: Vec<String> = config
        .quotes
        .iter()
        .flat_map(|q| q.symbols.iter().cloned())
        .collect();
    let mut demand = None;
    let mut on_demand = None;
    for (source, schedule) in &sources {
        // The on-demand source's provider also fetches, as a source of its own on the same
        // schedule, the symbols chats ask for.
        if Some(&source.name) == demand_source.as_ref()
            && let SourceKind::Quotes { provider, .. } = &source.kind
        {
            let d = Arc::new(Demand::open(
                configured.iter().cloned(),
                config.symbols.limits.clone(),
                Arc::clone(provider),
                http.clone(),
                store.clone(),
            )?);
            on_demand = Some((
                sources::Source {
                    name: format!("{} (on demand)", source.name),
                    kind: SourceKind::OnDemand {
                        provider: Arc::clone(provider),
                        demand: Arc::clone(&d),
                    },
                },
                schedule.clone(),
            ));
            demand = Some(d);
        }
    }
    sources.extend(on_demand);

    let sender = {
        // A chat moved to a new id takes its personal alerts along.
        let (sync, demand) = (personal_sync.clone(), demand.clone());
        Sender::new(store.clone(), sink, clock.clone())
            .with_flood_control(flood)
            .with_beat(health.sender())
            .while_leading(leading.clone())
            .with_rules(rules_rx.clone())
            .after_migration(move |old, new_id| {
                sync.chat_changed(old);
                sync.chat_changed(new_id);
                if let Some(d) = &demand {
                    for chat in [old, new_id] {
                        if let Err(e) = d.sync_chat(chat) {
                            tracing::warn!(chat, error = %e, "cannot update the symbols on demand");
                        }
                    }
                }
            })
    };
    let sender_task = tokio::spawn(sender.clone().run(output_closed.clone()));

    let (tx, rx) = mpsc::channel(64);
    let mut pipeline = Pipeline::restore(
        store.clone(),
        rules_rx.clone(),
        clock.clone(),
        mode,
        sender.clone(),
        personal_changes,
    )?;
    pipeline = pipeline.with_beat(health.pipeline());
    if let Some(d) = &demand {
        pipeline = pipeline.with_demand(Arc::clone(d));
    }
    if let Some(dir) = &config.record_dir {
        match Recorder::open(dir) {
            Ok(r) => {
                tracing::info!(dir = %dir.display(), "recording what the sources fetch");
                pipeline = pipeline.with_recorder(r);
            }
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "cannot record; running without recording")
            }
        }
    }
    let pipeline_task = tokio::spawn(pipeline.run(rx));

    let scheduler = Scheduler::new(clock.clone(), stop.clone());
    let ctx = PollContext {
        http,
        store: store.clone(),
        clock: clock.clone(),
        pipeline: tx,
    };
    let mut names = Vec::new();
    for (source, schedule) in sources {
        names.push(source.name.clone());
        let timeout = source.time_budget(config.http.timeout);
        let source = Arc::new(source);
        let ctx = ctx.clone();
        scheduler.spawn(source.name.clone(), schedule, timeout, true, move || {
            let (source, ctx) = (Arc::clone(&source), ctx.clone());
            async move { source.poll(&ctx).await }
        });
    }
    // The pipeline ends when the last sender of its channel is gone: the jobs' copies, and
    // this one, held until shutdown (with no sources configured there are no jobs).
    let inbox = ctx.pipeline.clone();
    drop(ctx);
    tracing::info!(sources = names.len(), mode = ?mode, "marketbot running");

    // Reload reports go to the log and, when there are problems or a rule chats follow went,
    // to the admins.
    let admins_bot = bot.as_ref().map(|(b, _)| b.clone());
    let admins = config.telegram.admins.clone();
    let admins_pacer = Arc::clone(&pacer);
    let report_reload = move |report: ReloadReport| {
        report.log();
        if report.tells_admins()
            && let Some(bot) = &admins_bot
        {
            telegram::notify_admins(bot, &admins_pacer, &admins, &report.summary());
        }
    };
    let watcher = config.rules_watch.map(|interval| {
        tokio::spawn(Arc::clone(&reloader).watch(interval, stop.clone(), report_reload.clone()))
    });
    #[cfg(unix)]
    {
        // SIGHUP reloads the rules on demand.
        let (reloader, stop, report) = (Arc::clone(&reloader), stop.clone(), report_reload.clone());
        if let Ok(mut hangup) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = hangup.recv() => {
                            let r = Arc::clone(&reloader);
                            if let Ok(result) = tokio::task::spawn_blocking(move || r.reload()).await {
                                report(result);
                            }
                        }
                        _ = stop.cancelled() => return,
                    }
                }
            });
        }
    }

    let bot_task = bot.map(|(bot, token)| {
        let ctx = Arc::new(telegram::BotContext {
            store: store.clone(),
            rules: rules_rx.clone(),
            clock: clock.clone(),
            sources: names,
            admins: config.telegram.admins.clone(),
            reloader: Arc::clone(&reloader),
            pacer: Arc::clone(&pacer),
            sender: sender.clone(),
            limits: config.telegram.personal,
            personal: personal_sync.clone(),
            demand: demand.clone(),
            pipeline: inbox.clone(),
            gate: Arc::clone(&gate),
            leading: leading.clone(),
        });
        tokio::spawn(telegram::run(
            bot,
            token,
            updates,
            ctx,
            health.clone(),
            stop.clone(),
        ))
    });
    let digests = tokio::spawn(digest_job(
        store.clone(),
        clock.clone(),
        sender.clone(),
        stop.clone(),
    ));
    let heartbeat = tokio::spawn(
        health
            .clone()
            .monitor(config.storage.path.clone(), stop.clone()),
    );
    let (mut pipeline_task, mut sender_task) = (pipeline_task, sender_task);
    let mut sender_ended = false;
    // The pipeline and the sender run until shutdown; one that ends before it has failed —
    // unless the sender stopped because nobody reads standard output any more.
    let failed = tokio::select! {
        () = &mut shutdown => None,
        result = &mut pipeline_task => Some(("pipeline", result.map_err(|e| e.to_string()))),
        result = &mut sender_task => {
            sender_ended = true;
            (!output_closed.is_cancelled())
                .then(|| ("outbox sender", result.map_err(|e| e.to_string())))
        }
        // Another instance leads now: stop everything at once (the sender already stopped
        // sending), and let the supervisor start this one again to wait its turn.
        () = leading.lost() => Some(("leadership", Ok(()))),
    };
    match &failed {
        None => tracing::info!("shutting down"),
        Some((stage, result)) => {
            tracing::error!(
                stage,
                ?result,
                "a stage stopped unexpectedly; shutting down"
            )
        }
    }
    stop.cancel();
    drop(inbox);
    let failed = failed.map(|(stage, _)| stage);
    let finish = async {
        scheduler.stopped().await;
        if failed != Some("pipeline") {
            let _ = pipeline_task.await;
        }
        if !sender_ended {
            let _ = sender_task.await;
        }
        if let Some(t) = bot_task {
            let _ = t.await;
        }
        let _ = heartbeat.await;
        if let Some(h) = http_task {
            let _ = h.await;
        }
        let _ = digests.await;
        if let Some(w) = watcher {
            let _ = w.await;
        }
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, finish).await.is_err() {
        tracing::warn!("stages did not stop within {SHUTDOWN_GRACE:?}; flushing anyway");
    }
    let flushed = tokio::task::spawn_blocking(move || store.flush()).await;
    match flushed {
        Ok(Ok(())) => tracing::info!("state flushed; bye"),
        Ok(Err(e)) => tracing::error!(error = %e, "flushing state failed"),
        Err(e) => tracing::error!(error = %e, "flushing state panicked"),
    }
    match failed {
        Some("leadership") => Err(StartError::Deposed),
        Some(stage) => Err(StartError::StageFailed(stage)),
        None => Ok(()),
    }
}

/// How often due digests are looked for.
const DIGEST_CHECK: Duration = Duration::from_secs(5);

/// Hands due digests to the outbox, every [`DIGEST_CHECK`] until `stop`.
async fn digest_job(store: Store, clock: Clock, sender: Sender, stop: CancellationToken) {
    loop {
        let (store, now) = (store.clone(), clock.now());
        match tokio::task::spawn_blocking(move || crate::delivery::digest::send_due(&store, now))
            .await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => {
                tracing::info!(chats = n, "digests queued");
                sender.wake();
            }
            Ok(Err(e)) => tracing::error!(error = %e, "cannot send digests"),
            Err(e) => tracing::error!(error = %e, "digest job failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(DIGEST_CHECK) => {}
            _ = stop.cancelled() => return,
        }
    }
}
