//! The request and reply Muse exchanges with a language model.
//!
//! These types are the contract between the assistant and whatever model
//! stack sits below it (the LLM client, fakes in tests, resilience layers).

use serde::{Deserialize, Serialize};
use tower::BoxError;
use tower::util::BoxCloneSyncService;

/// The model stack the assistant calls: any clonable service from
/// [`ModelRequest`] to [`ModelReply`].
pub type ModelService = BoxCloneSyncService<ModelRequest, ModelReply, BoxError>;

/// Who wrote a chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions from Muse's code.
    System,
    /// The person using Muse.
    User,
    /// The model.
    Assistant,
}

/// One message of a chat completion request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub content: String,
}

impl ChatMessage {
    /// A message with the given role and content.
    pub fn new(role: Role, content: impl Into<String>) -> ChatMessage {
        ChatMessage { role, content: content.into() }
    }
}

/// A chat completion request for one model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelRequest {
    /// What is being written: drafts of a kind, or a chat answer.
    pub kind: crate::Kind,
    /// The model to ask.
    pub model: String,
    /// The system message first, then history, then the new user message.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature.
    pub temperature: f32,
    /// Upper bound on the reply's length, in tokens.
    pub max_tokens: u32,
    /// Who the request is for: keys per-user limits in the model stack.
    /// It is not sent to the provider.
    pub user: crate::UserId,
    /// Where a streaming client shows the completion so far (live drafting).
    pub preview: Option<crate::Preview>,
}

/// Tokens a completion used, as the provider reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u32,
    /// Tokens in the completion.
    pub completion_tokens: u32,
    /// Their sum.
    pub total_tokens: u32,
}

/// What a model answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelReply {
    /// The completion text.
    pub text: String,
    /// The model that answered (providers may name a specific version).
    pub model: String,
    /// Token usage, when the provider reports it.
    pub usage: Option<Usage>,
    /// Whether a fallback model answered because the main one failed.
    pub fallback: bool,
}

/// Refusals of the model stack that the assistant answers in its own way
/// rather than as a failure. The stack below returns them boxed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelRefusal {
    /// This user made too many model calls: wait before the next.
    #[error("too many model calls from this user; wait {wait:?}")]
    UserLimited {
        /// How long until the next call would pass.
        wait: std::time::Duration,
        /// Whether this is the first refusal in the window (tell the user).
        notify: bool,
    },
    /// Muse as a whole is at its model quota for now.
    #[error("the model quota is used up for now")]
    Busy,
    /// Every model slot stayed taken for as long as a request may wait
    /// (or too many were waiting already).
    #[error("no model slot freed within the wait")]
    Queued,
    /// Every completion broke the compliance rules or leaked the system
    /// prompt, regenerations included: nothing from the model may be shown.
    #[error("the model's answers broke the compliance rules")]
    Unsafe,
}
