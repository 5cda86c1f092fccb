//! The assistant: a tower `Service` from [`Request`] to [`Reply`].
//!
//! It owns each user's session (persona, tone, language, history), builds
//! prompts, asks the model stack below it, parses drafts, and falls back to
//! the offline writer when there is no model or the model fails. It does no
//! I/O of its own: the model is a service handed to it.

use std::convert::Infallible;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Service, ServiceExt};

use crate::command::{Command, MENU};
use crate::drafts;
use crate::history::{History, HistoryLimits};
use crate::kind::Kind;
use crate::model::{ModelRefusal, ModelReply, ModelRequest, Role};
use crate::offline::OfflineWriter;
use crate::persona::{Lang, Persona, Tone};
use crate::prompt::{self, Voice};
use crate::reply::{Button, Part, Reply};
use crate::sessions::{MemorySessions, Sessions};

/// The model stack the assistant calls: any clonable service from
/// [`ModelRequest`] to [`ModelReply`].
pub type ModelService = BoxCloneSyncService<ModelRequest, ModelReply, BoxError>;

/// A user, by their numeric id (Telegram's, or 0 in the terminal).
pub type UserId = u64;

/// What a user sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A text message: a command or a conversation turn.
    Text(String),
    /// A photo, sticker, voice message or anything else that is not text.
    NonText,
    /// A press on one of Muse's buttons, with the button's data.
    Button(String),
}

/// One thing a user sent, with who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Who sent it.
    pub user: UserId,
    /// The language their client reports, if any (Telegram's `language_code`).
    pub user_lang: Option<String>,
    /// What they sent.
    pub input: Input,
}

/// The data of the "3 more" button under drafts.
pub const MORE: &str = "more";

/// How the assistant drafts.
#[derive(Clone, Debug, PartialEq)]
pub struct AssistantConfig {
    /// The model asked for drafts.
    pub model: String,
    /// Bounds of each user's history.
    pub history: HistoryLimits,
    /// Drafts per drafting command.
    pub drafts: usize,
    /// Sampling temperature.
    pub temperature: f32,
    /// Upper bound on a completion, in tokens.
    pub max_tokens: u32,
}

impl Default for AssistantConfig {
    fn default() -> Self {
        AssistantConfig {
            model: "llama-3.1-8b-instant".to_owned(),
            history: HistoryLimits::default(),
            drafts: 3,
            temperature: 0.9,
            max_tokens: 600,
        }
    }
}

/// What Muse keeps about one user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The creator persona.
    pub persona: Persona,
    /// The default tone.
    pub tone: Tone,
    /// The language chosen with `/lang`, if any.
    pub lang: Option<Lang>,
    /// The conversation, bounded.
    pub history: History,
    /// The last drafting request, for the "3 more" button.
    pub last_draft: Option<(Kind, String)>,
}

/// The data of the `/forget` confirmation buttons.
pub const FORGET_YES: &str = "forget:yes";
/// The data of the `/forget` cancel button.
pub const FORGET_NO: &str = "forget:no";

/// The assistant service. Cheap to clone; clones share sessions.
#[derive(Clone)]
pub struct Assistant {
    inner: Arc<Inner>,
}

struct Inner {
    config: AssistantConfig,
    /// The model asked now; admins switch it at run time.
    model_name: std::sync::RwLock<String>,
    canary: String,
    model: Option<ModelService>,
    writer: OfflineWriter,
    sessions: Arc<dyn Sessions>,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant").field("config", &self.inner.config).field("online", &self.is_online()).finish()
    }
}

impl Assistant {
    /// An assistant that drafts with `model`, or with the offline writer
    /// alone when `model` is `None`, keeping sessions in memory.
    pub fn new(config: AssistantConfig, model: Option<ModelService>) -> Assistant {
        Assistant::with_sessions(config, model, Arc::new(MemorySessions::default()))
    }

    /// The same, keeping sessions in `sessions`.
    pub fn with_sessions(
        config: AssistantConfig,
        model: Option<ModelService>,
        sessions: Arc<dyn Sessions>,
    ) -> Assistant {
        Assistant {
            inner: Arc::new(Inner {
                model_name: std::sync::RwLock::new(config.model.clone()),
                canary: format!("{}{:016x}", crate::prompt::CANARY_PREFIX, rand::random::<u64>()),
                config,
                model,
                writer: OfflineWriter,
                sessions,
            }),
        }
    }

    /// Whether a model is configured (otherwise every draft is offline).
    pub fn is_online(&self) -> bool {
        self.inner.model.is_some()
    }

    /// The model drafts come from now.
    pub fn model_name(&self) -> String {
        self.inner.model_name.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Switches the model for every later request.
    pub fn set_model_name(&self, model: &str) {
        *self.inner.model_name.write().unwrap_or_else(PoisonError::into_inner) = model.to_owned();
    }

    /// How many users have a session, if the store knows.
    pub fn session_count(&self) -> Option<usize> {
        self.inner.sessions.count()
    }

    /// A user's session as stored now (the default if there is none).
    pub async fn session(&self, user: UserId) -> Session {
        self.load(user).await.0
    }

    /// The stored session, and whether it could be read. A session that
    /// could not be read is never saved over: a storage fault costs this
    /// request its settings, not the user their data.
    async fn load(&self, user: UserId) -> (Session, bool) {
        match self.inner.sessions.load(user).await {
            Ok(session) => (session.unwrap_or_default(), true),
            Err(err) => {
                tracing::error!(user, error = %err, "loading a session failed; answering with defaults");
                (Session::default(), false)
            }
        }
    }

    async fn handle(self, request: Request) -> Reply {
        let user = request.user;
        match &request.input {
            Input::Button(data) if data.as_str() == FORGET_YES => return self.forget(user).await,
            Input::Button(data) if data.as_str() == FORGET_NO => return Reply::text("Nothing was deleted."),
            _ => {}
        }
        let (mut session, loaded) = self.load(user).await;
        let before = session.clone();
        let reply = self.respond(&request, &mut session).await;
        if loaded
            && session != before
            && let Err(err) = self.inner.sessions.save(user, session).await
        {
            tracing::error!(user, error = %err, "saving a session failed");
        }
        reply
    }

    async fn forget(&self, user: UserId) -> Reply {
        match self.inner.sessions.delete(user).await {
            Ok(()) => Reply::text("Done: everything Muse stored about you is deleted."),
            Err(err) => {
                tracing::error!(user, error = %err, "deleting a session failed");
                Reply::text(
                    "I couldn't delete your data just now. Nothing is lost; please try /forget again in a minute.",
                )
            }
        }
    }

    async fn respond(&self, request: &Request, session: &mut Session) -> Reply {
        let text = match &request.input {
            Input::Text(text) => text.clone(),
            Input::NonText => return Reply::text("I work with text — send me the fan's message."),
            Input::Button(data) if data.as_str() == MORE => return self.more(request, session).await,
            Input::Button(_) => return Reply::text("That button has expired. Send /help to see what I can do."),
        };
        match Command::parse(&text) {
            Command::Start => start(session),
            Command::Help => help(),
            Command::Draft(kind, text) => self.draft(request, session, kind, text).await,
            Command::Persona(text) => persona(session, &text),
            Command::Tone(text) => tone(session, &text),
            Command::Lang(text) => lang(request, session, &text),
            Command::Reset => {
                session.history.clear();
                session.last_draft = None;
                Reply::text("Done: I've forgotten our conversation. Your persona and settings stay.")
            }
            Command::Export => export(request.user, session),
            Command::Forget => Reply {
                parts: vec![Part::Text(
                    "This deletes your persona, settings and conversation for good. Are you sure?".to_owned(),
                )],
                buttons: vec![
                    Button { label: "Yes, delete everything".to_owned(), data: FORGET_YES.to_owned() },
                    Button { label: "No, keep it".to_owned(), data: FORGET_NO.to_owned() },
                ],
            },
            Command::Chat(text) if text.is_empty() => Reply::text("Send me some text, or /help to see what I can do."),
            Command::Chat(text) => self.chat(request, session, text).await,
            Command::Unknown(name) => Reply::text(format!("I don't know /{name}. Send /help to see what I can do.")),
            // Answered by the layers that own them (the compliance guard,
            // admin tools); reaching here means none is installed.
            Command::Check(_) | Command::Admin(_) => Reply::text("That command is not available here."),
        }
    }

    async fn more(&self, request: &Request, session: &mut Session) -> Reply {
        match session.last_draft.clone() {
            Some((kind, text)) => self.draft(request, session, kind, text).await,
            None => Reply::text("There is nothing to redo yet. Try /reply with a fan's message."),
        }
    }

    async fn draft(&self, request: &Request, session: &mut Session, kind: Kind, text: String) -> Reply {
        if text.is_empty() && kind.needs_text() {
            let example = MENU.iter().find(|entry| entry.name == kind.command()).map_or("", |entry| entry.example);
            return Reply::text(format!("Add the text after the command, for example:\n{example}"));
        }
        let config = &self.inner.config;
        let (persona, tone) = (session.persona.clone(), session.tone);
        let (drafts, note) = match self.ask(request, session, kind, &text).await {
            Ok(reply) => {
                let drafts = drafts::parse(&reply.text, config.drafts);
                if drafts.is_empty() {
                    (self.offline_drafts(kind, tone, &persona), Some(NOTE_NO_DRAFTS))
                } else {
                    (drafts, reply.fallback.then_some(NOTE_FALLBACK))
                }
            }
            Err(Failure::Offline) => (self.offline_drafts(kind, tone, &persona), None),
            Err(Failure::Model) => (self.offline_drafts(kind, tone, &persona), Some(NOTE_UNAVAILABLE)),
            Err(Failure::Busy) => (self.offline_drafts(kind, tone, &persona), Some(NOTE_BUSY)),
            Err(Failure::Unsafe) => (self.offline_drafts(kind, tone, &persona), Some(NOTE_UNSAFE)),
            Err(Failure::Throttled { wait, notify }) => return throttled(wait, notify),
        };
        session.last_draft = Some((kind, text.clone()));
        self.remember(session, &text, &drafts.join("\n"));
        let mut parts = vec![Part::Title(kind.title(drafts.len()))];
        parts.extend(drafts.into_iter().enumerate().map(|(i, text)| Part::Draft { number: i + 1, text }));
        parts.extend(note.map(|note| Part::Note(note.to_owned())));
        Reply { parts, buttons: vec![Button { label: "🔄 3 more".to_owned(), data: MORE.to_owned() }] }
    }

    async fn chat(&self, request: &Request, session: &mut Session, text: String) -> Reply {
        let persona = session.persona.clone();
        let reply = match self.ask(request, session, Kind::Chat, &text).await {
            Ok(reply) if !reply.text.trim().is_empty() => Reply::text(reply.text.trim()),
            Ok(_) | Err(Failure::Model | Failure::Busy | Failure::Unsafe) => {
                Reply::text(self.inner.writer.chat(true, &persona))
            }
            Err(Failure::Offline) => Reply::text(self.inner.writer.chat(false, &persona)),
            Err(Failure::Throttled { wait, notify }) => return throttled(wait, notify),
        };
        if let Some(Part::Text(answer)) = reply.parts.first() {
            self.remember(session, &text, answer);
        }
        reply
    }

    fn offline_drafts(&self, kind: Kind, tone: Tone, persona: &Persona) -> Vec<String> {
        self.inner.writer.drafts(kind, tone, persona, self.inner.config.drafts, &mut rand::rng())
    }

    fn remember(&self, session: &mut Session, asked: &str, answered: &str) {
        let limits = self.inner.config.history;
        if !asked.is_empty() {
            session.history.push(Role::User, asked, limits);
        }
        session.history.push(Role::Assistant, answered, limits);
    }

    async fn ask(&self, request: &Request, session: &Session, kind: Kind, text: &str) -> Result<ModelReply, Failure> {
        let Some(model) = self.inner.model.clone() else {
            return Err(Failure::Offline);
        };
        let config = &self.inner.config;
        let lang = lang_of(request, session);
        let voice = Voice { persona: &session.persona, tone: session.tone, lang: &lang, canary: &self.inner.canary };
        let messages = prompt::messages(kind, voice, &session.history, text, config.history.max_messages);
        let model_request = ModelRequest {
            kind,
            model: self.model_name(),
            messages,
            temperature: config.temperature,
            max_tokens: config.max_tokens,
            user: request.user,
        };
        model.oneshot(model_request).await.map_err(|err| match err.downcast_ref::<ModelRefusal>() {
            Some(ModelRefusal::UserLimited { wait, notify }) => Failure::Throttled { wait: *wait, notify: *notify },
            Some(ModelRefusal::Unsafe) => Failure::Unsafe,
            Some(ModelRefusal::Busy) => {
                tracing::warn!(user = request.user, %kind, "model quota reached; using the offline writer");
                Failure::Busy
            }
            None => {
                tracing::warn!(user = request.user, %kind, error = %err, "model call failed; using the offline writer");
                Failure::Model
            }
        })
    }
}

fn start(session: &Session) -> Reply {
    Reply {
        parts: vec![
            Part::Title("Hi, I'm Muse ✨".to_owned()),
            Part::Text(
                "I write short, on-voice drafts for your fans: replies, flirty openers, captions, PPV pitches and mass messages. \
You read each draft and send it yourself."
                    .to_owned(),
            ),
            Part::Text(
                "1. Set your voice: /persona name: Mia; voice: playful, teasing\n\
2. Paste a fan's message after /reply to get 3 replies\n\
3. Tap a draft to copy it, edit if you like, and send"
                    .to_owned(),
            ),
            Part::Note(format!("Persona: {}", session.persona.summary())),
        ],
        buttons: Vec::new(),
    }
}

fn persona(session: &mut Session, text: &str) -> Reply {
    if text.is_empty() {
        return Reply {
            parts: vec![
                Part::Text(format!("Persona: {}", session.persona.summary())),
                Part::Note(
                    "Set it with /persona name: Mia; voice: playful, teasing; emoji: some; lowercase: no; boundaries: no face; facts: loves yoga"
                        .to_owned(),
                ),
            ],
            buttons: Vec::new(),
        };
    }
    match session.persona.apply(text) {
        Ok(persona) => {
            session.persona = persona;
            Reply::text(format!("Persona saved: {}", session.persona.summary()))
        }
        Err(err) => Reply::text(format!("I couldn't save that persona: {err}. Nothing changed.")),
    }
}

fn tone(session: &mut Session, text: &str) -> Reply {
    let options = Tone::ALL.map(|tone| tone.to_string()).join(", ");
    if text.is_empty() {
        return Reply::text(format!("Tone: {}. Change it with /tone followed by one of: {options}.", session.tone));
    }
    match text.parse::<Tone>() {
        Ok(tone) => {
            session.tone = tone;
            Reply::text(format!("Tone set to {tone}."))
        }
        Err(()) => Reply::text(format!("I don't know that tone. Choose one of: {options}.")),
    }
}

fn lang(request: &Request, session: &mut Session, text: &str) -> Reply {
    if text.is_empty() {
        return Reply::text(format!(
            "Drafts are written in \"{}\". Change it with /lang and a code, such as /lang es or /lang pt-BR.",
            lang_of(request, session)
        ));
    }
    match text.parse::<Lang>() {
        Ok(lang) => {
            let reply = format!("Drafts will be written in \"{lang}\".");
            session.lang = Some(lang);
            Reply::text(reply)
        }
        Err(()) => Reply::text("That doesn't look like a language code. Try /lang en, /lang ru or /lang pt-BR."),
    }
}

fn lang_of(request: &Request, session: &Session) -> Lang {
    session
        .lang
        .clone()
        .or_else(|| request.user_lang.as_deref().and_then(|code| code.parse().ok()))
        .unwrap_or_else(Lang::english)
}

/// Everything stored about the user, as a JSON file.
fn export(user: UserId, session: &Session) -> Reply {
    #[derive(Serialize)]
    struct Export<'a> {
        user_id: UserId,
        session: &'a Session,
    }
    match serde_json::to_vec_pretty(&Export { user_id: user, session }) {
        Ok(content) => Reply {
            parts: vec![
                Part::Text("Here is everything Muse stores about you.".to_owned()),
                Part::File { name: "muse-export.json".to_owned(), content },
            ],
            buttons: Vec::new(),
        },
        Err(err) => {
            tracing::error!(user, error = %err, "exporting a session failed");
            Reply::text("I couldn't build your export just now; please try again.")
        }
    }
}

/// Why no model reply is there.
enum Failure {
    /// No model is configured.
    Offline,
    /// The model stack returned an error.
    Model,
    /// Muse is at its model quota.
    Busy,
    /// The model's answers broke the rules, regenerations included.
    Unsafe,
    /// This user is over the model-call limit.
    Throttled { wait: std::time::Duration, notify: bool },
}

const NOTE_NO_DRAFTS: &str = "The model's answer had no drafts in it, so these come from the offline writer.";
const NOTE_UNAVAILABLE: &str = "The model is unavailable right now, so these come from the offline writer.";
const NOTE_BUSY: &str = "Muse is at its model quota right now, so these come from the offline writer.";
const NOTE_UNSAFE: &str =
    "The model's drafts broke the platform's rules, so these safe ones come from the offline writer.";
const NOTE_FALLBACK: &str = "The main model is unavailable, so a backup model wrote these.";

/// One notice per window, then silence: nothing is stored or sent.
fn throttled(wait: std::time::Duration, notify: bool) -> Reply {
    if notify { Reply::slow_down(wait) } else { Reply::default() }
}

fn help() -> Reply {
    let line = |entry: &crate::MenuEntry| format!("/{} — {}\n   {}", entry.name, entry.description, entry.example);
    let open: Vec<String> = MENU.iter().filter(|entry| entry.open).map(line).collect();
    let admin: Vec<String> = MENU.iter().filter(|entry| !entry.open).map(|entry| format!("/{}", entry.name)).collect();
    Reply {
        parts: vec![
            Part::Title("What I can do".to_owned()),
            Part::Text(open.join("\n")),
            Part::Note(format!(
                "Plain messages are a conversation with me about your work. For admins: {}.",
                admin.join(" ")
            )),
        ],
        buttons: Vec::new(),
    }
}

impl Service<Request> for Assistant {
    type Response = Reply;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Reply, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}

#[cfg(test)]
mod tests;
