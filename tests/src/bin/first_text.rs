//! Time to first visible text: the real `muse-bot` against the testkit
//! fakes with a model that takes 1 s per answer, once without streaming
//! (the chat shows "typing…" until the final message) and once with
//! `LLM_STREAM=true` (a live draft: the placeholder, then the text as it
//! streams, then the final message).
//!
//! ```sh
//! cargo build --release -p muse-bot -p muse-tests
//! target/release/muse-first-text target/release/muse-bot [requests per mode, default 20]
//! ```

use std::time::{Duration, Instant};

use muse_testkit::{FakeOpenAi, FakeTelegram, Rule};

const ANSWER: &str =
    "1. hey you, I was just thinking about you 😘\n2. miss me already?\n3. guess what I'm wearing tonight";
/// When a streaming model sends its first words; the answer is complete at 1 s.
const FIRST_TOKEN: Duration = Duration::from_millis(250);
const WHOLE: Duration = Duration::from_secs(1);

/// Per request: the placeholder, the first text, the final message, each after the update.
type Timings = (Option<Duration>, Option<Duration>, Duration);

async fn measure(
    bot: &std::path::Path,
    stream: bool,
    requests: u64,
) -> Result<Vec<Timings>, Box<dyn std::error::Error>> {
    let telegram = FakeTelegram::spawn().await?;
    let model = FakeOpenAi::spawn().await?;
    model.rule(Rule::always(ANSWER));
    if stream {
        let words = ANSWER.split_whitespace().count() as u32;
        model.latency(FIRST_TOKEN, (WHOLE - FIRST_TOKEN) / words);
    } else {
        model.latency(WHOLE, Duration::ZERO);
    }
    let data = tempfile::tempdir()?;
    let (url, base) = (telegram.url(), model.base_url());
    let env = [
        ("TELEGRAM_BOT_TOKEN", "1:first-text"),
        ("TELEGRAM_API_URL", url.as_str()),
        ("LLM_BASE_URL", base.as_str()),
        ("LLM_API_KEY", "k"),
        ("LLM_STREAM", if stream { "true" } else { "false" }),
        ("HEALTH_ADDR", ""),
        ("RUST_LOG", "warn"),
    ];
    let mut child = muse_tests::command_of(bot, data.path(), &[], &env).spawn()?;
    telegram.wait_calls(0, "getUpdates", 1, Duration::from_secs(30)).await?;
    let mut timings = Vec::new();
    for user in 1..=requests {
        // A new fan each time, so no draft counts as a repeat.
        let (mark, started) = (telegram.mark(), Instant::now());
        telegram.inject_text(user, "/reply hey gorgeous, what are you up to tonight?");
        let sent = telegram.wait_calls(mark, "sendMessage", 1, Duration::from_secs(30)).await?;
        let drafts = telegram.calls_since(mark, "sendMessageDraft");
        let after = |at: Instant| at.duration_since(started);
        let placeholder = drafts.iter().find(|d| d.str("text") == Some("✍️ writing…")).map(|d| after(d.at));
        let first = drafts.iter().find(|d| d.str("text") != Some("✍️ writing…")).map(|d| after(d.at));
        timings.push((placeholder, first, after(sent[0].at)));
    }
    child.start_kill()?;
    Ok(timings)
}

fn summary(mut values: Vec<Duration>) -> String {
    if values.is_empty() {
        return "—".to_owned();
    }
    values.sort();
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize].as_millis();
    format!("p50 {} ms, p90 {} ms", at(0.5), at(0.9))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bot = args.next().ok_or("usage: muse-first-text <muse-bot binary> [requests per mode]")?;
    let bot = std::fs::canonicalize(bot)?;
    let requests: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(20);
    for stream in [false, true] {
        let timings = measure(&bot, stream, requests).await?;
        let placeholder = timings.iter().filter_map(|t| t.0).collect();
        let first: Vec<Duration> = timings.iter().filter_map(|t| t.1).collect();
        let finals: Vec<Duration> = timings.iter().map(|t| t.2).collect();
        println!("LLM_STREAM={stream} ({requests} requests, model done at 1 s):");
        println!("  placeholder draft:   {}", summary(placeholder));
        println!("  first model text:    {}", summary(if stream { first } else { finals.clone() }));
        println!("  final message:       {}", summary(finals));
    }
    Ok(())
}
