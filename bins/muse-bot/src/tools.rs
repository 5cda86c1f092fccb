//! Commands answered beside the assistant: `/check` (the compliance guard)
//! and the admin commands. The access layer has already refused admin
//! commands from non-admins by the time a request gets here.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use muse_domain::{AdminCommand, Assistant, Command, Input, Part, Reply, Request};
use muse_llm::LlmClient;
use muse_resilience::Breaker;
use muse_security::{AccessPolicy, Guard, SecurityCounters, check_reply};

use crate::persist::Persist;
use tower::{Service, ServiceExt};

/// Counts the bot's own work, for `/stats`.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Updates answered (or deliberately not).
    pub(crate) requests: AtomicU64,
    /// Calls that reached the model provider.
    pub(crate) model_calls: AtomicU64,
}

/// A named counter read when `/stats` is asked.
pub(crate) type Gauge = (&'static str, Arc<dyn Fn() -> u64 + Send + Sync>);

/// What the tools read and change.
#[derive(Clone)]
pub(crate) struct Tools {
    pub(crate) runner: Arc<muse_health::Runner>,
    pub(crate) persist: Arc<Persist>,
    pub(crate) assistant: Assistant,
    pub(crate) guard: Arc<Guard>,
    pub(crate) policy: Arc<AccessPolicy>,
    pub(crate) security: Arc<SecurityCounters>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) llm: Option<LlmClient>,
    pub(crate) fallback_models: Vec<String>,
    pub(crate) breakers: Vec<Breaker>,
    pub(crate) limited: Vec<Gauge>,
}

impl Tools {
    async fn admin(self, command: AdminCommand) -> Reply {
        let changes = matches!(command, AdminCommand::Ban(_) | AdminCommand::Unban(_))
            || matches!(&command, AdminCommand::Model(name) if !name.is_empty());
        let reply = self.answer(command).await;
        // Admin changes are saved at once, not with the periodic counters.
        if changes && let Err(err) = self.persist.save().await {
            tracing::error!(error = %err, "saving an admin change failed");
        }
        reply
    }

    async fn answer(&self, command: AdminCommand) -> Reply {
        match command {
            AdminCommand::Model(name) if name.is_empty() => {
                let fallbacks =
                    if self.fallback_models.is_empty() { "none".to_owned() } else { self.fallback_models.join(", ") };
                Reply::text(format!("Model: {}. Fallbacks: {fallbacks}.", self.assistant.model_name()))
            }
            AdminCommand::Model(name) => self.switch_model(&name).await,
            AdminCommand::Models => match self.models().await {
                Ok(models) => Reply {
                    parts: vec![Part::Title(format!("{} models", models.len())), Part::Text(models.join("\n"))],
                    buttons: Vec::new(),
                },
                Err(problem) => Reply::text(problem),
            },
            AdminCommand::Stats => self.stats(),
            AdminCommand::Health => Reply {
                parts: vec![
                    Part::Title("Muse health".to_owned()),
                    Part::Text(crate::ops::report_text(&self.runner.run().await)),
                ],
                buttons: Vec::new(),
            },
            AdminCommand::Ban(id) => match id.trim().parse::<u64>() {
                Ok(user) => match self.policy.ban(user) {
                    Ok(true) => Reply::text(format!("User {user} is banned.")),
                    Ok(false) => Reply::text(format!("User {user} was already banned.")),
                    Err(err) => Reply::text(format!("Not banned: {err}.")),
                },
                Err(_) => Reply::text("Send a numeric user id, for example: /ban 123456789"),
            },
            AdminCommand::Unban(id) => match id.trim().parse::<u64>() {
                Ok(user) if self.policy.unban(user) => Reply::text(format!("User {user} is unbanned.")),
                Ok(user) => Reply::text(format!("User {user} was not banned.")),
                Err(_) => Reply::text("Send a numeric user id, for example: /unban 123456789"),
            },
        }
    }

    async fn models(&self) -> Result<Vec<String>, String> {
        let Some(llm) = &self.llm else {
            return Err("No model is configured: drafts come from the offline writer.".to_owned());
        };
        llm.models().await.map_err(|err| format!("Couldn't get the model list: {err}."))
    }

    async fn switch_model(&self, name: &str) -> Reply {
        let models = match self.models().await {
            Ok(models) => models,
            Err(problem) => return Reply::text(format!("{problem} The model is unchanged.")),
        };
        if models.iter().any(|model| model == name) {
            self.assistant.set_model_name(name);
            tracing::info!(model = name, "model switched");
            return Reply::text(format!("Model switched to {name}. The next drafts use it."));
        }
        Reply::text(format!("There is no model \"{name}\"; the model is unchanged. Available: {}.", models.join(", ")))
    }

    fn stats(&self) -> Reply {
        let security = self.security.snapshot();
        let mut text = String::new();
        let users = self.assistant.session_count().map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        let _ = writeln!(text, "Users: {users}");
        let _ = writeln!(text, "Requests: {}", self.stats.requests.load(Ordering::Relaxed));
        let _ = writeln!(
            text,
            "Model calls: {} (model: {})",
            self.stats.model_calls.load(Ordering::Relaxed),
            self.assistant.model_name()
        );
        for (name, read) in &self.limited {
            let _ = writeln!(text, "Rate-limited ({name}): {}", read());
        }
        for breaker in &self.breakers {
            let snapshot = breaker.snapshot();
            let _ = writeln!(
                text,
                "Breaker ({}): {:?}, opened {} times",
                breaker.config().name,
                snapshot.state,
                snapshot.opened
            );
        }
        let _ = writeln!(text, "Banned users: {}", self.policy.banned().len());
        let _ = writeln!(
            text,
            "Security: sanitized {}, too long {}, injection flagged {}, injection blocked {}, admin denied {}, not allowed {}, banned {}",
            security.sanitized,
            security.too_long,
            security.injection_flagged,
            security.injection_blocked,
            security.admin_denied,
            security.not_allowed,
            security.banned,
        );
        let blocked: Vec<String> =
            security.outputs_blocked.iter().map(|(category, n)| format!("{category} {n}")).collect();
        let _ =
            write!(text, "Drafts blocked: {}", if blocked.is_empty() { "none".to_owned() } else { blocked.join(", ") });
        Reply { parts: vec![Part::Title("Muse stats".to_owned()), Part::Text(text)], buttons: Vec::new() }
    }
}

impl Service<Request> for Tools {
    type Response = Reply;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Reply, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let command = match &request.input {
            Input::Text(text) => Command::parse(text),
            Input::NonText | Input::Button(_) => Command::Chat(String::new()),
        };
        let tools = self.clone();
        Box::pin(async move {
            Ok(match command {
                Command::Check(text) => check_reply(&tools.guard, &text),
                Command::Admin(command) => tools.admin(command).await,
                _ => return tools.assistant.oneshot(request).await,
            })
        })
    }
}
