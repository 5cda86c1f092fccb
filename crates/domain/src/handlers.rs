//! The commands that read or change a user's settings without the model:
//! `/start`, `/help`, `/persona`, `/tone`, `/lang`, `/reset`, `/export`,
//! `/forget` (the question; the deletion is the assistant's).

use serde::Serialize;

use crate::command::{MENU, MenuEntry};
use crate::fans::FanCard;
use crate::i18n::Ui;
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
pub fn start(ui: Ui, session: &Session) -> Reply {
    Reply {
        parts: vec![
            Part::Title(ui.say(text::START_TITLE)),
            Part::Text(ui.say(text::START_ABOUT)),
            Part::Text(ui.say(text::START_HOW)),
            Part::Note(text::persona_line(ui, &session.persona.summary())),
        ],
        buttons: Vec::new(),
    }
}

/// `/help`: every open command with an example, and the admin commands.
pub fn help(ui: Ui) -> Reply {
    let line = |entry: &MenuEntry| format!("/{} — {}\n   {}", entry.name, entry.description(ui), entry.example(ui));
    let open: Vec<String> = MENU.iter().filter(|entry| entry.open).map(line).collect();
    let admin: Vec<String> = MENU.iter().filter(|entry| !entry.open).map(|entry| format!("/{}", entry.name)).collect();
    Reply {
        parts: vec![
            Part::Title(ui.say(text::HELP_TITLE)),
            Part::Text(open.join("\n")),
            Part::Note(text::help_note(ui, &admin.join(" "))),
        ],
        buttons: Vec::new(),
    }
}

/// `/persona`: show it, or apply `text` on top of it.
pub fn persona(ui: Ui, session: &mut Session, text: &str) -> Reply {
    if text.is_empty() {
        return Reply {
            parts: vec![
                Part::Text(text::persona_line(ui, &session.persona.summary())),
                Part::Note(ui.say(text::PERSONA_HOW)),
            ],
            buttons: Vec::new(),
        };
    }
    match session.persona.apply(text) {
        Ok(persona) => {
            session.persona = persona;
            Reply::text(text::persona_saved(ui, &session.persona.summary()))
        }
        Err(err) => Reply::text(text::persona_refused(ui, &err.say(ui))),
    }
}

/// `/tone`: show it, or set it.
pub fn tone(ui: Ui, session: &mut Session, text: &str) -> Reply {
    let options = Tone::ALL.map(|tone| tone.to_string()).join(", ");
    if text.is_empty() {
        return Reply::text(text::tone_now(ui, &session.tone.to_string(), &options));
    }
    match text.parse::<Tone>() {
        Ok(tone) => {
            session.tone = tone;
            Reply::text(text::tone_set(ui, &tone.to_string()))
        }
        Err(()) => Reply::text(text::tone_unknown(ui, &options)),
    }
}

/// `/lang`: show the language of drafts, or set it (and with it the
/// interface language, when Muse speaks it). The reply is in the new language.
pub fn lang(request: &Request, session: &mut Session, text: &str) -> Reply {
    if text.is_empty() {
        return Reply::text(text::lang_now(ui_of(request, session), lang_of(request, session).as_str()));
    }
    match text.parse::<Lang>() {
        Ok(lang) => {
            session.lang = Some(lang);
            let lang = lang_of(request, session);
            Reply::text(text::lang_set(ui_of(request, session), lang.as_str()))
        }
        Err(()) => Reply::text(ui_of(request, session).say(text::LANG_INVALID)),
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

/// The user's interface language: the one chosen with `/lang` if Muse
/// speaks it, else their client's, else English.
pub fn ui_of(request: &Request, session: &Session) -> Ui {
    Ui::pick([session.lang.as_ref().map(Lang::as_str), request.user_lang.as_deref()])
}

/// `/reset`: forget the conversation; persona and settings stay.
pub fn reset(ui: Ui, session: &mut Session) -> Reply {
    session.history.clear();
    session.last_draft = None;
    Reply::text(ui.say(text::RESET_DONE))
}

/// `/export`: everything stored about the user, as a JSON file.
pub fn export(ui: Ui, user: UserId, session: &Session, fans: &[FanCard]) -> Reply {
    #[derive(Serialize)]
    struct Export<'a> {
        user_id: UserId,
        session: &'a Session,
        fans: &'a [FanCard],
    }
    match serde_json::to_vec_pretty(&Export { user_id: user, session, fans }) {
        Ok(content) => Reply {
            parts: vec![
                Part::Text(ui.say(text::EXPORT_HERE)),
                Part::File { name: "muse-export.json".to_owned(), content },
            ],
            buttons: Vec::new(),
        },
        Err(err) => {
            tracing::error!(user, error = %err, "exporting a session failed");
            Reply::text(ui.say(text::EXPORT_FAILED))
        }
    }
}

/// `/forget`: the question, with a button to confirm and one to cancel.
pub fn forget_question(ui: Ui) -> Reply {
    Reply {
        parts: vec![Part::Text(ui.say(text::FORGET_ASK))],
        buttons: vec![vec![
            Button::callback(ui.say(text::FORGET_YES_LABEL), FORGET_YES),
            Button::callback(ui.say(text::FORGET_NO_LABEL), FORGET_NO),
        ]],
    }
}
