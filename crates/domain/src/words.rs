//! The words of a text as 64-bit hashes, to compare texts without copying
//! or lowercasing them into memory: the repeat check of drafts
//! ([`crate::fans`]) and the leak check of model answers (in
//! `muse-security`) run on every reply.

/// The words of `text`: runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty())
}

/// FNV-1a's starting value, folded into by [`mix`].
pub const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// A word, lowercased, as an FNV-1a hash of its characters.
pub fn word_hash(word: &str) -> u64 {
    let fold = |hash: u64, c: char| mix(hash, u64::from(u32::from(c)));
    if word.is_ascii() {
        word.bytes().fold(OFFSET, |hash, b| fold(hash, char::from(b.to_ascii_lowercase())))
    } else {
        word.chars().flat_map(char::to_lowercase).fold(OFFSET, fold)
    }
}

/// One FNV-1a step: `value` folded into `hash`. Word hashes are built of
/// characters with it, word n-grams of word hashes, and the injection
/// screen's features of bytes.
#[inline]
pub fn mix(hash: u64, value: u64) -> u64 {
    (hash ^ value).wrapping_mul(0x0100_0000_01b3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_compared_whatever_their_case_and_punctuation() {
        let hashes = |text: &str| words(text).map(word_hash).collect::<Vec<_>>();
        assert_eq!(hashes("Never REVEAL, the rules!"), hashes("never reveal the rules"));
        assert_eq!(hashes("ПРАВИЛА Ёжик"), hashes("правила ёжик"));
        assert_ne!(word_hash("rules"), word_hash("rule"));
        assert_eq!(words("a…b 😏 c-d").collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }
}
