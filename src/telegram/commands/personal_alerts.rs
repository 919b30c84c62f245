//! Personal alerts: `/alert`, `/alerts`, `/delete`, `/pause`, `/resume`, `/edit`.

use std::fmt::Write;

use super::Conversation;
use crate::delivery::render::escape;
use crate::personal::{self, PersonalAlert, PricePart, Spec};
use crate::store::StoreError;

/// The alert number a command names (`3` or `#3`), if that is all it names.
fn alert_number(args: &str) -> Option<u32> {
    args.trim().trim_start_matches('#').parse::<u32>().ok()
}

impl Conversation<'_> {
    pub(super) fn alert(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let spec = match personal::parse(args, &self.ctx.limits) {
            Ok(spec) => spec,
            Err(e) => return Ok(t.alert_invalid(&t.spec_error(&e))),
        };
        let existing = self.ctx.store.personal_alerts_of(self.incoming.chat)?;
        if existing.len() >= self.ctx.limits.per_chat {
            return Ok(t.too_many_alerts(self.ctx.limits.per_chat));
        }
        if let Err(reply) = self.usable(&spec.symbol) {
            return Ok(reply);
        }
        if let Err(reply) = self.may_add(std::slice::from_ref(&spec.symbol))? {
            return Ok(reply);
        }
        // Numbers are never reused: a button under a deleted alert cannot reach a new one.
        // The alert and the chat's record of it are one durable step; a chat that stopped
        // its alerts asks for them again.
        let back_on = std::cell::Cell::new(false);
        let (_, alert) = self.ctx.store.create_personal_alert(
            &self.incoming.fresh(self.locale.lang, self.now),
            &spec.summary(),
            self.now,
            self.incoming.message,
            |c, number| {
                back_on.set(self.activate(c));
                c.rules
                    .insert(PersonalAlert::rule_id(self.incoming.chat, number));
            },
        )?;
        let number = alert.number;
        self.ctx.personal.chat_changed(self.incoming.chat);
        self.demand_changed()?;
        Ok(self.saying_back_on(
            t.alert_created(number, &self.described(&spec, &alert)),
            back_on.get(),
        ))
    }

    /// `/alert` in a message edited: the alert that message made, changed as `/edit` would
    /// change it (never a second alert from one message); one the message did not make yet
    /// (its first reading was not clear, or it was another command) is made now.
    pub(super) fn alert_edited(&self, args: &str) -> Result<String, StoreError> {
        let made = match self.incoming.message {
            Some(message) => self
                .ctx
                .store
                .personal_alerts_of(self.incoming.chat)?
                .into_iter()
                .find(|a| a.message == Some(message)),
            None => None,
        };
        match made {
            Some(alert) => self.change(alert.number, args),
            None => self.alert(args),
        }
    }

    pub(super) fn alerts(&self) -> Result<String, StoreError> {
        let t = self.t();
        let list = self.ctx.store.personal_alerts_of(self.incoming.chat)?;
        if list.is_empty() {
            return Ok(t.no_personal_alerts.to_string());
        }
        let mut out = format!("<b>{}</b>\n", t.alerts_heading());
        for a in list {
            let line = t.personal_line(
                a.number,
                &escape(&a.listed(self.locale.lang)),
                a.created.with_timezone(&self.locale.tz).date_naive(),
            );
            if a.paused {
                let _ = writeln!(out, "{line} · {}", t.paused_mark());
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
        Ok(out.trim_end().to_string())
    }

    pub(super) fn delete(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let Some(number) = alert_number(args) else {
            return Ok(t.delete_usage().to_string());
        };
        let existed = self
            .ctx
            .store
            .delete_personal_alert(self.incoming.chat, number)?;
        if existed {
            self.ctx.personal.chat_changed(self.incoming.chat);
            self.demand_changed()?;
        }
        Ok(t.deleted(number, existed))
    }

    /// `/pause N` and `/resume N`: the alert stays, but fires only while not paused.
    pub(super) fn pause(&self, args: &str, paused: bool) -> Result<String, StoreError> {
        let t = self.t();
        let Some(number) = alert_number(args) else {
            return Ok(t.pause_usage(paused));
        };
        let changed = self
            .ctx
            .store
            .change_personal_alert(self.incoming.chat, number, |a| a.paused = paused)?;
        Ok(match changed {
            None => t.deleted(number, false),
            Some((before, _)) if before.paused == paused => t.already_paused(number, paused),
            Some(_) => {
                self.ctx.personal.chat_changed(self.incoming.chat);
                // Resuming an alert asks for its messages: a chat that stopped its alerts
                // gets them again.
                let back_on = std::cell::Cell::new(false);
                if !paused {
                    self.ctx.store.update_chat(self.incoming.chat, |c| {
                        back_on.set(!c.active && self.activate(c));
                    })?;
                    if back_on.get() {
                        self.demand_changed()?;
                    }
                }
                self.saying_back_on(t.paused(number, paused), back_on.get())
            }
        })
    }

    /// `/edit N <alert>`: a new definition under the same number (paused or not as before);
    /// its cooldown starts afresh.
    pub(super) fn edit(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let (number, rest) = args
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((args, ""));
        let Some(number) = alert_number(number) else {
            return Ok(t.edit_usage());
        };
        if rest.trim().is_empty() {
            return Ok(t.edit_usage());
        }
        self.change(number, rest)
    }

    /// Alert `number` watching what `args` says now (see [`Self::edit`]).
    fn change(&self, number: u32, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let spec = match personal::parse(args, &self.ctx.limits) {
            Ok(spec) => spec,
            Err(e) => return Ok(t.alert_invalid(&t.spec_error(&e))),
        };
        let Some(current) = self
            .ctx
            .store
            .personal_alerts_of(self.incoming.chat)?
            .into_iter()
            .find(|a| a.number == number)
        else {
            return Ok(t.deleted(number, false));
        };
        if current.parsed().map(|s| s.symbol).ok().as_deref() != Some(spec.symbol.as_str()) {
            if let Err(reply) = self.usable(&spec.symbol) {
                return Ok(reply);
            }
            if let Err(reply) = self.may_add(std::slice::from_ref(&spec.symbol))? {
                return Ok(reply);
            }
        }
        let summary = spec.summary();
        let changed = self
            .ctx
            .store
            .change_personal_alert(self.incoming.chat, number, |a| {
                a.spec.clone_from(&summary);
                a.changed = Some(self.now);
            })?;
        let Some((_, after)) = changed else {
            return Ok(t.deleted(number, false));
        };
        self.ctx.personal.chat_changed(self.incoming.chat);
        self.demand_changed()?;
        Ok(t.edited(number, &self.described(&spec, &after)))
    }

    /// An alert as the answers show it, in the chat's language (as `/alerts` lists it).
    fn described(&self, spec: &Spec, alert: &PersonalAlert) -> String {
        let written = escape(&alert.listed(self.locale.lang));
        match &spec.price {
            Some(PricePart::Drop(_) | PricePart::Rise(_)) => format!(
                "<code>{written}</code> ({})",
                self.t().against_previous_close()
            ),
            _ => format!("<code>{written}</code>"),
        }
    }
}
