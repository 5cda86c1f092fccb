//! The offline writer: template drafts when no model is configured or the
//! model fails. Varied per kind and tone, in English or Russian (the
//! language drafts are written in), styled by the persona (its name, emoji
//! level, lowercase), with a PPV's price in the pitch, and written to pass
//! the platform's rules (no flagged words, no off-platform hints).

mod en;
mod ru;

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::i18n::Ui;
use crate::kind::Kind;
use crate::persona::{EmojiUse, Persona, Tone};

/// What the offline writer is asked to write.
#[derive(Clone, Copy, Debug)]
pub struct Brief<'a> {
    /// The kind of text.
    pub kind: Kind,
    /// The tone.
    pub tone: Tone,
    /// Whose voice: name, emoji level, lowercase.
    pub persona: &'a Persona,
    /// The language of the templates: the drafts' language where Muse has
    /// templates for it, else English.
    pub lang: Ui,
    /// A PPV's price (`$15`), said in the pitch.
    pub price: Option<&'a str>,
}

/// Writes drafts from templates.
#[derive(Clone, Debug, Default)]
pub struct OfflineWriter;

impl OfflineWriter {
    /// Up to `count` distinct drafts for `brief`, chosen at random so
    /// repeated requests vary.
    pub fn drafts(&self, brief: &Brief<'_>, count: usize, rng: &mut impl Rng) -> Vec<String> {
        let templates = match brief.lang {
            Ui::En => en::templates(brief.kind, brief.tone),
            Ui::Ru => ru::templates(brief.kind, brief.tone),
        };
        let name = brief.persona.name.trim();
        let usable: Vec<&str> =
            templates.iter().copied().filter(|t| !name.is_empty() || !t.contains("{name}")).collect();
        usable.choose_multiple(rng, count).map(|template| write(template, brief, name)).collect()
    }

    /// The answer to a chat message when no model answers: `configured`
    /// says whether one is configured but failing, or absent.
    pub fn chat(&self, ui: Ui, configured: bool, persona: &Persona) -> String {
        style(&ui.say(if configured { "offline-chat-failing" } else { "offline-chat-absent" }), persona)
    }
}

/// A price in a request: `$15`, `15$`, `€9.99`, `500₽`, `500 руб`.
pub fn price_in(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.iter().enumerate().find_map(|(i, word)| {
        let word = word.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | '!' | '?' | '(' | ')'));
        let number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',');
        let currency = |c: char| matches!(c, '$' | '€' | '£' | '₽');
        let first = word.chars().next()?;
        let last = word.chars().last()?;
        if currency(first) && number(&word[first.len_utf8()..])
            || currency(last) && number(&word[..word.len() - last.len_utf8()])
        {
            return Some(word.to_owned());
        }
        let next = words.get(i + 1).filter(|_| number(word))?;
        let unit = next.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase();
        matches!(unit.as_str(), "руб" | "рублей" | "usd" | "dollars")
            .then(|| format!("{word} {}", next.trim_matches(|c: char| !c.is_alphanumeric())))
    })
}

fn write(template: &str, brief: &Brief<'_>, name: &str) -> String {
    let mut text = template.replace("{name}", name);
    if brief.kind == Kind::Ppv
        && let Some(price) = brief.price
    {
        text.push_str(&match brief.lang {
            Ui::En => format!(" Unlock it for {price}."),
            Ui::Ru => format!(" Открыть — {price}."),
        });
    }
    style(&text, brief.persona)
}

fn style(draft: &str, persona: &Persona) -> String {
    let text = match persona.emoji {
        EmojiUse::None => strip_emoji(draft),
        EmojiUse::Some => draft.to_owned(),
        EmojiUse::Lots if draft.chars().any(is_emoji) => format!("{draft}✨"),
        EmojiUse::Lots => format!("{draft} 💕"),
    };
    if persona.lowercase { text.to_lowercase() } else { text }
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D)
}

fn strip_emoji(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !is_emoji(*c)).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn brief(kind: Kind, tone: Tone, persona: &Persona, lang: Ui) -> Brief<'_> {
        Brief { kind, tone, persona, lang, price: None }
    }

    #[test]
    fn every_kind_tone_and_language_gives_three_distinct_drafts() {
        let mut rng = StdRng::seed_from_u64(7);
        let named = Persona { name: "Mia".into(), ..Persona::default() };
        for (kind, tone, lang) in
            Kind::DRAFTING.iter().flat_map(|k| Tone::ALL.iter().flat_map(move |t| Ui::ALL.map(|l| (*k, *t, l))))
        {
            for persona in [&Persona::default(), &named] {
                let drafts = OfflineWriter.drafts(&brief(kind, tone, persona, lang), 3, &mut rng);
                assert_eq!(drafts.len(), 3, "{kind} {tone} {lang:?}");
                assert!(drafts[0] != drafts[1] && drafts[1] != drafts[2] && drafts[0] != drafts[2]);
                assert!(drafts.iter().all(|d| !d.contains("{name}")), "{drafts:?}");
                let cyrillic = drafts.iter().all(|d| d.chars().any(|c| ('а'..='я').contains(&c)));
                assert_eq!(cyrillic, lang == Ui::Ru, "{drafts:?}");
            }
        }
    }

    #[test]
    fn persona_style_applies() {
        let mut rng = StdRng::seed_from_u64(1);
        let persona = Persona { emoji: EmojiUse::None, lowercase: true, ..Persona::default() };
        for lang in Ui::ALL {
            for draft in OfflineWriter.drafts(&brief(Kind::Caption, Tone::Bold, &persona, lang), 3, &mut rng) {
                assert!(!draft.chars().any(is_emoji), "{draft}");
                assert_eq!(draft, draft.to_lowercase());
            }
        }
    }

    #[test]
    fn the_name_and_the_price_are_written_in() {
        let mut rng = StdRng::seed_from_u64(5);
        let persona = Persona { name: "Mia".into(), ..Persona::default() };
        let named = (0..20)
            .flat_map(|_| OfflineWriter.drafts(&brief(Kind::Mass, Tone::Sweet, &persona, Ui::Ru), 3, &mut rng))
            .any(|d| d.contains("Mia"));
        assert!(named);
        let pitch = Brief { price: Some("$15"), ..brief(Kind::Ppv, Tone::Playful, &persona, Ui::Ru) };
        for draft in OfflineWriter.drafts(&pitch, 3, &mut rng) {
            assert!(draft.contains("Открыть — $15."), "{draft}");
        }
        let pitch = Brief { price: Some("$15"), ..brief(Kind::Ppv, Tone::Sweet, &persona, Ui::En) };
        assert!(OfflineWriter.drafts(&pitch, 3, &mut rng).iter().all(|d| d.contains("Unlock it for $15.")));
    }

    #[test]
    fn prices_are_found_in_requests() {
        assert_eq!(price_in("5-minute shower video $15").as_deref(), Some("$15"));
        assert_eq!(price_in("видео в душе за 15$, новое").as_deref(), Some("15$"));
        assert_eq!(price_in("set €9.99").as_deref(), Some("€9.99"));
        assert_eq!(price_in("видео 500 руб.").as_deref(), Some("500 руб"));
        assert_eq!(price_in("500₽").as_deref(), Some("500₽"));
        assert_eq!(price_in("5-minute shower video"), None);
        assert_eq!(price_in("$ and 15"), None);
    }

    #[test]
    fn repeated_requests_vary() {
        let mut rng = StdRng::seed_from_u64(3);
        let persona = Persona::default();
        let sweet = brief(Kind::Reply, Tone::Sweet, &persona, Ui::En);
        let first = OfflineWriter.drafts(&sweet, 3, &mut rng);
        assert!((0..10).any(|_| OfflineWriter.drafts(&sweet, 3, &mut rng) != first));
    }
}
