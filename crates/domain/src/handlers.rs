//! The commands that read or change a user's settings without the model:
//! `/start`, `/help`, `/persona`, `/tone`, `/lang`, `/reset`, `/export`,
//! `/forget` (the question; the deletion is the assistant's).

use serde::Serialize;

use crate::command::{MENU, MenuEntry};
use crate::fans::FanCard;
use crate::persona::{Lang, Tone};
use crate::reply::{Button, Part, Reply};
use crate::request::{Request, UserId};
use crate::session::Session;
use crate::text;

/// The data of the `/forget` confirmation button.
pub const FORGET_YES: &str = "forget:yes";
/// The data of the `/forget` cancel button.
pub const FORGET_NO: &str = "forget:no";

/// `/start`: greeting, what Muse does, the how-to, the persona.
pub fn start(session: &Session) -> Reply {
    Reply {
        parts: vec![
            Part::Title(text::START_TITLE.to_owned()),
            Part::Text(text::START_ABOUT.to_owned()),
            Part::Text(text::START_HOW.to_owned()),
            Part::Note(text::persona_line(&session.persona.summary())),
        ],
        buttons: Vec::new(),
    }
}

/// `/help`: every open command with an example, and the admin commands.
pub fn help() -> Reply {
    let line = |entry: &MenuEntry| format!("/{} — {}\n   {}", entry.name, entry.description, entry.example);
    let open: Vec<String> = MENU.iter().filter(|entry| entry.open).map(line).collect();
    let admin: Vec<String> = MENU.iter().filter(|entry| !entry.open).map(|entry| format!("/{}", entry.name)).collect();
    Reply {
        parts: vec![
            Part::Title(text::HELP_TITLE.to_owned()),
            Part::Text(open.join("\n")),
            Part::Note(text::help_note(&admin.join(" "))),
        ],
        buttons: Vec::new(),
    }
}

/// `/persona`: show it, or apply `text` on top of it.
pub fn persona(session: &mut Session, text: &str) -> Reply {
    if text.is_empty() {
        return Reply {
            parts: vec![
                Part::Text(text::persona_line(&session.persona.summary())),
                Part::Note(text::PERSONA_HOW.to_owned()),
            ],
            buttons: Vec::new(),
        };
    }
    match session.persona.apply(text) {
        Ok(persona) => {
            session.persona = persona;
            Reply::text(text::persona_saved(&session.persona.summary()))
        }
        Err(err) => Reply::text(text::persona_refused(&err.to_string())),
    }
}

/// `/tone`: show it, or set it.
pub fn tone(session: &mut Session, text: &str) -> Reply {
    let options = Tone::ALL.map(|tone| tone.to_string()).join(", ");
    if text.is_empty() {
        return Reply::text(text::tone_now(&session.tone.to_string(), &options));
    }
    match text.parse::<Tone>() {
        Ok(tone) => {
            session.tone = tone;
            Reply::text(text::tone_set(&tone.to_string()))
        }
        Err(()) => Reply::text(text::tone_unknown(&options)),
    }
}

/// `/lang`: show the language of drafts, or set it.
pub fn lang(request: &Request, session: &mut Session, text: &str) -> Reply {
    if text.is_empty() {
        return Reply::text(text::lang_now(lang_of(request, session).as_str()));
    }
    match text.parse::<Lang>() {
        Ok(lang) => {
            let reply = text::lang_set(lang.as_str());
            session.lang = Some(lang);
            Reply::text(reply)
        }
        Err(()) => Reply::text(text::LANG_INVALID),
    }
}

/// The language drafts are written in: `/lang`, else the client's, else English.
pub fn lang_of(request: &Request, session: &Session) -> Lang {
    session
        .lang
        .clone()
        .or_else(|| request.user_lang.as_deref().and_then(|code| code.parse().ok()))
        .unwrap_or_else(Lang::english)
}

/// `/reset`: forget the conversation; persona and settings stay.
pub fn reset(session: &mut Session) -> Reply {
    session.history.clear();
    session.last_draft = None;
    Reply::text(text::RESET_DONE)
}

/// `/export`: everything stored about the user, as a JSON file.
pub fn export(user: UserId, session: &Session, fans: &[FanCard]) -> Reply {
    #[derive(Serialize)]
    struct Export<'a> {
        user_id: UserId,
        session: &'a Session,
        fans: &'a [FanCard],
    }
    match serde_json::to_vec_pretty(&Export { user_id: user, session, fans }) {
        Ok(content) => Reply {
            parts: vec![
                Part::Text(text::EXPORT_HERE.to_owned()),
                Part::File { name: "muse-export.json".to_owned(), content },
            ],
            buttons: Vec::new(),
        },
        Err(err) => {
            tracing::error!(user, error = %err, "exporting a session failed");
            Reply::text(text::EXPORT_FAILED)
        }
    }
}

/// `/forget`: the question, with a button to confirm and one to cancel.
pub fn forget_question() -> Reply {
    Reply {
        parts: vec![Part::Text(text::FORGET_ASK.to_owned())],
        buttons: vec![vec![
            Button::callback(text::FORGET_YES_LABEL, FORGET_YES),
            Button::callback(text::FORGET_NO_LABEL, FORGET_NO),
        ]],
    }
}
