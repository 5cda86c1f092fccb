//! The offline writer: template drafts when no model is configured or the
//! model fails. Varied per kind and tone, styled by the persona, and written
//! to pass the platform's rules (no flagged words, no off-platform hints).

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::kind::Kind;
use crate::persona::{EmojiUse, Persona, Tone};

/// Templates by kind and tone. Every entry is safe to send as it is.
fn templates(kind: Kind, tone: Tone) -> &'static [&'static str] {
    use Kind::*;
    use Tone::*;
    match (kind, tone) {
        (Reply, Playful) => &[
            "you always know how to make me smile 😏 tell me more",
            "careful, keep talking like that and I might get ideas 😜",
            "haha you're trouble, aren't you? I like it",
            "ok now I'm curious… what else is on your mind? 👀",
            "you just made my whole day, no joke 💕",
        ],
        (Reply, Sweet) => &[
            "aww you're so sweet to me 🥰 how's your day going?",
            "honestly messages like yours are my favorite part of the day 💕",
            "you make me feel so appreciated, thank you babe",
            "I love hearing from you, tell me something about your day",
            "that made me blush a little 😊 you're the best",
        ],
        (Reply, Bold) => &[
            "I know exactly what you want… and I might just give it to you 😈",
            "keep that energy. I like a fan who says what he thinks 🔥",
            "bold of you. I respect it. now impress me",
            "you have my attention. don't waste it 😏",
            "say that again, slower this time 🔥",
        ],
        (Reply, Classy) => &[
            "what a lovely thing to say. you have my full attention ✨",
            "I appreciate you more than you know. tell me more",
            "you have excellent taste, clearly 😌",
            "that is the kind of message that makes my evening ✨",
            "charming as always. what's on your mind tonight?",
        ],
        (Flirt, Playful) => &[
            "guess what I'm wearing right now 😜 (wrong, try again)",
            "I was going to be good today… then I thought of you 😏",
            "quick question: are you always this distracting?",
            "I have a secret and you're the only one I want to tell 👀",
            "rate my mood from 1 to 10. hint: it's about to get better 😘",
        ],
        (Flirt, Sweet) => &[
            "thinking of you made my morning so much better 🥰",
            "you've been on my mind all day, hope that's ok 💕",
            "if I could send you a hug through the screen I would 🤗",
            "just wanted to say you're one of my favorites 💕",
            "your messages always make me smile, I missed them today",
        ],
        (Flirt, Bold) => &[
            "I took some new pics today and you're the first one I thought of 🔥",
            "I don't usually message first. consider yourself special 😈",
            "I have plans for you tonight. are you ready? 🔥",
            "stop scrolling. I've got something you need to see 😏",
            "you've been quiet. I think you need a little reminder of me 🔥",
        ],
        (Flirt, Classy) => &[
            "a little something to brighten your evening ✨",
            "I saved my best look for someone with taste. you, perhaps? 😌",
            "good evening, handsome. I have something elegant in mind ✨",
            "I find myself wondering what you're up to tonight",
            "some things are worth waiting for. I think you'll agree 😌",
        ],
        (Caption, Playful) => &[
            "caught in 4k and not even sorry 😜",
            "plot twist: I'm the main character today",
            "serving looks and a little bit of trouble 😏",
            "can't decide which pic is my favorite, help me out 👀",
            "new set just dropped. you're welcome 😘",
        ],
        (Caption, Sweet) => &[
            "a little sunshine for your feed 🌸",
            "made this one with you in mind 💕",
            "soft day, soft mood, soft pics 🥰",
            "hope this makes you smile today 💕",
            "my favorite set this week, tell me yours 🌸",
        ],
        (Caption, Bold) => &[
            "you're not ready for this one 🔥",
            "confidence looks good on me. so does this 😈",
            "I don't post for everyone. I post for you 🔥",
            "turn your notifications on. trust me",
            "this is the one you'll come back to 😏",
        ],
        (Caption, Classy) => &[
            "elegance is an attitude ✨",
            "less is more, and more is in the DMs 😌",
            "soft light, quiet luxury ✨",
            "a moment worth keeping",
            "simply, me ✨",
        ],
        (Ppv, Playful) => &[
            "I made something a little naughty and I can't stop smiling about it 😜 want to see?",
            "this one's too spicy for my feed… so it's waiting in your DMs 👀",
            "warning: you might need a minute after this one 😏 unlock it",
            "I dare you to open this and not message me after 😘",
            "my favorite thing I've filmed all month. unlock and tell me yours 😜",
        ],
        (Ppv, Sweet) => &[
            "I made this just for my favorites, and you're one of them 💕",
            "something special is waiting for you, I hope you love it 🥰",
            "I was a little shy filming this one… open it gently 💕",
            "a private little gift, only for you 🎁",
            "I put my heart into this one, tell me what you think 💕",
        ],
        (Ppv, Bold) => &[
            "this is the one everyone asks about. your turn 🔥",
            "no teasers this time. unlock it and see for yourself 😈",
            "I held nothing back on this one 🔥",
            "you've earned this. open it 😈",
            "the full version is here. don't say I didn't warn you 🔥",
        ],
        (Ppv, Classy) => &[
            "a private set, for those with an eye for detail ✨",
            "an exclusive I don't share with everyone 😌",
            "tasteful, intimate, and only in your inbox ✨",
            "for my most discerning fans, a little luxury",
            "some things are better unwrapped in private ✨",
        ],
        (Mass, Playful) => &[
            "hey you 😜 I've been up to something and I think you'll like it",
            "random thought: you should check your DMs more often 👀",
            "ok I need your honest opinion on something… you in? 😏",
            "bored and thinking about you. what are you up to?",
            "I have news and I wanted you to hear it first 😘",
        ],
        (Mass, Sweet) => &[
            "hey love, just checking in on you today 💕",
            "hope your week is going well, I've missed chatting with you 🥰",
            "I made something new and thought of you right away 💕",
            "sending you a little love today 🌸 how are you?",
            "you've been such a sweetheart to me, thank you 💕",
        ],
        (Mass, Bold) => &[
            "I've got something new and I'm only telling you 🔥",
            "you've been on my mind. come say hi 😈",
            "tonight's plan: you, me, and my DMs 🔥",
            "I don't wait around. reply before I change my mind 😏",
            "this weekend I'm spoiling the fans who show up. are you one? 🔥",
        ],
        (Mass, Classy) => &[
            "good evening ✨ I have something special to share with you",
            "I've been saving this for someone like you 😌",
            "a quiet note to say I appreciate you ✨",
            "something new is waiting, whenever you're ready",
            "for you, a little something with a touch of elegance ✨",
        ],
        (Chat, _) => &[],
    }
}

/// Writes drafts from templates.
#[derive(Clone, Debug, Default)]
pub struct OfflineWriter;

impl OfflineWriter {
    /// Up to `count` distinct drafts for this kind and tone, in the persona's
    /// style, chosen at random so repeated requests vary.
    pub fn drafts(&self, kind: Kind, tone: Tone, persona: &Persona, count: usize, rng: &mut impl Rng) -> Vec<String> {
        templates(kind, tone).choose_multiple(rng, count).map(|draft| style(draft, persona)).collect()
    }

    /// The answer to a chat message when no model answers: `configured`
    /// says whether one is configured but failing, or absent.
    pub fn chat(&self, configured: bool, persona: &Persona) -> String {
        let text = if configured {
            "I can't reach the writing model right now, so I can't chat. Drafting still works: \
try /reply with a fan's message, /flirt for openers or /caption for a post."
        } else {
            "I'm running without a writing model, so I can't chat. Drafting still works: \
try /reply with a fan's message, /flirt for openers or /caption for a post."
        };
        style(text, persona)
    }
}

fn style(draft: &str, persona: &Persona) -> String {
    let text = match persona.emoji {
        EmojiUse::None => strip_emoji(draft),
        EmojiUse::Some => draft.to_owned(),
        EmojiUse::Lots if draft.chars().any(is_emoji) => format!("{draft}✨"),
        EmojiUse::Lots => format!("{draft} 💕"),
    };
    if persona.lowercase { text.to_lowercase() } else { text }
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D)
}

fn strip_emoji(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !is_emoji(*c)).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn every_kind_and_tone_gives_three_distinct_drafts() {
        let mut rng = StdRng::seed_from_u64(7);
        for kind in Kind::DRAFTING {
            for tone in Tone::ALL {
                let drafts = OfflineWriter.drafts(kind, tone, &Persona::default(), 3, &mut rng);
                assert_eq!(drafts.len(), 3, "{kind} {tone}");
                assert!(drafts[0] != drafts[1] && drafts[1] != drafts[2] && drafts[0] != drafts[2]);
            }
        }
    }

    #[test]
    fn persona_style_applies() {
        let mut rng = StdRng::seed_from_u64(1);
        let persona = Persona { emoji: EmojiUse::None, lowercase: true, ..Persona::default() };
        for draft in OfflineWriter.drafts(Kind::Caption, Tone::Bold, &persona, 3, &mut rng) {
            assert!(!draft.chars().any(is_emoji), "{draft}");
            assert_eq!(draft, draft.to_lowercase());
        }
    }

    #[test]
    fn repeated_requests_vary() {
        let mut rng = StdRng::seed_from_u64(3);
        let first = OfflineWriter.drafts(Kind::Reply, Tone::Sweet, &Persona::default(), 3, &mut rng);
        let varied =
            (0..10).any(|_| OfflineWriter.drafts(Kind::Reply, Tone::Sweet, &Persona::default(), 3, &mut rng) != first);
        assert!(varied);
    }
}
