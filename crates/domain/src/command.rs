//! Parsing a line of user text into a command.
//!
//! Telegram and the terminal share this parser, so `/reply hi` means the same
//! thing in both. A command is a leading `/name`, optionally addressed to a bot
//! (`/reply@MuseBot`), followed by its argument text, kept verbatim.

use crate::i18n::Ui;
use crate::kind::Kind;

/// One entry of the command menu: what Telegram shows and `/help` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MenuEntry {
    /// The command without its slash.
    pub name: &'static str,
    /// Whether everyone may use it. Commands are admin-only unless marked
    /// open here: deny by default.
    pub open: bool,
}

impl MenuEntry {
    /// What it does, in a few words (the catalogue's `menu-<name>`).
    pub fn description(&self, ui: Ui) -> String {
        ui.say(&format!("menu-{}", self.name))
    }

    /// One example of use, shown by `/help` (the catalogue's `example-<name>`).
    pub fn example(&self, ui: Ui) -> String {
        ui.say(&format!("example-{}", self.name))
    }
}

/// Every command a user can send, in menu order.
pub const MENU: &[MenuEntry] = &[
    MenuEntry { name: "reply", open: true },
    MenuEntry { name: "flirt", open: true },
    MenuEntry { name: "caption", open: true },
    MenuEntry { name: "ppv", open: true },
    MenuEntry { name: "mass", open: true },
    MenuEntry { name: "persona", open: true },
    MenuEntry { name: "tone", open: true },
    MenuEntry { name: "lang", open: true },
    MenuEntry { name: "fan", open: true },
    MenuEntry { name: "fans", open: true },
    MenuEntry { name: "voice", open: true },
    MenuEntry { name: "reset", open: true },
    MenuEntry { name: "help", open: true },
    MenuEntry { name: "start", open: true },
    MenuEntry { name: "check", open: true },
    MenuEntry { name: "export", open: true },
    MenuEntry { name: "forget", open: true },
    MenuEntry { name: "model", open: false },
    MenuEntry { name: "models", open: false },
    MenuEntry { name: "stats", open: false },
    MenuEntry { name: "health", open: false },
    MenuEntry { name: "ban", open: false },
    MenuEntry { name: "unban", open: false },
];

/// Whether the command `name` may be used by everyone. Unknown names are
/// not commands at all (they get a hint), so they are not refused here.
pub fn is_open(name: &str) -> bool {
    MENU.iter().find(|entry| entry.name == name).is_none_or(|entry| entry.open)
}

/// Commands for admins only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    /// `/model` alone (show) or with a name (switch).
    Model(String),
    /// `/models`: what the provider offers.
    Models,
    /// `/stats`: counters.
    Stats,
    /// `/health`: the health report.
    Health,
    /// `/ban <id>`.
    Ban(String),
    /// `/unban <id>`.
    Unban(String),
}

/// A parsed line of user input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `/start`: greeting and how-to.
    Start,
    /// `/help`: every command with an example.
    Help,
    /// A drafting command (`/reply`, `/flirt`, ...) with its argument text.
    Draft(Kind, String),
    /// `/persona` alone (show) or with text (set).
    Persona(String),
    /// `/tone` alone (show) or with a tone name.
    Tone(String),
    /// `/lang` alone (show) or with a language code.
    Lang(String),
    /// `/fan` and its arguments: a fan card.
    Fan(String),
    /// `/fans`: the fan cards.
    Fans,
    /// `/voice` and its arguments: the creator's style examples.
    Voice(String),
    /// `/reset`: forget the history.
    Reset,
    /// `/check`: which words of the user's own draft would be flagged.
    Check(String),
    /// `/export`: everything stored about the user.
    Export,
    /// `/forget`: delete everything stored about the user (after a confirmation).
    Forget,
    /// A command for admins.
    Admin(AdminCommand),
    /// Text that is not a command: a conversation turn.
    Chat(String),
    /// A command Muse does not know, with its name (no slash).
    Unknown(String),
}

impl Command {
    /// The command's name without its slash (`reply`, `ban`, or an unknown
    /// name as typed); `None` for a conversation turn.
    pub fn name(&self) -> Option<&str> {
        Some(match self {
            Command::Start => "start",
            Command::Help => "help",
            Command::Draft(kind, _) => kind.command(),
            Command::Persona(_) => "persona",
            Command::Tone(_) => "tone",
            Command::Lang(_) => "lang",
            Command::Fan(_) => "fan",
            Command::Fans => "fans",
            Command::Voice(_) => "voice",
            Command::Reset => "reset",
            Command::Check(_) => "check",
            Command::Export => "export",
            Command::Forget => "forget",
            Command::Admin(AdminCommand::Model(_)) => "model",
            Command::Admin(AdminCommand::Models) => "models",
            Command::Admin(AdminCommand::Stats) => "stats",
            Command::Admin(AdminCommand::Health) => "health",
            Command::Admin(AdminCommand::Ban(_)) => "ban",
            Command::Admin(AdminCommand::Unban(_)) => "unban",
            Command::Unknown(name) => name,
            Command::Chat(_) => return None,
        })
    }

    /// A label for metrics: the menu name, `text` for a conversation turn,
    /// `unknown_command` otherwise, so labels stay few.
    pub fn label(&self) -> &'static str {
        match self.name() {
            None => "text",
            Some(name) => MENU.iter().find(|entry| entry.name == name).map_or("unknown_command", |entry| entry.name),
        }
    }

    /// Whether everyone may use this command (see [`is_open`]).
    pub fn is_open(&self) -> bool {
        self.name().is_none_or(is_open)
    }

    /// Parses one message. Text that does not start with `/` is [`Command::Chat`].
    pub fn parse(text: &str) -> Command {
        let trimmed = text.trim_start();
        let Some(rest) = trimmed.strip_prefix('/') else {
            return Command::Chat(text.trim().to_owned());
        };
        let (head, args) = match rest.find(char::is_whitespace) {
            Some(at) => (&rest[..at], rest[at..].trim()),
            None => (rest, ""),
        };
        // "/reply@MuseBot" in groups: the address is not part of the name.
        let name = head.split('@').next().unwrap_or(head).to_lowercase();
        let args = args.to_owned();
        match name.as_str() {
            "start" => Command::Start,
            "help" => Command::Help,
            "reply" => Command::Draft(Kind::Reply, args),
            "flirt" => Command::Draft(Kind::Flirt, args),
            "caption" => Command::Draft(Kind::Caption, args),
            "ppv" => Command::Draft(Kind::Ppv, args),
            "mass" => Command::Draft(Kind::Mass, args),
            "persona" => Command::Persona(args),
            "tone" => Command::Tone(args),
            "lang" => Command::Lang(args),
            "fan" => Command::Fan(args),
            "fans" => Command::Fans,
            "voice" => Command::Voice(args),
            "reset" => Command::Reset,
            "check" => Command::Check(args),
            "export" => Command::Export,
            "forget" => Command::Forget,
            "model" => Command::Admin(AdminCommand::Model(args)),
            "models" => Command::Admin(AdminCommand::Models),
            "stats" => Command::Admin(AdminCommand::Stats),
            "health" => Command::Admin(AdminCommand::Health),
            "ban" => Command::Admin(AdminCommand::Ban(args)),
            "unban" => Command::Admin(AdminCommand::Unban(args)),
            _ if name.is_empty() => Command::Chat(text.trim().to_owned()),
            _ => Command::Unknown(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafting_commands_keep_their_text_verbatim() {
        assert_eq!(
            Command::parse("/reply  hey {name} ${x} %s\nsecond line "),
            Command::Draft(Kind::Reply, "hey {name} ${x} %s\nsecond line".into())
        );
        assert_eq!(Command::parse("/flirt"), Command::Draft(Kind::Flirt, String::new()));
    }

    #[test]
    fn names_are_case_insensitive_and_may_address_a_bot() {
        assert_eq!(Command::parse("/PPV@MuseBot video $10"), Command::Draft(Kind::Ppv, "video $10".into()));
        assert_eq!(Command::parse("/Start"), Command::Start);
    }

    #[test]
    fn plain_text_and_unknown_commands() {
        assert_eq!(Command::parse("  hello there "), Command::Chat("hello there".into()));
        assert_eq!(Command::parse("/dance now"), Command::Unknown("dance".into()));
        assert_eq!(Command::parse("/ slash alone"), Command::Chat("/ slash alone".into()));
    }

    #[test]
    fn admin_commands_are_closed_and_the_rest_open() {
        for name in ["model", "models", "stats", "ban", "unban"] {
            assert!(!is_open(name), "{name}");
            assert!(matches!(Command::parse(&format!("/{name} 1")), Command::Admin(_)));
        }
        for name in ["start", "help", "reply", "check", "persona", "dance"] {
            assert!(is_open(name), "{name}");
        }
        assert_eq!(Command::parse("/Model@MuseBot x").name(), Some("model"));
        assert_eq!(Command::parse("/Model@MuseBot x").label(), "model");
        assert_eq!(Command::parse("hello").name(), None);
        assert_eq!(Command::parse("hello").label(), "text");
        assert_eq!(Command::parse("/dance").label(), "unknown_command");
        assert!(!Command::parse("/ban 5").is_open() && Command::parse("/dance").is_open());
    }

    #[test]
    fn every_menu_entry_parses_to_a_known_command() {
        for (entry, ui) in MENU.iter().flat_map(|entry| Ui::ALL.map(|ui| (entry, ui))) {
            let command = Command::parse(&entry.example(ui));
            assert!(!matches!(command, Command::Unknown(_)), "{} {ui:?}", entry.name);
            assert_eq!(command.name(), Some(entry.name), "the name round-trips");
            let description = entry.description(ui);
            assert!(!description.starts_with("menu-") && description.chars().count() <= 256, "{description}");
        }
    }
}
