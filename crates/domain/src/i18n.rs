//! The message catalogue: every sentence Muse says, in each interface
//! language, as [Fluent](https://projectfluent.org) files under
//! `crates/domain/locales/` compiled into the binary.
//!
//! A user's interface language ([`Ui`]) comes from the language they chose
//! with `/lang`, else from their Telegram client's `language_code`, else
//! English. A message missing from a language falls back to English; the
//! tests check that none is missing. Adding a language is one `.ftl` file
//! and one [`Ui`] variant.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// An interface language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Ui {
    /// English, the fallback.
    #[default]
    En,
    /// Russian.
    Ru,
}

/// The catalogues, in [`Ui`] order.
const SOURCES: [(Ui, &str, &str); 2] =
    [(Ui::En, "en", include_str!("../locales/en.ftl")), (Ui::Ru, "ru", include_str!("../locales/ru.ftl"))];

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<Bundle>> =
    LazyLock::new(|| SOURCES.iter().map(|(_, code, source)| bundle(code, source)).collect());

/// Each language's messages that take no arguments, formatted once: buttons
/// and notices are said on every reply.
static FIXED: LazyLock<Vec<HashMap<&'static str, String>>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .zip(BUNDLES.iter())
        .map(|((_, _, source), bundle)| {
            let ids = fluent_syntax::parser::parse(*source).unwrap_or_else(|(resource, _)| resource).body;
            ids.into_iter()
                .filter_map(|entry| match entry {
                    fluent_syntax::ast::Entry::Message(message) => Some(message.id.name),
                    _ => None,
                })
                .filter_map(|id| {
                    let pattern = bundle.get_message(id)?.value()?;
                    let mut errors = Vec::new();
                    let text = bundle.format_pattern(pattern, None, &mut errors);
                    errors.is_empty().then(|| (id, text.into_owned()))
                })
                .collect()
        })
        .collect()
});

/// Numbers below this are kept by [`Ui::say_number`].
const NUMBERS_KEPT: usize = 10;

/// Messages said with one small number on every reply (the drafts' title,
/// a copy button per draft), formatted once per language, message and
/// number: Fluent's plural rules cost more than the rest of a reply's
/// text. At most [`NUMBERS_KEPT`] entries per message id written in code.
type Numbered = HashMap<(Ui, &'static str, &'static str, usize), String>;
static NUMBERED: LazyLock<Mutex<Numbered>> = LazyLock::new(Mutex::default);

fn bundle(code: &str, source: &str) -> Bundle {
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(resource, errors)| {
        tracing::error!(code, ?errors, "the message catalogue has syntax errors; their messages fall back");
        resource
    });
    let lang: unic_langid::LanguageIdentifier = code.parse().unwrap_or_default();
    let mut bundle = Bundle::new_concurrent(vec![lang]);
    // Telegram shows Unicode isolation marks as stray characters.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(code, ?errors, "the message catalogue has duplicate messages");
    }
    bundle
}

/// An argument of a message: text or a number.
pub type Arg<'a> = FluentValue<'a>;

impl Ui {
    /// Every interface language.
    pub const ALL: [Ui; 2] = [Ui::En, Ui::Ru];

    /// The interface language for a language code (`ru`, `ru-RU`, `pt-BR`):
    /// one Muse speaks, else English.
    pub fn from_code(code: &str) -> Ui {
        Ui::find(code).unwrap_or_default()
    }

    /// The interface language for `code`, if Muse speaks it.
    pub fn find(code: &str) -> Option<Ui> {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        SOURCES.iter().find(|(_, known, _)| primary.eq_ignore_ascii_case(known)).map(|(ui, ..)| *ui)
    }

    /// The first of `codes` (the language chosen with `/lang`, then the
    /// client's) that Muse speaks, else English.
    pub fn pick<'a>(codes: impl IntoIterator<Item = Option<&'a str>>) -> Ui {
        codes.into_iter().flatten().find_map(Ui::find).unwrap_or_default()
    }

    /// Its code, as Telegram's `language_code` has it.
    pub fn code(self) -> &'static str {
        SOURCES[self as usize].1
    }

    /// The message `id`.
    pub fn say(self, id: &str) -> String {
        match FIXED[self as usize].get(id) {
            Some(text) => text.clone(),
            None => self.say_with(id, &[]),
        }
    }

    /// The message `id` with one number, `name`: as [`Ui::say_with`] says
    /// it, formatted once for numbers below ten.
    pub fn say_number(self, id: &'static str, name: &'static str, number: usize) -> String {
        if number >= NUMBERS_KEPT {
            return self.say_with(id, &[(name, number.into())]);
        }
        let key = (self, id, name, number);
        if let Some(text) = NUMBERED.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return text.clone();
        }
        let text = self.say_with(id, &[(name, number.into())]);
        NUMBERED.lock().unwrap_or_else(PoisonError::into_inner).insert(key, text.clone());
        text
    }

    /// The message `id` with its arguments.
    pub fn say_with(self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let args = (!args.is_empty()).then(|| {
            let mut fluent = FluentArgs::with_capacity(args.len());
            for (name, value) in args {
                fluent.set(*name, value.clone());
            }
            fluent
        });
        for ui in [self, Ui::En] {
            let bundle = &BUNDLES[ui as usize];
            if let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args.as_ref(), &mut errors);
                if errors.is_empty() {
                    return text.into_owned();
                }
                tracing::error!(id, lang = ui.code(), ?errors, "a message did not format");
            }
        }
        tracing::error!(id, "a message is missing from the catalogue");
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use fluent_bundle::FluentResource;
    use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};

    use super::*;

    /// Each message id with the variables it uses.
    fn messages(source: &str) -> Vec<(String, Vec<String>)> {
        fn variables(pattern: &Pattern<&str>, out: &mut Vec<String>) {
            for element in &pattern.elements {
                if let PatternElement::Placeable { expression } = element {
                    let inline = match expression {
                        Expression::Select { selector, variants } => {
                            for variant in variants {
                                variables(&variant.value, out);
                            }
                            selector
                        }
                        Expression::Inline(inline) => inline,
                    };
                    if let InlineExpression::VariableReference { id } = inline {
                        out.push(id.name.to_owned());
                    }
                }
            }
        }
        let resource = FluentResource::try_new(source.to_owned()).expect("the catalogue parses");
        let mut found = Vec::new();
        for entry in resource.entries() {
            if let Entry::Message(message) = entry {
                let mut vars = Vec::new();
                if let Some(value) = &message.value {
                    variables(value, &mut vars);
                }
                vars.sort();
                vars.dedup();
                found.push((message.id.name.to_owned(), vars));
            }
        }
        found
    }

    #[test]
    fn every_language_has_every_message_with_the_same_arguments() {
        let english = messages(SOURCES[0].2);
        assert!(english.len() > 100, "{}", english.len());
        for (ui, code, source) in &SOURCES[1..] {
            let other = messages(source);
            for (id, vars) in &english {
                let found = other.iter().find(|(other_id, _)| other_id == id);
                assert_eq!(found.map(|(_, v)| v), Some(vars), "{code}: {id}");
            }
            assert_eq!(other.len(), english.len(), "{code} has messages English lacks");
            assert_ne!(ui.say("start-title"), Ui::En.say("start-title"));
        }
    }

    #[test]
    fn a_number_said_from_the_cache_reads_as_formatted() {
        for ui in Ui::ALL {
            for _ in 0..2 {
                for number in 0..12 {
                    let formatted = ui.say_with("copy-label", &[("number", number.into())]);
                    assert_eq!(ui.say_number("copy-label", "number", number), formatted);
                }
            }
        }
    }

    #[test]
    fn a_message_said_from_the_cache_reads_as_formatted() {
        for (ui, _, source) in SOURCES {
            for (id, _) in messages(source) {
                assert_eq!(ui.say(&id), ui.say_with(&id, &[]), "{id}");
            }
        }
        assert!(FIXED.iter().all(|fixed| fixed.len() > 50), "most messages take no arguments");
    }

    #[test]
    fn codes_pick_a_language_and_english_is_the_fallback() {
        assert_eq!(Ui::from_code("ru"), Ui::Ru);
        assert_eq!(Ui::from_code("ru-RU"), Ui::Ru);
        assert_eq!(Ui::from_code("RU"), Ui::Ru);
        assert_eq!(Ui::from_code("pt-BR"), Ui::En);
        assert_eq!(Ui::from_code(""), Ui::En);
        assert_eq!(Ui::Ru.code(), "ru");
        assert_eq!(Ui::pick([Some("es"), Some("ru-RU")]), Ui::Ru, "a draft language Muse does not speak falls through");
        assert_eq!(Ui::pick([Some("en"), Some("ru")]), Ui::En);
        assert_eq!(Ui::pick([None, None]), Ui::En);
    }

    #[test]
    fn plurals_follow_each_language() {
        let count = |ui: Ui, n: usize| ui.say_with("fans-list-title", &[("count", n.into())]);
        assert_eq!(count(Ui::En, 1), "1 fan card");
        assert_eq!(count(Ui::En, 5), "5 fan cards");
        assert_eq!(count(Ui::Ru, 1), "1 карточка фанатов");
        assert_eq!(count(Ui::Ru, 3), "3 карточки фанатов");
        assert_eq!(count(Ui::Ru, 5), "5 карточек фанатов");
        assert_eq!(Ui::Ru.say("no-such-message"), "no-such-message");
    }
}
