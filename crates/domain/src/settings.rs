//! Settings: each crate owns a table of the settings it reads (name and
//! default), and reads them with their type and range where it builds its
//! configuration. [`Settings`] layers the values (the defaults of every
//! table, then a configuration file, then the environment) as text; every
//! error names the setting.
//!
//! ```
//! use muse_domain::settings::Settings;
//!
//! const TABLE: &[(&str, &str)] = &[("MAX_HISTORY_SIZE", "50")];
//! let env = [("MAX_HISTORY_SIZE".to_owned(), "20".to_owned())].into();
//! let settings = Settings::new(&[TABLE]).environment(&env, &[]);
//! assert_eq!(settings.number("MAX_HISTORY_SIZE", 1..=1000).unwrap(), 20);
//! ```

use std::collections::BTreeMap;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

/// A crate's settings: each name (an environment variable; a file uses it
/// in lowercase) with its default value as text, empty for unset.
pub type Table = &'static [(&'static str, &'static str)];

/// A setting with a value Muse cannot use. Its message names the setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct SettingError {
    /// The setting's name.
    pub setting: String,
    /// What is wrong with its value.
    pub problem: String,
}

/// An error about `setting`.
pub fn invalid(setting: &str, problem: impl Into<String>) -> SettingError {
    SettingError { setting: setting.to_owned(), problem: problem.into() }
}

/// The values of every known setting, layered, as text.
#[derive(Clone, Debug)]
pub struct Settings {
    values: BTreeMap<&'static str, String>,
}

impl Settings {
    /// Every setting of `tables` at its default.
    pub fn new(tables: &[Table]) -> Settings {
        Settings { values: tables.iter().flat_map(|table| table.iter()).map(|(n, d)| (*n, (*d).to_owned())).collect() }
    }

    /// The names of every known setting.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.values.keys().copied()
    }

    fn known(&self, key: &str) -> Option<&'static str> {
        self.values.keys().copied().find(|name| name.eq_ignore_ascii_case(key))
    }

    /// Values from a configuration file (keys in any case). An unknown key
    /// is an error naming `file_setting`, the setting that named the file.
    pub fn file(mut self, values: BTreeMap<String, String>, file_setting: &str) -> Result<Settings, SettingError> {
        for (key, value) in values {
            let name = self
                .known(&key)
                .ok_or_else(|| invalid(file_setting, format!("unknown setting \"{key}\" in the configuration file")))?;
            self.values.insert(name, value);
        }
        Ok(self)
    }

    /// Values from the environment, over everything else. Variables that
    /// are not settings are ignored; an empty value counts as unset, except
    /// for the settings in `empty_means_off` (where empty turns a feature off).
    pub fn environment(mut self, env: &BTreeMap<String, String>, empty_means_off: &[&str]) -> Settings {
        let names: Vec<&'static str> = self.names().collect();
        for name in names {
            let keep_empty = empty_means_off.contains(&name);
            if let Some(value) = env.get(name).map(|v| v.trim()).filter(|v| keep_empty || !v.is_empty()) {
                self.values.insert(name, value.to_owned());
            }
        }
        self
    }

    /// The value as text, trimmed (empty when unset).
    pub fn text(&self, name: &str) -> &str {
        self.values.get(name).map_or("", |value| value.trim())
    }

    /// The value, or `None` when it is empty.
    pub fn optional(&self, name: &str) -> Option<&str> {
        Some(self.text(name)).filter(|value| !value.is_empty())
    }

    /// The value, which must not be empty; `what` says what it should be.
    pub fn required(&self, name: &str, what: &str) -> Result<&str, SettingError> {
        self.optional(name).ok_or_else(|| invalid(name, format!("must name {what}")))
    }

    /// The value read by `parse`, whose error becomes the problem.
    pub fn parse<T>(&self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, SettingError> {
        parse(self.text(name)).map_err(|problem| invalid(name, problem))
    }

    /// A number within `range`.
    pub fn number<T>(&self, name: &str, range: RangeInclusive<T>) -> Result<T, SettingError>
    where
        T: FromStr + PartialOrd + Display,
    {
        let text = self.text(name);
        let value: T = text.parse().map_err(|_| invalid(name, format!("expected a number, found \"{text}\"")))?;
        if !range.contains(&value) {
            return Err(invalid(name, format!("must be between {} and {}, found {value}", range.start(), range.end())));
        }
        Ok(value)
    }

    /// `true` or `false` (also yes/no, on/off, 1/0).
    pub fn flag(&self, name: &str) -> Result<bool, SettingError> {
        match self.text(name).to_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(true),
            "false" | "no" | "0" | "off" => Ok(false),
            other => Err(invalid(name, format!("expected true or false, found \"{other}\""))),
        }
    }

    /// A number of seconds above 0, at most a day.
    pub fn seconds(&self, name: &str) -> Result<Duration, SettingError> {
        let seconds: f64 = self.number(name, 0.0..=86_400.0)?;
        if seconds <= 0.0 {
            return Err(invalid(name, format!("must be a number of seconds above 0, found {seconds}")));
        }
        Ok(Duration::from_secs_f64(seconds))
    }

    /// A share above 0 and at most 1.
    pub fn share(&self, name: &str) -> Result<f64, SettingError> {
        let share = self.number(name, 0.0..=1.0)?;
        if share <= 0.0 {
            return Err(invalid(name, "must be a share above 0 and at most 1"));
        }
        Ok(share)
    }

    /// A comma-separated list; blank items are dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.text(name).split(',').map(str::trim).filter(|item| !item.is_empty()).map(str::to_owned).collect()
    }

    /// A comma-separated list of numeric user ids.
    pub fn ids(&self, name: &str) -> Result<Vec<u64>, SettingError> {
        self.list(name)
            .iter()
            .map(|id| id.parse().map_err(|_| invalid(name, format!("\"{id}\" is not a numeric Telegram user id"))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: Table = &[("A_NUMBER", "5"), ("A_FLAG", "false"), ("A_LIST", ""), ("AN_ADDR", "x")];

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_environment_wins_over_the_file_and_the_file_over_defaults() {
        let file = [("a_number".to_owned(), "7".to_owned()), ("A_FLAG".to_owned(), "true".to_owned())].into();
        let settings =
            Settings::new(&[TABLE]).file(file, "CONFIG").unwrap().environment(&env(&[("A_NUMBER", "9")]), &[]);
        assert_eq!(settings.number("A_NUMBER", 0..=10), Ok(9));
        assert_eq!(settings.flag("A_FLAG"), Ok(true));
        let unknown = Settings::new(&[TABLE]).file([("typo".to_owned(), "1".to_owned())].into(), "CONFIG");
        assert_eq!(unknown.unwrap_err().to_string(), "CONFIG: unknown setting \"typo\" in the configuration file");
    }

    #[test]
    fn empty_is_unset_unless_empty_means_off() {
        let settings = Settings::new(&[TABLE]).environment(&env(&[("A_NUMBER", " "), ("AN_ADDR", "")]), &["AN_ADDR"]);
        assert_eq!(settings.text("A_NUMBER"), "5");
        assert_eq!(settings.optional("AN_ADDR"), None);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let settings = Settings::new(&[TABLE]).environment(&env(&[("A_NUMBER", "lots"), ("A_LIST", "1, x")]), &[]);
        assert!(settings.number::<u32>("A_NUMBER", 0..=10).unwrap_err().to_string().starts_with("A_NUMBER: "));
        assert!(settings.ids("A_LIST").unwrap_err().to_string().starts_with("A_LIST: "));
        assert!(settings.flag("A_NUMBER").is_err());
        let settings = Settings::new(&[TABLE]).environment(&env(&[("A_NUMBER", "0")]), &[]);
        assert!(settings.seconds("A_NUMBER").is_err() && settings.share("A_NUMBER").is_err());
        assert_eq!(settings.number("A_NUMBER", 1..=10).unwrap_err().problem, "must be between 1 and 10, found 0");
    }
}
