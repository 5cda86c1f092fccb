use crate::history::HistoryLimits;
use crate::settings::{SettingError, Settings, Table};

/// The settings the assistant reads, with their defaults.
pub const SETTINGS: Table = &[
    ("LLM_MODEL", "llama-3.1-8b-instant"),
    // The old bot's bounds: 50 messages of 1000 characters.
    ("MAX_HISTORY_SIZE", "50"),
    ("MAX_MESSAGE_LENGTH", "1000"),
    ("LLM_TEMPERATURE", "0.9"),
    ("LLM_MAX_TOKENS", "600"),
];

/// How the assistant drafts.
#[derive(Clone, Debug, PartialEq)]
pub struct AssistantConfig {
    /// The model asked for drafts.
    pub model: String,
    /// Bounds of each user's history.
    pub history: HistoryLimits,
    /// Drafts per drafting command.
    pub drafts: usize,
    /// Sampling temperature.
    pub temperature: f32,
    /// Upper bound on a completion, in tokens.
    pub max_tokens: u32,
}

impl AssistantConfig {
    /// The configuration from `settings` (see [`SETTINGS`]).
    pub fn from_settings(settings: &Settings) -> Result<AssistantConfig, SettingError> {
        Ok(AssistantConfig {
            model: settings.required("LLM_MODEL", "a model")?.to_owned(),
            history: HistoryLimits {
                max_messages: settings.number("MAX_HISTORY_SIZE", 1..=1000)?,
                max_chars: settings.number("MAX_MESSAGE_LENGTH", 1..=100_000)?,
            },
            drafts: 3,
            temperature: settings.number("LLM_TEMPERATURE", 0.0..=2.0)?,
            max_tokens: settings.number("LLM_MAX_TOKENS", 16..=8192)?,
        })
    }
}

impl Default for AssistantConfig {
    /// The defaults of [`SETTINGS`].
    fn default() -> Self {
        AssistantConfig::from_settings(&Settings::new(&[SETTINGS])).expect("the defaults are valid")
    }
}
