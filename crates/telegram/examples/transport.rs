//! What the three HTTP exchanges of a reply cost with Muse's libraries and
//! none of Muse: `sendChatAction`, a chat completion and `sendMessage`,
//! through teloxide (with its `Throttle`, as the bot sends) and Muse's
//! model client, against the testkit fakes running in another process.
//!
//! ```sh
//! cargo build --release -p muse-testkit -p muse-telegram --example transport
//! target/release/muse-testkit   # prints TELEGRAM_API_URL and LLM_BASE_URL
//! target/release/examples/transport <TELEGRAM_API_URL> <LLM_BASE_URL> [replies, default 1500] [at once, default 60]
//! ```
//!
//! Telegram's default limits hold `sendMessage` to 30 a second, as in the
//! bot. Prints this process's CPU time (user and system, from /proc) per
//! reply.
//!
//! `MUSE_TRANSPORT_PART` measures one part alone: `telegram` (the two
//! Telegram calls through `Throttle`, no model), `telegram-unthrottled`
//! (the same without `Throttle`, as fast as the fake answers) or `model`
//! (the completion alone).

use std::time::Instant;

use futures::StreamExt;
use muse_domain::Kind;
use muse_domain::model::{ChatMessage, ModelRequest, Role};
use muse_llm::{LlmClient, LlmConfig};
use secrecy::SecretString;
use teloxide::adaptors::throttle::Limits;
use teloxide::prelude::*;
use teloxide::types::ChatAction;

/// utime + stime of this process, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (telegram, model) = (args.next().ok_or("telegram URL")?, args.next().ok_or("model base URL")?);
    let replies: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let at_once: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(60);
    let part = std::env::var("MUSE_TRANSPORT_PART").unwrap_or_default();
    if !["", "telegram", "telegram-unthrottled", "model"].contains(&part.as_str()) {
        return Err(format!("MUSE_TRANSPORT_PART is {part:?}: use telegram, telegram-unthrottled or model").into());
    }
    let plain = Bot::new("1:transport").set_api_url(telegram.parse()?);
    let bot = plain.clone().throttle(Limits::default());
    let llm = LlmClient::new(&LlmConfig { base_url: model, ..LlmConfig::groq(SecretString::from("k")) })?;
    // About the size of Muse's reply prompt: instructions, persona, history.
    let system = "You write replies in the creator's voice. Keep it short, warm and playful. ".repeat(50);
    let one = |chat: u64| {
        let (bot, plain, llm, system, part) = (bot.clone(), plain.clone(), llm.clone(), system.clone(), part.clone());
        async move {
            let request = ModelRequest {
                kind: Kind::Reply,
                model: "llama-3.1-8b-instant".to_owned(),
                messages: vec![
                    ChatMessage::new(Role::System, system),
                    ChatMessage::new(Role::User, "hey gorgeous, what are you up to tonight?".to_owned()),
                ],
                temperature: 0.9,
                max_tokens: 400,
                user: chat,
                preview: None,
            };
            let chat = ChatId(chat as i64);
            const CANNED: &str = "nothing much, just thinking of you 😘";
            match part.as_str() {
                "telegram" => {
                    bot.send_chat_action(chat, ChatAction::Typing).await?;
                    bot.send_message(chat, CANNED).await?;
                }
                "telegram-unthrottled" => {
                    plain.send_chat_action(chat, ChatAction::Typing).await?;
                    plain.send_message(chat, CANNED).await?;
                }
                "model" => {
                    llm.complete(&request).await?;
                }
                _ => {
                    bot.send_chat_action(chat, ChatAction::Typing).await?;
                    let reply = llm.complete(&request).await?;
                    bot.send_message(chat, reply.text).await?;
                }
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }
    };
    let run = |count: u64| {
        futures::stream::iter((1..=count).map(one)).buffer_unordered(at_once).for_each(|result| async move {
            if let Err(err) = result {
                eprintln!("failed: {err}");
            }
        })
    };
    // Connections opened and the pools warm before measuring.
    run(at_once as u64 * 4).await;
    let (cpu, started) = (cpu_seconds(), Instant::now());
    run(replies).await;
    let (cpu, wall) = (cpu_seconds() - cpu, started.elapsed());
    println!(
        "{replies} replies, {at_once} at once, in {wall:.1?}: {:.3} ms of CPU per reply",
        cpu * 1000.0 / replies as f64
    );
    Ok(())
}
