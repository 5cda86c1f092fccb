//! Rendering a [`Reply`] as Telegram HTML messages.
//!
//! Every piece of user and model text is escaped; markup comes only from
//! here. Telegram takes at most 4096 characters a message, so a long reply is
//! split at line breaks, never inside a tag or an escape, and a single line
//! longer than the limit is cut at character boundaries.

use muse_domain::{Part, Reply};

/// Telegram's limit on one message's text.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// A piece of HTML that must stay in one message, and how it joins the
/// piece before it.
struct Unit {
    html: String,
    separator: &'static str,
}

/// Telegram's length unit is not documented precisely; UTF-16 code units
/// never undercount it.
fn len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The reply as HTML messages of at most `limit` characters each.
pub fn render(reply: &Reply, limit: usize) -> Vec<String> {
    let mut units = Vec::new();
    for part in &reply.parts {
        let first = units.len();
        match part {
            Part::Title(text) => units.extend(wrapped("<b>", text, "</b>", limit)),
            Part::Note(text) => units.extend(wrapped("<i>", text, "</i>", limit)),
            Part::Draft { number, text } => {
                units.extend(wrapped(&format!("<b>{number}.</b> <code>"), text, "</code>", limit));
            }
            // Files are sent as documents, not as text.
            Part::File { .. } => continue,
            Part::Text(text) => {
                for line in text.lines() {
                    let first_of_line = units.len();
                    units.extend(wrapped("", line, "", limit));
                    // Lines of one text join with a line break; a line cut
                    // in pieces joins with nothing.
                    for unit in &mut units[first_of_line..] {
                        unit.separator = "";
                    }
                    if let Some(unit) = units.get_mut(first_of_line) {
                        unit.separator = "\n";
                    }
                }
            }
        }
        if let Some(unit) = units.get_mut(first) {
            unit.separator = "\n\n";
        }
    }
    pack(units, limit)
}

/// `open + escape(text) + close`, cut into units that each fit `limit`.
fn wrapped(open: &str, text: &str, close: &str, limit: usize) -> Vec<Unit> {
    let overhead = len(open) + len(close);
    let room = limit.saturating_sub(overhead).max(1);
    let mut units = Vec::new();
    let mut piece = String::new();
    let mut piece_len = 0;
    let mut buffer = [0; 4];
    for c in text.chars() {
        // What `teloxide::utils::html::escape` writes, a character at a time
        // (this runs over every character of every reply).
        let escaped: &str = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            c => c.encode_utf8(&mut buffer),
        };
        let escaped_len = len(escaped);
        if piece_len + escaped_len > room && !piece.is_empty() {
            units.push(Unit { html: format!("{open}{piece}{close}"), separator: "" });
            piece.clear();
            piece_len = 0;
        }
        piece.push_str(escaped);
        piece_len += escaped_len;
    }
    if !piece.is_empty() || units.is_empty() {
        units.push(Unit { html: format!("{open}{piece}{close}"), separator: "" });
    }
    units
}

/// Greedy packing: each message takes units while they fit. A separator
/// that would start a message is dropped.
fn pack(units: Vec<Unit>, limit: usize) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    let mut current = String::new();
    for unit in units {
        let joined = len(&current) + len(unit.separator) + len(&unit.html);
        if current.is_empty() {
            current = unit.html;
        } else if joined <= limit {
            current.push_str(unit.separator);
            current.push_str(&unit.html);
        } else {
            messages.push(std::mem::replace(&mut current, unit.html));
        }
    }
    let blank = current.trim().is_empty();
    if !blank {
        messages.push(current);
    }
    messages.retain(|m| !m.trim().is_empty());
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reply(parts: Vec<Part>) -> Reply {
        Reply { parts, buttons: Vec::new() }
    }

    #[test]
    fn escapes_all_text_and_marks_up_drafts() {
        let messages = render(
            &reply(vec![
                Part::Title("3 <replies>".into()),
                Part::Draft { number: 1, text: "a < b & c > d".into() },
                Part::Note("<script>".into()),
            ]),
            MAX_MESSAGE_LEN,
        );
        assert_eq!(
            messages,
            ["<b>3 &lt;replies&gt;</b>\n\n<b>1.</b> <code>a &lt; b &amp; c &gt; d</code>\n\n<i>&lt;script&gt;</i>"]
        );
    }

    #[test]
    fn long_text_splits_at_line_breaks() {
        let line = "x".repeat(100);
        let text = vec![line.as_str(); 60].join("\n");
        let messages = render(&reply(vec![Part::Text(text.clone())]), MAX_MESSAGE_LEN);
        assert!(messages.len() >= 2);
        assert!(messages.iter().all(|m| len(m) <= MAX_MESSAGE_LEN));
        assert_eq!(messages.join("\n"), text);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_cut_between_characters() {
        let text = "&".repeat(3000);
        let messages = render(&reply(vec![Part::Text(text)]), MAX_MESSAGE_LEN);
        assert_eq!(messages.len(), 4, "15000 escaped characters need 4 messages of 4096");
        assert_eq!(messages.concat(), "&amp;".repeat(3000));
    }

    proptest! {
        #[test]
        fn every_message_fits_and_no_text_is_lost(
            texts in proptest::collection::vec("[a-z<>&\n ]{0,300}", 1..8),
            limit in 40usize..400,
        ) {
            let parts: Vec<Part> = texts.iter().enumerate().map(|(i, t)| match i % 3 {
                0 => Part::Text(t.clone()),
                1 => Part::Draft { number: i, text: t.clone() },
                _ => Part::Note(t.clone()),
            }).collect();
            let messages = render(&reply(parts), limit);
            for message in &messages {
                prop_assert!(len(message) <= limit, "{} > {limit}", len(message));
                prop_assert!(!message.trim().is_empty());
            }
            let visible: String = messages.concat().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
            let letters = |s: &str| s.chars().filter(char::is_ascii_lowercase).count();
            let expected: usize = texts.iter().map(|t| letters(t)).sum::<usize>();
            // Markup adds only the letters of its tags (b, code, i).
            let markup: usize = messages.iter().map(|m| m.matches("<b>").count() * 2 + m.matches("<code>").count() * 8 + m.matches("<i>").count() * 2).sum();
            prop_assert_eq!(letters(&visible), expected + markup);
        }

        #[test]
        fn a_line_that_fits_is_escaped_as_teloxide_escapes(text in "[a-zа-я😀<>&\"' ]{0,200}") {
            prop_assume!(!text.trim().is_empty());
            let line = Part::Text(text.clone());
            prop_assert_eq!(render(&reply(vec![line]), MAX_MESSAGE_LEN).concat(), teloxide::utils::html::escape(&text));
        }
    }
}
