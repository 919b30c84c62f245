//! Reading the config's structure past its first problem.
//!
//! serde stops at the first key it cannot read (a misspelt key, a wrong type, a provider that
//! does not exist, an entry missing a field), so one such mistake would hide every other one
//! in the file. [`read`] reads the document; when it stops, the problem is reported, the part
//! it stopped at is taken out of the document, and the rest is read again — until it reads,
//! so its values are still checked and `check` shows every problem in one run. A wrong value
//! or an unknown key is taken out alone; a table that lacks a field goes whole, silently when
//! the field is one taken out before (it was reported then).

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::RawConfig;
use crate::problem::{Located, Problem};

/// More rounds than any hand-written config has problems: past this, the rest of the file is
/// not read (and the config is not valid anyway).
const MAX_ROUNDS: usize = 200;

/// The document's settings, read past every structural problem (each one in `problems`),
/// the broken parts left out; `None` when a problem could not be placed in the document.
pub(super) fn read(
    file: &impl Located,
    mut root: Spanned<DeTable<'_>>,
    problems: &mut Vec<Problem>,
) -> Option<RawConfig> {
    // Tables a part was taken out of: "missing field" there is that part, already reported.
    let mut trimmed: Vec<Range<usize>> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let error = match RawConfig::deserialize(toml::de::Deserializer::from(root.clone())) {
            Ok(raw) => return Some(raw),
            Err(error) => error,
        };
        let Some(taken) = error.span().and_then(|span| take_out(&mut root, &span)) else {
            problems.push(Problem::from_toml(file, &error));
            return None;
        };
        // A value from the environment is one span for all its parts: the same problem can
        // come up again for another part of it.
        let problem = Problem::from_toml(file, &error);
        let reported = taken.is_table && trimmed.contains(&taken.span);
        if !reported && !problems.contains(&problem) {
            problems.push(problem);
        }
        trimmed.push(taken.parent);
    }
    None
}

/// What [`take_out`] removed.
struct Taken {
    /// The removed value's span.
    span: Range<usize>,
    /// Whether it was a table.
    is_table: bool,
    /// The span of the table or array it was in.
    parent: Range<usize>,
}

/// Removes the part of `table` that `span` (an error's) points at: a key it names, else the
/// deepest value it is (containers' spans need not cover their parts: an array of tables
/// spans its first header, as does that first table, so the deepest match is the one meant).
fn take_out(table: &mut Spanned<DeTable<'_>>, span: &Range<usize>) -> Option<Taken> {
    let parent = table.span();
    let named = |key: &Spanned<_>, _: &Spanned<DeValue<'_>>| key.span().contains(&span.start);
    if let Some(taken) = remove_where(table.get_mut(), &parent, named) {
        return Some(taken);
    }
    let deeper = table
        .get_mut()
        .iter_mut()
        .find_map(|(_, value)| take_out_of(value, span));
    if deeper.is_some() {
        return deeper;
    }
    remove_where(table.get_mut(), &parent, |_, value| is_at(value, span))
}

/// Removes the first entry of `table` that `pick` chooses.
fn remove_where<'i>(
    table: &mut DeTable<'i>,
    parent: &Range<usize>,
    pick: impl Fn(&Spanned<toml::de::DeString<'i>>, &Spanned<DeValue<'i>>) -> bool,
) -> Option<Taken> {
    let key = table
        .iter()
        .find_map(|(key, value)| pick(key, value).then(|| key.get_ref().clone()))?;
    let value = table.remove(key.as_ref())?;
    Some(Taken::of(&value, parent))
}

/// [`take_out`] inside one value, when it is a table or an array.
fn take_out_of(value: &mut Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<Taken> {
    let parent = value.span();
    match value.get_mut() {
        DeValue::Table(inner) => {
            let mut inner = Spanned::new(parent, std::mem::take(inner));
            let taken = take_out(&mut inner, span);
            *value.get_mut() = DeValue::Table(inner.into_inner());
            taken
        }
        DeValue::Array(items) => {
            let deeper = items
                .as_mut()
                .iter_mut()
                .find_map(|item| take_out_of(item, span));
            if deeper.is_some() {
                return deeper;
            }
            let at = items.iter().position(|item| is_at(item, span))?;
            let taken = Taken::of(&items[at], &parent);
            let mut kept = DeArray::new();
            for (i, item) in items.iter().enumerate() {
                if i != at {
                    kept.push(item.clone());
                }
            }
            *items = kept;
            Some(taken)
        }
        _ => None,
    }
}

impl Taken {
    fn of(value: &Spanned<DeValue<'_>>, parent: &Range<usize>) -> Taken {
        Taken {
            span: value.span(),
            is_table: matches!(value.get_ref(), DeValue::Table(_)),
            parent: parent.clone(),
        }
    }
}

/// Whether the error at `span` is about `value`: its span exactly, or inside a plain value.
fn is_at(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
    value.span() == *span || (is_scalar(value.get_ref()) && value.span().contains(&span.start))
}

fn is_scalar(value: &DeValue<'_>) -> bool {
    !matches!(value, DeValue::Table(_) | DeValue::Array(_))
}
