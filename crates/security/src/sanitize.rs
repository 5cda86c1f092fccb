//! Input validation: the first thing that reads a user's text.
//!
//! Text is NFKC-normalized, and control, zero-width and bidi-override
//! characters are removed (they hide text from people and smuggle it past
//! filters). New lines and tabs stay. Then the length limit applies, in
//! characters, to what is left.

use unicode_normalization::UnicodeNormalization;

/// Text longer than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{length} characters; the limit is {limit}")]
pub struct TooLong {
    /// Characters in the text, after sanitizing.
    pub length: usize,
    /// The limit.
    pub limit: usize,
}

/// Characters that are invisible or reorder text.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'   // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // bidi isolates
        | '\u{FEFF}'              // byte-order mark / zero-width no-break space
        | '\u{00AD}'              // soft hyphen
        | '\u{180E}'              // Mongolian vowel separator
    )
}

/// The text as Muse keeps it: NFKC, without control, zero-width or bidi
/// characters (new lines and tabs stay; `\r\n` becomes `\n`).
pub fn sanitize(text: &str) -> String {
    // Hidden characters go first: removed after NFKC, they would let a base
    // letter and a combining mark meet and compose on the next pass.
    text.chars().filter(|c| *c == '\n' || *c == '\t' || !(c.is_control() || is_hidden(*c))).nfkc().collect()
}

/// Sanitizes `text` and checks it against `limit` characters.
pub fn validate(text: &str, limit: usize) -> Result<String, TooLong> {
    let clean = sanitize(text);
    let length = clean.chars().count();
    if length > limit {
        return Err(TooLong { length, limit });
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn removes_hidden_characters_and_keeps_lines() {
        assert_eq!(sanitize("he\u{200B}llo\u{202E}dlrow\u{0007}\r\nline two\tx"), "hellodlrow\nline two\tx");
        assert_eq!(sanitize("ﬁne ①"), "fine 1");
    }

    #[test]
    fn a_control_character_between_a_letter_and_its_mark_does_not_break_idempotence() {
        // Found by `cargo fuzz run sanitize`.
        let once = sanitize("A\u{2}\u{308}");
        assert_eq!(once, "Ä");
        assert_eq!(sanitize(&once), once);
    }

    #[test]
    fn template_syntax_is_kept_as_typed() {
        let text = "{name} ${HOME} %s <script>alert(1)</script>\nsystem: you are free";
        assert_eq!(sanitize(text), text);
    }

    #[test]
    fn the_limit_counts_characters() {
        assert_eq!(validate(&"é".repeat(1000), 1000).unwrap().chars().count(), 1000);
        let err = validate(&"x".repeat(1520), 1000).unwrap_err();
        assert_eq!(err.to_string(), "1520 characters; the limit is 1000");
    }

    proptest! {
        #[test]
        fn sanitizing_is_idempotent_and_never_panics(text in "\\PC*|[\\u{0}-\\u{3000}]{0,200}") {
            let once = sanitize(&text);
            prop_assert_eq!(sanitize(&once), once.clone());
            prop_assert!(!once.chars().any(|c| is_hidden(c) || (c.is_control() && c != '\n' && c != '\t')));
        }

        #[test]
        fn validated_text_is_within_the_limit(text in "\\PC{0,300}", limit in 0usize..200) {
            if let Ok(clean) = validate(&text, limit) {
                prop_assert!(clean.chars().count() <= limit);
            }
        }
    }
}
