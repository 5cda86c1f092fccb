use std::time::Duration;

use muse_domain::{ChatMessage, ModelRequest, Role};
use muse_testkit::{FakeOpenAi, ModelFault, Rule};
use tower::ServiceExt;

use super::*;

const KEY: &str = "gsk-secret-test-key-123";

fn client(fake: &FakeOpenAi, stream: bool) -> LlmClient {
    let config = LlmConfig { base_url: fake.base_url(), stream, ..LlmConfig::groq(KEY.to_owned().into()) };
    LlmClient::new(&config).unwrap()
}

fn request(text: &str) -> ModelRequest {
    ModelRequest {
        kind: muse_domain::Kind::Chat,
        model: "llama-3.1-8b-instant".into(),
        messages: vec![ChatMessage::new(Role::System, "be brief"), ChatMessage::new(Role::User, text)],
        temperature: 0.7,
        max_tokens: 100,
        user: 1,
        preview: None,
    }
}

#[tokio::test]
async fn a_completion_carries_roles_key_and_usage() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.rule(Rule::contains("hi", "1. hey you"));
    let reply = client(&fake, false).oneshot(request("hi there")).await.unwrap();
    assert_eq!(reply.text, "1. hey you");
    assert_eq!(reply.usage.unwrap().completion_tokens, 3);
    let entry = &fake.chat_requests()[0];
    assert_eq!(
        entry.messages(),
        [("system".to_owned(), "be brief".to_owned()), ("user".to_owned(), "hi there".to_owned())]
    );
    assert_eq!(entry.authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(entry.body["stream"], false);
}

#[tokio::test]
async fn streaming_collects_every_chunk_and_the_usage() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.rule(Rule::always("one two three four"));
    let reply = client(&fake, true).oneshot(request("x")).await.unwrap();
    assert_eq!(reply.text, "one two three four");
    assert_eq!(reply.usage.unwrap().completion_tokens, 4);
    assert_eq!(fake.chat_requests()[0].body["stream"], true);
}

#[tokio::test]
async fn a_streamed_completion_is_previewed_as_it_grows() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.rule(Rule::always("one two three"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let preview = muse_domain::Preview::new(move |text| sink.lock().unwrap().push(text.to_owned()));
    let request = ModelRequest { preview: Some(preview), ..request("x") };
    let reply = client(&fake, true).oneshot(request).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last().map(String::as_str), Some(reply.text.as_str()));
    assert!(seen.len() >= 3, "one preview per chunk: {seen:?}");
    assert!(seen.windows(2).all(|w| reply.text.starts_with(&w[0]) && w[1].starts_with(&w[0])), "{seen:?}");
}

#[tokio::test]
async fn a_429_keeps_status_and_retry_after_and_is_not_retried() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.fail_next(1, ModelFault::RateLimited { retry_after: 2 });
    let err = client(&fake, false).oneshot(request("x")).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert!(err.is_transient());
    assert_eq!(fake.chat_requests().len(), 1, "async-openai's own retry must be off");
}

#[tokio::test]
async fn server_errors_are_transient_and_sent_once() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.fail_next(2, ModelFault::Status(503));
    let err = client(&fake, false).oneshot(request("x")).await.unwrap_err();
    assert_eq!((err.status(), err.is_transient(), err.class().as_str()), (Some(503), true, "status_503"));
    let err = client(&fake, true).oneshot(request("x")).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(fake.chat_requests().len(), 2);
}

#[tokio::test]
async fn malformed_answers_and_broken_streams() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.fail_next(1, ModelFault::Malformed);
    let err = client(&fake, false).oneshot(request("x")).await.unwrap_err();
    assert!(matches!(err, LlmError::Malformed(_)), "{err:?}");
    fake.fail_next(1, ModelFault::Disconnect);
    let err = client(&fake, true).oneshot(request("a b c d e f g h")).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    fake.fail_next(1, ModelFault::Disconnect);
    let err = client(&fake, false).oneshot(request("a b c d e f g h")).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn client_errors_are_not_transient() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.fail_next(1, ModelFault::Status(401));
    let err = client(&fake, false).oneshot(request("x")).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_transient());
}

#[tokio::test]
async fn lists_models() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.set_models(&["b-model", "a-model"]);
    assert_eq!(client(&fake, false).models().await.unwrap(), ["a-model", "b-model"]);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_transport_error_without_the_key() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let config = LlmConfig { base_url: url, ..LlmConfig::groq(KEY.to_owned().into()) };
    let err = LlmClient::new(&config).unwrap().oneshot(request("x")).await.unwrap_err();
    assert!(matches!(err, LlmError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(!format!("{err} {err:?}").contains(KEY));
}

#[tokio::test]
async fn a_stream_that_goes_quiet_times_out() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.latency(Duration::ZERO, Duration::from_secs(5));
    let config = LlmConfig {
        base_url: fake.base_url(),
        stream: true,
        stream_idle: Duration::from_millis(300),
        ..LlmConfig::groq(KEY.to_owned().into())
    };
    let started = std::time::Instant::now();
    let err = LlmClient::new(&config).unwrap().oneshot(request("slow words here")).await.unwrap_err();
    assert_eq!(err, LlmError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
}

fn settings(pairs: &[(&str, &str)]) -> muse_domain::settings::Settings {
    let env = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    muse_domain::settings::Settings::new(&[SETTINGS, provider::SETTINGS]).environment(&env, &[])
}

#[test]
fn llm_api_key_wins_over_groq_api_key_and_numeric_secrets_stay_text() {
    use secrecy::ExposeSecret;
    let config = LlmConfig::from_settings(&settings(&[("LLM_API_KEY", "12345"), ("GROQ_API_KEY", "gsk-2")]));
    assert_eq!(config.unwrap().unwrap().api_key.expose_secret(), "12345");
    let config =
        LlmConfig::from_settings(&settings(&[("GROQ_API_KEY", "gsk-2"), ("LLM_STREAM", "true")])).unwrap().unwrap();
    assert_eq!(config.api_key.expose_secret(), "gsk-2");
    assert!(config.stream);
    assert!(LlmConfig::from_settings(&settings(&[])).unwrap().is_none(), "no key: the offline writer");
    let bad = LlmConfig::from_settings(&settings(&[("LLM_BASE_URL", "ftp://x"), ("LLM_API_KEY", "k")]));
    assert!(bad.unwrap_err().to_string().starts_with("LLM_BASE_URL: "));
}

#[test]
fn provider_settings_are_read() {
    let config = ProviderConfig::from_settings(&settings(&[
        ("LLM_FALLBACK_MODELS", " llama-3.3-70b-versatile, ,gemma2-9b-it "),
        ("BREAKER_OPEN_SECS", "2.5"),
        ("LLM_TIMEOUT_SECS", "4"),
    ]))
    .unwrap();
    assert_eq!(config.attempt_timeout, Duration::from_secs(4));
    assert_eq!(config.retry.max_attempts, 3);
    assert_eq!(config.fallback_models, ["llama-3.3-70b-versatile", "gemma2-9b-it"]);
    assert_eq!(config.breaker.open_wait, Duration::from_millis(2500));
    assert_eq!(config.max_concurrency, 64);
}
