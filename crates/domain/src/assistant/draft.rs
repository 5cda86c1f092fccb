//! Drafting: `/reply`, `/flirt`, `/caption`, `/ppv`, `/mass`, optionally
//! for one fan (`/reply @alex hey what's up`), with no draft repeating one
//! of the last [`RECENT_DRAFTS`] for the same fan (or the same user).

use std::sync::atomic::Ordering;

use super::ask::Job;
use super::{Assistant, Failure, MORE, throttled};
use crate::command::MENU;
use crate::drafts;
use crate::fans::{self, FanCard, MAX_FANS};
use crate::kind::Kind;
use crate::refine::Refine;
use crate::reply::{Button, Part, Reply};
use crate::request::Request;
use crate::session::{RECENT_DRAFTS, Session};
use crate::text::{self, note};

/// `@name rest` at the start of a drafting request: the fan's name and his
/// message.
fn addressed(text: &str) -> Option<(Option<String>, String)> {
    let rest = text.strip_prefix('@')?;
    let (head, message) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((fans::fan_name(head), message.trim().to_owned()))
}

impl Assistant {
    pub(super) async fn draft(
        &self,
        request: &Request,
        session: &mut Session,
        kind: Kind,
        asked: String,
        refine: Option<Refine>,
    ) -> Reply {
        let (card, text) = match addressed(&asked) {
            None => (None, asked.clone()),
            Some((None, _)) => return Reply::text(text::fans::BAD_NAME),
            Some((Some(_), message)) if message.is_empty() => return Reply::text(text::fans::NEEDS_MESSAGE),
            Some((Some(name), message)) => match self.card_for(request.user, session, &name).await {
                Ok(card) => (Some(card), message),
                Err(reply) => return reply,
            },
        };
        if text.is_empty() && kind.needs_text() {
            let example = MENU.iter().find(|entry| entry.name == kind.command()).map_or("", |entry| entry.example);
            return Reply::text(text::needs_text(example));
        }
        // A refine rewrites the last drafts on purpose: it is not a repeat.
        let earlier = if refine.is_some() { Vec::new() } else { earlier_drafts(session, card.as_ref()) };
        let previous = session.last_drafts.clone();
        let job = Job { kind, text: &text, fan: card.as_ref(), refine: refine.map(|r| (r, previous.as_slice())) };
        let mut refined = None;
        let (drafts, note) = match self.ask(request, session, job).await {
            Ok(reply) => match drafts::parse(&reply.text, self.inner.config.drafts) {
                drafts if drafts.is_empty() => (self.fresh_offline(kind, session, &earlier), Some(note::NO_DRAFTS)),
                drafts => {
                    // Only the model follows a refine; offline drafts say why they came instead.
                    refined = refine;
                    let drafts = self.unrepeated(request, session, job, drafts, &earlier).await;
                    (drafts, reply.fallback.then_some(note::FALLBACK))
                }
            },
            Err(Failure::Offline) => (self.fresh_offline(kind, session, &earlier), None),
            Err(Failure::Fallback(note)) => (self.fresh_offline(kind, session, &earlier), Some(note)),
            Err(Failure::Throttled { wait, notify }) => return throttled(wait, notify),
        };
        session.last_draft = Some((kind, asked));
        session.last_drafts = drafts.clone();
        session.draft_id += 1;
        self.remember(session, &text, &drafts.join("\n"));
        match card {
            Some(mut card) => {
                card.record(&text, &drafts.join("\n"));
                let name = card.name.clone();
                match self.inner.sessions.save_fan(request.user, card).await {
                    Ok(()) => session.touch_fan(&name),
                    Err(err) => tracing::error!(user = request.user, error = %err, "saving a fan card failed"),
                }
            }
            None => session.remember_drafts(&drafts),
        }
        let buttons = buttons(&drafts, session.draft_id);
        let mut parts = vec![Part::Title(kind.title(drafts.len()))];
        parts.extend(drafts.into_iter().enumerate().map(|(i, text)| Part::Draft { number: i + 1, text }));
        parts.extend(refined.map(|refine| Part::Note(text::refined(refine.label()))));
        parts.extend(note.map(|note| Part::Note(note.to_owned())));
        Reply { parts, buttons }
    }

    /// The card of `name`, or a new one while there is room.
    async fn card_for(&self, user: u64, session: &Session, name: &str) -> Result<FanCard, Reply> {
        match self.inner.sessions.load_fan(user, name).await {
            Ok(Some(card)) => Ok(card),
            Ok(None) if session.fans.len() >= MAX_FANS => Err(Reply::text(text::fans::full(MAX_FANS))),
            Ok(None) => Ok(FanCard::new(name)),
            Err(err) => {
                tracing::error!(user, error = %err, "loading a fan card failed");
                Err(Reply::text(text::fans::STORE_FAILED))
            }
        }
    }

    /// `drafts`, or, when one repeats an earlier draft, the model's second
    /// try; what still repeats is replaced by offline drafts that do not.
    async fn unrepeated(
        &self,
        request: &Request,
        session: &Session,
        job: Job<'_>,
        drafts: Vec<String>,
        earlier: &[String],
    ) -> Vec<String> {
        let kind = job.kind;
        let repeats = |draft: &String| fans::repeats(draft, earlier.iter());
        if !drafts.iter().any(repeats) {
            return drafts;
        }
        let mut drafts = drafts;
        if let Ok(reply) = self.ask(request, session, job).await {
            let again = drafts::parse(&reply.text, self.inner.config.drafts);
            if !again.is_empty() {
                drafts = again;
            }
        }
        let mut spare = self.spare_offline(kind, session, earlier);
        for draft in &mut drafts {
            if repeats(draft)
                && let Some(other) = spare.pop()
            {
                *draft = other;
            }
        }
        self.inner.repeats.fetch_add(1, Ordering::Relaxed);
        drafts
    }

    /// Offline drafts, as far as the templates allow none repeating an
    /// earlier draft.
    fn fresh_offline(&self, kind: Kind, session: &Session, earlier: &[String]) -> Vec<String> {
        let drafts = self.offline_drafts(kind, session);
        let repeats = |draft: &String| fans::repeats(draft, earlier.iter());
        if !drafts.iter().any(repeats) {
            return drafts;
        }
        self.inner.repeats.fetch_add(1, Ordering::Relaxed);
        let mut spare = self.spare_offline(kind, session, earlier);
        drafts.into_iter().map(|d| if repeats(&d) { spare.pop().unwrap_or(d) } else { d }).collect()
    }

    /// A few rounds of offline drafts, without those repeating `earlier`.
    fn spare_offline(&self, kind: Kind, session: &Session, earlier: &[String]) -> Vec<String> {
        let mut spare: Vec<String> = (0..4)
            .flat_map(|_| self.offline_drafts(kind, session))
            .filter(|d| !fans::repeats(d, earlier.iter()))
            .collect();
        spare.sort();
        spare.dedup();
        spare
    }
}

/// Under drafts: a copy button per draft short enough for one, the refine
/// row (two rows of three), and "3 more".
fn buttons(drafts: &[String], id: u64) -> Vec<Vec<Button>> {
    let copy: Vec<Button> =
        drafts.iter().enumerate().filter_map(|(i, d)| Button::copy(text::copy_label(i + 1), d)).collect();
    let refine: Vec<Button> = Refine::ALL.iter().map(|r| Button::callback(r.label(), r.data(id))).collect();
    let mut rows = Vec::with_capacity(4);
    if !copy.is_empty() {
        rows.push(copy);
    }
    rows.extend(refine.chunks(3).map(<[Button]>::to_vec));
    rows.push(vec![Button::callback(text::MORE_LABEL, MORE)]);
    rows
}

/// The drafts a new one must not repeat: the fan's last ones, or the
/// user's when no fan is named.
fn earlier_drafts(session: &Session, card: Option<&FanCard>) -> Vec<String> {
    match card {
        Some(card) => {
            let lines = card.exchanges.iter().rev().flat_map(|e| e.drafts.lines().rev().map(str::to_owned));
            lines.take(RECENT_DRAFTS).collect()
        }
        None => session.recent_drafts.iter().cloned().collect(),
    }
}
