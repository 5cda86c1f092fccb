use std::time::{Duration, Instant};

use muse_testkit::{FakeOpenAi, FakeTelegram, Rule};
use muse_tests::{BotProcess, PATIENCE, text};

/// The queue notice begins so.
const NOTICE: &str = "⏳ Busy right now";

/// Waits until the model has received `count` requests in all, so the
/// next user is sure to find the slot taken.
async fn until_model_has(model: &FakeOpenAi, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    while model.chat_requests().len() < count {
        assert!(Instant::now() < deadline, "the model got {} of {count} requests", model.chat_requests().len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The texts sent to `chat` since `mark`, queue notices included.
fn sent_to(telegram: &FakeTelegram, mark: usize, chat: u64) -> Vec<String> {
    let calls = telegram.calls_since(mark, "sendMessage");
    calls.iter().filter(|call| call.params["chat_id"] == chat).map(|call| text(call).to_owned()).collect()
}

/// Waits until `chat` has received `count` replies (queue notices aside)
/// since `mark`; returns their texts and when the last arrived.
async fn replies_to(telegram: &FakeTelegram, mark: usize, chat: u64, count: usize) -> (Vec<String>, Instant) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut sent = sent_to(telegram, mark, chat);
        sent.retain(|text| !text.starts_with(NOTICE));
        if sent.len() >= count {
            return (sent, Instant::now());
        }
        assert!(Instant::now() < deadline, "chat {chat} got {} of {count} replies", sent.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two slots and a model that takes a second: six users at once all get
/// the model's drafts, the last within about three seconds, none offline.
#[tokio::test(flavor = "multi_thread")]
async fn six_users_at_once_all_get_model_drafts_within_the_wait() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. from the model\n2. second\n3. third"));
    model.latency(Duration::from_secs(1), Duration::ZERO);
    let env = [("LLM_MAX_CONCURRENCY", "2"), ("LLM_MAX_ATTEMPTS", "1")];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    let mark = telegram.mark();
    let started = Instant::now();
    for user in 1..=6 {
        telegram.inject_text(user, "/reply you there?");
    }
    for user in 1..=6 {
        let (sent, _) = replies_to(&telegram, mark, user, 1).await;
        assert!(sent[0].contains("<code>from the model</code>"), "user {user}: {}", sent[0]);
        assert!(!sent[0].contains("offline writer"), "user {user}: {}", sent[0]);
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(8), "three rounds of one second took {took:?}");
    assert_eq!(model.chat_requests().len(), 6);
}

/// One slot: a chatter's ten requests queue behind each other, and another
/// chatter's one request is served after at most one of them.
#[tokio::test(flavor = "multi_thread")]
async fn ten_requests_from_one_user_do_not_hold_up_another() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::contains("other", "1. for the other one\n2. b\n3. c"));
    model.rule(Rule::always("1. from the model\n2. second\n3. third"));
    model.latency(Duration::from_millis(700), Duration::ZERO);
    let env = [
        ("LLM_MAX_CONCURRENCY", "1"),
        ("LLM_MAX_ATTEMPTS", "1"),
        ("LLM_QUEUE_WAIT_SECS", "30"),
        ("LLM_DEADLINE_SECS", "60"),
        ("AI_RATE_LIMIT_PER_MINUTE", "100"),
        ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "1000"),
    ];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    let mark = telegram.mark();
    for n in 0..10 {
        telegram.inject_text(1, &format!("/reply busy chatter {n}"));
    }
    until_model_has(&model, 1).await;
    telegram.inject_text(2, "/reply the other chatter");
    let (other, _) = replies_to(&telegram, mark, 2, 1).await;
    assert!(other[0].contains("for the other one"), "{}", other[0]);
    let served: Vec<String> = model.chat_requests().iter().map(|r| r.messages().last().unwrap().1.clone()).collect();
    let at = served.iter().position(|m| m.contains("other")).expect("the other request reached the model");
    assert!(at <= 2, "served after at most one of the ten waiting (plus the one in flight): {served:?}");
    let (busy, _) = replies_to(&telegram, mark, 1, 10).await;
    // The same answer ten times: the repeat check swaps repeated first
    // drafts, but every reply is the model's, none sent offline for lack of
    // a slot.
    assert!(
        busy.iter().all(|t| t.contains("<code>second</code>") && !t.contains("offline writer")),
        "all ten from the model: {busy:?}"
    );
}

/// With one slot held by a slow model and a short wait, the next request
/// gets offline drafts saying why, and is counted.
#[tokio::test(flavor = "multi_thread")]
async fn past_the_wait_the_offline_writer_answers_and_says_why() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.latency(Duration::from_secs(4), Duration::ZERO);
    let env =
        [("LLM_MAX_CONCURRENCY", "1"), ("LLM_MAX_ATTEMPTS", "1"), ("LLM_QUEUE_WAIT_SECS", "1"), ("ADMIN_IDS", "900")];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    let mark = telegram.mark();
    telegram.inject_text(1, "/reply first");
    until_model_has(&model, 1).await;
    telegram.inject_text(2, "/reply second");
    let (second, _) = replies_to(&telegram, mark, 2, 1).await;
    assert!(second[0].contains("Every model slot stayed busy"), "{}", second[0]);
    assert_eq!(second[0].matches("<code>").count(), 3, "offline drafts arrive: {}", second[0]);
    replies_to(&telegram, mark, 1, 1).await;
    let stats = text(&muse_tests::ask(&telegram, 900, "/stats").await).to_owned();
    assert!(stats.contains("Rate-limited (model slot within the queue wait): 1"), "{stats}");
    assert!(stats.contains("Waiting for a model slot: 0"), "{stats}");
}

/// A provider that allows one request per 3 s and says so in its headers:
/// Muse waits for the reset instead of drawing a 429, and both users get
/// the model's drafts.
#[tokio::test(flavor = "multi_thread")]
async fn the_providers_announced_budget_is_waited_for_not_discovered_by_429() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. from the model\n2. second\n3. third"));
    model.budget(1, Duration::from_secs(3));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[("LLM_MAX_ATTEMPTS", "1")]).await;
    let mark = telegram.mark();
    telegram.inject_text(1, "/reply first");
    replies_to(&telegram, mark, 1, 1).await;
    let asked = Instant::now();
    telegram.inject_text(2, "/reply second");
    let (second, at) = replies_to(&telegram, mark, 2, 1).await;
    assert!(second[0].contains("<code>from the model</code>"), "{}", second[0]);
    assert!(at - asked >= Duration::from_secs(2), "it waited for the reset: {:?}", at - asked);
    assert_eq!(model.over_budget(), 0, "no request was sent before the reset");
}

/// A request that waits for a slot longer than a few seconds gets one short
/// notice with an estimate, then the model's drafts.
#[tokio::test(flavor = "multi_thread")]
async fn a_long_wait_gets_one_notice_with_an_estimate() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. from the model\n2. second\n3. third"));
    model.latency(Duration::from_secs(5), Duration::ZERO);
    let env = [("LLM_MAX_CONCURRENCY", "1"), ("LLM_MAX_ATTEMPTS", "1"), ("LLM_QUEUE_WAIT_SECS", "30")];
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    // The estimate comes from how long calls hold a slot: one has to end first.
    let warm = telegram.mark();
    telegram.inject_text(3, "/reply warming up");
    replies_to(&telegram, warm, 3, 1).await;
    let mark = telegram.mark();
    telegram.inject_text(1, "/reply first");
    until_model_has(&model, 2).await;
    telegram.inject_text(2, "/reply second");
    let (second, _) = replies_to(&telegram, mark, 2, 1).await;
    assert!(second[0].contains("<code>from the model</code>"), "{}", second[0]);
    let to_two = sent_to(&telegram, mark, 2);
    assert_eq!(to_two.len(), 2, "one notice, then the drafts: {to_two:?}");
    assert!(to_two[0].starts_with(NOTICE) && to_two[0].contains("about "), "{}", to_two[0]);
    let (first, _) = replies_to(&telegram, mark, 1, 1).await;
    assert_eq!(sent_to(&telegram, mark, 1).len(), 1, "the first request never waited: no notice: {first:?}");
}
