//! Lexicons: named, reusable, multilingual term sets kept next to the rules.
//!
//! An *entity* (`[entity.nvidia]`) lists the names headlines use for a company and, if listed,
//! its ticker: a headline naming it is linked to that symbol. A *concept*
//! (`[concept.alternatives]`) lists the words for an idea in English and German. Rules and
//! other entries refer to both as `@name`; references are expanded here, with cycles reported.

use std::collections::{BTreeMap, HashSet};

use toml::Spanned;

use super::file::{Located, Problem, RawLexicon, SourceFile};
use super::pair::{Pair, misspelt_pair, split_pair};
use crate::problem::closest;

/// How deep `@name` references may nest: far beyond what a lexicon needs, and shallow enough
/// that expanding them never runs out of stack.
pub const MAX_DEPTH: usize = 32;

/// One lexicon entry, references not yet expanded.
#[derive(Debug)]
struct Entry {
    /// Index of the file that defined it (for problems).
    file: usize,
    /// Ticker for entities that have one.
    symbol: Option<String>,
    /// Terms as written, possibly `@other`.
    terms: Vec<Spanned<String>>,
}

/// All lexicon entries of a rules directory.
#[derive(Debug, Default)]
pub struct Lexicon {
    files: Vec<SourceFile>,
    entries: BTreeMap<String, Entry>,
}

/// A term after expansion, remembering where it was written.
#[derive(Clone, Debug)]
pub struct ExpandedTerm {
    /// The term text (no `@` references left).
    pub text: String,
    /// The lexicon entry it came from, if any.
    pub via: Option<String>,
}

impl Lexicon {
    /// Adds the entries of one parsed lexicon file; duplicate names are problems.
    pub fn add(&mut self, file: SourceFile, raw: RawLexicon, problems: &mut Vec<Problem>) {
        let index = self.files.len();
        let mut add =
            |name: String, span: std::ops::Range<usize>, entry: Entry, file: &SourceFile| {
                if !valid_name(&name) {
                    problems.push(Problem::at(
                        file,
                        span,
                        format!("`{name}` is not a valid lexicon name"),
                        Some("use lower-case letters, digits, `_` and `-`".into()),
                    ));
                } else if let Some(prev) = self.entries.get(&name) {
                    let prev_path = self
                        .files
                        .get(prev.file)
                        .map_or(file.path.clone(), |f| f.path.clone());
                    problems.push(Problem::at(
                        file,
                        span,
                        format!("lexicon entry `{name}` is defined twice"),
                        Some(format!(
                            "the other definition is in {}",
                            prev_path.display()
                        )),
                    ));
                } else {
                    self.entries.insert(name, entry);
                }
            };
        for (name, e) in raw.entity {
            let span = e.span();
            let e = e.into_inner();
            let entry = Entry {
                file: index,
                symbol: e.symbol.map(|s| s.into_inner().trim().to_ascii_uppercase()),
                terms: e.aliases,
            };
            add(name, span, entry, &file);
        }
        for (name, c) in raw.concept {
            let span = c.span();
            let c = c.into_inner();
            let terms = c.en.into_iter().chain(c.de).chain(c.terms).collect();
            add(
                name,
                span,
                Entry {
                    file: index,
                    symbol: None,
                    terms,
                },
                &file,
            );
        }
        self.files.push(file);
    }

    /// Names of all entries, sorted.
    pub fn names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// Entities with a ticker, and their expanded aliases: what links headlines to symbols.
    pub fn symbol_aliases(&self, problems: &mut Vec<Problem>) -> Vec<(String, Vec<ExpandedTerm>)> {
        let mut out = Vec::new();
        for (name, entry) in &self.entries {
            if let Some(symbol) = &entry.symbol {
                let mut terms = Vec::new();
                self.expand_entry(name, &mut Expansion::default(), &mut terms, problems);
                out.push((symbol.clone(), terms));
            }
        }
        out
    }

    /// Checks every entry's references once (so unused entries are checked too).
    pub fn check_all(&self, problems: &mut Vec<Problem>) {
        // References nested too deep are reported once: every entry of a long chain would
        // report the chain again.
        let mut depth_reported = false;
        for name in self.entries.keys() {
            let mut expansion = Expansion {
                depth_reported,
                ..Expansion::default()
            };
            self.expand_entry(name, &mut expansion, &mut Vec::new(), problems);
            depth_reported = expansion.depth_reported;
        }
    }

    /// Expands a term written in a rule: `@name` becomes the entry's terms, anything else is
    /// itself. Unknown names are reported at `term`'s position in `file`.
    pub fn expand(
        &self,
        file: &impl Located,
        term: &Spanned<String>,
        out: &mut Vec<ExpandedTerm>,
        problems: &mut Vec<Problem>,
    ) {
        let text = term.get_ref().trim();
        match text.strip_prefix('@') {
            None => out.push(ExpandedTerm {
                text: text.to_string(),
                via: None,
            }),
            Some(name) if self.entries.contains_key(name) => {
                // Nested problems are reported once by `check_all`.
                self.expand_entry(name, &mut Expansion::default(), out, &mut Vec::new());
            }
            Some(name) => problems.push(self.unknown(file, term.span(), name)),
        }
    }

    fn unknown(&self, file: &impl Located, span: std::ops::Range<usize>, name: &str) -> Problem {
        let names = self.names();
        let hint = match closest(name, &names) {
            Some(c) => format!("did you mean `@{c}`?"),
            None if names.is_empty() => {
                "no lexicons are defined; add one under rules/lexicons/".into()
            }
            None => format!(
                "known: {}",
                names
                    .iter()
                    .map(|n| format!("@{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Problem::at(file, span, format!("unknown lexicon `{name}`"), Some(hint))
    }

    fn expand_entry(
        &self,
        name: &str,
        expansion: &mut Expansion,
        out: &mut Vec<ExpandedTerm>,
        problems: &mut Vec<Problem>,
    ) {
        let Some(entry) = self.entries.get(name) else {
            return;
        };
        // An entry reached a second time (two entries including a third) adds nothing new:
        // expanding it again would double the terms at each such level.
        if !expansion.done.insert(name.to_string()) {
            return;
        }
        expansion.stack.push(name.to_string());
        let file = &self.files[entry.file];
        for term in &entry.terms {
            let text = term.get_ref().trim();
            // Reported once, here at the entry; the term goes no further.
            if let Some(message) = misspelt_pair(text) {
                problems.push(Problem::at(file, term.span(), message, None));
                continue;
            }
            if let Some(Pair {
                left, order, right, ..
            }) = split_pair(text)
            {
                // A pair stays one term; its sides are expanded where it is compiled. Their
                // references are checked here, so a bad one is reported once, at the entry.
                let keyword = order.keyword();
                for side in [left, right] {
                    if let Some(other) = side.strip_prefix('@') {
                        if !self.entries.contains_key(other) {
                            problems.push(self.unknown(file, term.span(), other));
                        } else if expansion.stack.iter().any(|s| s == other) {
                            problems.push(Problem::at(
                                file,
                                term.span(),
                                format!("`{text}`: a {keyword} side refers back to `@{other}`"),
                                Some("remove the reference".into()),
                            ));
                        } else if self.has_pair(other) {
                            problems.push(Problem::at(
                                file,
                                term.span(),
                                format!(
                                    "`{text}`: `@{other}` holds pairs, and a pair's side must be plain terms"
                                ),
                                Some("refer to an entry of plain terms on each side".into()),
                            ));
                        }
                    }
                }
                out.push(ExpandedTerm {
                    text: text.to_string(),
                    via: Some(name.to_string()),
                });
                continue;
            }
            match text.strip_prefix('@') {
                None => out.push(ExpandedTerm {
                    text: text.to_string(),
                    via: Some(name.to_string()),
                }),
                Some(other) if expansion.stack.iter().any(|s| s == other) => {
                    let cycle = expansion
                        .stack
                        .iter()
                        .chain(std::iter::once(&other.to_string()))
                        .map(|s| format!("@{s}"))
                        .collect::<Vec<_>>()
                        .join(" → ");
                    problems.push(Problem::at(
                        file,
                        term.span(),
                        format!("lexicon entries refer to each other in a cycle: {cycle}"),
                        Some("remove one of the references".into()),
                    ));
                }
                Some(other)
                    if self.entries.contains_key(other) && expansion.stack.len() >= MAX_DEPTH =>
                {
                    if expansion.depth_reported {
                        continue;
                    }
                    expansion.depth_reported = true;
                    problems.push(Problem::at(
                        file,
                        term.span(),
                        format!(
                            "lexicon references nest more than {MAX_DEPTH} deep here: `@{}` → … → `@{other}`",
                            expansion.stack[0]
                        ),
                        Some("refer to the entries you need directly".into()),
                    ));
                }
                Some(other) if self.entries.contains_key(other) => {
                    self.expand_entry(other, expansion, out, problems);
                }
                Some(other) => problems.push(self.unknown(file, term.span(), other)),
            }
        }
        expansion.stack.pop();
    }
}

/// The state of one expansion: the entries being expanded (for cycles and depth) and those
/// already expanded.
#[derive(Default)]
struct Expansion {
    stack: Vec<String>,
    done: HashSet<String>,
    /// Whether references nested too deep were reported already.
    depth_reported: bool,
}

impl Lexicon {
    /// Whether entry `name`, or an entry it includes, holds a pair (`NEAR`, `BEFORE`).
    fn has_pair(&self, name: &str) -> bool {
        let mut seen = vec![name.to_string()];
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            let Some(entry) = self.entries.get(&n) else {
                continue;
            };
            for term in &entry.terms {
                let text = term.get_ref().trim();
                if split_pair(text).is_some() {
                    return true;
                }
                if let Some(other) = text.strip_prefix('@')
                    && !seen.iter().any(|s| s == other)
                {
                    seen.push(other.to_string());
                    todo.push(other.to_string());
                }
            }
        }
        false
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::file::parse_lexicon_file;

    fn lexicon(text: &str) -> (Lexicon, Vec<Problem>) {
        let file = SourceFile {
            path: "rules/lexicons/x.toml".into(),
            text: text.into(),
        };
        let raw = parse_lexicon_file(&file).unwrap();
        let mut lex = Lexicon::default();
        let mut problems = Vec::new();
        lex.add(file, raw, &mut problems);
        lex.check_all(&mut problems);
        (lex, problems)
    }

    #[test]
    fn references_expand_and_entities_link_symbols() {
        let (lex, problems) = lexicon(
            r#"
[entity.nvidia]
symbol = "nvda"
aliases = ["NVIDIA", "Nvidia-Aktie"]
[entity.openai]
aliases = ["OpenAI", "ChatGPT maker"]
[concept.customers]
terms = ["@openai", "Microsoft"]
"#,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let links = lex.symbol_aliases(&mut Vec::new());
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].0, "NVDA");
        assert_eq!(
            expanded(&lex, "customers"),
            ["OpenAI", "ChatGPT maker", "Microsoft"]
        );
    }

    #[test]
    fn cycles_and_unknown_names_are_problems() {
        let (_, problems) = lexicon(
            r#"
[concept.a]
terms = ["@b"]
[concept.b]
terms = ["@a", "@partners"]
"#,
        );
        assert!(
            problems.iter().any(|p| p.message.contains("cycle")),
            "{problems:?}"
        );
        let unknown = problems
            .iter()
            .find(|p| p.message.contains("unknown lexicon `partners`"))
            .unwrap();
        assert_eq!(unknown.line, 5);
        assert!(unknown.hint.as_deref().unwrap().contains("@a"));
    }

    fn expanded(lex: &Lexicon, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        let f = SourceFile {
            path: "r.toml".into(),
            text: String::new(),
        };
        lex.expand(
            &f,
            &Spanned::new(0..0, format!("@{name}")),
            &mut out,
            &mut Vec::new(),
        );
        out.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn an_entry_reached_twice_is_expanded_once() {
        // Each level names the next twice: written out, 2^30 copies of one word.
        let levels = 30;
        let mut text = String::new();
        for i in 0..levels {
            let next = i + 1;
            text.push_str(&format!(
                "[concept.c{i}]\nterms = [\"@c{next}\", \"@c{next}\"]\n"
            ));
        }
        text.push_str(&format!("[concept.c{levels}]\nterms = [\"chips\"]\n"));
        let (lex, problems) = lexicon(&text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(expanded(&lex, "c0"), ["chips"]);
    }

    #[test]
    fn references_nested_too_deep_are_a_problem_not_a_crash() {
        let levels = 10_000;
        let mut text = String::new();
        for i in 0..levels {
            let next = i + 1;
            text.push_str(&format!("[concept.c{i}]\nterms = [\"@c{next}\"]\n"));
        }
        text.push_str(&format!("[concept.c{levels}]\nterms = [\"chips\"]\n"));
        let (_, problems) = lexicon(&text);
        assert!(
            problems.iter().any(|p| p.message.contains("deep")),
            "{:?}",
            problems.first()
        );
    }
}
