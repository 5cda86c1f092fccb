//! Several `muse-bot` processes on one real `redis-server`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use muse_testkit::{FakeOpenAi, FakeTelegram, ModelFault, RedisServer, RoundRobin, Rule};
use muse_tests::{BotProcess, PATIENCE, ask, http_get, text};

/// What the fake model answers, and a piece of it that only its drafts contain.
const DRAFTS: &str = "1. hey you\n2. miss me?\n3. come say hi";
const DRAFT: &str = "hey you";

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
    model.rule(Rule::always(DRAFTS));
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
    let sent = hold_mid_burst(&telegram, &model, mark, 20).await;
    leader.kill().await;
    model.set_down(None);
    println!("killed with {sent} of {} users answered", users.len());
    // The model's answer, not a "you are in the queue" notice.
    wait_answered(&telegram, mark, DRAFT, users.len(), TAKEOVER + Duration::from_secs(60)).await;
    let (missing, doubled) = once_each(&answered(&telegram, mark, DRAFT), &users);
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
    model.rule(Rule::always(DRAFTS));
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

const SECRET: &str = "wh-secret_123";

/// Two instances in webhook mode on one Redis, behind a round-robin
/// balancer that Telegram posts to.
async fn webhook_pair(
    redis: &RedisServer,
    telegram: &FakeTelegram,
    model: Option<&FakeOpenAi>,
    extra: &[(&str, &str)],
) -> (RoundRobin, Vec<BotProcess>) {
    let ports = [free_port(), free_port()];
    let addrs: Vec<std::net::SocketAddr> = ports.iter().map(|port| ([127, 0, 0, 1], *port).into()).collect();
    let balancer = RoundRobin::spawn(addrs.clone()).await.expect("a balancer");
    let (url, hook) = (redis.url(), format!("{}/telegram", balancer.url()));
    let mut bots = Vec::new();
    for addr in &addrs {
        let addr = addr.to_string();
        let mut env = vec![
            ("STORE_URL", url.as_str()),
            ("TELEGRAM_WEBHOOK_URL", hook.as_str()),
            ("TELEGRAM_WEBHOOK_SECRET", SECRET),
            ("WEBHOOK_ADDR", addr.as_str()),
        ];
        env.extend_from_slice(extra);
        let bot = BotProcess::standby(telegram, model, &env).await;
        bot.wait_for_line("webhook listening").await;
        bots.push(bot);
    }
    (balancer, bots)
}

/// The chats that got a `sendMessage` whose text passes `keep` since
/// `mark`, and how many each.
fn replies(telegram: &FakeTelegram, mark: usize, keep: impl Fn(&str) -> bool) -> HashMap<u64, usize> {
    let mut replies: HashMap<u64, usize> = HashMap::new();
    for call in telegram.calls_since(mark, "sendMessage") {
        if keep(call.str("text").unwrap_or_default()) {
            *replies.entry(call.params["chat_id"].as_u64().expect("chat id")).or_default() += 1;
        }
    }
    replies
}

/// The chats that got a `sendMessage` containing `needle` since `mark`, and how many each.
fn answered(telegram: &FakeTelegram, mark: usize, needle: &str) -> HashMap<u64, usize> {
    replies(telegram, mark, |text| text.contains(needle))
}

/// Of `users`, those with no reply, and the chats answered more than once.
fn once_each(replies: &HashMap<u64, usize>, users: &[u64]) -> (Vec<u64>, Vec<(u64, usize)>) {
    let missing = users.iter().filter(|user| !replies.contains_key(user)).copied().collect();
    let doubled = replies.iter().filter(|(_, n)| **n > 1).map(|(user, n)| (*user, *n)).collect();
    (missing, doubled)
}

/// Waits for `at_least` model drafts, then stops the model answering and
/// waits until no draft has been sent for a second: the instances hold the
/// rest of the burst, none on its way to Telegram. (A reply Telegram takes
/// in the instant of a kill, not yet marked answered, is sent again: at
/// least once.) Returns how many users got a draft.
async fn hold_mid_burst(telegram: &FakeTelegram, model: &FakeOpenAi, mark: usize, at_least: usize) -> usize {
    let deadline = Instant::now() + PATIENCE;
    while answered(telegram, mark, DRAFT).len() < at_least {
        assert!(Instant::now() < deadline, "fewer than {at_least} drafts came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    model.set_down(Some(ModelFault::Hang));
    let mut sent = answered(telegram, mark, DRAFT).len();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = answered(telegram, mark, DRAFT).len();
        if now == sent {
            return sent;
        }
        sent = now;
    }
}

async fn wait_answered(telegram: &FakeTelegram, mark: usize, needle: &str, users: usize, within: Duration) {
    let deadline = Instant::now() + within;
    while answered(telegram, mark, needle).len() < users && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Anything sent twice would come now.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_instances_behind_a_balancer_share_state_limits_and_bans_and_answer_each_update_once() {
    let redis = RedisServer::start().expect("redis-server");
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always(DRAFTS));
    let extra = [("ADMIN_IDS", "900"), ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "6")];
    let started = Instant::now();
    let (balancer, bots) = webhook_pair(&redis, &telegram, Some(&model), &extra).await;
    let hook = telegram.webhook_url().expect("setWebhook was called");
    assert!(hook.ends_with("/telegram"), "{hook}");
    let ready = http_get(&format!("{}/readyz", balancer.url())).await.unwrap();
    assert_eq!(ready.status(), 200, "the ops routes share the webhook's server");

    // Without the secret, or with another, nothing gets in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let forged = r#"{"update_id":99999,"message":{"message_id":1,"date":1,"chat":{"id":77,"type":"private","first_name":"X"},"from":{"id":77,"is_bot":false,"first_name":"X"},"text":"/start"}}"#;
    let mark = telegram.mark();
    for secret in [None, Some("wrong")] {
        let mut request = client.post(&hook).header("content-type", "application/json").body(forged);
        if let Some(secret) = secret {
            request = request.header("x-telegram-bot-api-secret-token", secret);
        }
        assert_eq!(request.send().await.unwrap().status(), 401);
    }

    // A persona set through one instance is used by the other.
    assert!(text(&ask(&telegram, 41, "/persona name: Nova; voice: dreamy").await).contains("Nova"));
    for _ in 0..4 {
        assert!(text(&ask(&telegram, 41, "/start").await).contains("Nova"));
    }
    assert!(balancer.served().iter().all(|n| *n >= 2), "both instances served: {:?}", balancer.served());

    // 100 updates spread over both: each answered exactly once.
    let mark_burst = telegram.mark();
    for user in 2000..2100 {
        telegram.inject_text(user, "/help");
    }
    wait_answered(&telegram, mark_burst, "/persona", 100, PATIENCE).await;
    let replies = answered(&telegram, mark_burst, "/persona");
    assert_eq!(replies.len(), 100, "every user answered");
    assert!(
        replies.values().all(|n| *n == 1),
        "answered twice: {:?}",
        replies.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert!(
        telegram.calls_since(mark, "sendMessage").iter().all(|call| call.params["chat_id"] != 77),
        "the forged update reached nothing"
    );

    // The global model cap holds across both: 6 at once, then one every 10 s.
    let mark_drafts = telegram.mark();
    for user in 3000..3012 {
        telegram.inject_text(user, "flirty opener");
    }
    telegram.wait_calls(mark_drafts, "sendMessage", 12, PATIENCE).await.expect("every request answered");
    let calls = model.chat_requests().len();
    let allowed = 6 + (started.elapsed().as_secs() / 10) as usize;
    assert!(
        (6..=allowed).contains(&calls),
        "{calls} model calls for 12 requests on two instances; the cap allows {allowed}"
    );

    // A ban made through one instance holds on the other within 2 s.
    assert!(text(&ask(&telegram, 900, "/ban 66").await).contains("banned"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mark_banned = telegram.mark();
    for _ in 0..4 {
        telegram.inject_text(66, "/start");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(telegram.sent_texts(mark_banned).is_empty(), "a banned user gets silence from both instances");
    assert_eq!(telegram.deliveries().failed, 0, "{:?}", telegram.deliveries());
    drop(bots);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_instance_killed_mid_burst_leaves_nothing_unanswered_or_answered_twice() {
    let redis = RedisServer::start().expect("redis-server");
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always(DRAFTS));
    model.latency(Duration::from_secs(1), Duration::ZERO);
    let extra = [
        ("LLM_MAX_CONCURRENCY", "4"),
        ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "1000"),
        ("LLM_QUEUE_WAIT_SECS", "30"),
        ("LLM_DEADLINE_SECS", "15"),
    ];
    let (_balancer, mut bots) = webhook_pair(&redis, &telegram, Some(&model), &extra).await;
    let mark = telegram.mark();
    let users: Vec<u64> = (4000..4060).collect();
    for user in &users {
        telegram.inject_text(*user, "flirty opener for a gym lover");
    }
    let sent = hold_mid_burst(&telegram, &model, mark, 10).await;
    let victim = bots.remove(0);
    victim.kill().await;
    model.set_down(None);
    println!("killed one of two webhook instances with {sent} of {} users answered", users.len());
    // The survivor's own hanging requests end at their deadline and fall
    // back to the offline writer: count any answer (queue notices are not).
    let answer = |text: &str| !text.starts_with('⏳');
    let deadline = Instant::now() + Duration::from_secs(90);
    while replies(&telegram, mark, answer).len() < users.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (missing, doubled) = once_each(&replies(&telegram, mark, answer), &users);
    assert!(
        missing.is_empty() && doubled.is_empty(),
        "missing {missing:?}, answered twice {doubled:?}\n--- survivor ---\n{}",
        bots[0].output()
    );
}
