use std::time::{Duration, Instant};

use muse_testkit::{Call, FakeOpenAi, FakeTelegram, ModelFault, Rule, TelegramFault};
use muse_tests::{BotProcess, PATIENCE, ask, text};

const OFFLINE_NOTE: &str = "The model is unavailable right now, so these come from the offline writer.";

/// Each request makes exactly one model call (no retries), so the journal
/// counts what reached the model. Distinct users keep Telegram's per-chat
/// send limit out of the way.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_500s_opens_the_breaker_and_one_probe_closes_it() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. from the model\n2. second\n3. third"));
    let env =
        [("LLM_MAX_ATTEMPTS", "1"), ("BREAKER_WINDOW", "4"), ("BREAKER_MIN_CALLS", "4"), ("BREAKER_OPEN_SECS", "3")];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    model.set_down(Some(ModelFault::Status(500)));
    for user in 1..=4 {
        let reply = ask(&telegram, user, "/reply you there?").await;
        assert!(text(&reply).contains(OFFLINE_NOTE), "{}", text(&reply));
        assert_eq!(text(&reply).matches("<code>").count(), 3, "fallback drafts arrive");
    }
    assert_eq!(model.chat_requests().len(), 4);
    let opened = Instant::now();
    for user in 5..=7 {
        let reply = ask(&telegram, user, "/reply still there?").await;
        assert!(text(&reply).contains(OFFLINE_NOTE), "{}", text(&reply));
    }
    assert_eq!(model.chat_requests().len(), 4, "no call reaches the model while the breaker is open");
    model.set_down(None);
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(opened.elapsed()) + Duration::from_millis(200)).await;
    let probe = ask(&telegram, 8, "/reply back?").await;
    assert!(text(&probe).contains("<code>from the model</code>"), "{}", text(&probe));
    let after = ask(&telegram, 9, "/reply and now?").await;
    assert!(text(&after).contains("<code>from the model</code>"), "the breaker closed: {}", text(&after));
    assert_eq!(model.chat_requests().len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_2_makes_the_retry_wait_at_least_2_s() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. worth the wait\n2. b\n3. c"));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    model.fail_next(1, ModelFault::RateLimited { retry_after: 2 });
    let reply = ask(&telegram, 1, "/flirt").await;
    assert!(text(&reply).contains("<code>worth the wait</code>"), "{}", text(&reply));
    let requests = model.chat_requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_model_gives_a_fallback_draft_within_the_deadline() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let env = [("LLM_DEADLINE_SECS", "2"), ("LLM_TIMEOUT_SECS", "10")];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    model.set_down(Some(ModelFault::Hang));
    let started = Instant::now();
    let reply = ask(&telegram, 1, "/caption poolside").await;
    let took = started.elapsed();
    assert!(text(&reply).contains(OFFLINE_NOTE), "{}", text(&reply));
    assert_eq!(text(&reply).matches("<code>").count(), 3);
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(5), "answered after {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fallback_model_answers_when_the_main_one_fails() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::model("backup-model", "1. from the backup\n2. b\n3. c"));
    let env = [("LLM_FALLBACK_MODELS", "backup-model"), ("LLM_MAX_ATTEMPTS", "1")];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    model.set_model_down("llama-3.1-8b-instant", Some(ModelFault::Status(503)));
    let reply = ask(&telegram, 1, "/mass new week new set").await;
    assert!(text(&reply).contains("<code>from the backup</code>"), "{}", text(&reply));
    assert!(text(&reply).contains("a backup model wrote these"), "{}", text(&reply));
    let models: Vec<String> = model.chat_requests().iter().map(|r| r.model().to_owned()).collect();
    assert_eq!(models, ["llama-3.1-8b-instant", "backup-model"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_messages_in_five_seconds_reach_the_model_at_most_the_limit_and_get_one_notice() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let env = [("AI_RATE_LIMIT_PER_MINUTE", "3"), ("RATE_LIMIT_PER_MINUTE", "30")];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    let mark = telegram.mark();
    let started = Instant::now();
    for i in 0..50 {
        telegram.inject_text(77, &format!("/reply message {i}"));
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    telegram.wait_calls(mark, "sendMessage", 4, PATIENCE).await.expect("three drafts and a notice");
    // Whatever else was going to be sent has had time to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = telegram.sent_texts(mark);
    let notices: Vec<&String> = sent.iter().filter(|t| t.contains("faster than I can write")).collect();
    assert_eq!(notices.len(), 1, "exactly one notice: {sent:#?}");
    assert!(notices[0].contains("Try again in"), "{}", notices[0]);
    assert_eq!(model.chat_requests().len(), 3, "only the configured number reach the model");
    assert_eq!(sent.len(), 4, "further messages in the window get no reply: {sent:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn telegram_retry_after_on_a_send_is_waited_out_and_the_reply_arrives_once() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let _bot = BotProcess::telegram(&telegram, None, &[]).await;
    telegram.fail_next_method("sendMessage", 1, TelegramFault::RetryAfter(2));
    let mark = telegram.mark();
    telegram.inject_text(5, "/flirt");
    let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    let attempts: Vec<Call> = telegram.calls()[mark..].iter().filter(|c| c.method == "sendmessage").cloned().collect();
    assert_eq!(attempts.len(), 2, "one refused attempt, one delivered");
    assert!(sent[0].at - attempts[0].at >= Duration::from_secs(2), "retry_after was honoured");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(telegram.calls_since(mark, "sendMessage").len(), 1, "sent once");
}

/// teloxide pauses 10 s after a Bot API 5xx before reporting it; these two
/// tests take that long.
#[tokio::test(flavor = "multi_thread")]
async fn a_bot_api_5xx_on_a_send_neither_loses_the_reply_nor_sends_it_twice() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let _bot = BotProcess::telegram(&telegram, None, &[]).await;
    telegram.fail_next_method("sendMessage", 1, TelegramFault::Server(502));
    let mark = telegram.mark();
    telegram.inject_text(6, "/caption mirror selfie");
    let sent = telegram.wait_calls(mark, "sendMessage", 1, Duration::from_secs(40)).await.unwrap();
    assert!(text(&sent[0]).contains("3 captions"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(telegram.calls_since(mark, "sendMessage").len(), 1, "delivered exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_api_5xx_on_get_updates_does_not_lose_the_update() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let _bot = BotProcess::telegram(&telegram, None, &[]).await;
    telegram.fail_next_method("getUpdates", 1, TelegramFault::Server(500));
    let mark = telegram.mark();
    telegram.inject_text(7, "/start");
    let sent = telegram.wait_calls(mark, "sendMessage", 1, Duration::from_secs(40)).await.unwrap();
    assert!(text(&sent[0]).contains("Muse"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(telegram.calls_since(mark, "sendMessage").len(), 1);
}
