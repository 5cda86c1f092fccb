//! What a user asks Muse to write.

use std::fmt;

use crate::i18n::Ui;

/// The kinds of text Muse writes. Every drafting kind yields numbered drafts;
/// [`Kind::Chat`] is a free conversation about the creator's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Replies to a fan's message, in the creator's voice.
    Reply,
    /// Flirty openers, or flirty messages on a given context.
    Flirt,
    /// Captions for a feed post.
    Caption,
    /// Pay-per-view unlock pitches: a tease, never explicit detail.
    Ppv,
    /// Mass messages that still read as one-to-one.
    Mass,
    /// Plain conversation with the assistant, with history.
    Chat,
}

impl Kind {
    /// The drafting kinds, in the order `/help` lists them.
    pub const DRAFTING: [Kind; 5] = [Kind::Reply, Kind::Flirt, Kind::Caption, Kind::Ppv, Kind::Mass];

    /// The command that asks for this kind (`reply` for `/reply`).
    pub fn command(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Flirt => "flirt",
            Kind::Caption => "caption",
            Kind::Ppv => "ppv",
            Kind::Mass => "mass",
            Kind::Chat => "chat",
        }
    }

    /// Whether the command needs text after it (`/flirt` alone writes openers).
    pub fn needs_text(self) -> bool {
        !matches!(self, Kind::Flirt)
    }

    /// The title line for `count` drafts: "3 replies", "1 reply", "3 ответа".
    pub fn title(self, ui: Ui, count: usize) -> String {
        ui.say_with(&format!("title-{}", self.command()), &[("count", count.into())])
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.command())
    }
}
