//! Fan cards and the creator's own voice: what Muse remembers about each
//! fan (notes, a spend tier, his language, the last exchanges drafted for
//! him) and the messages she really sent, shown to the model as examples.
//!
//! Everything here is data the creator typed. It reaches the model only as
//! fenced JSON after the persona, never as instructions.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::persona::Lang;

/// The most fan cards one creator keeps.
pub const MAX_FANS: usize = 500;
/// The most notes on one card; adding one more drops the oldest.
pub const MAX_NOTES: usize = 20;
/// The longest note, in characters.
pub const NOTE_CHARS: usize = 300;
/// The most exchanges kept on a card; the oldest go first.
pub const MAX_EXCHANGES: usize = 10;
/// The longest side of an exchange kept, in characters.
pub const EXCHANGE_CHARS: usize = 1000;
/// The most voice examples.
pub const MAX_VOICE: usize = 20;
/// The longest voice example, in characters.
pub const VOICE_CHARS: usize = 500;
/// How many voice examples a prompt shows (the newest).
pub const VOICE_SHOWN: usize = 5;
/// The longest fan name, in characters.
pub const NAME_CHARS: usize = 32;
/// The longest fan name, in bytes (so its stored key stays short).
const NAME_BYTES: usize = 36;

/// How much a fan spends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// New to the page.
    New,
    /// Buys now and then.
    Regular,
    /// Spends a lot.
    Whale,
}

impl Tier {
    /// Parses `new`, `regular` or `whale`.
    pub fn parse(text: &str) -> Option<Tier> {
        match text.trim().to_lowercase().as_str() {
            "new" => Some(Tier::New),
            "regular" => Some(Tier::Regular),
            "whale" => Some(Tier::Whale),
            _ => None,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::New => "new",
            Tier::Regular => "regular",
            Tier::Whale => "whale",
        }
    }
}

/// The creator's price range per tier, as she writes it (`$5-10`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// For new fans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// For regulars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regular: Option<String>,
    /// For whales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whale: Option<String>,
}

/// The longest price range, in characters.
pub const PRICE_CHARS: usize = 40;

impl Pricing {
    /// The range for `tier`, if she set one.
    pub fn for_tier(&self, tier: Tier) -> Option<&str> {
        match tier {
            Tier::New => self.new.as_deref(),
            Tier::Regular => self.regular.as_deref(),
            Tier::Whale => self.whale.as_deref(),
        }
    }

    /// Applies `new $5-10; regular $15-25; whale $40+` (any of them, by
    /// `;` or new lines) on top of this; `clear` removes them all.
    pub fn apply(&self, text: &str) -> Result<Pricing, &'static str> {
        if text.trim().eq_ignore_ascii_case("clear") {
            return Ok(Pricing::default());
        }
        let mut pricing = self.clone();
        for part in text.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            let (tier, range) = part.split_once(char::is_whitespace).ok_or(crate::text::fans::BAD_PRICING)?;
            let range = range.trim();
            if range.is_empty() || range.chars().count() > PRICE_CHARS {
                return Err(crate::text::fans::BAD_PRICING);
            }
            let slot = match Tier::parse(tier).ok_or(crate::text::fans::BAD_PRICING)? {
                Tier::New => &mut pricing.new,
                Tier::Regular => &mut pricing.regular,
                Tier::Whale => &mut pricing.whale,
            };
            *slot = Some(range.to_owned());
        }
        Ok(pricing)
    }

    /// One line per tier that has a range.
    pub fn summary(&self) -> String {
        [Tier::New, Tier::Regular, Tier::Whale]
            .iter()
            .filter_map(|tier| self.for_tier(*tier).map(|range| format!("{}: {range}", tier.as_str())))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One fan's message and the drafts written for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the fan wrote.
    pub fan: String,
    /// The drafts Muse wrote, one per line.
    pub drafts: String,
}

/// What a creator keeps about one fan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanCard {
    /// His name as the creator calls him (lowercase, see [`fan_name`]).
    pub name: String,
    /// Notes, oldest first.
    #[serde(default)]
    pub notes: Vec<String>,
    /// How much he spends, if the creator said.
    #[serde(default)]
    pub tier: Option<Tier>,
    /// The language he writes in, if the creator said.
    #[serde(default)]
    pub lang: Option<Lang>,
    /// The last exchanges drafted for him, oldest first.
    #[serde(default)]
    pub exchanges: VecDeque<Exchange>,
}

impl FanCard {
    /// An empty card for `name`.
    pub fn new(name: &str) -> FanCard {
        FanCard { name: name.to_owned(), notes: Vec::new(), tier: None, lang: None, exchanges: VecDeque::new() }
    }

    /// Adds a note, capped, dropping the oldest past [`MAX_NOTES`].
    pub fn add_note(&mut self, note: &str) {
        self.notes.push(cap(note, NOTE_CHARS));
        if self.notes.len() > MAX_NOTES {
            self.notes.remove(0);
        }
    }

    /// Records an exchange, dropping the oldest past [`MAX_EXCHANGES`].
    pub fn record(&mut self, fan: &str, drafts: &str) {
        self.exchanges.push_back(Exchange { fan: cap(fan, EXCHANGE_CHARS), drafts: cap(drafts, EXCHANGE_CHARS) });
        while self.exchanges.len() > MAX_EXCHANGES {
            self.exchanges.pop_front();
        }
    }

    /// The card as the model sees it: JSON, the exchanges newest last.
    pub fn as_data(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// A fan's name as typed (`@Alex`, `alex`) in the form cards are kept
/// under, or `None` if it is not a name: 1 to 32 letters (16 Cyrillic),
/// digits, `_`, `.` or `-`.
pub fn fan_name(text: &str) -> Option<String> {
    let name = text.trim().trim_start_matches('@').to_lowercase();
    let ok = !name.is_empty()
        && name.chars().count() <= NAME_CHARS
        && name.len() <= NAME_BYTES
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
    ok.then_some(name)
}

/// The first `chars` characters of `text`.
pub fn cap(text: &str, chars: usize) -> String {
    text.trim().chars().take(chars).collect()
}

/// What `/fan <args>` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FanAction {
    /// `/fan` alone: how to use it.
    Usage,
    /// `/fan pricing` alone (show) or with ranges (set).
    Pricing(String),
    /// `/fan <name>`: show the card.
    Show(String),
    /// `/fan <name> forget`: delete the card.
    Forget(String),
    /// `/fan <name> tier <tier>`.
    Tier(String, Tier),
    /// `/fan <name> lang <code>`.
    Lang(String, Lang),
    /// `/fan <name> <note>`: add a note, creating the card.
    Note(String, String),
    /// Something that is not one of these, with what to say.
    Invalid(&'static str),
}

impl FanAction {
    /// Parses the text after `/fan`.
    pub fn parse(args: &str) -> FanAction {
        let args = args.trim();
        if args.is_empty() {
            return FanAction::Usage;
        }
        let (head, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        if head.eq_ignore_ascii_case("pricing") {
            return FanAction::Pricing(rest.trim().to_owned());
        }
        let Some(name) = fan_name(head) else { return FanAction::Invalid(crate::text::fans::BAD_NAME) };
        let rest = rest.trim();
        let (word, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match (word.to_lowercase().as_str(), value.trim()) {
            ("", _) => FanAction::Show(name),
            ("forget", "") => FanAction::Forget(name),
            ("tier", value) => match Tier::parse(value) {
                Some(tier) => FanAction::Tier(name, tier),
                None => FanAction::Invalid(crate::text::fans::BAD_TIER),
            },
            ("lang", value) => match value.parse::<Lang>() {
                Ok(lang) => FanAction::Lang(name, lang),
                Err(()) => FanAction::Invalid(crate::text::LANG_INVALID),
            },
            _ => FanAction::Note(name, rest.to_owned()),
        }
    }
}

/// What `/voice <args>` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoiceAction {
    /// `/voice`: list the examples.
    List,
    /// `/voice add <message>`.
    Add(String),
    /// `/voice remove <n>` (1-based).
    Remove(usize),
    /// `/voice clear`.
    Clear,
    /// Something else, with what to say.
    Invalid(&'static str),
}

impl VoiceAction {
    /// Parses the text after `/voice`.
    pub fn parse(args: &str) -> VoiceAction {
        let args = args.trim();
        let (word, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        match (word.to_lowercase().as_str(), rest.trim()) {
            ("", _) => VoiceAction::List,
            ("add", "") => VoiceAction::Invalid(crate::text::voice::USAGE),
            ("add", text) => VoiceAction::Add(text.to_owned()),
            ("remove", n) => match n.parse::<usize>() {
                Ok(n) if n >= 1 => VoiceAction::Remove(n),
                _ => VoiceAction::Invalid(crate::text::voice::BAD_NUMBER),
            },
            ("clear", "") => VoiceAction::Clear,
            _ => VoiceAction::Invalid(crate::text::voice::USAGE),
        }
    }
}

/// Word 3-grams of `text`, lowercased, each as a 64-bit hash; sorted, each
/// once. Hashes rather than strings: this runs on every draft against the
/// fan's earlier drafts, and copies no word.
fn trigrams(text: &str) -> Vec<u64> {
    let words: Vec<u64> = crate::words::words(text).map(crate::words::word_hash).collect();
    let mut grams: Vec<u64> =
        words.windows(3).map(|w| w.iter().fold(0, |hash, word| crate::words::mix(hash, *word))).collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The share of `draft`'s word 3-grams found in `earlier` (0 when it has
/// none: a draft under three words repeats nothing).
pub fn overlap(draft: &str, earlier: &str) -> f64 {
    share(&trigrams(draft), earlier)
}

/// The share of the 3-grams `mine` found in `earlier`.
fn share(mine: &[u64], earlier: &str) -> f64 {
    if mine.is_empty() {
        return 0.0;
    }
    let theirs = trigrams(earlier);
    mine.iter().filter(|g| theirs.binary_search(g).is_ok()).count() as f64 / mine.len() as f64
}

/// Whether `draft` repeats any of `earlier` (more than half its 3-grams).
pub fn repeats<'a>(draft: &str, mut earlier: impl Iterator<Item = &'a String>) -> bool {
    let mine = trigrams(draft);
    earlier.any(|e| share(&mine, e) > REPEAT)
}

/// The 3-gram overlap above which a draft is a repeat.
pub const REPEAT: f64 = 0.5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fan_commands_parse() {
        assert_eq!(FanAction::parse(""), FanAction::Usage);
        assert_eq!(FanAction::parse("@Alex"), FanAction::Show("alex".into()));
        assert_eq!(FanAction::parse("alex forget"), FanAction::Forget("alex".into()));
        assert_eq!(FanAction::parse("alex tier whale"), FanAction::Tier("alex".into(), Tier::Whale));
        assert_eq!(FanAction::parse("alex tier gold"), FanAction::Invalid(crate::text::fans::BAD_TIER));
        assert_eq!(
            FanAction::parse("alex loves hiking, bought 3 PPVs"),
            FanAction::Note("alex".into(), "loves hiking, bought 3 PPVs".into())
        );
        assert_eq!(
            FanAction::parse("alex forget to renew often"),
            FanAction::Note("alex".into(), "forget to renew often".into())
        );
        assert_eq!(FanAction::parse("a/b note"), FanAction::Invalid(crate::text::fans::BAD_NAME));
    }

    #[test]
    fn pricing_is_set_per_tier_and_never_made_up() {
        assert_eq!(FanAction::parse("pricing new $5-10"), FanAction::Pricing("new $5-10".into()));
        let pricing = Pricing::default().apply("new $5-10; whale $40+").unwrap();
        assert_eq!(pricing.for_tier(Tier::New), Some("$5-10"));
        assert_eq!(pricing.for_tier(Tier::Regular), None, "no range is invented");
        let pricing = pricing.apply("regular $15-25").unwrap();
        assert_eq!(pricing.summary(), "new: $5-10\nregular: $15-25\nwhale: $40+");
        assert_eq!(Pricing::default().apply("gold $100"), Err(crate::text::fans::BAD_PRICING));
        assert_eq!(pricing.apply("clear").unwrap(), Pricing::default());
    }

    #[test]
    fn voice_commands_parse() {
        assert_eq!(VoiceAction::parse(""), VoiceAction::List);
        assert_eq!(VoiceAction::parse("add omg stoppp 🙈"), VoiceAction::Add("omg stoppp 🙈".into()));
        assert_eq!(VoiceAction::parse("remove 2"), VoiceAction::Remove(2));
        assert_eq!(VoiceAction::parse("remove 0"), VoiceAction::Invalid(crate::text::voice::BAD_NUMBER));
        assert_eq!(VoiceAction::parse("clear"), VoiceAction::Clear);
    }

    #[test]
    fn cards_stay_bounded() {
        let mut card = FanCard::new("alex");
        for i in 0..30 {
            card.add_note(&format!("note {i} {}", "x".repeat(400)));
            card.record(&format!("hi {i}"), "1. a\n2. b");
        }
        assert_eq!(card.notes.len(), MAX_NOTES);
        assert!(card.notes[0].starts_with("note 10"), "the oldest go first");
        assert!(card.notes.iter().all(|n| n.chars().count() <= NOTE_CHARS));
        assert_eq!(card.exchanges.len(), MAX_EXCHANGES);
        assert_eq!(card.exchanges[0].fan, "hi 20");
    }

    #[test]
    fn repeats_are_word_trigram_overlap() {
        let earlier = ["just got home and you're the first one I thought of".to_owned()];
        assert!(repeats("just got home and you're the first one I thought of 😏", earlier.iter()));
        assert!(!repeats("trouble, as usual. want to find out?", earlier.iter()));
        assert!(!repeats("hi you", earlier.iter()), "too short to repeat anything");
    }
}
