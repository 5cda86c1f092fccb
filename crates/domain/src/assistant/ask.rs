//! One call to the model stack: the prompt for a job, and what its failure
//! means for the user.

use tower::ServiceExt;

use super::{Assistant, Failure};
use crate::fans::FanCard;
use crate::handlers;
use crate::kind::Kind;
use crate::model::{ModelRefusal, ModelReply, ModelRequest};
use crate::prompt::{self, Voice};
use crate::refine::Refine;
use crate::request::Request;
use crate::session::Session;
use crate::text::note;

/// What one model call is for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Job<'a> {
    /// The kind of text.
    pub(super) kind: Kind,
    /// The user's text (the fan's message, the theme, ...).
    pub(super) text: &'a str,
    /// The fan it is for, if one is named.
    pub(super) fan: Option<&'a FanCard>,
    /// A refine press, with the drafts it rewrites.
    pub(super) refine: Option<(Refine, &'a [String])>,
}

impl<'a> Job<'a> {
    /// A plain request of `kind` on `text`.
    pub(super) fn new(kind: Kind, text: &'a str) -> Job<'a> {
        Job { kind, text, fan: None, refine: None }
    }
}

impl Assistant {
    pub(super) async fn ask(&self, request: &Request, session: &Session, job: Job<'_>) -> Result<ModelReply, Failure> {
        let Some(model) = self.inner.model.clone() else {
            return Err(Failure::Offline);
        };
        let (kind, fan) = (job.kind, job.fan);
        let config = &self.inner.config;
        let lang = fan.and_then(|card| card.lang.clone()).unwrap_or_else(|| handlers::lang_of(request, session));
        // Data travels fenced between markers it cannot predict.
        let (fence, card_fence) = (request.flagged.then(|| prompt::marker("FAN")), prompt::marker("CARD"));
        let voice = Voice {
            persona: &session.persona,
            tone: session.tone,
            lang: &lang,
            canary: &self.inner.canary,
            fence: fence.as_deref(),
            examples: &session.voice,
            fan: fan.map(|card| (card_fence.as_str(), card)),
            price: fan
                .and_then(|card| card.tier)
                .filter(|_| kind == Kind::Ppv)
                .and_then(|t| session.pricing.for_tier(t)),
            refine: job.refine.map(|(refine, drafts)| (refine.instruction(), drafts)),
        };
        let messages = prompt::messages(kind, voice, &session.history, job.text, config.history.max_messages);
        let model_request = ModelRequest {
            kind,
            model: self.model_name(),
            messages,
            temperature: config.temperature,
            max_tokens: config.max_tokens,
            user: request.user,
            preview: request.preview.clone(),
        };
        let user = request.user;
        model.oneshot(model_request).await.map_err(|err| match err.downcast_ref::<ModelRefusal>() {
            Some(ModelRefusal::UserLimited { wait, notify }) => Failure::Throttled { wait: *wait, notify: *notify },
            Some(ModelRefusal::Unsafe) => Failure::Fallback(note::UNSAFE),
            Some(ModelRefusal::Queued) => {
                tracing::warn!(user, %kind, "no model slot within the queue wait; using the offline writer");
                Failure::Fallback(note::QUEUED)
            }
            Some(ModelRefusal::Busy) => {
                tracing::warn!(user, %kind, "model quota reached; using the offline writer");
                Failure::Fallback(note::BUSY)
            }
            None => {
                tracing::warn!(user, %kind, error = %err, "model call failed; using the offline writer");
                Failure::Fallback(note::UNAVAILABLE)
            }
        })
    }
}
