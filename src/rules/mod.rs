//! Rules: what a rule file can say, compiled into something fast to evaluate.
//!
//! A rules directory holds rule files (`*.toml`) and lexicons (`lexicons/*.toml`). [`load_dir`]
//! reads them, [`compile`] turns them into a [`RuleSet`] — reporting *every* problem, not just
//! the first — and [`RuleSet::match_headline`] tells which rules' text parts a headline
//! satisfies. Matching is pure: no I/O, no clock.

mod compile;
mod condition;
mod dir;
mod file;
mod lexicon;
mod matcher;
mod pair;
mod price;
mod template;
mod term;
mod vocabulary;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use compile::{MAX_ID as MAX_RULE_ID, compile};
pub use condition::{Expr, Tri};
pub use dir::{load_dir, read_dir};
pub use file::{Order, Problem, RawScenario, Scope, Severity, SourceFile, line_col};
pub use matcher::{Field, Occurrence, TermId};
pub use pair::WordOrder;
pub use price::{
    Basis, Cmp, DEFAULT_MAX_AGE, Direction, PriceCheck, PriceEvidence, PriceKind, ROUNDING,
    Reference, SessionFilter, Threshold,
};
pub use template::{Placeholder, Segment, Template};
pub use term::{Term, TokenPattern};

use compile::TermTable;
use matcher::{Occurrences, TermMatcher};
use pair::pairs_within;
use vocabulary::Vocabulary;

use crate::text::{self, Lang, NormalizedText};

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Unique id (`nvda-customer-seeks-alternatives`).
    pub id: String,
    /// The ids it had before it was renamed (`formerly`), each claimed by this rule alone.
    pub formerly: Box<[FormerId]>,
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
    pub selections: Box<[Selection]>,
    /// How the selections combine.
    pub condition: Expr,
    /// Maximum time between the text part and the price part.
    pub within: Duration,
    /// Required order of the parts.
    pub order: Order,
    /// Which symbols a matching headline concerns.
    pub scope: Scope,
    /// No second alert for the same symbol within this span.
    pub cooldown: Duration,
    /// At most one alert per symbol and trading day.
    pub once_per_day: bool,
    /// The last day the rule fires on.
    pub expires: Option<NaiveDate>,
    /// The message layout, when the rule has its own.
    pub template: Option<Template>,
    /// The examples written for it (see [`Rule::tests`]); `None` when there are none, so the
    /// many rules of a big set without examples do not each carry three empty lists.
    tests: Option<Box<RuleTests>>,
    /// The file it came from, shared by the rules of the file.
    pub path: Arc<Path>,
    /// Identity of its definition: a hash of the text that defines it (the whole file when
    /// the file holds one rule, its own `[[rule]]` entry when the file holds several). Tells
    /// a changed rule from an unchanged one on reload.
    pub fingerprint: u64,
}

/// An id a rule had before it was renamed (`formerly = ["old-id"]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormerId {
    /// The old id.
    pub id: String,
    /// The [`Rule::fingerprint`] the rule's definition had under the old id if the rename
    /// changed nothing else: its text with the `formerly` line taken out and the old id
    /// written in place of the new one. `None` when the text does not tell (the id and
    /// `formerly` on one line, an id written with escapes).
    pub fingerprint: Option<u64>,
}

/// The `[tests]` of a rule.
#[derive(Debug, Default)]
pub struct RuleTests {
    /// Headlines whose text part must hold.
    pub matching: Vec<String>,
    /// Headlines whose text part must not hold.
    pub no_match: Vec<String>,
    /// Scenarios, with the line they start on.
    pub scenarios: Vec<(usize, RawScenario)>,
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

/// One entry of a term list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    /// A term.
    Term(TermId),
    /// A term of `left` within `within` words of a term of `right` (`A NEAR/5 B`), or before
    /// it (`A BEFORE/5 B`).
    Pair {
        /// One side.
        left: Box<[TermId]>,
        /// The other side.
        right: Box<[TermId]>,
        /// Most words between them.
        within: usize,
        /// Whether `left` must come first.
        order: WordOrder,
    },
}

/// A compiled text selection: every list given must be satisfied.
///
/// Its lists (and those of [`Item::Pair`]) are boxed slices, not vectors: they never grow, and
/// a rule set holds thousands of them.
#[derive(Debug)]
pub struct TextSelection {
    /// At least one of these must hold (ignored when empty).
    pub any: Box<[Item]>,
    /// All of these must hold.
    pub all: Box<[Item]>,
    /// None of these may hold.
    pub none: Box<[Item]>,
    /// At least one must match the text as published (ignored when empty); shared by the
    /// rules that write the same pattern.
    pub regexes: Box<[Arc<regex::Regex>]>,
    /// Fields to look in.
    pub fields: Box<[Field]>,
}

impl Rule {
    /// The examples written for the rule (empty when it has no `[tests]`).
    pub fn tests(&self) -> &RuleTests {
        static NONE: RuleTests = RuleTests {
            matching: Vec::new(),
            no_match: Vec::new(),
            scenarios: Vec::new(),
        };
        self.tests.as_deref().unwrap_or(&NONE)
    }

    /// Whether the rule has price selections (and so needs a symbol and price data).
    pub fn has_price(&self) -> bool {
        self.selections
            .iter()
            .any(|s| matches!(s.kind, SelectionKind::Price(_)))
    }

    /// Whether the rule has text selections.
    pub fn has_text(&self) -> bool {
        self.selections
            .iter()
            .any(|s| matches!(s.kind, SelectionKind::Text(_)))
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

    /// Whether the rule has expired by `date`.
    pub fn expired_on(&self, date: NaiveDate) -> bool {
        self.expires.is_some_and(|e| date > e)
    }
}

/// The most places a rule's evidence names (title first, then by position): a headline
/// names a handful, and a long text full of its terms (`match` and `replay` read lines of up
/// to a mebibyte) does not make an alert that carries every one of them.
pub const MAX_EVIDENCE: usize = 64;

/// A term that occurred, as evidence: which selection it served and where it stood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedTerm {
    /// The selection the term belongs to.
    pub selection: String,
    /// The term as compiled (`alternativ*`), or `/pattern/` for a regex.
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
    /// The normalised publisher name.
    pub source: NormalizedText,
}

impl PreparedText {
    fn field(&self, f: Field) -> &NormalizedText {
        match f {
            Field::Title => &self.title,
            Field::Summary => &self.summary,
            Field::Source => &self.source,
        }
    }
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
    /// Rule index by id.
    by_id: std::collections::HashMap<String, usize>,
    /// Rule index by each id a rule had before it was renamed (`formerly`).
    by_former: std::collections::HashMap<String, usize>,
    matcher: TermMatcher,
    vocabulary: Vocabulary,
    /// For each term, the rules that use it.
    term_rules: Vec<Vec<usize>>,
    /// For each term, the symbols it links a headline to (entity aliases).
    term_symbols: Vec<Vec<String>>,
    /// Rules whose text part can hold without any term occurring (only `none`, or regexes).
    always: Vec<usize>,
    /// Rules with price conditions, by the symbol they name; so a bar is not checked against
    /// every rule.
    price_by_symbol: std::collections::HashMap<String, Vec<usize>>,
    /// Rules with price conditions that name no symbol (they watch every symbol).
    price_any_symbol: Vec<usize>,
}

fn item_terms(item: &Item) -> impl Iterator<Item = TermId> + '_ {
    let (a, b): (&[TermId], &[TermId]) = match item {
        Item::Term(id) => (std::slice::from_ref(id), &[]),
        Item::Pair { left, right, .. } => (left, right),
    };
    a.iter().chain(b).copied()
}

/// The terms whose occurrence makes `rule` worth evaluating. When one text selection is
/// necessary (the condition fails without it), only its terms are needed — the one with the
/// fewest terms, usually the company. Otherwise every term the rule mentions.
fn trigger_terms(rule: &Rule) -> BTreeSet<TermId> {
    let necessary = rule
        .selections
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match &s.kind {
            SelectionKind::Text(t)
                if t.regexes.is_empty() && !(t.any.is_empty() && t.all.is_empty()) =>
            {
                let without = rule
                    .condition
                    .eval(&|j| if j == i { Tri::False } else { Tri::Unknown });
                (without == Tri::False).then(|| {
                    t.any
                        .iter()
                        .chain(&t.all)
                        .flat_map(item_terms)
                        .collect::<BTreeSet<_>>()
                })
            }
            _ => None,
        })
        .min_by_key(BTreeSet::len);
    necessary.unwrap_or_else(|| {
        rule.selections
            .iter()
            .filter_map(|s| match &s.kind {
                SelectionKind::Text(t) => Some(
                    t.any
                        .iter()
                        .chain(&t.all)
                        .chain(&t.none)
                        .flat_map(item_terms)
                        .collect::<Vec<_>>(),
                ),
                SelectionKind::Price(_) => None,
            })
            .flatten()
            .collect()
    })
}

fn item_holds(item: &Item, occurrences: &Occurrences, fields: &[Field]) -> bool {
    match item {
        Item::Term(id) => occurrences
            .of(*id)
            .any(|i| fields.contains(&occurrences.all()[i].field)),
        Item::Pair {
            left,
            right,
            within,
            order,
        } => pairs_within(left, right, *within, *order, occurrences, fields)
            .next()
            .is_some(),
    }
}

impl RuleSet {
    fn new(mut rules: Vec<Rule>, terms: TermTable) -> RuleSet {
        // The set is kept until the next reload and never grows: its lists get no spare room.
        rules.shrink_to_fit();
        let mut term_rules = vec![Vec::new(); terms.terms.len()];
        let mut always = Vec::new();
        let mut price_by_symbol: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        let mut price_any_symbol = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            if rule.has_price() {
                if rule.symbols.is_empty() {
                    price_any_symbol.push(r);
                }
                for s in &rule.symbols {
                    let rules = price_by_symbol.entry(s.clone()).or_default();
                    if rules.last() != Some(&r) {
                        rules.push(r);
                    }
                }
            }
            for t in trigger_terms(rule) {
                term_rules[t].push(r);
            }
            // A rule whose text part is not false when no term occurs must always be looked at.
            let nothing = rule.condition.eval(&|i| match &rule.selections[i].kind {
                SelectionKind::Text(t) if !t.regexes.is_empty() => Tri::Unknown,
                SelectionKind::Text(t) => Tri::from(t.any.is_empty() && t.all.is_empty()),
                SelectionKind::Price(_) => Tri::Unknown,
            });
            if nothing != Tri::False && rule.has_text() {
                always.push(r);
            }
        }
        for list in term_rules.iter_mut().chain(price_by_symbol.values_mut()) {
            list.shrink_to_fit();
        }
        always.shrink_to_fit();
        price_any_symbol.shrink_to_fit();
        RuleSet {
            by_id: rules
                .iter()
                .enumerate()
                .map(|(i, r)| (r.id.clone(), i))
                .collect(),
            by_former: rules
                .iter()
                .enumerate()
                .flat_map(|(i, r)| r.formerly.iter().map(move |f| (f.id.clone(), i)))
                .collect(),
            rules,
            vocabulary: Vocabulary::new(&terms.terms),
            matcher: TermMatcher::new(terms.terms),
            term_rules,
            term_symbols: terms.symbols,
            always,
            price_by_symbol,
            price_any_symbol,
        }
    }

    /// The rules whose price conditions watch `symbol`: those for every symbol, then those
    /// naming it (each in load order).
    pub fn price_rules_for(&self, symbol: &str) -> impl Iterator<Item = usize> + '_ {
        let named = self
            .price_by_symbol
            .get(symbol)
            .map_or(&[][..], Vec::as_slice);
        self.price_any_symbol.iter().chain(named).copied()
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
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// The rule renamed from `id` (its `formerly` names it).
    pub fn renamed_from(&self, id: &str) -> Option<&Rule> {
        self.by_former.get(id).map(|&i| &self.rules[i])
    }

    /// The rule `id` stands for now: the rule with this id, or the one renamed from it (a
    /// button under an older message, an alert fired before the rename, a chat's old habit).
    pub fn current(&self, id: &str) -> Option<&Rule> {
        self.get(id).or_else(|| self.renamed_from(id))
    }

    /// Every id a rule had before it was renamed, with that rule, in the rules' order.
    pub fn renames(&self) -> impl Iterator<Item = (&str, &Rule)> {
        self.rules
            .iter()
            .flat_map(|r| r.formerly.iter().map(move |f| (f.id.as_str(), r)))
    }

    /// Number of distinct terms in the automaton.
    pub fn term_count(&self) -> usize {
        self.matcher.len()
    }

    /// Heap bytes of the term automata (the part of a rule set that grows with its terms).
    pub fn automaton_bytes(&self) -> usize {
        self.matcher.memory_usage()
    }

    /// Normalises a headline's fields once for every rule, splitting compounds whose parts
    /// the rules know. `lang` is the feed's language, if it declares one.
    pub fn prepare(
        &self,
        title: &str,
        summary: Option<&str>,
        source: &str,
        lang: Option<Lang>,
    ) -> PreparedText {
        let publisher = (!source.trim().is_empty()).then_some(source);
        let mut title = text::normalize_in(title, publisher, lang);
        let lang = lang.unwrap_or(title.lang);
        let mut summary = text::normalize_in(summary.unwrap_or(""), None, Some(lang));
        for t in [&mut title, &mut summary] {
            let l = t.lang;
            t.split_compounds(|w| self.vocabulary.cuts_of(w, l));
        }
        PreparedText {
            title,
            summary,
            source: text::normalize_in(source, None, Some(lang)),
        }
    }

    /// Matches a prepared headline against every rule's text part in one scan.
    pub fn match_headline(&self, text: &PreparedText) -> HeadlineMatch {
        let occurrences = self.occurrences(text);
        let mut linked_symbols = BTreeSet::new();
        let mut candidates: BTreeSet<usize> = self.always.iter().copied().collect();
        for term in occurrences.terms() {
            if occurrences
                .of(term)
                .any(|i| occurrences.all()[i].field != Field::Source)
            {
                linked_symbols.extend(self.term_symbols[term].iter().cloned());
            }
            candidates.extend(self.term_rules[term].iter().copied());
        }

        let rules = candidates
            .into_iter()
            .filter_map(|r| {
                let values = self.text_values(&self.rules[r], &occurrences, text);
                let verdict = self.rules[r].condition.eval(&|i| values[i]);
                (verdict != Tri::False).then(|| self.judged(r, values, verdict, &occurrences, text))
            })
            .collect();
        HeadlineMatch {
            linked_symbols,
            rules,
        }
    }

    /// How the headline fares against one rule's text part, even when it fails: for
    /// explaining examples and `match` output.
    pub fn explain(&self, rule: usize, text: &PreparedText) -> RuleTextMatch {
        let occurrences = self.occurrences(text);
        let values = self.text_values(&self.rules[rule], &occurrences, text);
        let verdict = self.rules[rule].condition.eval(&|i| values[i]);
        self.judged(rule, values, verdict, &occurrences, text)
    }

    /// Every term of every rule that occurs in the headline: one scan per field.
    fn occurrences(&self, text: &PreparedText) -> Occurrences {
        let mut occurrences = Vec::new();
        for field in [Field::Title, Field::Summary, Field::Source] {
            self.matcher
                .find(text.field(field), field, &mut occurrences);
        }
        Occurrences::new(occurrences)
    }

    /// Whether each of a rule's selections holds on the text (prices are not known here).
    fn text_values(&self, rule: &Rule, occurrences: &Occurrences, text: &PreparedText) -> Vec<Tri> {
        rule.selections
            .iter()
            .map(|s| match &s.kind {
                SelectionKind::Text(t) => Tri::from(self.selection_holds(t, occurrences, text)),
                SelectionKind::Price(_) => Tri::Unknown,
            })
            .collect()
    }

    /// Rule `rule`'s verdict on these selection values, with its evidence.
    fn judged(
        &self,
        rule: usize,
        values: Vec<Tri>,
        verdict: Tri,
        occurrences: &Occurrences,
        text: &PreparedText,
    ) -> RuleTextMatch {
        let matched = self.evidence(&self.rules[rule], &values, occurrences, text);
        RuleTextMatch {
            rule,
            values,
            verdict,
            matched,
        }
    }

    fn selection_holds(
        &self,
        t: &TextSelection,
        occurrences: &Occurrences,
        text: &PreparedText,
    ) -> bool {
        (t.any.is_empty() || t.any.iter().any(|i| item_holds(i, occurrences, &t.fields)))
            && t.all.iter().all(|i| item_holds(i, occurrences, &t.fields))
            && !t.none.iter().any(|i| item_holds(i, occurrences, &t.fields))
            && (t.regexes.is_empty()
                || t.regexes.iter().any(|re| {
                    t.fields
                        .iter()
                        .any(|f| re.is_match(&text.field(*f).original))
                }))
    }

    /// The words that made a rule's selections hold, where they stand: title first, then
    /// by position; each place once per selection (the first item that covered it names it),
    /// and at most [`MAX_EVIDENCE`] places.
    fn evidence(
        &self,
        rule: &Rule,
        values: &[Tri],
        occurrences: &Occurrences,
        text: &PreparedText,
    ) -> Vec<MatchedTerm> {
        let all = occurrences.all();
        let mut out = Vec::new();
        let mut regex_hits = Vec::new();
        for (s, value) in rule.selections.iter().zip(values) {
            let SelectionKind::Text(t) = &s.kind else {
                continue;
            };
            if *value != Tri::True {
                continue;
            }
            // The places this selection's evidence names already: a pair's occurrence may
            // pair with many on the other side, and is named once.
            let mut named: HashSet<(Field, (usize, usize))> = HashSet::new();
            let mut push = |term: &dyn Fn() -> String, o: &Occurrence| {
                let field_text = text.field(o.field);
                let span = (
                    field_text.tokens[o.token].span.0,
                    field_text.tokens[o.token + o.len - 1].span.1,
                );
                if named.insert((o.field, span)) {
                    out.push(MatchedTerm {
                        selection: s.name.clone(),
                        term: term(),
                        field: o.field,
                        text: field_text.original[span.0..span.1].to_string(),
                        span,
                    });
                }
            };
            for item in t.any.iter().chain(&t.all) {
                match item {
                    Item::Term(id) => {
                        for o in occurrences.of(*id).map(|i| &all[i]) {
                            if t.fields.contains(&o.field) {
                                push(&|| self.matcher.term(o.term).to_string(), o);
                            }
                        }
                    }
                    Item::Pair {
                        left,
                        right,
                        within,
                        order,
                    } => {
                        let pairs =
                            pairs_within(left, right, *within, *order, occurrences, &t.fields);
                        for (a, b) in pairs {
                            let label = || {
                                format!(
                                    "{} {}/{within} {}",
                                    self.matcher.term(a.term),
                                    order.keyword(),
                                    self.matcher.term(b.term)
                                )
                            };
                            push(&label, a);
                            push(&label, b);
                        }
                    }
                }
            }
            for re in &t.regexes {
                for f in &t.fields {
                    let original = &text.field(*f).original;
                    if let Some(m) = re.find(original) {
                        regex_hits.push(MatchedTerm {
                            selection: s.name.clone(),
                            term: format!("/{}/", re.as_str()),
                            field: *f,
                            text: m.as_str().to_string(),
                            span: (m.start(), m.end()),
                        });
                    }
                }
            }
        }
        out.extend(regex_hits);
        out.sort_by_key(|m| (m.field != Field::Title, m.field == Field::Source, m.span));
        // Several terms of one selection may cover the same words (`alternative*`, `alternativ*`).
        out.dedup_by(|a, b| a.selection == b.selection && a.field == b.field && a.span == b.span);
        out.truncate(MAX_EVIDENCE);
        out
    }
}

#[cfg(test)]
mod tests;
