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
        let id = match self {
            Kind::Reply => "title-reply",
            Kind::Flirt => "title-flirt",
            Kind::Caption => "title-caption",
            Kind::Ppv => "title-ppv",
            Kind::Mass => "title-mass",
            Kind::Chat => "title-chat",
        };
        ui.say_number(id, "count", count)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.command())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_title_reads_as_its_message_formatted() {
        for ui in Ui::ALL {
            for kind in Kind::DRAFTING.into_iter().chain([Kind::Chat]) {
                for count in 0..12 {
                    let id = format!("title-{}", kind.command());
                    assert_eq!(kind.title(ui, count), ui.say_with(&id, &[("count", count.into())]), "{id} {count}");
                }
            }
        }
    }
}
