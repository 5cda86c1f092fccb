//! Term lists: versioned data files, one per language.

use serde::Deserialize;

use crate::normalize::normalize_word;

/// How serious a category is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Forbidden by the platform's Acceptable Use Policy.
    Block,
    /// Innocent, but flagged by the platform's filters; drafts avoid it.
    Flag,
}

/// One list file.
#[derive(Clone, Debug, Deserialize)]
pub struct TermList {
    /// Bumped on every change of the list.
    pub version: u32,
    /// The language code.
    pub language: String,
    /// The categories.
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

/// A category of terms.
#[derive(Clone, Debug, Deserialize)]
pub struct Category {
    /// Its name, as counters and `/check` show it.
    pub name: String,
    /// Its tier.
    pub tier: Tier,
    /// What it covers, in words (used to tell the model what to avoid).
    pub description: String,
    /// Words and phrases; a trailing `*` matches any ending.
    pub terms: Vec<String>,
}

/// Why a list file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TermsError {
    /// Not valid TOML of the expected shape.
    #[error("term list is not valid: {0}")]
    Parse(#[from] toml::de::Error),
}

impl TermList {
    /// Parses a list file.
    pub fn parse(text: &str) -> Result<TermList, TermsError> {
        Ok(toml::from_str(text)?)
    }

    /// The lists shipped with Muse: English and Russian.
    pub fn builtin() -> Vec<TermList> {
        [include_str!("../data/terms.en.toml"), include_str!("../data/terms.ru.toml")]
            .into_iter()
            .map(|text| TermList::parse(text).expect("the shipped term lists parse (tested)"))
            .collect()
    }
}

/// A term ready for matching: its normalized words.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    pub(crate) words: Vec<String>,
    /// The last word is a stem: any word starting with it matches.
    pub(crate) prefix: bool,
    pub(crate) term: String,
    pub(crate) category: usize,
}

impl Pattern {
    pub(crate) fn new(term: &str, category: usize) -> Option<Pattern> {
        let prefix = term.ends_with('*');
        let words: Vec<String> = term
            .trim_end_matches('*')
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter(|w| !w.is_empty())
            .filter_map(|w| normalize_word(w).into_iter().next())
            .collect();
        (!words.is_empty()).then(|| Pattern { words, prefix, term: term.to_owned(), category })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_lists_parse_and_are_substantial() {
        let lists = TermList::builtin();
        assert_eq!(lists.iter().map(|l| l.language.as_str()).collect::<Vec<_>>(), ["en", "ru"]);
        let english: usize = lists[0].categories.iter().map(|c| c.terms.len()).sum();
        assert!(english >= 200, "{english} English terms");
        for list in &lists {
            for category in &list.categories {
                for term in &category.terms {
                    assert!(Pattern::new(term, 0).is_some(), "{term:?} normalizes to nothing");
                }
            }
        }
    }
}
