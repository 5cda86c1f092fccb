//! A fake Telegram Bot API.
//!
//! Serves `/bot<token>/<method>` on 127.0.0.1 with method names matched
//! case-insensitively (teloxide calls `SendMessage`, the docs say
//! `sendMessage`), JSON and form bodies, a real long poll for `getUpdates`,
//! and complete `Message` and `Me` objects. Tests inject updates, wait for
//! the bot's calls, and make the next calls fail.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::Server;

/// The fake bot's user id, as `getMe` reports it.
pub const BOT_ID: u64 = 7_000_000_001;
/// The fake bot's username.
pub const BOT_USERNAME: &str = "muse_test_bot";

/// One request the bot made.
#[derive(Clone, Debug)]
pub struct Call {
    /// The method, lowercased (`sendmessage`).
    pub method: String,
    /// The token from the URL.
    pub token: String,
    /// The parameters, from a JSON or form body.
    pub params: Value,
    /// The fault injected into this call, if any (it then had no effect).
    pub fault: Option<Fault>,
    /// When it arrived.
    pub at: Instant,
}

impl Call {
    /// A string parameter, such as `text` or `parse_mode`.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    /// Whether this call went through (no fault injected).
    pub fn succeeded(&self) -> bool {
        self.fault.is_none()
    }
}

/// A failure to inject into the bot's next calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `parameters.retry_after` in seconds, as Telegram sends it.
    RetryAfter(u32),
    /// A server error with this status (500, 502, ...).
    Server(u16),
    /// Answer normally, but only after this delay.
    Delay(Duration),
    /// 400 with this description, as Telegram refuses a request it will
    /// never accept (a wrong parameter, a method not allowed here).
    Refused(String),
}

struct PlannedFault {
    method: Option<String>,
    fault: Fault,
}

#[derive(Default)]
struct Recorded {
    updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    faults: VecDeque<PlannedFault>,
    /// Users whose client is not in English: their `language_code`.
    langs: std::collections::HashMap<u64, String>,
    /// The number of the latest `getUpdates`: an older one still waiting
    /// is ended with 409 Conflict, as Telegram ends it.
    poller: u64,
    /// `getUpdates` requests ended that way.
    conflicts: u64,
    /// The webhook set with `setWebhook`: its URL and secret token.
    webhook: Option<(String, String)>,
    /// Updates waiting to be posted to the webhook.
    outbox: VecDeque<Value>,
    /// What webhook deliveries saw.
    deliveries: webhook::Deliveries,
}

#[derive(Default)]
struct Shared {
    state: Mutex<Recorded>,
    new_update: Notify,
    new_call: Notify,
    new_outbox: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Recorded> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `user` as a `User` object, with their client's language.
    fn fan(&self, user: u64) -> Value {
        let lang = self.lock().langs.get(&user).cloned().unwrap_or_else(|| "en".to_owned());
        json!({ "id": user, "is_bot": false, "first_name": "Tester", "language_code": lang })
    }

    fn inject_text(&self, user: u64, text: &str) -> i64 {
        let from = self.fan(user);
        let entities = match text.split_whitespace().next() {
            Some(word) if word.starts_with('/') => {
                json!([{ "type": "bot_command", "offset": 0, "length": word.encode_utf16().count() }])
            }
            _ => json!([]),
        };
        self.inject(|message_id| {
            json!({ "message": {
                "message_id": message_id, "date": now(), "chat": private_chat(user),
                "from": from, "text": text, "entities": entities,
            }})
        })
    }

    /// Queues an update built around a fresh message id; returns its update id.
    fn inject(&self, make: impl FnOnce(i64) -> Value) -> i64 {
        let mut state = self.lock();
        state.next_update_id += 1;
        state.next_message_id += 1;
        let update_id = state.next_update_id;
        let mut update = make(state.next_message_id);
        update["update_id"] = json!(update_id);
        if state.webhook.is_some() {
            state.outbox.push_back(update);
            drop(state);
            self.new_outbox.notify_one();
        } else {
            state.updates.push_back((update_id, update));
            drop(state);
            self.new_update.notify_waiters();
        }
        update_id
    }
}

/// A running fake Bot API. Dropping it stops the server.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    server: Server,
}

impl FakeTelegram {
    /// Starts a fake on 127.0.0.1 on a free port.
    pub async fn spawn() -> anyhow::Result<FakeTelegram> {
        FakeTelegram::spawn_on("127.0.0.1:0".parse()?).await
    }

    /// Starts a fake on the given address.
    pub async fn spawn_on(addr: SocketAddr) -> anyhow::Result<FakeTelegram> {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/_control/text", post(control_text))
            .route("/_control/calls", get(control_calls))
            .route("/{bot}/{method}", any(handle))
            .with_state(shared.clone());
        let server = Server::start(TcpListener::bind(addr).await?, app)?;
        tokio::spawn(webhook::deliver(Arc::downgrade(&shared)));
        Ok(FakeTelegram { shared, server })
    }

    /// The base URL, for `TELEGRAM_API_URL` or teloxide's `set_api_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Makes `user`'s client report `code` as its `language_code` (default `en`).
    pub fn set_language(&self, user: u64, code: &str) {
        self.shared.lock().langs.insert(user, code.to_owned());
    }

    /// Queues a text message (or command) from a private chat with `user`.
    /// Returns its update id.
    pub fn inject_text(&self, user: u64, text: &str) -> i64 {
        self.shared.inject_text(user, text)
    }

    /// Queues a photo with no caption from `user`: something that is not text.
    pub fn inject_photo(&self, user: u64) -> i64 {
        let from = self.shared.fan(user);
        self.shared.inject(|message_id| {
            json!({ "message": {
                "message_id": message_id, "date": now(), "chat": private_chat(user), "from": from,
                "photo": [{ "file_id": "photo-1", "file_unique_id": "u-photo-1", "width": 90, "height": 90 }],
            }})
        })
    }

    /// Queues a press on an inline button with `data`, under the bot's
    /// message `message_id`.
    pub fn inject_callback(&self, user: u64, data: &str, message_id: i64) -> i64 {
        let from = self.shared.fan(user);
        self.shared.inject(|update_id| {
            json!({ "callback_query": {
                "id": format!("cb-{update_id}"), "from": from, "chat_instance": format!("ci-{user}"), "data": data,
                "message": {
                    "message_id": message_id, "date": now(), "chat": private_chat(user), "from": bot_user(), "text": "drafts",
                },
            }})
        })
    }

    /// Makes the next `count` calls of any method but `getUpdates` fail.
    pub fn fail_next(&self, count: usize, fault: Fault) {
        self.plan(None, count, fault);
    }

    /// Makes the next `count` calls of `method` (any case) fail.
    pub fn fail_next_method(&self, method: &str, count: usize, fault: Fault) {
        self.plan(Some(method.to_lowercase()), count, fault);
    }

    fn plan(&self, method: Option<String>, count: usize, fault: Fault) {
        let mut state = self.shared.lock();
        for _ in 0..count {
            state.faults.push_back(PlannedFault { method: method.clone(), fault: fault.clone() });
        }
    }

    /// Every call recorded so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// How many calls have been recorded: a mark for [`FakeTelegram::wait_calls`].
    pub fn mark(&self) -> usize {
        self.shared.lock().calls.len()
    }

    /// The successful calls of `method` (any case) made after `since`.
    pub fn calls_since(&self, since: usize, method: &str) -> Vec<Call> {
        let method = method.to_lowercase();
        let state = self.shared.lock();
        state.calls.iter().skip(since).filter(|c| c.method == method && c.succeeded()).cloned().collect()
    }

    /// Waits until `count` successful calls of `method` arrived after `since`,
    /// and returns them; an error after `timeout` says how many came.
    pub async fn wait_calls(
        &self,
        since: usize,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Call>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.new_call.notified();
            let calls = self.calls_since(since, method);
            if calls.len() >= count {
                return Ok(calls);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                anyhow::bail!("waited {timeout:?} for {count} {method} calls, got {}", calls.len());
            }
        }
    }

    /// The webhook's URL, once `setWebhook` set one.
    pub fn webhook_url(&self) -> Option<String> {
        self.shared.lock().webhook.as_ref().map(|(url, _)| url.clone())
    }

    /// What webhook deliveries have seen so far.
    pub fn deliveries(&self) -> webhook::Deliveries {
        self.shared.lock().deliveries.clone()
    }

    /// How many `getUpdates` requests were ended by a newer one (409
    /// Conflict): more than one instance polling at once.
    pub fn poll_conflicts(&self) -> u64 {
        self.shared.lock().conflicts
    }

    /// The texts of successful `sendMessage` calls after `since`.
    pub fn sent_texts(&self, since: usize) -> Vec<String> {
        self.calls_since(since, "sendMessage").iter().filter_map(|c| c.str("text").map(str::to_owned)).collect()
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn private_chat(id: u64) -> Value {
    json!({ "id": id, "type": "private", "first_name": "Tester" })
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "Muse", "username": BOT_USERNAME })
}

fn me() -> Value {
    let mut me = bot_user();
    for (key, value) in [
        ("can_join_groups", true),
        ("can_read_all_group_messages", false),
        ("supports_inline_queries", false),
        ("can_connect_to_business", false),
        ("has_main_web_app", false),
    ] {
        me[key] = json!(value);
    }
    me
}

fn ok(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn error(status: StatusCode, description: &str, retry_after: Option<u32>) -> Response {
    let mut body = json!({ "ok": false, "error_code": status.as_u16(), "description": description });
    if let Some(seconds) = retry_after {
        body["parameters"] = json!({ "retry_after": seconds });
    }
    (status, axum::Json(body)).into_response()
}

fn parse_params(headers: &HeaderMap, body: &Bytes) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|err| format!("Bad Request: can't parse form: {err}"))?;
        // Form values that hold JSON (reply_markup, chat_id) are kept as JSON.
        let map = pairs.into_iter().map(|(k, v)| (k, serde_json::from_str(&v).unwrap_or(Value::String(v)))).collect();
        return Ok(Value::Object(map));
    }
    serde_json::from_slice(body).map_err(|err| format!("Bad Request: can't parse JSON: {err}"))
}

/// Multipart fields as parameters; file fields as their text.
async fn multipart_params(headers: &HeaderMap, body: Bytes) -> Result<Value, String> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or("Bad Request: multipart without a boundary")?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut params = serde_json::Map::new();
    while let Some(field) = form.next_field().await.map_err(|err| format!("Bad Request: {err}"))? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|err| format!("Bad Request: {err}"))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let value = match file_name {
            Some(file_name) => json!({ "file_name": file_name, "content": text }),
            None => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        };
        params.insert(name, value);
    }
    // `"document": "attach://<field>"` names the field holding the file.
    let attached: Vec<(String, String)> = params
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.strip_prefix("attach://")?.to_owned())))
        .collect();
    for (key, field) in attached {
        if let Some(file) = params.remove(&field) {
            params.insert(key, file);
        }
    }
    Ok(Value::Object(params))
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = bot.strip_prefix("bot") else {
        return error(StatusCode::NOT_FOUND, "Not Found", None);
    };
    let method = method.to_lowercase();
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let params = if multipart { multipart_params(&headers, body).await } else { parse_params(&headers, &body) };
    let params = match params {
        Ok(params) => params,
        Err(description) => return error(StatusCode::BAD_REQUEST, &description, None),
    };
    let fault = {
        let mut state = shared.lock();
        let index = state.faults.iter().position(|planned| match &planned.method {
            Some(target) => *target == method,
            None => method != "getupdates",
        });
        let fault = index.and_then(|i| state.faults.remove(i)).map(|planned| planned.fault);
        let recorded = match &fault {
            Some(Fault::Delay(_)) | None => None,
            Some(fault) => Some(fault.clone()),
        };
        state.calls.push(Call {
            method: method.clone(),
            token: token.to_owned(),
            params: params.clone(),
            fault: recorded,
            at: Instant::now(),
        });
        fault
    };
    shared.new_call.notify_waiters();
    match fault {
        Some(Fault::RetryAfter(seconds)) => {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too Many Requests: retry after {seconds}"),
                Some(seconds),
            );
        }
        Some(Fault::Server(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error(status, status.canonical_reason().unwrap_or("Internal Server Error"), None);
        }
        Some(Fault::Refused(description)) => return error(StatusCode::BAD_REQUEST, &description, None),
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    answer(&shared, &method, &params).await
}

async fn answer(shared: &Shared, method: &str, params: &Value) -> Response {
    match method {
        "getme" => ok(me()),
        "getwebhookinfo" => {
            let state = shared.lock();
            let url = state.webhook.as_ref().map_or("", |(url, _)| url.as_str()).to_owned();
            ok(json!({ "url": url, "has_custom_certificate": false, "pending_update_count": state.outbox.len() }))
        }
        "setwebhook" => match params.get("url").and_then(Value::as_str) {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                let secret = params.get("secret_token").and_then(Value::as_str).unwrap_or_default().to_owned();
                let mut state = shared.lock();
                state.webhook = Some((url.to_owned(), secret));
                // Updates not yet fetched go to the webhook now.
                let waiting: Vec<Value> = state.updates.drain(..).map(|(_, update)| update).collect();
                state.outbox.extend(waiting);
                drop(state);
                shared.new_outbox.notify_one();
                ok(json!(true))
            }
            _ => error(
                StatusCode::BAD_REQUEST,
                "Bad Request: bad webhook: an HTTPS URL must be provided for webhook",
                None,
            ),
        },
        "deletewebhook" => {
            shared.lock().webhook = None;
            ok(json!(true))
        }
        "setmycommands" | "sendchataction" | "answercallbackquery" | "deletemessage" | "close" => ok(json!(true)),
        "getmycommands" => ok(json!([])),
        "getupdates" => poll(shared, params).await,
        "senddocument" => match params.get("document") {
            Some(document) => {
                let mut message = bot_message(shared, "sendmessage", params, "");
                message.as_object_mut().map(|m| m.remove("text"));
                message["document"] = json!({
                    "file_id": "doc-1", "file_unique_id": "u-doc-1",
                    "file_name": document["file_name"].as_str().unwrap_or("file"),
                });
                ok(message)
            }
            None => error(StatusCode::BAD_REQUEST, "Bad Request: there is no document in the request", None),
        },
        // Bot API 9.3: a live draft in a private chat (ids of private chats are positive).
        "sendmessagedraft" => {
            let chat = params.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let draft = params.get("draft_id").and_then(Value::as_i64).unwrap_or(0);
            let chars = params.get("text").and_then(Value::as_str).map_or(0, |text| text.encode_utf16().count());
            match (chat > 0, draft != 0, (1..=4096).contains(&chars)) {
                (false, ..) => error(StatusCode::BAD_REQUEST, "Bad Request: drafts are for private chats only", None),
                (_, false, _) => error(StatusCode::BAD_REQUEST, "Bad Request: draft_id must be non-zero", None),
                (.., false) => error(StatusCode::BAD_REQUEST, "Bad Request: text must be 1-4096 characters", None),
                _ => ok(json!(true)),
            }
        }
        "sendmessage" | "editmessagetext" => match params.get("text").and_then(Value::as_str) {
            Some(text) if !text.is_empty() => ok(bot_message(shared, method, params, text)),
            _ => error(StatusCode::BAD_REQUEST, "Bad Request: message text is empty", None),
        },
        _ => error(StatusCode::NOT_FOUND, "Not Found: method not found", None),
    }
}

fn bot_message(shared: &Shared, method: &str, params: &Value, text: &str) -> Value {
    let chat_id = params.get("chat_id").and_then(|id| id.as_i64().or_else(|| id.as_str()?.parse().ok())).unwrap_or(0);
    let message_id = if method == "editmessagetext" {
        params.get("message_id").and_then(Value::as_i64).unwrap_or(0)
    } else {
        let mut state = shared.lock();
        state.next_message_id += 1;
        state.next_message_id
    };
    let mut message = json!({
        "message_id": message_id, "date": now(), "chat": { "id": chat_id, "type": "private", "first_name": "Tester" },
        "from": bot_user(), "text": text,
    });
    if let Some(markup) = params.get("reply_markup") {
        message["reply_markup"] = markup.clone();
    }
    message
}

/// `getUpdates` as Telegram does it: confirm everything below `offset`,
/// then answer at once if updates are waiting, or hold the request open
/// for up to `timeout` seconds until one arrives. A second poller ends the
/// first one's wait with 409 Conflict.
async fn poll(shared: &Shared, params: &Value) -> Response {
    let offset = params.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(params.get("timeout").and_then(Value::as_u64).unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    let me = {
        let mut state = shared.lock();
        if state.webhook.is_some() {
            let conflict = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
            return error(StatusCode::CONFLICT, conflict, None);
        }
        state.poller += 1;
        state.poller
    };
    // Wake the one waiting, if any, to find it was replaced.
    shared.new_update.notify_waiters();
    loop {
        let notified = shared.new_update.notified();
        {
            let mut state = shared.lock();
            if state.poller != me {
                state.conflicts += 1;
                let conflict =
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
                return error(StatusCode::CONFLICT, conflict, None);
            }
            while state.updates.front().is_some_and(|(id, _)| *id < offset) {
                state.updates.pop_front();
            }
            let ready: Vec<Value> =
                state.updates.iter().filter(|(id, _)| *id >= offset).take(limit).map(|(_, u)| u.clone()).collect();
            if !ready.is_empty() {
                return ok(Value::Array(ready));
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return ok(json!([]));
        }
    }
}

#[derive(serde::Deserialize)]
struct ControlText {
    user_id: u64,
    text: String,
}

async fn control_text(State(shared): State<Arc<Shared>>, axum::Json(body): axum::Json<ControlText>) -> Response {
    axum::Json(json!({ "update_id": shared.inject_text(body.user_id, &body.text) })).into_response()
}

async fn control_calls(State(shared): State<Arc<Shared>>) -> Response {
    let calls: Vec<Value> = shared
        .lock()
        .calls
        .iter()
        .map(|c| json!({ "method": c.method, "params": c.params, "fault": c.fault.as_ref().map(|f| format!("{f:?}")) }))
        .collect();
    axum::Json(Value::Array(calls)).into_response()
}

#[cfg(test)]
mod tests;
pub mod webhook;
