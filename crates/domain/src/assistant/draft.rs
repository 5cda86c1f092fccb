//! Drafting: `/reply`, `/flirt`, `/caption`, `/ppv`, `/mass`, optionally
//! for one fan (`/reply @alex hey what's up`), with no draft repeating one
//! of the last [`RECENT_DRAFTS`] for the same fan (or the same user).

use std::sync::atomic::Ordering;

use super::ask::Job;
use super::{Assistant, Failure, MORE, throttled};
use crate::command::MENU;
use crate::drafts;
use crate::fans::{self, FanCard, MAX_FANS};
use crate::handlers;
use crate::i18n::Ui;
use crate::kind::Kind;
use crate::offline;
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
        let ui = handlers::ui_of(request, session);
        let (card, text) = match addressed(&asked) {
            None => (None, asked.clone()),
            Some((None, _)) => return Reply::text(ui.say(text::fans::BAD_NAME)),
            Some((Some(_), message)) if message.is_empty() => return Reply::text(ui.say(text::fans::NEEDS_MESSAGE)),
            Some((Some(name), message)) => match self.card_for(ui, request.user, session, &name).await {
                Ok(card) => (Some(card), message),
                Err(reply) => return reply,
            },
        };
        if text.is_empty() && kind.needs_text() {
            let example = MENU.iter().find(|entry| entry.name == kind.command()).map(|entry| entry.example(ui));
            return Reply::text(text::needs_text(ui, &example.unwrap_or_default()));
        }
        let price = offline::price_in(&text).or_else(|| {
            card.as_ref().and_then(|c| c.tier).and_then(|t| session.pricing.for_tier(t)).map(str::to_owned)
        });
        let lang = card.as_ref().and_then(|c| c.lang.clone()).unwrap_or_else(|| handlers::lang_of(request, session));
        let order = Offline { kind, lang: Ui::from_code(lang.as_str()), price: price.filter(|_| kind == Kind::Ppv) };
        // A refine rewrites the last drafts on purpose: it is not a repeat.
        let earlier = if refine.is_some() { Vec::new() } else { earlier_drafts(session, card.as_ref()) };
        let previous = session.last_drafts.clone();
        let job = Job { kind, text: &text, fan: card.as_ref(), refine: refine.map(|r| (r, previous.as_slice())) };
        let mut refined = None;
        let (drafts, note) = match self.ask(request, session, job).await {
            Ok(reply) => match drafts::parse(&reply.text, self.inner.config.drafts) {
                drafts if drafts.is_empty() => (self.fresh_offline(&order, session, &earlier), Some(note::NO_DRAFTS)),
                drafts => {
                    // Only the model follows a refine; offline drafts say why they came instead.
                    refined = refine;
                    let drafts = self.unrepeated(request, session, job, &order, drafts, &earlier).await;
                    (drafts, reply.fallback.then_some(note::FALLBACK))
                }
            },
            Err(Failure::Offline) => (self.fresh_offline(&order, session, &earlier), None),
            Err(Failure::Fallback(note)) => (self.fresh_offline(&order, session, &earlier), Some(note)),
            Err(Failure::Throttled { wait, notify }) => return throttled(ui, wait, notify),
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
        let buttons = buttons(ui, &drafts, session.draft_id);
        let mut parts = vec![Part::Title(kind.title(ui, drafts.len()))];
        parts.extend(drafts.into_iter().enumerate().map(|(i, text)| Part::Draft { number: i + 1, text }));
        parts.extend(refined.map(|refine| Part::Note(text::refined(ui, &refine.label(ui)))));
        parts.extend(note.map(|note| Part::Note(ui.say(note))));
        Reply { parts, buttons }
    }

    /// The card of `name`, or a new one while there is room.
    async fn card_for(&self, ui: Ui, user: u64, session: &Session, name: &str) -> Result<FanCard, Reply> {
        match self.inner.sessions.load_fan(user, name).await {
            Ok(Some(card)) => Ok(card),
            Ok(None) if session.fans.len() >= MAX_FANS => Err(Reply::text(text::fans::full(ui, MAX_FANS))),
            Ok(None) => Ok(FanCard::new(name)),
            Err(err) => {
                tracing::error!(user, error = %err, "loading a fan card failed");
                Err(Reply::text(ui.say(text::fans::STORE_FAILED)))
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
        order: &Offline,
        drafts: Vec<String>,
        earlier: &[String],
    ) -> Vec<String> {
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
        let spare = self.spare_offline(order, session, earlier);
        self.inner.repeats.fetch_add(1, Ordering::Relaxed);
        replace_repeats(drafts, spare, repeats)
    }

    /// Offline drafts, as far as the templates allow none repeating an
    /// earlier draft.
    fn fresh_offline(&self, order: &Offline, session: &Session, earlier: &[String]) -> Vec<String> {
        let drafts = self.offline_drafts(order, session);
        let repeats = |draft: &String| fans::repeats(draft, earlier.iter());
        if !drafts.iter().any(repeats) {
            return drafts;
        }
        self.inner.repeats.fetch_add(1, Ordering::Relaxed);
        let spare = self.spare_offline(order, session, earlier);
        replace_repeats(drafts, spare, repeats)
    }

    /// A few rounds of offline drafts, without those repeating `earlier`.
    fn spare_offline(&self, order: &Offline, session: &Session, earlier: &[String]) -> Vec<String> {
        let mut spare: Vec<String> = (0..4)
            .flat_map(|_| self.offline_drafts(order, session))
            .filter(|d| !fans::repeats(d, earlier.iter()))
            .collect();
        spare.sort();
        spare.dedup();
        spare
    }
}

/// `drafts` with each one that `repeats` replaced by a `spare` one not
/// already among them, while the spares last: a reply never shows the same
/// draft twice.
fn replace_repeats(drafts: Vec<String>, mut spare: Vec<String>, repeats: impl Fn(&String) -> bool) -> Vec<String> {
    spare.retain(|other| !drafts.contains(other));
    drafts.into_iter().map(|draft| if repeats(&draft) { spare.pop().unwrap_or(draft) } else { draft }).collect()
}

/// What offline drafts for one request need beyond the session.
#[derive(Clone, Debug)]
pub(super) struct Offline {
    /// The kind of text.
    pub(super) kind: Kind,
    /// The templates' language: the drafts' (the fan's, else the user's).
    pub(super) lang: Ui,
    /// A PPV's price: the one in the request, else the fan's tier range.
    pub(super) price: Option<String>,
}

/// Under drafts: a copy button per draft short enough for one, the refine
/// row (two rows of three), and "3 more".
fn buttons(ui: Ui, drafts: &[String], id: u64) -> Vec<Vec<Button>> {
    let copy: Vec<Button> =
        drafts.iter().enumerate().filter_map(|(i, d)| Button::copy(text::copy_label(ui, i + 1), d)).collect();
    let refine: Vec<Button> = Refine::ALL.iter().map(|r| Button::callback(r.label(ui), r.data(id))).collect();
    let mut rows = Vec::with_capacity(4);
    if !copy.is_empty() {
        rows.push(copy);
    }
    rows.extend(refine.chunks(3).map(<[Button]>::to_vec));
    rows.push(vec![Button::callback(ui.say(text::MORE_LABEL), MORE)]);
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
