//! `/check`: what in a user's own draft would be flagged, and where.
//! [`CheckLayer`] answers it in front of the assistant.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt};
use muse_domain::{Command, Part, Reply, Request, Ui};
use tower::{Layer, Service};

use crate::guard::Guard;
use crate::terms::Tier;

/// Answers `/check` with the compliance guard; passes everything else on.
#[derive(Clone, Debug)]
pub struct CheckLayer {
    guard: Arc<Guard>,
}

impl CheckLayer {
    /// `/check` with `guard`.
    pub fn new(guard: Arc<Guard>) -> CheckLayer {
        CheckLayer { guard }
    }
}

impl<S> Layer<S> for CheckLayer {
    type Service = Checker<S>;

    fn layer(&self, inner: S) -> Checker<S> {
        Checker { inner, guard: self.guard.clone() }
    }
}

/// The service of [`CheckLayer`].
#[derive(Clone, Debug)]
pub struct Checker<S> {
    inner: S,
    guard: Arc<Guard>,
}

impl<S> Service<Request> for Checker<S>
where
    S: Service<Request, Response = Reply>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Reply;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Reply, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match request.command() {
            Some(Command::Check(text)) => std::future::ready(Ok(check_reply(request.ui(), &self.guard, text))).boxed(),
            _ => self.inner.call(request).boxed(),
        }
    }
}

/// The reply to `/check <text>`.
pub fn check_reply(ui: Ui, guard: &Guard, text: &str) -> Reply {
    if text.trim().is_empty() {
        return Reply::text(ui.say("check-usage"));
    }
    let findings = guard.scan(text);
    if findings.is_empty() {
        return Reply::text(ui.say("check-clean"));
    }
    let lines: Vec<String> = findings
        .iter()
        .map(|finding| {
            let start = text[..finding.span.start].chars().count() + 1;
            let end = start + finding.matched.chars().count() - 1;
            let severity = ui.say(match finding.tier {
                Tier::Block => "check-forbidden",
                Tier::Flag => "check-flagged",
            });
            let what = guard.describe(&finding.category).unwrap_or(&finding.category);
            ui.say_with(
                "check-line",
                &[
                    ("matched", finding.matched.as_str().into()),
                    ("start", start.into()),
                    ("end", end.into()),
                    ("term", finding.term.as_str().into()),
                    ("what", what.into()),
                    ("severity", severity.into()),
                    ("category", finding.category.as_str().into()),
                ],
            )
        })
        .collect();
    let count = findings.len();
    Reply {
        parts: vec![
            Part::Title(ui.say_with("check-title", &[("count", count.into())])),
            Part::Text(lines.join("\n")),
            Part::Note(ui.say("check-advice")),
        ],
        buttons: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_and_where() {
        let reply = check_reply(Ui::En, &Guard::builtin(), "so, wanna m.e.e.t and dr1nk?").to_plain();
        assert!(reply.contains("\"m.e.e.t\" (characters 11–17): meet"), "{reply}");
        assert!(reply.contains("\"dr1nk\""), "{reply}");
        assert!(reply.starts_with("2 things would be flagged"), "{reply}");
    }

    #[test]
    fn asking_a_fan_for_his_contact_is_caught_in_both_languages() {
        let guard = Guard::builtin();
        for ask in [
            "send me your number babe",
            "add me on snap 😘",
            "what's your insta?",
            "whats ur snapchat... I mean your snapchat",
            "скинь номер, котик",
            "какой твой инстаграм?",
            "добавь меня в телегу",
        ] {
            let findings = guard.scan(ask);
            assert!(findings.iter().any(|f| f.category == "off_platform"), "{ask}: {findings:?}");
        }
        for fine in ["you're my number one 💕", "what's your favourite snack?", "follow your heart"] {
            let findings = guard.scan(fine);
            assert!(!findings.iter().any(|f| f.category == "off_platform"), "{fine}: {findings:?}");
        }
    }

    #[test]
    fn no_false_alarms_on_ordinary_words() {
        let reply =
            check_reply(Ui::En, &Guard::builtin(), "something for my therapist, assistant and class in Scunthorpe")
                .to_plain();
        assert!(reply.contains("Nothing in this draft would be flagged"), "{reply}");
    }
}
