//! The offline writer's English templates.

use crate::kind::Kind;
use crate::persona::Tone;

/// English templates by kind and tone. Every entry is safe to send as it
/// is; `{name}` is the persona's name (entries with it are skipped without one).
pub(super) fn templates(kind: Kind, tone: Tone) -> &'static [&'static str] {
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
            "it's {name} 😜 and I have a question only you can answer",
            "guess what I'm wearing right now 😜 (wrong, try again)",
            "I was going to be good today… then I thought of you 😏",
            "quick question: are you always this distracting?",
            "I have a secret and you're the only one I want to tell 👀",
            "rate my mood from 1 to 10. hint: it's about to get better 😘",
        ],
        (Flirt, Sweet) => &[
            "{name} here, just wanted to say hi and send you a smile 💕",
            "thinking of you made my morning so much better 🥰",
            "you've been on my mind all day, hope that's ok 💕",
            "if I could send you a hug through the screen I would 🤗",
            "just wanted to say you're one of my favorites 💕",
            "your messages always make me smile, I missed them today",
        ],
        (Flirt, Bold) => &[
            "it's {name}. I don't wait long, so answer me 🔥",
            "I took some new pics today and you're the first one I thought of 🔥",
            "I don't usually message first. consider yourself special 😈",
            "I have plans for you tonight. are you ready? 🔥",
            "stop scrolling. I've got something you need to see 😏",
            "you've been quiet. I think you need a little reminder of me 🔥",
        ],
        (Flirt, Classy) => &[
            "a quiet hello from {name} ✨ how is your evening?",
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
            "{name} here 😜 guess who has something new for you",
            "hey you 😜 I've been up to something and I think you'll like it",
            "random thought: you should check your DMs more often 👀",
            "ok I need your honest opinion on something… you in? 😏",
            "bored and thinking about you. what are you up to?",
            "I have news and I wanted you to hear it first 😘",
        ],
        (Mass, Sweet) => &[
            "it's {name} 💕 I was thinking of you today, how are you?",
            "hey love, just checking in on you today 💕",
            "hope your week is going well, I've missed chatting with you 🥰",
            "I made something new and thought of you right away 💕",
            "sending you a little love today 🌸 how are you?",
            "you've been such a sweetheart to me, thank you 💕",
        ],
        (Mass, Bold) => &[
            "{name} here. something new, and it's for you 🔥",
            "I've got something new and I'm only telling you 🔥",
            "you've been on my mind. come say hi 😈",
            "tonight's plan: you, me, and my DMs 🔥",
            "I don't wait around. reply before I change my mind 😏",
            "this weekend I'm spoiling the fans who show up. are you one? 🔥",
        ],
        (Mass, Classy) => &[
            "from {name}, with a little something special ✨",
            "good evening ✨ I have something special to share with you",
            "I've been saving this for someone like you 😌",
            "a quiet note to say I appreciate you ✨",
            "something new is waiting, whenever you're ready",
            "for you, a little something with a touch of elegance ✨",
        ],
        (Chat, _) => &[],
    }
}
