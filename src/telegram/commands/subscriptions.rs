//! Subscriptions and watch lists: `/rules`, `/subscribe`, `/unsubscribe`, `/watch`,
//! `/unwatch`, and `/list` of what a chat follows.

use std::fmt::Write;

use super::{Conversation, Reply, first_word, means_all, symbols};
use crate::chats::Chat;
use crate::delivery::render::escape;
use crate::personal;
use crate::store::StoreError;
use crate::telegram::keyboards::rule_toggles;

/// Most symbols on a watch list.
const MAX_WATCH: usize = 50;

impl Conversation<'_> {
    pub(super) fn rules_text(&self, chat: Option<&Chat>) -> String {
        let t = self.t();
        let rules = self.rule_set();
        let mut out = format!("<b>{}</b>\n", t.rules_heading);
        let listed: Vec<_> = rules
            .rules()
            .iter()
            .filter(|r| !personal::is_personal(&r.id))
            .collect();
        if listed.is_empty() {
            out.push_str(t.no_rules);
        }
        for r in listed {
            let on = chat.is_some_and(|c| c.rules.contains(&r.id));
            let _ = writeln!(
                out,
                "{} <code>{}</code> — {}{}",
                if on { "✅" } else { "▫️" },
                escape(&r.id),
                escape(&r.title),
                if r.default { t.default_mark() } else { "" }
            );
        }
        let _ = write!(out, "\n{}", t.rules_footer);
        out
    }

    pub(super) fn rules(&self, chat: Option<&Chat>) -> Reply {
        let followed = chat.map(|c| c.rules.clone()).unwrap_or_default();
        Reply::Keyboard(
            self.rules_text(chat),
            rule_toggles(&self.rule_set(), &followed),
        )
    }

    /// A rule others may follow (loaded, and not someone's personal alert): id and title. An
    /// id the rule had before it was renamed finds it too.
    pub(super) fn public_rule(&self, id: &str) -> Option<(String, String)> {
        self.rule_set()
            .current(id)
            .filter(|r| !personal::is_personal(&r.id))
            .map(|r| (r.id.clone(), r.title.clone()))
    }

    pub(super) fn subscribe(&self, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let id = first_word(args).to_ascii_lowercase();
        let ids = self.public_ids();
        if id.is_empty() {
            let example = ids
                .first()
                .map_or("nvda-customer-seeks-alternatives", String::as_str);
            return Ok(t.which_rule("subscribe", &escape(example)));
        }
        let Some((rule_id, rule_title)) = self.public_rule(&id) else {
            return Ok(t.unknown_rule(
                &escape(&id),
                crate::problem::closest(&id, &ids).map(escape).as_deref(),
            ));
        };
        // Following a rule asks for its alerts: a chat that stopped them gets them again.
        let back_on = std::cell::Cell::new(false);
        self.save(|c| {
            back_on.set(self.activate(c));
            c.follow(&rule_id);
        })?;
        if back_on.get() {
            // Its watch list and alerts refer to their symbols again.
            self.demand_changed()?;
        }
        Ok(self.saying_back_on(
            t.following(&escape(&rule_id), &escape(&rule_title)),
            back_on.get(),
        ))
    }

    pub(super) fn unsubscribe(
        &self,
        chat: Option<&Chat>,
        args: &str,
    ) -> Result<String, StoreError> {
        let t = self.t();
        let id = first_word(args).to_ascii_lowercase();
        if id.is_empty() {
            let example = chat.and_then(|c| c.rules.iter().find(|r| !personal::is_personal(r)));
            return Ok(t.which_rule(
                "unsubscribe",
                &escape(example.map_or("nvda-customer-seeks-alternatives", String::as_str)),
            ));
        }
        let follows = |id: &str| chat.is_some_and(|c| c.rules.contains(id));
        // An id the rule had before it was renamed: the rule under its id now.
        let id = match self.rule_set().renamed_from(&id) {
            Some(rule) if !follows(&id) => rule.id.clone(),
            _ => id,
        };
        if !follows(&id) || personal::is_personal(&id) {
            return Ok(t.not_following(&escape(&id)));
        }
        self.ctx.store.update_chat(self.incoming.chat, |c| {
            c.unfollow(&id);
        })?;
        Ok(t.unfollowed(&escape(&id)))
    }

    /// The symbols of `/watch` or `/unwatch`, or the reply explaining what is wrong.
    pub(super) fn watch_symbols(&self, args: &str) -> Result<Vec<String>, String> {
        let t = self.t();
        match symbols(args) {
            Ok(list) if !list.is_empty() => Ok(list),
            Ok(_) => Err(t.watch_usage.to_string()),
            Err(bad) => Err(format!(
                "{}\n{}",
                t.bad_symbol(&escape(&bad)),
                t.watch_usage
            )),
        }
    }

    pub(super) fn watch(&self, chat: Option<Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        if means_all(args) {
            // Watching all symbols is watching no list (the ticker ALL is `$ALL`).
            return self.unwatch(chat.as_ref(), args);
        }
        let list = match self.watch_symbols(args) {
            Ok(list) => list,
            Err(reply) => return Ok(reply),
        };
        let mut watch = chat.map(|c| c.watch).unwrap_or_default();
        watch.extend(list.iter().cloned());
        if watch.len() > MAX_WATCH {
            return Ok(t.watch_too_many(MAX_WATCH));
        }
        for symbol in &list {
            if let Err(reply) = self.usable(symbol) {
                return Ok(reply);
            }
        }
        if let Err(reply) = self.may_add(&list)? {
            return Ok(reply);
        }
        let chat = self.save(|c| c.watch.extend(list.iter().cloned()))?;
        self.demand_changed()?;
        Ok(t.watching(&escape(
            &chat.watch.iter().cloned().collect::<Vec<_>>().join(", "),
        )))
    }

    pub(super) fn unwatch(&self, chat: Option<&Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let all = means_all(args);
        let list = match self.watch_symbols(args) {
            _ if all => Vec::new(),
            Ok(list) => list,
            Err(reply) => return Ok(reply),
        };
        if chat.is_none() {
            return Ok(t.watching_all().to_string());
        }
        let updated = self.ctx.store.update_chat(self.incoming.chat, |c| {
            if all {
                c.watch.clear();
            } else {
                for s in &list {
                    c.watch.remove(s);
                }
            }
        })?;
        self.demand_changed()?;
        Ok(match updated {
            Some(c) if !c.watch.is_empty() => t.watching(&escape(
                &c.watch.iter().cloned().collect::<Vec<_>>().join(", "),
            )),
            _ => t.watching_all().to_string(),
        })
    }

    pub(super) fn list(&self, chat: Option<&Chat>) -> Result<String, StoreError> {
        let t = self.t();
        let Some(chat) = chat else {
            return Ok(t.follows_nothing().to_string());
        };
        let rules = self.rule_set();
        let mut out = format!("<b>{}</b>\n", t.list_heading);
        let public: Vec<&String> = chat
            .rules
            .iter()
            .filter(|r| !personal::is_personal(r))
            .collect();
        if public.is_empty() {
            let _ = writeln!(out, "{}", t.follows_nothing());
        }
        for id in public {
            // A rule gone stays followed, for when it comes back: said so, not left bare. One
            // followed under an id it had before it was renamed shows as it is called now.
            let (id, title) = match rules.current(id) {
                Some(r) => (&r.id, escape(&r.title)),
                None => (id, format!("<i>{}</i>", t.rule_not_offered())),
            };
            let _ = writeln!(out, "• <code>{}</code> — {title}", escape(id));
        }
        let watch = if chat.watch.is_empty() {
            t.all_symbols.to_string()
        } else {
            chat.watch.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(out, "\n{}", t.watch_line(&escape(&watch)));
        let mutes = self.active_mutes(chat);
        if !mutes.is_empty() {
            let _ = writeln!(out, "{}", t.mutes_line(&mutes.join(", ")));
        }
        let _ = writeln!(
            out,
            "{}",
            t.personal_count(self.ctx.store.personal_alerts_of(chat.id)?.len())
        );
        if !chat.active {
            let _ = writeln!(out, "\n{}", t.list_stopped());
        }
        let _ = write!(out, "\n{}", self.settings_text(chat));
        Ok(out)
    }
}
