//! Alert messages (`delivery::render`) with arbitrary outside text in them — headline titles,
//! links, publishers, matched words and spans — and arbitrary rule templates: whenever the
//! template passes the rule compiler's check, every message must be Telegram HTML, and the
//! caption must fit a caption.

#![no_main]

use arbitrary::Arbitrary;
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use marketbot::delivery::render::{self, CAPTION_LIMIT, Locale, MESSAGE_LIMIT};
use marketbot::engine::{Alert, HeadlineRef};
use marketbot::model::Session;
use marketbot::rules::{Basis, Field, MatchedTerm, PriceEvidence, Severity, Template};
use marketbot::text::Lang;
use marketbot_fuzz::{assert_sendable, assert_well_formed};

#[derive(Arbitrary, Debug)]
struct Input {
    rule: String,
    title: String,
    symbol: Option<String>,
    fired_at: i64,
    headline: Option<Headline>,
    also: Vec<Headline>,
    matched: Vec<Matched>,
    held: Vec<String>,
    price: Option<Price>,
    within_secs: u64,
    template: String,
    german: bool,
    tz: u16,
}

#[derive(Arbitrary, Debug)]
struct Headline {
    title: String,
    link: Option<String>,
    source: String,
    published: i64,
}

#[derive(Arbitrary, Debug)]
struct Matched {
    selection: String,
    term: String,
    field: u8,
    text: String,
    span: (usize, usize),
}

#[derive(Arbitrary, Debug)]
struct Price {
    at: i64,
    price: f64,
    session: Option<u8>,
    reference: Option<f64>,
    reference_label: String,
    change_pct: Option<f64>,
    condition: String,
    basis: u8,
    figure: f64,
    days: u16,
    threshold: String,
    currency: Option<String>,
}

/// Any instant chrono can hold.
fn time(secs: i64) -> DateTime<Utc> {
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    let secs = min + (secs.unsigned_abs() % (max - min) as u64) as i64;
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn headline(h: Headline) -> HeadlineRef {
    HeadlineRef {
        title: h.title,
        link: h.link,
        source: h.source,
        published: time(h.published),
    }
}

fn alert(input: Input) -> Alert {
    let date = time(input.fired_at).date_naive();
    Alert {
        id: 7,
        rule: input.rule,
        title: input.title,
        severity: Severity::High,
        symbol: input.symbol,
        fired_at: time(input.fired_at),
        headline: input.headline.map(headline),
        also: input.also.into_iter().map(headline).collect(),
        matched: input
            .matched
            .into_iter()
            .map(|m| MatchedTerm {
                selection: m.selection,
                term: m.term,
                field: [Field::Title, Field::Summary, Field::Source][usize::from(m.field % 3)],
                text: m.text,
                span: m.span,
            })
            .collect(),
        held: input.held,
        price: input.price.map(|p| PriceEvidence {
            at: time(p.at),
            price: p.price,
            session: p
                .session
                .map(|s| [Session::Pre, Session::Regular, Session::Post][usize::from(s % 3)]),
            reference: p.reference,
            reference_label: p.reference_label,
            change_pct: p.change_pct,
            condition: p.condition,
            basis: match p.basis % 9 {
                0 => Basis::Unknown,
                1 => Basis::PreviousClose { date },
                2 => Basis::Open,
                3 => Basis::Close,
                4 => Basis::Window {
                    minutes: i64::from(p.days),
                    high: p.figure > 0.0,
                },
                5 => Basis::Crossed {
                    level: p.figure,
                    below: p.days % 2 == 0,
                },
                6 => Basis::Gap { date },
                7 => Basis::Volume {
                    days: usize::from(p.days),
                    ratio: p.figure,
                },
                _ => Basis::Extreme {
                    days: usize::from(p.days),
                    high: p.figure > 0.0,
                },
            },
            threshold: p.threshold,
            currency: p.currency,
        }),
        within_secs: input.within_secs,
    }
}

fuzz_target!(|input: Input| {
    let zones = chrono_tz::TZ_VARIANTS;
    let locale = Locale {
        lang: if input.german { Lang::De } else { Lang::En },
        tz: zones[usize::from(input.tz) % zones.len()],
    };
    let template = Template::parse(&input.template).ok();
    let alert = alert(input);

    for template in [None, template.as_ref()] {
        let html = render::alert_html(&alert, template, &locale);
        assert_well_formed(&html);
        for part in render::split_html(&html, MESSAGE_LIMIT) {
            assert_sendable(&part, MESSAGE_LIMIT);
        }
        let caption = render::alert_caption(&alert, template, &locale);
        assert_well_formed(&caption);
        assert!(
            render::visible_len(&caption) <= CAPTION_LIMIT,
            "caption too long: {caption:?}"
        );
    }
    assert_well_formed(&render::why_html(&alert, &locale));
    assert_well_formed(&render::digest_html(std::slice::from_ref(&alert), &locale));
    render::alert_text(&alert);
    if let Some(h) = &alert.headline {
        render::also_text(&alert, h);
    }
});
