//! The refine row under drafts: shorter · bolder · softer · more emoji ·
//! ask for a tip · in the fan's language. A press re-drafts the same
//! request with that instruction, naming the previous drafts.
//!
//! A button's data is `r:<refine>:<draft id>`: a press whose id is not the
//! user's last drafting request (stale) or that does not parse (forged)
//! gets the expiry notice, never another request's drafts.

use crate::i18n::Ui;

/// One way to rewrite drafts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refine {
    /// A few words each.
    Shorter,
    /// More daring.
    Bolder,
    /// Gentler.
    Softer,
    /// More emoji.
    Emoji,
    /// Asking for a tip or pointing to a PPV.
    Tip,
    /// In the language the fan wrote in.
    FanLanguage,
}

impl Refine {
    /// Every refine, in button order.
    pub const ALL: [Refine; 6] =
        [Refine::Shorter, Refine::Bolder, Refine::Softer, Refine::Emoji, Refine::Tip, Refine::FanLanguage];

    /// Its name in button data.
    pub fn as_str(self) -> &'static str {
        match self {
            Refine::Shorter => "shorter",
            Refine::Bolder => "bolder",
            Refine::Softer => "softer",
            Refine::Emoji => "emoji",
            Refine::Tip => "tip",
            Refine::FanLanguage => "lang",
        }
    }

    /// What the button says, and what the reply says it did.
    pub fn label(self, ui: Ui) -> String {
        ui.say(&format!("refine-{}", self.as_str()))
    }

    /// The instruction the model receives.
    pub fn instruction(self) -> &'static str {
        match self {
            Refine::Shorter => "make them shorter: a few words to one short line each",
            Refine::Bolder => "make them bolder: more daring and confident, still within the rules",
            Refine::Softer => "make them softer: gentler, sweeter, more caring",
            Refine::Emoji => "use more emoji in each of them",
            Refine::Tip => "have each one playfully ask for a tip or point to a pay-per-view message, without pressure",
            Refine::FanLanguage => "write them in the language the fan's message is written in",
        }
    }

    /// The data of its button for the drafting request `id`.
    pub fn data(self, id: u64) -> String {
        format!("r:{}:{id}", self.as_str())
    }

    /// The refine and request id a press names, if the data is one.
    pub fn parse(data: &str) -> Option<(Refine, u64)> {
        let mut parts = data.split(':');
        let (Some("r"), Some(name), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        let refine = Refine::ALL.into_iter().find(|r| r.as_str() == name)?;
        Some((refine, id.parse().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_round_trips_and_forgeries_do_not_parse() {
        for refine in Refine::ALL {
            assert_eq!(Refine::parse(&refine.data(42)), Some((refine, 42)));
            assert!(refine.data(u64::MAX).len() <= 64, "Telegram's callback data limit");
        }
        for forged in ["r:shorter", "r:longer:1", "r:shorter:x", "r:shorter:1:2", "more", "", "x:shorter:1"] {
            assert_eq!(Refine::parse(forged), None, "{forged}");
        }
    }
}
