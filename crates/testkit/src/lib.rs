//! Fake servers for testing Muse without the network: a Telegram Bot API and
//! an OpenAI-compatible model API, both real HTTP servers on 127.0.0.1.
//!
//! Use them as a library (spawn on port 0, read the URL, inject input, read
//! what the bot sent) or run the `muse-testkit` binary for manual runs and
//! benchmarks.
//!
//! # Layout
//!
//! - [`telegram`]: [`FakeTelegram`], the Bot API: long polling, sends, faults.
//! - [`openai`]: [`FakeOpenAi`], chat completions (JSON and SSE), models, faults, a journal.
//! - [`proxy`]: [`RoundRobin`], a TCP load balancer for several bot instances.
//! - [`redis`]: [`RedisServer`], a real `redis-server` on a free port.
//!
//! # Example
//!
//! ```
//! use muse_testkit::{FakeOpenAi, Rule};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> anyhow::Result<()> {
//! let model = FakeOpenAi::spawn().await?;
//! model.rule(Rule::contains("hello", "1. hi\n2. hey\n3. hello you"));
//! assert!(model.base_url().starts_with("http://127.0.0.1:"));
//! # Ok(()) }
//! ```

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub mod openai;
pub mod proxy;
pub mod redis;
pub mod telegram;

pub use openai::Fault as ModelFault;
pub use openai::{FakeOpenAi, JournalEntry, Rule};
pub use proxy::RoundRobin;
pub use redis::RedisServer;
pub use telegram::Fault as TelegramFault;
pub use telegram::{Call, FakeTelegram};

/// An axum server running on its own task until dropped.
struct Server {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Server {
    fn start(listener: TcpListener, app: axum::Router) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(err) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                eprintln!("testkit server on {addr} failed: {err}");
            }
        });
        Ok(Server { addr, _stop: stop })
    }
}
