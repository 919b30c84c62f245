//! Texts of the access policy and flood protection: refusals, the admins' question, the
//! notice to a chat that sends commands too fast.

use std::time::Duration;

use super::Texts;
use crate::delivery::render::escape;

impl Texts {
    /// A chat the allowlist keeps out asked; the admins were asked to let it in.
    pub fn access_asked(&self) -> String {
        self.pick(
            "🔐 This bot is private. I have asked its owner to let this chat in; you will hear from me here when they do.".into(),
            "🔐 Dieser Bot ist privat. Ich habe seinen Betreiber gebeten, diesen Chat freizuschalten; Sie hören von mir, sobald das geschehen ist.".into(),
        )
    }

    /// A chat the admins did not let in.
    pub fn access_denied(&self) -> String {
        self.pick(
            "🔐 Sorry, this bot is private.".into(),
            "🔐 Entschuldigung, dieser Bot ist privat.".into(),
        )
    }

    /// An admin let the chat in.
    pub fn access_granted(&self) -> String {
        self.pick(
            "✅ You are in. Send /start to begin.".into(),
            "✅ Sie sind freigeschaltet. Senden Sie /start, um zu beginnen.".into(),
        )
    }

    /// The question to the admins about a chat that wants in.
    pub fn access_request(&self, title: &str, kind: &str, chat: i64, user: Option<&str>) -> String {
        let title = if title.is_empty() { "?" } else { title };
        let by = user
            .map(|u| {
                self.pick(
                    format!(", asked by {}", escape(u)),
                    format!(", gefragt von {}", escape(u)),
                )
            })
            .unwrap_or_default();
        self.pick(
            format!(
                "🔐 <b>{}</b> ({kind}, id <code>{chat}</code>{by}) would like to use the bot.",
                escape(title)
            ),
            format!(
                "🔐 <b>{}</b> ({kind}, ID <code>{chat}</code>{by}) möchte den Bot nutzen.",
                escape(title)
            ),
        )
    }

    /// Button: let the chat in.
    pub fn button_allow(&self) -> String {
        self.pick("✅ Allow".into(), "✅ Zulassen".into())
    }

    /// Button: keep the chat out.
    pub fn button_deny(&self) -> String {
        self.pick("⛔ Deny".into(), "⛔ Ablehnen".into())
    }

    /// What an admin decided, appended to the question.
    pub fn access_decided(&self, allowed: bool, by: &str) -> String {
        let by = escape(by);
        match allowed {
            true => self.pick(
                format!("✅ Allowed by {by}."),
                format!("✅ Zugelassen von {by}."),
            ),
            false => self.pick(
                format!("⛔ Denied by {by}."),
                format!("⛔ Abgelehnt von {by}."),
            ),
        }
    }

    /// A chat sent commands faster than allowed; its commands are ignored for `pause`.
    pub fn flood_notice(&self, pause: Duration) -> String {
        let pause = humantime::format_duration(Duration::from_secs(pause.as_secs().max(1)));
        self.pick(
            format!("⏳ That is more commands than I can answer. I will ignore this chat's commands for {pause}."),
            format!("⏳ Das sind mehr Befehle, als ich beantworten kann. Ich ignoriere die Befehle dieses Chats für {pause}."),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::texts;
    use crate::text::Lang;

    #[test]
    fn access_texts_exist_in_both_languages_and_escape_titles() {
        for lang in [Lang::En, Lang::De] {
            let t = texts(lang);
            let ask = t.access_request("<Team> & Co", "group", -100, Some("@ann"));
            assert!(ask.contains("&lt;Team&gt; &amp; Co"), "{ask}");
            assert!(ask.contains("-100"));
            assert!(
                t.flood_notice(std::time::Duration::from_secs(120))
                    .contains("2m")
            );
            for s in [t.access_asked(), t.access_denied(), t.access_granted()] {
                assert!(s.contains("🔐") || s.contains("✅"));
            }
        }
        assert_ne!(
            texts(Lang::En).access_asked(),
            texts(Lang::De).access_asked()
        );
    }
}
