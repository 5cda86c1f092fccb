//! Long polling, updates into [`Request`]s, replies out.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{Stream, StreamExt as _};
use muse_domain::settings::{SettingError, Settings, Table, invalid};
use muse_domain::{Input, MENU, Part, Press, Reply, Request, Ui};
use secrecy::{ExposeSecret, SecretString};
use std::pin::Pin;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::Dispatcher;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, ChatAction, CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
    MaybeInaccessibleMessage, ParseMode, UpdateKind,
};
use teloxide::update_listeners::{AsUpdateStream as _, Polling, StatefulListener, UpdateListener as _};
use teloxide::{RequestError, dptree};

use teloxide::error_handlers::LoggingErrorHandler;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use crate::draft::LiveDrafts;
use crate::lanes::Lanes;
use crate::render::{MAX_MESSAGE_LEN, render};
use crate::webhook::{WebhookConfig, valid_secret};

/// The service the adapter calls for each update.
pub type MuseService = BoxCloneSyncService<Request, Reply, Infallible>;

type Tg = Throttle<Bot>;

/// How to reach the Bot API.
#[derive(Clone, Debug)]
pub struct TelegramConfig {
    /// The bot token from BotFather; never logged.
    pub token: SecretString,
    /// The Bot API base URL (`https://api.telegram.org`, a local Bot API
    /// server, or a test fake).
    pub api_url: url::Url,
    /// How long one `getUpdates` long poll waits.
    pub poll_timeout: Duration,
    /// Stream drafts into private chats with `sendMessageDraft` while the
    /// model writes (on when the model client streams).
    pub live_drafts: bool,
    /// Webhook mode; `None`: long polling.
    pub webhook: Option<WebhookConfig>,
}

/// The settings the adapter reads, with their defaults.
pub const SETTINGS: Table = &[
    ("TELEGRAM_BOT_TOKEN", ""),
    ("TELEGRAM_API_URL", "https://api.telegram.org"),
    ("TELEGRAM_WEBHOOK_URL", ""),
    ("TELEGRAM_WEBHOOK_SECRET", ""),
    ("WEBHOOK_ADDR", "0.0.0.0:8443"),
];

fn http_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|err| format!("not a URL ({err}): {text}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        _ => Err(format!("must start with http:// or https://, found {text}")),
    }
}

impl TelegramConfig {
    /// The configuration from `settings` (see [`SETTINGS`]); `None` without a token.
    pub fn from_settings(settings: &Settings) -> Result<Option<TelegramConfig>, SettingError> {
        let api_url = settings.parse("TELEGRAM_API_URL", http_url)?;
        let webhook = match settings.optional("TELEGRAM_WEBHOOK_URL") {
            None => None,
            Some(url) => {
                let url = http_url(url).map_err(|problem| invalid("TELEGRAM_WEBHOOK_URL", problem))?;
                let secret = settings.required("TELEGRAM_WEBHOOK_SECRET", "a secret for webhook mode")?;
                if !valid_secret(secret) {
                    return Err(invalid("TELEGRAM_WEBHOOK_SECRET", "must be 1-256 characters of A-Z a-z 0-9 _ -"));
                }
                let addr = settings.parse("WEBHOOK_ADDR", |text| {
                    text.parse().map_err(|_| format!("not an address like 0.0.0.0:8443: {text}"))
                })?;
                Some(WebhookConfig { url, secret: SecretString::from(secret), addr })
            }
        };
        Ok(settings.optional("TELEGRAM_BOT_TOKEN").map(|token| TelegramConfig {
            token: SecretString::from(token),
            api_url,
            poll_timeout: Duration::from_secs(10),
            live_drafts: false,
            webhook,
        }))
    }
}

/// What the health check reads about the Telegram side.
#[derive(Debug, Default)]
pub struct TelegramStatus {
    /// Unix milliseconds of the last update received (0: none yet).
    pub last_update_ms: AtomicU64,
    /// Unix milliseconds of the last polling error (0: none).
    pub last_poll_error_ms: AtomicU64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Asks the Bot API who the bot is: `Ok(username)` when Telegram answers.
pub async fn probe(config: &TelegramConfig) -> Result<String, RequestError> {
    let bot = Bot::new(config.token.expose_secret()).set_api_url(config.api_url.clone());
    Ok(bot.get_me().await?.username().to_owned())
}

/// Records polling errors for the health check, and logs them.
struct PollErrors(Arc<TelegramStatus>);

impl teloxide::error_handlers::ErrorHandler<RequestError> for PollErrors {
    fn handle_error(self: Arc<Self>, error: RequestError) -> futures::future::BoxFuture<'static, ()> {
        self.0.last_poll_error_ms.store(now_ms(), Ordering::Relaxed);
        tracing::warn!(error = %error, "polling failed");
        Box::pin(async {})
    }
}

/// Why the adapter could not run.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// `getMe` failed: a wrong token, or the Bot API is unreachable.
    #[error("Telegram did not accept the bot token or could not be reached: {0}")]
    Start(RequestError),
    /// `setWebhook` failed: Telegram refused the URL or the secret.
    #[error("Telegram refused the webhook: {0}")]
    Webhook(RequestError),
    /// The webhook's address could not be bound.
    #[error("WEBHOOK_ADDR {0}: {1}")]
    Listen(std::net::SocketAddr, std::io::Error),
}

/// What the adapter needs when several instances serve one bot: who may
/// poll, and which instance handles which update. Without one, this
/// instance polls and handles everything.
pub trait Cluster: Send + Sync + 'static {
    /// Whether this instance may poll now (Telegram lets one poller in at a
    /// time); it changes when the lease is won or lost.
    fn leader(&self) -> watch::Receiver<bool>;
    /// Claims update `id` as it arrives, keeping `update` (its JSON) until
    /// [`Cluster::end`] so another instance can answer it if this one dies.
    /// False when another instance has it, or answered it already. The
    /// next `getUpdates`, which tells Telegram the update arrived, is made
    /// only after every update of the last batch was claimed.
    fn begin(&self, id: u32, update: Vec<u8>) -> BoxFuture<'_, bool>;
    /// Update `id` was answered.
    fn end(&self, id: u32) -> BoxFuture<'_, ()>;
    /// The JSON of updates that an instance claimed and died before
    /// answering, claimed for this one now.
    fn orphans(&self) -> BoxFuture<'_, Vec<Vec<u8>>>;
}

/// How often an instance looks for updates a dead instance left unanswered.
const RESCUE_EVERY: Duration = Duration::from_secs(3);

/// Runs the bot until `shutdown` is cancelled: checks the token with `getMe`,
/// sets the command menu, then long-polls (while `cluster` says this
/// instance may) or, in webhook mode, serves the webhook with `routes`
/// (the ops routes) beside it, and answers each update through `service`.
/// Updates of one chat are handled in order; chats in parallel.
pub async fn run(
    config: TelegramConfig,
    service: MuseService,
    status: Arc<TelegramStatus>,
    waits: Option<WaitEstimate>,
    cluster: Option<Arc<dyn Cluster>>,
    routes: Option<axum::Router>,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let bot = Bot::new(config.token.expose_secret()).set_api_url(config.api_url.clone());
    let live = Live(config.live_drafts.then(|| LiveDrafts::new(bot.clone())));
    let bot: Tg = bot.throttle(Limits::default());
    let me = bot.get_me().await.map_err(TelegramError::Start)?;
    tracing::info!(username = %me.username(), "connected to Telegram");
    set_menus(&bot).await;
    let handler = Handler { bot: bot.clone(), service, status: status.clone(), waits: Waits(waits), live, cluster };
    let answer = handler.clone();
    let lanes = Lanes::new(IN_MEMORY, Arc::new(move |update| Box::pin(answer.clone().handle(update))));
    if let Some(cluster) = &handler.cluster {
        tokio::spawn(rescue(lanes.clone(), cluster.clone(), shutdown.clone()));
    }
    if let Some(webhook) = config.webhook.clone() {
        return serve_webhook(webhook, handler, lanes, routes.unwrap_or_default(), shutdown).await;
    }
    let mut leader = handler.cluster.as_ref().map(|cluster| cluster.leader());
    loop {
        if let Some(leader) = &mut leader {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                led = leader.wait_for(|lead| *lead) => if led.is_err() { return Ok(()) },
            }
            tracing::info!("this instance polls Telegram now");
        }
        poll(&config, handler.clone(), lanes.clone(), leader.clone(), shutdown.clone()).await?;
        if shutdown.is_cancelled() {
            return Ok(());
        }
        tracing::warn!("lost the polling lease; another instance polls now");
    }
}

/// Long-polls until `shutdown`, or until `leader` says another instance
/// polls now.
async fn poll(
    config: &TelegramConfig,
    handler: Handler,
    lanes: Arc<Lanes<Update>>,
    leader: Option<watch::Receiver<bool>>,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let (bot, status, cluster) = (handler.bot.clone(), handler.status.clone(), handler.cluster.clone());
    let mut dispatcher = dispatcher(bot.clone(), lanes.clone());
    let token = dispatcher.shutdown_token();
    let stopper = tokio::spawn(async move {
        let lost = async {
            match leader {
                Some(mut leader) => {
                    let _ = leader.wait_for(|lead| !*lead).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = lost => {}
        }
        // Idle-shutdown errors mean the dispatcher is not running: nothing to stop.
        if let Ok(done) = token.shutdown() {
            done.await;
        }
    });
    let listener = Polling::builder(bot).timeout(config.poll_timeout).delete_webhook().await.build();
    let errors = Arc::new(PollErrors(status));
    let result = match cluster {
        Some(cluster) => {
            let claiming = StatefulListener::new((listener, cluster), claimed_updates, |state: &mut Claiming| {
                state.0.stop_token()
            });
            dispatcher.try_dispatch_with_listener(claiming, errors).await
        }
        None => dispatcher.try_dispatch_with_listener(listener, errors).await,
    };
    let result = result.map_err(TelegramError::Start);
    stopper.abort();
    lanes.drained().await;
    result
}

/// How many updates the webhook queues before Telegram's requests wait.
const WEBHOOK_QUEUE: usize = 1024;

/// Registers the webhook and answers what arrives until `shutdown`. The
/// webhook is not deleted at the end: other instances may still serve it.
async fn serve_webhook(
    webhook: WebhookConfig,
    handler: Handler,
    lanes: Arc<Lanes<Update>>,
    routes: axum::Router,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let bot = handler.bot.clone();
    bot.set_webhook(webhook.url.clone())
        .secret_token(webhook.secret.expose_secret())
        .allowed_updates(crate::webhook::ALLOWED)
        .await
        .map_err(TelegramError::Webhook)?;
    let (updates, inbox) = mpsc::channel(WEBHOOK_QUEUE);
    let route =
        crate::webhook::Inbox { secret: Arc::new(webhook.secret.clone()), cluster: handler.cluster.clone(), updates };
    let app = crate::webhook::router(webhook.url.path(), route).merge(routes);
    let socket =
        tokio::net::TcpListener::bind(webhook.addr).await.map_err(|err| TelegramError::Listen(webhook.addr, err))?;
    tracing::info!(addr = %webhook.addr, path = webhook.url.path(), "webhook listening");
    // The ops routes limit each client IP: the server hands them the peer address.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(socket, app).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let server = tokio::spawn(async move {
        if let Err(err) = server.await {
            tracing::error!(error = %err, "the webhook server failed");
        }
    });
    let stream: Pin<Box<dyn Stream<Item = Result<Update, Infallible>> + Send>> =
        Box::pin(futures::stream::unfold(inbox, |mut inbox| async move {
            inbox.recv().await.map(|update| (Ok(update), inbox))
        }));
    let (stop_token, _stop_flag) = teloxide::stop::mk_stop_token();
    let listener = StatefulListener::new((stream, stop_token), inbound, |state: &mut Inbound| state.1.clone());
    let mut dispatcher = dispatcher(bot, lanes.clone());
    let token = dispatcher.shutdown_token();
    // The server stops taking updates first; the dispatcher then answers
    // those queued (the queue ends when the server is gone) and stops.
    let stopper = tokio::spawn(async move {
        shutdown.cancelled().await;
        let _ = server.await;
        if let Ok(done) = token.shutdown() {
            done.await;
        }
    });
    dispatcher.dispatch_with_listener(listener, LoggingErrorHandler::new()).await;
    stopper.abort();
    lanes.drained().await;
    Ok(())
}

/// The webhook's queue, and the listener's stop token.
type Inbound = (Pin<Box<dyn Stream<Item = Result<Update, Infallible>> + Send>>, teloxide::stop::StopToken);

fn inbound(state: &mut Inbound) -> &mut Pin<Box<dyn Stream<Item = Result<Update, Infallible>> + Send>> {
    &mut state.0
}

/// The dispatcher of updates to `lanes`: one chat's updates in order,
/// chats in parallel.
fn dispatcher(bot: Tg, lanes: Arc<Lanes<Update>>) -> Dispatcher<Tg, Infallible, i64> {
    let tree = dptree::endpoint(|update: Update, lanes: Arc<Lanes<Update>>| async move {
        lanes.submit(update.chat().map(|chat| chat.id.0), update).await;
        Ok::<(), Infallible>(())
    });
    Dispatcher::builder(bot, tree)
        .dependencies(dptree::deps![lanes])
        // One worker hands every update to its chat's lane, in the order
        // they arrive, and waits only while the lanes are full. (A worker
        // per chat costs a queue block of 32 updates, about 60 KiB, per
        // chat; workers shared by chats would make one chat's backlog
        // delay the others.)
        .distribution_function(|_| Some(0))
        .build()
}

/// The polling listener and the cluster its updates are claimed in.
type Claiming = (Polling<Tg>, Arc<dyn Cluster>);

/// The updates of `state`'s polling that this instance claimed: each is
/// claimed before the stream is asked for the next, so Telegram hears the
/// batch arrived (the next `getUpdates`) only once all of it is claimed.
fn claimed_updates(state: &mut Claiming) -> impl Stream<Item = Result<Update, RequestError>> + Send + '_ {
    let (polling, cluster) = state;
    let cluster = cluster.clone();
    polling.as_stream().filter_map(move |result| {
        let cluster = cluster.clone();
        async move {
            let update = match result {
                Ok(update) => update,
                Err(err) => return Some(Err(err)),
            };
            let json = serde_json::to_vec(&update).unwrap_or_default();
            if cluster.begin(update.id.0, json).await {
                Some(Ok(update))
            } else {
                tracing::debug!(update = update.id.0, "another instance has this update");
                None
            }
        }
    })
}

/// Every few seconds, answers what dead instances left unanswered.
async fn rescue(lanes: Arc<Lanes<Update>>, cluster: Arc<dyn Cluster>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(RESCUE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        for json in cluster.orphans().await {
            // From bytes, not a Value: from_value yields UpdateKind::Error.
            let update = match serde_json::from_slice::<Update>(&json) {
                Ok(update) if !matches!(update.kind, UpdateKind::Error(_)) => update,
                _ => {
                    tracing::error!("an update another instance left unanswered does not parse; dropped");
                    continue;
                }
            };
            tracing::warn!(update = update.id.0, "answering an update another instance left unanswered");
            lanes.submit(update.chat().map(|chat| chat.id.0), update).await;
        }
    }
}

/// What handling an update needs.
#[derive(Clone)]
struct Handler {
    bot: Tg,
    service: MuseService,
    status: Arc<TelegramStatus>,
    waits: Waits,
    live: Live,
    cluster: Option<Arc<dyn Cluster>>,
}

impl Handler {
    /// Answers an update (this instance holds its claim, with a cluster),
    /// and says it was answered.
    async fn handle(self, update: Update) {
        let id = update.id;
        self.status.last_update_ms.store(now_ms(), Ordering::Relaxed);
        let cluster = self.cluster.clone();
        match update.kind {
            UpdateKind::Message(message) => self.on_message(message).await,
            UpdateKind::CallbackQuery(query) => self.on_callback(query).await,
            _ => {}
        }
        if let Some(cluster) = cluster {
            cluster.end(id.0).await;
        }
    }
}

/// The command menu in each interface language: English as the default,
/// and one per language for clients set to it.
async fn set_menus(bot: &Tg) {
    for ui in Ui::ALL {
        let commands: Vec<BotCommand> = MENU
            .iter()
            .filter(|entry| entry.open)
            .map(|entry| BotCommand::new(entry.name, entry.description(ui)))
            .collect();
        let mut request = bot.set_my_commands(commands);
        if ui != Ui::En {
            request = request.language_code(ui.code());
        }
        if let Err(err) = request.await {
            tracing::warn!(error = %err, lang = ui.code(), "could not set the command menu");
        }
    }
}

/// How long a user's request will wait for a model slot, if it is waiting
/// for one now.
pub type WaitEstimate = Arc<dyn Fn(u64) -> Option<Duration> + Send + Sync>;

/// The [`WaitEstimate`], as the dispatcher hands it to handlers.
#[derive(Clone)]
struct Waits(Option<WaitEstimate>);

/// Live drafting, when it is on.
#[derive(Clone)]
struct Live(Option<Arc<LiveDrafts>>);

impl Handler {
    async fn on_message(self, message: Message) {
        let Some(user) = message.from.as_ref() else {
            return; // channel posts and anonymous admins: nobody to answer
        };
        let input = match message.text() {
            Some(text) => Input::Text(text.to_owned()),
            None => Input::NonText,
        };
        let request = Request::new(user.id.0, user.language_code.clone(), input);
        let live = self.live.0.filter(|_| message.chat.is_private());
        answer(&self.bot, message.chat.id, request, self.service, self.waits, live).await;
    }

    async fn on_callback(self, query: CallbackQuery) {
        // Stop the button's spinner first; the drafts follow.
        if let Err(err) = self.bot.answer_callback_query(query.id.clone()).await {
            tracing::warn!(error = %err, "could not answer a button press");
        }
        let (Some(data), Some(message)) = (query.data, query.message) else {
            return;
        };
        let chat = match message {
            MaybeInaccessibleMessage::Regular(message) => message.chat,
            MaybeInaccessibleMessage::Inaccessible(message) => message.chat,
        };
        let request = Request::new(query.from.id.0, query.from.language_code, Input::Button(data));
        let live = self.live.0.filter(|_| chat.is_private());
        answer(&self.bot, chat.id, request, self.service, self.waits, live).await;
    }
}

/// Shows the reply in the making (a live draft of the model's text so far
/// in a private chat where live drafting is on, "typing…" elsewhere) and,
/// when it waits for a model slot, one notice with an estimate; then sends it.
async fn answer(
    bot: &Tg,
    chat: ChatId,
    mut request: Request,
    service: MuseService,
    waits: Waits,
    live: Option<Arc<LiveDrafts>>,
) {
    let ui = request.ui();
    let (typing, drafting) = match live {
        Some(live) => {
            let (preview, drafting) = live.start(chat, ui.say(muse_domain::text::WRITING));
            request = request.with_preview(preview);
            (None, Some(drafting))
        }
        None => (Some(tokio::spawn(typing(bot.clone(), chat))), None),
    };
    let notice = waits.0.map(|estimate| tokio::spawn(queue_notice(bot.clone(), chat, ui, request.user, estimate)));
    let reply = service.oneshot(request).await;
    if let Some(typing) = typing {
        typing.abort();
    }
    if let Some(notice) = notice {
        notice.abort();
    }
    if let Some(drafting) = drafting {
        drafting.finish().await;
    }
    let Ok(reply) = reply;
    send(bot, chat, &reply).await;
}

/// A request still waiting for a model slot after this long gets one notice.
const NOTICE_AFTER: Duration = Duration::from_secs(3);

/// One short notice, with an estimate, for a request waiting for a model slot.
async fn queue_notice(bot: Tg, chat: ChatId, ui: Ui, user: u64, estimate: WaitEstimate) {
    tokio::time::sleep(NOTICE_AFTER).await;
    if let Some(wait) = estimate(user)
        && let Err(err) = bot.send_message(chat, muse_domain::text::queue_notice(ui, wait)).await
    {
        tracing::debug!(error = %err, "the queue notice failed");
    }
}

/// Updates held in memory at most, waiting in their chat's lane or being
/// answered (each answer in progress takes about 13 KiB); past it the next
/// are taken from Telegram only as these are answered.
const IN_MEMORY: u32 = 256;

/// Replies that take longer than this get a "typing…" action; instant
/// ones (`/help`, settings) do not spend a request on it.
const TYPING_AFTER: Duration = Duration::from_millis(300);

/// Telegram shows a chat action for about 5 seconds; renew it until aborted.
async fn typing(bot: Tg, chat: ChatId) {
    tokio::time::sleep(TYPING_AFTER).await;
    let mut tick = tokio::time::interval(Duration::from_secs(4));
    loop {
        tick.tick().await;
        if let Err(err) = bot.send_chat_action(chat, ChatAction::Typing).await {
            tracing::debug!(error = %err, "typing action failed");
            return;
        }
    }
}

async fn send(bot: &Tg, chat: ChatId, reply: &Reply) {
    for part in &reply.parts {
        if let Part::File { name, content } = part {
            let file = InputFile::memory(content.clone()).file_name(name.clone());
            if let Err(err) = bot.send_document(chat, file).await {
                tracing::warn!(chat = chat.0, error = %err, "sending a file failed");
            }
        }
    }
    let messages = render(reply, MAX_MESSAGE_LEN);
    let last = messages.len().saturating_sub(1);
    let keyboard = Arc::new(keyboard(reply));
    for (i, html) in messages.into_iter().enumerate() {
        let mut request = bot.send_message(chat, html).parse_mode(ParseMode::Html);
        if i == last
            && let Some(keyboard) = keyboard.as_ref()
        {
            request = request.reply_markup(keyboard.clone());
        }
        if let Err(err) = send_with_retry(request).await {
            tracing::warn!(chat = chat.0, error = %err, "sending a reply failed");
            return;
        }
    }
}

/// Attempts for one message when the Bot API fails on its side.
const SEND_ATTEMPTS: u32 = 3;

/// Sends one message. Throttle already waits out `retry_after`; a Bot API
/// 5xx (after teloxide's own 10 s pause) or a refused connection means the
/// message was not taken, so it is sent again, twice at most. Errors that
/// may mean it was delivered (a timeout mid-request) are not retried, so a
/// reply is never sent twice.
async fn send_with_retry<R>(request: R) -> Result<Message, RequestError>
where
    R: teloxide::requests::Request<Payload = teloxide::payloads::SendMessage, Err = RequestError> + Clone,
{
    let mut attempt = 1;
    loop {
        match request.clone().send().await {
            Err(err) if attempt < SEND_ATTEMPTS && not_taken(&err) => {
                tracing::warn!(error = %err, attempt, "the Bot API did not take a reply; sending it again");
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// The Bot API's server errors carry only a description (teloxide keeps no
/// status code); these are the ones Telegram and its proxies send for 5xx.
const SERVER_ERRORS: &[&str] = &["Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout"];

fn not_taken(err: &RequestError) -> bool {
    match err {
        RequestError::Api(teloxide::ApiError::Unknown(description)) => {
            SERVER_ERRORS.iter().any(|known| description.starts_with(known))
        }
        RequestError::Network(err) => err.is_connect(),
        _ => false,
    }
}

fn keyboard(reply: &Reply) -> Option<InlineKeyboardMarkup> {
    if reply.buttons.is_empty() {
        return None;
    }
    let button = |b: &muse_domain::Button| match &b.press {
        Press::Callback(data) => InlineKeyboardButton::callback(b.label.clone(), data.clone()),
        Press::Copy(text) => {
            InlineKeyboardButton::copy_text_button(b.label.clone(), CopyTextButton { text: text.clone() })
        }
    };
    Some(InlineKeyboardMarkup::new(reply.buttons.iter().map(|row| row.iter().map(button).collect::<Vec<_>>())))
}
