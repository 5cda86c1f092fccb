//! Configuration: environment variables, an optional TOML file, a `.env` file.
//!
//! Raw settings are read first (figment: TOML file, then the environment on
//! top), then validated into [`Config`]. The environment comes in as a map so
//! tests never touch the process environment. Every error names the setting.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use governor::Quota;
use muse_domain::{AssistantConfig, HistoryLimits};
use muse_llm::{DEFAULT_MODEL, GROQ_BASE_URL, LlmConfig};
use muse_resilience::{BreakerConfig, RetryConfig};
use muse_security::Thresholds;
use muse_storage::FileStoreConfig;
use muse_telegram::TelegramConfig;
use secrecy::SecretString;
use serde::Deserialize;

/// The environment variables Muse reads, and whether their value is always
/// text (secrets and lists are never parsed as numbers).
const SETTINGS: &[(&str, bool)] = &[
    ("TELEGRAM_BOT_TOKEN", true),
    ("TELEGRAM_API_URL", true),
    ("LLM_BASE_URL", true),
    ("LLM_API_KEY", true),
    ("GROQ_API_KEY", true),
    ("LLM_MODEL", true),
    ("LLM_STREAM", false),
    ("LLM_TEMPERATURE", false),
    ("LLM_MAX_TOKENS", false),
    ("MAX_HISTORY_SIZE", false),
    ("MAX_MESSAGE_LENGTH", false),
    ("LLM_FALLBACK_MODELS", true),
    ("LLM_STREAM_IDLE_SECS", false),
    ("LLM_TIMEOUT_SECS", false),
    ("LLM_DEADLINE_SECS", false),
    ("LLM_MAX_CONCURRENCY", false),
    ("LLM_MAX_ATTEMPTS", false),
    ("LLM_RETRY_AFTER_MAX_SECS", false),
    ("RATE_LIMIT_PER_MINUTE", false),
    ("AI_RATE_LIMIT_PER_MINUTE", false),
    ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", false),
    ("BREAKER_WINDOW", false),
    ("BREAKER_MIN_CALLS", false),
    ("BREAKER_FAILURE_RATE", false),
    ("BREAKER_SLOW_CALL_SECS", false),
    ("BREAKER_SLOW_CALL_RATE", false),
    ("BREAKER_OPEN_SECS", false),
    ("BREAKER_PROBES", false),
    ("ADMIN_IDS", true),
    ("ALLOWED_USER_IDS", true),
    ("INJECTION_FLAG_SCORE", false),
    ("INJECTION_BLOCK_SCORE", false),
    ("DATA_DIR", true),
    ("STORAGE_DURABLE", false),
    ("STORAGE_FLUSH_MS", false),
    ("STORAGE_CACHE_MB", false),
    ("HEALTH_ADDR", true),
    ("LOG_FORMAT", true),
];

/// Why the configuration was refused. Always names the setting.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// A setting has a value of the wrong kind or out of range.
    #[error("{setting}: {problem}")]
    Invalid {
        /// The environment variable name.
        setting: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The file named by `MUSE_CONFIG` could not be read.
    #[error("MUSE_CONFIG: cannot read {path}: {problem}")]
    File {
        /// The path given.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

fn invalid(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { setting: setting.to_owned(), problem: problem.into() }
}

/// Settings as written, before validation. Keys are the lowercase
/// environment names; the TOML file uses the same keys.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    telegram_bot_token: Option<String>,
    telegram_api_url: String,
    llm_base_url: String,
    llm_api_key: Option<String>,
    groq_api_key: Option<String>,
    llm_model: String,
    llm_stream: bool,
    llm_temperature: f32,
    llm_max_tokens: u32,
    max_history_size: usize,
    max_message_length: usize,
    llm_fallback_models: String,
    llm_stream_idle_secs: f64,
    llm_timeout_secs: f64,
    llm_deadline_secs: f64,
    llm_max_concurrency: usize,
    llm_max_attempts: u32,
    llm_retry_after_max_secs: f64,
    rate_limit_per_minute: u32,
    ai_rate_limit_per_minute: u32,
    global_ai_rate_limit_per_minute: u32,
    breaker_window: usize,
    breaker_min_calls: usize,
    breaker_failure_rate: f64,
    breaker_slow_call_secs: f64,
    breaker_slow_call_rate: f64,
    breaker_open_secs: f64,
    breaker_probes: usize,
    admin_ids: String,
    allowed_user_ids: String,
    injection_flag_score: f32,
    injection_block_score: f32,
    data_dir: String,
    storage_durable: bool,
    storage_flush_ms: u64,
    storage_cache_mb: usize,
    health_addr: String,
    log_format: String,
}

impl Default for Raw {
    fn default() -> Self {
        let assistant = AssistantConfig::default();
        Raw {
            telegram_bot_token: None,
            telegram_api_url: "https://api.telegram.org".to_owned(),
            llm_base_url: GROQ_BASE_URL.to_owned(),
            llm_api_key: None,
            groq_api_key: None,
            llm_model: DEFAULT_MODEL.to_owned(),
            llm_stream: false,
            llm_temperature: assistant.temperature,
            llm_max_tokens: assistant.max_tokens,
            max_history_size: HistoryLimits::default().max_messages,
            max_message_length: HistoryLimits::default().max_chars,
            llm_fallback_models: String::new(),
            llm_stream_idle_secs: 10.0,
            llm_timeout_secs: 15.0,
            llm_deadline_secs: 30.0,
            llm_max_concurrency: 64,
            llm_max_attempts: 3,
            llm_retry_after_max_secs: 10.0,
            rate_limit_per_minute: 30,
            ai_rate_limit_per_minute: 10,
            // Groq's free tier allows 30 requests a minute for llama-3.1-8b-instant.
            global_ai_rate_limit_per_minute: 30,
            breaker_window: 20,
            breaker_min_calls: 5,
            breaker_failure_rate: 0.5,
            breaker_slow_call_secs: 10.0,
            breaker_slow_call_rate: 1.0,
            breaker_open_secs: 30.0,
            breaker_probes: 1,
            admin_ids: String::new(),
            allowed_user_ids: String::new(),
            injection_flag_score: Thresholds::default().flag,
            injection_block_score: Thresholds::default().block,
            data_dir: "./data".to_owned(),
            storage_durable: false,
            storage_flush_ms: 1000,
            storage_cache_mb: 16,
            health_addr: "127.0.0.1:8080".to_owned(),
            log_format: "pretty".to_owned(),
        }
    }
}

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
    /// Timeouts, retries, the breaker, limits and fallback models.
    pub(crate) resilience: Resilience,
    /// Admins, the allowlist and the screening thresholds.
    pub(crate) security: Security,
    /// Where and how state is stored.
    pub(crate) storage: FileStoreConfig,
    /// The ops HTTP address; `None` disables it.
    pub(crate) health_addr: Option<std::net::SocketAddr>,
    /// How logs are written.
    pub(crate) log_format: LogFormat,
}

/// Who may use Muse and how text is screened.
#[derive(Clone, Debug)]
pub(crate) struct Security {
    /// Users with admin rights.
    pub(crate) admins: Vec<u64>,
    /// If set, only these users (and the admins) may use Muse.
    pub(crate) allowed: Option<Vec<u64>>,
    /// Injection-screening thresholds.
    pub(crate) thresholds: Thresholds,
    /// Characters a message may have.
    pub(crate) max_message_length: usize,
}

/// The resilience settings of the model stack and the update stack.
#[derive(Clone, Debug)]
pub(crate) struct Resilience {
    /// Models tried in order when the main one fails.
    pub(crate) fallback_models: Vec<String>,
    /// Timeout of one model call attempt.
    pub(crate) attempt_timeout: Duration,
    /// Deadline of one request through the whole model stack.
    pub(crate) deadline: Duration,
    /// Model calls in flight at once; more are shed.
    pub(crate) max_concurrency: usize,
    /// The retry policy.
    pub(crate) retry: RetryConfig,
    /// The breaker of each model.
    pub(crate) breaker: BreakerConfig,
    /// Updates a minute per user.
    pub(crate) rate: Quota,
    /// Model calls a minute per user.
    pub(crate) ai_rate: Quota,
    /// Model calls a minute for all users together.
    pub(crate) global_ai_rate: Quota,
}

/// The environment Muse sees: `.env` in the working directory, if present,
/// overridden by the process environment.
pub(crate) fn environment() -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> =
        dotenvy::from_path_iter(".env").map(|iter| iter.filter_map(Result::ok).collect()).unwrap_or_default();
    env.extend(std::env::vars());
    env
}

impl Config {
    /// Reads and validates the configuration from an environment map.
    pub(crate) fn load(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Raw::default()));
        if let Some(path) = env.get("MUSE_CONFIG").filter(|p| !p.is_empty()) {
            let text = std::fs::read_to_string(path)
                .map_err(|err| ConfigError::File { path: path.into(), problem: err.to_string() })?;
            figment = figment.merge(Toml::string(&text));
        }
        let raw: Raw = figment.merge(Serialized::defaults(env_values(env))).extract().map_err(explain)?;
        validate(raw)
    }
}

/// Settings for which an empty value means something ("off"), not "unset".
const EMPTY_MEANS_OFF: &[&str] = &["HEALTH_ADDR"];

/// The known settings from the environment, as figment values keyed like
/// the TOML file. Empty values count as unset, except where empty means off.
fn env_values(env: &BTreeMap<String, String>) -> Dict {
    let mut dict = Map::new();
    for (name, text_only) in SETTINGS {
        let keep_empty = EMPTY_MEANS_OFF.contains(name);
        let Some(value) = env.get(*name).map(|v| v.trim()).filter(|v| keep_empty || !v.is_empty()) else {
            continue;
        };
        let value = if *text_only {
            Value::from(value.to_owned())
        } else {
            value.parse().unwrap_or_else(|never| match never {})
        };
        dict.insert(name.to_lowercase(), value);
    }
    dict
}

fn explain(err: figment::Error) -> ConfigError {
    let setting = err.path.last().map_or_else(|| "configuration".to_owned(), |key| key.to_uppercase());
    let problem = match &err.kind {
        figment::error::Kind::InvalidType(actual, expected) => format!("expected {}, found {actual}", plain(expected)),
        figment::error::Kind::UnknownField(field, _) => {
            format!("unknown setting \"{field}\" in the configuration file")
        }
        kind => kind.to_string(),
    };
    let setting = match &err.kind {
        figment::error::Kind::UnknownField(..) => "MUSE_CONFIG".to_owned(),
        _ => setting,
    };
    invalid(&setting, problem)
}

/// Serde's type names, in words.
fn plain(expected: &str) -> &str {
    match expected {
        "usize" | "u32" | "u64" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        other => other,
    }
}

fn url(setting: &str, value: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(value).map_err(|err| invalid(setting, format!("not a URL ({err}): {value}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(setting, format!("must start with http:// or https://, found {value}")));
    }
    Ok(url)
}

fn validate(raw: Raw) -> Result<Config, ConfigError> {
    let resilience = resilience(&raw)?;
    let security = security(&raw)?;
    let storage = storage(&raw)?;
    let health_addr = match raw.health_addr.trim() {
        "" => None,
        addr => Some(
            addr.parse().map_err(|_| invalid("HEALTH_ADDR", format!("not an address like 127.0.0.1:8080: {addr}")))?,
        ),
    };
    let telegram_api_url = url("TELEGRAM_API_URL", &raw.telegram_api_url)?;
    url("LLM_BASE_URL", &raw.llm_base_url)?;
    if raw.llm_model.trim().is_empty() {
        return Err(invalid("LLM_MODEL", "must name a model"));
    }
    if !(1..=1000).contains(&raw.max_history_size) {
        return Err(invalid("MAX_HISTORY_SIZE", format!("must be between 1 and 1000, found {}", raw.max_history_size)));
    }
    if !(1..=100_000).contains(&raw.max_message_length) {
        return Err(invalid(
            "MAX_MESSAGE_LENGTH",
            format!("must be between 1 and 100000, found {}", raw.max_message_length),
        ));
    }
    if !(0.0..=2.0).contains(&raw.llm_temperature) {
        return Err(invalid("LLM_TEMPERATURE", format!("must be between 0 and 2, found {}", raw.llm_temperature)));
    }
    if !(16..=8192).contains(&raw.llm_max_tokens) {
        return Err(invalid("LLM_MAX_TOKENS", format!("must be between 16 and 8192, found {}", raw.llm_max_tokens)));
    }
    let log_format = match raw.log_format.to_lowercase().as_str() {
        "pretty" => LogFormat::Pretty,
        "json" => LogFormat::Json,
        other => return Err(invalid("LOG_FORMAT", format!("must be pretty or json, found {other}"))),
    };
    let telegram = raw.telegram_bot_token.map(|token| TelegramConfig {
        token: SecretString::from(token),
        api_url: telegram_api_url,
        poll_timeout: Duration::from_secs(10),
    });
    let llm = raw.llm_api_key.or(raw.groq_api_key).map(|key| LlmConfig {
        base_url: raw.llm_base_url.clone(),
        stream: raw.llm_stream,
        stream_idle: Duration::from_secs_f64(raw.llm_stream_idle_secs),
        ..LlmConfig::groq(SecretString::from(key))
    });
    let assistant = AssistantConfig {
        model: raw.llm_model,
        history: HistoryLimits { max_messages: raw.max_history_size, max_chars: raw.max_message_length },
        temperature: raw.llm_temperature,
        max_tokens: raw.llm_max_tokens,
        ..AssistantConfig::default()
    };
    Ok(Config { telegram, llm, assistant, resilience, security, storage, health_addr, log_format })
}

fn storage(raw: &Raw) -> Result<FileStoreConfig, ConfigError> {
    if raw.data_dir.trim().is_empty() {
        return Err(invalid("DATA_DIR", "must name a directory"));
    }
    if !(10..=60_000).contains(&raw.storage_flush_ms) {
        return Err(invalid(
            "STORAGE_FLUSH_MS",
            format!("must be between 10 and 60000, found {}", raw.storage_flush_ms),
        ));
    }
    let cache_mb = count("STORAGE_CACHE_MB", raw.storage_cache_mb, 65_536)? as usize;
    Ok(FileStoreConfig {
        durable: raw.storage_durable,
        flush_every: Duration::from_millis(raw.storage_flush_ms),
        cache_bytes: cache_mb << 20,
        ..FileStoreConfig::new(raw.data_dir.trim())
    })
}

fn ids(setting: &str, value: &str) -> Result<Vec<u64>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse::<u64>().map_err(|_| invalid(setting, format!("\"{id}\" is not a numeric Telegram user id")))
        })
        .collect()
}

fn security(raw: &Raw) -> Result<Security, ConfigError> {
    let allowed = ids("ALLOWED_USER_IDS", &raw.allowed_user_ids)?;
    let (flag, block) = (raw.injection_flag_score, raw.injection_block_score);
    if !(0.0..=1.0).contains(&flag) || !(0.0..=1.0).contains(&block) || flag > block {
        return Err(invalid(
            "INJECTION_FLAG_SCORE",
            format!("scores must be between 0 and 1, the flag score at most the block score; found {flag} and {block}"),
        ));
    }
    Ok(Security {
        admins: ids("ADMIN_IDS", &raw.admin_ids)?,
        allowed: (!allowed.is_empty()).then_some(allowed),
        thresholds: Thresholds { flag, block },
        max_message_length: raw.max_message_length,
    })
}

fn seconds(setting: &str, value: f64) -> Result<Duration, ConfigError> {
    if !(value > 0.0 && value <= 86_400.0) {
        return Err(invalid(setting, format!("must be a number of seconds above 0, found {value}")));
    }
    Ok(Duration::from_secs_f64(value))
}

fn rate(setting: &str, value: f64) -> Result<f64, ConfigError> {
    if !(value > 0.0 && value <= 1.0) {
        return Err(invalid(setting, format!("must be a share above 0 and at most 1, found {value}")));
    }
    Ok(value)
}

fn count<T: TryInto<u32> + Copy + std::fmt::Display>(setting: &str, value: T, most: u32) -> Result<u32, ConfigError> {
    match value.try_into() {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(invalid(setting, format!("must be between 1 and {most}, found {value}"))),
    }
}

fn per_minute(setting: &str, value: u32) -> Result<Quota, ConfigError> {
    let n = count(setting, value, 100_000)?;
    Ok(Quota::per_minute(std::num::NonZeroU32::new(n).ok_or_else(|| invalid(setting, "must be above 0"))?))
}

fn resilience(raw: &Raw) -> Result<Resilience, ConfigError> {
    let fallback_models: Vec<String> =
        raw.llm_fallback_models.split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect();
    seconds("LLM_STREAM_IDLE_SECS", raw.llm_stream_idle_secs)?;
    Ok(Resilience {
        fallback_models,
        attempt_timeout: seconds("LLM_TIMEOUT_SECS", raw.llm_timeout_secs)?,
        deadline: seconds("LLM_DEADLINE_SECS", raw.llm_deadline_secs)?,
        max_concurrency: count("LLM_MAX_CONCURRENCY", raw.llm_max_concurrency, 10_000)? as usize,
        retry: RetryConfig {
            max_attempts: count("LLM_MAX_ATTEMPTS", raw.llm_max_attempts, 10)?,
            max_retry_after: seconds("LLM_RETRY_AFTER_MAX_SECS", raw.llm_retry_after_max_secs)?,
            ..RetryConfig::default()
        },
        breaker: BreakerConfig {
            name: "model".to_owned(),
            window: count("BREAKER_WINDOW", raw.breaker_window, 10_000)? as usize,
            minimum_calls: count("BREAKER_MIN_CALLS", raw.breaker_min_calls, 10_000)? as usize,
            failure_rate: rate("BREAKER_FAILURE_RATE", raw.breaker_failure_rate)?,
            slow_call_duration: seconds("BREAKER_SLOW_CALL_SECS", raw.breaker_slow_call_secs)?,
            slow_call_rate: rate("BREAKER_SLOW_CALL_RATE", raw.breaker_slow_call_rate)?,
            open_wait: seconds("BREAKER_OPEN_SECS", raw.breaker_open_secs)?,
            half_open_probes: count("BREAKER_PROBES", raw.breaker_probes, 100)? as usize,
        },
        rate: per_minute("RATE_LIMIT_PER_MINUTE", raw.rate_limit_per_minute)?,
        ai_rate: per_minute("AI_RATE_LIMIT_PER_MINUTE", raw.ai_rate_limit_per_minute)?,
        global_ai_rate: per_minute("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", raw.global_ai_rate_limit_per_minute)?,
    })
}

#[cfg(test)]
mod tests;
