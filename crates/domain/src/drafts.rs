//! Turning one completion into separate drafts.
//!
//! Models are asked for "1." "2." "3." but answer in many shapes: a preface
//! line, `1)` or `**1.**`, bullets, quotes, blank-line paragraphs. The parser
//! accepts all of them and never returns empty drafts.

/// Splits a completion into at most `count` clean drafts.
pub fn parse(text: &str, count: usize) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    let mut items = marked_items(&text);
    if items.is_empty() {
        items = paragraphs(&text);
        if items.len() == 1 {
            items = text.lines().map(str::to_owned).collect();
        }
    }
    items.iter().map(|item| clean(item)).filter(|draft| !draft.is_empty() && !is_preface(draft)).take(count).collect()
}

/// Items that start with a number or bullet marker; following unmarked
/// lines belong to the item above them, up to a blank line.
fn marked_items(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = strip_marker(trimmed) {
            items.push(rest.to_owned());
            open = true;
        } else if trimmed.is_empty() {
            open = false;
        } else if open && let Some(last) = items.last_mut() {
            last.push('\n');
            last.push_str(trimmed);
        }
    }
    items
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

/// `1.`, `1)`, `1:`, `1 -`, `**1.**`, `Draft 1:`, `Option 2 -`, `-`, `*`, `•`.
fn strip_marker(line: &str) -> Option<&str> {
    let line = line.trim_start_matches("**").trim_start_matches('#').trim_start();
    for bullet in ["- ", "* ", "• ", "– "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(rest);
        }
    }
    let lower = line.to_ascii_lowercase();
    let line = ["draft", "option", "reply", "caption", "message", "pitch"]
        .iter()
        .find(|word| lower.starts_with(*word))
        .map_or(line, |word| line[word.len()..].trim_start());
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let rest = line[digits..].trim_start_matches("**");
    let rest = rest.strip_prefix(['.', ')', ':']).or_else(|| rest.trim_start().strip_prefix(['-', '–']))?;
    Some(rest.trim_start_matches("**").trim_start())
}

fn clean(item: &str) -> String {
    let mut draft = item.trim().trim_matches('*').trim();
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»'), ('\'', '\'')] {
        if let Some(inner) = draft.strip_prefix(open).and_then(|d| d.strip_suffix(close)) {
            draft = inner.trim();
        }
    }
    draft.to_owned()
}

/// "Here are 3 replies:" and the like: a line introducing the list.
fn is_preface(draft: &str) -> bool {
    draft.ends_with(':') && !draft.contains('\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbered_with_a_preface() {
        let text = "Here are 3 replies:\n\n1. Hey you 😘\n2) \"missed me?\"\n**3.** You're trouble\nand I like it";
        assert_eq!(parse(text, 3), ["Hey you 😘", "missed me?", "You're trouble\nand I like it"]);
    }

    #[test]
    fn labels_and_bullets() {
        assert_eq!(parse("Draft 1: a\nDraft 2: b\nDraft 3: c", 3), ["a", "b", "c"]);
        assert_eq!(parse("- one\n- two\n• three\n- four", 3), ["one", "two", "three"]);
    }

    #[test]
    fn unmarked_paragraphs_or_lines() {
        assert_eq!(
            parse("first one\nstill first\n\nsecond\n\nthird", 3),
            ["first one\nstill first", "second", "third"]
        );
        assert_eq!(parse("a\nb\nc\nd", 3), ["a", "b", "c"]);
    }

    #[test]
    fn years_and_prices_are_not_markers() {
        assert_eq!(parse("2024 was wild\n$15 to unlock", 3), ["2024 was wild", "$15 to unlock"]);
    }

    proptest! {
        #[test]
        fn never_panics_and_never_yields_empty_drafts(text in "\\PC{0,300}", count in 0usize..5) {
            let drafts = parse(&text, count);
            prop_assert!(drafts.len() <= count);
            prop_assert!(drafts.iter().all(|d| !d.trim().is_empty()));
        }
    }
}
