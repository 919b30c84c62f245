//! A chat's settings and mutes: `/settings` (language, zone, quiet hours, digest) and
//! `/mute`, `/unmute`.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::NaiveTime;

use super::Conversation;
use crate::chats::{Chat, MAX_MUTES, MuteTarget};
use crate::delivery::render::escape;
use crate::i18n::texts;
use crate::personal;
use crate::store::StoreError;
use crate::text::Lang;

/// Longest mute.
const MAX_MUTE: Duration = Duration::from_secs(30 * 24 * 3600);

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .ok()
        .or_else(|| {
            let h: u32 = s.trim().parse().ok()?;
            NaiveTime::from_hms_opt(h, 0, 0)
        })
}

/// The IANA zone `name` names, however it is capitalised (`europe/berlin`, `UTC`).
fn time_zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
    })
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl Conversation<'_> {
    pub(super) fn mute_name(&self, what: &MuteTarget) -> String {
        self.t().mute_target(what)
    }

    /// The chat's mutes in force, each with when it ends.
    pub(super) fn active_mutes(&self, chat: &Chat) -> Vec<String> {
        chat.mutes
            .iter()
            .filter(|m| m.until > self.now)
            .map(|m| {
                format!(
                    "{} ({})",
                    self.mute_name(&m.what),
                    self.locale.time(m.until)
                )
            })
            .collect()
    }

    pub(super) fn settings_text(&self, chat: &Chat) -> String {
        let t = self.t();
        let s = &chat.settings;
        let quiet = s.quiet.map_or(t.off.to_string(), |(a, b)| {
            format!("{}–{}", hhmm(a), hhmm(b))
        });
        let digest = if s.digest.is_empty() {
            t.off.to_string()
        } else {
            s.digest
                .iter()
                .map(|d| hhmm(*d))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "<b>{}</b>\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
            t.settings_heading,
            t.language,
            t.lang_name(s.lang),
            t.time_zone,
            escape(&s.tz),
            t.quiet_hours,
            quiet,
            t.digest,
            digest
        )
    }

    pub(super) fn settings(&self, chat: Option<Chat>, args: &str) -> Result<String, StoreError> {
        let chat = chat.unwrap_or_else(|| self.incoming.fresh(self.locale.lang, self.now));
        let (key, value) = args
            .trim()
            .split_once(char::is_whitespace)
            .map_or((args.trim(), ""), |(k, v)| (k, v.trim()));
        let t = self.t();
        let key = key.to_ascii_lowercase();
        if key.is_empty() {
            return Ok(format!(
                "{}\n\n{}",
                self.settings_text(&chat),
                t.settings_usage
            ));
        }
        let off = matches!(value.to_ascii_lowercase().as_str(), "off" | "aus" | "none");
        let label;
        let shown;
        match key.as_str() {
            "lang" | "language" | "sprache" => {
                let Some(lang) = Lang::from_code(value).or(match value.to_lowercase().as_str() {
                    "english" | "englisch" => Some(Lang::En),
                    "german" | "deutsch" => Some(Lang::De),
                    _ => None,
                }) else {
                    return Ok(format!(
                        "{}\n\n{}",
                        t.bad_lang(&escape(value)),
                        t.settings_usage
                    ));
                };
                self.save(|c| c.settings.lang = lang)?;
                // The answer is in the new language.
                let t = texts(lang);
                return Ok(t.setting_changed(t.language, t.lang_name(lang)));
            }
            "tz" | "timezone" | "zeitzone" => {
                let Some(tz) = time_zone(value) else {
                    return Ok(t.bad_time_zone(&escape(value)));
                };
                self.save(|c| c.settings.tz = tz.name().to_string())?;
                return Ok(t.zone_set(tz.name(), self.now.with_timezone(&tz)));
            }
            "quiet" | "ruhe" => {
                if off {
                    self.save(|c| c.settings.quiet = None)?;
                    shown = t.off.to_string();
                } else {
                    let Some((a, b)) = value
                        .split_once(['-', '–'])
                        .and_then(|(a, b)| Some((parse_time(a)?, parse_time(b)?)))
                        .filter(|(a, b)| a != b)
                    else {
                        return Ok(t.bad_quiet(&escape(value)));
                    };
                    let chat = self.save(|c| c.settings.quiet = Some((a, b)))?;
                    shown = format!("{}–{} {}", hhmm(a), hhmm(b), t.in_zone(&chat.settings.tz));
                }
                label = t.quiet_hours;
            }
            "digest" => {
                if off {
                    self.save(|c| c.settings.digest.clear())?;
                    shown = t.off.to_string();
                } else {
                    let times: Option<BTreeSet<NaiveTime>> = value
                        .split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(parse_time)
                        .collect();
                    let Some(times) = times.filter(|t| !t.is_empty() && t.len() <= 6) else {
                        return Ok(t.bad_digest(&escape(value)));
                    };
                    let times: Vec<NaiveTime> = times.into_iter().collect();
                    let chat = self.save(|c| c.settings.digest = times.clone())?;
                    let times: Vec<String> = times.iter().map(|d| hhmm(*d)).collect();
                    shown = format!("{} {}", times.join(", "), t.in_zone(&chat.settings.tz));
                }
                label = t.digest;
            }
            _ => {
                return Ok(format!(
                    "{}\n\n{}",
                    self.settings_text(&chat),
                    t.settings_usage
                ));
            }
        }
        Ok(t.setting_changed(label, &shown))
    }

    /// Reads a mute target: `all`, a rule id, or a symbol. A rule id is a rule loaded, one of
    /// this chat's personal alerts (their messages name them as rules, and their mute button
    /// mutes that rule), or a rule muted in `chat` (one unloaded since stays liftable); an id
    /// a rule had before it was renamed stands for that rule.
    pub(super) fn mute_target(&self, word: &str, chat: Option<&Chat>) -> Option<MuteTarget> {
        if word.eq_ignore_ascii_case("all") || word.eq_ignore_ascii_case("alle") {
            return Some(MuteTarget::All);
        }
        let lower = word.to_ascii_lowercase();
        let muted_here = |c: &Chat| {
            c.mutes
                .iter()
                .any(|m| matches!(&m.what, MuteTarget::Rule(r) if *r == lower))
        };
        if self.rule_set().get(&lower).is_some()
            || personal::Key::of_rule(&lower).is_some_and(|k| k.chat == self.incoming.chat)
            || chat.is_some_and(muted_here)
        {
            return Some(MuteTarget::Rule(lower));
        }
        // An id the rule had before it was renamed: the rule under its id now.
        if let Some(rule) = self.rule_set().renamed_from(&lower) {
            return Some(MuteTarget::Rule(rule.id.clone()));
        }
        super::symbol_word(word).map(MuteTarget::Symbol)
    }

    pub(super) fn mute(&self, chat: Option<&Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let words: Vec<&str> = args.split_whitespace().collect();
        let (target, duration) = match words.as_slice() {
            [target] => (*target, None),
            [target, duration] => (*target, Some(*duration)),
            _ => return Ok(t.mute_usage.to_string()),
        };
        let Some(what) = self.mute_target(target, chat) else {
            return Ok(format!(
                "{}\n{}",
                t.bad_symbol(&escape(target)),
                t.mute_usage
            ));
        };
        let span = match duration {
            None => crate::telegram::callbacks::MUTE_FOR
                .to_std()
                .unwrap_or_default(),
            Some(d) => match humantime::parse_duration(d) {
                Ok(span) if span > Duration::ZERO && span <= MAX_MUTE => span,
                _ => {
                    return Ok(format!(
                        "{}\n{}",
                        t.bad_mute_duration(&escape(d)),
                        t.mute_usage
                    ));
                }
            },
        };
        let until =
            self.now + chrono::Duration::from_std(span).unwrap_or(chrono::TimeDelta::days(1));
        let refused = std::cell::Cell::new(false);
        self.save(|c| refused.set(c.mute(what.clone(), until, self.now).is_err()))?;
        if refused.get() {
            return Ok(t.mutes_full(MAX_MUTES));
        }
        Ok(t.muted(&self.mute_name(&what), &self.locale.time(until)))
    }

    pub(super) fn unmute(&self, chat: Option<&Chat>, args: &str) -> Result<String, StoreError> {
        let t = self.t();
        let target = match args.split_whitespace().next() {
            None => None,
            Some(w) => match self.mute_target(w, chat) {
                Some(what) => Some(what),
                None => return Ok(format!("{}\n{}", t.bad_symbol(&escape(w)), t.mute_usage)),
            },
        };
        let now = self.now;
        let active = |c: &Chat| {
            c.mutes
                .iter()
                .filter(|m| m.until > now && target.as_ref().is_none_or(|w| *w == m.what))
                .count()
        };
        let lifted = chat.map_or(0, active);
        if lifted == 0 {
            // Others may be in force (`/mute all`): saying nothing is muted would not be true.
            let others = chat.map(|c| self.active_mutes(c)).unwrap_or_default();
            return Ok(match &target {
                Some(what) if !others.is_empty() => {
                    t.not_muted_alone(&self.mute_name(what), &others.join(", "))
                }
                _ => t.no_mutes().to_string(),
            });
        }
        self.ctx.store.update_chat(self.incoming.chat, |c| {
            c.mutes
                .retain(|m| m.until > now && target.as_ref().is_some_and(|w| *w != m.what));
        })?;
        Ok(t.unmuted(lifted))
    }
}
