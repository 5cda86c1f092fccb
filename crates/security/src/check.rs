//! `/check`: what in a user's own draft would be flagged, and where.

use muse_domain::{Part, Reply};

use crate::guard::Guard;
use crate::terms::Tier;

/// The reply to `/check <text>`.
pub fn check_reply(guard: &Guard, text: &str) -> Reply {
    if text.trim().is_empty() {
        return Reply::text("Send the draft after the command, for example: /check let's meet up later");
    }
    let findings = guard.scan(text);
    if findings.is_empty() {
        return Reply::text("Nothing in this draft would be flagged. ✅");
    }
    let lines: Vec<String> = findings
        .iter()
        .map(|finding| {
            let start = text[..finding.span.start].chars().count() + 1;
            let end = start + finding.matched.chars().count() - 1;
            let severity = match finding.tier {
                Tier::Block => "forbidden",
                Tier::Flag => "flagged by filters",
            };
            let what = guard.describe(&finding.category).unwrap_or(&finding.category);
            format!(
                "• \"{}\" (characters {start}–{end}): {} — {what}, {severity} [{}]",
                finding.matched, finding.term, finding.category
            )
        })
        .collect();
    let count = findings.len();
    Reply {
        parts: vec![
            Part::Title(format!("{count} {} would be flagged", if count == 1 { "thing" } else { "things" })),
            Part::Text(lines.join("\n")),
            Part::Note("Rewrite with other words: the platform forbids code words and misspellings, too.".to_owned()),
        ],
        buttons: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_and_where() {
        let reply = check_reply(&Guard::builtin(), "so, wanna m.e.e.t and dr1nk?").to_plain();
        assert!(reply.contains("\"m.e.e.t\" (characters 11–17): meet"), "{reply}");
        assert!(reply.contains("\"dr1nk\""), "{reply}");
        assert!(reply.starts_with("2 things would be flagged"), "{reply}");
    }

    #[test]
    fn no_false_alarms_on_ordinary_words() {
        let reply =
            check_reply(&Guard::builtin(), "something for my therapist, assistant and class in Scunthorpe").to_plain();
        assert!(reply.contains("Nothing in this draft would be flagged"), "{reply}");
    }
}
