//! The admin commands: `/model`, `/models`, `/stats`, `/health`, `/ban`,
//! `/unban`. The access layer has refused them to non-admins before a
//! request gets here; this layer answers them and passes everything else on.
//! What they read and change (the provider's models, counters, the health
//! report, bans) comes from an [`Operator`] the binary hands in.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt};
use tower::{Layer, Service};

use crate::assistant::Assistant;
use crate::command::{AdminCommand, Command};
use crate::i18n::Ui;
use crate::reply::{Part, Reply};
use crate::request::{Request, UserId};

/// What the admin commands read and change.
pub trait Operator: Send + Sync + 'static {
    /// The models the provider offers, or why they could not be listed.
    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, String>>;
    /// The health report, one line per check.
    fn health(&self) -> BoxFuture<'_, String>;
    /// The counters, one per line.
    fn stats(&self) -> String;
    /// Bans `user`: `Ok(true)` if they were not banned, `Err` with the reason it is refused.
    fn ban(&self, user: UserId) -> Result<bool, String>;
    /// Lifts a ban: whether there was one.
    fn unban(&self, user: UserId) -> bool;
    /// A setting changed (the model, a ban): save it now.
    fn changed(&self) -> BoxFuture<'_, ()>;
}

/// Answers admin commands in front of the assistant.
#[derive(Clone)]
pub struct AdminLayer {
    assistant: Assistant,
    operator: Arc<dyn Operator>,
    fallback_models: Arc<[String]>,
}

impl std::fmt::Debug for AdminLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminLayer").field("fallback_models", &self.fallback_models).finish_non_exhaustive()
    }
}

impl AdminLayer {
    /// Admin commands over `assistant`'s model and `operator`'s state;
    /// `fallback_models` are shown by `/model`.
    pub fn new(assistant: Assistant, operator: Arc<dyn Operator>, fallback_models: Vec<String>) -> AdminLayer {
        AdminLayer { assistant, operator, fallback_models: fallback_models.into() }
    }

    async fn answer(self, ui: Ui, command: AdminCommand) -> Reply {
        let operator = &self.operator;
        let user_line = |id: &str, user: UserId| Reply::text(ui.say_with(id, &[("user", user.into())]));
        let reply = match &command {
            AdminCommand::Model(name) if name.is_empty() => {
                let fallbacks = if self.fallback_models.is_empty() {
                    ui.say("model-none")
                } else {
                    self.fallback_models.join(", ")
                };
                let model = self.assistant.model_name();
                Reply::text(ui.say_with("model-now", &[("model", model.into()), ("fallbacks", fallbacks.into())]))
            }
            AdminCommand::Model(name) => self.switch_model(ui, name).await,
            AdminCommand::Models => match operator.models().await {
                Ok(models) => titled(ui.say_with("models-title", &[("count", models.len().into())]), models.join("\n")),
                Err(problem) => Reply::text(problem),
            },
            AdminCommand::Stats => titled(ui.say("stats-title"), operator.stats()),
            AdminCommand::Health => titled(ui.say("health-title"), operator.health().await),
            AdminCommand::Ban(id) => match id.trim().parse::<UserId>() {
                Ok(user) => match operator.ban(user) {
                    Ok(true) => user_line("ban-done", user),
                    Ok(false) => user_line("ban-already", user),
                    Err(err) => Reply::text(ui.say_with("ban-failed", &[("problem", err.to_string().into())])),
                },
                Err(_) => Reply::text(ui.say("ban-usage")),
            },
            AdminCommand::Unban(id) => match id.trim().parse::<UserId>() {
                Ok(user) if operator.unban(user) => user_line("unban-done", user),
                Ok(user) => user_line("unban-not", user),
                Err(_) => Reply::text(ui.say("unban-usage")),
            },
        };
        let changes = matches!(command, AdminCommand::Ban(_) | AdminCommand::Unban(_))
            || matches!(&command, AdminCommand::Model(name) if !name.is_empty());
        // Admin changes are saved at once, not with the periodic counters.
        if changes {
            operator.changed().await;
        }
        reply
    }

    async fn switch_model(&self, ui: Ui, name: &str) -> Reply {
        let models = match self.operator.models().await {
            Ok(models) => models,
            Err(problem) => return Reply::text(ui.say_with("model-unchanged", &[("problem", problem.into())])),
        };
        if models.iter().any(|model| model == name) {
            self.assistant.set_model_name(name);
            tracing::info!(model = name, "model switched");
            return Reply::text(ui.say_with("model-switched", &[("name", name.into())]));
        }
        let models = models.join(", ");
        Reply::text(ui.say_with("model-unknown", &[("name", name.into()), ("models", models.into())]))
    }
}

fn titled(title: String, text: String) -> Reply {
    Reply { parts: vec![Part::Title(title), Part::Text(text)], buttons: Vec::new() }
}

impl<S> Layer<S> for AdminLayer {
    type Service = Admin<S>;

    fn layer(&self, inner: S) -> Admin<S> {
        Admin { inner, layer: self.clone() }
    }
}

/// The service of [`AdminLayer`].
#[derive(Clone, Debug)]
pub struct Admin<S> {
    inner: S,
    layer: AdminLayer,
}

impl<S> Service<Request> for Admin<S>
where
    S: Service<Request, Response = Reply, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Reply;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Reply, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match request.command() {
            Some(Command::Admin(command)) => {
                let (layer, command, ui) = (self.layer.clone(), command.clone(), request.ui());
                async move { Ok(layer.answer(ui, command).await) }.boxed()
            }
            _ => self.inner.call(request).boxed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tower::{ServiceExt, service_fn};

    use super::*;
    use crate::{AssistantConfig, Input};

    #[derive(Default)]
    struct Fake {
        banned: Mutex<Vec<UserId>>,
        saves: Mutex<usize>,
    }

    impl Operator for Fake {
        fn models(&self) -> BoxFuture<'_, Result<Vec<String>, String>> {
            Box::pin(async { Ok(vec!["a".to_owned(), "b".to_owned()]) })
        }
        fn health(&self) -> BoxFuture<'_, String> {
            Box::pin(async { "all good".to_owned() })
        }
        fn stats(&self) -> String {
            "Users: 1".to_owned()
        }
        fn ban(&self, user: UserId) -> Result<bool, String> {
            let mut banned = self.banned.lock().unwrap();
            if banned.contains(&user) {
                return Ok(false);
            }
            banned.push(user);
            Ok(true)
        }
        fn unban(&self, user: UserId) -> bool {
            let mut banned = self.banned.lock().unwrap();
            let before = banned.len();
            banned.retain(|u| *u != user);
            before != banned.len()
        }
        fn changed(&self) -> BoxFuture<'_, ()> {
            *self.saves.lock().unwrap() += 1;
            Box::pin(async {})
        }
    }

    async fn send(layer: &AdminLayer, text: &str) -> String {
        let inner = service_fn(|_: Request| async { Ok::<_, Infallible>(Reply::text("assistant")) });
        let request = Request::new(1, None, Input::Command(Command::parse(text)));
        layer.layer(inner).oneshot(request).await.unwrap().to_plain()
    }

    #[tokio::test]
    async fn admin_commands_are_answered_and_changes_saved() {
        let assistant = Assistant::new(AssistantConfig::default(), None);
        let fake = Arc::new(Fake::default());
        let layer = AdminLayer::new(assistant.clone(), fake.clone(), vec!["spare".into()]);
        assert!(send(&layer, "/model").await.contains("Fallbacks: spare"));
        assert!(send(&layer, "/model nope").await.contains("unchanged. Available: a, b"));
        assert!(send(&layer, "/model b").await.contains("switched to b"));
        assert_eq!(assistant.model_name(), "b");
        assert!(send(&layer, "/ban 5").await.contains("User 5 is banned"));
        assert!(send(&layer, "/ban 5").await.contains("already banned"));
        assert!(send(&layer, "/ban x").await.contains("numeric user id"));
        assert!(send(&layer, "/unban 5").await.contains("unbanned"));
        assert!(send(&layer, "/stats").await.contains("Users: 1"));
        assert!(send(&layer, "/health").await.contains("all good"));
        assert_eq!(send(&layer, "/reply hi").await, "assistant\n", "everything else passes on");
        // Every /model with a name and every /ban or /unban saves at once, changed or not.
        assert_eq!(*fake.saves.lock().unwrap(), 6);
    }
}
