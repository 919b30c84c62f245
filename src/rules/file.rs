//! Rule and lexicon files as written: the raw TOML shapes, and the problems found in them.
//!
//! Everything here is parsing; turning the raw form into compiled rules happens in
//! [`super::compile`]. Values whose position matters for an error message are kept as
//! [`Spanned`], so every problem can point at `file:line:col`.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, Deserializer};

pub use crate::problem::{Excerpt, IndexedFile, Located, Problem, SourceFile, line_col};

use super::matcher::Field;
use super::price::Reference;

/// How much a rule matters to its subscribers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Background information.
    Info,
    /// Worth a look.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Act now.
    High,
}

impl Severity {
    /// Whether alerts of this severity are delivered without a notification sound.
    pub fn is_quiet(self) -> bool {
        matches!(self, Severity::Info | Severity::Low)
    }
}

/// Whether the text and price parts of a correlated rule must come in a given order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Either order.
    #[default]
    Any,
    /// The headline first, then the price move.
    TextFirst,
    /// The price move first, then the headline.
    PriceFirst,
}

/// A rule as written, with the part of its file that defines it.
pub struct WrittenRule {
    /// The rule.
    pub raw: RawRule,
    /// Where in the file the spans of `raw` count from: 0, or the start of the rule's entry
    /// when the entry was parsed on its own.
    pub offset: usize,
    /// The bytes of the file that define the rule: the whole file when it holds one rule, its
    /// own `[[rule]]` entry (from its header to the next one, trailing blank lines left out)
    /// when it holds several. A rule's identity on reload is a hash of this text, so editing
    /// one entry of a file does not make the others count as changed.
    pub definition: Range<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManyRules {
    rule: Vec<Spanned<RawRule>>,
}

/// Parses a rule file — one rule at the top level, or several as `[[rule]]` entries — and
/// hands each rule to `each` as soon as it is parsed. On error, the rules handed over so far
/// are to be dropped: a file that does not parse counts only as its first problem.
///
/// Entries are parsed one at a time, each from its `[[rule]]` line to the next, as if each
/// were a file of its own: TOML's parser turns a whole text into tokens and events before it
/// builds its tree, so one document of thousands of rules costs several times the text's size
/// in memory and parses slower than the same rules in separate files. Where cutting at those
/// lines is not certain to be right — text other than comments before the first, or an entry
/// that does not parse (a `[[rule]]` line inside a multi-line string leaves the part before it
/// unterminated) — the rest of the file is parsed as one document, from the entry that did
/// not parse on (all before it were whole entries). So what a file means, and the problem
/// reported for it, never depend on the cutting.
pub fn parse_rule_file(
    file: &SourceFile,
    mut each: impl FnMut(WrittenRule),
) -> Result<(), Problem> {
    let text = file.text.as_str();
    let starts = entry_starts(text);
    // Where the part of the file not yet parsed starts.
    let mut rest = 0;
    if starts
        .first()
        .is_some_and(|&first| DeTable::parse(&text[..first]).is_ok_and(|t| t.get_ref().is_empty()))
    {
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            let Ok(document) = DeTable::parse(&text[start..end]) else {
                break;
            };
            let Ok(rules) = entries(text, start..end, document) else {
                break;
            };
            rules.into_iter().for_each(&mut each);
            rest = end;
        }
        if rest == text.len() {
            return Ok(());
        }
    }
    let indexed = IndexedFile::new(file);
    let located = indexed.from(rest);
    let problem = |e: toml::de::Error| Problem::from_toml(&located, &e);
    let document = DeTable::parse(&text[rest..]).map_err(problem)?;
    if rest > 0 || document.get_ref().keys().any(|k| k.get_ref() == "rule") {
        entries(text, rest..text.len(), document)
            .map_err(problem)?
            .into_iter()
            .for_each(each);
    } else {
        each(WrittenRule {
            raw: RawRule::deserialize(Deserializer::from(document)).map_err(problem)?,
            offset: 0,
            definition: 0..text.len(),
        });
    }
    Ok(())
}

/// Where the lines that open a `[[rule]]` entry start (at the brackets). Entries written in
/// other ways (`[["rule"]]`, `[[ rule ]]`) stay with the entry before them.
fn entry_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let code = line.trim_start_matches([' ', '\t']);
        if code.starts_with("[[rule]]") {
            starts.push(line_start + line.len() - code.len());
        }
        line_start += line.len();
    }
    starts
}

/// The `[[rule]]` entries of `document`, parsed from `text[part]`.
fn entries(
    text: &str,
    part: Range<usize>,
    document: Spanned<DeTable<'_>>,
) -> Result<Vec<WrittenRule>, toml::de::Error> {
    let ManyRules { rule } = ManyRules::deserialize(Deserializer::from(document))?;
    // An entry's span is its `[[rule]]` header (or its inline table); nothing but the entry's
    // own tables can come between it and the next entry (a rule file has no other keys).
    let starts: Vec<usize> = rule.iter().map(|r| part.start + r.span().start).collect();
    Ok(rule
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let start = starts[i];
            let end = starts.get(i + 1).copied().unwrap_or(part.end).max(start);
            WrittenRule {
                raw: raw.into_inner(),
                offset: part.start,
                definition: start..start + text[start..end].trim_end().len(),
            }
        })
        .collect())
}

/// A rule as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Unique id, used in commands (`/subscribe ID`).
    pub id: Spanned<String>,
    /// The ids the rule had before it was renamed: the chats that followed it under one of
    /// them follow it under this one, and what the bot kept of it (mutes, cooldowns) passes on.
    #[serde(default)]
    pub formerly: Option<Spanned<Vec<Spanned<String>>>>,
    /// One line for humans.
    pub title: String,
    /// What the rule is for.
    #[serde(default)]
    pub description: String,
    /// Whether `/start` subscribes new chats to it.
    #[serde(default)]
    pub default: bool,
    /// How much it matters.
    #[serde(default)]
    pub severity: Severity,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Symbols the rule is about; empty means any symbol a headline is linked to.
    #[serde(default)]
    pub symbols: Vec<Spanned<String>>,
    /// How the selections combine.
    pub condition: Spanned<String>,
    /// Named text selections.
    #[serde(default)]
    pub text: BTreeMap<String, Spanned<RawText>>,
    /// Named price selections.
    #[serde(default)]
    pub price: BTreeMap<String, Spanned<RawPrice>>,
    /// How text and price parts pair up in time.
    #[serde(default)]
    pub correlate: RawCorrelate,
    /// Repeat suppression.
    #[serde(default)]
    pub noise: RawNoise,
    /// How the alert reads.
    #[serde(default)]
    pub message: Option<RawMessage>,
    /// Examples the rule must get right (`marketbot test`).
    #[serde(default)]
    pub tests: Option<RawTests>,
}

/// `[message]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMessage {
    /// Telegram HTML with `{placeholders}`; values are escaped, the literal text is not.
    pub template: Spanned<String>,
}

/// `[tests]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTests {
    /// Headlines whose text part must hold (alone, or waiting for the price part).
    #[serde(default, rename = "match")]
    pub matching: Vec<Spanned<String>>,
    /// Headlines that must not satisfy the text part.
    #[serde(default)]
    pub no_match: Vec<Spanned<String>>,
    /// Headlines and prices replayed through the engine, with the alerts expected.
    #[serde(default)]
    pub scenario: Vec<Spanned<RawScenario>>,
}

/// One `[[tests.scenario]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// What it shows.
    pub name: String,
    /// Bars in the replay CSV format (`symbol,time,interval,open,high,low,close,volume[,session]`).
    #[serde(default)]
    pub bars: Option<Spanned<String>>,
    /// A CSV file of more bars, relative to the rule file (for long histories).
    #[serde(default)]
    pub bars_file: Option<String>,
    /// Headlines, each with at least `published` and `title`.
    #[serde(default)]
    pub headlines: Vec<crate::model::Headline>,
    /// How many alerts the rule must fire.
    pub alerts: usize,
    /// Text the first alert's message must contain.
    #[serde(default)]
    pub contains: Vec<String>,
}

/// A text selection as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawText {
    /// At least one of these terms.
    #[serde(default)]
    pub any: Vec<Spanned<String>>,
    /// Every one of these terms.
    #[serde(default)]
    pub all: Vec<Spanned<String>>,
    /// None of these terms.
    #[serde(default)]
    pub none: Vec<Spanned<String>>,
    /// Linear-time regular expressions on the text as published; one must match.
    #[serde(default)]
    pub regex: Vec<Spanned<String>>,
    /// Where to look: `title` (default), `summary`, `source`, or several as a list.
    #[serde(default)]
    pub field: Option<FieldChoice>,
}

/// `field = "title"` or `field = ["title", "summary"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum FieldChoice {
    /// One field.
    One(Field),
    /// Several fields.
    Many(Vec<Field>),
}

/// A price selection as written: exactly one of `change`, `crosses`, `gap`, `volume`,
/// `new_high`, `new_low`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    /// Threshold on the percentage change, e.g. `<= -2%`.
    #[serde(default)]
    pub change: Option<Spanned<String>>,
    /// What `change` is measured against (default `previous_close`).
    #[serde(default)]
    pub from: Option<Spanned<Reference>>,
    /// The rolling window for `from = "window"`, e.g. `60m`.
    #[serde(default)]
    pub window: Option<Spanned<String>>,
    /// A level crossed: `below 180` or `above 200`.
    #[serde(default)]
    pub crosses: Option<Spanned<String>>,
    /// Threshold on the opening gap against the previous close, e.g. `<= -3%`.
    #[serde(default)]
    pub gap: Option<Spanned<String>>,
    /// Threshold on today's volume against its average pace, e.g. `>= 3x`.
    #[serde(default)]
    pub volume: Option<Spanned<String>>,
    /// Trading days the volume average spans (default 20).
    #[serde(default)]
    pub average_days: Option<Spanned<u32>>,
    /// A new high over this many trading days (`20d`) or weeks (`52w`).
    #[serde(default)]
    pub new_high: Option<Spanned<String>>,
    /// A new low over this many trading days (`20d`) or weeks (`52w`).
    #[serde(default)]
    pub new_low: Option<Spanned<String>>,
    /// Which prices count: `any` (default), `regular`, `extended`, `pre`, `post`.
    #[serde(default)]
    pub session: Option<Spanned<String>>,
    /// Prices older than this while the market trades are stale (default 30m).
    #[serde(default)]
    pub max_age: Option<Spanned<String>>,
}

/// `[correlate]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelate {
    /// Maximum time between the text and the price part (default 24h).
    #[serde(default)]
    pub within: Option<Spanned<String>>,
    /// Required order of the parts.
    #[serde(default)]
    pub order: Order,
    /// Which of the rule's symbols a headline concerns.
    #[serde(default)]
    pub scope: Scope,
}

/// Which symbols a matching headline concerns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The symbols the headline is linked to (by its feed or the companies it names).
    #[default]
    Linked,
    /// All of the rule's symbols: sector news (export rules, rates) that can move any of them.
    All,
}

/// `[noise]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNoise {
    /// No second alert for the same rule and symbol within this span (default 24h).
    #[serde(default)]
    pub cooldown: Option<Spanned<String>>,
    /// At most one alert per symbol and trading day.
    #[serde(default)]
    pub once_per_day: bool,
    /// The rule stops firing after this date (`2026-06-30`).
    #[serde(default)]
    pub expires: Option<Spanned<toml::value::Datetime>>,
}

/// A lexicon file: named entities and concepts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLexicon {
    /// Companies and organisations, with the names headlines use for them.
    #[serde(default)]
    pub entity: BTreeMap<String, Spanned<RawEntity>>,
    /// Ideas expressed by many words, per language.
    #[serde(default)]
    pub concept: BTreeMap<String, Spanned<RawConcept>>,
}

/// An entity as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntity {
    /// The ticker symbol headlines naming this entity are linked to, if listed.
    #[serde(default)]
    pub symbol: Option<Spanned<String>>,
    /// Names and descriptions that refer to it, in any language.
    pub aliases: Vec<Spanned<String>>,
    /// What it is, for readers of the file.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: String,
}

/// A concept as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConcept {
    /// English terms.
    #[serde(default)]
    pub en: Vec<Spanned<String>>,
    /// German terms.
    #[serde(default)]
    pub de: Vec<Spanned<String>>,
    /// Terms in any language (names, references to other entries).
    #[serde(default)]
    pub terms: Vec<Spanned<String>>,
    /// What it means, for readers of the file.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: String,
}

/// Parses a lexicon file.
pub fn parse_lexicon_file(file: &SourceFile) -> Result<RawLexicon, Problem> {
    toml::from_str(&file.text).map_err(|e| Problem::from_toml(file, &e))
}

/// Parses `30m`, `24h`, `2d` into a duration.
pub fn parse_duration(
    file: &impl Located,
    value: &Spanned<String>,
) -> Result<std::time::Duration, Problem> {
    let d = humantime::parse_duration(value.get_ref().trim()).map_err(|_| {
        Problem::at(
            file,
            value.span(),
            format!("`{}` is not a duration", value.get_ref()),
            Some("write a number and a unit, e.g. `30m`, `24h` or `2d`".into()),
        )
    })?;
    // Spans, cooldowns and windows longer than this mean nothing for market news, and time
    // arithmetic on them could overflow.
    if d > MAX_DURATION {
        return Err(Problem::at(
            file,
            value.span(),
            format!("`{}` is too long (at most 400 days)", value.get_ref()),
            None,
        ));
    }
    Ok(d)
}

/// The longest duration a rule may use.
const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(400 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile {
            path: "rules/x.toml".into(),
            text: text.into(),
        }
    }

    #[test]
    fn unknown_keys_are_located_and_get_a_suggestion() {
        let f = file("id = \"a\"\ntitle = \"t\"\ncondition = \"x\"\ncooldwn = \"1h\"\n");
        let Err(p) = parse_rule_file(&f, |_| {}) else {
            panic!("must fail")
        };
        assert_eq!((p.line, p.col), (4, 1));
        assert!(
            p.message.contains("unknown field `cooldwn`"),
            "{}",
            p.message
        );
        let f = file("id = \"a\"\ntitle = \"t\"\ncondition = \"x\"\n[text.a]\nanny = [\"x\"]\n");
        let Err(p) = parse_rule_file(&f, |_| {}) else {
            panic!("must fail")
        };
        assert_eq!(p.line, 5);
        assert_eq!(p.hint.as_deref(), Some("did you mean `any`?"));
    }

    #[test]
    fn absurd_durations_are_refused() {
        // Regression: `300000years` compiled and then overflowed date arithmetic at runtime.
        let f = file("x = 1");
        let p = parse_duration(&f, &Spanned::new(0..5, "300000years".to_string())).unwrap_err();
        assert!(p.message.contains("too long"));
        assert!(parse_duration(&f, &Spanned::new(0..5, "400days".to_string())).is_ok());
    }

    #[test]
    fn syntax_errors_are_located() {
        let f = file("id = \"a\"\ntitle = \n");
        let Err(p) = parse_rule_file(&f, |_| {}) else {
            panic!("must fail")
        };
        assert_eq!(p.line, 2);
    }

    fn definitions(f: &SourceFile) -> Vec<(String, &str)> {
        let mut rules = Vec::new();
        parse_rule_file(f, |r| rules.push(r)).expect("must parse");
        rules
            .into_iter()
            .map(|r| (r.raw.id.into_inner(), &f.text[r.definition]))
            .collect()
    }

    #[test]
    fn a_file_of_one_rule_is_its_definition() {
        let one = file("# Acme\nid = \"a\"\ntitle = \"t\"\ncondition = \"x\"\n\n");
        assert_eq!(definitions(&one), [("a".to_string(), one.text.as_str())]);
    }

    #[test]
    fn each_entry_of_a_file_of_many_rules_is_its_own_definition() {
        let entry_a = "[[rule]]\nid = \"a\"\ntitle = \"t\"\ncondition = \"x\"\n[rule.text.x]\nany = [\"w\"]\n[[rule.tests.scenario]]\nname = \"s\"\nalerts = 0";
        let entry_b = "[[rule]]\nid = \"b\"\ntitle = \"t\"\ncondition = \"x\"";
        let many = file(&format!("{entry_a}\n\n{entry_b}\n"));
        assert_eq!(
            definitions(&many),
            [("a".to_string(), entry_a), ("b".to_string(), entry_b)]
        );
        let inline = file("rule = [{ id = \"a\", title = \"t\", condition = \"x\" }]\n");
        assert_eq!(
            definitions(&inline)[0].1,
            "{ id = \"a\", title = \"t\", condition = \"x\" }]"
        );
    }

    #[test]
    fn a_rule_line_inside_a_multi_line_string_does_not_cut_the_file() {
        let entry = |id: &str, template: &str| {
            format!(
                "[[rule]]\nid = \"{id}\"\ntitle = \"t\"\ncondition = \"x\"\n[rule.message]\ntemplate = \"\"\"{template}\"\"\""
            )
        };
        let (a, b, c) = (
            entry("a", "plain"),
            entry("b", "\n[[rule]]\nid = \"not a rule\"\n"),
            entry("c", "plain"),
        );
        // In the first entry (the file is parsed whole) and in a later one (the rest is).
        for entries in [vec![&b, &c], vec![&a, &b, &c]] {
            let f = file(
                &(entries
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
                    + "\n"),
            );
            let mut rules = Vec::new();
            parse_rule_file(&f, |r| rules.push(r)).expect("must parse");
            let b = rules.iter().find(|r| r.raw.id.get_ref() == "b").expect("b");
            let template = b.raw.message.as_ref().expect("message").template.get_ref();
            assert!(template.contains("[[rule]]"), "{template}");
            let defined: Vec<&str> = rules
                .iter()
                .map(|r| &f.text[r.definition.clone()])
                .collect();
            assert_eq!(defined, entries);
        }
    }

    /// The problem the file gets when parsed as one document.
    fn parsed_whole(f: &SourceFile) -> Problem {
        let e = toml::from_str::<ManyRules>(&f.text)
            .err()
            .expect("must fail");
        Problem::from_toml(f, &e)
    }

    #[test]
    fn cutting_a_file_at_its_entries_never_changes_the_problem_reported() {
        let ok = "[[rule]]\nid = \"a\"\ntitle = \"t\"\ncondition = \"x\"\n";
        for text in [
            // A syntax error in a later entry.
            format!("{ok}{ok}[[rule]]\nid = \"c\"\ntitle = \n"),
            // An unknown key in the first entry, a syntax error in the last: TOML reports
            // the syntax error.
            format!("[[rule]]\nid = \"a\"\ntitel = \"t\"\n{ok}[[rule]]\nid = \"\\q\"\n"),
            // The same table twice in one entry.
            format!("{ok}[rule.text.x]\nany = [\"a\"]\n[rule.text.x]\nany = [\"b\"]\n{ok}"),
            // A table that is not part of any rule, between entries.
            format!("{ok}[other]\nx = 1\n{ok}"),
            // A key before the first entry.
            format!("title = \"t\"\n{ok}{ok}"),
        ] {
            let f = file(&text);
            let Err(p) = parse_rule_file(&f, |_| {}) else {
                panic!("must fail: {text}")
            };
            assert_eq!(p, parsed_whole(&f), "{text}");
        }
    }

    #[test]
    fn problems_in_entries_are_located() {
        let f = file(
            "[[rule]]\nid = \"a\"\ntitle = \"t\"\ncondition = \"x\"\n[[rule]]\nid = \"b\"\ntitel = \"t\"\n",
        );
        let Err(p) = parse_rule_file(&f, |_| {}) else {
            panic!("must fail")
        };
        assert_eq!((p.line, p.col), (7, 1));
        assert_eq!(p.hint.as_deref(), Some("did you mean `title`?"));
    }
}
