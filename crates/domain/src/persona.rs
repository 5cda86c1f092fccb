//! The creator persona, tone and language that shape every draft.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How the creator writes. Every field is the creator's own words; they reach
/// the model only as delimited data, never as instructions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    /// The creator's stage name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The voice: "playful, teasing, a little shy".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub voice: String,
    /// How much emoji to use.
    #[serde(default)]
    pub emoji: EmojiUse,
    /// Whether the creator writes in all lowercase.
    #[serde(default)]
    pub lowercase: bool,
    /// What the creator never does or offers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub boundaries: String,
    /// Facts fans may know: city, hobbies, pets.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub facts: String,
}

/// How much emoji a persona uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmojiUse {
    /// No emoji at all.
    None,
    /// One now and then.
    #[default]
    Some,
    /// Plenty.
    Lots,
}

impl FromStr for EmojiUse {
    type Err = PersonaError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_lowercase().as_str() {
            "none" | "no" | "never" | "0" | "off" => Ok(EmojiUse::None),
            "some" | "few" | "a few" | "little" | "a little" | "yes" => Ok(EmojiUse::Some),
            "lots" | "many" | "plenty" | "a lot" => Ok(EmojiUse::Lots),
            _ => Err(PersonaError::Value { field: "emoji", expected: "none, some or lots" }),
        }
    }
}

/// Why a `/persona` text was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonaError {
    /// A field had a value Muse does not understand.
    #[error("{field} should be {expected}")]
    Value {
        /// The field name.
        field: &'static str,
        /// The accepted values.
        expected: &'static str,
    },
    /// A `key:` that is not a persona field.
    #[error("unknown field \"{0}\"; use name, voice, emoji, lowercase, boundaries or facts")]
    Field(String),
}

impl PersonaError {
    /// What went wrong, in the user's language.
    pub fn say(&self, ui: crate::Ui) -> String {
        match self {
            PersonaError::Value { field, expected } => {
                ui.say_with("persona-bad-value", &[("field", (*field).into()), ("expected", (*expected).into())])
            }
            PersonaError::Field(field) => ui.say_with("persona-bad-field", &[("field", field.as_str().into())]),
        }
    }
}

impl Persona {
    /// Applies `/persona` text on top of this persona.
    ///
    /// Fields are `key: value` pairs separated by new lines or `;`. Text with
    /// no recognised key describes the voice, so `/persona sweet and shy`
    /// works as a person would expect.
    pub fn apply(&self, text: &str) -> Result<Persona, PersonaError> {
        let mut next = self.clone();
        let mut loose = Vec::new();
        for piece in text.split(['\n', ';']).map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = piece.split_once(':') else {
                loose.push(piece);
                continue;
            };
            let value = value.trim().to_owned();
            match key.trim().to_lowercase().as_str() {
                "name" => next.name = value,
                "voice" | "style" => next.voice = value,
                "emoji" | "emojis" => next.emoji = value.parse()?,
                "lowercase" => next.lowercase = parse_yes_no(&value, "lowercase")?,
                "boundaries" | "limits" => next.boundaries = value,
                "facts" | "about" => next.facts = value,
                other if other.contains(' ') => loose.push(piece),
                other => return Err(PersonaError::Field(other.to_owned())),
            }
        }
        if !loose.is_empty() {
            next.voice = loose.join("; ");
        }
        Ok(next)
    }

    /// The persona in one line, as `/start` and `/persona` show it.
    pub fn summary(&self) -> String {
        if *self == Persona::default() {
            return "no persona yet: drafts use a friendly, flirty default voice".to_owned();
        }
        let mut parts = Vec::new();
        if !self.name.is_empty() {
            parts.push(self.name.clone());
        }
        if !self.voice.is_empty() {
            parts.push(self.voice.clone());
        }
        parts.push(format!("emoji: {}", self.emoji));
        if self.lowercase {
            parts.push("lowercase".to_owned());
        }
        if !self.boundaries.is_empty() {
            parts.push(format!("boundaries: {}", self.boundaries));
        }
        if !self.facts.is_empty() {
            parts.push(format!("facts: {}", self.facts));
        }
        parts.join(" · ")
    }
}

impl fmt::Display for EmojiUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EmojiUse::None => "none",
            EmojiUse::Some => "some",
            EmojiUse::Lots => "lots",
        })
    }
}

fn parse_yes_no(value: &str, field: &'static str) -> Result<bool, PersonaError> {
    match value.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "on" | "1" | "always" => Ok(true),
        "no" | "n" | "false" | "off" | "0" | "never" => Ok(false),
        _ => Err(PersonaError::Value { field, expected: "yes or no" }),
    }
}

/// The default tone of drafts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    /// Light, teasing, fun.
    #[default]
    Playful,
    /// Warm and affectionate.
    Sweet,
    /// Confident and direct.
    Bold,
    /// Elegant and understated.
    Classy,
}

impl Tone {
    /// Every tone, in the order `/tone` lists them.
    pub const ALL: [Tone; 4] = [Tone::Playful, Tone::Sweet, Tone::Bold, Tone::Classy];
}

impl FromStr for Tone {
    type Err = ();
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Tone::ALL.into_iter().find(|tone| tone.to_string().eq_ignore_ascii_case(value.trim())).ok_or(())
    }
}

impl fmt::Display for Tone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tone::Playful => "playful",
            Tone::Sweet => "sweet",
            Tone::Bold => "bold",
            Tone::Classy => "classy",
        })
    }
}

/// A language code for drafts, such as `en`, `ru` or `pt-BR`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lang(String);

impl Lang {
    /// English, used when neither the user nor Telegram says otherwise.
    pub fn english() -> Lang {
        Lang("en".to_owned())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Lang {
    type Err = ();
    /// Accepts a BCP 47-like code: 2–3 letters, optionally `-` and a 2–4
    /// character region or script.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim().replace('_', "-");
        let mut parts = value.split('-');
        let primary = parts.next().unwrap_or_default();
        let region = parts.next();
        let primary_ok = (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
        let region_ok =
            region.is_none_or(|r| (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric()));
        if !primary_ok || !region_ok || parts.next().is_some() {
            return Err(());
        }
        let code = match region {
            Some(region) => format!("{}-{}", primary.to_lowercase(), region.to_uppercase()),
            None => primary.to_lowercase(),
        };
        Ok(Lang(code))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persona_fields_from_keys_and_loose_text() {
        let persona = Persona::default()
            .apply("name: Mia; voice: playful, teasing\nemoji: lots; lowercase: yes\nboundaries: no face; facts: Miami, yoga")
            .unwrap();
        assert_eq!(persona.name, "Mia");
        assert_eq!(persona.voice, "playful, teasing");
        assert_eq!(persona.emoji, EmojiUse::Lots);
        assert!(persona.lowercase);
        assert_eq!(persona.facts, "Miami, yoga");
        let voice_only = persona.apply("sweet and a bit shy").unwrap();
        assert_eq!(voice_only.voice, "sweet and a bit shy");
        assert_eq!(voice_only.name, "Mia");
    }

    #[test]
    fn persona_rejects_bad_values_with_the_field_name() {
        let err = Persona::default().apply("emoji: sometimes maybe").unwrap_err();
        assert_eq!(err.to_string(), "emoji should be none, some or lots");
        assert!(Persona::default().apply("height: 170").is_err());
    }

    #[test]
    fn tones_and_languages_parse() {
        assert_eq!("Bold".parse::<Tone>(), Ok(Tone::Bold));
        assert!("spicy".parse::<Tone>().is_err());
        assert_eq!("pt_br".parse::<Lang>().unwrap().as_str(), "pt-BR");
        assert_eq!("RU".parse::<Lang>().unwrap().as_str(), "ru");
        assert!("english please".parse::<Lang>().is_err());
        assert!("e".parse::<Lang>().is_err());
    }
}
