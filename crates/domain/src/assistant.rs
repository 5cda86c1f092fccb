//! The assistant: a tower `Service` from [`Request`] to [`Reply`].
//!
//! It loads the user's session, answers the command (settings through
//! [`handlers`](crate::handlers), drafts and conversation here), asks the
//! model stack below it, parses drafts, and falls back to the offline
//! writer when there is no model or the model fails. It does no I/O of its
//! own: the model and the sessions are handed to it.

use std::convert::Infallible;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tower::Service;

use crate::command::Command;
use crate::handlers::{self, FORGET_NO, FORGET_YES};
use crate::i18n::Ui;
use crate::kind::Kind;
use crate::model::{ModelService, Role};
use crate::offline::{self, OfflineWriter};
use crate::prompt;
use crate::refine::Refine;
use crate::reply::Reply;
use crate::request::{Input, Request, UserId};
use crate::session::{MemorySessions, Session, Sessions};
use crate::text;

mod ask;
mod cards;
mod config;
mod draft;

pub use config::{AssistantConfig, SETTINGS};

/// The data of the "3 more" button under drafts.
pub const MORE: &str = "more";

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
    /// Drafting requests whose drafts repeated earlier ones.
    repeats: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant").field("config", &self.inner.config).field("online", &self.is_online()).finish()
    }
}

/// Why no model reply is there.
enum Failure {
    /// No model is configured.
    Offline,
    /// The model stack failed, the quota is used up, or every answer broke
    /// the rules: offline drafts with this note.
    Fallback(&'static str),
    /// This user is over the model-call limit: one notice, then silence.
    Throttled { wait: std::time::Duration, notify: bool },
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
        let canary = format!("{}{:016x}", prompt::CANARY_PREFIX, rand::random::<u64>());
        let model_name = std::sync::RwLock::new(config.model.clone());
        let repeats = Default::default();
        Assistant {
            inner: Arc::new(Inner { model_name, canary, config, model, writer: OfflineWriter, sessions, repeats }),
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

    /// How many drafting requests got a draft that repeated an earlier
    /// one (and had it replaced).
    pub fn repeats_caught(&self) -> u64 {
        self.inner.repeats.load(std::sync::atomic::Ordering::Relaxed)
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
        let (mut session, loaded) = self.load(user).await;
        let ui = handlers::ui_of(&request, &session);
        match &request.input {
            Input::Button(data) if data.as_str() == FORGET_YES => return self.forget(ui, user).await,
            Input::Button(data) if data.as_str() == FORGET_NO => return Reply::text(ui.say(text::FORGET_CANCELLED)),
            Input::NonText => return Reply::text(ui.say(text::NOT_TEXT)),
            Input::TooLong { chars, limit } => return Reply::text(text::too_long(ui, *chars, *limit)),
            _ => {}
        }
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

    async fn forget(&self, ui: Ui, user: UserId) -> Reply {
        match self.inner.sessions.delete(user).await {
            Ok(()) => Reply::text(ui.say(text::FORGET_DONE)),
            Err(err) => {
                tracing::error!(user, error = %err, "deleting a session failed");
                Reply::text(ui.say(text::FORGET_FAILED))
            }
        }
    }

    async fn respond(&self, request: &Request, session: &mut Session) -> Reply {
        let ui = handlers::ui_of(request, session);
        let command = match &request.input {
            Input::Command(command) => command.clone(),
            // No input layer above: this is the one parse of this update.
            Input::Text(text) => Command::parse(text),
            Input::Button(data) if data.as_str() == MORE => match session.last_draft.clone() {
                Some((kind, text)) => Command::Draft(kind, text),
                None => return Reply::text(ui.say(text::NOTHING_TO_REDO)),
            },
            // A refine press counts only for the user's last drafting
            // request: a stale or forged one gets the expiry notice.
            Input::Button(data) => match (Refine::parse(data), session.last_draft.clone()) {
                (Some((refine, id)), Some((kind, text))) if id == session.draft_id => {
                    return self.draft(request, session, kind, text, Some(refine)).await;
                }
                _ => return Reply::text(ui.say(text::REQUEST_EXPIRED)),
            },
            _ => return Reply::text(ui.say(text::BUTTON_EXPIRED)),
        };
        match command {
            Command::Start => handlers::start(ui, session),
            Command::Help => handlers::help(ui),
            Command::Draft(kind, text) => self.draft(request, session, kind, text, None).await,
            Command::Persona(text) => handlers::persona(ui, session, &text),
            Command::Tone(text) => handlers::tone(ui, session, &text),
            Command::Lang(text) => handlers::lang(request, session, &text),
            Command::Fan(args) => self.fan(ui, request.user, session, &args).await,
            Command::Fans => self.fans(ui, request.user, session).await,
            Command::Voice(args) => cards::voice(ui, session, &args),
            Command::Reset => handlers::reset(ui, session),
            Command::Export => self.export(ui, request.user, session).await,
            Command::Forget => handlers::forget_question(ui),
            Command::Chat(text) if text.is_empty() => Reply::text(ui.say(text::EMPTY_CHAT)),
            Command::Chat(text) => self.chat(request, session, text).await,
            Command::Unknown(name) => Reply::text(text::unknown_command(ui, &name)),
            // Answered by the layers that own them (the compliance check,
            // admin tools); reaching here means none is installed.
            Command::Check(_) | Command::Admin(_) => Reply::text(ui.say(text::NOT_AVAILABLE)),
        }
    }

    async fn chat(&self, request: &Request, session: &mut Session, text: String) -> Reply {
        let ui = handlers::ui_of(request, session);
        let answer = match self.ask(request, session, ask::Job::new(Kind::Chat, &text)).await {
            Ok(reply) if !reply.text.trim().is_empty() => reply.text.trim().to_owned(),
            Ok(_) | Err(Failure::Fallback(_)) => self.inner.writer.chat(ui, true, &session.persona),
            Err(Failure::Offline) => self.inner.writer.chat(ui, false, &session.persona),
            Err(Failure::Throttled { wait, notify }) => return throttled(ui, wait, notify),
        };
        self.remember(session, &text, &answer);
        Reply::text(answer)
    }

    fn offline_drafts(&self, order: &draft::Offline, session: &Session) -> Vec<String> {
        let brief = offline::Brief {
            kind: order.kind,
            tone: session.tone,
            persona: &session.persona,
            lang: order.lang,
            price: order.price.as_deref(),
        };
        self.inner.writer.drafts(&brief, self.inner.config.drafts, &mut rand::rng())
    }

    fn remember(&self, session: &mut Session, asked: &str, answered: &str) {
        let limits = self.inner.config.history;
        if !asked.is_empty() {
            session.history.push(Role::User, asked, limits);
        }
        session.history.push(Role::Assistant, answered, limits);
    }
}

/// One notice per window, then silence: nothing is stored or sent.
fn throttled(ui: Ui, wait: std::time::Duration, notify: bool) -> Reply {
    if notify { Reply::slow_down(ui, wait) } else { Reply::default() }
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
