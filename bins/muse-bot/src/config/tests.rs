use std::io::Write;

use muse_domain::HistoryLimits;
use secrecy::ExposeSecret;

use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn defaults_without_anything_set() {
    let config = Config::load(&env(&[])).unwrap();
    assert!(config.telegram.is_none());
    assert!(config.llm.is_none());
    assert_eq!(config.assistant.model, "llama-3.1-8b-instant");
    assert_eq!(config.assistant.history, HistoryLimits { max_messages: 50, max_chars: 1000 });
    assert_eq!(config.log_format, LogFormat::Pretty);
    assert_eq!(config.worker_threads, 1);
}

#[test]
fn environment_values_are_read_and_typed() {
    let env =
        env(&[("TELEGRAM_BOT_TOKEN", "123:abc"), ("MAX_HISTORY_SIZE", "20"), ("LOG_FORMAT", "json"), ("PATH", "/")]);
    let config = Config::load(&env).unwrap();
    assert_eq!(config.telegram.unwrap().token.expose_secret(), "123:abc");
    assert_eq!(config.assistant.history.max_messages, 20);
    assert_eq!(config.log_format, LogFormat::Json);
}

#[test]
fn bad_values_name_the_setting() {
    for (name, value) in [
        ("MAX_HISTORY_SIZE", "lots"),
        ("MAX_HISTORY_SIZE", "0"),
        ("TELEGRAM_API_URL", "not a url"),
        ("LLM_BASE_URL", "ftp://x"),
        ("LOG_FORMAT", "xml"),
        ("WORKER_THREADS", "0"),
        ("LLM_STREAM", "maybe"),
        ("BREAKER_FAILURE_RATE", "1.5"),
        ("LLM_DEADLINE_SECS", "0"),
        ("AI_RATE_LIMIT_PER_MINUTE", "0"),
        ("LLM_MAX_ATTEMPTS", "11"),
        ("ADMIN_IDS", "12, abc"),
        ("ALLOWED_USER_IDS", "-5"),
        ("INJECTION_FLAG_SCORE", "0.9"),
        ("STORE_URL", "postgres://db"),
    ] {
        let err = Config::load(&env(&[(name, value)])).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{name}: ")), "{err}");
    }
}

#[test]
fn a_toml_file_is_read_and_the_environment_wins() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "llm_model = \"from-file\"\nmax_history_size = 30\nllm_api_key = \"k\"").unwrap();
    let path = file.path().to_str().unwrap();
    let config = Config::load(&env(&[("MUSE_CONFIG", path), ("MAX_HISTORY_SIZE", "40")])).unwrap();
    assert_eq!(config.assistant.model, "from-file");
    assert_eq!(config.assistant.history.max_messages, 40);
    let mut bad = tempfile::NamedTempFile::new().unwrap();
    writeln!(bad, "max_histroy_size = 3").unwrap();
    let err = Config::load(&env(&[("MUSE_CONFIG", bad.path().to_str().unwrap())])).unwrap_err();
    assert!(err.to_string().contains("max_histroy_size"), "{err}");
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let config = Config::load(&env(&[("TELEGRAM_BOT_TOKEN", "123:sekrit"), ("LLM_API_KEY", "gsk-sekrit")])).unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("sekrit"), "{debug}");
}

#[test]
fn limits_are_read() {
    let config = Config::load(&env(&[("LLM_DEADLINE_SECS", "4"), ("LLM_TIMEOUT_SECS", "2")])).unwrap();
    assert_eq!(config.resilience.deadline, Duration::from_secs(4));
    assert_eq!(config.provider.attempt_timeout, Duration::from_secs(2));
    assert_eq!(config.resilience.global_ai_rate.get(), 30);
}

#[test]
fn health_addr_defaults_to_8080_and_empty_disables_it() {
    assert_eq!(Config::load(&env(&[])).unwrap().health_addr, Some("127.0.0.1:8080".parse().unwrap()));
    assert_eq!(Config::load(&env(&[("HEALTH_ADDR", "")])).unwrap().health_addr, None);
    assert!(Config::load(&env(&[("HEALTH_ADDR", "localhost")])).unwrap_err().to_string().starts_with("HEALTH_ADDR: "));
}

/// The README's configuration table lists every setting with the default
/// its table gives it, and no other; no setting is defined twice.
#[test]
fn the_readme_table_matches_the_settings() {
    let settings: BTreeMap<&str, &str> = TABLES.iter().flat_map(|table| table.iter().copied()).collect();
    assert_eq!(settings.len(), TABLES.iter().map(|table| table.len()).sum::<usize>(), "a setting is defined twice");
    let readme = include_str!("../../../../README.md");
    let section = readme.split("## Configuration").nth(1).expect("a configuration section");
    let rows = section.lines().skip_while(|line| !line.starts_with("| variable")).skip(2);
    let mut listed = Vec::new();
    for line in rows.take_while(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        for name in cells[1].split('`').skip(1).step_by(2) {
            let value = settings.get(name).unwrap_or_else(|| panic!("{name} is not a setting"));
            let default = cells[2];
            let shown = if value.is_empty() {
                default.starts_with("empty") || default == "—"
            } else {
                default.starts_with(&format!("`{value}`"))
            };
            assert!(shown, "README shows {name} defaulting to {default}, the table says {value:?}");
            listed.push(name);
        }
    }
    for name in settings.keys() {
        assert!(listed.contains(name), "{name} is missing from the README's configuration table");
    }
}

#[test]
fn store_url_picks_redis_and_never_shows_its_password() {
    assert!(Config::load(&env(&[])).unwrap().redis.is_none(), "DATA_DIR by default");
    let config = Config::load(&env(&[("STORE_URL", "redis://:hunter2@cache:6379/0")])).unwrap();
    let redis = config.redis.expect("redis");
    assert_eq!(redis.url, "redis://:hunter2@cache:6379/0");
    assert!(!format!("{redis:?}").contains("hunter2"));
    let err = Config::load(&env(&[("STORE_URL", "http://:hunter2@cache")])).unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
    let err = Config::load(&env(&[("STORE_URL", "rediss://:hunter2@cache")])).unwrap_err().to_string();
    assert!(err.contains("not supported") && !err.contains("hunter2"), "{err}");
}

#[test]
fn webhook_mode_needs_a_valid_secret_and_address() {
    let base = [("TELEGRAM_BOT_TOKEN", "1:x"), ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/telegram")];
    let err = Config::load(&env(&base)).unwrap_err().to_string();
    assert!(err.starts_with("TELEGRAM_WEBHOOK_SECRET: "), "{err}");
    let mut with = base.to_vec();
    with.push(("TELEGRAM_WEBHOOK_SECRET", "not allowed!"));
    let err = Config::load(&env(&with)).unwrap_err().to_string();
    assert!(err.starts_with("TELEGRAM_WEBHOOK_SECRET: ") && !err.contains("not allowed!"), "{err}");
    with.pop();
    with.push(("TELEGRAM_WEBHOOK_SECRET", "s3cret_value-1"));
    let webhook = Config::load(&env(&with)).unwrap().telegram.unwrap().webhook.expect("webhook mode");
    assert_eq!(webhook.url.path(), "/telegram");
    assert_eq!(webhook.addr.to_string(), "0.0.0.0:8443");
    assert!(!format!("{webhook:?}").contains("s3cret_value-1"), "the secret is never shown");
    with.push(("WEBHOOK_ADDR", "nowhere"));
    assert!(Config::load(&env(&with)).unwrap_err().to_string().starts_with("WEBHOOK_ADDR: "));
    assert!(Config::load(&env(&[("TELEGRAM_BOT_TOKEN", "1:x")])).unwrap().telegram.unwrap().webhook.is_none());
}
