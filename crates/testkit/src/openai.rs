//! A fake OpenAI-compatible API (`/v1/chat/completions`, `/v1/models`).
//!
//! Replies follow rules (a substring of the last user message, a model
//! name), or echo the last user message. Latency before the first byte and
//! between stream chunks is adjustable, faults can be queued or made
//! permanent, and every request body lands in a journal.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::channel::mpsc;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::Server;

/// Which requests a rule answers.
#[derive(Clone, Debug, Default)]
pub struct Rule {
    contains: Option<String>,
    system_contains: Option<String>,
    model: Option<String>,
    reply: String,
}

impl Rule {
    /// Answers `reply` when the last user message contains `needle`.
    pub fn contains(needle: &str, reply: &str) -> Rule {
        Rule { contains: Some(needle.to_owned()), reply: reply.to_owned(), ..Rule::default() }
    }

    /// Answers `reply` when the system message contains `needle`.
    pub fn system_contains(needle: &str, reply: &str) -> Rule {
        Rule { system_contains: Some(needle.to_owned()), reply: reply.to_owned(), ..Rule::default() }
    }

    /// Answers `reply` to every request for `model`.
    pub fn model(model: &str, reply: &str) -> Rule {
        Rule { model: Some(model.to_owned()), reply: reply.to_owned(), ..Rule::default() }
    }

    /// Answers `reply` to every request. In any rule's reply, `{{system}}`
    /// stands for the request's system message (a model that leaks it).
    pub fn always(reply: &str) -> Rule {
        Rule { reply: reply.to_owned(), ..Rule::default() }
    }

    fn matches(&self, model: &str, last_user: &str, system: &str) -> bool {
        self.contains.as_deref().is_none_or(|needle| last_user.contains(needle))
            && self.system_contains.as_deref().is_none_or(|needle| system.contains(needle))
            && self.model.as_deref().is_none_or(|wanted| wanted == model)
    }
}

/// A failure to inject into chat completion requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An error status with an OpenAI-shaped error body (500, 503, ...).
    Status(u16),
    /// 429 with a `Retry-After` header, in seconds.
    RateLimited {
        /// The header's value.
        retry_after: u32,
    },
    /// Accept the request and never answer.
    Hang,
    /// 200 with a body that is not valid JSON.
    Malformed,
    /// Start answering, then drop the connection mid-body (mid-stream).
    Disconnect,
}

/// One request the client made.
#[derive(Clone, Debug)]
pub struct JournalEntry {
    /// The path, such as `/v1/chat/completions`.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The JSON body (`null` for GET).
    pub body: Value,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl JournalEntry {
    /// The `(role, content)` pairs of a chat request's messages.
    pub fn messages(&self) -> Vec<(String, String)> {
        self.body["messages"]
            .as_array()
            .map(|messages| {
                messages
                    .iter()
                    .map(|m| (m["role"].as_str().unwrap_or_default().to_owned(), content_text(&m["content"])))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The model asked for.
    pub fn model(&self) -> &str {
        self.body["model"].as_str().unwrap_or_default()
    }
}

/// Message content is a string, or an array of text parts.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

#[derive(Default)]
struct Settings {
    rules: Vec<Rule>,
    faults: VecDeque<Fault>,
    down: Option<Fault>,
    down_models: std::collections::HashMap<String, Fault>,
    first_byte: Duration,
    per_chunk: Duration,
    models: Vec<String>,
    journal: Vec<JournalEntry>,
    budget: Option<Budget>,
}

/// A provider's request budget: `requests` per `window`, announced in
/// `x-ratelimit-*` headers as Groq and OpenAI do, and enforced with 429.
struct Budget {
    requests: u32,
    window: Duration,
    started: std::time::Instant,
    used: u32,
    rejected: usize,
}

impl Budget {
    /// Takes one request from the budget: `Ok(remaining)`, or `Err(wait)`
    /// until the window resets; and the time to the reset.
    fn take(&mut self) -> (Result<u32, ()>, Duration) {
        let now = std::time::Instant::now();
        if now.duration_since(self.started) >= self.window {
            (self.started, self.used) = (now, 0);
        }
        let reset = self.window.saturating_sub(now.duration_since(self.started));
        if self.used >= self.requests {
            self.rejected += 1;
            return (Err(()), reset);
        }
        self.used += 1;
        (Ok(self.requests - self.used), reset)
    }
}

/// The `x-ratelimit-*` headers of an answer.
fn budget_headers(response: &mut Response, limit: u32, remaining: u32, reset: Duration) {
    let headers = response.headers_mut();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    };
    put("x-ratelimit-limit-requests", limit.to_string());
    put("x-ratelimit-remaining-requests", remaining.to_string());
    put("x-ratelimit-reset-requests", format!("{:.2}s", reset.as_secs_f64()));
    put("x-ratelimit-limit-tokens", "30000".to_owned());
    put("x-ratelimit-remaining-tokens", "29000".to_owned());
    put("x-ratelimit-reset-tokens", "2s".to_owned());
}

#[derive(Default)]
struct Shared {
    settings: Mutex<Settings>,
    ids: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake OpenAI-compatible server. Dropping it stops the server.
pub struct FakeOpenAi {
    shared: Arc<Shared>,
    server: Server,
}

impl FakeOpenAi {
    /// Starts a fake on 127.0.0.1 on a free port.
    pub async fn spawn() -> anyhow::Result<FakeOpenAi> {
        FakeOpenAi::spawn_on("127.0.0.1:0".parse()?).await
    }

    /// Starts a fake on the given address.
    pub async fn spawn_on(addr: SocketAddr) -> anyhow::Result<FakeOpenAi> {
        let shared = Arc::new(Shared::default());
        shared.lock().models = vec!["llama-3.1-8b-instant".to_owned(), "llama-3.3-70b-versatile".to_owned()];
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .route("/v1/models", get(models))
            .route("/_control/journal", get(control_journal))
            .route("/_control/rule", post(control_rule))
            .with_state(shared.clone());
        let server = Server::start(TcpListener::bind(addr).await?, app)?;
        Ok(FakeOpenAi { shared, server })
    }

    /// The base URL including `/v1`, for `LLM_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.server.addr)
    }

    /// Enforces a budget of `requests` chat completions per `window`,
    /// announcing it in `x-ratelimit-*` headers; a request over it gets 429
    /// with Retry-After.
    pub fn budget(&self, requests: u32, window: Duration) {
        let started = std::time::Instant::now();
        self.shared.lock().budget = Some(Budget { requests, window, started, used: 0, rejected: 0 });
    }

    /// How many requests the budget turned away with 429.
    pub fn over_budget(&self) -> usize {
        self.shared.lock().budget.as_ref().map_or(0, |b| b.rejected)
    }

    /// Adds a rule; earlier rules win.
    pub fn rule(&self, rule: Rule) {
        self.shared.lock().rules.push(rule);
    }

    /// Waits `first_byte` before answering and `per_chunk` between stream chunks.
    pub fn latency(&self, first_byte: Duration, per_chunk: Duration) {
        let mut settings = self.shared.lock();
        settings.first_byte = first_byte;
        settings.per_chunk = per_chunk;
    }

    /// Makes the next `count` chat requests fail with `fault`.
    pub fn fail_next(&self, count: usize, fault: Fault) {
        let mut settings = self.shared.lock();
        settings.faults.extend(std::iter::repeat_n(fault, count));
    }

    /// Makes every chat request and the model list fail with `fault` until
    /// called with `None`: the provider is down.
    pub fn set_down(&self, fault: Option<Fault>) {
        self.shared.lock().down = fault;
    }

    /// Makes every chat request for `model` fail with `fault` until called
    /// with `None`: one model is down, the others answer.
    pub fn set_model_down(&self, model: &str, fault: Option<Fault>) {
        let mut settings = self.shared.lock();
        match fault {
            Some(fault) => settings.down_models.insert(model.to_owned(), fault),
            None => settings.down_models.remove(model),
        };
    }

    /// Sets the models `/v1/models` lists.
    pub fn set_models(&self, models: &[&str]) {
        self.shared.lock().models = models.iter().map(|m| (*m).to_owned()).collect();
    }

    /// Every request so far, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared.lock().journal.clone()
    }

    /// The chat completion requests so far.
    pub fn chat_requests(&self) -> Vec<JournalEntry> {
        self.journal().into_iter().filter(|e| e.path == "/v1/chat/completions").collect()
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn error_body(status: StatusCode, message: &str, kind: &str) -> Response {
    (status, axum::Json(json!({ "error": { "message": message, "type": kind, "code": null } }))).into_response()
}

fn fault_response(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(error_body(status, status.canonical_reason().unwrap_or("error"), "server_error"))
        }
        Fault::RateLimited { retry_after } => {
            let mut response =
                error_body(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached for requests", "rate_limit_exceeded");
            response.headers_mut().insert(header::RETRY_AFTER, retry_after.to_string().parse().ok()?);
            Some(response)
        }
        Fault::Malformed => Some(
            ([(header::CONTENT_TYPE, "application/json")], "{\"id\": \"chatcmpl-1\", \"choices\": [").into_response(),
        ),
        Fault::Hang | Fault::Disconnect => None,
    }
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let (down, models) = {
        let mut settings = shared.lock();
        settings.journal.push(JournalEntry {
            path: "/v1/models".to_owned(),
            authorization: auth(&headers),
            body: Value::Null,
            at: std::time::Instant::now(),
        });
        (settings.down.clone(), settings.models.clone())
    };
    if let Some(fault) = down {
        if fault == Fault::Hang {
            std::future::pending::<()>().await;
        }
        if let Some(response) = fault_response(&fault) {
            return response;
        }
    }
    let data: Vec<Value> =
        models.iter().map(|id| json!({ "id": id, "object": "model", "created": 0, "owned_by": "testkit" })).collect();
    axum::Json(json!({ "object": "list", "data": data })).into_response()
}

fn auth(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn completions(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let taken = shared.lock().budget.as_mut().map(|budget| (budget.requests, budget.take()));
    match taken {
        None => answer(shared, headers, body).await,
        Some((limit, (Err(()), reset))) => {
            let mut response =
                error_body(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached for requests", "rate_limit_exceeded");
            if let Ok(value) = format!("{:.0}", reset.as_secs_f64().ceil()).parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            budget_headers(&mut response, limit, 0, reset);
            response
        }
        Some((limit, (Ok(remaining), reset))) => {
            let mut response = answer(shared, headers, body).await;
            budget_headers(&mut response, limit, remaining, reset);
            response
        }
    }
}

async fn answer(shared: Arc<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error_body(StatusCode::BAD_REQUEST, "could not parse the JSON body", "invalid_request_error");
    };
    let entry = JournalEntry {
        path: "/v1/chat/completions".to_owned(),
        authorization: auth(&headers),
        body,
        at: std::time::Instant::now(),
    };
    let model = entry.model().to_owned();
    let last_user =
        entry.messages().into_iter().rev().find(|(role, _)| role == "user").map(|(_, text)| text).unwrap_or_default();
    let entry_system =
        entry.messages().into_iter().find(|(role, _)| role == "system").map(|(_, text)| text).unwrap_or_default();
    let stream = entry.body["stream"].as_bool().unwrap_or(false);
    let include_usage = entry.body["stream_options"]["include_usage"].as_bool().unwrap_or(false);
    let (fault, reply, first_byte, per_chunk) = {
        let mut settings = shared.lock();
        settings.journal.push(entry);
        let fault = settings
            .faults
            .pop_front()
            .or_else(|| settings.down.clone())
            .or_else(|| settings.down_models.get(&model).cloned());
        let reply = settings
            .rules
            .iter()
            .find(|r| r.matches(&model, &last_user, &entry_system))
            .map_or(last_user.clone(), |r| r.reply.replace("{{system}}", &entry_system));
        (fault, reply, settings.first_byte, settings.per_chunk)
    };
    if let Some(fault) = &fault {
        if *fault == Fault::Hang {
            std::future::pending::<()>().await;
        }
        if let Some(response) = fault_response(fault) {
            return response;
        }
    }
    tokio::time::sleep(first_byte).await;
    let id = format!("chatcmpl-{}", shared.ids.fetch_add(1, Ordering::Relaxed));
    let usage = json!({
        "prompt_tokens": last_user.split_whitespace().count(),
        "completion_tokens": reply.split_whitespace().count(),
        "total_tokens": last_user.split_whitespace().count() + reply.split_whitespace().count(),
    });
    let disconnect = fault == Some(Fault::Disconnect);
    if stream {
        return sse(id, model, reply, include_usage.then_some(usage), per_chunk, disconnect);
    }
    let body = json!({
        "id": id, "object": "chat.completion", "created": now(), "model": model,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": reply }, "finish_reason": "stop", "logprobs": null }],
        "usage": usage,
    });
    let bytes = Bytes::from(body.to_string());
    if disconnect {
        // Half the body, then a broken connection.
        let half = bytes.slice(..bytes.len() / 2);
        let parts: Vec<Result<Bytes, std::io::Error>> = vec![Ok(half), Err(std::io::Error::other("disconnect"))];
        return ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(futures::stream::iter(parts)))
            .into_response();
    }
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// A server-sent event stream of `chat.completion.chunk`s ending in `[DONE]`.
fn sse(
    id: String,
    model: String,
    reply: String,
    usage: Option<Value>,
    per_chunk: Duration,
    disconnect: bool,
) -> Response {
    let (tx, rx) = mpsc::unbounded::<Result<Bytes, std::io::Error>>();
    tokio::spawn(async move {
        let chunk = |delta: Value, finish: Value| {
            let event = json!({
                "id": id, "object": "chat.completion.chunk", "created": now(), "model": model,
                "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
            });
            Ok(Bytes::from(format!("data: {event}\n\n")))
        };
        let words: Vec<String> = reply.split_inclusive(' ').map(str::to_owned).collect();
        let _ = tx.unbounded_send(chunk(json!({ "role": "assistant", "content": "" }), Value::Null));
        for (i, word) in words.iter().enumerate() {
            if disconnect && i == words.len() / 2 {
                let _ = tx.unbounded_send(Err(std::io::Error::other("disconnect")));
                return;
            }
            tokio::time::sleep(per_chunk).await;
            if tx.unbounded_send(chunk(json!({ "content": word }), Value::Null)).is_err() {
                return;
            }
        }
        let _ = tx.unbounded_send(chunk(json!({}), json!("stop")));
        if let Some(usage) = usage {
            let event = json!({ "id": id, "object": "chat.completion.chunk", "created": now(), "model": model, "choices": [], "usage": usage });
            let _ = tx.unbounded_send(Ok(Bytes::from(format!("data: {event}\n\n"))));
        }
        let _ = tx.unbounded_send(Ok(Bytes::from_static(b"data: [DONE]\n\n")));
    });
    let body = Body::from_stream(rx);
    ([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

async fn control_journal(State(shared): State<Arc<Shared>>) -> Response {
    let journal: Vec<Value> = shared.lock().journal.iter().map(|e| json!({ "path": e.path, "body": e.body })).collect();
    axum::Json(Value::Array(journal)).into_response()
}

#[derive(serde::Deserialize)]
struct ControlRule {
    contains: Option<String>,
    system_contains: Option<String>,
    model: Option<String>,
    reply: String,
}

async fn control_rule(State(shared): State<Arc<Shared>>, axum::Json(rule): axum::Json<ControlRule>) -> StatusCode {
    let ControlRule { contains, system_contains, model, reply } = rule;
    shared.lock().rules.push(Rule { contains, system_contains, model, reply });
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests;
