//! Numbers, prices, percentages, spans of time, dates and time zones in the language's format,
//! the one way every message and chart writes them.

use chrono::{DateTime, Utc};
use chrono_tz::{OffsetName, Tz};

use super::Texts;
use crate::text::Lang;

impl Texts {
    /// A number with the language's decimal separator.
    pub fn number(&self, x: f64, decimals: usize) -> String {
        let s = format!("{x:.decimals$}");
        match self.lang {
            Lang::En => s,
            Lang::De => s.replace('.', ","),
        }
    }

    /// A price as it is quoted (see [`price_decimals`]), with the language's decimal separator:
    /// `186.25`, `0,5120`, `0.0000123`.
    pub fn price(&self, x: f64) -> String {
        self.number(x, price_decimals(x))
    }

    /// A price in its currency, where a provider named one, as a code after the number, in
    /// every language: `72.36 GBp` (a London share's pence), `185,20 USD`; `186.25` where none
    /// is known. A code is letters only (as [`crate::model::currency`] reads them), so it is
    /// safe in HTML wherever the price goes.
    pub fn price_in(&self, x: f64, currency: Option<&str>) -> String {
        match currency.filter(|c| !c.is_empty() && c.chars().all(|c| c.is_ascii_alphabetic())) {
            Some(c) => format!("{} {c}", self.price(x)),
            None => self.price(x),
        }
    }

    /// A range of prices in their currency, the code once: `71.80 – 72.90 GBp`.
    pub fn price_range(&self, low: f64, high: f64, currency: Option<&str>) -> String {
        format!("{} – {}", self.price(low), self.price_in(high, currency))
    }

    /// A signed percentage with a real minus sign: `−2.89 %`, `+1,50 %`.
    pub fn percent(&self, change: f64) -> String {
        let s = format!("{:+.2} %", change).replacen('-', "−", 1);
        match self.lang {
            Lang::En => s,
            Lang::De => s.replace('.', ","),
        }
    }

    /// A span of time such as a correlation window: hours (`24 h`, `1,5 h`), or minutes
    /// under an hour (`10 min` / `10 Min.`), where a tenth of an hour would round to nothing.
    pub fn span(&self, secs: u64) -> String {
        if secs < 3600 {
            let minutes = secs.div_ceil(60);
            return self.pick(format!("{minutes} min"), format!("{minutes} Min."));
        }
        let hours = secs as f64 / 3600.0;
        let decimals = if hours.fract() == 0.0 { 0 } else { 1 };
        format!("{} h", self.number(hours, decimals))
    }

    /// A date: `2026-01-30` / `30.01.2026`.
    pub fn date(&self, d: chrono::NaiveDate) -> String {
        match self.lang {
            Lang::En => d.format("%Y-%m-%d").to_string(),
            Lang::De => d.format("%d.%m.%Y").to_string(),
        }
    }

    /// A time in zone `tz`, with the zone named: `2026-02-02 22:47 CET` / `02.02.2026 22:47
    /// MEZ`.
    pub fn time(&self, t: DateTime<Utc>, tz: Tz) -> String {
        let local = t.with_timezone(&tz);
        let when = match self.lang {
            Lang::En => local.format("%Y-%m-%d %H:%M"),
            Lang::De => local.format("%d.%m.%Y %H:%M"),
        };
        format!("{when} {}", self.zone(tz, t))
    }

    /// The name of zone `tz`'s time in force at `at`: its abbreviation (`EST`, `CEST`), for
    /// Central European Time the German one in German (`MEZ`, `MESZ`: what German readers
    /// know), and the offset (`UTC+04:00`) for a zone that has no letters for it.
    pub fn zone(&self, tz: Tz, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&tz);
        match (self.lang, local.offset().abbreviation()) {
            (Lang::De, Some("CET")) => "MEZ".to_string(),
            (Lang::De, Some("CEST")) => "MESZ".to_string(),
            (_, Some(a)) if !a.starts_with(['+', '-']) => a.to_string(),
            _ => format!("UTC{}", local.format("%:z")),
        }
    }
}

/// A number with its noun: `one` after 1, `many` after any other number (`1 alert`,
/// `0 alerts`, `2 Meldungen`), the rule English and German share. Every counted noun a
/// message or the command line writes comes through here, never as `alert(s)`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The most decimals a price is quoted with: the digits of a millionth, the lowest price the
/// bot believes, and a few more for a level between two such prices.
pub const MAX_DECIMALS: usize = 10;

/// The decimals a price is quoted with: two, four below 1, and below a cent as many as show
/// its first three digits (`0.0000123`), so a coin's price is not "0.00".
fn price_decimals(price: f64) -> usize {
    if price.abs() >= 1.0 {
        return 2;
    }
    let leading_zeros = -price.abs().max(1e-9).log10().floor() as usize;
    (leading_zeros + 2).clamp(4, MAX_DECIMALS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::texts;

    /// A time zone is named the same in a message and on a chart: in a German chat Central
    /// European Time is MEZ and MESZ, as German readers know it; a zone without letters for
    /// its time by its offset.
    #[test]
    fn a_time_zone_is_named_in_the_readers_language() {
        let (en, de) = (texts(Lang::En), texts(Lang::De));
        let winter = "2026-02-02T21:47:00Z".parse().unwrap();
        let summer = "2026-07-01T12:00:00Z".parse().unwrap();
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(de.time(winter, berlin), "02.02.2026 22:47 MEZ");
        assert_eq!(de.time(summer, berlin), "01.07.2026 14:00 MESZ");
        assert_eq!(en.time(winter, berlin), "2026-02-02 22:47 CET");
        assert_eq!(en.zone(berlin, summer), "CEST");
        assert_eq!(de.zone(chrono_tz::Europe::Vienna, winter), "MEZ");
        assert_eq!(de.zone(chrono_tz::America::New_York, summer), "EDT");
        assert_eq!(en.time(winter, Tz::UTC), "2026-02-02 21:47 UTC");
        assert_eq!(de.zone(chrono_tz::Asia::Dubai, winter), "UTC+04:00");
        assert_eq!(en.zone(chrono_tz::Asia::Kolkata, winter), "IST");
    }

    /// A coin's price below a cent is quoted with its digits, not as "0.00"; a share's with two.
    #[test]
    fn a_price_is_quoted_with_the_digits_it_has() {
        let (en, de) = (texts(Lang::En), texts(Lang::De));
        assert_eq!(en.price(186.25), "186.25");
        assert_eq!(de.price(0.512), "0,5120");
        assert_eq!(en.price(0.00999), "0.00999");
        assert_eq!(en.price(0.000_012_34), "0.0000123");
        assert_eq!(en.price(0.000_001), "0.00000100");
        let q = crate::series::QuoteView {
            last: 0.000_012_3,
            at: "2026-02-02T21:00:00Z".parse().unwrap(),
            change_pct: Some(-5.0),
            previous_close: Some(0.000_012_95),
            day_low: Some(0.000_012_1),
            day_high: Some(0.000_013),
            extended: None,
            currency: None,
        };
        let quote = en.quote("SHIB-USD", &q, "21:00", 0);
        assert!(
            quote.starts_with("<b>SHIB-USD</b> 0.0000123 (")
                && quote.contains("0.0000130")
                && quote.contains("0.0000121"),
            "{quote}"
        );
    }

    /// A price is quoted in its unit where the provider named one: a London share's in pence
    /// (`GBp`), so "72.36" is not read as pounds; with no unit as before where none is known.
    #[test]
    fn a_price_is_quoted_in_its_currency() {
        let (en, de) = (texts(Lang::En), texts(Lang::De));
        assert_eq!(en.price_in(72.36, Some("GBp")), "72.36 GBp");
        assert_eq!(de.price_in(185.2, Some("USD")), "185,20 USD");
        assert_eq!(en.price_in(185.2, None), "185.20");
        assert_eq!(en.price_in(185.2, Some("<b>")), "185.20");
        let q = crate::series::QuoteView {
            last: 72.36,
            at: "2026-02-02T16:30:00Z".parse().unwrap(),
            change_pct: Some(0.5),
            previous_close: Some(72.0),
            day_low: Some(71.8),
            day_high: Some(72.9),
            extended: None,
            currency: Some("GBp".into()),
        };
        let quote = en.quote("VOD.L", &q, "16:30", 5);
        for want in [
            "<b>VOD.L</b> 72.36 GBp (+0.50 %)",
            "Previous close 72.00 GBp",
            "Day range 71.80 – 72.90 GBp",
        ] {
            assert!(quote.contains(want), "{want} missing from {quote}");
        }
        assert!(
            en.quote_line("VOD.L", &q, "16:30")
                .starts_with("<b>VOD.L</b> 72.36 GBp (+0.50 %)")
        );
        let evidence = crate::rules::PriceEvidence {
            at: q.at,
            price: 72.36,
            session: None,
            reference: None,
            reference_label: String::new(),
            change_pct: None,
            condition: "crossed below 72.5".into(),
            basis: crate::rules::Basis::Crossed {
                level: 72.5,
                below: true,
            },
            threshold: String::new(),
            currency: Some("GBp".into()),
        };
        assert_eq!(
            de.price_line(&evidence, "16:30"),
            "72,36 GBp um 16:30: unter 72,50 GBp gefallen"
        );
    }
}
