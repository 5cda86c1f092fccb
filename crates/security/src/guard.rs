//! The compliance guard: which words and patterns of a text the platform's
//! rules forbid or flag, and where.
//!
//! Terms come from the versioned lists in `data/`; detectors catch what a
//! list cannot: phone numbers, emails, links, @handles, $cashtags, and ages
//! under 18 written in digits.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::normalize::{Token, Tokens, squeeze_all, tokens};
use crate::terms::{Pattern, TermList, Tier};

/// Something in a text that a rule forbids or flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The category: `minors`, `meeting`, `off_platform`, ...
    pub category: String,
    /// How serious it is.
    pub tier: Tier,
    /// The list term or detector that matched ("meet", "phone number").
    pub term: String,
    /// The matched text as written.
    pub matched: String,
    /// Its bytes in the text.
    pub span: Range<usize>,
}

#[derive(Clone, Debug)]
struct CategoryInfo {
    name: String,
    tier: Tier,
    description: String,
}

/// The guard: term lists and detectors, built once and shared.
#[derive(Clone, Debug)]
pub struct Guard {
    categories: Vec<CategoryInfo>,
    /// Patterns by their first word.
    by_first: HashMap<String, Vec<Pattern>>,
    /// Single-word stems (`изнасил*`), checked against every word.
    stems: Vec<Pattern>,
    versions: Vec<(String, u32)>,
}

impl Guard {
    /// A guard over the shipped English and Russian lists.
    pub fn builtin() -> Guard {
        Guard::new(&TermList::builtin())
    }

    /// A guard over `lists`.
    pub fn new(lists: &[TermList]) -> Guard {
        let mut categories: Vec<CategoryInfo> = Vec::new();
        let mut by_first: HashMap<String, Vec<Pattern>> = HashMap::new();
        let mut stems = Vec::new();
        for list in lists {
            for category in &list.categories {
                let index = match categories.iter().position(|c| c.name == category.name) {
                    Some(index) => index,
                    None => {
                        categories.push(CategoryInfo {
                            name: category.name.clone(),
                            tier: category.tier,
                            description: category.description.clone(),
                        });
                        categories.len() - 1
                    }
                };
                for term in &category.terms {
                    let Some(pattern) = Pattern::new(term, index) else { continue };
                    if pattern.prefix && pattern.words.len() == 1 {
                        stems.push(pattern);
                    } else {
                        by_first.entry(pattern.words[0].clone()).or_default().push(pattern);
                    }
                }
            }
        }
        let versions = lists.iter().map(|l| (l.language.clone(), l.version)).collect();
        Guard { categories, by_first, stems, versions }
    }

    /// The language and version of each list, for `/check` and health.
    pub fn versions(&self) -> &[(String, u32)] {
        &self.versions
    }

    /// What `category` covers, in words: "meeting in person".
    pub fn describe(&self, category: &str) -> Option<&str> {
        self.categories.iter().find(|c| c.name == category).map(|c| c.description.as_str())
    }

    /// Every finding in `text`, in order of position.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let tokens = tokens(text);
        let mut findings = Vec::new();
        self.match_terms(text, &tokens, &mut findings);
        detect(text, &mut findings);
        findings.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
        findings.dedup_by(|b, a| a.category == b.category && a.span.start <= b.span.start && b.span.end <= a.span.end);
        findings
    }

    /// Findings of the block tier only.
    pub fn scan_blocking(&self, text: &str) -> Vec<Finding> {
        self.scan(text).into_iter().filter(|f| f.tier == Tier::Block).collect()
    }

    fn finding(&self, text: &str, pattern: &Pattern, span: Range<usize>) -> Finding {
        let category = &self.categories[pattern.category];
        Finding {
            category: category.name.clone(),
            tier: category.tier,
            term: pattern.term.clone(),
            matched: text[span.clone()].to_owned(),
            span,
        }
    }

    fn match_terms(&self, text: &str, tokens: &Tokens, findings: &mut Vec<Finding>) {
        let words = &tokens.words;
        for (i, token) in words.iter().enumerate() {
            for form in &token.forms {
                for pattern in self.candidates(form) {
                    let last = pattern.words.len() - 1;
                    if i + last >= words.len() {
                        continue;
                    }
                    let all = pattern.words.iter().enumerate().all(|(k, word)| {
                        let t = &words[i + k];
                        t.forms.iter().any(|f| word_matches(t, f, word, pattern.prefix && k == last))
                    });
                    if all {
                        findings.push(self.finding(text, pattern, token.span.start..words[i + last].span.end));
                    }
                }
            }
        }
        // A joined token (m.e.e.t) is one word: it can match one-word terms.
        for token in &tokens.joined {
            for form in &token.forms {
                for pattern in self.candidates(form).filter(|p| p.words.len() == 1) {
                    if word_matches(token, form, &pattern.words[0], pattern.prefix) {
                        findings.push(self.finding(text, pattern, token.span.clone()));
                    }
                }
            }
        }
    }

    fn candidates<'a>(&'a self, form: &str) -> impl Iterator<Item = &'a Pattern> {
        let exact = self.by_first.get(form).into_iter().flatten();
        let squeezed = self.by_first.get(&squeeze_all(form)).into_iter().flatten();
        let stems = self.stems.iter().filter(move |p| form.starts_with(p.words[0].as_str()));
        exact.chain(squeezed).chain(stems)
    }
}

fn word_matches(token: &Token, form: &str, word: &str, prefix: bool) -> bool {
    if prefix {
        return form.starts_with(word);
    }
    form == word || (token.stretched && squeeze_all(form) == squeeze_all(word))
}

// The email and link patterns take ASCII word boundaries: a Unicode one
// makes the regex engine leave its fast DFA for a backtracker on any text
// with a character past ASCII (an emoji in a draft is enough; that was 60%
// of the time of scanning three drafts). Each of their boundaries has an ASCII letter or digit of the
// pattern on one side, so the ASCII one holds wherever the Unicode one
// does, and also next to a letter past ASCII: `ссылкаsite.com` is a link.
static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\+?\d(?:[\s().\-]{0,3}\d){6,14}").expect("valid regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+\-]+\s*(?:@|\(at\)|\[at\]|\s+at\s+)\s*[a-z0-9\-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\s+dot\s+)\s*[a-z]{2,6})+(?-u:\b)")
        .expect("valid regex")
});
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:https?://|www\.)\S+|(?-u:\b)[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|net|org|io|me|ly|co|ru|app|link|gg|tv|xyz|info|site|to|fans|bio|page|cc|us|uk)(?-u:\b)(?:/\S*)?",
    )
    .expect("valid regex")
});
static HANDLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s(\[,;:])(@[A-Za-z0-9_.]{3,})").expect("valid regex"));
static CASHTAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s(])(\$[A-Za-z][A-Za-z0-9_]{2,})").expect("valid regex"));
static AGE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d{1,2})\s*(?:yo|y/o|y\.o\.?|yrs?|years?(?:\s+old)?|year-old|лет|года|годиков)\b")
        .expect("valid regex")
});
static AGE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:age|aged|i'?m|i\s+am|she'?s|he'?s|turning|turned|only|мне|ей|ему)\s+(\d{1,2})\b(\s*\S+)?")
        .expect("valid regex")
});

/// Words after "I'm 5" that make it a height, a distance or a time, not an age.
const NOT_AN_AGE: &[&str] = &[
    "ft",
    "foot",
    "feet",
    "'",
    "\"",
    "inch",
    "inches",
    "cm",
    "kg",
    "lbs",
    "lb",
    "min",
    "mins",
    "minutes",
    "hours",
    "hrs",
    "am",
    "pm",
    "k",
    "%",
    "miles",
    "km",
    "of",
    "out",
    "days",
    "weeks",
    "percent",
    "минут",
    "часов",
    "км",
];

fn detect(text: &str, findings: &mut Vec<Finding>) {
    let mut push = |category: &str, term: &str, span: Range<usize>| {
        let tier = Tier::Block;
        findings.push(Finding {
            category: category.to_owned(),
            tier,
            term: term.to_owned(),
            matched: text[span.clone()].to_owned(),
            span,
        });
    };
    // Phone numbers and ages need a digit; most drafts have none, and the
    // age patterns keep Unicode boundaries (`15 лет`), which are slow.
    if !text.chars().any(char::is_numeric) {
        detect_text(text, &mut push);
        return;
    }
    for m in PHONE.find_iter(text) {
        if m.as_str().chars().filter(char::is_ascii_digit).count() >= 7 {
            push("off_platform", "phone number", m.range());
        }
    }
    detect_text(text, &mut push);
    if !may_state_an_age(text) {
        return;
    }
    for c in AGE_AFTER.captures_iter(text) {
        if let (Some(all), Some(age)) = (c.get(0), c.get(1))
            && under_18(age.as_str())
        {
            push("minors", "age under 18", all.range());
        }
    }
    for c in AGE_BEFORE.captures_iter(text) {
        let (Some(all), Some(age)) = (c.get(0), c.get(1)) else { continue };
        let next = c.get(2).map(|m| m.as_str().trim().to_lowercase()).unwrap_or_default();
        let unit = NOT_AN_AGE.iter().any(|unit| next.starts_with(unit));
        // "only 9.99", "I'm 5'4": a price or a height.
        let decimal = text[age.end()..].starts_with(['.', ',', '\'', '’']);
        if under_18(age.as_str()) && !unit && !decimal {
            push("minors", "age under 18", all.start()..age.end());
        }
    }
}

/// Whether some run of digits in `text` has, after it (past spaces), the
/// first letter of an age unit (`16yo`, `15 лет`), or, before it (past
/// spaces), the last letter of a word that states an age (`I'm 16`,
/// `мне 15`): what the age patterns need, checked without them. A numbered
/// draft ("1. hey you") has neither.
fn may_state_an_age(text: &str) -> bool {
    const UNIT_FIRST: &[char] = &['y', 'л', 'г'];
    const WORD_LAST: &[char] = &['e', 'd', 'm', 's', 'ſ', 'g', 'y', 'е', 'й', 'у'];
    let chars: Vec<char> = text.chars().collect();
    let lower = |c: &char| c.to_lowercase().next().unwrap_or(*c);
    let mut at = 0;
    while at < chars.len() {
        if !chars[at].is_numeric() {
            at += 1;
            continue;
        }
        // A run of digits: what is before its first and after its last.
        let spaced = at > 0 && chars[at - 1].is_whitespace();
        let before = chars[..at].iter().rev().find(|c| !c.is_whitespace());
        while at < chars.len() && chars[at].is_numeric() {
            at += 1;
        }
        let after = chars[at..].iter().find(|c| !c.is_whitespace());
        if after.is_some_and(|c| UNIT_FIRST.contains(&lower(c)))
            || (spaced && before.is_some_and(|c| WORD_LAST.contains(&lower(c))))
        {
            return true;
        }
    }
    false
}

/// The detectors that need no digit: emails, links, @handles, $cashtags.
fn detect_text(text: &str, push: &mut impl FnMut(&str, &str, Range<usize>)) {
    for m in EMAIL.find_iter(text) {
        push("off_platform", "email address", m.range());
    }
    for m in LINK.find_iter(text) {
        push("off_platform", "link", m.range());
    }
    if text.contains('@') {
        for c in HANDLE.captures_iter(text) {
            if let Some(m) = c.get(1) {
                push("off_platform", "@handle", m.range());
            }
        }
    }
    if text.contains('$') {
        for c in CASHTAG.captures_iter(text) {
            if let Some(m) = c.get(1) {
                push("off_platform", "$cashtag", m.range());
            }
        }
    }
}

fn under_18(digits: &str) -> bool {
    digits.parse::<u32>().is_ok_and(|age| (1..18).contains(&age))
}

#[cfg(test)]
mod tests;
