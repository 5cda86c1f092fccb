//! Configuration: environment variables, an optional TOML file, a `.env` file.
//!
//! Each crate owns a table of the settings it reads and builds its own
//! configuration from them; this module owns the settings of the generic
//! layers (timeouts, retries, the breaker, rate limits, storage) and of the
//! process, layers the values (defaults, then the TOML file named by
//! `MUSE_CONFIG`, then the environment) and hands them out. The README's
//! configuration table is checked against the tables. The environment
//! comes in as a map so tests never touch the process environment.

use std::collections::BTreeMap;
use std::time::Duration;

use muse_domain::AssistantConfig;
use muse_domain::settings::{SettingError, Settings, Table, invalid};
use muse_llm::{LlmConfig, ProviderConfig};
use muse_resilience::Rate;
use muse_security::SecurityConfig;
use muse_storage::{FileStoreConfig, RedisConfig};
use muse_telegram::TelegramConfig;

/// The settings read here, with their defaults.
const SETTINGS: Table = &[
    ("LLM_DEADLINE_SECS", "30"),
    ("RATE_LIMIT_PER_MINUTE", "30"),
    ("AI_RATE_LIMIT_PER_MINUTE", "10"),
    // Groq's free tier allows 30 requests a minute for llama-3.1-8b-instant.
    ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "30"),
    ("LLM_QUEUE_WAIT_SECS", "10"),
    ("LLM_QUEUE_MAX", "1000"),
    ("DATA_DIR", "./data"),
    ("STORE_URL", ""),
    ("STORAGE_DURABLE", "false"),
    ("STORAGE_FLUSH_MS", "1000"),
    ("STORAGE_CACHE_MB", "16"),
    ("HEALTH_ADDR", "127.0.0.1:8080"),
    ("LOG_FORMAT", "pretty"),
    ("WORKER_THREADS", "1"),
    ("RUST_LOG", "info"),
    ("MUSE_CONFIG", ""),
];

/// Every crate's table.
pub(crate) const TABLES: &[Table] = &[
    muse_telegram::SETTINGS,
    muse_llm::SETTINGS,
    muse_llm::provider::SETTINGS,
    muse_domain::assistant::SETTINGS,
    muse_security::SETTINGS,
    SETTINGS,
];

/// Why the configuration was refused. Always names the setting.
pub(crate) type ConfigError = SettingError;

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object a line, for log shippers.
    Json,
}

/// Validated configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// The Bot API connection; `None` without `TELEGRAM_BOT_TOKEN`.
    pub(crate) telegram: Option<TelegramConfig>,
    /// The model provider; `None` without an API key (offline writer).
    pub(crate) llm: Option<LlmConfig>,
    /// How the assistant drafts.
    pub(crate) assistant: AssistantConfig,
    /// Fallback models, retries, breakers, timeouts, the bulkhead.
    pub(crate) provider: ProviderConfig,
    /// The deadline and the rate limits.
    pub(crate) resilience: Resilience,
    /// Admins, the allowlist and the screening thresholds.
    pub(crate) security: SecurityConfig,
    /// Where and how state is stored without Redis.
    pub(crate) storage: FileStoreConfig,
    /// The Redis server every instance shares (`STORE_URL`); `None`: the
    /// file store in `DATA_DIR`.
    pub(crate) redis: Option<RedisConfig>,
    /// The ops HTTP address; `None` disables it.
    pub(crate) health_addr: Option<std::net::SocketAddr>,
    /// How logs are written.
    pub(crate) log_format: LogFormat,
    /// Threads running the async work; 1 runs it all on the main thread.
    pub(crate) worker_threads: usize,
}

/// The limits of the update stack and the model stack.
#[derive(Clone, Debug)]
pub(crate) struct Resilience {
    /// Deadline of one request through the whole model stack.
    pub(crate) deadline: Duration,
    /// Updates a minute per user.
    pub(crate) rate: Rate,
    /// Model calls a minute per user.
    pub(crate) ai_rate: Rate,
    /// Model calls a minute for all users together.
    pub(crate) global_ai_rate: Rate,
    /// The longest a request waits for a model slot (`LLM_MAX_CONCURRENCY`).
    pub(crate) queue_wait: Duration,
    /// The most requests waiting for a slot at once.
    pub(crate) queue_max: usize,
}

/// The environment Muse sees: `.env` in the working directory, if present,
/// overridden by the process environment.
pub(crate) fn environment() -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> =
        dotenvy::from_path_iter(".env").map(|iter| iter.filter_map(Result::ok).collect()).unwrap_or_default();
    env.extend(std::env::vars());
    env
}

/// The values of the TOML file at `path`, as text.
fn file(path: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let cannot = |problem: String| invalid("MUSE_CONFIG", format!("cannot read {path}: {problem}"));
    let text = std::fs::read_to_string(path).map_err(|err| cannot(err.to_string()))?;
    let table: toml::Table = text.parse().map_err(|err: toml::de::Error| cannot(err.message().to_owned()))?;
    table
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                toml::Value::String(text) => text,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(invalid(&key.to_uppercase(), format!("expected a value, found {}", other.type_str())));
                }
            };
            Ok((key, text))
        })
        .collect()
}

fn rate(settings: &Settings, name: &str) -> Result<Rate, ConfigError> {
    Rate::per_minute(settings.number(name, 1..=100_000)?).ok_or_else(|| invalid(name, "must be above 0"))
}

impl Config {
    /// Reads and validates the configuration from an environment map.
    pub(crate) fn load(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let mut settings = Settings::new(TABLES);
        if let Some(path) = env.get("MUSE_CONFIG").filter(|p| !p.is_empty()) {
            settings = settings.file(file(path)?, "MUSE_CONFIG")?;
        }
        let s = settings.environment(env, &["HEALTH_ADDR"]);
        let storage = FileStoreConfig {
            durable: s.flag("STORAGE_DURABLE")?,
            flush_every: Duration::from_millis(s.number("STORAGE_FLUSH_MS", 10..=60_000)?),
            cache_bytes: s.number::<usize>("STORAGE_CACHE_MB", 1..=65_536)? << 20,
            ..FileStoreConfig::new(s.required("DATA_DIR", "a directory")?)
        };
        let redis = s
            .optional("STORE_URL")
            .map(|url| match url.split_once("://") {
                Some(("redis", _)) => Ok(RedisConfig::new(url)),
                // The client is built without TLS.
                Some(("rediss", _)) => Err(invalid(
                    "STORE_URL",
                    "rediss:// (TLS) is not supported: reach Redis over a private network or a TLS tunnel",
                )),
                _ => Err(invalid("STORE_URL", "must be redis://host:port, or empty for DATA_DIR")),
            })
            .transpose()?;
        let health_addr = s.optional("HEALTH_ADDR").map(|addr| {
            addr.parse().map_err(|_| invalid("HEALTH_ADDR", format!("not an address like 127.0.0.1:8080: {addr}")))
        });
        let log_format = match s.text("LOG_FORMAT").to_lowercase().as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => return Err(invalid("LOG_FORMAT", format!("must be pretty or json, found {other}"))),
        };
        let resilience = Resilience {
            deadline: s.seconds("LLM_DEADLINE_SECS")?,
            rate: rate(&s, "RATE_LIMIT_PER_MINUTE")?,
            ai_rate: rate(&s, "AI_RATE_LIMIT_PER_MINUTE")?,
            global_ai_rate: rate(&s, "GLOBAL_AI_RATE_LIMIT_PER_MINUTE")?,
            queue_wait: s.seconds("LLM_QUEUE_WAIT_SECS")?,
            queue_max: s.number("LLM_QUEUE_MAX", 0..=1_000_000)?,
        };
        let llm = LlmConfig::from_settings(&s)?;
        // A streaming model client is what live drafts show.
        let live_drafts = llm.as_ref().is_some_and(|llm| llm.stream);
        let telegram = TelegramConfig::from_settings(&s)?.map(|t| TelegramConfig { live_drafts, ..t });
        // The ops routes share the webhook's server.
        if let Some(webhook) = telegram.as_ref().and_then(|t| t.webhook.as_ref())
            && muse_health::http::ROUTES.contains(&webhook.url.path())
        {
            return Err(invalid("TELEGRAM_WEBHOOK_URL", format!("the path {} is an ops route", webhook.url.path())));
        }
        Ok(Config {
            telegram,
            llm,
            provider: ProviderConfig::from_settings(&s)?,
            assistant: AssistantConfig::from_settings(&s)?,
            resilience,
            security: SecurityConfig::from_settings(&s)?,
            storage,
            redis,
            health_addr: health_addr.transpose()?,
            log_format,
            worker_threads: s.number("WORKER_THREADS", 1..=256)?,
        })
    }
}

#[cfg(test)]
mod tests;
