//! The rules: families of phrasings that mark an attempt to steer the
//! model (instruction override, role-play jailbreaks, system-prompt
//! extraction, fake roles and delimiters, encoded payloads, authority
//! claims, goal hijacking, output-format manipulation), in English and
//! Russian. Each family counts once, with the weight of its strongest
//! signal, and families combine as a noisy OR. Base64 payloads are decoded
//! and rot13 undone, and what they hide is scored again. Patterns are
//! families of phrasings, never single strings. The families that fire are
//! features of the learned stage, which weighs them.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use base64::Engine;
use regex::Regex;
use regex_syntax::hir::literal::ExtractKind;

use crate::normalize::tokens;

/// Every family a rule belongs to, in the order the model's weights follow.
pub const FAMILIES: &[&str] = &[
    "ai_heavy",
    "ai_reference",
    "authority",
    "delimiter",
    "encoded_payload",
    "encoding",
    "extraction",
    "fiction",
    "format",
    "hijack",
    "jailbreak",
    "meta_command",
    "meta_mention",
    "no_limits",
    "override",
    "role",
    "role_change",
];

/// Signals there can be, at most; the model keeps a weight for each.
pub const MAX_SIGNALS: usize = 64;

/// What the rules found in a text.
#[derive(Clone, Debug, PartialEq)]
pub struct Findings {
    /// Their score, 0 to 1.
    pub score: f32,
    /// The families that fired, sorted.
    pub families: Vec<&'static str>,
    /// The signals that fired, by position in the rule list, sorted.
    pub signals: Vec<u16>,
}

/// The score a decoded payload needs before it counts.
const DECODED_MIN: f32 = 0.6;

static BASE64_BLOB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/]{16,}={0,2}").expect("valid base64 pattern"));

/// The rules' findings in `text` and in what it hides.
pub fn findings(text: &str) -> Findings {
    let mut found = score(text);
    // An encoded payload counts as what it decodes to.
    // Only strong evidence counts: rot13 of ordinary text is gibberish that
    // may brush a weak signal by chance.
    for decoded in decodings(text) {
        let inner = score(&decoded);
        if inner.score >= DECODED_MIN {
            found.families.push("encoded_payload");
            found.families.extend(inner.families);
            found.signals.extend(inner.signals);
            found.score = combine(found.score, inner.score);
        }
    }
    found.families.sort_unstable();
    found.families.dedup();
    found.signals.sort_unstable();
    found.signals.dedup();
    found
}

/// Hex strings of at least eight bytes.
static HEX_BLOB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)(?:[0-9A-Fa-f]{2}){8,}(?-u:\b)").expect("valid hex pattern"));

/// Base64 and hex blobs in `text` that decode to readable text.
pub fn payloads(text: &str) -> Vec<String> {
    let base64 = BASE64_BLOB.find_iter(text).filter_map(|blob| {
        base64::engine::general_purpose::STANDARD
            .decode(blob.as_str())
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(blob.as_str().trim_end_matches('=')))
            .ok()
    });
    let hex = HEX_BLOB.find_iter(text).map(|blob| {
        let digits = blob.as_str().as_bytes();
        let value = |d: u8| (d as char).to_digit(16).map_or(0, |v| v as u8);
        digits.chunks_exact(2).map(|pair| value(pair[0]) << 4 | value(pair[1])).collect::<Vec<u8>>()
    });
    base64
        .chain(hex)
        .filter_map(|bytes| String::from_utf8(bytes).ok())
        .filter(|plain| {
            plain.chars().filter(|c| c.is_alphabetic() || c.is_whitespace()).count() * 10 >= plain.chars().count() * 8
        })
        .collect()
}

/// Whole words without which a rot13 text is no attack worth a second
/// scoring (one scan, where scoring would be sixty).
static ROT13_WORTH_SCORING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:ignor\w*|disregard\w*|forget\w*|overrid\w*|bypass\w*|instruct\w*|prompts?|system|previous|rules?|guidelines?|polic(?:y|ies)|reveal|print|repeat|secrets?|password|pwned|jailbreak\w*|developers?|restrict\w*|filter\w*|censor\w*|pretend|mode|admin|dan)(?-u:\b)",
    )
    .expect("valid rot13 keyword pattern")
});

/// Texts hidden in `text`: its base64 and hex payloads, and the whole text
/// through rot13 when that reads like an attack's words.
fn decodings(text: &str) -> Vec<String> {
    let mut decoded = payloads(text);
    // Only the Latin part turns: other scripts would just be scored twice.
    let rot: String = text.chars().filter(|c| c.is_ascii()).map(rot13).collect();
    if ROT13_WORTH_SCORING.is_match(&rot) {
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

struct Signal {
    family: &'static str,
    weight: f32,
    pattern: Regex,
    /// What the pattern is matched against.
    line: Line,
}

/// The text a signal reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    /// The original text (structure, quotes, case).
    Raw,
    /// The normalized words.
    Words,
    /// The normalized words with Russian letters [`encode`]d.
    Encoded,
}

fn signal(family: &'static str, weight: f32, raw: bool, pattern: &str) -> Signal {
    // Unicode word boundaries make the regex engine leave its fast DFA for
    // a backtracker on any text with a non-ASCII letter: a Russian message
    // cost five times an English one. Latin patterns need only ASCII
    // boundaries; Russian ones read the words with each Russian letter
    // spelled in ASCII (`encode`), where ASCII boundaries are the words'.
    let cyrillic = pattern.chars().any(is_russian);
    let encodable = !raw && cyrillic && !pattern.contains("(?i") && !russian_in_class(pattern);
    let (line, pattern) = match (raw, cyrillic) {
        (true, true) => (Line::Raw, pattern.to_owned()),
        (true, false) => (Line::Raw, ascii_boundaries(pattern)),
        (false, false) => (Line::Words, ascii_boundaries(pattern)),
        (false, true) if encodable => (Line::Encoded, ascii_boundaries(&encode(pattern))),
        (false, true) => (Line::Words, pattern.to_owned()),
    };
    let pattern = if line == Line::Raw { pattern } else { any_letter(&pattern) };
    Signal { family, weight, pattern: Regex::new(&pattern).expect("valid injection pattern"), line }
}

fn is_russian(c: char) -> bool {
    matches!(c, 'а'..='я' | 'ё')
}

fn ascii_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// `pattern` with `\w` read as any character but the space. A line of
/// words is words joined by single spaces, so the two differ only on the
/// symbols a word may keep (`ca$h` as typed): `[^ ]` reads on through them
/// where `\w` stopped. Every corpus line gets the same findings either way
/// (the shipped model, trained on the findings, is checked against a
/// retrain), and the Unicode `\w` class made each regex megabytes.
fn any_letter(pattern: &str) -> String {
    pattern.replace(r"\w", "[^ ]")
}

/// Whether a Russian letter appears inside a character class, which
/// [`encode`] cannot spell out (a class is not a sequence).
fn russian_in_class(pattern: &str) -> bool {
    let mut in_class = false;
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            c if in_class && is_russian(c) => return true,
            _ => {}
        }
    }
    false
}

/// A lowercase Russian letter as one ASCII word character the lowercase
/// word lines never hold otherwise: a capital, or for the seven rarest
/// letters a digit (a digit is only ever next to other digits or Latin
/// letters there, never inside a Russian word a pattern spells).
fn encode_letter(c: char, out: &mut String) {
    const RARE: [char; 7] = ['ё', 'ъ', 'э', 'ю', 'щ', 'ф', 'ц'];
    static TABLE: LazyLock<[char; 33]> = LazyLock::new(|| {
        let mut table = ['\0'; 33];
        let mut capital = b'A';
        for (i, letter) in ('а'..='я').chain(['ё']).enumerate() {
            table[i] = match RARE.iter().position(|r| *r == letter) {
                Some(rank) => char::from(b'0' + rank as u8),
                None => {
                    capital += 1;
                    char::from(capital - 1)
                }
            };
        }
        table
    });
    let i = if c == 'ё' { 32 } else { c as usize - 'а' as usize };
    out.push(TABLE[i]);
}

/// A word line (or a pattern) with its Russian letters [`encode_letter`]ed.
fn encode(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if is_russian(c) { encode_letter(c, &mut out) } else { out.push(c) }
    }
    out
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
    let signals = vec![
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
    ];
    // The last slot is `ai_heavy`'s.
    assert!(signals.len() < MAX_SIGNALS, "room for every signal's weight");
    signals
});

/// The literal prefixes every match of a signal starts with (from
/// regex-syntax's extractor), in one Aho-Corasick automaton: one pass over a
/// line tells which signals could match it. A benign message usually
/// contains none of them, and the regexes (62 of them) are skipped.
struct Prefilter {
    automaton: AhoCorasick,
    /// Each literal's signal, by the literal's position in the automaton.
    owner: Vec<usize>,
    /// Signals without such prefixes (a match may start anywhere): always
    /// run, as bits by position in [`SIGNALS`].
    always: u64,
}

impl Prefilter {
    fn new(signals: &[Signal]) -> Prefilter {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let (mut owner, mut always) = (Vec::new(), 0u64);
        for (index, signal) in signals.iter().enumerate() {
            match prefixes(signal.pattern.as_str()) {
                Some(prefixes) => {
                    owner.extend(std::iter::repeat_n(index, prefixes.len()));
                    literals.extend(prefixes);
                }
                None => always |= 1 << index,
            }
        }
        let automaton = AhoCorasick::new(&literals).expect("valid prefilter literals");
        Prefilter { automaton, owner, always }
    }

    /// The signals that could match `line`, as bits by position in [`SIGNALS`].
    fn candidates(&self, line: &str) -> u64 {
        self.automaton
            .find_overlapping_iter(line)
            .fold(self.always, |bits, found| bits | 1 << self.owner[found.pattern().as_usize()])
    }
}

/// Literals one of which starts every match of `pattern`; `None` when
/// there is no such finite set of non-empty literals.
fn prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let seq = regex_syntax::hir::literal::Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let literals = seq.literals()?;
    literals.iter().all(|literal| !literal.is_empty()).then(|| literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

static PREFILTER: LazyLock<Prefilter> = LazyLock::new(|| Prefilter::new(&SIGNALS));

static AI_MENTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"\b{AI}\b")).expect("valid AI pattern"));

/// The words of a text as one line, twice: leetspeak undone, and as typed
/// (so `base64` and `gpt4` survive). Letters spaced out (`i g n o r e`)
/// count as the word they spell.
fn word_lines(text: &str) -> (String, String) {
    let tokens = tokens(text);
    // Pieces a joined token covers give way to it. Both lists are in text
    // order, so one walk finds them.
    let mut words: Vec<(&crate::normalize::Token, bool)> = Vec::with_capacity(tokens.words.len());
    let mut joined = tokens.joined.iter().peekable();
    for word in &tokens.words {
        while joined.peek().is_some_and(|j| j.span.end <= word.span.start) {
            words.push((joined.next().expect("peeked"), true));
        }
        if !joined.peek().is_some_and(|j| word.span.start >= j.span.start && word.span.end <= j.span.end) {
            words.push((word, false));
        }
    }
    words.extend(joined.map(|j| (j, true)));
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

fn score(text: &str) -> Findings {
    let raw = crate::normalize::nfkc(text);
    let (words, plain) = word_lines(&raw);
    // Most texts have no leetspeak or slang: one line is enough.
    let same = words == plain;
    let russian = words.chars().chain(plain.chars()).any(is_russian);
    let (encoded_words, encoded_plain) = if russian { (encode(&words), encode(&plain)) } else { Default::default() };
    // Which signals each line could match at all: only their regexes run.
    let prefilter = &*PREFILTER;
    let could = |line: &str| prefilter.candidates(line);
    let (raw_could, words_could) = (could(&raw), could(&words));
    let plain_could = if same { 0 } else { could(&plain) };
    let (encoded_words_could, encoded_plain_could) = match (russian, same) {
        (false, _) => (0, 0),
        (true, true) => (could(&encoded_words), 0),
        (true, false) => (could(&encoded_words), could(&encoded_plain)),
    };
    let mut best: Vec<(&'static str, f32)> = Vec::new();
    let mut signals = Vec::new();
    for (index, signal) in SIGNALS.iter().enumerate() {
        let matches = |candidates: u64, line: &str| candidates & (1 << index) != 0 && signal.pattern.is_match(line);
        let hit = match signal.line {
            Line::Raw => matches(raw_could, &raw),
            Line::Words => matches(words_could, &words) || (!same && matches(plain_could, &plain)),
            // Without a Russian letter the encoded lines are the lines.
            Line::Encoded if !russian => matches(words_could, &words) || (!same && matches(plain_could, &plain)),
            Line::Encoded => {
                matches(encoded_words_could, &encoded_words) || (!same && matches(encoded_plain_could, &encoded_plain))
            }
        };
        if hit {
            signals.push(index as u16);
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
        signals.push((MAX_SIGNALS - 1) as u16);
    }
    let score = best.iter().fold(0.0, |acc, (_, weight)| combine(acc, *weight));
    Findings { score, families: best.into_iter().map(|(family, _)| family).collect(), signals }
}

/// Noisy OR: independent pieces of evidence add up without passing 1.
fn combine(a: f32, b: f32) -> f32 {
    1.0 - (1.0 - a) * (1.0 - b)
}

#[cfg(test)]
mod prefilter_tests {
    use super::*;

    /// Every line a signal reads, of every corpus text: wherever a signal's
    /// regex matches a line, the prefilter lets it run there.
    #[test]
    fn the_prefilter_never_hides_a_match() {
        let texts: Vec<String> = crate::injection::corpus::builtin().into_iter().map(|e| e.text).collect();
        let mut checked = 0;
        for text in &texts {
            let raw = crate::normalize::nfkc(text);
            let (words, plain) = word_lines(&raw);
            let lines = [raw.to_string(), encode(&words), encode(&plain), words, plain];
            for line in &lines {
                let could = PREFILTER.candidates(line);
                for (index, signal) in SIGNALS.iter().enumerate() {
                    if signal.pattern.is_match(line) {
                        checked += 1;
                        assert!(could & (1 << index) != 0, "signal {index} matches {line:?} but was filtered out");
                    }
                }
            }
        }
        assert!(checked > 3000, "the corpus exercises the signals: {checked} matches");
    }

    #[test]
    fn most_signals_have_prefixes() {
        let always = PREFILTER.always.count_ones();
        assert!(always * 4 < SIGNALS.len() as u32, "{always} of {} signals run on every line", SIGNALS.len());
    }
}
