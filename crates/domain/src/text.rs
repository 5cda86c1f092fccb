//! Every sentence the assistant says to a user, in one place, so that a
//! message catalogue can take them over without touching the handlers.

use std::time::Duration;

/// Non-text messages.
pub const NOT_TEXT: &str = "I work with text — send me the fan's message.";
/// A button whose request is gone.
pub const BUTTON_EXPIRED: &str = "That button has expired. Send /help to see what I can do.";
/// A refine button from an older reply, or one that is not Muse's.
pub const REQUEST_EXPIRED: &str =
    "That request has expired: refine works on your latest drafts. Send a new /reply to start again.";
/// `/reset`.
pub const RESET_DONE: &str = "Done: I've forgotten our conversation. Your persona and settings stay.";
/// `/forget`: the question before anything is deleted.
pub const FORGET_ASK: &str = "This deletes your persona, settings and conversation for good. Are you sure?";
/// `/forget`: the confirming button.
pub const FORGET_YES_LABEL: &str = "Yes, delete everything";
/// `/forget`: the cancelling button.
pub const FORGET_NO_LABEL: &str = "No, keep it";
/// `/forget`, cancelled.
pub const FORGET_CANCELLED: &str = "Nothing was deleted.";
/// `/forget`, done.
pub const FORGET_DONE: &str = "Done: everything Muse stored about you is deleted.";
/// `/forget` when the store failed.
pub const FORGET_FAILED: &str =
    "I couldn't delete your data just now. Nothing is lost; please try /forget again in a minute.";
/// An empty conversation turn.
pub const EMPTY_CHAT: &str = "Send me some text, or /help to see what I can do.";
/// A command whose layer is not installed.
pub const NOT_AVAILABLE: &str = "That command is not available here.";
/// "3 more" with nothing to redo.
pub const NOTHING_TO_REDO: &str = "There is nothing to redo yet. Try /reply with a fan's message.";
/// The live draft shown while the model starts writing.
pub const WRITING: &str = "✍️ writing…";
/// The "3 more" button.
pub const MORE_LABEL: &str = "🔄 3 more";
/// `/export`'s message beside the file.
pub const EXPORT_HERE: &str = "Here is everything Muse stores about you.";
/// `/export` when building the file failed.
pub const EXPORT_FAILED: &str = "I couldn't build your export just now; please try again.";
/// `/lang` with something that is not a code.
pub const LANG_INVALID: &str = "That doesn't look like a language code. Try /lang en, /lang ru or /lang pt-BR.";
/// `/start`'s title.
pub const START_TITLE: &str = "Hi, I'm Muse ✨";
/// `/start`: what Muse does.
pub const START_ABOUT: &str = "I write short, on-voice drafts for your fans: replies, flirty openers, captions, PPV pitches and mass messages. \
You read each draft and send it yourself.";
/// `/start`: the three-line how-to.
pub const START_HOW: &str = "1. Set your voice: /persona name: Mia; voice: playful, teasing\n\
2. Paste a fan's message after /reply to get 3 replies\n\
3. Tap a draft to copy it, edit if you like, and send";
/// `/persona` alone: how to set it.
pub const PERSONA_HOW: &str = "Set it with /persona name: Mia; voice: playful, teasing; emoji: some; lowercase: no; boundaries: no face; facts: loves yoga";
/// `/help`'s title.
pub const HELP_TITLE: &str = "What I can do";

/// Why drafts came from the offline writer, or from a backup model.
pub mod note {
    /// The model's answer held no drafts.
    pub const NO_DRAFTS: &str = "The model's answer had no drafts in it, so these come from the offline writer.";
    /// The model stack failed.
    pub const UNAVAILABLE: &str = "The model is unavailable right now, so these come from the offline writer.";
    /// No model slot freed within the queue wait.
    pub const QUEUED: &str =
        "Every model slot stayed busy for as long as you'd want to wait, so these come from the offline writer.";
    /// The global model quota is used up.
    pub const BUSY: &str = "Muse is at its model quota right now, so these come from the offline writer.";
    /// Every answer broke the rules.
    pub const UNSAFE: &str =
        "The model's drafts broke the platform's rules, so these safe ones come from the offline writer.";
    /// A fallback model answered.
    pub const FALLBACK: &str = "The main model is unavailable, so a backup model wrote these.";
}

/// The one notice a rate-limited user gets.
pub fn slow_down(wait: Duration) -> String {
    let seconds = wait.as_secs_f64().ceil().max(1.0);
    format!("You're sending messages faster than I can write. Try again in {seconds:.0} s.")
}

/// Text over the length limit.
pub fn too_long(chars: usize, limit: usize) -> String {
    format!("That's {chars} characters; the limit is {limit}.")
}

/// An unknown command.
pub fn unknown_command(name: &str) -> String {
    format!("I don't know /{name}. Send /help to see what I can do.")
}

/// A drafting command without its text.
pub fn needs_text(example: &str) -> String {
    format!("Add the text after the command, for example:\n{example}")
}

/// The persona line of `/start` and `/persona`.
pub fn persona_line(summary: &str) -> String {
    format!("Persona: {summary}")
}

/// A persona saved.
pub fn persona_saved(summary: &str) -> String {
    format!("Persona saved: {summary}")
}

/// A persona refused.
pub fn persona_refused(problem: &str) -> String {
    format!("I couldn't save that persona: {problem}. Nothing changed.")
}

/// A request waiting for a model slot: one notice, with an estimate.
pub fn queue_notice(wait: Duration) -> String {
    format!("⏳ Busy right now: you're in line for the model, about {} s. Your drafts follow.", wait.as_secs().max(1))
}

/// The note under refined drafts.
pub fn refined(label: &str) -> String {
    format!("Rewritten: {label}.")
}

/// A draft's copy button.
pub fn copy_label(number: usize) -> String {
    format!("📋 {number}")
}

/// `/tone` alone.
pub fn tone_now(tone: &str, options: &str) -> String {
    format!("Tone: {tone}. Change it with /tone followed by one of: {options}.")
}

/// A tone set.
pub fn tone_set(tone: &str) -> String {
    format!("Tone set to {tone}.")
}

/// An unknown tone.
pub fn tone_unknown(options: &str) -> String {
    format!("I don't know that tone. Choose one of: {options}.")
}

/// `/lang` alone.
pub fn lang_now(lang: &str) -> String {
    format!("Drafts are written in \"{lang}\". Change it with /lang and a code, such as /lang es or /lang pt-BR.")
}

/// A language set.
pub fn lang_set(lang: &str) -> String {
    format!("Drafts will be written in \"{lang}\".")
}

/// `/help`'s closing note.
pub fn help_note(admin_commands: &str) -> String {
    format!("Plain messages are a conversation with me about your work. For admins: {admin_commands}.")
}

/// `/fan`, `/fans` and `/reply @name`.
pub mod fans {
    /// `/fan` alone.
    pub const USAGE: &str = "Fan cards remember who you write to:\n\
/fan alex loves hiking, bought 3 PPVs — add a note (creates the card)\n\
/fan alex — show the card\n\
/fan alex tier whale — new, regular or whale\n\
/fan alex lang es — the language he writes in\n\
/fan pricing new $5-10; whale $40+ — PPV price ranges by tier\n\
/fan alex forget — delete the card\n\
/fans — list them\n\
/reply @alex hey what's up — drafts that know him";
    /// A name that is not one.
    pub const BAD_NAME: &str = "A fan's name is one word of up to 32 Latin or 16 Cyrillic letters, digits, _ . or -, such as /fan alex or /fan @big_mike.";
    /// A tier that is not one.
    pub const BAD_TIER: &str = "The tier is new, regular or whale, such as /fan alex tier whale.";
    /// `/fan pricing` with something that is not ranges.
    pub const BAD_PRICING: &str =
        "Set a range per tier, such as /fan pricing new $5-10; regular $15-25; whale $40+ (or /fan pricing clear).";
    /// `/fan pricing` with none set.
    pub const NO_PRICING: &str = "No price ranges yet: PPV pitches keep the price you give, or name none. Set them with /fan pricing new $5-10; regular $15-25; whale $40+";
    /// Price ranges removed.
    pub const PRICING_CLEARED: &str = "Price ranges removed: PPV pitches keep the price you give, or name none.";

    /// Price ranges shown or set.
    pub fn pricing(summary: &str) -> String {
        format!("PPV price ranges by tier (used in /ppv @name for a fan with that tier):\n{summary}")
    }

    /// `/fans` with none.
    pub const NONE: &str = "No fan cards yet. Add one with /fan alex loves hiking.";
    /// `/reply @alex` with no message.
    pub const NEEDS_MESSAGE: &str = "Paste his message after the name, such as /reply @alex hey what's up?";
    /// A card could not be read or written.
    pub const STORE_FAILED: &str = "I couldn't reach your fan cards just now; nothing was changed. Please try again.";

    /// A note added.
    pub fn noted(name: &str, notes: usize) -> String {
        format!("Noted on {name}'s card ({notes} note{s}).", s = if notes == 1 { "" } else { "s" })
    }

    /// The card limit reached.
    pub fn full(limit: usize) -> String {
        format!("You have {limit} fan cards, the most Muse keeps. Delete one with /fan <name> forget first.")
    }

    /// No card for `name`.
    pub fn unknown(name: &str) -> String {
        format!("There is no card for {name}. Create it with /fan {name} and a note.")
    }

    /// A card deleted.
    pub fn forgotten(name: &str) -> String {
        format!("Deleted {name}'s card and everything on it.")
    }

    /// A tier set.
    pub fn tier_set(name: &str, tier: &str) -> String {
        format!("{name} is now a {tier} fan.")
    }

    /// A language set.
    pub fn lang_set(name: &str, lang: &str) -> String {
        format!("{name} writes in \"{lang}\"; drafts for him will be too.")
    }

    /// `/fans`' title.
    pub fn list_title(count: usize) -> String {
        format!("{count} fan card{s}", s = if count == 1 { "" } else { "s" })
    }
}

/// `/voice`.
pub mod voice {
    /// How to use it.
    pub const USAGE: &str = "Teach me your voice with messages you really sent:\n\
/voice add omg stoppp 🙈 you're too much — add one (up to 20)\n\
/voice — list them\n\
/voice remove 2 — remove one\n\
/voice clear — remove all";
    /// `/voice remove` without a number.
    pub const BAD_NUMBER: &str = "Say which one by its number, such as /voice remove 2 (see /voice).";
    /// No examples.
    pub const NONE: &str = "No voice examples yet. Add a message you really sent: /voice add omg stoppp 🙈";
    /// All removed.
    pub const CLEARED: &str = "Removed every voice example.";

    /// One added.
    pub fn added(count: usize, limit: usize) -> String {
        format!("Added: {count} of {limit} voice examples. Drafts will follow your spelling, emoji and length.")
    }

    /// The limit reached.
    pub fn full(limit: usize) -> String {
        format!("You have {limit} voice examples, the most Muse keeps. Remove one with /voice remove N first.")
    }

    /// An example longer than the limit.
    pub fn too_long(chars: usize, limit: usize) -> String {
        format!("That example is {chars} characters; a voice example can be up to {limit}.")
    }

    /// Removed.
    pub fn removed(n: usize) -> String {
        format!("Removed example {n}.")
    }

    /// No such number.
    pub fn no_such(n: usize, count: usize) -> String {
        format!("There is no example {n}; you have {count}.")
    }
}
