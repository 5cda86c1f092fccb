//! What Muse answers, before any adapter renders it.
//!
//! A reply is structured, not formatted: each adapter decides how a title or a
//! draft looks (HTML with escaping in Telegram, plain lines in a terminal), so
//! no user or model text is ever mistaken for markup.

/// One piece of a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// A short heading line: "3 replies".
    Title(String),
    /// Running text: a chat answer, help, a confirmation.
    Text(String),
    /// One numbered draft, meant to be copied as it is.
    Draft {
        /// Its number, from 1.
        number: usize,
        /// The draft.
        text: String,
    },
    /// A short aside: why drafts came from the offline writer, a usage hint.
    Note(String),
    /// A file to send (Telegram: a document; terminal: its text).
    File {
        /// Its name, such as `muse-export.json`.
        name: String,
        /// Its bytes.
        content: Vec<u8>,
    },
}

/// What pressing a button does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Press {
    /// Sends this data back as [`crate::Input::Button`].
    Callback(String),
    /// Copies this text to the clipboard (Telegram's copy-text button, for
    /// texts of 1 to [`Button::COPY_MAX`] characters); nothing is sent back.
    Copy(String),
}

/// A button under a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    /// What the button says.
    pub label: String,
    /// What pressing it does.
    pub press: Press,
}

impl Button {
    /// The longest text a copy button holds (Telegram's limit).
    pub const COPY_MAX: usize = 256;

    /// A button that sends `data` back.
    pub fn callback(label: impl Into<String>, data: impl Into<String>) -> Button {
        Button { label: label.into(), press: Press::Callback(data.into()) }
    }

    /// A button that copies `text`, if it is short enough for one.
    pub fn copy(label: impl Into<String>, text: &str) -> Option<Button> {
        let chars = text.chars().count();
        (1..=Button::COPY_MAX)
            .contains(&chars)
            .then(|| Button { label: label.into(), press: Press::Copy(text.to_owned()) })
    }

    /// The data a press sends back, for a callback button.
    pub fn data(&self) -> Option<&str> {
        match &self.press {
            Press::Callback(data) => Some(data),
            Press::Copy(_) => None,
        }
    }
}

/// Everything Muse answers to one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// The pieces, in order.
    pub parts: Vec<Part>,
    /// Rows of buttons under the last message.
    pub buttons: Vec<Vec<Button>>,
}

impl Reply {
    /// A reply of one text part.
    pub fn text(text: impl Into<String>) -> Reply {
        Reply { parts: vec![Part::Text(text.into())], buttons: Vec::new() }
    }

    /// The one notice a rate-limited user gets, with the seconds to wait.
    pub fn slow_down(ui: crate::Ui, wait: std::time::Duration) -> Reply {
        Reply::text(crate::text::slow_down(ui, wait))
    }

    /// Whether there is nothing to send (a rate-limited message after the notice).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The drafts it carries, in order.
    pub fn drafts(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Draft { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }

    /// The reply as plain text, as the terminal shows it.
    pub fn to_plain(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Title(text) | Part::Text(text) => out.push_str(text),
                Part::Draft { number, text } => out.push_str(&format!("{number}. {text}")),
                Part::Note(text) => out.push_str(&format!("({text})")),
                Part::File { name, content } => {
                    out.push_str(&format!("--- {name} ---\n{}", String::from_utf8_lossy(content)));
                }
            }
            out.push('\n');
        }
        out
    }
}
