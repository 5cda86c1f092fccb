//! Load generator: the real `muse-bot` against the testkit fakes, many
//! chats at once, measuring the bot process's CPU time per reply and its
//! peak resident memory from /proc.
//!
//! ```sh
//! cargo build --release -p muse-bot -p muse-tests
//! target/release/muse-load target/release/muse-bot 2000 1 [slots, default 10000] [model latency ms, default 0] \
//!     [provider budget, requests a minute] [queue wait s]
//! ```
//!
//! With a provider budget the fake model allows that many requests a
//! minute, replenished every second (600 a minute: 10 each second), and
//! announces it in `x-ratelimit-*` headers; the run then reports the 429s
//! the fake sent, and which users waited past 3 s without the queue notice.
//!
//! With `MUSE_LOAD_INSTANCES=2` the run starts a `redis-server` and that
//! many instances in webhook mode on it, behind a round-robin balancer;
//! CPU and memory are then the sum over the instances.

use std::time::{Duration, Instant};

use muse_testkit::{FakeOpenAi, FakeTelegram, Rule};

/// utime + stime of `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat: 11 and 12 after ')'.
    (ticks(11) + ticks(12)) / 100.0
}

fn status_kib(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bot = args.next().ok_or("usage: muse-load <muse-bot binary> <users> <messages per user>")?;
    let bot = std::fs::canonicalize(bot)?;
    let users: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let per_user: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(1);
    // Model slots (LLM_MAX_CONCURRENCY): 10000 lets every reply reach the
    // model at once; fewer make requests wait in the fair queue.
    let concurrency = args.next().unwrap_or_else(|| "10000".to_owned());
    let latency: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let provider_budget: Option<u32> = args.next().and_then(|v| v.parse().ok());
    // Without a budget every chat waits its turn: long enough for the whole run.
    let queue_wait = args.next().unwrap_or_else(|| if provider_budget.is_some() { "10" } else { "3600" }.to_owned());
    let telegram = FakeTelegram::spawn().await?;
    let model = FakeOpenAi::spawn().await?;
    model.latency(Duration::from_millis(latency), Duration::ZERO);
    if let Some(per_minute) = provider_budget {
        model.budget(per_minute.div_ceil(60), Duration::from_secs(1));
    }
    model.rule(Rule::always(
        "1. hey you, I was just thinking about you\n2. miss me already?\n3. guess what I'm wearing",
    ));
    let data = tempfile::tempdir()?;
    let (url, base) = (telegram.url(), model.base_url());
    let env = [
        ("TELEGRAM_BOT_TOKEN", "1:load"),
        ("TELEGRAM_API_URL", url.as_str()),
        ("LLM_BASE_URL", base.as_str()),
        ("LLM_API_KEY", "k"),
        ("HEALTH_ADDR", ""),
        ("RUST_LOG", "warn"),
        ("RATE_LIMIT_PER_MINUTE", "100000"),
        ("AI_RATE_LIMIT_PER_MINUTE", "100000"),
        ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "100000"),
        ("LLM_MAX_CONCURRENCY", concurrency.as_str()),
        ("LLM_QUEUE_WAIT_SECS", queue_wait.as_str()),
        ("LLM_QUEUE_MAX", "1000000"),
        ("LLM_DEADLINE_SECS", "3600"),
    ];
    let instances: usize = std::env::var("MUSE_LOAD_INSTANCES").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let mut children = Vec::new();
    let mut _cluster = None;
    if instances > 1 {
        let redis = muse_testkit::RedisServer::start()?;
        let ports: Vec<u16> = (0..instances)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()))
            .collect::<Result<_, _>>()?;
        let backends = ports.iter().map(|port| std::net::SocketAddr::from(([127, 0, 0, 1], *port))).collect();
        let balancer = muse_testkit::RoundRobin::spawn(backends).await?;
        let (store, hook) = (redis.url(), format!("{}/telegram", balancer.url()));
        for port in &ports {
            let addr = format!("127.0.0.1:{port}");
            let mut env = env.to_vec();
            env.extend([
                ("STORE_URL", store.as_str()),
                ("TELEGRAM_WEBHOOK_URL", hook.as_str()),
                ("TELEGRAM_WEBHOOK_SECRET", "load"),
                ("WEBHOOK_ADDR", addr.as_str()),
            ]);
            children.push(muse_tests::command_of(&bot, data.path(), &[], &env).spawn()?);
        }
        telegram.wait_calls(0, "setWebhook", instances, Duration::from_secs(30)).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        _cluster = Some((redis, balancer));
    } else {
        children.push(muse_tests::command_of(&bot, data.path(), &[], &env).spawn()?);
        telegram.wait_calls(0, "getUpdates", 1, Duration::from_secs(30)).await?;
    }
    let pids: Vec<u32> = children.iter().filter_map(tokio::process::Child::id).collect();
    // Summed over the instances.
    let total_cpu = || pids.iter().map(|pid| cpu_seconds(*pid)).sum::<f64>();
    let status_kib = |key: &str| pids.iter().map(|pid| status_kib(*pid, key)).sum::<f64>();
    // The idle cost (long polling, timers) over 10 s, to separate it out.
    let idle_started = (total_cpu(), Instant::now());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_rate = (total_cpu() - idle_started.0) / idle_started.1.elapsed().as_secs_f64();
    let idle = status_kib("VmRSS:") / 1024.0;
    let (cpu_before, started, mark) = (total_cpu(), Instant::now(), telegram.mark());
    for round in 0..per_user {
        for user in 1..=users {
            telegram.inject_text(user, &format!("/reply hey gorgeous, what are you up to tonight? ({round})"));
        }
    }
    let replies = users * per_user;
    let budget = Duration::from_secs(60 + replies / 10);
    // Queue notices are messages too: wait for a reply per message.
    let deadline = Instant::now() + budget;
    let notice = |text: &str| text.starts_with('⏳');
    loop {
        telegram.wait_calls(mark, "sendMessage", replies as usize, budget).await?;
        let answered = telegram.sent_texts(mark).iter().filter(|t| !notice(t)).count();
        if answered >= replies as usize || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (wall, cpu) = (started.elapsed(), total_cpu() - cpu_before);
    println!(
        "{users} chats x {per_user} message(s): {replies} replies in {wall:.1?} ({:.0} replies/s)",
        replies as f64 / wall.as_secs_f64()
    );
    println!("bot CPU: {cpu:.2} s in all, {:.3} ms per reply", cpu * 1000.0 / replies as f64);
    let net = (cpu - idle_rate * wall.as_secs_f64()).max(0.0);
    println!(
        "idle CPU: {:.1} ms a second; net of it, {:.3} ms per reply",
        idle_rate * 1000.0,
        net * 1000.0 / replies as f64
    );
    println!(
        "bot memory: {idle:.1} MiB resident idle, {:.1} MiB at the end, {:.1} MiB peak",
        status_kib("VmRSS:") / 1024.0,
        status_kib("VmHWM:") / 1024.0
    );
    let offline = telegram.sent_texts(mark).iter().filter(|t| t.contains("offline writer")).count();
    println!(
        "model requests seen by the fake: {}; replies from the offline writer: {offline}",
        model.chat_requests().len()
    );
    let mut methods = std::collections::BTreeMap::<String, usize>::new();
    for call in telegram.calls().iter().skip(mark) {
        *methods.entry(call.method.clone()).or_default() += 1;
    }
    let methods: Vec<String> = methods.iter().map(|(method, count)| format!("{method} {count}")).collect();
    println!("Telegram calls: {}", methods.join(", "));
    let sent = telegram.calls_since(mark, "sendMessage");
    let last = sent.last().map(|c| c.at.duration_since(started));
    println!("last reply {:.1?} after the first message", last.unwrap_or_default());
    if provider_budget.is_some() {
        // Per chat: when its drafts came, and whether a notice came first.
        let mut late = 0;
        let mut unnoticed = 0;
        for user in 1..=users {
            let mine: Vec<_> = sent.iter().filter(|c| c.params["chat_id"] == user).collect();
            let noticed = mine.iter().any(|c| c.str("text").is_some_and(|t| t.starts_with('⏳')));
            let reply = mine.iter().find(|c| !c.str("text").is_some_and(|t| t.starts_with('⏳')));
            if reply.is_some_and(|reply| reply.at.duration_since(started) > Duration::from_secs(3)) {
                late += 1;
                unnoticed += usize::from(!noticed);
            }
        }
        println!(
            "provider budget: {} answers of 429 from the fake; {late} users answered after 3 s, {unnoticed} of them without the queue notice",
            model.over_budget()
        );
    }
    for mut child in children {
        child.start_kill()?;
    }
    Ok(())
}
