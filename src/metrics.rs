//! What the running bot counts, served as `/metrics` in the Prometheus text format.
//!
//! Stages record through the [`metrics`] facade where the work happens (like `tracing` for
//! logs); without an installed recorder (tools, `replay`, most tests) every call is a no-op.
//! [`install`] sets up the Prometheus recorder once per process and [`render`] writes its
//! text. Every family is named and described here, so this file is the list an operator
//! reads (docs/operations.md repeats it): `marketbot_` prefix, `_total` for counters, base
//! units (`_seconds`, `_bytes`), and only bounded label values — source names and rule ids
//! from the config and rule files, fixed kinds and reasons — never a chat id or free text.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// `marketbot_build_info{version}`: always 1.
pub const BUILD_INFO: &str = "marketbot_build_info";
/// Fetches a source made (per poll that was not skipped for backoff).
pub const SOURCE_FETCHES: &str = "marketbot_source_fetches_total";
/// Failed requests of a source, by reason.
pub const SOURCE_FAILURES: &str = "marketbot_source_failures_total";
/// How long one poll of a source took.
pub const SOURCE_FETCH_DURATION: &str = "marketbot_source_fetch_duration_seconds";
/// Headlines a source delivered to the pipeline.
pub const SOURCE_ITEMS: &str = "marketbot_source_items_total";
/// Price bars a source delivered to the pipeline.
pub const SOURCE_BARS: &str = "marketbot_source_bars_total";
/// How long a source waits before its next try (0 when healthy).
pub const SOURCE_BACKOFF: &str = "marketbot_source_backoff_seconds";
/// Polls in a row that delivered nothing but errors.
pub const SOURCE_CONSECUTIVE_FAILURES: &str = "marketbot_source_consecutive_failures";
/// New headlines the engine judged.
pub const ENGINE_HEADLINES: &str = "marketbot_engine_headlines_total";
/// New price bars the engine judged.
pub const ENGINE_BARS: &str = "marketbot_engine_bars_total";
/// Headlines whose text part of a rule held, by rule.
pub const ENGINE_MATCHES: &str = "marketbot_engine_matches_total";
/// Alerts fired, by rule.
pub const ENGINE_ALERTS: &str = "marketbot_engine_alerts_total";
/// Copies of a known story folded into it instead of matched again.
pub const ENGINE_FOLDED: &str = "marketbot_engine_story_copies_folded_total";
/// Personal alerts (`/alert`) that fired.
pub const PERSONAL_FIRED: &str = "marketbot_personal_alerts_fired_total";
/// Deliveries waiting in the outbox.
pub const OUTBOX_DEPTH: &str = "marketbot_delivery_outbox_depth";
/// Outbox entries that do not decode: kept, never sent.
pub const OUTBOX_UNDECODABLE: &str = "marketbot_delivery_outbox_undecodable";
/// Messages sent, by kind (message, photo).
pub const SENDS: &str = "marketbot_delivery_sends_total";
/// Alert messages edited (a story's later copies).
pub const EDITS: &str = "marketbot_delivery_edits_total";
/// Sends that failed for a reason that may pass and will be tried again.
pub const RETRIES: &str = "marketbot_delivery_retries_total";
/// Deliveries given up, by reason.
pub const DELIVERY_FAILURES: &str = "marketbot_delivery_failures_total";
/// How long one send (or edit) to Telegram took, pacing included.
pub const SEND_DURATION: &str = "marketbot_delivery_send_duration_seconds";
/// Answers 429 (flood control) from the Bot API.
pub const RATE_LIMITED: &str = "marketbot_telegram_rate_limited_total";
/// Seconds Telegram asked to wait in its 429 answers.
pub const RETRY_AFTER: &str = "marketbot_telegram_retry_after_seconds_total";
/// Updates received from Telegram, by kind.
pub const UPDATES: &str = "marketbot_telegram_updates_total";
/// Commands received, by command.
pub const COMMANDS: &str = "marketbot_telegram_commands_total";
/// Messages from chats the allowlist keeps out.
pub const REFUSED: &str = "marketbot_telegram_refused_total";
/// Commands ignored because their chat sent too many too fast.
pub const FLOOD_IGNORED: &str = "marketbot_telegram_flood_ignored_total";
/// Webhook requests, by result.
pub const WEBHOOK: &str = "marketbot_telegram_webhook_requests_total";
/// Chats that use the bot (active).
pub const CHATS: &str = "marketbot_chats";
/// Rule subscriptions of active chats.
pub const SUBSCRIPTIONS: &str = "marketbot_subscriptions";
/// Personal alerts stored.
pub const PERSONAL_ALERTS: &str = "marketbot_personal_alerts";
/// Size of the store on disk.
pub const STORE_SIZE: &str = "marketbot_store_size_bytes";
/// Rules in force.
pub const RULES_LOADED: &str = "marketbot_rules_loaded";
/// Whether this instance leads (1) or waits to take over (0), with its name.
pub const LEADER: &str = "marketbot_leader";
/// Seconds since a stage last showed progress.
pub const STAGE_HEARTBEAT_AGE: &str = "marketbot_stage_heartbeat_age_seconds";

/// Buckets for fetch and send latencies: from a quick answer to a request near its timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder (once per process; later calls return the same handle).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
        }
        describe();
        gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

/// The recorded metrics in the Prometheus text format (empty before [`install`]).
pub fn render() -> String {
    match HANDLE.get() {
        Some(handle) => {
            handle.run_upkeep();
            handle.render()
        }
        None => String::new(),
    }
}

/// Drains histogram buckets now and then, so their memory does not grow between scrapes.
pub fn upkeep() {
    if let Some(handle) = HANDLE.get() {
        handle.run_upkeep();
    }
}

fn describe() {
    describe_gauge!(BUILD_INFO, "The running version, as a label; always 1.");
    describe_counter!(
        SOURCE_FETCHES,
        "Polls of a source that fetched (not skipped while backing off)."
    );
    describe_counter!(SOURCE_FAILURES, "Failed requests of a source, by reason.");
    describe_histogram!(
        SOURCE_FETCH_DURATION,
        Unit::Seconds,
        "Time one poll of a source took."
    );
    describe_counter!(
        SOURCE_ITEMS,
        "Headlines a source delivered to the pipeline."
    );
    describe_counter!(
        SOURCE_BARS,
        "Price bars a source delivered to the pipeline."
    );
    describe_gauge!(
        SOURCE_BACKOFF,
        Unit::Seconds,
        "Wait before the source's next try (0 when healthy)."
    );
    describe_gauge!(
        SOURCE_CONSECUTIVE_FAILURES,
        "Polls in a row that delivered nothing but errors."
    );
    describe_counter!(ENGINE_HEADLINES, "New headlines the engine judged.");
    describe_counter!(ENGINE_BARS, "New price bars the engine judged.");
    describe_counter!(
        ENGINE_MATCHES,
        "Headlines whose text part of a rule held, by rule."
    );
    describe_counter!(ENGINE_ALERTS, "Alerts fired, by rule.");
    describe_counter!(ENGINE_FOLDED, "Copies of a known story folded into it.");
    describe_counter!(PERSONAL_FIRED, "Personal alerts that fired.");
    describe_gauge!(OUTBOX_DEPTH, "Deliveries waiting in the outbox.");
    describe_gauge!(
        OUTBOX_UNDECODABLE,
        "Outbox entries that do not decode (written by a later version, say): kept, never sent."
    );
    describe_counter!(SENDS, "Messages sent, by kind.");
    describe_counter!(EDITS, "Alert messages edited with a story's later copies.");
    describe_counter!(
        RETRIES,
        "Sends that failed for a passing reason and will be tried again."
    );
    describe_counter!(DELIVERY_FAILURES, "Deliveries given up, by reason.");
    describe_histogram!(
        SEND_DURATION,
        Unit::Seconds,
        "Time one send or edit took, pacing included."
    );
    describe_counter!(
        RATE_LIMITED,
        "Answers 429 (flood control) from the Bot API."
    );
    describe_counter!(
        RETRY_AFTER,
        Unit::Seconds,
        "Seconds Telegram asked to wait in 429 answers."
    );
    describe_counter!(UPDATES, "Updates received from Telegram, by kind.");
    describe_counter!(COMMANDS, "Commands received, by command.");
    describe_counter!(REFUSED, "Messages from chats the allowlist keeps out.");
    describe_counter!(
        FLOOD_IGNORED,
        "Commands ignored because their chat sent too many too fast."
    );
    describe_counter!(
        WEBHOOK,
        "Webhook requests: accepted, relayed (kept for the leader), repeated (handled before), unavailable (to be delivered again), refused (no secret), malformed."
    );
    describe_gauge!(CHATS, "Chats using the bot.");
    describe_gauge!(SUBSCRIPTIONS, "Rule subscriptions of chats using the bot.");
    describe_gauge!(PERSONAL_ALERTS, "Personal alerts stored.");
    describe_gauge!(STORE_SIZE, Unit::Bytes, "Size of the store on disk.");
    describe_gauge!(RULES_LOADED, "Rules in force.");
    describe_gauge!(
        LEADER,
        "1 while this instance leads (polls Telegram, runs sources and sends), 0 while it waits to take over."
    );
    describe_gauge!(
        STAGE_HEARTBEAT_AGE,
        Unit::Seconds,
        "Seconds since a stage last showed progress."
    );
}

/// What one poll of a source did.
#[derive(Debug, Default)]
pub struct Poll<'a> {
    /// The source's configured name.
    pub source: &'a str,
    /// How long the poll took.
    pub took: Duration,
    /// Headlines delivered.
    pub items: usize,
    /// Bars delivered.
    pub bars: usize,
    /// Polls in a row that delivered nothing but errors.
    pub consecutive_failures: u32,
    /// Wait before the next try.
    pub backoff: Duration,
}

/// Records a poll of a source and its failed requests (by [`FetchError::kind`]).
///
/// [`FetchError::kind`]: crate::sources::http::FetchError::kind
pub fn polled<'k>(poll: &Poll<'_>, failures: impl IntoIterator<Item = &'k str>) {
    let source = poll.source.to_string();
    counter!(SOURCE_FETCHES, "source" => source.clone()).increment(1);
    histogram!(SOURCE_FETCH_DURATION, "source" => source.clone()).record(poll.took.as_secs_f64());
    counter!(SOURCE_ITEMS, "source" => source.clone()).increment(poll.items as u64);
    counter!(SOURCE_BARS, "source" => source.clone()).increment(poll.bars as u64);
    gauge!(SOURCE_CONSECUTIVE_FAILURES, "source" => source.clone())
        .set(f64::from(poll.consecutive_failures));
    gauge!(SOURCE_BACKOFF, "source" => source.clone()).set(poll.backoff.as_secs_f64());
    for reason in failures {
        counter!(SOURCE_FAILURES, "source" => source.clone(), "reason" => reason.replace('-', "_"))
            .increment(1);
    }
}

/// Records what the engine judged in one step.
pub fn judged(headlines: usize, folded: usize, bars: usize) {
    if headlines > 0 {
        counter!(ENGINE_HEADLINES).increment(headlines as u64);
    }
    if folded > 0 {
        counter!(ENGINE_FOLDED).increment(folded as u64);
    }
    if bars > 0 {
        counter!(ENGINE_BARS).increment(bars as u64);
    }
}

/// A headline held the text part of `rule`.
pub fn matched(rule: &str) {
    counter!(ENGINE_MATCHES, "rule" => rule.to_string()).increment(1);
}

/// An alert fired: by rule, or as a personal alert (whose ids are per chat, so not a label).
pub fn fired(rule: &str) {
    if crate::personal::is_personal(rule) {
        counter!(PERSONAL_FIRED).increment(1);
    } else {
        counter!(ENGINE_ALERTS, "rule" => rule.to_string()).increment(1);
    }
}

/// How a delivery attempt ended, for [`delivered`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new text message went out.
    Message,
    /// A new photo (alert with chart) went out.
    Photo,
    /// An earlier message was edited.
    Edit,
    /// Failed; tried again later.
    Retry,
    /// Given up: the chat blocked the bot or is gone.
    Blocked,
    /// Given up: the chat moved (a group became a supergroup); the delivery moves with it.
    Migrated,
    /// Given up: Telegram refuses the message, or it failed for days.
    Rejected,
    /// Flood control (429).
    RateLimited,
}

/// Records one attempt to deliver, and how long it took.
pub fn delivered(outcome: Outcome, took: Duration) {
    histogram!(SEND_DURATION).record(took.as_secs_f64());
    match outcome {
        Outcome::Message => counter!(SENDS, "kind" => "message").increment(1),
        Outcome::Photo => counter!(SENDS, "kind" => "photo").increment(1),
        Outcome::Edit => counter!(EDITS).increment(1),
        Outcome::Retry | Outcome::RateLimited => counter!(RETRIES).increment(1),
        Outcome::Blocked => counter!(DELIVERY_FAILURES, "reason" => "blocked").increment(1),
        Outcome::Migrated => counter!(DELIVERY_FAILURES, "reason" => "migrated").increment(1),
        Outcome::Rejected => counter!(DELIVERY_FAILURES, "reason" => "rejected").increment(1),
    }
}

/// Telegram answered 429 and asked to wait `wait` (alerts or command replies).
pub fn rate_limited(wait: Duration) {
    counter!(RATE_LIMITED).increment(1);
    counter!(RETRY_AFTER).increment(wait.as_secs());
}

/// An update arrived from Telegram (`kind`: message, edited, callback, member, other).
pub fn update(kind: &'static str) {
    counter!(UPDATES, "kind" => kind).increment(1);
}

/// A command arrived (`name` is one of the bot's commands, or `unknown`).
pub fn command(name: &'static str) {
    counter!(COMMANDS, "command" => name).increment(1);
}

/// The allowlist kept a chat out.
pub fn refused() {
    counter!(REFUSED).increment(1);
}

/// A chat's command was ignored for flooding.
pub fn flood_ignored() {
    counter!(FLOOD_IGNORED).increment(1);
}

/// A webhook request (`result`: accepted, relayed, repeated, unavailable, refused, malformed).
pub fn webhook(result: &'static str) {
    counter!(WEBHOOK, "result" => result).increment(1);
}

/// Counts of what the store holds, read now and then (not per scrape: counting is a scan).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Active chats.
    pub chats: u64,
    /// Their rule subscriptions.
    pub subscriptions: u64,
    /// Personal alerts.
    pub personal_alerts: u64,
    /// Bytes on disk.
    pub store_bytes: u64,
}

/// Sets the gauges of what the store holds.
pub fn holdings(h: &Holdings) {
    gauge!(CHATS).set(h.chats as f64);
    gauge!(SUBSCRIPTIONS).set(h.subscriptions as f64);
    gauge!(PERSONAL_ALERTS).set(h.personal_alerts as f64);
    gauge!(STORE_SIZE).set(h.store_bytes as f64);
}

/// Deliveries waiting in the outbox, and entries there that do not decode (counted by the
/// sender as it drains).
pub fn outbox_depth(waiting: usize, undecodable: usize) {
    gauge!(OUTBOX_DEPTH).set(waiting as f64);
    gauge!(OUTBOX_UNDECODABLE).set(undecodable as f64);
}

/// Whether `instance` (this process) leads now.
pub fn leading(instance: &str, yes: bool) {
    gauge!(LEADER, "instance" => instance.to_string()).set(if yes { 1.0 } else { 0.0 });
}

/// The number of rules in force.
pub fn rules_loaded(n: usize) {
    gauge!(RULES_LOADED).set(n as f64);
}

/// Seconds since `stage` last showed progress.
pub fn stage_age(stage: &'static str, age: Duration) {
    gauge!(STAGE_HEARTBEAT_AGE, "stage" => stage).set(age.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_families_render_in_the_text_format() {
        install();
        polled(
            &Poll {
                source: "unit-test-source",
                took: Duration::from_millis(120),
                items: 3,
                ..Poll::default()
            },
            ["rate-limited"],
        );
        fired("unit-test-rule");
        let text = render();
        assert!(text.contains("marketbot_build_info{version=\""));
        assert!(text.contains("marketbot_source_items_total{source=\"unit-test-source\"} 3"));
        assert!(text.contains(
            "marketbot_source_failures_total{source=\"unit-test-source\",reason=\"rate_limited\"} 1"
        ));
        assert!(text.contains("marketbot_source_fetch_duration_seconds_bucket{source=\"unit-test-source\",le=\"0.25\"} 1"));
        assert!(text.contains("# HELP marketbot_engine_alerts_total"));
        assert!(text.contains("# TYPE marketbot_source_fetch_duration_seconds histogram"));
    }
}
