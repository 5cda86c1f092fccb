//! Every sentence the assistant says to a user, in one place, so that a
//! message catalogue can take them over without touching the handlers.

use std::time::Duration;

/// Non-text messages.
pub const NOT_TEXT: &str = "I work with text — send me the fan's message.";
/// A button whose request is gone.
pub const BUTTON_EXPIRED: &str = "That button has expired. Send /help to see what I can do.";
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
