//! Normalizing text for matching against term lists.
//!
//! Bypass spellings are undone before matching: case, Unicode compatibility
//! forms (NFKC), Cyrillic look-alike letters inside Latin words, leetspeak
//! (`dr1nk`), separators inside words (`m.e.e.t`, `m e e t`, `e-mail`) and
//! stretched letters (`meeeeet`). Matching is by whole words, so `therapist`
//! never matches `rapist` and `Scunthorpe` is just a town.
//!
//! Every token keeps the byte range of the original text it came from, so a
//! finding can say where it is.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

/// A normalized word and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The normalized spellings this word may stand for (leetspeak `1` can be
    /// `i` or `l`), the first being the main one.
    pub forms: Vec<String>,
    /// The word lowercased and NFKC-normalized, without leetspeak or
    /// squeezing (`base64` stays `base64`).
    pub plain: String,
    /// Whether the word had a letter repeated three times or more.
    pub stretched: bool,
    /// Its bytes in the original text.
    pub span: Range<usize>,
}

/// Characters that may stand for letters inside a word.
fn leet(c: char) -> Option<&'static [char]> {
    Some(match c {
        '0' => &['o'],
        '1' => &['i', 'l'],
        '3' => &['e'],
        '4' => &['a'],
        '5' => &['s'],
        '7' => &['t'],
        '8' => &['b'],
        '@' => &['a'],
        '$' => &['s'],
        '!' => &['i'],
        '|' => &['l'],
        _ => return None,
    })
}

/// Cyrillic letters that look like Latin ones.
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'к' => 'k',
        'м' => 'm',
        'т' => 't',
        'в' => 'b',
        'н' => 'h',
        _ => return None,
    })
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, 'А'..='я' | 'Ё' | 'ё')
        || c.is_alphanumeric()
        || c == '\''
        || c == '’'
        || leet(c).is_some()
}

/// Separators that may split a word without a space: `m.e.e.t`, `e-mail`.
fn is_joiner(c: char) -> bool {
    matches!(c, '.' | '-' | '_' | '*' | '/' | '\\' | '~' | '+' | '·' | '•' | ',' | ':')
}

/// `text` in NFKC, borrowed when it already is (the common case, told by
/// a quick check that is much cheaper than normalizing).
pub fn nfkc(text: &str) -> std::borrow::Cow<'_, str> {
    match unicode_normalization::is_nfkc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => std::borrow::Cow::Borrowed(text),
        _ => std::borrow::Cow::Owned(text.nfkc().collect()),
    }
}

/// Collapses runs of 3 or more of one character to 2; says whether any was.
fn squeeze(word: &str, keep: usize) -> (String, bool) {
    let mut out = String::with_capacity(word.len());
    let mut stretched = false;
    let mut last = None;
    let mut run = 0;
    for c in word.chars() {
        if Some(c) == last {
            run += 1;
        } else {
            last = Some(c);
            run = 1;
        }
        if run > keep {
            stretched |= run >= 3;
            continue;
        }
        out.push(c);
    }
    (out, stretched)
}

/// Collapses every run of one character to one (`meeeet` -> `met`): used to
/// compare a stretched word with a term squeezed the same way.
pub fn squeeze_all(word: &str) -> String {
    squeeze(word, 1).0
}

/// Lowercase, NFKC, look-alikes, leetspeak, no apostrophes, stretched
/// letters at most doubled. Idempotent.
pub fn normalize_word(raw: &str) -> Vec<String> {
    let lower = plain(raw);
    // One decision for both: a word with a Latin letter is read as Latin
    // (look-alikes and leetspeak undone), any other as it is. Reading `с1`
    // (Cyrillic с) as `сi` would make a Latin word of it, which a second
    // pass reads as `ci`: not idempotent.
    let has_latin = lower.chars().any(|c| c.is_ascii_alphabetic());
    let mut forms = vec![String::new()];
    for c in lower.chars() {
        let c = if has_latin { latin_lookalike(c).unwrap_or(c) } else { c };
        match leet(c) {
            // Digits and symbols stand for letters only inside Latin words.
            Some(options) if has_latin => {
                let mut next = Vec::with_capacity(forms.len() * options.len());
                for form in &forms {
                    for option in options {
                        let mut form = form.clone();
                        form.push(*option);
                        next.push(form);
                    }
                }
                next.truncate(4);
                forms = next;
            }
            _ => forms.iter_mut().for_each(|form| form.push(c)),
        }
    }
    // A symbol read as a letter can meet a combining mark ("@\u{300}" -> "à"):
    // compose again, so a form normalizes to itself.
    forms.into_iter().map(|form| nfkc(&squeeze(&form, 2).0).into_owned()).filter(|form| !form.is_empty()).collect()
}

struct Raw {
    span: Range<usize>,
    /// Only joiners (no whitespace) between this word and the one before.
    joined_to_previous: bool,
}

/// `EVERYTHING!!!` is a word and an exclamation, not leetspeak: symbols
/// that stand for letters only do so inside a word.
fn trim_symbols(text: &str, span: Range<usize>) -> Range<usize> {
    let word = &text[span.clone()];
    let edge = |c: char| matches!(c, '!' | '|' | '\'' | '’');
    let trimmed_start = word.trim_start_matches(edge);
    let start = span.start + (word.len() - trimmed_start.len());
    let trimmed = trimmed_start.trim_end_matches(|c: char| edge(c) || c == '@' || c == '$');
    if trimmed.is_empty() { span } else { start..start + trimmed.len() }
}

fn raw_words(text: &str) -> Vec<Raw> {
    let mut words: Vec<Raw> = Vec::new();
    let mut start: Option<usize> = None;
    let mut gap_has_space = false;
    let mut gap_only_joiners = true;
    let mut gap_len = 0usize;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            words.push(Raw { span: trim_symbols(text, s..i), joined_to_previous: false });
            let last = words.len() - 1;
            words[last].joined_to_previous = last > 0 && gap_only_joiners && gap_len > 0 && !gap_has_space;
            gap_has_space = false;
            gap_only_joiners = true;
            gap_len = 0;
        }
        gap_len += 1;
        gap_has_space |= c.is_whitespace();
        gap_only_joiners &= is_joiner(c);
    }
    if let Some(s) = start {
        let joined = !words.is_empty() && gap_only_joiners && gap_len > 0 && !gap_has_space;
        words.push(Raw { span: trim_symbols(text, s..text.len()), joined_to_previous: joined });
    }
    words
}

/// The words of a text, normalized.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// Every word, in order.
    pub words: Vec<Token>,
    /// Words that separators split (`m.e.e.t`, `e-mail`, `d r i n k`),
    /// joined back into one token spanning the pieces.
    pub joined: Vec<Token>,
}

/// The words of `text`, normalized, each with its span.
pub fn tokens(text: &str) -> Tokens {
    let raw = raw_words(text);
    // A lone apostrophe normalizes to nothing: it is not a word.
    let words: Vec<Token> = raw.iter().map(|w| token(text, w.span.clone())).filter(|t| !t.forms.is_empty()).collect();
    let mut extra = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        // Pieces glued by joiners: "m.e.e.t", "e-mail", "dr_ink".
        let mut j = i + 1;
        while j < raw.len() && raw[j].joined_to_previous {
            j += 1;
        }
        if j - i >= 2 {
            extra.push(joined(text, &raw[i..j]));
            i = j;
            continue;
        }
        // Three or more single characters split by single spaces: "m e e t".
        let single = |w: &Raw| text[w.span.clone()].chars().count() == 1;
        let mut j = i;
        while j < raw.len() && single(&raw[j]) && (j == i || single_space_before(text, &raw[j])) {
            j += 1;
        }
        if j - i >= 3 {
            extra.push(joined(text, &raw[i..j]));
            i = j;
            continue;
        }
        i += 1;
    }
    extra.retain(|t| !t.forms.is_empty());
    Tokens { words, joined: extra }
}

fn single_space_before(text: &str, word: &Raw) -> bool {
    word.span.start >= 1 && text[..word.span.start].ends_with(' ') && !text[..word.span.start - 1].ends_with(' ')
}

fn token(text: &str, span: Range<usize>) -> Token {
    let raw = &text[span.clone()];
    simple_token(raw, &span).unwrap_or_else(|| full_token(raw, span))
}

fn full_token(raw: &str, span: Range<usize>) -> Token {
    let stretched = squeeze(&raw.to_lowercase(), 2).1;
    Token { forms: normalize_word(raw), plain: plain(raw), stretched, span }
}

/// The common case, a word of plain Latin or Russian letters, for which
/// NFKC changes nothing and there is no leetspeak or apostrophe: the same
/// token [`normalize_word`] and [`plain`] would give, in one pass.
fn simple_token(raw: &str, span: &Range<usize>) -> Option<Token> {
    let simple = |c: char| c.is_ascii_alphabetic() || matches!(c, 'А'..='я' | 'Ё' | 'ё');
    if raw.is_empty() || !raw.chars().all(simple) {
        return None;
    }
    if raw.is_ascii() {
        let lower = raw.to_ascii_lowercase();
        let bytes = lower.as_bytes();
        let stretched = bytes.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]);
        let form = if stretched { squeeze(&lower, 2).0 } else { lower.clone() };
        return Some(Token { forms: vec![form], plain: lower, stretched, span: span.clone() });
    }
    let lower: String = raw
        .chars()
        .map(|c| match c {
            'A'..='Z' => c.to_ascii_lowercase(),
            'А'..='Я' => char::from_u32(c as u32 + 32).unwrap_or(c),
            'Ё' => 'ё',
            _ => c,
        })
        .collect();
    let (stretched, form) = if lower.bytes().any(|b| b.is_ascii_alphabetic()) {
        let looks: String = lower.chars().map(|c| latin_lookalike(c).unwrap_or(c)).collect();
        (squeeze(&lower, 2).1, squeeze(&looks, 2).0)
    } else {
        let (form, stretched) = squeeze(&lower, 2);
        (stretched, form)
    };
    Some(Token { forms: vec![form], plain: lower, stretched, span: span.clone() })
}

fn plain(raw: &str) -> String {
    nfkc(raw).chars().flat_map(char::to_lowercase).filter(|c| *c != '\'' && *c != '’').collect()
}

fn joined(text: &str, pieces: &[Raw]) -> Token {
    let glued: String = pieces.iter().map(|w| &text[w.span.clone()]).collect();
    let span = pieces[0].span.start..pieces[pieces.len() - 1].span.end;
    let stretched = squeeze(&glued.to_lowercase(), 2).1;
    Token { forms: normalize_word(&glued), plain: plain(&glued), stretched, span }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn words(text: &str) -> Vec<String> {
        let tokens = tokens(text);
        tokens.words.iter().chain(&tokens.joined).map(|t| t.forms[0].clone()).collect()
    }

    #[test]
    fn undoes_bypass_spellings() {
        assert_eq!(normalize_word("DR1NK")[0], "drink");
        assert_eq!(normalize_word("m33t")[0], "meet");
        assert_eq!(normalize_word("ca$h")[0], "cash");
        assert_eq!(normalize_word("meeeeeet")[0], "meet");
        assert_eq!(normalize_word("Let's")[0], "lets");
        assert_eq!(normalize_word("ｍｅｅｔ")[0], "meet");
        assert_eq!(normalize_word("mееt")[0], "meet", "Cyrillic е inside a Latin word");
        assert_eq!(normalize_word("встреча")[0], "встреча", "Cyrillic words stay Cyrillic");
        assert_eq!(normalize_word("2024")[0], "2024", "numbers stay numbers");
        assert!(normalize_word("1ick").contains(&"lick".to_owned()));
        assert_eq!(normalize_word("с1")[0], "с1", "no leetspeak in a word without Latin letters");
        assert_eq!(normalize_word("\u{1e05e}\u{b9}")[0], "с1", "a Cyrillic modifier letter and ¹, after NFKC");
    }

    #[test]
    fn joins_words_split_by_separators() {
        assert!(words("let's m.e.e.t up").contains(&"meet".to_owned()));
        assert!(words("d r i n k with me").contains(&"drink".to_owned()));
        assert!(words("my e-mail").contains(&"email".to_owned()));
        assert!(!words("I am a girl").contains(&"iama".to_owned()), "real one-letter words are not glued");
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "hi M.E.E.T me";
        let glued = tokens(text).joined.into_iter().find(|t| t.forms[0] == "meet").unwrap();
        assert_eq!(&text[glued.span], "M.E.E.T");
    }

    #[test]
    fn a_symbol_read_as_a_letter_composes_with_its_mark() {
        for form in normalize_word("@\u{300}a") {
            assert!(normalize_word(&form).contains(&form), "{form:?}");
        }
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(word in "\\PC{0,30}") {
            for form in normalize_word(&word) {
                let again = normalize_word(&form);
                prop_assert!(again.contains(&form), "{form:?} -> {again:?}");
            }
        }

        #[test]
        fn the_fast_path_gives_the_full_token(word in "[a-zA-Zа-яА-ЯёЁ]{1,12}(aaa|ооо)?[a-zA-Zа-я]{0,4}") {
            let span = 0..word.len();
            prop_assert_eq!(simple_token(&word, &span), Some(full_token(&word, span)));
        }

        #[test]
        fn the_quick_nfkc_is_nfkc(text in "\\PC{0,40}") {
            prop_assert_eq!(nfkc(&text).into_owned(), text.nfkc().collect::<String>());
        }

        #[test]
        fn spans_are_valid_and_never_panic(text in "\\PC{0,200}") {
            let tokens = tokens(&text);
            for token in tokens.words.iter().chain(&tokens.joined) {
                prop_assert!(text.get(token.span.clone()).is_some());
                prop_assert!(!token.forms.is_empty());
            }
        }
    }
}
