//! Pairs of terms: `A NEAR/5 B` (within five words, either order) and `A BEFORE/5 B` (`A`
//! first). How one is written — [`split_pair`], the one reader of the syntax, and
//! [`misspelt_pair`] for what cannot mean what it says — and where one holds among a
//! headline's term occurrences ([`pairs_within`]).

use super::matcher::{Field, Occurrence, Occurrences, TermId};

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

/// Up to this many occurrences of a pair's right side (every headline), each left one is
/// compared with each of them; a longer text's are looked up by position.
const FEW_OCCURRENCES: usize = 64;

/// Pairs of occurrences (one of `left`, one of `right`) in the same field at most `within`
/// words apart, the left one first where `order` says so; by left occurrence, then right, in
/// the order they occurred. Each side's occurrences are read from the index by term, so a
/// pair costs its own terms' occurrences, whatever else the text holds.
pub(super) fn pairs_within<'a>(
    left: &[TermId],
    right: &[TermId],
    within: usize,
    order: WordOrder,
    occurrences: &'a Occurrences,
    fields: &[Field],
) -> Pairs<'a> {
    let lefts = occurrences.of_any(left, fields);
    let rights = if lefts.is_empty() {
        Vec::new()
    } else {
        occurrences.of_any(right, fields)
    };
    let all = occurrences.all();
    // In a long text, the right side's occurrences by field and position, so each left one
    // looks only at those near it (a text full of both sides is not one comparison per pair
    // of them). A headline's few are not worth sorting: built only past a few dozen.
    let near = (rights.len() > FEW_OCCURRENCES).then(|| Near::new(all, &rights));
    Pairs {
        all,
        within,
        order,
        lefts: lefts.into_iter(),
        rights,
        near,
        current: None,
        around: Vec::new(),
        next: 0,
    }
}

/// The pairs [`pairs_within`] finds, one at a time.
pub(super) struct Pairs<'a> {
    all: &'a [Occurrence],
    within: usize,
    order: WordOrder,
    /// The left side's occurrences still to pair (indices into `all`, in order).
    lefts: std::vec::IntoIter<usize>,
    /// The right side's occurrences, in order.
    rights: Vec<usize>,
    /// The right side's by position, in a long text.
    near: Option<Near>,
    /// The left occurrence being paired.
    current: Option<&'a Occurrence>,
    /// In a long text, the right occurrences near `current`, in order.
    around: Vec<usize>,
    /// The next of those (or of `rights`) to look at.
    next: usize,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a Occurrence, &'a Occurrence);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(a) = self.current {
                let candidates = if self.near.is_some() {
                    &self.around
                } else {
                    &self.rights
                };
                while let Some(&b) = candidates.get(self.next) {
                    self.next += 1;
                    let b = &self.all[b];
                    if close(a, b, self.within, self.order) {
                        return Some((a, b));
                    }
                }
            }
            let a = &self.all[self.lefts.next()?];
            self.current = Some(a);
            self.next = 0;
            if let Some(near) = &self.near {
                near.around(self.all, a, self.within, &mut self.around);
            }
        }
    }
}

/// Whether `b` is near enough `a` (and after it, where `order` says so) to pair with it.
fn close(a: &Occurrence, b: &Occurrence, within: usize, order: WordOrder) -> bool {
    if a.field != b.field || (order == WordOrder::LeftFirst && a.token + a.len > b.token) {
        return false;
    }
    let gap = if a.token <= b.token {
        b.token.saturating_sub(a.token + a.len)
    } else {
        a.token.saturating_sub(b.token + b.len)
    };
    gap <= within && !(a.token == b.token && a.len == b.len)
}

/// One side's occurrences of a long text, by field and position.
struct Near {
    /// Indices into the occurrences, ordered by field and token.
    sorted: Vec<usize>,
    /// The most words one of them spans.
    longest: usize,
}

impl Near {
    fn new(all: &[Occurrence], side: &[usize]) -> Near {
        let mut sorted = side.to_vec();
        sorted.sort_by_key(|&i| Near::key(&all[i]));
        let longest = sorted.iter().map(|&i| all[i].len).max().unwrap_or(0);
        Near { sorted, longest }
    }

    fn key(o: &Occurrence) -> (u8, usize) {
        (o.field as u8, o.token)
    }

    /// Into `out`, the indices of those that may lie within `within` words of `a`, in the
    /// order they occurred.
    fn around(&self, all: &[Occurrence], a: &Occurrence, within: usize, out: &mut Vec<usize>) {
        let field = a.field as u8;
        let from = (
            field,
            a.token.saturating_sub(within.saturating_add(self.longest)),
        );
        let to = (field, a.token.saturating_add(a.len).saturating_add(within));
        let key = |&i: &usize| Near::key(&all[i]);
        let lo = self.sorted.partition_point(|i| key(i) < from);
        let hi = self.sorted.partition_point(|i| key(i) <= to);
        out.clear();
        out.extend_from_slice(&self.sorted[lo..hi.max(lo)]);
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs as the simplest reading of the definition finds them: every left occurrence with
    /// every right one, in the order they occurred.
    fn every_pair<'a>(
        left: &[TermId],
        right: &[TermId],
        within: usize,
        order: WordOrder,
        occurrences: &'a [Occurrence],
        fields: &[Field],
    ) -> Vec<(&'a Occurrence, &'a Occurrence)> {
        let on =
            |ids: &[TermId], o: &Occurrence| ids.contains(&o.term) && fields.contains(&o.field);
        let mut out = Vec::new();
        for a in occurrences.iter().filter(|a| on(left, a)) {
            for b in occurrences.iter().filter(|b| on(right, b)) {
                if close(a, b, within, order) {
                    out.push((a, b));
                }
            }
        }
        out
    }

    #[test]
    fn a_long_text_pairs_as_a_headline_does() {
        // Terms 0 to 4 over two fields, some spanning several words, in an order that is not
        // their position's: a pseudo-random walk, the same every run.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from((seed >> 33) % n).unwrap()
        };
        for count in [5, FEW_OCCURRENCES, FEW_OCCURRENCES + 1, 400] {
            let occurrences: Vec<Occurrence> = (0..count)
                .map(|_| Occurrence {
                    term: next(5),
                    field: if next(4) == 0 {
                        Field::Summary
                    } else {
                        Field::Title
                    },
                    token: next(120),
                    len: 1 + next(3),
                })
                .collect();
            for (order, within) in [
                (WordOrder::Either, 0),
                (WordOrder::Either, 3),
                (WordOrder::LeftFirst, 5),
            ] {
                for fields in [&[Field::Title][..], &[Field::Title, Field::Summary]] {
                    let (left, right) = (&[0, 1][..], &[1, 2, 3][..]);
                    let index = Occurrences::new(occurrences.clone());
                    let found: Vec<_> =
                        pairs_within(left, right, within, order, &index, fields).collect();
                    let expected = every_pair(left, right, within, order, &occurrences, fields);
                    assert!(
                        count < 50 || !expected.is_empty(),
                        "{count} {order:?} {within}"
                    );
                    assert_eq!(found, expected, "{count} {order:?} {within}");
                }
            }
        }
    }
}
