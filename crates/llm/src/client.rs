//! The client: async-openai on our HTTP service, as a tower `Service`.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CompletionUsage, CreateChatCompletionRequest,
};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};
use muse_domain::settings::{SettingError, Settings, Table};
use muse_domain::{ModelReply, ModelRequest, Role, Usage};
use secrecy::{ExposeSecret, SecretString};

use crate::error::LlmError;
use crate::http::{Pacer, StatusService};
use crate::pacing::PacingLayer;

/// Groq's OpenAI-compatible endpoint.
pub const GROQ_BASE_URL: &str = "https://api.groq.com/openai/v1";
/// The model Muse asks by default.
pub const DEFAULT_MODEL: &str = "llama-3.1-8b-instant";

/// How to reach the provider.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// Base URL of an OpenAI-compatible API, including `/v1`.
    pub base_url: String,
    /// The API key, sent as a bearer token; never logged.
    pub api_key: SecretString,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whether completions are streamed (and collected) rather than fetched whole.
    pub stream: bool,
    /// While a stream is open, the longest wait for its next chunk.
    pub stream_idle: Duration,
}

/// The settings the client reads, with their defaults. Without an API key
/// there is no client: drafts come from the offline writer.
pub const SETTINGS: Table = &[
    ("LLM_BASE_URL", GROQ_BASE_URL),
    ("LLM_API_KEY", ""),
    ("GROQ_API_KEY", ""),
    ("LLM_STREAM", "false"),
    ("LLM_STREAM_IDLE_SECS", "10"),
];

impl LlmConfig {
    /// The configuration from `settings` (see [`SETTINGS`]); `None` without
    /// an API key (`LLM_API_KEY`, or `GROQ_API_KEY`).
    pub fn from_settings(settings: &Settings) -> Result<Option<LlmConfig>, SettingError> {
        let base_url = settings.parse("LLM_BASE_URL", http_url)?;
        let (stream, stream_idle) = (settings.flag("LLM_STREAM")?, settings.seconds("LLM_STREAM_IDLE_SECS")?);
        let key = settings.optional("LLM_API_KEY").or_else(|| settings.optional("GROQ_API_KEY"));
        Ok(key.map(|key| LlmConfig { base_url, stream, stream_idle, ..LlmConfig::groq(SecretString::from(key)) }))
    }

    /// Groq with the given key, a 10 s connect timeout, no streaming.
    pub fn groq(api_key: SecretString) -> LlmConfig {
        LlmConfig {
            base_url: GROQ_BASE_URL.to_owned(),
            api_key,
            connect_timeout: Duration::from_secs(10),
            stream: false,
            stream_idle: Duration::from_secs(10),
        }
    }
}

/// A piece of a streamed completion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chunk {
    /// New text.
    pub text: String,
    /// The model that answers.
    pub model: String,
    /// Token usage; only the last chunk has it, when the provider sends it.
    pub usage: Option<Usage>,
}

/// An OpenAI-compatible chat client. Cheap to clone.
///
/// It makes exactly one HTTP request per call: no retries of its own, and no
/// overall timeout beyond connecting. Retries, deadlines and breakers are the
/// job of the layers above it.
#[derive(Clone, Debug)]
pub struct LlmClient {
    client: Client<OpenAIConfig>,
    stream: bool,
    stream_idle: Duration,
    pacer: Arc<Pacer>,
}

impl LlmClient {
    /// A client for `config`.
    pub fn new(config: &LlmConfig) -> Result<LlmClient, LlmError> {
        // reqwest 0.13 is built without a TLS provider of its own; ring is
        // the one teloxide already brings. Installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|err| LlmError::Invalid(format!("cannot build the HTTP client: {}", err.without_url())))?;
        let openai = OpenAIConfig::new()
            .with_api_base(config.base_url.trim_end_matches('/'))
            .with_api_key(config.api_key.expose_secret());
        let pacer = Arc::new(Pacer::default());
        let client = Client::with_config(openai).with_http_service(StatusService::new(http, pacer.clone()));
        Ok(LlmClient { client, stream: config.stream, stream_idle: config.stream_idle, pacer })
    }

    /// The layer that paces calls to the provider's announced budget, fed by
    /// this client's answers; it belongs above the provider stack.
    pub fn pacing(&self) -> PacingLayer {
        PacingLayer::new(self.pacer.clone())
    }

    /// One completion, fetched whole.
    pub async fn complete(&self, request: &ModelRequest) -> Result<ModelReply, LlmError> {
        let response = self.client.chat().create(chat_request(request, false)).await?;
        let text = response
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .ok_or_else(|| LlmError::Malformed("the answer has no message".to_owned()))?;
        Ok(ModelReply { text, model: response.model, usage: response.usage.map(usage), fallback: false })
    }

    /// One completion as a stream of text chunks.
    pub async fn stream(
        &self,
        request: &ModelRequest,
    ) -> Result<BoxStream<'static, Result<Chunk, LlmError>>, LlmError> {
        let stream = self.client.chat().create_stream(chat_request(request, true)).await?;
        Ok(stream
            .map(|event| {
                let event = event?;
                let text = event.choices.iter().filter_map(|choice| choice.delta.content.as_deref()).collect();
                Ok(Chunk { text, model: event.model, usage: event.usage.map(usage) })
            })
            .boxed())
    }

    /// One completion, streamed and collected; the request's preview, if
    /// any, is shown the text so far after each chunk. A stream that sends
    /// nothing for longer than the idle timeout fails with [`LlmError::Timeout`].
    pub async fn complete_streaming(&self, request: &ModelRequest) -> Result<ModelReply, LlmError> {
        let mut stream = self.stream(request).await?;
        let mut reply = ModelReply { text: String::new(), model: request.model.clone(), usage: None, fallback: false };
        loop {
            let next = tokio::time::timeout(self.stream_idle, stream.next()).await.map_err(|_| LlmError::Timeout)?;
            let Some(chunk) = next else { break };
            let chunk = chunk?;
            reply.text.push_str(&chunk.text);
            if let Some(preview) = request.preview.as_ref().filter(|_| !chunk.text.is_empty()) {
                preview.show(&reply.text);
            }
            if !chunk.model.is_empty() {
                reply.model = chunk.model;
            }
            reply.usage = chunk.usage.or(reply.usage);
        }
        Ok(reply)
    }

    /// The ids of the models the provider offers, sorted.
    pub async fn models(&self) -> Result<Vec<String>, LlmError> {
        let list = self.client.models().list().await?;
        let mut ids: Vec<String> = list.data.into_iter().map(|model| model.id).collect();
        ids.sort();
        Ok(ids)
    }
}

/// An `http://` or `https://` URL, kept as written.
fn http_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|err| format!("not a URL ({err}): {text}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must start with http:// or https://, found {text}"));
    }
    Ok(text.to_owned())
}

fn chat_request(request: &ModelRequest, stream: bool) -> CreateChatCompletionRequest {
    let messages = request
        .messages
        .iter()
        .map(|message| match message.role {
            Role::System => {
                ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage::from(message.content.as_str()))
            }
            Role::User => {
                ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage::from(message.content.as_str()))
            }
            Role::Assistant => ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage::from(
                message.content.as_str(),
            )),
        })
        .collect();
    #[allow(deprecated)] // `max_tokens`: every OpenAI-compatible server reads it; not all read its successor.
    CreateChatCompletionRequest {
        model: request.model.clone(),
        messages,
        temperature: Some(request.temperature),
        max_tokens: Some(request.max_tokens),
        stream: Some(stream),
        stream_options: stream
            .then_some(ChatCompletionStreamOptions { include_usage: Some(true), include_obfuscation: None }),
        ..CreateChatCompletionRequest::default()
    }
}

fn usage(usage: CompletionUsage) -> Usage {
    Usage {
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        total_tokens: usage.total_tokens,
    }
}

impl tower::Service<ModelRequest> for LlmClient {
    type Response = ModelReply;
    type Error = LlmError;
    type Future = BoxFuture<'static, Result<ModelReply, LlmError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: ModelRequest) -> Self::Future {
        let client = self.clone();
        Box::pin(async move {
            if client.stream { client.complete_streaming(&request).await } else { client.complete(&request).await }
        })
    }
}
