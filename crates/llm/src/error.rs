//! Typed, classified errors of the LLM client.

use std::time::Duration;

use async_openai::error::OpenAIError;

/// Why a model call failed. Messages never carry the API key or a response
/// body beyond the provider's own short error message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The provider answered with an error status.
    #[error("provider answered {status}: {message}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The provider's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        /// The provider's error message (its `error.message`), shortened.
        message: String,
    },
    /// No answer in time.
    #[error("the provider did not answer in time")]
    Timeout,
    /// Connecting failed, or the connection broke.
    #[error("connection to the provider failed: {0}")]
    Transport(String),
    /// The answer was not what the API promises (bad JSON, no choices).
    #[error("the provider's answer could not be read: {0}")]
    Malformed(String),
    /// A streamed answer broke off.
    #[error("the stream broke off: {0}")]
    Stream(String),
    /// The request itself was wrong; retrying will not help.
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl LlmError {
    /// Whether trying again later may succeed: 408, 425, 429 and 5xx
    /// statuses, timeouts, broken connections and streams, unreadable answers.
    pub fn is_transient(&self) -> bool {
        match self {
            LlmError::Status { status, .. } => matches!(status, 408 | 425 | 429 | 500..=599),
            LlmError::Timeout | LlmError::Transport(_) | LlmError::Malformed(_) | LlmError::Stream(_) => true,
            LlmError::Invalid(_) => false,
        }
    }

    /// The HTTP status, for errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            LlmError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the provider asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short class name for counters and logs: `status_429`, `timeout`, ...
    pub fn class(&self) -> String {
        match self {
            LlmError::Status { status, .. } => format!("status_{status}"),
            LlmError::Timeout => "timeout".to_owned(),
            LlmError::Transport(_) => "transport".to_owned(),
            LlmError::Malformed(_) => "malformed".to_owned(),
            LlmError::Stream(_) => "stream".to_owned(),
            LlmError::Invalid(_) => "invalid".to_owned(),
        }
    }
}

/// An error status seen by our HTTP service, carried through async-openai
/// inside `OpenAIError::Boxed` so status and `Retry-After` survive.
#[derive(Debug, thiserror::Error)]
#[error("provider answered {status}: {message}")]
pub(crate) struct HttpStatus {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) message: String,
}

impl From<reqwest::Error> for LlmError {
    fn from(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            return LlmError::Timeout;
        }
        // The URL is the provider's base URL; it may embed credentials.
        let err = err.without_url();
        if err.is_decode() { LlmError::Malformed(err.to_string()) } else { LlmError::Transport(source_chain(&err)) }
    }
}

impl From<OpenAIError> for LlmError {
    fn from(err: OpenAIError) -> Self {
        match err {
            OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpStatus>() {
                Ok(status) => {
                    LlmError::Status { status: status.status, retry_after: status.retry_after, message: status.message }
                }
                Err(other) => match other.downcast::<LlmError>() {
                    Ok(llm) => *llm,
                    Err(other) => LlmError::Transport(other.to_string()),
                },
            },
            OpenAIError::Reqwest(err) => err.into(),
            OpenAIError::ApiError(response) => LlmError::Status {
                status: response.status_code.as_u16(),
                retry_after: None,
                message: shorten(&response.api_error.message),
            },
            // The content is the provider's body: it is not logged.
            OpenAIError::JSONDeserialize(err, _content) => LlmError::Malformed(err.to_string()),
            OpenAIError::StreamError(err) => LlmError::Stream(err.to_string()),
            OpenAIError::InvalidArgument(message) => LlmError::Invalid(message),
            other => LlmError::Invalid(other.to_string()),
        }
    }
}

/// reqwest's top-level message is vague ("error sending request"); the
/// sources say what happened ("connection refused").
fn source_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Provider messages are for operators; keep them to one short line.
pub(crate) fn shorten(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}
