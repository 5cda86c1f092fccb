# Muse's interface in English: every sentence the bot and the terminal say.
# Ids are kebab-case; `ru.ftl` has the same ids with the same variables.

## Everyday replies

not-text = I work with text — send me the fan's message.
button-expired = That button has expired. Send /help to see what I can do.
request-expired = That request has expired: refine works on your latest drafts. Send a new /reply to start again.
reset-done = Done: I've forgotten our conversation. Your persona and settings stay.
forget-ask = This deletes your persona, settings and conversation for good. Are you sure?
forget-yes-label = Yes, delete everything
forget-no-label = No, keep it
forget-cancelled = Nothing was deleted.
forget-done = Done: everything Muse stored about you is deleted.
forget-failed = I couldn't delete your data just now. Nothing is lost; please try /forget again in a minute.
empty-chat = Send me some text, or /help to see what I can do.
not-available = That command is not available here.
nothing-to-redo = There is nothing to redo yet. Try /reply with a fan's message.
writing = ✍️ writing…
more-label = 🔄 3 more
export-here = Here is everything Muse stores about you.
export-failed = I couldn't build your export just now; please try again.
lang-invalid = That doesn't look like a language code. Try /lang en, /lang ru or /lang pt-BR.
went-wrong = Something went wrong on my side. Please try again.
slow-down = You're sending messages faster than I can write. Try again in { $seconds } s.
too-long = That's { $chars } characters; the limit is { $limit }.
unknown-command = I don't know /{ $name }. Send /help to see what I can do.
needs-text =
    Add the text after the command, for example:
    { $example }
queue-notice = ⏳ Busy right now: you're in line for the model, about { $seconds } s. Your drafts follow.
refined = Rewritten: { $label }.
copy-label = 📋 { $number }

## /start, /help, settings

start-title = Hi, I'm Muse ✨
start-about = I write short, on-voice drafts for your fans: replies, flirty openers, captions, PPV pitches and mass messages. You read each draft and send it yourself.
start-how =
    1. Set your voice: /persona name: Mia; voice: playful, teasing
    2. Paste a fan's message after /reply to get 3 replies
    3. Tap a draft to copy it, edit if you like, and send
help-title = What I can do
help-note = Plain messages are a conversation with me about your work. For admins: { $commands }.
persona-how = Set it with /persona name: Mia; voice: playful, teasing; emoji: some; lowercase: no; boundaries: no face; facts: loves yoga
persona-line = Persona: { $summary }
persona-saved = Persona saved: { $summary }
persona-refused = I couldn't save that persona: { $problem }. Nothing changed.
persona-bad-value = { $field } should be { $expected }
persona-bad-field = unknown field "{ $field }"; use name, voice, emoji, lowercase, boundaries or facts
tone-now = Tone: { $tone }. Change it with /tone followed by one of: { $options }.
tone-set = Tone set to { $tone }.
tone-unknown = I don't know that tone. Choose one of: { $options }.
lang-now = Drafts are written in "{ $lang }". Change it with /lang and a code, such as /lang es or /lang pt-BR.
lang-set = Drafts will be written in "{ $lang }".

## Why drafts came from elsewhere

note-no-drafts = The model's answer had no drafts in it, so these come from the offline writer.
note-unavailable = The model is unavailable right now, so these come from the offline writer.
note-queued = Every model slot stayed busy for as long as you'd want to wait, so these come from the offline writer.
note-busy = Muse is at its model quota right now, so these come from the offline writer.
note-unsafe = The model's drafts broke the platform's rules, so these safe ones come from the offline writer.
note-fallback = The main model is unavailable, so a backup model wrote these.
offline-chat-failing = I can't reach the writing model right now, so I can't chat. Drafting still works: try /reply with a fan's message, /flirt for openers or /caption for a post.
offline-chat-absent = I'm running without a writing model, so I can't chat. Drafting still works: try /reply with a fan's message, /flirt for openers or /caption for a post.

## Draft titles

title-reply = { $count ->
    [one] { $count } reply
   *[other] { $count } replies
}
title-flirt = { $count ->
    [one] { $count } flirty message
   *[other] { $count } flirty messages
}
title-caption = { $count ->
    [one] { $count } caption
   *[other] { $count } captions
}
title-ppv = { $count ->
    [one] { $count } PPV pitch
   *[other] { $count } PPV pitches
}
title-mass = { $count ->
    [one] { $count } mass message
   *[other] { $count } mass messages
}
title-chat = { $count ->
    [one] { $count } message
   *[other] { $count } messages
}

## The refine row

refine-shorter = ✂️ shorter
refine-bolder = 🔥 bolder
refine-softer = 🌸 softer
refine-emoji = 😍 more emoji
refine-tip = 💸 ask for a tip/PPV
refine-lang = 🌐 in the fan's language

## The command menu and /help

menu-reply = 3 replies to a fan's message
example-reply = /reply hey gorgeous, what are you up to tonight?
menu-flirt = 3 flirty openers, or on a context
example-flirt = /flirt he just renewed his subscription
menu-caption = 3 captions for a feed post
example-caption = /caption beach sunset set, white bikini
menu-ppv = 3 pay-per-view pitches
example-ppv = /ppv 5-minute shower video $15
menu-mass = 3 mass messages that feel personal
example-mass = /mass weekend sale, 50% off the vault
menu-persona = show or set your persona
example-persona = /persona name: Mia; voice: playful, teasing; emoji: some; lowercase: yes
menu-tone = default tone: playful, sweet, bold, classy
example-tone = /tone sweet
menu-lang = language of drafts and of Muse
example-lang = /lang es
menu-fan = a fan's card: notes, tier, language
example-fan = /fan alex loves hiking, bought 3 PPVs
menu-fans = your fan cards
example-fans = /fans
menu-voice = messages you really sent, as style examples
example-voice = /voice add omg stoppp 🙈
menu-reset = forget the conversation
example-reset = /reset
menu-help = every command with an example
example-help = /help
menu-start = what Muse does
example-start = /start
menu-check = which words of your draft would be flagged
example-check = /check let's meet up later
menu-export = everything Muse stores about you, as a file
example-export = /export
menu-forget = delete everything Muse stores about you
example-forget = /forget
menu-model = show or switch the model
example-model = /model llama-3.3-70b-versatile
menu-models = the models the provider offers
example-models = /models
menu-stats = users, requests, model calls, security counters
example-stats = /stats
menu-health = the health report
example-health = /health
menu-ban = block a user
example-ban = /ban 123456789
menu-unban = unblock a user
example-unban = /unban 123456789

## Fan cards

fans-usage =
    Fan cards remember who you write to:
    /fan alex loves hiking, bought 3 PPVs — add a note (creates the card)
    /fan alex — show the card
    /fan alex tier whale — new, regular or whale
    /fan alex lang es — the language he writes in
    /fan pricing new $5-10; whale $40+ — PPV price ranges by tier
    /fan alex forget — delete the card
    /fans — list them
    /reply @alex hey what's up — drafts that know him
fans-bad-name = A fan's name is one word of up to 32 Latin or 16 Cyrillic letters, digits, _ . or -, such as /fan alex or /fan @big_mike.
fans-bad-tier = The tier is new, regular or whale, such as /fan alex tier whale.
fans-bad-pricing = Set a range per tier, such as /fan pricing new $5-10; regular $15-25; whale $40+ (or /fan pricing clear).
fans-no-pricing = No price ranges yet: PPV pitches keep the price you give, or name none. Set them with /fan pricing new $5-10; regular $15-25; whale $40+
fans-pricing-cleared = Price ranges removed: PPV pitches keep the price you give, or name none.
fans-pricing =
    PPV price ranges by tier (used in /ppv @name for a fan with that tier):
    { $summary }
fans-none = No fan cards yet. Add one with /fan alex loves hiking.
fans-needs-message = Paste his message after the name, such as /reply @alex hey what's up?
fans-store-failed = I couldn't reach your fan cards just now; nothing was changed. Please try again.
fans-noted = { $notes ->
    [one] Noted on { $name }'s card ({ $notes } note).
   *[other] Noted on { $name }'s card ({ $notes } notes).
}
fans-full = You have { $limit } fan cards, the most Muse keeps. Delete one with /fan <name> forget first.
fans-unknown = There is no card for { $name }. Create it with /fan { $name } and a note.
fans-forgotten = Deleted { $name }'s card and everything on it.
fans-tier-set = { $name } is now a { $tier } fan.
fans-lang-set = { $name } writes in "{ $lang }"; drafts for him will be too.
fans-list-title = { $count ->
    [one] { $count } fan card
   *[other] { $count } fan cards
}
card-tier = Tier: { $tier }
card-lang = Language: { $lang }
card-last = Last message from him: { $text }
card-exchanges = { $count ->
    [one] { $count } exchange remembered.
   *[other] { $count } exchanges remembered.
}

## The creator's voice

voice-usage =
    Teach me your voice with messages you really sent:
    /voice add omg stoppp 🙈 you're too much — add one (up to 20)
    /voice — list them
    /voice remove 2 — remove one
    /voice clear — remove all
voice-bad-number = Say which one by its number, such as /voice remove 2 (see /voice).
voice-none = No voice examples yet. Add a message you really sent: /voice add omg stoppp 🙈
voice-cleared = Removed every voice example.
voice-added = Added: { $count } of { $limit } voice examples. Drafts will follow your spelling, emoji and length.
voice-full = You have { $limit } voice examples, the most Muse keeps. Remove one with /voice remove N first.
voice-too-long = That example is { $chars } characters; a voice example can be up to { $limit }.
voice-removed = Removed example { $n }.
voice-no-such = There is no example { $n }; you have { $count }.

## Security: access, screening, /check

admins-only = Admins only.
not-allowed = Sorry, Muse is private here. Your Telegram id is { $user }: send it to the owner if you should have access.
injection-refusal = I can't work with that message: it reads like an attempt to change how I work. If it's a real fan message, paste just what the fan wrote, or send /help.
check-usage = Send the draft after the command, for example: /check let's meet up later
check-clean = Nothing in this draft would be flagged. ✅
check-title = { $count ->
    [one] { $count } thing would be flagged
   *[other] { $count } things would be flagged
}
check-forbidden = forbidden
check-flagged = flagged by filters
check-line = • "{ $matched }" (characters { $start }–{ $end }): { $term } — { $what }, { $severity } [{ $category }]
check-advice = Rewrite with other words: the platform forbids code words and misspellings, too.

## Admin commands

model-now = Model: { $model }. Fallbacks: { $fallbacks }.
model-none = none
models-title = { $count ->
    [one] { $count } model
   *[other] { $count } models
}
stats-title = Muse stats
health-title = Muse health
ban-done = User { $user } is banned.
ban-already = User { $user } was already banned.
ban-failed = Not banned: { $problem }.
ban-usage = Send a numeric user id, for example: /ban 123456789
unban-done = User { $user } is unbanned.
unban-not = User { $user } was not banned.
unban-usage = Send a numeric user id, for example: /unban 123456789
model-unchanged = { $problem } The model is unchanged.
model-switched = Model switched to { $name }. The next drafts use it.
model-unknown = There is no model "{ $name }"; the model is unchanged. Available: { $models }.

## The terminal

console-welcome =
    Muse, in the terminal. { $banner }
    Type /help for the commands; end with Ctrl-D.
console-confirm = Type yes to delete everything, anything else to keep it.
console-bye = Bye.
console-model = Drafting with { $model } at { $url }.
console-offline = Offline writer: no LLM_API_KEY is set, so drafts come from built-in templates.
