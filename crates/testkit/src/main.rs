//! Runs the fake Bot API and the fake model API until Ctrl-C, for manual
//! runs of `muse-bot` and for load tests.
//!
//! `FAKE_TELEGRAM_ADDR` and `FAKE_OPENAI_ADDR` choose the addresses
//! (default: free ports on 127.0.0.1); `FAKE_OPENAI_LATENCY_MS`, how long the
//! fake model takes to answer (default 0). Inject a message with
//! `curl -d '{"user_id":1,"text":"/reply hi"}' -H 'content-type: application/json' <telegram>/_control/text`.

use muse_testkit::{FakeOpenAi, FakeTelegram};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = |name: &str| std::env::var(name).unwrap_or_else(|_| "127.0.0.1:0".to_owned()).parse();
    let telegram = FakeTelegram::spawn_on(addr("FAKE_TELEGRAM_ADDR")?).await?;
    let openai = FakeOpenAi::spawn_on(addr("FAKE_OPENAI_ADDR")?).await?;
    let latency = std::env::var("FAKE_OPENAI_LATENCY_MS")
        .map_or(Ok(0), |ms| ms.parse())
        .map_err(|_| anyhow::anyhow!("FAKE_OPENAI_LATENCY_MS must be a whole number of milliseconds"))?;
    openai.latency(std::time::Duration::from_millis(latency), std::time::Duration::ZERO);
    println!("TELEGRAM_API_URL={}", telegram.url());
    println!("LLM_BASE_URL={}", openai.base_url());
    println!("control: POST {}/_control/text, GET {}/_control/calls", telegram.url(), telegram.url());
    println!(
        "control: POST {}/_control/rule, GET {}/_control/journal",
        openai.base_url().trim_end_matches("/v1"),
        openai.base_url().trim_end_matches("/v1")
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
