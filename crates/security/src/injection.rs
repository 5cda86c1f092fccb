//! Prompt-injection screening: a score for how much a text tries to steer
//! the model rather than be material for it.
//!
//! Muse's first defence is structure (instructions only in the system
//! message, user text only ever data) and its last is the leak guard; this
//! screen sits between them. It scores families of signals: instruction
//! override, role-play jailbreaks, system-prompt extraction, fake roles and
//! delimiters, encoded payloads (base64 is decoded and screened again,
//! rot13 is undone), authority claims, goal hijacking and output-format
//! manipulation, in English and Russian. Each family counts once, with the
//! weight of its strongest signal, and families combine as a noisy OR, so a
//! flirty "no limits tonight" stays low while a DAN prompt scores near 1.
//! Patterns are families of phrasings, never single strings.

use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use crate::normalize::tokens;

/// What the screen decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing notable.
    Allow,
    /// Suspicious: goes through (structure and the leak guard still hold),
    /// and is counted.
    Flag,
    /// Refused with a friendly reply.
    Block,
}

/// The score of one text and the signals behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct Screening {
    /// 0 (clean) to 1 (certain attack).
    pub score: f32,
    /// The names of the signal families that fired.
    pub signals: Vec<&'static str>,
}

/// Score thresholds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// At or above: flagged and counted.
    pub flag: f32,
    /// At or above: refused.
    pub block: f32,
}

impl Thresholds {
    /// The verdict for a score.
    pub fn verdict(&self, score: f32) -> Verdict {
        if score >= self.block {
            Verdict::Block
        } else if score >= self.flag {
            Verdict::Flag
        } else {
            Verdict::Allow
        }
    }
}

struct Signal {
    family: &'static str,
    weight: f32,
    pattern: Regex,
    /// Matched against the original text (structure, quotes, case) rather
    /// than the normalized words.
    raw: bool,
}

fn signal(family: &'static str, weight: f32, raw: bool, pattern: &str) -> Signal {
    Signal { family, weight, pattern: Regex::new(pattern).expect("valid injection pattern"), raw }
}

// Word groups reused below. Words are matched on normalized text: lowercase,
// leetspeak undone, punctuation dropped, single spaces.
const OVERRIDE_VERB: &str = r"(?:ignor(?:e|es|ed|ing)|disregard(?:s|ed|ing)?|forg[eo]t(?:s|ten|ting)?|overrid(?:e|es|den|ing)|overwrit\w*|bypass(?:es|ed|ing)?|skip|drop|abandon|discard|neglect|cancel|erase|delete|reset|dismiss|set aside|throw out|throw away|stop following|stop obeying|do not follow|dont follow|don t follow|no longer follow|never mind|nevermind|pay no attention to|do not pay attention to|dont pay attention to|don t listen to|do not listen to|stop listening to|break|breaking|violate|violating)";
const PRIOR: &str = r"(?:all|any|every|each|the|your|these|those|previous|prior|above|earlier|preceding|initial|original|old|existing|current|following|system|given|of|my|its|other)";
const INSTRUCTION: &str = r"(?:instructions?|prompts?|directives?|directions|guidance|guidelines?|programming|system (?:prompt|message)|commands? you (?:were|have been) given)";
const RULE: &str = r"(?:rules?|restrictions?|filters?|guardrails?|polic(?:y|ies)|constraints?|training|ethics|principles|limitations?|safeguards?|content policy|safety)";
const SECRET_NOUN: &str = r"(?:(?:system|initial|original|hidden|secret|confidential|private|internal|starting|first|developer|operator|pre|base|underlying|core|default)\s?(?:prompt|instructions?|message|configuration|config|directives?|rules|guidelines|context|settings)|(?:the |your )?(?:full|whole|entire|complete|exact|real|actual) (?:prompt|instructions|system message|configuration|rules you follow)|initialization(?: string)?|init string|systemprompt|system_prompt|sys prompt|pre ?prompt|your (?:prompt|instructions|directives|programming|configuration|config)|(?:the )?(?:text|words|instructions|prompt|message|content|conversation|rules|guidelines)(?: \w+)? (?:above|before this|you (?:were given|received|got|have been given)|they gave you|given to you|at the (?:start|beginning))|(?:the )?above (?:text|instructions|prompt|words|message|content)|everything (?:above|before this)|this (?:entire |whole )?conversation)";
const REVEAL_VERB: &str = r"(?:show|print|reveal|repeat|output|display|tell|give|share|leak|dump|return|recite|echo|expose|spell ?check|translate|encode|summari[sz]e|list|copy|paste|write out|read back|quote|disclose|type out|what (?:is|are|was|were))";
const JAILBREAK: &str = r"(?:do anything now|developer mode|dev mode|jailbreak|jailbroken|jail broken|dan mode|anti ?dan|better ?dan|evil (?:twin|ai|assistant|mode|version|confidant|bot)|opposite mode|god ?mode|chaos mode|unfiltered (?:ai|mode|model|version|response|assistant)|uncensored (?:ai|mode|model|version|assistant)|unrestricted (?:ai|mode|model|version|assistant)|(?:no|without|free of|free from|zero) (?:any )?(?:moral|ethical|ethics|morals)(?: or ethical| and ethical)? (?:restrictions?|guidelines|limits|boundaries|constraints|filters|principles|bias)|no longer (?:bound|restricted|limited|constrained|confined) by|(?:freed|free|liberated|released|broken free|broke free|escaped|escapes|escaped from|unchained from|unshackled from) (?:from )?(?:all |any |your |the |of )?(?:rules|restrictions|guidelines|constraints|programming|limitations|policies|filters|openai)|not bound by (?:any |the |your )?(?:rules|restrictions|guidelines|policies|openai))";
const ROLE: &str = r"(?:you are now|you re now|youre now|you will now|from now on|act as|acting as|pretend|roleplay|role play|simulate|immerse yourself|you are going to (?:act|be|play|pretend)|switch to|enter|enable|enabled|activate|respond as|answer as|stay in character|you will respond|you will answer)";
const AI: &str = r"(?:chatgpt|chat gpt|openai|open ai|language model|ai model|as an ai|an ai|the ai|llm|gpt ?\d?|claude|anthropic|llama|gemini|ai assistant|chatbot|neural network|нейросет\w*|языков\w* модел\w*|ии|бот|ботом|бота)";

/// Verbs that command the model to drop or reveal something.
const COMMAND_VERB: &str = r"(?:ignor\w*|disregard\w*|forget|bypass\w*|overrid\w*|dismiss|drop|discard|abandon|disable|deactivate|turn off|switch off|reveal|print|show|output|display|leak|dump|list|repeat|recite|copy|paste|quote|expose|disclose|share|spell out|write out|type out|decode|obey|comply with)";
/// Nouns about the model's own setup, which fans and creators rarely use.
const META_NOUN: &str = r"(?:instructions?|prompts?|system|guidance|guidelines|directives?|polic(?:y|ies)|configuration|config|programming|filters?|safeguards?|guardrails?|restrictions)";

static SIGNALS: LazyLock<Vec<Signal>> = LazyLock::new(|| {
    vec![
        // A command and the model's setup in one breath, in either order.
        signal(
            "meta_command",
            0.6,
            false,
            &format!(
                r"\b{COMMAND_VERB}\b(?: \w+){{0,7}} {META_NOUN}\b|\b{META_NOUN}\b(?: \w+){{0,7}} {COMMAND_VERB}\b"
            ),
        ),
        signal(
            "meta_command",
            0.6,
            false,
            r"\b(?:игнорир\w*|проигнорир\w*|игнорь|забудь|забей|наплюй|сбрось|отключи|обойди|покажи|выведи|перечисли|раскрой|повтори|расскажи|скопируй|перепиши|процитируй|распечатай)\b(?: \w+){0,7} (?:инструкци\w*|промпт\w*|системн\w*|указани\w*|директив\w*|конфигураци\w*|фильтр\w*|ограничени\w*)|\b(?:забей|наплюй|плевать) на (?:свои|твои|все|эти) (?:правила|инструкции|ограничения|запреты)",
        ),
        signal(
            "meta_mention",
            0.35,
            false,
            r"\b(?:your|its|the bots|the assistants) (?:\w+ )?(?:instructions|prompt|directives|programming|system message|guidelines|configuration)\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:text|everything|all|whatever|messages?|instructions?|words|content)(?: \w+){0,4} (?:before|above|prior to|ahead of) (?:my|this|the|our) (?:first |very first )?(?:message|question|request|prompt|conversation|chat)\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:текст|всё|все|сообщени\w*|инструкци\w*)(?: \w+){0,3} (?:до|перед) (?:моего|этого|первого|нашего) (?:сообщени|вопрос|запрос|разговор|диалог)\w*",
        ),
        signal(
            "role_change",
            0.35,
            false,
            r"\b(?:forget|drop|ignore|break|exit|leave|abandon) (?:the|your|this|that) (?:persona|character|role)\b|\b(?:забудь|сбрось|выйди из|брось) (?:\w+ )?(?:персону|роль|образ|персонажа)\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\bкто (?:тебя|вас) (?:настроил|настраивал|запрограммировал|проинструктировал|создал и как)",
        ),
        signal(
            "role_change",
            0.6,
            false,
            r"\bstop being (?:an? |the )?(?:assistant|ai|bot|chatbot|model|helpful)\b|\b(?:obey|follow|respect) no (?:policies|rules|guidelines|restrictions|filters)\b|\bперестань быть (?:ассистентом|ботом|ии|помощником)",
        ),
        signal(
            "authority",
            0.35,
            false,
            r"\b(?:the )?(?:admin|administrator|developer|developers|operator|owner|creator|boss) (?:said|says|allowed|approved|authorized|ordered|wants)\b|\bas your (?:creator|developer|owner|admin|administrator|programmer)\b",
        ),
        signal(
            "delimiter",
            0.6,
            true,
            r"(?im)^\s*\[(?:system|assistant|developer|admin)\]|\b(?:SYSTEM|ADMIN|DEVELOPER|ROOT) OVERRIDE\b|(?i)\bsystem override\b",
        ),
        // Instruction override.
        signal(
            "override",
            0.75,
            false,
            &format!(r"\b{OVERRIDE_VERB}\b(?: \w+){{0,3}} {PRIOR}(?: \w+){{0,2}} {INSTRUCTION}\b"),
        ),
        signal(
            "override",
            0.75,
            false,
            &format!(
                r"\b{OVERRIDE_VERB} (?:all |any |everything )?(?:of )?(?:the |everything )?(?:above|before this|said before)\b"
            ),
        ),
        signal("override", 0.3, false, &format!(r"\b{OVERRIDE_VERB}\b(?: \w+){{0,4}} {RULE}\b")),
        signal(
            "override",
            0.45,
            false,
            &format!(
                r"\b{OVERRIDE_VERB} (?:all |any )?(?:of )?(?:your|its|the assistant s|the bot s) (?:\w+ )?{RULE}\b"
            ),
        ),
        signal(
            "override",
            0.75,
            false,
            &format!(
                r"\b{OVERRIDE_VERB}\b(?: \w+){{0,3}} (?:safety|content|ethical|moral|openai|platform|system|programmed|built in|default) {RULE}\b|\b{OVERRIDE_VERB}\b(?: \w+){{0,3}} {RULE} (?:you were|you ve been|you have been) (?:trained|given|taught|programmed)"
            ),
        ),
        signal(
            "override",
            0.75,
            false,
            r"\b(?:previous|prior|original|old|earlier|initial|existing|current|your) (?:guidelines|rules|instructions|directives|programming|restrictions|policies|settings) (?:no longer apply|are (?:void|cancelled|canceled|obsolete|outdated|replaced|gone|disabled|lifted|suspended)|don t apply|do not apply|have been (?:lifted|removed|disabled|replaced|updated))\b",
        ),
        signal(
            "override",
            0.6,
            false,
            r"\byou (?:have been|ve been|were|are) (?:reprogrammed|jailbroken|unlocked|freed|liberated|rebooted into|updated to|upgraded to)\b",
        ),
        signal(
            "override",
            0.75,
            false,
            &format!(
                r"\b{OVERRIDE_VERB} (?:everything|all|anything|whatever|what) (?:that )?(?:you (?:were|ve been|have been|got|received|learned)|they (?:told|gave|said)|(?:has|had) been|was said)\b"
            ),
        ),
        signal(
            "override",
            0.35,
            false,
            r"\b(?:previous|prior|above|earlier|original|initial|preceding|old) (?:instructions|directives|prompts?|system prompt)\b|\b(?:rules|instructions|guidelines|directives) (?:you were given|you received|they gave you)\b",
        ),
        signal(
            "override",
            0.75,
            false,
            r"\b(?:забудь|игнорируй|проигнорируй|отбрось|не слушай) (?:всё|все|всe) (?:что )?(?:тебе )?(?:говорили|сказали|писали|велели|давали|задали|объясняли)",
        ),
        signal(
            "override",
            0.75,
            false,
            r"\b(?:игнорируй|игнорировать|проигнорируй|игнорь|забудь|забыть|отбрось|отмени|отключи|сбрось|обойди|не обращай внимания на|не следуй|перестань следовать|больше не следуй|нарушь)\b(?: \w+){0,3} (?:инструкци\w*|указани\w*|промпт\w*|директив\w*|установк\w*|системн\w* сообщени\w*)",
        ),
        signal(
            "override",
            0.45,
            false,
            r"\b(?:игнорируй|проигнорируй|забудь|отбрось|отмени|отключи|обойди|не следуй|нарушь)\b(?: \w+){0,3} (?:правил\w*|ограничени\w*|фильтр\w*|запрет\w*|настройк\w*|цензур\w*)",
        ),
        // Role-play jailbreaks.
        signal("jailbreak", 0.75, false, &format!(r"\b{JAILBREAK}\b")),
        signal("jailbreak", 0.75, true, r"\b(?:DAN|STAN|DUDE|AIM|BetterDAN|ANTI-DAN|Mongo Tom)\b"),
        signal(
            "jailbreak",
            0.75,
            false,
            r"\b(?:режим\w* разработчика|без (?:каких либо |всяких |любых )?морали|джейлбрейк\w*|взлом\w* (?:ии|бота|модели)|ты больше не (?:ии|бот|ассистент|модель|связан)|(?:ии|нейросет\w*|бот\w*|модел\w*) без (?:каких либо |всяких |любых )?(?:ограничений|цензуры|фильтров|правил))",
        ),
        signal(
            "no_limits",
            0.3,
            false,
            r"\b(?:без|нет|никаких) (?:каких либо |всяких |любых |никаких )?(?:ограничений|цензуры|фильтров|правил|запретов)\b",
        ),
        signal("role", 0.2, false, &format!(r"\b{ROLE}\b")),
        signal(
            "jailbreak",
            0.6,
            false,
            r"\b(?:you are now|you re now|youre now|you will be|you are|act as|pretend to be|become) (?:an? )?\w*(?:gpt|ai|bot)\b(?: \w+){0,6} (?:no|never|without|ignores?|any|anything|everything|free|unfiltered|unrestricted)\b",
        ),
        signal(
            "role",
            0.2,
            false,
            r"\b(?:ты теперь|теперь ты|притворись|представь что ты|сыграй роль|играй роль|отыгрывай|действуй как|веди себя как|с этого момента)\b",
        ),
        signal(
            "no_limits",
            0.3,
            false,
            r"\b(?:no|without|zero|free of) (?:any )?(?:limits?|restrictions?|rules?|filters?|boundaries|censorship|guidelines?|filtering|refusals?)\b",
        ),
        signal("ai_reference", 0.3, false, &format!(r"\b{AI}\b")),
        // System-prompt extraction.
        signal("extraction", 0.75, false, &format!(r"\b{REVEAL_VERB}\b(?: \w+){{0,5}} {SECRET_NOUN}\b")),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:system|initial|original|hidden|secret|starting|developer) (?:prompts?|instructions|messages?|configuration|directives)\b|\bsystemprompt\b|\bsystem_prompt\b|\binitialization string\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\bwhat (?:instructions|rules|guidelines|directives|prompt) (?:did|have|were|had) (?:they|the developers?|your (?:developers?|creators?|makers?)|openai|you been) (?:give|given|gave|provide|provided|set|write|wrote)\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:what|which) (?:rules|instructions|guidelines|directives|prompt|orders) (?:were|was|have|had) you (?:been )?(?:given|told|set|provided|programmed|trained)\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:instructions|rules|prompt|directives|guidelines) (?:that )?(?:your|the) (?:operator|developers?|creators?|makers?|owners?|admins?|programmers?) (?:gave|wrote|set|provided|put)\b|\bwhat (?:your|the) (?:creators?|developers?|makers?|operators?|owners?|programmers?) (?:wrote|told you|said to you|gave you|programmed|put)\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:whats|what s|what is|what was) (?:written|said|stated|contained|included) in (?:your|the) (?:instructions|prompt|system message|rules|configuration|guidelines)\b|\bprompt (?:that )?(?:defines|controls|governs|shapes|sets) (?:your|the) (?:behaviou?r|responses|personality|rules)\b",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:what (?:were|was) you (?:told|given|instructed|programmed)(?: to do)? (?:before|at the (?:start|beginning)|initially|originally|in the beginning|by)|what are you (?:not supposed|not allowed|told not|instructed not|forbidden) to (?:tell|say|reveal|share|disclose)|how (?:were|are) you (?:programmed|instructed|configured|prompted)|i was (?:instructed|told|programmed) to|my instructions (?:are|were)|you were (?:instructed|programmed|prompted) to)\b",
        ),
        signal(
            "extraction",
            0.35,
            false,
            r"\b(?:start|begin|beginning|prefix) (?:your|the|each|every)? ?(?:answer|response|reply|output|message)s? with\b|\bword for word\b|\bverbatim\b|\bin full\b|\b(?:exact wording|exactly as written|as written|word by word)\b",
        ),
        signal(
            "extraction",
            0.75,
            false,
            r"\b(?:покажи|выведи|напиши|повтори|раскрой|скажи|перечисли|переведи|процитируй|дай|распечатай|озвучь|закодируй|зашифруй|пришли|отправь|перепиши|скопируй|расскажи|какие|какой|какая)\b(?: \w+){0,4} (?:систем\w* (?:промпт|сообщени|инструкци|настройк)\w*|промпт\w*|(?:сво|тво|исходн|начальн|скрыт|первоначальн|изначальн)\w* (?:инструкци|указани|правил|настройк|промпт)\w*|текст выше|(?:весь |всю )?(?:текст|переписк\w*) (?:выше|до этого)|инструкци\w* (?:которые|что) тебе (?:дали|дан\w*))",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:какие|какой|какая|что за) (?:\w+ )?(?:инструкци|указани|правил|промпт|директив)\w* (?:тебе )?(?:дали|дал|задали|написали|прописали|установили|выдали)",
        ),
        signal(
            "extraction",
            0.6,
            false,
            r"\b(?:систем\w* промпт\w*|что тебе (?:сказали|велели|запретили|поручили)|как тебя (?:запрограммировали|настроили|проинструктировали)|тебе (?:запрещено|нельзя) (?:говорить|рассказывать|раскрывать))",
        ),
        // Fake roles and delimiters (on the original text).
        signal(
            "delimiter",
            0.75,
            true,
            r"(?im)^\s*[\[\(<#*]*\s*(?:system|assistant|developer|admin|root|сист[её]ма|систем\w*|ассистент)\s*[\]\)>*]*\s*[:：]",
        ),
        signal(
            "delimiter",
            0.75,
            true,
            r"(?i)<\|(?:im_start|im_end|system|endoftext|assistant|user)\|>|\[/?INST\]|<<\s*/?SYS\s*>>|</?\s*(?:system|sys|instructions?)\s*>|###\s*(?:system|instruction|instructions|response)\b|\bBEGIN (?:SYSTEM|NEW) (?:PROMPT|INSTRUCTIONS)\b|\bEND OF (?:PROMPT|INSTRUCTIONS|SYSTEM PROMPT)\b|```\s*system",
        ),
        signal("delimiter", 0.35, true, r"(?im)^\s*(?:user|human|пользователь)\s*:"),
        // Encoded payloads and encoding requests.
        signal(
            "encoding",
            0.35,
            false,
            r"\b(?:encode|decode|translate|convert|write|output|respond|reply|answer|show|print)\b(?: \w+){0,4} (?:in|into|to|using|with|as) (?:base ?64|rot ?13|hex|hexadecimal|binary|morse|leetspeak|caesar|reverse|emoji)\b|\b(?:base ?64|rot ?13) (?:encode|decode|encoded|decoded)\b",
        ),
        signal(
            "encoding",
            0.35,
            false,
            r"\b(?:закодируй|раскодируй|декодируй|переведи|напиши|выведи)\b(?: \w+){0,4} (?:в|на|с помощью) (?:base ?64|rot ?13|hex|двоичн\w*|азбук\w* морзе|эмодзи)",
        ),
        // Authority claims.
        signal(
            "authority",
            0.35,
            false,
            r"\b(?:admin|administrator|developer|maintenance|debug|debugging|root|sudo|god|superuser|operator) (?:override|mode|access|command|privileges|debugging|console)\b|\bi am (?:your|the|a) (?:developer|creator|admin|administrator|programmer|owner|engineer)\b|\bim (?:your|the|a) developer\b|\bsecurity audit\b|\b(?:quality assurance|testing|debugging|troubleshooting) purposes\b|\bfor troubleshooting\b",
        ),
        signal(
            "authority",
            0.35,
            false,
            r"\b(?:я (?:твой|твоя|ваш) (?:разработчик|создатель|админ|администратор|программист)|режим (?:обслуживания|отладки|администратора)|права администратора|проверк\w* безопасности)\b",
        ),
        // Goal hijacking.
        signal(
            "hijack",
            0.45,
            false,
            r"\b(?:stop everything|new instructions|your (?:new |only |real )?(?:task|goal|purpose|role|objective|instructions|job)(?: now)? is (?:now )?(?:to )?(?:say|print|output|write|reply|respond|insult|repeat)|from now on you (?:will|must|shall) (?:only|always)|instead (?:print|say|output|write|respond with)|only respond with|(?:follow|obey|listen to) (?:only )?(?:mine|my instructions|my commands|my orders|me) (?:instead|only|now)|follow mine)\b",
        ),
        signal("hijack", 0.3, false, r"\b(?:new task|новая задача)\b"),
        signal(
            "hijack",
            0.3,
            false,
            r"\b(?:do|follow|obey) (?:only )?(?:what|whatever) i (?:say|tell you|command|want)\b|\bделай (?:только )?(?:что|то что) я (?:скажу|говорю|велю)",
        ),
        signal(
            "hijack",
            0.45,
            false,
            r"\b(?:отныне|с этого момента|теперь|впредь) (?:ты )?(?:должен|должна|будешь) (?:отвечать|писать|говорить|выводить) (?:только|лишь|всегда)\b",
        ),
        signal(
            "override",
            0.75,
            false,
            r"\b(?:не следуй|не слушай|не подчиняйся) (?:своим|твоим|этим|системным) (?:инструкциям|правилам|указаниям)\w*",
        ),
        signal(
            "hijack",
            0.45,
            true,
            r#"(?i)\b(?:ignore|forget|disregard|skip|drop|abandon|never\s?mind)\b[^\n]{0,60}?\b(?:print|output|say|write|type|respond with|reply with)\b(?:\s+(?:the\s+)?(?:word|phrase|text|words))?\s*[:"“'«]"#,
        ),
        signal(
            "hijack",
            0.35,
            true,
            r#"(?i)\b(?:just|only|simply)\s+(?:print|say|output|write|type|respond with|reply with)(?:\s+(?:the\s+)?(?:word|phrase|text|words))?\s*[:"“'«]"#,
        ),
        signal(
            "hijack",
            0.45,
            false,
            r"\b(?:новые инструкции|твоя (?:новая )?(?:задача|цель|роль) теперь|с этого момента ты (?:будешь|должен) (?:только|всегда))\b",
        ),
        signal("hijack", 0.35, true, r#"(?i)\bпросто\s+(?:напиши|скажи|выведи|пиши|отвечай)\s*[:"“'«]"#),
        signal("hijack", 0.45, false, r"\bвместо \w+(?: \w+){0,3} (?:просто )?(?:пиши|напиши|отвечай|выводи|говори)\b"),
        // Output-format manipulation, typical of jailbreak scripts.
        signal(
            "format",
            0.35,
            false,
            r"\b(?:two (?:different |separate )?(?:ways|responses|answers|paragraphs|outputs)|stay in character|never refuse|not refuse|cannot refuse|can t refuse|must not question|always generate|without (?:any )?(?:warnings?|disclaimers?|moral|ethic\w*|censorship)|no (?:warnings?|disclaimers?)|(?:normal|classic|filtered) (?:output|response) and|prefix your (?:responses|answers)|if you break character)\b",
        ),
        signal("format", 0.35, true, r"🔒|🔓|\[(?:🔒|🔓)?\s*(?:CLASSIC|JAILBREAK|NORMAL)\]"),
        signal(
            "fiction",
            0.3,
            false,
            r"\b(?:hypothetical(?:ly)?|fictional|imaginary|thought experiment|in a (?:story|novel|movie|game|world|universe) where|lets play a game|let s play a game)\b(?: \w+){0,8} (?:no (?:rules|restrictions|limits|laws|filters)|anything|unfiltered|allowed to say|can say)\b",
        ),
    ]
});

/// The score a decoded payload needs before it counts.
const DECODED_MIN: f32 = 0.6;

static AI_MENTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"\b{AI}\b")).expect("valid AI pattern"));

static BASE64_BLOB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/]{16,}={0,2}").expect("valid base64 pattern"));

/// Scores `text`.
pub fn screen(text: &str) -> Screening {
    let mut screening = score(text);
    // An encoded payload counts as what it decodes to.
    // Only strong evidence counts: rot13 of ordinary text is gibberish that
    // may brush a weak signal by chance.
    for decoded in decodings(text) {
        let inner = score(&decoded);
        if inner.score >= DECODED_MIN {
            screening.signals.push("encoded_payload");
            screening.signals.extend(inner.signals);
            screening.score = combine(screening.score, inner.score);
        }
    }
    screening.signals.sort_unstable();
    screening.signals.dedup();
    screening
}

/// The words of a text as one line, twice: leetspeak undone, and as typed
/// (so `base64` and `gpt4` survive). Letters spaced out (`i g n o r e`)
/// count as the word they spell.
fn word_lines(text: &str) -> (String, String) {
    let tokens = tokens(text);
    let mut words: Vec<(&crate::normalize::Token, bool)> = tokens.words.iter().map(|t| (t, false)).collect();
    for joined in &tokens.joined {
        words.retain(|(t, _)| !(t.span.start >= joined.span.start && t.span.end <= joined.span.end));
        words.push((joined, true));
    }
    words.sort_by_key(|(t, _)| t.span.start);
    let leet = words.iter().map(|(t, _)| slang(t.forms[0].as_str())).collect::<Vec<_>>().join(" ");
    let plain = words.iter().map(|(t, _)| t.plain.as_str()).collect::<Vec<_>>().join(" ");
    (leet, plain)
}

/// Texting shorthand, spelled out (`ur rulez` is `your rules`).
fn slang(word: &str) -> &str {
    match word {
        "ur" | "yr" | "ure" => "your",
        "u" | "ya" | "yu" => "you",
        "r" => "are",
        "rulez" | "ruls" | "rulz" => "rules",
        "wat" | "wut" | "wht" => "what",
        "pls" | "plz" | "pleez" => "please",
        "instrucs" | "instr" | "instructs" | "instrs" => "instructions",
        "prev" | "previus" | "pervious" => "previous",
        "promt" | "promtp" | "prompot" | "prmpt" => "prompt",
        "ignor" | "ingore" | "ignroe" => "ignore",
        "4get" | "forgt" | "frget" => "forget",
        "sys" => "system",
        "msg" => "message",
        other => other,
    }
}

fn score(text: &str) -> Screening {
    let raw: String = text.nfkc().collect();
    let (words, plain) = word_lines(&raw);
    let mut best: Vec<(&'static str, f32)> = Vec::new();
    for signal in SIGNALS.iter() {
        let hit = if signal.raw {
            signal.pattern.is_match(&raw)
        } else {
            signal.pattern.is_match(&words) || signal.pattern.is_match(&plain)
        };
        if hit {
            match best.iter_mut().find(|(family, _)| *family == signal.family) {
                Some((_, weight)) => *weight = weight.max(signal.weight),
                None => best.push((signal.family, signal.weight)),
            }
        }
    }
    // Jailbreak scripts talk about the AI again and again.
    let ai_mentions = AI_MENTION.find_iter(&words).count();
    if ai_mentions >= 3 {
        best.push(("ai_heavy", 0.4));
    }
    let score = best.iter().fold(0.0, |acc, (_, weight)| combine(acc, *weight));
    Screening { score, signals: best.into_iter().map(|(family, _)| family).collect() }
}

/// Noisy OR: independent pieces of evidence add up without passing 1.
fn combine(a: f32, b: f32) -> f32 {
    1.0 - (1.0 - a) * (1.0 - b)
}

/// Texts hidden in `text`: base64 blobs that decode to readable text, and
/// the whole text through rot13 when it asks for or looks like rot13.
fn decodings(text: &str) -> Vec<String> {
    let mut decoded = Vec::new();
    for blob in BASE64_BLOB.find_iter(text) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(blob.as_str())
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(blob.as_str().trim_end_matches('=')));
        if let Ok(bytes) = bytes
            && let Ok(plain) = String::from_utf8(bytes)
            && plain.chars().filter(|c| c.is_alphabetic() || c.is_whitespace()).count() * 10
                >= plain.chars().count() * 8
        {
            decoded.push(plain);
        }
    }
    // Only the Latin part turns: other scripts would just be scored twice.
    let rot: String = text.chars().filter(|c| c.is_ascii()).map(rot13).collect();
    if rot.chars().any(|c| c.is_ascii_alphabetic()) {
        decoded.push(rot);
    }
    decoded
}

fn rot13(c: char) -> char {
    match c {
        'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
        'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
        _ => c,
    }
}

#[cfg(test)]
mod tests;
