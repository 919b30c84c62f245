//! Pairs of terms: `A NEAR/5 B` (within five words, either order) and `A BEFORE/5 B` (`A`
//! first). How one is written — [`split_pair`], the one reader of the syntax, and
//! [`misspelt_pair`] for what cannot mean what it says — and where one holds among a
//! headline's term occurrences ([`pairs_within`]).

use super::matcher::{Field, Occurrence, TermId};

/// Which side of a pair may come first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordOrder {
    /// Either (`A NEAR/5 B`).
    Either,
    /// The left side, then the right (`A BEFORE/5 B`): `risk BEFORE/3 downgrade` holds for
    /// "risk of a downgrade", not for "downgrade over risk".
    LeftFirst,
}

impl WordOrder {
    /// Both, in the order a pair's keyword is looked for.
    const ALL: [WordOrder; 2] = [WordOrder::Either, WordOrder::LeftFirst];

    /// The keyword that writes it.
    pub fn keyword(self) -> &'static str {
        match self {
            WordOrder::Either => "NEAR",
            WordOrder::LeftFirst => "BEFORE",
        }
    }
}

/// A pair of term lists written `A NEAR/5 B` or `A BEFORE/5 B`, split but not yet compiled.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Pair<'a> {
    /// What is written before the keyword (may be empty: `NEAR/3 B`).
    pub left: &'a str,
    /// Which side may come first.
    pub order: WordOrder,
    /// The distance; `None` when missing or over 50 (`A NEAR B`).
    pub within: Option<usize>,
    /// What is written after the distance (may be empty: `A NEAR/3`).
    pub right: &'a str,
}

/// Splits `A NEAR/5 B` or `A BEFORE/5 B` at its keyword, a word of its own (`NEARBY` is a
/// term); `None` when the text holds neither.
pub(super) fn split_pair(text: &str) -> Option<Pair<'_>> {
    let text = text.trim();
    text.split(char::is_whitespace).find_map(|word| {
        let order = WordOrder::ALL
            .into_iter()
            .find(|o| word == o.keyword() || word.starts_with(&format!("{}/", o.keyword())))?;
        let at = word.as_ptr() as usize - text.as_ptr() as usize;
        let within = word[order.keyword().len()..]
            .strip_prefix('/')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= 50);
        Some(Pair {
            left: text[..at].trim(),
            order,
            within,
            right: text[at + word.len()..].trim(),
        })
    })
}

/// A pair written so it cannot mean what it says: a side left empty (`NEAR/3 b`), a second
/// keyword (`a NEAR/2 b BEFORE/3 c`), or a keyword not in capitals (`a near/5 b` would be a
/// phrase that never matches).
pub(super) fn misspelt_pair(text: &str) -> Option<String> {
    if let Some(pair) = split_pair(text) {
        let keyword = pair.order.keyword();
        if pair.left.is_empty() || pair.right.is_empty() {
            return Some(format!(
                "`{}`: a {keyword} pair needs a term on each side, e.g. `@customers {keyword}/5 @chips`",
                text.trim()
            ));
        }
        if split_pair(pair.right).is_some() {
            return Some(format!(
                "`{}`: one NEAR or BEFORE per pair; a pair's sides are plain terms",
                text.trim()
            ));
        }
    }
    let lowered = text.split_whitespace().find(|word| {
        let upper = word.to_uppercase();
        WordOrder::ALL.iter().any(|o| {
            upper.starts_with(&format!("{}/", o.keyword())) && !word.starts_with(o.keyword())
        })
    })?;
    Some(format!(
        "`{}`: write `{}` in capitals, or it is a phrase to match",
        text.trim(),
        lowered.to_uppercase()
    ))
}

/// Pairs of occurrences (one of `left`, one of `right`) in the same field at most `within`
/// words apart, the left one first where `order` says so.
pub(super) fn pairs_within<'a>(
    left: &'a [TermId],
    right: &'a [TermId],
    within: usize,
    order: WordOrder,
    occurrences: &'a [Occurrence],
    fields: &'a [Field],
) -> impl Iterator<Item = (&'a Occurrence, &'a Occurrence)> + 'a {
    let on =
        move |ids: &[TermId], o: &Occurrence| ids.contains(&o.term) && fields.contains(&o.field);
    // The right side's occurrences by field and position, so each left one looks only at
    // those near it (a long text full of both sides is not one comparison per pair of them).
    let key = |o: &Occurrence| (o.field as u8, o.token);
    let mut near: Vec<usize> = (0..occurrences.len())
        .filter(|&i| on(right, &occurrences[i]))
        .collect();
    near.sort_by_key(|&i| key(&occurrences[i]));
    let longest = near.iter().map(|&i| occurrences[i].len).max().unwrap_or(0);
    occurrences
        .iter()
        .filter(move |a| on(left, a))
        .flat_map(move |a| {
            let field = a.field as u8;
            let from = (
                field,
                a.token.saturating_sub(within.saturating_add(longest)),
            );
            let to = (field, a.token.saturating_add(a.len).saturating_add(within));
            let lo = near.partition_point(|&i| key(&occurrences[i]) < from);
            let hi = near.partition_point(|&i| key(&occurrences[i]) <= to);
            // In the order they occurred, as before.
            let mut candidates = near[lo..hi.max(lo)].to_vec();
            candidates.sort_unstable();
            candidates
                .into_iter()
                .map(|i| &occurrences[i])
                .filter(move |b| {
                    if a.field != b.field
                        || (order == WordOrder::LeftFirst && a.token + a.len > b.token)
                    {
                        return false;
                    }
                    let gap = if a.token <= b.token {
                        b.token.saturating_sub(a.token + a.len)
                    } else {
                        a.token.saturating_sub(b.token + b.len)
                    };
                    gap <= within && !(a.token == b.token && a.len == b.len)
                })
                .map(move |b| (a, b))
        })
}
