//! What reaches Muse: one update from one user.

use crate::command::Command;
use crate::i18n::Ui;
use crate::preview::Preview;

/// A user, by their numeric id (Telegram's, or 0 in the terminal).
pub type UserId = u64;

/// What a user sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Text as an adapter received it. The input layer cleans and parses
    /// it into [`Input::Command`] (or [`Input::TooLong`]) before any other
    /// layer reads it, so it is parsed once per update.
    Text(String),
    /// Text, cleaned and parsed once: a command or a conversation turn.
    Command(Command),
    /// Text over the length limit: nothing of it is kept.
    TooLong {
        /// Its length in characters, after cleaning.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// A photo, sticker, voice message or anything else that is not text.
    NonText,
    /// A press on one of Muse's buttons, with the button's data.
    Button(String),
}

/// One thing a user sent, with who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Who sent it.
    pub user: UserId,
    /// The language their client reports, if any (Telegram's `language_code`).
    pub user_lang: Option<String>,
    /// What they sent.
    pub input: Input,
    /// The injection screen found the text suspicious but let it through:
    /// the model receives it fenced as data, with a warning.
    pub flagged: bool,
    /// Where the model's text so far is shown while it streams, when the
    /// adapter can show it (live drafting).
    pub preview: Option<Preview>,
}

impl Request {
    /// What `user` sent, before any layer read it.
    pub fn new(user: UserId, user_lang: Option<String>, input: Input) -> Request {
        Request { user, user_lang, input, flagged: false, preview: None }
    }

    /// The same request, showing the model's text so far in `preview`.
    pub fn with_preview(self, preview: Preview) -> Request {
        Request { preview: Some(preview), ..self }
    }

    /// The interface language from the client's language alone (layers
    /// that answer before the session is read); the assistant also heeds `/lang`.
    pub fn ui(&self) -> Ui {
        Ui::pick([self.user_lang.as_deref()])
    }

    /// The parsed command, once the input layer has parsed the text.
    pub fn command(&self) -> Option<&Command> {
        match &self.input {
            Input::Command(command) => Some(command),
            _ => None,
        }
    }

    /// What kind of update this is, for metrics and logs: the command's
    /// name, `text`, `button`, `non_text`, `too_long` or `unknown_command`.
    /// Always one of a few fixed labels.
    pub fn kind(&self) -> &'static str {
        match &self.input {
            Input::Text(_) => "unparsed",
            Input::Command(command) => command.label(),
            Input::TooLong { .. } => "too_long",
            Input::NonText => "non_text",
            Input::Button(_) => "button",
        }
    }
}
