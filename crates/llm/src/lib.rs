//! An OpenAI-compatible chat client for Muse: Groq by default, or any server
//! that speaks the API (OpenAI, Ollama, llama.cpp, vLLM), as a tower
//! [`Service`](tower::Service) from [`ModelRequest`](muse_domain::ModelRequest)
//! to [`ModelReply`](muse_domain::ModelReply).
//!
//! It sits on async-openai with that crate's own retries removed: each call
//! is one HTTP request, and a failure comes back as an [`LlmError`] that keeps
//! the HTTP status and `Retry-After` and says whether it is transient, so the
//! resilience layers above can decide.
//!
//! # Layout
//!
//! - [`client`]: [`LlmClient`], [`LlmConfig`], streaming and non-streaming completions, the model list.
//! - [`error`]: [`LlmError`] and its classification.
//! - `http`: the HTTP service installed under async-openai.
//! - [`policy`]: what the breaker, the retry policy and the metrics make of each error.
//! - [`provider`]: [`provider()`](provider::provider), the client with fallback models, retries, breakers, timeouts and a bulkhead.
//!
//! # Example
//!
//! ```
//! use muse_llm::{LlmClient, LlmConfig};
//!
//! let config = LlmConfig::groq("gsk-example".to_owned().into());
//! let client = LlmClient::new(&config).expect("a client");
//! // `client` is a tower Service<ModelRequest>; `client.models()` lists models.
//! # drop(client);
//! ```

pub mod client;
pub mod error;
mod http;
pub mod pacing;
pub mod policy;
pub mod provider;

pub use client::{Chunk, DEFAULT_MODEL, GROQ_BASE_URL, LlmClient, LlmConfig, SETTINGS};
pub use error::LlmError;
pub use pacing::{PacingLayer, ProviderBusy};
pub use provider::{Provider, ProviderConfig, provider};

#[cfg(test)]
mod tests;
