//! Rules: what a rule file can say, compiled into something fast to evaluate.
//!
//! A rules directory holds rule files (`*.toml`) and lexicons (`lexicons/*.toml`). [`load_dir`]
//! reads them, [`compile`] turns them into a [`RuleSet`] — reporting *every* problem, not just
//! the first — and [`RuleSet::match_headline`] tells which rules' text parts a headline
//! satisfies. Matching is pure: no I/O, no clock.

mod condition;
mod file;
mod lexicon;
mod matcher;
mod price;
mod term;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use condition::{Expr, Tri};
pub use file::{Order, Problem, Severity, SourceFile, line_col};
pub use matcher::{Field, Occurrence, TermId};
pub use price::{PriceCheck, PriceEvidence, Reference, Threshold};
pub use term::Term;

use file::{FieldChoice, RawLexicon, RawRule, RawRuleFile};
use lexicon::Lexicon;
use matcher::TermMatcher;

use crate::text::NormalizedText;

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Unique id (`nvda-customer-seeks-alternatives`).
    pub id: String,
    /// One line for humans.
    pub title: String,
    /// What it is for.
    pub description: String,
    /// Whether `/start` subscribes new chats to it.
    pub default: bool,
    /// How much it matters.
    pub severity: Severity,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Symbols it watches; empty means every symbol a headline is linked to.
    pub symbols: Vec<String>,
    /// Named selections, text and price, in definition order.
    pub selections: Vec<Selection>,
    /// How the selections combine.
    pub condition: Expr,
    /// Maximum time between the text part and the price part.
    pub within: Duration,
    /// Required order of the parts.
    pub order: Order,
    /// No second alert for the same symbol within this span.
    pub cooldown: Duration,
    /// The file it came from.
    pub path: PathBuf,
}

/// A named part of a rule's condition.
#[derive(Debug)]
pub struct Selection {
    /// The name used in `condition`.
    pub name: String,
    /// What it tests.
    pub kind: SelectionKind,
}

/// What a selection tests.
#[derive(Debug)]
pub enum SelectionKind {
    /// Terms in a headline.
    Text(TextSelection),
    /// A symbol's price.
    Price(PriceCheck),
}

/// A compiled text selection: all three lists must be satisfied.
#[derive(Debug)]
pub struct TextSelection {
    /// At least one of these must occur (ignored when empty).
    pub any: Vec<TermId>,
    /// All of these must occur.
    pub all: Vec<TermId>,
    /// None of these may occur.
    pub none: Vec<TermId>,
    /// Fields to look in.
    pub fields: Vec<Field>,
}

impl Rule {
    /// Whether the rule has price selections (and so needs a symbol and price data).
    pub fn has_price(&self) -> bool {
        self.selections
            .iter()
            .any(|s| matches!(s.kind, SelectionKind::Price(_)))
    }

    /// The price selections with their indices.
    pub fn price_checks(&self) -> impl Iterator<Item = (usize, &PriceCheck)> {
        self.selections
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.kind {
                SelectionKind::Price(p) => Some((i, p)),
                SelectionKind::Text(_) => None,
            })
    }
}

/// A term that occurred, as evidence: which selection it served and where it stood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedTerm {
    /// The selection the term belongs to.
    pub selection: String,
    /// The term as compiled (`alternativ*`).
    pub term: String,
    /// The field it was found in.
    pub field: Field,
    /// The words as published.
    pub text: String,
    /// Byte range in the cleaned field text.
    pub span: (usize, usize),
}

/// How a headline fared against one rule's text part.
#[derive(Clone, Debug)]
pub struct RuleTextMatch {
    /// Index of the rule in the set.
    pub rule: usize,
    /// Truth of each selection; price selections are [`Tri::Unknown`].
    pub values: Vec<Tri>,
    /// The condition's verdict with the price part unknown.
    pub verdict: Tri,
    /// Terms that made selections hold.
    pub matched: Vec<MatchedTerm>,
}

/// A headline prepared for matching: normalised once, used by every rule.
#[derive(Clone, Debug)]
pub struct PreparedText {
    /// The normalised title.
    pub title: NormalizedText,
    /// The normalised summary (empty when there is none).
    pub summary: NormalizedText,
}

/// What matching a headline found.
#[derive(Clone, Debug, Default)]
pub struct HeadlineMatch {
    /// Symbols the text names via lexicon entities.
    pub linked_symbols: BTreeSet<String>,
    /// Rules whose text part is true or still possible (unknown), in rule order.
    pub rules: Vec<RuleTextMatch>,
}

/// All rules of a directory, compiled together.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    matcher: TermMatcher,
    /// For each term, the rules that use it.
    term_rules: Vec<Vec<usize>>,
    /// For each term, the symbols it links a headline to (entity aliases).
    term_symbols: Vec<Vec<String>>,
    /// Rules whose text part can hold without any term occurring (e.g. only `none`).
    always: Vec<usize>,
}

/// Reads and compiles every rule and lexicon file under `dir`.
pub fn load_dir(dir: &Path) -> Result<RuleSet, Vec<Problem>> {
    let (rule_files, lexicon_files, mut problems) = read_dir(dir);
    match compile(rule_files, lexicon_files) {
        Ok(set) if problems.is_empty() => Ok(set),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// The rule files (`dir/*.toml`) and lexicon files (`dir/lexicons/*.toml`) of a directory,
/// read; unreadable files are problems.
pub fn read_dir(dir: &Path) -> (Vec<SourceFile>, Vec<SourceFile>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut read_all = |d: &Path| -> Vec<SourceFile> {
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(d) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && d != dir => Vec::new(),
            Err(e) => {
                problems.push(Problem::whole_file(
                    d,
                    format!("cannot read directory: {e}"),
                ));
                Vec::new()
            }
        };
        paths.sort();
        paths
            .iter()
            .filter_map(|p| match SourceFile::read(p) {
                Ok(f) => Some(f),
                Err(p) => {
                    problems.push(p);
                    None
                }
            })
            .collect()
    };
    let rules = read_all(dir);
    let lexicons = read_all(&dir.join("lexicons"));
    (rules, lexicons, problems)
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
            if let Ok(term) = Term::parse(&alias.text) {
                let id = terms.intern(term);
                terms.symbols_mut(id).push(symbol.clone());
            }
        }
    }

    let mut rules: Vec<Rule> = Vec::new();
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    for file in &rule_files {
        let raws = match file::parse_rule_file(file) {
            Ok(RawRuleFile::One(r)) => vec![*r],
            Ok(RawRuleFile::Many(rs)) => rs,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        for raw in raws {
            let id_span = raw.id.span();
            if let Some(rule) = compile_rule(file, raw, &lexicon, &mut terms, &mut problems) {
                if let Some(prev) = ids.get(&rule.id) {
                    problems.push(Problem::at(
                        file,
                        id_span,
                        format!("rule id `{}` is used twice", rule.id),
                        Some(format!(
                            "the other rule with this id is in {}",
                            prev.display()
                        )),
                    ));
                    continue;
                }
                ids.insert(rule.id.clone(), file.path.clone());
                rules.push(rule);
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RuleSet::new(rules, terms))
}

/// Distinct terms of the whole set, interned.
#[derive(Default)]
struct TermTable {
    terms: Vec<Term>,
    index: HashMap<Term, TermId>,
    symbols: Vec<Vec<String>>,
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

    fn symbols_mut(&mut self, id: TermId) -> &mut Vec<String> {
        &mut self.symbols[id]
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn compile_rule(
    file: &SourceFile,
    raw: RawRule,
    lexicon: &Lexicon,
    terms: &mut TermTable,
    problems: &mut Vec<Problem>,
) -> Option<Rule> {
    let before = problems.len();
    let id = raw.id.get_ref().trim().to_string();
    if !valid_id(&id) {
        problems.push(Problem::at(
            file,
            raw.id.span(),
            format!("`{id}` is not a valid rule id"),
            Some("use lower-case letters, digits and `-`, e.g. `nvda-export-curbs` (at most 64 characters)".into()),
        ));
    }
    let mut symbols = Vec::new();
    for s in &raw.symbols {
        let sym = s.get_ref().trim().to_ascii_uppercase();
        if sym.is_empty()
            || sym.len() > 20
            || !sym
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '^' | '='))
        {
            problems.push(Problem::at(
                file,
                s.span(),
                format!("`{}` is not a ticker symbol", s.get_ref()),
                Some("write it as Yahoo does, e.g. `NVDA` or `SAP.DE`".into()),
            ));
        } else {
            symbols.push(sym);
        }
    }

    let mut selections = Vec::new();
    for (name, text) in raw.text {
        let span = text.span();
        let text = text.into_inner();
        let mut compile_list = |list: &[toml::Spanned<String>]| -> Vec<TermId> {
            let mut ids = Vec::new();
            for written in list {
                let mut expanded = Vec::new();
                lexicon.expand(file, written, &mut expanded, problems);
                for t in expanded {
                    match Term::parse(&t.text) {
                        Ok(term) => ids.push(terms.intern(term)),
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
            }
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let any = compile_list(&text.any);
        let all = compile_list(&text.all);
        let none = compile_list(&text.none);
        if text.any.is_empty() && text.all.is_empty() && text.none.is_empty() {
            problems.push(Problem::at(
                file,
                span,
                format!("text selection `{name}` has no terms"),
                Some("give it `any = [...]`, `all = [...]` or `none = [...]`".into()),
            ));
        }
        let fields = match text.field {
            None => vec![Field::Title],
            Some(FieldChoice::One(f)) => vec![f],
            Some(FieldChoice::Many(fs)) if fs.is_empty() => vec![Field::Title],
            Some(FieldChoice::Many(fs)) => fs,
        };
        selections.push(Selection {
            name,
            kind: SelectionKind::Text(TextSelection {
                any,
                all,
                none,
                fields,
            }),
        });
    }
    for (name, price) in raw.price {
        let price = price.into_inner();
        let threshold = match price::Threshold::parse(price.change.get_ref()) {
            Ok(t) => t,
            Err(msg) => {
                problems.push(Problem::at(file, price.change.span(), msg, None));
                continue;
            }
        };
        let max_age = match &price.max_age {
            Some(v) => file::parse_duration(file, v).unwrap_or_else(|p| {
                problems.push(p);
                Duration::ZERO
            }),
            None => Duration::from_secs(30 * 60),
        };
        if selections.iter().any(|s: &Selection| s.name == name) {
            problems.push(Problem::at(
                file,
                price.change.span(),
                format!("`{name}` is both a text and a price selection"),
                Some("give one of them another name".into()),
            ));
            continue;
        }
        selections.push(Selection {
            name,
            kind: SelectionKind::Price(PriceCheck {
                reference: price.from,
                threshold,
                extended_hours: price.extended_hours,
                max_age,
            }),
        });
    }

    let names: Vec<String> = selections.iter().map(|s| s.name.clone()).collect();
    let cond_src = raw.condition.get_ref();
    // The condition's span covers the quotes; the expression starts one byte later for
    // basic strings. Literal and multi-line strings shift more, so locate the text itself.
    let cond_span = raw.condition.span();
    let cond_start = file.text[cond_span.clone()]
        .find(cond_src.as_str())
        .map_or(cond_span.start, |off| cond_span.start + off);
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

    let within = match &raw.correlate.within {
        Some(v) => file::parse_duration(file, v).unwrap_or_else(|p| {
            problems.push(p);
            Duration::ZERO
        }),
        None => Duration::from_secs(24 * 3600),
    };
    let cooldown = match &raw.noise.cooldown {
        Some(v) => file::parse_duration(file, v).unwrap_or_else(|p| {
            problems.push(p);
            Duration::ZERO
        }),
        None => Duration::from_secs(24 * 3600),
    };

    if problems.len() > before {
        return None;
    }
    Some(Rule {
        id,
        title: raw.title,
        description: raw.description,
        default: raw.default,
        severity: raw.severity,
        tags: raw.tags,
        symbols,
        selections,
        condition: condition?,
        within,
        order: raw.correlate.order,
        cooldown,
        path: file.path.clone(),
    })
}

impl RuleSet {
    fn new(rules: Vec<Rule>, terms: TermTable) -> RuleSet {
        let mut term_rules = vec![Vec::new(); terms.terms.len()];
        let mut always = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            let mut mentioned = BTreeSet::new();
            for s in &rule.selections {
                if let SelectionKind::Text(t) = &s.kind {
                    mentioned.extend(t.any.iter().chain(&t.all).chain(&t.none).copied());
                }
            }
            for t in mentioned {
                term_rules[t].push(r);
            }
            // A rule whose text part is not false when nothing occurs must always be looked at.
            let nothing = rule.condition.eval(&|i| match &rule.selections[i].kind {
                SelectionKind::Text(t) => Tri::from(t.any.is_empty() && t.all.is_empty()),
                SelectionKind::Price(_) => Tri::Unknown,
            });
            if nothing != Tri::False {
                always.push(r);
            }
        }
        RuleSet {
            rules,
            matcher: TermMatcher::new(terms.terms),
            term_rules,
            term_symbols: terms.symbols,
            always,
        }
    }

    /// An empty set (no rules).
    pub fn empty() -> RuleSet {
        RuleSet::new(Vec::new(), TermTable::default())
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Number of distinct terms in the automaton.
    pub fn term_count(&self) -> usize {
        self.matcher.len()
    }

    /// Matches a prepared headline against every rule's text part in one scan.
    pub fn match_headline(&self, text: &PreparedText) -> HeadlineMatch {
        let mut occurrences = Vec::new();
        self.matcher
            .find(&text.title, Field::Title, &mut occurrences);
        self.matcher
            .find(&text.summary, Field::Summary, &mut occurrences);

        let mut linked_symbols = BTreeSet::new();
        let mut candidates: BTreeSet<usize> = self.always.iter().copied().collect();
        for o in &occurrences {
            linked_symbols.extend(self.term_symbols[o.term].iter().cloned());
            candidates.extend(self.term_rules[o.term].iter().copied());
        }

        let occurred = |term: TermId, fields: &[Field]| {
            occurrences
                .iter()
                .any(|o| o.term == term && fields.contains(&o.field))
        };
        let mut rules = Vec::new();
        for r in candidates {
            let rule = &self.rules[r];
            let values: Vec<Tri> = rule
                .selections
                .iter()
                .map(|s| match &s.kind {
                    SelectionKind::Text(t) => Tri::from(
                        (t.any.is_empty() || t.any.iter().any(|&id| occurred(id, &t.fields)))
                            && t.all.iter().all(|&id| occurred(id, &t.fields))
                            && !t.none.iter().any(|&id| occurred(id, &t.fields)),
                    ),
                    SelectionKind::Price(_) => Tri::Unknown,
                })
                .collect();
            let verdict = rule.condition.eval(&|i| values[i]);
            if verdict == Tri::False {
                continue;
            }
            let matched = self.evidence(rule, &values, &occurrences, text);
            rules.push(RuleTextMatch {
                rule: r,
                values,
                verdict,
                matched,
            });
        }
        HeadlineMatch {
            linked_symbols,
            rules,
        }
    }

    fn evidence(
        &self,
        rule: &Rule,
        values: &[Tri],
        occurrences: &[Occurrence],
        text: &PreparedText,
    ) -> Vec<MatchedTerm> {
        let mut out = Vec::new();
        for (s, value) in rule.selections.iter().zip(values) {
            let SelectionKind::Text(t) = &s.kind else {
                continue;
            };
            if *value != Tri::True {
                continue;
            }
            for o in occurrences {
                if !t.fields.contains(&o.field)
                    || !(t.any.contains(&o.term) || t.all.contains(&o.term))
                {
                    continue;
                }
                let field_text = match o.field {
                    Field::Title => &text.title,
                    Field::Summary => &text.summary,
                };
                let first = &field_text.tokens[o.token];
                let last = &field_text.tokens[o.token + o.len - 1];
                let span = (first.span.0, last.span.1);
                out.push(MatchedTerm {
                    selection: s.name.clone(),
                    term: self.matcher.term(o.term).to_string(),
                    field: o.field,
                    text: field_text.original[span.0..span.1].to_string(),
                    span,
                });
            }
        }
        out.sort_by_key(|m| (m.field == Field::Summary, m.span));
        // Several terms of one selection may cover the same words (`alternative*`, `alternativ*`).
        out.dedup_by(|a, b| a.selection == b.selection && a.field == b.field && a.span == b.span);
        out
    }
}

#[cfg(test)]
mod tests;
