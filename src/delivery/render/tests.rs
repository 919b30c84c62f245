use super::*;

fn alert() -> Alert {
    Alert::sample(1, "2026-02-02T21:48:00Z".parse().unwrap())
}

#[test]
fn html_names_rule_symbol_change_and_headline_with_escaping() {
    let html = alert_html(&alert(), None, &Locale::DEFAULT);
    assert!(
        html.starts_with("🔻 <b>NVDA −2.89 %</b> · Customer seeks alternatives\n"),
        "{html}"
    );
    assert!(
        html.contains(
            "186.25 (−2.89 %) vs previous close (2026-01-30) 191.79, at 2026-02-02 21:00 UTC"
        ),
        "{html}"
    );
    assert!(html.contains("<a href=\"https://example.com/a?x=1&amp;y=&quot;2&quot;\"><b>OpenAI</b> is unsatisfied with some Nvidia chips &amp; looking for &lt;<b>alternatives</b>&gt;</a>"), "{html}");
    assert!(html.contains("<i>Reuters · 2026-02-02 21:47 UTC</i>"));
    assert!(html.contains("Why: customer (OpenAI) · alternative (alternatives) · drop (change vs previous close (2026-01-30) &lt;= -2%)"), "{html}");
    assert!(html.ends_with("Rule: <code>seed</code>"));
}

#[test]
fn german_alerts_use_german_words_numbers_and_the_chats_time_zone() {
    let locale = Locale {
        lang: Lang::De,
        tz: chrono_tz::Europe::Berlin,
    };
    let html = alert_html(&alert(), None, &locale);
    assert!(html.starts_with("🔻 <b>NVDA −2,89 %</b>"), "{html}");
    assert!(
        html.contains(
            "186,25 (−2,89 %) ggü. Vortagesschluss (30.01.2026) 191,79, um 02.02.2026 22:00 MEZ"
        ),
        "{html}"
    );
    assert!(
        html.contains("<i>Reuters · 02.02.2026 22:47 MEZ</i>"),
        "{html}"
    );
    assert!(html.contains("Warum: customer (OpenAI)"), "{html}");
    assert!(
        html.contains("Veränderung ggü. Vortagesschluss (30.01.2026) &lt;= -2%"),
        "{html}"
    );
    assert!(html.ends_with("Regel: <code>seed</code>"));
}

#[test]
fn a_template_fills_escaped_values_into_the_authors_html() {
    let t = Template::parse("<b>{symbol}</b> {change}: {headline} [{source}] {{{rule}}}").unwrap();
    let html = alert_html(&alert(), Some(&t), &Locale::DEFAULT);
    assert!(html.starts_with("<b>NVDA</b> −2.89 %: <a href=\"https://example.com/a?x=1&amp;y=&quot;2&quot;\"><b>OpenAI</b>"), "{html}");
    assert!(html.ends_with("[Reuters] {seed}"), "{html}");
}

/// An author's anchor around `{link}`, for a headline that has no link, would be
/// `<a href="">`: Telegram refuses the message or shows a link to nowhere. Such an anchor
/// shows its text alone; anchors that lead somewhere stay as written.
#[test]
fn an_anchor_whose_link_is_empty_shows_its_text_alone() {
    let t = Template::parse(
        "<b>{symbol}</b> <a href=\"{link}\">{headline_text}</a> · <a href='{link}'><i>{source}</i></a> <a href=\"https://example.com/x\">more</a>",
    )
    .unwrap();
    let mut a = alert();
    a.headline.as_mut().unwrap().link = None;
    let html = alert_html(&a, Some(&t), &Locale::DEFAULT);
    well_formed(&html);
    assert_eq!(
        html,
        "<b>NVDA</b> OpenAI is unsatisfied with some Nvidia chips &amp; looking for &lt;alternatives&gt; · <i>Reuters</i> <a href=\"https://example.com/x\">more</a>"
    );
    for (html, shown) in [
        ("<a HREF = \"\" >x</a>", "x"),
        ("<a href= >x</a>", "x"),
        ("<a>x</a>", "x"),
        ("<a title=\"a href\" href=\" \">x</a>", "x"),
        ("<a data-href=\"y\" href=\"\">x</a>", "x"),
        ("<a href=y>x</a>", "<a href=y>x</a>"),
    ] {
        assert_eq!(unlink_empty_anchors(html), shown, "{html}");
    }
    // The caption of a chart goes the same way.
    well_formed(&alert_caption(&a, Some(&t), &Locale::DEFAULT));
    // With its link, the anchor is the author's.
    let html = alert_html(&alert(), Some(&t), &Locale::DEFAULT);
    well_formed(&html);
    assert!(
        html.contains("<a href=\"https://example.com/a?x=1&amp;y=&quot;2&quot;\">OpenAI is")
            && html.contains(
                "<a href='https://example.com/a?x=1&amp;y=&quot;2&quot;'><i>Reuters</i></a>"
            ),
        "{html}"
    );
}

/// A link with an apostrophe in it, in an anchor an author quoted with apostrophes: the
/// attribute must end where the link ends, not at its apostrophe.
#[test]
fn a_link_with_an_apostrophe_stays_whole_in_an_attribute_quoted_either_way() {
    let t = Template::parse("<a href='{link}'>{source}</a> <a href=\"{link}\">more</a>").unwrap();
    let mut a = alert();
    a.headline.as_mut().unwrap().link = Some("https://example.com/nvidia's-rival?q='x'".into());
    let html = alert_html(&a, Some(&t), &Locale::DEFAULT);
    well_formed(&html);
    let quoted = |open: &str, close: char| {
        let (_, rest) = html.split_once(open).unwrap();
        rest.split(close).next().unwrap().to_string()
    };
    let link = "https://example.com/nvidia&#39;s-rival?q=&#39;x&#39;";
    assert_eq!(quoted("href='", '\''), link, "{html}");
    assert_eq!(quoted("href=\"", '"'), link, "{html}");
    // The default format's link too.
    let html = alert_html(&a, None, &Locale::DEFAULT);
    assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");
}

#[test]
fn the_evidence_lists_selections_words_positions_figures_and_window() {
    let why = why_html(&alert(), &Locale::DEFAULT);
    assert!(
        why.contains("• <b>customer</b>: “OpenAI” (openai, title 0–6)"),
        "{why}"
    );
    assert!(
        why.contains("• <b>alternative</b>: “alternatives” (alternativ*, title 60–72)"),
        "{why}"
    );
    assert!(
        why.contains("• <b>drop</b>: change vs previous close (2026-01-30) &lt;= -2%"),
        "{why}"
    );
    assert!(why.contains("Window: ±24 h"), "{why}");

    // Words are shown as the headline has them, whatever they are.
    let mut a = alert();
    a.matched[0].text = "Open Source Title".into();
    let why = why_html(&a, &Locale::DEFAULT);
    assert!(
        why.contains("“Open Source Title” (openai, title 0–6)"),
        "{why}"
    );
}

#[test]
fn console_text_is_plain() {
    let text = alert_text(&alert());
    assert!(text.starts_with("ALERT NVDA −2.89 % · Customer seeks alternatives [seed]"));
    assert!(text.contains("  link: https://example.com/a?x=1&y=\"2\""));
    assert!(!text.contains("<b>"));
}

#[test]
fn captions_stay_under_telegrams_limit() {
    let mut a = alert();
    a.title = "T".repeat(1500);
    let caption = alert_caption(&a, None, &Locale::DEFAULT);
    assert!(
        visible_len(&caption) <= CAPTION_LIMIT,
        "{}",
        visible_len(&caption)
    );
    let short = alert_caption(&alert(), None, &Locale::DEFAULT);
    assert_eq!(short, alert_html(&alert(), None, &Locale::DEFAULT));
}

/// Checks a part is well-formed Telegram HTML: tags balanced, entities whole, every link
/// going somewhere (an anchor with an empty `href` Telegram refuses, or shows as a link that
/// leads nowhere).
fn well_formed(part: &str) {
    let mut stack = Vec::new();
    for u in units(part) {
        match u {
            Unit::Tag(t) => {
                let inner = t.trim_start_matches('<').trim_end_matches('>');
                if let Some(name) = inner.strip_prefix('/') {
                    assert_eq!(stack.pop().as_deref(), Some(name), "unbalanced in {part}");
                } else {
                    let name = inner.split_whitespace().next().unwrap().to_string();
                    if name == "a" {
                        let href = inner
                            .split_once("href=")
                            .map(|(_, v)| v.trim_start_matches(['"', '\'']))
                            .unwrap_or("");
                        assert!(
                            !href.is_empty() && !href.starts_with(['"', '\'']),
                            "a link to nowhere in {part}"
                        );
                    }
                    stack.push(name);
                }
            }
            Unit::Entity(e) => assert!(e.ends_with(';')),
            Unit::Char(c) => assert!(c != '<' && c != '>'),
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?} in {part}");
}

#[test]
fn a_ten_thousand_character_alert_full_of_entities_splits_safely() {
    let mut a = alert();
    let line = "Nvidia &amp; OpenAI <b>“chips”</b> – Ärger & <mehr> “Zitate” ";
    a.title = line.repeat(170);
    let html = alert_html(&a, None, &Locale::DEFAULT);
    assert!(visible_len(&html) > 10_000, "{}", visible_len(&html));
    let parts = split_html(&html, MESSAGE_LIMIT);
    assert!(parts.len() >= 3);
    for p in &parts {
        assert!(visible_len(p) <= MESSAGE_LIMIT, "{}", visible_len(p));
        well_formed(p);
    }
    // Nothing lost: the visible text survives apart from whitespace at the cuts.
    let strip = |s: &str| -> String {
        units(s)
            .iter()
            .filter_map(|u| match u {
                Unit::Char(c) if !c.is_whitespace() => Some(c.to_string()),
                Unit::Entity(e) => Some(e.to_string()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        parts.iter().map(|p| strip(p)).collect::<String>(),
        strip(&html)
    );
}

#[test]
fn splitting_prefers_line_breaks_and_reopens_tags() {
    let html = format!("<b>{}</b>\n{}", "a ".repeat(30), "b".repeat(30));
    let parts = split_html(&html, 40);
    // 60 bold characters need two parts; the cut before the b's falls on the line break.
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert!(
        parts[0].starts_with("<b>") && parts[0].ends_with("</b>"),
        "{parts:?}"
    );
    assert!(
        parts[1].starts_with("<b>a") && parts[1].ends_with("</b>"),
        "the bold is reopened: {parts:?}"
    );
    assert_eq!(parts[2], "b".repeat(30));
    for p in &parts {
        well_formed(p);
        assert!(visible_len(p) <= 40);
    }
    let long_word = split_html(&"x".repeat(100), 40);
    assert_eq!(long_word.len(), 3);
    assert!(split_html("short", 4096) == ["short"]);
    assert!(split_html("", 4096).is_empty());
}

#[test]
fn whitespace_longer_than_a_message_makes_no_blank_part() {
    // Telegram refuses a message with nothing to show; such parts used to be sent.
    for html in [
        format!("{}x", " ".repeat(100)),
        format!("<b>{}x</b>", " ".repeat(100)),
        format!("a{}b", "\n".repeat(100)),
        format!("<i>a</i>{}<b>{}</b>b", " ".repeat(50), "\n ".repeat(50)),
    ] {
        let parts = split_html(&html, 40);
        assert!(!parts.is_empty(), "{html:?}");
        for p in &parts {
            well_formed(p);
            assert!(
                !plain_text(p).trim().is_empty(),
                "blank part of {html:?}: {parts:?}"
            );
        }
    }
    for blank in ["<b></b>", " \n ", "<b> </b>\n<i>\n</i>", "&#32;"] {
        assert!(split_html(blank, 4096).is_empty(), "{blank:?}");
    }
}

#[test]
fn a_match_span_that_ends_before_it_starts_is_not_highlighted() {
    // Spans come with stored alerts; a backwards one used to panic the renderer.
    let mut a = alert();
    a.matched[0].span = (5, 2);
    let html = alert_html(&a, None, &Locale::DEFAULT);
    well_formed(&html);
    assert!(html.contains("OpenAI is"), "{html}");
}

#[test]
fn a_numeric_entity_beyond_the_bmp_counts_as_two_characters() {
    // Telegram counts UTF-16 units: 😀 is two, written as a character or as an entity.
    assert_eq!(visible_len("😀"), 2);
    assert_eq!(visible_len("&#128512;"), 2);
    assert_eq!(visible_len("&#x1F600;&amp;"), 3);
    let parts = split_html(&"&#128512;".repeat(40), 40);
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(parts.iter().all(|p| visible_len(p) <= 40));
}

#[test]
fn shortened_text_fits_as_telegram_counts_and_says_it_was_cut() {
    assert_eq!(shorten("short", 10), "short");
    assert_eq!(shorten("exactly ten", 11), "exactly ten");
    // Cut at a space near the end, the ellipsis within the limit.
    assert_eq!(
        shorten("Nvidia falls after the report", 20),
        "Nvidia falls after…"
    );
    // Without a space near the end, cut where the limit falls.
    assert_eq!(shorten("Supercalifragilistic", 10), "Supercali…");
    // A character outside the BMP counts twice, and is never split.
    let emoji = "📉".repeat(10);
    let cut = shorten(&emoji, 7);
    assert_eq!(cut, "📉📉📉…");
    assert!(cut.encode_utf16().count() <= 7);
}

#[test]
fn a_threshold_with_decimals_reads_the_german_way_in_a_german_chat() {
    let mut a = alert();
    let p = a.price.as_mut().unwrap();
    p.threshold = "<= -2.5%".into();
    p.condition = "change vs previous close (2026-01-30) <= -2.5%".into();
    let de = Locale {
        lang: Lang::De,
        tz: chrono_tz::Europe::Berlin,
    };
    for html in [alert_html(&a, None, &de), why_html(&a, &de)] {
        assert!(
            html.contains("Vortagesschluss (30.01.2026) &lt;= -2,5%"),
            "{html}"
        );
        assert!(!html.contains("2.5"), "{html}");
    }
    // English chats keep the point.
    assert!(why_html(&a, &Locale::DEFAULT).contains("&lt;= -2.5%"));
}

#[test]
fn a_correlation_window_under_an_hour_is_told_in_minutes() {
    let mut a = alert();
    let de = Locale {
        lang: Lang::De,
        tz: chrono_tz::Europe::Berlin,
    };
    a.within_secs = 120;
    assert!(why_html(&a, &Locale::DEFAULT).ends_with("Window: ±2 min"));
    assert!(why_html(&a, &de).ends_with("Zeitfenster: ±2 Min."));
    a.within_secs = 600;
    assert!(why_html(&a, &Locale::DEFAULT).ends_with("Window: ±10 min"));
    a.within_secs = 5400;
    assert!(why_html(&a, &de).ends_with("Zeitfenster: ±1,5 h"));
    a.within_secs = 86400;
    assert!(why_html(&a, &Locale::DEFAULT).ends_with("Window: ±24 h"));
}
