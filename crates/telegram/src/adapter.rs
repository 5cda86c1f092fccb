//! Long polling, updates into [`Request`]s, replies out.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use muse_domain::settings::{SettingError, Settings, Table};
use muse_domain::{Input, MENU, Part, Press, Reply, Request, Ui};
use secrecy::{ExposeSecret, SecretString};
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, ChatAction, CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
    MaybeInaccessibleMessage, ParseMode,
};
use teloxide::update_listeners::Polling;
use teloxide::{RequestError, dptree};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use crate::draft::LiveDrafts;
use crate::render::{MAX_MESSAGE_LEN, render};

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
}

/// The settings the adapter reads, with their defaults.
pub const SETTINGS: Table = &[("TELEGRAM_BOT_TOKEN", ""), ("TELEGRAM_API_URL", "https://api.telegram.org")];

impl TelegramConfig {
    /// The configuration from `settings` (see [`SETTINGS`]); `None` without a token.
    pub fn from_settings(settings: &Settings) -> Result<Option<TelegramConfig>, SettingError> {
        let api_url = settings.parse("TELEGRAM_API_URL", |text| {
            let url = url::Url::parse(text).map_err(|err| format!("not a URL ({err}): {text}"))?;
            match url.scheme() {
                "http" | "https" => Ok(url),
                _ => Err(format!("must start with http:// or https://, found {text}")),
            }
        })?;
        Ok(settings.optional("TELEGRAM_BOT_TOKEN").map(|token| TelegramConfig {
            token: SecretString::from(token),
            api_url,
            poll_timeout: Duration::from_secs(10),
            live_drafts: false,
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
}

/// Runs the bot until `shutdown` is cancelled: checks the token with `getMe`,
/// sets the command menu, then long-polls and answers each update through
/// `service`. Updates of one chat are handled in order; chats in parallel.
pub async fn run(
    config: TelegramConfig,
    service: MuseService,
    status: Arc<TelegramStatus>,
    waits: Option<WaitEstimate>,
    shutdown: CancellationToken,
) -> Result<(), TelegramError> {
    let bot = Bot::new(config.token.expose_secret()).set_api_url(config.api_url);
    let live = Live(config.live_drafts.then(|| LiveDrafts::new(bot.clone())));
    let bot: Tg = bot.throttle(Limits::default());
    let me = bot.get_me().await.map_err(TelegramError::Start)?;
    tracing::info!(username = %me.username(), "connected to Telegram");
    set_menus(&bot).await;

    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback));
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler)
        .dependencies(dptree::deps![service, status.clone(), Waits(waits), live])
        .default_handler(|_| async {})
        // One worker per chat costs a queue block of 32 updates per chat: at
        // thousands of chats, tens of MiB. Chats are spread over a fixed set
        // of workers instead; a chat always lands on the same one, so its
        // updates stay in order.
        .distribution_function(|update| update.chat().map(|chat| chat.id.0.rem_euclid(WORKERS)))
        .build();
    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        // Idle-shutdown errors mean the dispatcher is not running: nothing to stop.
        if let Ok(done) = token.shutdown() {
            done.await;
        }
    });
    let listener = Polling::builder(bot).timeout(config.poll_timeout).delete_webhook().await.build();
    let errors = Arc::new(PollErrors(status));
    dispatcher.try_dispatch_with_listener(listener, errors).await.map_err(TelegramError::Start)?;
    Ok(())
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

async fn on_message(
    bot: Tg,
    message: Message,
    service: MuseService,
    status: Arc<TelegramStatus>,
    waits: Waits,
    live: Live,
) -> Result<(), Infallible> {
    status.last_update_ms.store(now_ms(), Ordering::Relaxed);
    let Some(user) = message.from.as_ref() else {
        return Ok(()); // channel posts and anonymous admins: nobody to answer
    };
    let input = match message.text() {
        Some(text) => Input::Text(text.to_owned()),
        None => Input::NonText,
    };
    let request = Request::new(user.id.0, user.language_code.clone(), input);
    let live = live.0.filter(|_| message.chat.is_private());
    answer(&bot, message.chat.id, request, service, waits, live).await;
    Ok(())
}

async fn on_callback(
    bot: Tg,
    query: CallbackQuery,
    service: MuseService,
    status: Arc<TelegramStatus>,
    waits: Waits,
    live: Live,
) -> Result<(), Infallible> {
    status.last_update_ms.store(now_ms(), Ordering::Relaxed);
    // Stop the button's spinner first; the drafts follow.
    if let Err(err) = bot.answer_callback_query(query.id.clone()).await {
        tracing::warn!(error = %err, "could not answer a button press");
    }
    let (Some(data), Some(message)) = (query.data, query.message) else {
        return Ok(());
    };
    let chat = match message {
        MaybeInaccessibleMessage::Regular(message) => message.chat,
        MaybeInaccessibleMessage::Inaccessible(message) => message.chat,
    };
    let request = Request::new(query.from.id.0, query.from.language_code, Input::Button(data));
    let live = live.0.filter(|_| chat.is_private());
    answer(&bot, chat.id, request, service, waits, live).await;
    Ok(())
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

/// Workers handling updates; a worker takes one update at a time.
const WORKERS: i64 = 256;

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
