//! `/fan`, `/fans`, `/voice` and `/export`, which reads the cards too.

use super::Assistant;
use crate::fans::{self, FanAction, FanCard, MAX_FANS, MAX_VOICE, VOICE_CHARS, VoiceAction};
use crate::handlers;
use crate::i18n::Ui;
use crate::reply::{Part, Reply};
use crate::request::UserId;
use crate::session::Session;
use crate::text::{self, fans as say};

impl Assistant {
    /// `/fan <args>`.
    pub(super) async fn fan(&self, ui: Ui, user: UserId, session: &mut Session, args: &str) -> Reply {
        let sessions = &self.inner.sessions;
        let (name, change) = match FanAction::parse(args) {
            FanAction::Usage => return Reply::text(ui.say(say::USAGE)),
            FanAction::Pricing(text) => return pricing(ui, session, &text),
            FanAction::Invalid(why) => return Reply::text(ui.say(why)),
            FanAction::Show(name) => {
                return match sessions.load_fan(user, &name).await {
                    Ok(Some(card)) => show(ui, &card),
                    Ok(None) => Reply::text(say::unknown(ui, &name)),
                    Err(err) => failed(ui, user, &err),
                };
            }
            FanAction::Forget(name) => {
                return match sessions.delete_fan(user, &name).await {
                    Ok(()) if session.fans.contains(&name) => {
                        session.fans.retain(|n| *n != name);
                        Reply::text(say::forgotten(ui, &name))
                    }
                    Ok(()) => Reply::text(say::unknown(ui, &name)),
                    Err(err) => failed(ui, user, &err),
                };
            }
            FanAction::Tier(name, tier) => (name, Change::Tier(tier)),
            FanAction::Lang(name, lang) => (name, Change::Lang(lang)),
            FanAction::Note(name, note) => (name, Change::Note(note)),
        };
        let mut card = match sessions.load_fan(user, &name).await {
            Ok(Some(card)) => card,
            Ok(None) if matches!(change, Change::Note(_)) && session.fans.len() >= MAX_FANS => {
                return Reply::text(say::full(ui, MAX_FANS));
            }
            Ok(None) if matches!(change, Change::Note(_)) => FanCard::new(&name),
            Ok(None) => return Reply::text(say::unknown(ui, &name)),
            Err(err) => return failed(ui, user, &err),
        };
        let reply = match change {
            Change::Tier(tier) => {
                card.tier = Some(tier);
                say::tier_set(ui, &name, tier.as_str())
            }
            Change::Lang(lang) => {
                let reply = say::lang_set(ui, &name, lang.as_str());
                card.lang = Some(lang);
                reply
            }
            Change::Note(note) => {
                card.add_note(&note);
                say::noted(ui, &name, card.notes.len())
            }
        };
        match sessions.save_fan(user, card).await {
            Ok(()) => {
                session.touch_fan(&name);
                Reply::text(reply)
            }
            Err(err) => failed(ui, user, &err),
        }
    }

    /// `/fans`: the cards, most recently used first.
    pub(super) async fn fans(&self, ui: Ui, user: UserId, session: &Session) -> Reply {
        if session.fans.is_empty() {
            return Reply::text(ui.say(say::NONE));
        }
        let mut lines = Vec::with_capacity(session.fans.len());
        for name in session.fans.iter().rev() {
            let line = match self.inner.sessions.load_fan(user, name).await {
                Ok(Some(card)) => summary(&card),
                Ok(None) => name.clone(),
                Err(err) => return failed(ui, user, &err),
            };
            lines.push(line);
        }
        Reply {
            parts: vec![Part::Title(say::list_title(ui, lines.len())), Part::Text(lines.join("\n"))],
            buttons: Vec::new(),
        }
    }

    /// `/export`: the session and every fan card.
    pub(super) async fn export(&self, ui: Ui, user: UserId, session: &Session) -> Reply {
        let mut cards = Vec::with_capacity(session.fans.len());
        for name in &session.fans {
            match self.inner.sessions.load_fan(user, name).await {
                Ok(Some(card)) => cards.push(card),
                Ok(None) => {}
                Err(err) => {
                    tracing::error!(user, error = %err, "reading a fan card for an export failed");
                    return Reply::text(ui.say(text::EXPORT_FAILED));
                }
            }
        }
        handlers::export(ui, user, session, &cards)
    }
}

enum Change {
    Tier(fans::Tier),
    Lang(crate::persona::Lang),
    Note(String),
}

fn failed(ui: Ui, user: UserId, err: &tower::BoxError) -> Reply {
    tracing::error!(user, error = %err, "reading or writing a fan card failed");
    Reply::text(ui.say(say::STORE_FAILED))
}

/// One line of `/fans`.
fn summary(card: &FanCard) -> String {
    let tier = card.tier.map_or(String::new(), |t| format!(" · {}", t.as_str()));
    let note = card.notes.last().map_or(String::new(), |n| format!(" · {}", fans::cap(n, 60)));
    format!("{}{tier}{note}", card.name)
}

/// `/fan <name>`: the whole card.
fn show(ui: Ui, card: &FanCard) -> Reply {
    let mut lines = Vec::new();
    if let Some(tier) = card.tier {
        lines.push(say::card_tier(ui, tier.as_str()));
    }
    if let Some(lang) = &card.lang {
        lines.push(say::card_lang(ui, lang.as_str()));
    }
    lines.extend(card.notes.iter().map(|n| format!("• {n}")));
    if let Some(last) = card.exchanges.back() {
        lines.push(say::card_last(ui, &fans::cap(&last.fan, 120)));
    }
    lines.push(say::card_exchanges(ui, card.exchanges.len()));
    Reply { parts: vec![Part::Title(card.name.clone()), Part::Text(lines.join("\n"))], buttons: Vec::new() }
}

/// `/fan pricing`: show or set the price ranges.
fn pricing(ui: Ui, session: &mut Session, text: &str) -> Reply {
    if text.is_empty() {
        return match session.pricing.summary() {
            summary if summary.is_empty() => Reply::text(ui.say(say::NO_PRICING)),
            summary => Reply::text(say::pricing(ui, &summary)),
        };
    }
    match session.pricing.apply(text) {
        Ok(pricing) => {
            session.pricing = pricing;
            match session.pricing.summary() {
                summary if summary.is_empty() => Reply::text(ui.say(say::PRICING_CLEARED)),
                summary => Reply::text(say::pricing(ui, &summary)),
            }
        }
        Err(why) => Reply::text(ui.say(why)),
    }
}

/// `/voice <args>`.
pub(super) fn voice(ui: Ui, session: &mut Session, args: &str) -> Reply {
    use text::voice as say;
    match VoiceAction::parse(args) {
        VoiceAction::List if session.voice.is_empty() => Reply::text(ui.say(say::NONE)),
        VoiceAction::List => {
            let lines: Vec<String> =
                session.voice.iter().enumerate().map(|(i, example)| format!("{}. {example}", i + 1)).collect();
            Reply { parts: vec![Part::Text(lines.join("\n")), Part::Note(ui.say(say::USAGE))], buttons: Vec::new() }
        }
        VoiceAction::Add(example) if example.chars().count() > VOICE_CHARS => {
            Reply::text(say::too_long(ui, example.chars().count(), VOICE_CHARS))
        }
        VoiceAction::Add(_) if session.voice.len() >= MAX_VOICE => Reply::text(say::full(ui, MAX_VOICE)),
        VoiceAction::Add(example) => {
            session.voice.push(example);
            Reply::text(say::added(ui, session.voice.len(), MAX_VOICE))
        }
        VoiceAction::Remove(n) if n > session.voice.len() => Reply::text(say::no_such(ui, n, session.voice.len())),
        VoiceAction::Remove(n) => {
            session.voice.remove(n - 1);
            Reply::text(say::removed(ui, n))
        }
        VoiceAction::Clear => {
            session.voice.clear();
            Reply::text(ui.say(say::CLEARED))
        }
        VoiceAction::Invalid(why) => Reply::text(ui.say(why)),
    }
}
