//! Every sentence Muse says to a user, by its id in the message catalogue
//! ([`crate::i18n`]): constants for plain messages (`ui.say(text::NOT_TEXT)`),
//! functions for messages with arguments. The sentences themselves live in
//! `crates/domain/locales/<lang>.ftl`.

use std::time::Duration;

use crate::i18n::Ui;

/// Non-text messages.
pub const NOT_TEXT: &str = "not-text";
/// A button whose request is gone.
pub const BUTTON_EXPIRED: &str = "button-expired";
/// A refine button from an older reply, or one that is not Muse's.
pub const REQUEST_EXPIRED: &str = "request-expired";
/// `/reset`.
pub const RESET_DONE: &str = "reset-done";
/// `/forget`: the question before anything is deleted.
pub const FORGET_ASK: &str = "forget-ask";
/// `/forget`: the confirming button.
pub const FORGET_YES_LABEL: &str = "forget-yes-label";
/// `/forget`: the cancelling button.
pub const FORGET_NO_LABEL: &str = "forget-no-label";
/// `/forget`, cancelled.
pub const FORGET_CANCELLED: &str = "forget-cancelled";
/// `/forget`, done.
pub const FORGET_DONE: &str = "forget-done";
/// `/forget` when the store failed.
pub const FORGET_FAILED: &str = "forget-failed";
/// An empty conversation turn.
pub const EMPTY_CHAT: &str = "empty-chat";
/// A command whose layer is not installed.
pub const NOT_AVAILABLE: &str = "not-available";
/// "3 more" with nothing to redo.
pub const NOTHING_TO_REDO: &str = "nothing-to-redo";
/// The live draft shown while the model starts writing.
pub const WRITING: &str = "writing";
/// The "3 more" button.
pub const MORE_LABEL: &str = "more-label";
/// `/export`'s message beside the file.
pub const EXPORT_HERE: &str = "export-here";
/// `/export` when building the file failed.
pub const EXPORT_FAILED: &str = "export-failed";
/// `/lang` with something that is not a code.
pub const LANG_INVALID: &str = "lang-invalid";
/// Anything that failed in a way no layer answered.
pub const WENT_WRONG: &str = "went-wrong";
/// `/start`'s title.
pub const START_TITLE: &str = "start-title";
/// `/start`: what Muse does.
pub const START_ABOUT: &str = "start-about";
/// `/start`: the three-line how-to.
pub const START_HOW: &str = "start-how";
/// `/persona` alone: how to set it.
pub const PERSONA_HOW: &str = "persona-how";
/// `/help`'s title.
pub const HELP_TITLE: &str = "help-title";

/// Why drafts came from the offline writer, or from a backup model.
pub mod note {
    /// The model's answer held no drafts.
    pub const NO_DRAFTS: &str = "note-no-drafts";
    /// The model stack failed.
    pub const UNAVAILABLE: &str = "note-unavailable";
    /// No model slot freed within the queue wait.
    pub const QUEUED: &str = "note-queued";
    /// The global model quota is used up.
    pub const BUSY: &str = "note-busy";
    /// Every answer broke the rules.
    pub const UNSAFE: &str = "note-unsafe";
    /// A fallback model answered.
    pub const FALLBACK: &str = "note-fallback";
}

/// The one notice a rate-limited user gets.
pub fn slow_down(ui: Ui, wait: Duration) -> String {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    ui.say_with("slow-down", &[("seconds", seconds.into())])
}

/// Text over the length limit.
pub fn too_long(ui: Ui, chars: usize, limit: usize) -> String {
    ui.say_with("too-long", &[("chars", chars.into()), ("limit", limit.into())])
}

/// An unknown command.
pub fn unknown_command(ui: Ui, name: &str) -> String {
    ui.say_with("unknown-command", &[("name", name.into())])
}

/// A drafting command without its text.
pub fn needs_text(ui: Ui, example: &str) -> String {
    ui.say_with("needs-text", &[("example", example.into())])
}

/// The persona line of `/start` and `/persona`.
pub fn persona_line(ui: Ui, summary: &str) -> String {
    ui.say_with("persona-line", &[("summary", summary.into())])
}

/// A persona saved.
pub fn persona_saved(ui: Ui, summary: &str) -> String {
    ui.say_with("persona-saved", &[("summary", summary.into())])
}

/// A persona refused.
pub fn persona_refused(ui: Ui, problem: &str) -> String {
    ui.say_with("persona-refused", &[("problem", problem.into())])
}

/// A request waiting for a model slot: one notice, with an estimate.
pub fn queue_notice(ui: Ui, wait: Duration) -> String {
    ui.say_with("queue-notice", &[("seconds", wait.as_secs().max(1).into())])
}

/// The note under refined drafts.
pub fn refined(ui: Ui, label: &str) -> String {
    ui.say_with("refined", &[("label", label.into())])
}

/// A draft's copy button.
pub fn copy_label(ui: Ui, number: usize) -> String {
    ui.say_number("copy-label", "number", number)
}

/// `/tone` alone.
pub fn tone_now(ui: Ui, tone: &str, options: &str) -> String {
    ui.say_with("tone-now", &[("tone", tone.into()), ("options", options.into())])
}

/// A tone set.
pub fn tone_set(ui: Ui, tone: &str) -> String {
    ui.say_with("tone-set", &[("tone", tone.into())])
}

/// An unknown tone.
pub fn tone_unknown(ui: Ui, options: &str) -> String {
    ui.say_with("tone-unknown", &[("options", options.into())])
}

/// `/lang` alone.
pub fn lang_now(ui: Ui, lang: &str) -> String {
    ui.say_with("lang-now", &[("lang", lang.into())])
}

/// A language set.
pub fn lang_set(ui: Ui, lang: &str) -> String {
    ui.say_with("lang-set", &[("lang", lang.into())])
}

/// `/help`'s closing note.
pub fn help_note(ui: Ui, admin_commands: &str) -> String {
    ui.say_with("help-note", &[("commands", admin_commands.into())])
}

/// `/fan`, `/fans` and `/reply @name`.
pub mod fans {
    use crate::i18n::Ui;

    /// `/fan` alone.
    pub const USAGE: &str = "fans-usage";
    /// A name that is not one.
    pub const BAD_NAME: &str = "fans-bad-name";
    /// A tier that is not one.
    pub const BAD_TIER: &str = "fans-bad-tier";
    /// `/fan pricing` with something that is not ranges.
    pub const BAD_PRICING: &str = "fans-bad-pricing";
    /// `/fan pricing` with none set.
    pub const NO_PRICING: &str = "fans-no-pricing";
    /// Price ranges removed.
    pub const PRICING_CLEARED: &str = "fans-pricing-cleared";
    /// `/fans` with none.
    pub const NONE: &str = "fans-none";
    /// `/reply @alex` with no message.
    pub const NEEDS_MESSAGE: &str = "fans-needs-message";
    /// A card could not be read or written.
    pub const STORE_FAILED: &str = "fans-store-failed";

    /// Price ranges shown or set.
    pub fn pricing(ui: Ui, summary: &str) -> String {
        ui.say_with("fans-pricing", &[("summary", summary.into())])
    }

    /// A note added.
    pub fn noted(ui: Ui, name: &str, notes: usize) -> String {
        ui.say_with("fans-noted", &[("name", name.into()), ("notes", notes.into())])
    }

    /// The card limit reached.
    pub fn full(ui: Ui, limit: usize) -> String {
        ui.say_with("fans-full", &[("limit", limit.into())])
    }

    /// No card for `name`.
    pub fn unknown(ui: Ui, name: &str) -> String {
        ui.say_with("fans-unknown", &[("name", name.into())])
    }

    /// A card deleted.
    pub fn forgotten(ui: Ui, name: &str) -> String {
        ui.say_with("fans-forgotten", &[("name", name.into())])
    }

    /// A tier set.
    pub fn tier_set(ui: Ui, name: &str, tier: &str) -> String {
        ui.say_with("fans-tier-set", &[("name", name.into()), ("tier", tier.into())])
    }

    /// A language set.
    pub fn lang_set(ui: Ui, name: &str, lang: &str) -> String {
        ui.say_with("fans-lang-set", &[("name", name.into()), ("lang", lang.into())])
    }

    /// `/fans`' title.
    pub fn list_title(ui: Ui, count: usize) -> String {
        ui.say_with("fans-list-title", &[("count", count.into())])
    }

    /// A card's lines: its tier, language, his last message, exchanges kept.
    pub fn card_tier(ui: Ui, tier: &str) -> String {
        ui.say_with("card-tier", &[("tier", tier.into())])
    }

    /// A card's language line.
    pub fn card_lang(ui: Ui, lang: &str) -> String {
        ui.say_with("card-lang", &[("lang", lang.into())])
    }

    /// A card's last message from the fan.
    pub fn card_last(ui: Ui, text: &str) -> String {
        ui.say_with("card-last", &[("text", text.into())])
    }

    /// How many exchanges a card remembers.
    pub fn card_exchanges(ui: Ui, count: usize) -> String {
        ui.say_with("card-exchanges", &[("count", count.into())])
    }
}

/// `/voice`.
pub mod voice {
    use crate::i18n::Ui;

    /// How to use it.
    pub const USAGE: &str = "voice-usage";
    /// `/voice remove` without a number.
    pub const BAD_NUMBER: &str = "voice-bad-number";
    /// No examples.
    pub const NONE: &str = "voice-none";
    /// All removed.
    pub const CLEARED: &str = "voice-cleared";

    /// One added.
    pub fn added(ui: Ui, count: usize, limit: usize) -> String {
        ui.say_with("voice-added", &[("count", count.into()), ("limit", limit.into())])
    }

    /// The limit reached.
    pub fn full(ui: Ui, limit: usize) -> String {
        ui.say_with("voice-full", &[("limit", limit.into())])
    }

    /// An example longer than the limit.
    pub fn too_long(ui: Ui, chars: usize, limit: usize) -> String {
        ui.say_with("voice-too-long", &[("chars", chars.into()), ("limit", limit.into())])
    }

    /// Removed.
    pub fn removed(ui: Ui, n: usize) -> String {
        ui.say_with("voice-removed", &[("n", n.into())])
    }

    /// No such number.
    pub fn no_such(ui: Ui, n: usize, count: usize) -> String {
        ui.say_with("voice-no-such", &[("n", n.into()), ("count", count.into())])
    }
}
