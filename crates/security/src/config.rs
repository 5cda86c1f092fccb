//! The security settings: admins, the allowlist, screening thresholds.

use muse_domain::UserId;
use muse_domain::settings::{SettingError, Settings, Table, invalid};

use crate::injection::Thresholds;

/// The settings the security layers read, with their defaults. The length
/// limit is the assistant's `MAX_MESSAGE_LENGTH`.
pub const SETTINGS: Table =
    &[("ADMIN_IDS", ""), ("ALLOWED_USER_IDS", ""), ("INJECTION_FLAG_SCORE", "0.30"), ("INJECTION_BLOCK_SCORE", "0.74")];

/// Who may use Muse and how text is screened.
#[derive(Clone, Debug, PartialEq)]
pub struct SecurityConfig {
    /// Users with admin rights.
    pub admins: Vec<UserId>,
    /// If set, only these users (and the admins) may use Muse.
    pub allowed: Option<Vec<UserId>>,
    /// Injection-screening thresholds.
    pub thresholds: Thresholds,
    /// Characters a message may have.
    pub max_message_length: usize,
}

impl SecurityConfig {
    /// The configuration from `settings` (see [`SETTINGS`]).
    pub fn from_settings(settings: &Settings) -> Result<SecurityConfig, SettingError> {
        let allowed = settings.ids("ALLOWED_USER_IDS")?;
        Ok(SecurityConfig {
            admins: settings.ids("ADMIN_IDS")?,
            allowed: (!allowed.is_empty()).then_some(allowed),
            thresholds: Thresholds::from_settings(settings)?,
            max_message_length: settings.number("MAX_MESSAGE_LENGTH", 1..=100_000)?,
        })
    }
}

impl Thresholds {
    /// `INJECTION_FLAG_SCORE` and `INJECTION_BLOCK_SCORE`, the flag score at most the block score.
    pub fn from_settings(settings: &Settings) -> Result<Thresholds, SettingError> {
        let flag = settings.number("INJECTION_FLAG_SCORE", 0.0..=1.0)?;
        let block = settings.number("INJECTION_BLOCK_SCORE", 0.0..=1.0)?;
        if flag > block {
            return Err(invalid(
                "INJECTION_FLAG_SCORE",
                format!("must be at most INJECTION_BLOCK_SCORE; found {flag} and {block}"),
            ));
        }
        Ok(Thresholds { flag, block })
    }
}

impl Default for Thresholds {
    /// The defaults of [`SETTINGS`].
    fn default() -> Self {
        Thresholds::from_settings(&Settings::new(&[SETTINGS])).expect("the defaults are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<SecurityConfig, SettingError> {
        let env = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let tables = [SETTINGS, muse_domain::assistant::SETTINGS];
        SecurityConfig::from_settings(&Settings::new(&tables).environment(&env, &[]))
    }

    #[test]
    fn admins_and_the_allowlist_are_read() {
        let config = config(&[("ADMIN_IDS", "12, 34"), ("ALLOWED_USER_IDS", "")]).unwrap();
        assert_eq!(config.admins, [12, 34]);
        assert_eq!(config.allowed, None, "empty means everyone");
        assert_eq!(config.max_message_length, 1000);
        assert_eq!(self::config(&[("ALLOWED_USER_IDS", "5,6")]).unwrap().allowed, Some(vec![5, 6]));
    }

    #[test]
    fn the_flag_score_may_not_pass_the_block_score() {
        assert_eq!(Thresholds::default(), Thresholds { flag: 0.30, block: 0.74 });
        let err = config(&[("INJECTION_FLAG_SCORE", "0.9")]).unwrap_err();
        assert!(err.to_string().starts_with("INJECTION_FLAG_SCORE: "), "{err}");
    }
}
