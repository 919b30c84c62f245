//! The bot's own state: `/status` (anyone: the sources' health, this instance; their last
//! errors for the admins) and the admins' `/stats`, `/reload`, `/broadcast`.

use std::fmt::Write;

use chrono::NaiveTime;

use super::Conversation;
use crate::chats::Chat;
use crate::delivery::outbox::{BROADCAST, Delivery, Target};
use crate::delivery::render::{self, escape};
use crate::i18n::texts;
use crate::personal;
use crate::store::StoreError;

impl Conversation<'_> {
    /// Whether a bot admin asks (`telegram.admins`).
    fn by_bot_admin(&self) -> bool {
        self.incoming
            .user
            .is_some_and(|u| self.ctx.admins.contains(&u))
    }

    /// `/status`: the sources' health, the rules and the outbox; the sources' last errors
    /// for the bot's admins.
    pub(super) fn status(&self) -> Result<String, StoreError> {
        let t = self.t();
        let health: std::collections::HashMap<String, crate::sources::SourceHealth> =
            self.ctx.store.sources_health()?.into_iter().collect();
        let mut out = format!("<b>{}</b>\n", t.sources_heading());
        for name in &self.ctx.sources {
            let Some(h) = health.get(name) else {
                let _ = writeln!(out, "⏳ {} — {}", escape(name), t.not_fetched());
                continue;
            };
            let ok = h.healthy();
            let last = h
                .last_success
                .map_or(t.never().to_string(), |at| self.locale.time(at));
            out.push_str(&escape(&t.source_line(
                ok,
                name,
                &h.kind,
                &last,
                h.successes,
                h.failures,
            )));
            if !h.errors_by_kind.is_empty() {
                let kinds: Vec<String> = h
                    .errors_by_kind
                    .iter()
                    .map(|(k, n)| format!("{k} ×{n}"))
                    .collect();
                let _ = write!(out, " ({})", escape(&kinds.join(", ")));
            }
            out.push('\n');
            // The error's own words may name a feed's address with its key in the query:
            // only the bot's admins read them; everyone sees the kinds above.
            if let (Some(err), false, true) = (&h.last_error, ok, self.by_bot_admin()) {
                let at = h
                    .last_error_at
                    .map(|at| self.locale.time(at))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {} {at}: {}",
                    t.last_error(),
                    escape(&err.chars().take(200).collect::<String>())
                );
            }
        }
        let public = self
            .rule_set()
            .rules()
            .iter()
            .filter(|r| !personal::is_personal(&r.id))
            .count();
        let _ = write!(
            out,
            "\n{}\n{}",
            t.status_footer(public, self.ctx.store.outbox_len()? as usize),
            t.status_instance(
                &escape(self.ctx.leading.instance()),
                self.ctx.leading.term(),
                self.ctx.store.is_shared(),
            )
        );
        Ok(out)
    }

    pub(super) fn stats(&self) -> Result<String, StoreError> {
        let chats = self.ctx.store.chats()?;
        let active: Vec<&Chat> = chats.iter().filter(|c| c.active).collect();
        let subscriptions = active
            .iter()
            .map(|c| c.rules.iter().filter(|r| !personal::is_personal(r)).count())
            .sum();
        let midnight = self.now.date_naive().and_time(NaiveTime::MIN).and_utc();
        let health = self.ctx.store.sources_health()?;
        let failing = health.iter().filter(|(_, h)| !h.healthy()).count();
        Ok(self.t().stats(
            chats.len(),
            active.len(),
            subscriptions,
            self.ctx.store.personal_alert_count()? as usize,
            self.ctx.store.alerts_since(midnight)?.len(),
            self.ctx.store.outbox_len()? as usize,
            failing,
            self.ctx.sources.len(),
        ))
    }

    /// `/reload`: the rules directory now; the report in the log and as the answer.
    pub(super) fn reload(&self) -> String {
        let report = self.ctx.reloader.reload();
        report.log();
        crate::telegram::pre_block(&report.summary())
    }

    pub(super) fn broadcast(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        if args.trim().is_empty() {
            return Ok(t.broadcast_usage().to_string());
        }
        let body = escape(args.trim());
        let mut n = 0;
        let mut deliveries = Vec::new();
        for chat in self.ctx.store.chats()?.into_iter().filter(|c| c.active) {
            let header = texts(chat.settings.lang).broadcast_header();
            for text in
                render::split_html(&format!("<b>{header}</b>\n\n{body}"), render::MESSAGE_LIMIT)
            {
                deliveries.push(Delivery {
                    thread: chat.thread,
                    lang: chat.settings.lang,
                    ..Delivery::message(BROADCAST, Target::Telegram(chat.id), text, self.now)
                });
            }
            n += 1;
        }
        // All at once and on disk before the admin is told: never half queued (an admin
        // trying again would repeat it to the chats that got it), never lost to a crash.
        self.ctx.store.enqueue_all(&deliveries)?;
        self.ctx.sender.wake();
        tracing::info!(chats = n, "broadcast queued");
        Ok(t.broadcast_queued(n))
    }
}
