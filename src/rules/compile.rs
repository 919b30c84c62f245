//! Turning rule and lexicon files into a [`RuleSet`]: the one place where raw files become
//! compiled rules. Every problem is collected, not just the first.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use toml::Spanned;

use super::file::{
    self, Excerpt, FieldChoice, IndexedFile, Located, RawLexicon, RawPrice, RawRule, RawScenario,
};
use super::lexicon::Lexicon;
use super::pair::{Pair, misspelt_pair, split_pair};
use super::price::{self, Direction, PriceCheck, PriceKind, Reference, SessionFilter, Threshold};
use super::template::Template;
use super::term::Term;
use super::{
    Expr, Field, FormerId, Item, Problem, Rule, RuleSet, RuleTests, Selection, SelectionKind,
    SourceFile, TermId, TextSelection, Tri, condition,
};

/// Largest compiled size of a rule's regular expression.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Distinct terms of the whole set, interned.
#[derive(Default)]
pub(super) struct TermTable {
    pub(super) terms: Vec<Term>,
    index: HashMap<Term, TermId>,
    /// Terms by the text they were parsed from: the same words are written in many rules (a
    /// company's names, `denies`), and normalising and stemming them once is enough.
    written: HashMap<String, TermId>,
    pub(super) symbols: Vec<Vec<String>>,
}

impl TermTable {
    fn intern(&mut self, term: Term) -> TermId {
        if let Some(id) = self.index.get(&term) {
            return *id;
        }
        let id = self.terms.len();
        self.index.insert(term.clone(), id);
        self.terms.push(term);
        self.symbols.push(Vec::new());
        id
    }

    /// The term written as `text`, parsed the first time it is seen; the reason when it is
    /// not a valid term (not remembered: every place it is written gets its problem).
    fn parse(&mut self, text: &str) -> Result<TermId, String> {
        if let Some(id) = self.written.get(text) {
            return Ok(*id);
        }
        let id = self.intern(Term::parse(text)?);
        self.written.insert(text.to_string(), id);
        Ok(id)
    }
}

/// Compiles rule and lexicon sources into a rule set, or returns every problem found.
pub fn compile(
    rule_files: Vec<SourceFile>,
    lexicon_files: Vec<SourceFile>,
) -> Result<RuleSet, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut lexicon = Lexicon::default();
    for file in lexicon_files {
        match file::parse_lexicon_file(&file) {
            Ok(raw) => lexicon.add(file, raw, &mut problems),
            Err(p) => {
                problems.push(p);
                lexicon.add(file, RawLexicon::default(), &mut problems);
            }
        }
    }
    lexicon.check_all(&mut problems);

    let mut terms = TermTable::default();
    // Entity aliases go into the same automaton: linking costs no extra pass.
    for (symbol, aliases) in lexicon.symbol_aliases(&mut Vec::new()) {
        for alias in aliases {
            if let Ok(id) = terms.parse(&alias.text)
                && !terms.symbols[id].contains(&symbol)
            {
                terms.symbols[id].push(symbol.clone());
            }
        }
    }

    let mut rules: Vec<Rule> = Vec::new();
    let mut ids: HashMap<String, Arc<Path>> = HashMap::new();
    // Each id a rule names in `formerly`, with that rule's id and file: an old id passes on
    // to one rule, and never while a rule of that id is in force.
    let mut formers: HashMap<String, (String, Arc<Path>)> = HashMap::new();
    let mut regexes = Regexes::default();
    for source in &rule_files {
        let file = IndexedFile::new(source);
        // One path for all the rules of a file.
        let path: Arc<Path> = Arc::from(source.path.as_path());
        let (rules_before, problems_before) = (rules.len(), problems.len());
        let mut ids_here = Vec::new();
        let mut formers_here = Vec::new();
        // Each rule is compiled as soon as it is parsed: the raw form of a file's rules is
        // never held all at once.
        let parsed = file::parse_rule_file(source, |rule| {
            let excerpt = file.from(rule.offset);
            let id_span = rule.raw.id.span();
            let id = rule.raw.id.get_ref().trim().to_string();
            if let Some(prev) = ids.get(&id) {
                problems.push(Problem::at(
                    &excerpt,
                    id_span,
                    format!("rule id `{id}` is used twice"),
                    Some(format!(
                        "the other rule with this id is in {}",
                        prev.display()
                    )),
                ));
                return;
            }
            if let Some((renamed, prev)) = formers.get(&id) {
                problems.push(Problem::at(
                    &excerpt,
                    id_span.clone(),
                    format!(
                        "rule id `{id}` is named in `formerly` of rule `{renamed}` ({})",
                        prev.display()
                    ),
                    Some(format!(
                        "an old id passes to the renamed rule only once no rule has it: remove \
                         this rule, give it another id, or take `{id}` out of `formerly` of \
                         `{renamed}`"
                    )),
                ));
            }
            for former in rule.raw.formerly.iter().flat_map(|f| f.get_ref()) {
                let old = former.get_ref().trim();
                if old == id || !valid_id(old) {
                    // Said where the rule is compiled.
                    continue;
                }
                if let Some(prev) = ids.get(old) {
                    problems.push(Problem::at(
                        &excerpt,
                        former.span(),
                        format!(
                            "`{old}` in `formerly` is the id of a rule in force ({})",
                            prev.display()
                        ),
                        Some(format!(
                            "an old id passes to the renamed rule only once no rule has it: \
                             remove or rename the rule `{old}`, or take `{old}` out of `formerly`"
                        )),
                    ));
                } else if let Some((other, prev)) =
                    formers.get(old).filter(|(other, _)| *other != id)
                {
                    problems.push(Problem::at(
                        &excerpt,
                        former.span(),
                        format!(
                            "`{old}` is named in `formerly` of rule `{other}` too ({})",
                            prev.display()
                        ),
                        Some(format!(
                            "the chats that followed `{old}` can follow one rule in its place: \
                             take `{old}` out of one of the two"
                        )),
                    ));
                } else if !formers.contains_key(old) {
                    formers.insert(old.to_string(), (id.clone(), Arc::clone(&path)));
                    formers_here.push(old.to_string());
                }
            }
            ids.insert(id.clone(), Arc::clone(&path));
            ids_here.push(id);
            let shared = Shared {
                lexicon: &lexicon,
                terms: &mut terms,
                regexes: &mut regexes,
            };
            let text = &file.text()[rule.definition.clone()];
            let defined = Defined {
                path: &path,
                fingerprint: xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
                text,
                at: rule.definition.start - rule.offset,
            };
            if let Some(rule) = compile_rule(&excerpt, rule.raw, defined, shared, &mut problems) {
                rules.push(rule);
            }
        });
        if let Err(p) = parsed {
            // A file that does not parse is that one problem: what its rules compiled to
            // before the error is forgotten (the set fails anyway), and their ids are free.
            rules.truncate(rules_before);
            problems.truncate(problems_before);
            for id in ids_here {
                ids.remove(&id);
            }
            for old in formers_here {
                formers.remove(&old);
            }
            problems.push(p);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RuleSet::new(rules, terms))
}

/// Regular expressions of the whole set by pattern: a pattern written in many rules is
/// compiled once and shared (a compiled expression costs tens of kilobytes, and a clone still
/// keeps its own cache).
type Regexes = HashMap<String, Arc<regex::Regex>>;

/// Where a rule is defined: its file, and the identity of its definition.
struct Defined<'a> {
    path: &'a Arc<Path>,
    fingerprint: u64,
    /// The text that defines it (see [`file::WrittenRule::definition`]).
    text: &'a str,
    /// Where `text` starts, counted as the rule's spans are.
    at: usize,
}

/// What the rules of a set share while they compile.
struct Shared<'a> {
    lexicon: &'a Lexicon,
    terms: &'a mut TermTable,
    regexes: &'a mut Regexes,
}

/// Longest rule id: `/rules` buttons carry `t:ID` in Telegram's 64 bytes of callback data.
pub const MAX_ID: usize = 60;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Compiles one rule; `None` (with problems pushed) when it has errors.
fn compile_rule(
    file: &Excerpt,
    raw: RawRule,
    defined: Defined,
    shared: Shared,
    problems: &mut Vec<Problem>,
) -> Option<Rule> {
    let Shared {
        lexicon,
        terms,
        regexes,
    } = shared;
    let before = problems.len();
    let id = raw.id.get_ref().trim().to_string();
    if !valid_id(&id) {
        problems.push(Problem::at(
            file,
            raw.id.span(),
            format!("`{id}` is not a valid rule id"),
            Some("use lower-case letters, digits and `-`, e.g. `nvda-export-curbs` (at most 60 characters: the id travels in Telegram button data)".into()),
        ));
    }
    let mut formerly: Vec<FormerId> = Vec::new();
    let written_formerly = raw.formerly.as_ref();
    for former in written_formerly.iter().flat_map(|f| f.get_ref()) {
        let old = former.get_ref().trim();
        let problem = if !valid_id(old) {
            Some((
                format!("`{old}` in `formerly` is not a valid rule id"),
                "write the id the rule had: lower-case letters, digits and `-`",
            ))
        } else if old == id {
            Some((
                format!("`{old}` in `formerly` is this rule's own id"),
                "`formerly` names the ids the rule had before it was renamed",
            ))
        } else if formerly.iter().any(|f| f.id == old) {
            Some((
                format!("`{old}` is named twice in `formerly`"),
                "name each old id once",
            ))
        } else {
            None
        };
        match problem {
            Some((message, hint)) => {
                problems.push(Problem::at(file, former.span(), message, Some(hint.into())))
            }
            None => formerly.push(FormerId {
                id: old.to_string(),
                fingerprint: written_formerly
                    .and_then(|f| former_fingerprint(&defined, &raw.id, f.span(), old)),
            }),
        }
    }
    let mut symbols = Vec::new();
    for s in &raw.symbols {
        if let Some(sym) = crate::model::symbol(s.get_ref()) {
            symbols.push(sym);
        } else {
            problems.push(Problem::at(
                file,
                s.span(),
                format!("`{}` is not a ticker symbol", s.get_ref()),
                Some("write it as Yahoo does, e.g. `NVDA` or `SAP.DE`".into()),
            ));
        }
    }

    // Every selection name as written, in the order selections are compiled below: the
    // condition resolves against these even when a selection failed to compile, so one
    // mistake is reported once, not again as "undefined selection".
    let names: Vec<String> = raw.text.keys().chain(raw.price.keys()).cloned().collect();
    let mut selections = Vec::new();
    for (name, text) in raw.text {
        let span = text.span();
        let text = text.into_inner();
        let mut list =
            |written: &[Spanned<String>]| compile_items(file, written, lexicon, terms, problems);
        let any = list(&text.any);
        let all = list(&text.all);
        let none = list(&text.none);
        let mut compiled = Vec::new();
        for r in &text.regex {
            if let Some(re) = regexes.get(r.get_ref()) {
                compiled.push(Arc::clone(re));
                continue;
            }
            match regex::RegexBuilder::new(r.get_ref())
                .case_insensitive(true)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(4 * REGEX_SIZE_LIMIT)
                .build()
            {
                Ok(re) => {
                    let re = Arc::new(re);
                    regexes.insert(r.get_ref().clone(), Arc::clone(&re));
                    compiled.push(re);
                }
                Err(regex::Error::CompiledTooBig(limit)) => problems.push(Problem::at(
                    file,
                    r.span(),
                    format!("regular expression is too large (compiled size over {limit} bytes)"),
                    Some("use terms, `stem*` or a shorter pattern".into()),
                )),
                Err(e) => {
                    // The parser's message ends with the reason ("error: unclosed group").
                    let text = e.to_string();
                    let reason = text.rsplit("error:").next().unwrap_or(&text).trim();
                    problems.push(Problem::at(
                        file,
                        r.span(),
                        format!("invalid regular expression: {}", one_line(reason)),
                        None,
                    ))
                }
            }
        }
        if text.any.is_empty()
            && text.all.is_empty()
            && text.none.is_empty()
            && text.regex.is_empty()
        {
            problems.push(Problem::at(
                file,
                span,
                format!("text selection `{name}` has no terms"),
                Some(
                    "give it `any = [...]`, `all = [...]`, `none = [...]` or `regex = [...]`"
                        .into(),
                ),
            ));
        }
        let fields: Box<[Field]> = match text.field {
            None => Box::new([Field::Title]),
            Some(FieldChoice::One(f)) => Box::new([f]),
            Some(FieldChoice::Many(fs)) if fs.is_empty() => Box::new([Field::Title]),
            Some(FieldChoice::Many(fs)) => fs.into(),
        };
        selections.push(Selection {
            name,
            kind: SelectionKind::Text(TextSelection {
                any,
                all,
                none,
                regexes: compiled.into(),
                fields,
            }),
        });
    }
    for (name, price) in raw.price {
        let span = price.span();
        if selections.iter().any(|s: &Selection| s.name == name) {
            problems.push(Problem::at(
                file,
                span,
                format!("`{name}` is both a text and a price selection"),
                Some("give one of them another name".into()),
            ));
            continue;
        }
        if let Some(check) = compile_price(file, &name, price.into_inner(), span, problems) {
            selections.push(Selection {
                name,
                kind: SelectionKind::Price(check),
            });
        }
    }

    let cond_src = raw.condition.get_ref();
    let cond_span = raw.condition.span();
    let cond_start = text_start(file, &raw.condition);
    let condition = match condition::parse(cond_src, &|n| names.iter().position(|k| k == n), &names)
    {
        Ok(e) => Some(e),
        Err(e) => {
            problems.push(Problem::at(
                file,
                cond_start + e.span.0..cond_start + e.span.1,
                e.message,
                e.hint,
            ));
            None
        }
    };
    // (Only when every selection compiled: the condition's indices are the names'.)
    if let Some(cond) = &condition
        && selections.len() == names.len()
        && let Some(problem) = never_with_a_move(cond, &selections)
    {
        problems.push(Problem::at(
            file,
            cond_span.clone(),
            problem,
            Some(
                "name a move that must happen (`news and drop`); `not` suits a price \
                 selection beside one that holds (`news and drop and not surge`)"
                    .into(),
            ),
        ));
    }
    if let Some(cond) = &condition {
        let mut used = Vec::new();
        cond.selections(&mut used);
        for (i, s) in selections.iter().enumerate() {
            if !used.contains(&i) {
                problems.push(Problem::at(
                    file,
                    cond_span.clone(),
                    format!(
                        "selection `{}` is defined but not used in the condition",
                        s.name
                    ),
                    Some("use it in `condition` or remove it".into()),
                ));
            }
        }
    }

    let duration =
        |value: &Option<Spanned<String>>, default: u64, problems: &mut Vec<Problem>| match value {
            Some(v) => file::parse_duration(file, v).unwrap_or_else(|p| {
                problems.push(p);
                Duration::ZERO
            }),
            None => Duration::from_secs(default),
        };
    let within = duration(&raw.correlate.within, 24 * 3600, problems);
    let cooldown = duration(&raw.noise.cooldown, 24 * 3600, problems);
    let expires = raw
        .noise
        .expires
        .as_ref()
        .and_then(|e| match e.get_ref().date {
            Some(d) if e.get_ref().time.is_none() => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            _ => {
                problems.push(Problem::at(
                    file,
                    e.span(),
                    "`expires` must be a date like 2026-06-30",
                    None,
                ));
                None
            }
        });
    let template = raw.message.as_ref().and_then(|m| {
        let src = m.template.get_ref();
        let start = text_start(file, &m.template);
        match Template::parse(src) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(Problem::at(
                    file,
                    start + e.span.0..start + e.span.1,
                    e.message,
                    e.hint,
                ));
                None
            }
        }
    });
    // A scenario's bars are read when `test` runs it; one it cannot read is a problem of
    // the file, at its line.
    for scenario in raw.tests.iter().flat_map(|t| &t.scenario) {
        let Some(bars) = &scenario.get_ref().bars else {
            continue;
        };
        if let Err(e) = crate::replay::parse_bars_csv(bars.get_ref()) {
            problems.push(Problem::at(
                file,
                csv_line_span(file.text(), bars.span(), e.line),
                format!("scenario bars, line {}: {}", e.line, e.message),
                Some("bars are `symbol,time,interval,open,high,low,close,volume[,session]`".into()),
            ));
        }
    }
    // Kept only when written: most rules of a big set have no examples.
    let tests = raw
        .tests
        .filter(|t| !(t.matching.is_empty() && t.no_match.is_empty() && t.scenario.is_empty()))
        .map(|t| {
            Box::new(RuleTests {
                matching: t.matching.into_iter().map(Spanned::into_inner).collect(),
                no_match: t.no_match.into_iter().map(Spanned::into_inner).collect(),
                scenarios: t
                    .scenario
                    .into_iter()
                    .map(|s| {
                        (
                            file.line_col(file.offset() + s.span().start).0,
                            s.into_inner(),
                        )
                    })
                    .collect::<Vec<(usize, RawScenario)>>(),
            })
        });

    if problems.len() > before {
        return None;
    }
    // A compiled rule lives until the next reload and its lists never grow: no spare room
    // (a list that grew by pushing has up to twice the room it needs, four entries at least).
    let mut tags = raw.tags;
    tags.shrink_to_fit();
    symbols.shrink_to_fit();
    Some(Rule {
        id,
        formerly: formerly.into(),
        title: raw.title,
        description: raw.description,
        default: raw.default,
        severity: raw.severity,
        tags,
        symbols,
        selections: selections.into(),
        condition: condition?,
        within,
        order: raw.correlate.order,
        scope: raw.correlate.scope,
        cooldown,
        once_per_day: raw.noise.once_per_day,
        expires,
        template,
        tests,
        path: Arc::clone(defined.path),
        fingerprint: defined.fingerprint,
    })
}

/// The fingerprint a rule's definition had under the id `former`, if renaming it changed
/// nothing else: its text with the lines of `formerly` (at `formerly`, counted as the rule's
/// spans are) taken out, and `former` written in place of the id. `None` when the text does
/// not tell: the id on a line of `formerly`, or written with escapes.
fn former_fingerprint(
    defined: &Defined,
    id: &Spanned<String>,
    formerly: std::ops::Range<usize>,
    former: &str,
) -> Option<u64> {
    let text = defined.text;
    let within = |at: usize| at.checked_sub(defined.at).filter(|&at| at <= text.len());
    let (from, to) = (within(formerly.start)?, within(formerly.end)?);
    // The whole lines `formerly` is written on, with their line break.
    let mut start = text[..from].rfind('\n').map_or(0, |i| i + 1);
    let end = text[to..].find('\n').map_or(text.len(), |i| to + i + 1);
    if !text[start..end].ends_with('\n') {
        // The last line of a definition without a line break of its own: the one before
        // it goes instead.
        start -= usize::from(text[..start].ends_with('\n'));
        start -= usize::from(text[..start].ends_with('\r'));
    }
    let id_span = within(id.span().start)?..within(id.span().end)?;
    let value = id_span.start + text[id_span.clone()].find(id.get_ref().as_str())?;
    let value = value..value + id.get_ref().len();
    if value.start < end && start < value.end {
        return None;
    }
    let mut edits = [(start..end, ""), (value, former)];
    edits.sort_by_key(|(r, _)| r.start);
    let mut before = String::with_capacity(text.len());
    let mut at = 0;
    for (range, with) in edits {
        before.push_str(&text[at..range.start]);
        before.push_str(with);
        at = range.end;
    }
    before.push_str(&text[at..]);
    Some(xxhash_rust::xxh3::xxh3_64(before.as_bytes()))
}

/// Why a condition with price selections can never fire, if it cannot: the price part is
/// judged when a price selection holds (a move happens), so a condition that every such
/// selection holding makes false — its price selections only ever negated (`news and not
/// rally`) — holds at no moment the bot looks. `None` for conditions that can.
fn never_with_a_move(condition: &Expr, selections: &[Selection]) -> Option<String> {
    let price: Vec<usize> = selections
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.kind, SelectionKind::Price(_)))
        .map(|(i, _)| i)
        .collect();
    let can_hold_with =
        |i: usize| condition.eval(&|j| if j == i { Tri::True } else { Tri::Unknown }) != Tri::False;
    if price.is_empty() || price.iter().any(|&i| can_hold_with(i)) {
        return None;
    }
    let names: Vec<String> = price
        .iter()
        .map(|&i| format!("`{}`", selections[i].name))
        .collect();
    Some(format!(
        "the condition never holds while {} holds, and prices are judged only when a price \
         selection holds: the rule can never fire",
        names.join(" or ")
    ))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Compiles a term list: plain terms, `@lexicon` references and pairs, `A NEAR/n B` or
/// `A BEFORE/n B` (written in the rule or inside a lexicon entry).
fn compile_items(
    file: &Excerpt,
    written: &[Spanned<String>],
    lexicon: &Lexicon,
    terms: &mut TermTable,
    problems: &mut Vec<Problem>,
) -> Box<[Item]> {
    let mut items = Vec::new();
    // What `items` holds, to keep each item once without searching the list for it.
    let mut held = std::collections::HashSet::new();
    for w in written {
        let texts: Vec<(String, Option<String>)> = if split_pair(w.get_ref()).is_some() {
            vec![(w.get_ref().clone(), None)]
        } else {
            let mut expanded = Vec::new();
            lexicon.expand(file, w, &mut expanded, problems);
            expanded.into_iter().map(|e| (e.text, e.via)).collect()
        };
        for (text, via) in texts {
            let in_lexicon = |msg: String| match &via {
                Some(v) => format!("in lexicon `@{v}`: {msg}"),
                None => msg,
            };
            if let Some(msg) = misspelt_pair(&text) {
                problems.push(Problem::at(file, w.span(), in_lexicon(msg), None));
                continue;
            }
            let item = match split_pair(&text) {
                Some(Pair {
                    order,
                    within: None,
                    ..
                }) => {
                    let keyword = order.keyword();
                    problems.push(Problem::at(
                        file,
                        w.span(),
                        in_lexicon(format!(
                            "`{text}`: {keyword} needs a distance up to 50, e.g. `{keyword}/5`"
                        )),
                        None,
                    ));
                    continue;
                }
                Some(Pair {
                    left,
                    order,
                    within: Some(within),
                    right,
                }) => {
                    let left = side_terms(file, w, left, lexicon, terms, problems);
                    let right = side_terms(file, w, right, lexicon, terms, problems);
                    if left.is_empty() || right.is_empty() {
                        continue;
                    }
                    Item::Pair {
                        left,
                        right,
                        within,
                        order,
                    }
                }
                None => match terms.parse(&text) {
                    Ok(id) => Item::Term(id),
                    Err(msg) => {
                        problems.push(Problem::at(file, w.span(), in_lexicon(msg), None));
                        continue;
                    }
                },
            };
            if held.insert(item.clone()) {
                items.push(item);
            }
        }
    }
    items.into()
}

fn side_terms(
    file: &Excerpt,
    written: &Spanned<String>,
    side: &str,
    lexicon: &Lexicon,
    terms: &mut TermTable,
    problems: &mut Vec<Problem>,
) -> Box<[TermId]> {
    let mut expanded = Vec::new();
    lexicon.expand(
        file,
        &Spanned::new(written.span(), side.to_string()),
        &mut expanded,
        problems,
    );
    let mut ids = Vec::new();
    for t in expanded {
        if split_pair(&t.text).is_some() {
            // `@entry NEAR/5 x` where the entry holds pairs: a pair cannot be one side of another.
            problems.push(Problem::at(
                file,
                written.span(),
                format!(
                    "`{}`: a pair's side must be plain terms, and `{side}` holds the pair `{}`",
                    written.get_ref(),
                    t.text
                ),
                Some("refer to an entry of plain terms on each side".into()),
            ));
            continue;
        }
        match terms.parse(&t.text) {
            Ok(id) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Err(msg) => problems.push(Problem::at(
                file,
                written.span(),
                match &t.via {
                    Some(via) => format!("in lexicon `@{via}`: {msg}"),
                    None => msg,
                },
                None,
            )),
        }
    }
    ids.into()
}

fn compile_price(
    file: &Excerpt,
    name: &str,
    p: RawPrice,
    span: std::ops::Range<usize>,
    problems: &mut Vec<Problem>,
) -> Option<PriceCheck> {
    let given: Vec<&str> = [
        ("change", p.change.is_some()),
        ("crosses", p.crosses.is_some()),
        ("gap", p.gap.is_some()),
        ("volume", p.volume.is_some()),
        ("new_high", p.new_high.is_some()),
        ("new_low", p.new_low.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    if given.len() != 1 {
        problems.push(Problem::at(
            file,
            span,
            if given.is_empty() {
                format!("price selection `{name}` says nothing to test")
            } else {
                format!("price selection `{name}` tests {} at once", given.join(" and "))
            },
            Some("give exactly one of `change`, `crosses`, `gap`, `volume`, `new_high`, `new_low`; combine selections in `condition`".into()),
        ));
        return None;
    }
    fn located(
        file: &Excerpt,
        problems: &mut Vec<Problem>,
        v: &Spanned<String>,
        r: Result<PriceKind, String>,
    ) -> Option<PriceKind> {
        match r {
            Ok(k) => Some(k),
            Err(msg) => {
                problems.push(Problem::at(file, v.span(), msg, None));
                None
            }
        }
    }
    let from = p
        .from
        .as_ref()
        .map_or(Reference::PreviousClose, |f| *f.get_ref());
    let kind = if let Some(v) = &p.change {
        let window = match (&p.window, from) {
            (Some(w), Reference::Window) => Some(
                file::parse_duration(file, w)
                    .map_err(|e| problems.push(e))
                    .ok()?,
            ),
            (None, Reference::Window) => {
                problems.push(Problem::at(
                    file,
                    span.clone(),
                    format!("`{name}` measures from a window but gives no `window`"),
                    Some("add e.g. `window = \"60m\"`".into()),
                ));
                return None;
            }
            (Some(w), _) => {
                problems.push(Problem::at(
                    file,
                    w.span(),
                    "`window` only applies with `from = \"window\"`",
                    None,
                ));
                return None;
            }
            (None, _) => None,
        };
        located(
            file,
            problems,
            v,
            Threshold::percent(v.get_ref()).map(|threshold| PriceKind::Change {
                from,
                window,
                threshold,
            }),
        )?
    } else if let Some(v) = &p.crosses {
        located(file, problems, v, parse_crossing(v.get_ref()))?
    } else if let Some(v) = &p.gap {
        located(
            file,
            problems,
            v,
            Threshold::percent(v.get_ref()).map(|threshold| PriceKind::Gap { threshold }),
        )?
    } else if let Some(v) = &p.volume {
        let days = p
            .average_days
            .as_ref()
            .map_or(20, |d| *d.get_ref() as usize);
        if !(2..=250).contains(&days) {
            problems.push(Problem::at(
                file,
                p.average_days.as_ref().map_or(span.clone(), |d| d.span()),
                "`average_days` must be between 2 and 250",
                None,
            ));
            return None;
        }
        located(
            file,
            problems,
            v,
            Threshold::ratio(v.get_ref()).map(|threshold| PriceKind::Volume { threshold, days }),
        )?
    } else if let Some(v) = &p.new_high {
        located(
            file,
            problems,
            v,
            price::parse_days(v.get_ref()).map(|days| PriceKind::NewExtreme { high: true, days }),
        )?
    } else {
        let v = p.new_low.as_ref()?;
        located(
            file,
            problems,
            v,
            price::parse_days(v.get_ref()).map(|days| PriceKind::NewExtreme { high: false, days }),
        )?
    };
    // Keys of another test would be ignored: the selection would not mean what it says.
    if let (Some(w), None) = (&p.window, &p.change) {
        problems.push(Problem::at(
            file,
            w.span(),
            "`window` only applies with `from = \"window\"`",
            Some("`change` with `from = \"window\"` measures a move within a window".into()),
        ));
        return None;
    }
    if let (Some(d), None) = (&p.average_days, &p.volume) {
        problems.push(Problem::at(
            file,
            d.span(),
            "`average_days` only applies to `volume`",
            None,
        ));
        return None;
    }
    if p.from.is_some() && p.change.is_none() {
        problems.push(Problem::at(
            file,
            p.from.as_ref().map_or(span.clone(), |f| f.span()),
            "`from` only applies to `change`",
            None,
        ));
        return None;
    }
    let session = match &p.session {
        Some(s) => match SessionFilter::parse(s.get_ref()) {
            Ok(f) => f,
            Err(msg) => {
                problems.push(Problem::at(file, s.span(), msg, None));
                return None;
            }
        },
        None => SessionFilter::Any,
    };
    let max_age = match &p.max_age {
        Some(v) => file::parse_duration(file, v)
            .map_err(|e| problems.push(e))
            .ok()?,
        None => price::DEFAULT_MAX_AGE,
    };
    Some(PriceCheck {
        kind,
        session,
        max_age,
    })
}

fn parse_crossing(s: &str) -> Result<PriceKind, String> {
    let mut words = s.split_whitespace();
    let direction = match words.next() {
        Some("below") => Direction::Below,
        Some("above") => Direction::Above,
        _ => return Err(format!("`{s}`: write `below 180` or `above 200`")),
    };
    let level: f64 = words
        .next()
        .and_then(|w| w.parse().ok())
        .filter(|l: &f64| l.is_finite() && *l > 0.0)
        .ok_or_else(|| format!("`{s}`: the level must be a positive number"))?;
    if words.next().is_some() {
        return Err(format!("`{s}`: write `below 180` or `above 200`"));
    }
    Ok(PriceKind::Crosses { direction, level })
}

/// Where a string value's own text starts in the file: its span covers the quotes, and
/// problems inside it (a condition, a template) are located by offsets into the text.
fn text_start(file: &Excerpt, value: &Spanned<String>) -> usize {
    let span = value.span();
    file.text()[span.clone()]
        .find(value.get_ref().as_str())
        .map_or(span.start, |off| span.start + off)
}

/// Where line `line` (1-based) of a CSV written as the TOML string at `span` of `text` lies:
/// that line for a multi-line string, the whole string when its lines cannot be told apart
/// (escaped newlines).
fn csv_line_span(text: &str, span: std::ops::Range<usize>, line: usize) -> std::ops::Range<usize> {
    let Some(raw) = text.get(span.clone()) else {
        return span;
    };
    let mut start = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    // A newline right after the opening quotes is not part of the string.
    if raw[start..].starts_with("\r\n") {
        start += 2;
    } else if raw[start..].starts_with('\n') {
        start += 1;
    }
    for _ in 1..line {
        match raw[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return span,
        }
    }
    let end = raw[start..]
        .find(['\n', '\r'])
        .map_or(raw.len(), |i| start + i);
    span.start + start..span.start + end.max(start)
}
