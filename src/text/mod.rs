//! Text normalisation: one pipeline shared by headlines and rule terms.
//!
//! A rule term and a headline only meet after both went through [`normalize`], so `Ärger`,
//! `ärger` and `aerger` are the same token, `NVIDIA-Chips` is the tokens `nvidia` `chips`, and
//! `UPDATE 1-… - Reuters` is the same story as the original; words carry their stems in the
//! headline's language (detected when the feed does not say). Nothing here knows about rules.

mod clean;
mod lang;
mod normalize;

pub use clean::clean_title;
pub use lang::{Lang, is_filler};
pub use normalize::{
    NormalizedText, Token, Word, fold, normalize, normalize_in, stem_of, story_key,
};
