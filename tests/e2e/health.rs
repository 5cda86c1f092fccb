use std::collections::HashMap;

use muse_testkit::{FakeOpenAi, FakeTelegram, ModelFault, Rule};
use muse_tests::{BotProcess, PATIENCE};

/// The ops URL the bot logged (it binds port 0 here).
async fn ops_url(bot: &BotProcess) -> String {
    let line = bot.wait_for_line("ops HTTP listening on").await;
    let start = line.find("http://").expect("a URL in the line");
    line[start..].split_whitespace().next().expect("the URL").trim_end_matches(['"', '}', ',']).to_owned()
}

async fn start(telegram: &FakeTelegram, model: &FakeOpenAi, env: &[(&str, &str)]) -> (BotProcess, String) {
    let mut all = vec![("HEALTH_ADDR", "127.0.0.1:0"), ("ADMIN_IDS", "900")];
    all.extend_from_slice(env);
    let bot = BotProcess::telegram(telegram, Some(model), &all).await;
    let url = ops_url(&bot).await;
    (bot, url)
}

/// Parses Prometheus text exposition strictly: every line is a comment or
/// `name{labels} value`. Returns the samples by their full series name.
fn parse_prometheus(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "bad metric name in {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unterminated labels in {line}");
        }
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line}"));
        samples.insert(series.to_owned(), value);
    }
    samples
}

async fn metrics(url: &str) -> HashMap<String, f64> {
    let response = muse_tests::http_get(&format!("{url}/metrics")).await.expect("/metrics answers");
    assert_eq!(response.status(), 200);
    parse_prometheus(&response.text().await.expect("a body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_follows_the_model_provider() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let (_bot, url) = start(&telegram, &model, &[]).await;
    assert_eq!(muse_tests::http_get(&format!("{url}/healthz")).await.unwrap().status(), 200);
    assert_eq!(muse_tests::http_get(&format!("{url}/readyz")).await.unwrap().status(), 200);
    model.set_down(Some(ModelFault::Status(500)));
    let response = muse_tests::http_get(&format!("{url}/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["reasons"][0].as_str().unwrap().starts_with("llm:"), "{body}");
    model.set_down(None);
    assert_eq!(muse_tests::http_get(&format!("{url}/readyz")).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_and_move_after_a_reply() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. a\n2. b\n3. c"));
    let (_bot, url) = start(&telegram, &model, &[]).await;
    let before = metrics(&url).await;
    let mark = telegram.mark();
    telegram.inject_text(5, "/reply hello there");
    telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    let after = metrics(&url).await;
    let get = |m: &HashMap<String, f64>, key: &str| m.get(key).copied().unwrap_or(0.0);
    assert_eq!(
        get(&after, r#"muse_updates_total{kind="reply"}"#) - get(&before, r#"muse_updates_total{kind="reply"}"#),
        1.0
    );
    assert_eq!(get(&after, "muse_model_request_seconds_count") - get(&before, "muse_model_request_seconds_count"), 1.0);
    assert!(get(&after, "muse_model_calls_total") >= 1.0);
    assert!(get(&after, "muse_resident_memory_bytes") > 1_000_000.0);
    assert!(after.contains_key(r#"muse_breaker_state{breaker="main model"}"#), "{after:?}");
    assert!(after.keys().any(|k| k.starts_with("muse_store_flush_seconds")));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_lists_all_seven_checks_over_http_and_to_admins() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let (_bot, url) = start(&telegram, &model, &[]).await;
    let report: serde_json::Value = muse_tests::http_get(&format!("{url}/health")).await.unwrap().json().await.unwrap();
    let names: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["system", "telegram", "llm", "filesystem", "database", "security", "memory_leaks"]);
    for check in report["checks"].as_array().unwrap() {
        assert!(["healthy", "degraded", "unhealthy"].contains(&check["status"].as_str().unwrap()), "{check}");
        assert!(!check["reason"].as_str().unwrap().is_empty());
    }
    let mark = telegram.mark();
    telegram.inject_text(900, "/health");
    let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    let text = sent[0].str("text").unwrap();
    for name in names {
        assert!(text.contains(name), "{name} missing from /health: {text}");
    }
    let mark = telegram.mark();
    telegram.inject_text(5, "/health");
    let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    assert_eq!(sent[0].str("text"), Some("Admins only."));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_a_span_per_update_and_never_the_text() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let env = [("LOG_FORMAT", "json"), ("RUST_LOG", "info")];
    let bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    let mark = telegram.mark();
    telegram.inject_text(31, "/reply my very private words");
    telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    let handled = bot.wait_for_line("\"handled\"").await;
    let line: serde_json::Value = serde_json::from_str(&handled).unwrap();
    assert_eq!(line["span"]["user"], 31);
    assert_eq!(line["span"]["kind"], "reply");
    assert!(line["fields"]["elapsed_ms"].is_u64());
    let output = bot.output();
    for log in output.lines() {
        assert!(serde_json::from_str::<serde_json::Value>(log).is_ok(), "not JSON: {log}");
    }
    assert!(!output.contains("very private"), "message text reached the log");
}
