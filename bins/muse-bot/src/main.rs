//! `muse-bot`: configuration, the service stack, then Telegram or the terminal.

mod cluster;
mod config;
mod console;
mod ops;
mod stack;
mod state;

use std::process::ExitCode;

use std::sync::Arc;

use anyhow::Context as _;
use muse_storage::{FileStore, RedisStore, StoreError};
use muse_telegram::TelegramStatus;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};
use crate::state::Backend;

/// Exit code for bad configuration or usage (EX_USAGE).
const EX_USAGE: u8 = 64;

const USAGE: &str = "usage: muse-bot        run the Telegram bot (needs TELEGRAM_BOT_TOKEN)
       muse-bot chat   try Muse in the terminal";

#[derive(PartialEq)]
enum Mode {
    Telegram,
    Chat,
}

/// jemalloc rather than glibc's malloc: about 11% less CPU a reply under
/// load, measured alternating on one thread (BENCHMARKS.md, "The allocator
/// on one thread").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let mode = match std::env::args().nth(1).as_deref() {
        None => Mode::Telegram,
        Some("chat") => Mode::Chat,
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("muse-bot: unknown command \"{other}\"\n{USAGE}");
            return ExitCode::from(EX_USAGE);
        }
    };
    let env = config::environment();
    let config = match Config::load(&env) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("muse-bot: {err}");
            return ExitCode::from(EX_USAGE);
        }
    };
    if mode == Mode::Telegram && config.telegram.is_none() {
        eprintln!(
            "muse-bot: TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and set it, \
or try Muse in the terminal with `muse-bot chat`."
        );
        return ExitCode::from(EX_USAGE);
    }
    init_tracing(&env, config.log_format, &mode);
    // One thread by default: a bot is held to Telegram's 30 messages a
    // second, far below what one thread serves, and on small VMs every
    // hand-off between threads is a wakeup that costs more CPU than the work
    // (BENCHMARKS.md, "One thread").
    let mut builder = match config.worker_threads {
        1 => tokio::runtime::Builder::new_current_thread(),
        threads => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(threads);
            builder
        }
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("muse-bot: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(mode, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("muse-bot: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mode: Mode, mut config: Config) -> anyhow::Result<()> {
    if mode == Mode::Chat {
        // The terminal is the operator's: its one user is an admin.
        config.security.admins.push(console::CONSOLE_USER);
    }
    let store = match &config.redis {
        Some(redis) => {
            let store = RedisStore::open(redis).context("STORE_URL")?;
            match store.ping().await {
                Ok(took) => tracing::info!(server = store.server(), ms = took.as_secs_f64() * 1000.0, "Redis answered"),
                // Muse starts all the same, and connects when Redis is back.
                Err(err) => tracing::error!(server = store.server(), error = %err, "Redis is unreachable"),
            }
            Backend::Redis(store)
        }
        None => match FileStore::open(config.storage.clone()).await {
            Ok(store) => Backend::File(Arc::new(store)),
            Err(err @ StoreError::Locked(_)) => {
                anyhow::bail!("{err}; stop it first, or set DATA_DIR to another directory")
            }
            Err(err) => return Err(err).context("opening DATA_DIR"),
        },
    };
    let status = config.telegram.as_ref().map(|_| Arc::new(TelegramStatus::default()));
    let recorder = muse_health::install_recorder()?;
    let stack::Stack { service, state, runner, metrics, waits } =
        stack::build(&config, store.clone(), status.clone(), recorder).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    match (mode, config.telegram.clone()) {
        (Mode::Chat, _) => {
            let (stdin, stdout) = (tokio::io::BufReader::new(tokio::io::stdin()), tokio::io::stdout());
            let banner = |ui| stack::banner(&config, ui);
            console::run(stdin, stdout, service, banner, console::locale(), shutdown).await.context("terminal")?;
        }
        (Mode::Telegram, Some(telegram)) => {
            tracing::info!("{}", stack::banner(&config, muse_domain::Ui::En));
            // In webhook mode the ops routes share the webhook's server.
            let webhook = telegram.webhook.is_some();
            let routes = webhook.then(|| muse_health::router(runner.clone(), metrics.clone()));
            if let Some(addr) = config.health_addr.filter(|_| !webhook) {
                let router = muse_health::router(runner, metrics);
                let bound = muse_health::spawn(addr, router, shutdown.clone().cancelled_owned())
                    .await
                    .map_err(|err| anyhow::anyhow!("HEALTH_ADDR {addr}: {err}"))?;
                tracing::info!("ops HTTP listening on http://{bound}");
            }
            let cluster = store.redis().map(|redis| {
                cluster::RedisCluster::start(redis.clone(), !webhook, shutdown.clone())
                    as Arc<dyn muse_telegram::Cluster>
            });
            let status = status.unwrap_or_default();
            muse_telegram::run(telegram, service, status, waits, cluster, routes, shutdown).await?;
        }
        (Mode::Telegram, None) => unreachable!("checked in main"),
    }
    // The final flush: nothing acknowledged is left only in memory.
    state.shutdown().await.context("saving state at shutdown")?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGINT or SIGTERM starts a graceful shutdown.
async fn cancel_on_signal(shutdown: CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}

fn init_tracing(env: &std::collections::BTreeMap<String, String>, format: LogFormat, mode: &Mode) {
    // The terminal is for drafts: only warnings unless RUST_LOG says otherwise.
    let default = if *mode == Mode::Chat { "warn" } else { "info" };
    let filter = EnvFilter::try_new(env.get("RUST_LOG").map_or(default, String::as_str))
        .unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}
