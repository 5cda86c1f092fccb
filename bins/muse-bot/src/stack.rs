//! Assembling the service stack from configuration.

use muse_domain::{Assistant, ModelService};
use muse_llm::LlmClient;
use muse_telegram::MuseService;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, ServiceBuilder, ServiceExt};

use crate::config::Config;

/// The model stack, or `None` when no API key is set (offline writer).
pub(crate) fn model(config: &Config) -> anyhow::Result<Option<ModelService>> {
    let Some(llm) = &config.llm else { return Ok(None) };
    let client = LlmClient::new(llm)?;
    // Errors are boxed at the boundary so layers above can be generic.
    Ok(Some(ModelService::new(client.map_err(BoxError::from))))
}

/// The whole per-update stack, shared by Telegram and the terminal.
pub(crate) fn service(config: &Config) -> anyhow::Result<MuseService> {
    let assistant = Assistant::new(config.assistant.clone(), model(config)?);
    let stack = ServiceBuilder::new()
        // The assistant does the work: persona, prompt, model, drafts.
        .service(assistant);
    Ok(BoxCloneSyncService::new(stack))
}

/// One line saying what drafts come from.
pub(crate) fn banner(config: &Config) -> String {
    match &config.llm {
        Some(llm) => format!("Drafting with {} at {}.", config.assistant.model, llm.base_url),
        None => "Offline writer: no LLM_API_KEY is set, so drafts come from built-in templates.".to_owned(),
    }
}
