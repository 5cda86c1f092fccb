use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

/// An HTTP client. reqwest 0.13 is built without a TLS provider of its own
/// (ring comes from rustls), so one is installed first.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn chat(text: &str, stream: bool) -> Value {
    json!({ "model": "m", "stream": stream, "messages": [{ "role": "system", "content": "sys" }, { "role": "user", "content": text }] })
}

async fn post(fake: &FakeOpenAi, body: Value) -> reqwest::Response {
    http().post(format!("{}/chat/completions", fake.base_url())).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn echoes_by_default_and_follows_rules() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.rule(Rule::contains("beach", "1. sun"));
    let body: Value = post(&fake, chat("hello there", false)).await.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "hello there");
    let body: Value = post(&fake, chat("beach day", false)).await.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "1. sun");
    assert_eq!(fake.chat_requests().len(), 2);
    assert_eq!(fake.chat_requests()[0].messages()[1], ("user".to_owned(), "hello there".to_owned()));
}

#[tokio::test]
async fn streams_chunks_and_ends_with_done() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    let text = post(&fake, chat("one two three", true)).await.text().await.unwrap();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(*events.last().unwrap(), "data: [DONE]");
    let content: String = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str::<Value>(e.trim_start_matches("data: ")).unwrap())
        .filter_map(|v| v["choices"][0]["delta"]["content"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(content, "one two three");
}

#[tokio::test]
async fn faults_rate_limits_and_latency() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.fail_next(1, Fault::RateLimited { retry_after: 2 });
    fake.fail_next(1, Fault::Status(503));
    fake.fail_next(1, Fault::Malformed);
    let response = post(&fake, chat("x", false)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(post(&fake, chat("x", false)).await.status(), 503);
    assert!(post(&fake, chat("x", false)).await.json::<Value>().await.is_err());
    fake.latency(Duration::from_millis(200), Duration::ZERO);
    let started = Instant::now();
    assert_eq!(post(&fake, chat("x", false)).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn disconnect_breaks_the_stream_and_hang_never_answers() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    fake.fail_next(1, Fault::Disconnect);
    let response = post(&fake, chat("a b c d e f", true)).await;
    assert!(response.text().await.is_err());
    fake.fail_next(1, Fault::Hang);
    http();
    let client = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let result = client.post(format!("{}/chat/completions", fake.base_url())).json(&chat("x", false)).send().await;
    assert!(result.unwrap_err().is_timeout());
}

#[tokio::test]
async fn lists_models_and_goes_down_on_demand() {
    let fake = FakeOpenAi::spawn().await.unwrap();
    let list: Value = http().get(format!("{}/models", fake.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["data"][0]["id"], "llama-3.1-8b-instant");
    fake.set_down(Some(Fault::Status(500)));
    assert_eq!(http().get(format!("{}/models", fake.base_url())).send().await.unwrap().status(), 500);
    assert_eq!(post(&fake, chat("x", false)).await.status(), 500);
    fake.set_down(None);
    assert_eq!(post(&fake, chat("x", false)).await.status(), 200);
}
