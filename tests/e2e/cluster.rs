//! Several `muse-bot` processes on one real `redis-server`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use muse_testkit::{FakeOpenAi, FakeTelegram, ModelFault, RedisServer, Rule};
use muse_tests::{BotProcess, PATIENCE, ask, http_get, text};

/// How soon a standby instance must take over from a dead leader.
const TAKEOVER: Duration = Duration::from_secs(15);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_instance_polls_and_another_takes_over_within_15_s_with_the_same_state() {
    let redis = RedisServer::start().expect("redis-server");
    let url = redis.url();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let env = [("STORE_URL", url.as_str())];
    let leader = BotProcess::telegram(&telegram, None, &env).await;
    let standby = BotProcess::standby(&telegram, None, &env).await;
    assert!(text(&ask(&telegram, 21, "/persona name: Nova; voice: dreamy").await).contains("Nova"));
    for i in 0..5 {
        ask(&telegram, 21, &format!("/tone {}", ["bold", "sweet", "playful", "bold", "classy"][i])).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(telegram.poll_conflicts(), 0, "only one instance polls");

    leader.kill().await;
    let killed = Instant::now();
    let mark = telegram.mark();
    telegram.inject_text(21, "/start");
    let answered = telegram.wait_calls(mark, "sendMessage", 1, TAKEOVER + PATIENCE).await.expect("an answer");
    let took = killed.elapsed();
    assert!(took < TAKEOVER, "the standby took {took:?} to answer");
    assert!(text(&answered[0]).contains("Nova"), "the persona set through the dead instance: {}", text(&answered[0]));
    assert!(text(&ask(&telegram, 21, "/tone").await).contains("classy"));
    standby.wait_for_line("this instance polls Telegram now").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_is_answered_exactly_once_when_the_polling_instance_is_killed_mid_burst() {
    let redis = RedisServer::start().expect("redis-server");
    let url = redis.url();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. hey you\n2. miss me?\n3. come say hi"));
    // Each draft takes a while, so the burst is mid-way when the kill comes.
    model.latency(Duration::from_millis(400), Duration::ZERO);
    let env = [
        ("STORE_URL", url.as_str()),
        ("LLM_MAX_CONCURRENCY", "4"),
        ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "1000"),
        ("LLM_QUEUE_WAIT_SECS", "60"),
        ("LLM_DEADLINE_SECS", "60"),
    ];
    let leader = BotProcess::telegram(&telegram, Some(&model), &env).await;
    let standby = BotProcess::standby(&telegram, Some(&model), &env).await;
    let mark = telegram.mark();
    let users: Vec<u64> = (1000..1100).collect();
    for user in &users {
        telegram.inject_text(*user, "flirty opener for a gym lover");
    }
    // The model's answer, not a "you are in the queue" notice.
    let drafts = |telegram: &FakeTelegram| -> HashMap<u64, usize> {
        let mut replies: HashMap<u64, usize> = HashMap::new();
        for call in telegram.calls_since(mark, "sendMessage") {
            if call.str("text").is_some_and(|text| text.contains("hey you")) {
                *replies.entry(call.params["chat_id"].as_u64().expect("chat id")).or_default() += 1;
            }
        }
        replies
    };
    let deadline = Instant::now() + PATIENCE;
    while drafts(&telegram).len() < 20 {
        assert!(
            Instant::now() < deadline,
            "the leader did not answer 20 users: {:?}",
            telegram.calls_since(mark, "sendMessage").iter().take(3).map(|c| c.params.clone()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The model stops answering: the leader holds the rest of the burst, its
    // last drafts sent, none on the way (a reply Telegram takes in the instant
    // of a kill, not yet marked answered, is sent again: at least once).
    model.set_down(Some(ModelFault::Hang));
    let mut sent = drafts(&telegram).len();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = drafts(&telegram).len();
        if now == sent {
            break;
        }
        sent = now;
    }
    leader.kill().await;
    model.set_down(None);
    println!("killed with {sent} of {} users answered", users.len());
    let deadline = Instant::now() + TAKEOVER + Duration::from_secs(60);
    while drafts(&telegram).len() < users.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let replies = drafts(&telegram);
    let missing: Vec<&u64> = users.iter().filter(|user| !replies.contains_key(user)).collect();
    let doubled: Vec<(&u64, &usize)> = replies.iter().filter(|(_, n)| **n > 1).collect();
    println!("killed mid-burst: {} users, answered twice: {doubled:?}", users.len());
    assert!(
        missing.is_empty() && doubled.is_empty(),
        "missing {missing:?}, answered twice {doubled:?}\n--- standby ---\n{}",
        standby.output()
    );
    assert!(standby.output().contains("left unanswered"), "the standby answered the dead instance's updates");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_global_model_cap_holds_across_instances() {
    let redis = RedisServer::start().expect("redis-server");
    let url = redis.url();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always("1. hey you\n2. miss me?\n3. come say hi"));
    let env = [("STORE_URL", url.as_str()), ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "6")];
    let started = Instant::now();
    let first = BotProcess::telegram(&telegram, Some(&model), &env).await;
    for user in 0..5 {
        ask(&telegram, 300 + user, "flirty opener").await;
    }
    first.stop().await;
    let _second = BotProcess::telegram(&telegram, Some(&model), &env).await;
    for user in 5..10 {
        ask(&telegram, 300 + user, "flirty opener").await;
    }
    let calls = model.chat_requests().len();
    // 6 at once, then one every 10 s.
    let allowed = 6 + (started.elapsed().as_secs() / 10) as usize;
    assert!(calls <= allowed, "{calls} model calls, the shared cap allows {allowed}");
    assert!(calls >= 6, "{calls} model calls: the cap was not reached");
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_restarted_mid_run_degrades_clearly_and_recovers_by_itself() {
    let mut redis = RedisServer::start().expect("redis-server");
    let url = redis.url();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let bot = BotProcess::telegram(&telegram, None, &[("STORE_URL", url.as_str()), ("HEALTH_ADDR", &addr)]).await;
    ask(&telegram, 31, "/persona name: Iris").await;
    let ready = format!("http://{addr}/readyz");
    assert_eq!(http_get(&ready).await.unwrap().status(), 200);

    redis.kill();
    let during = ask(&telegram, 31, "/persona").await;
    assert!(!text(&during).is_empty(), "still answering while Redis is down");
    let response = http_get(&ready).await.unwrap();
    assert_eq!(response.status(), 503);
    let body = response.text().await.unwrap();
    assert!(body.contains("Redis") && body.contains("unreachable"), "{body}");

    redis.restart().expect("redis-server restarts");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reply = ask(&telegram, 31, "/persona").await;
        if text(&reply).contains("Iris") {
            break;
        }
        assert!(Instant::now() < deadline, "not recovered: {}\n{}", text(&reply), bot.output());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let response = http_get(&ready).await.unwrap();
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap());
    assert!(!bot.output().contains("panicked"), "{}", bot.output());
}
