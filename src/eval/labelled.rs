//! The labelled set `eval` scores: one headline a line with the rules it should fire, what the
//! set holds (languages, hard negatives), and its stable split into a dev and a test half.

use serde::{Deserialize, Serialize};

use crate::model::Headline;
use crate::text::Lang;

/// One labelled headline: the replay fields, and the rules whose text part should hold.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Labelled {
    /// The headline.
    #[serde(flatten)]
    pub headline: Headline,
    /// Rule ids whose text part should hold (`[]`: none).
    pub expect: Vec<String>,
    /// The rule whose story family the headline was collected for. Not scored; a headline
    /// whose `family` is not in its `expect` is a hard negative for that rule.
    #[serde(default)]
    pub family: Option<String>,
}

impl Labelled {
    /// The headline's language: as labelled, or as detected from its title.
    pub fn lang(&self) -> Lang {
        let h = &self.headline;
        h.lang
            .as_deref()
            .and_then(Lang::from_code)
            .unwrap_or_else(|| crate::text::normalize(&h.title, None).lang)
    }

    /// Whether the headline was collected around a rule's story but is not that story.
    pub fn is_hard_negative(&self) -> bool {
        self.family
            .as_ref()
            .is_some_and(|f| !self.expect.contains(f))
    }
}

/// What a labelled set holds: how many headlines, in which language, how many hard negatives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Headlines.
    pub headlines: usize,
    /// Of them in English.
    pub english: usize,
    /// Of them in German.
    pub german: usize,
    /// Of them hard negatives (see [`Labelled::is_hard_negative`]).
    pub hard_negatives: usize,
}

impl Summary {
    /// Counts `items`.
    pub fn of(items: &[Labelled]) -> Summary {
        let mut s = Summary {
            headlines: items.len(),
            ..Summary::default()
        };
        for item in items {
            match item.lang() {
                Lang::En => s.english += 1,
                Lang::De => s.german += 1,
            }
            s.hard_negatives += usize::from(item.is_hard_negative());
        }
        s
    }
}

/// Half of a labelled set, chosen by a stable hash of the headline (title and link), so a
/// headline stays in its half whatever else the file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Where rules are tuned.
    Dev,
    /// Where they are judged.
    Test,
}

impl Split {
    /// The half `headline` belongs to.
    pub fn of(headline: &Headline) -> Split {
        Split::of_key(&headline.title, headline.link.as_deref())
    }

    /// The half a headline with this title and link belongs to.
    pub fn of_key(title: &str, link: Option<&str>) -> Split {
        let key = format!("{}\u{1f}{}", title.trim(), link.unwrap_or(""));
        if xxhash_rust::xxh3::xxh3_64(key.as_bytes()).is_multiple_of(2) {
            Split::Dev
        } else {
            Split::Test
        }
    }
}

/// A labelled line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LabelError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a labelled set (JSON Lines; blank lines and `//` comments skipped). Every bad line —
/// not JSON, not a labelled headline, or not UTF-8 text (a line saved as Latin-1) — is
/// reported with its number; the good ones are kept.
pub fn parse(bytes: impl AsRef<[u8]>) -> (Vec<Labelled>, Vec<LabelError>) {
    json_lines(bytes.as_ref(), |l: &Labelled| {
        l.headline
            .title
            .trim()
            .is_empty()
            .then(|| "empty title".into())
    })
}

/// Reads JSON Lines of `T`, skipping blank lines and `//` comments; a line that is not UTF-8
/// text (as `replay` and `match` skip one), does not parse, or that `invalid` finds fault with
/// is reported with its number, and the rest kept. A byte-order mark some editors put first is
/// not content (as in the replay formats).
pub(super) fn json_lines<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    invalid: impl Fn(&T) -> Option<String>,
) -> (Vec<T>, Vec<LabelError>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    // Lines as `str::lines` has them: ended by `\n` or `\r\n`, none after a last line break.
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let error = |message: String| LabelError {
            line: i + 1,
            message,
        };
        let Ok(line) = std::str::from_utf8(line) else {
            errors.push(error("not UTF-8 text".into()));
            continue;
        };
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        match serde_json::from_str::<T>(line) {
            Ok(item) => match invalid(&item) {
                Some(message) => errors.push(error(message)),
                None => items.push(item),
            },
            Err(e) => errors.push(error(e.to_string())),
        }
    }
    (items, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named_and_the_rest_kept() {
        let text = "// labelled\n{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"A\",\"expect\":[]}\nnot json\n{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\" \",\"expect\":[]}\n{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"B\"}\n";
        let (items, errors) = parse(text);
        assert_eq!(items.len(), 1);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5], "{errors:?}");
        assert!(
            errors[2].message.contains("expect"),
            "{}",
            errors[2].message
        );
    }

    /// A line saved in Latin-1 is named and skipped, as a line that is not JSON is, and the
    /// lines around it kept: not the whole set refused.
    #[test]
    fn a_line_that_is_not_utf8_is_named_and_the_rest_kept() {
        let mut bytes =
            b"{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"A\",\"expect\":[]}\r\n".to_vec();
        bytes.extend_from_slice(
            b"{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"M\xfcnchen\",\"expect\":[]}\r\n",
        );
        bytes.extend_from_slice(
            b"\n{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"B\",\"expect\":[]}",
        );
        let (items, errors) = parse(&bytes);
        let titles: Vec<&str> = items.iter().map(|l| l.headline.title.as_str()).collect();
        assert_eq!(titles, ["A", "B"]);
        assert_eq!(
            errors,
            [LabelError {
                line: 2,
                message: "not UTF-8 text".into()
            }]
        );
        assert_eq!(errors[0].to_string(), "line 2: not UTF-8 text");
    }

    #[test]
    fn a_byte_order_mark_before_the_first_line_is_not_content() {
        // Editors on Windows save UTF-8 with one; the first headline must not be lost to it.
        let text =
            "\u{feff}{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"A\",\"expect\":[]}\r\n";
        let (items, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(items.len(), 1);
        let (readings, errors) =
            super::super::parse_readings("\u{feff}{\"title\":\"A\",\"expect\":[]}\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(readings.len(), 1);
    }

    #[test]
    fn the_summary_counts_languages_and_hard_negatives() {
        let text = concat!(
            "{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"OpenAI sucht Alternativen\",\"lang\":\"de\",\"family\":\"seed\",\"expect\":[\"seed\"]}\n",
            "{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"Nvidia weist Bericht über Zerwürfnis zurück\",\"family\":\"seed\",\"expect\":[]}\n",
            "{\"published\":\"2026-02-02T21:47:00Z\",\"title\":\"Fed holds rates\",\"expect\":[]}\n",
        );
        let (items, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        // The second line says no language: detected as German from its words.
        assert_eq!(
            Summary::of(&items),
            Summary {
                headlines: 3,
                english: 1,
                german: 2,
                hard_negatives: 1
            }
        );
        assert!(items[1].is_hard_negative() && !items[0].is_hard_negative());
        assert!(
            !items[2].is_hard_negative(),
            "no family: not collected around a story"
        );
    }
}
