use std::io::Write;

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
}

#[test]
fn environment_values_are_read_and_typed() {
    let config = Config::load(&env(&[
        ("TELEGRAM_BOT_TOKEN", "123:abc"),
        ("GROQ_API_KEY", "gsk-1"),
        ("MAX_HISTORY_SIZE", "20"),
        ("LLM_STREAM", "true"),
        ("LOG_FORMAT", "json"),
        ("PATH", "/usr/bin"),
    ]))
    .unwrap();
    assert_eq!(config.telegram.unwrap().token.expose_secret(), "123:abc");
    let llm = config.llm.unwrap();
    assert_eq!(llm.api_key.expose_secret(), "gsk-1");
    assert!(llm.stream);
    assert_eq!(config.assistant.history.max_messages, 20);
    assert_eq!(config.log_format, LogFormat::Json);
}

#[test]
fn llm_api_key_wins_over_groq_api_key_and_numeric_secrets_stay_text() {
    let config = Config::load(&env(&[("LLM_API_KEY", "12345"), ("GROQ_API_KEY", "gsk-2")])).unwrap();
    assert_eq!(config.llm.unwrap().api_key.expose_secret(), "12345");
}

#[test]
fn bad_values_name_the_setting() {
    for (name, value) in [
        ("MAX_HISTORY_SIZE", "lots"),
        ("MAX_HISTORY_SIZE", "0"),
        ("TELEGRAM_API_URL", "not a url"),
        ("LLM_BASE_URL", "ftp://x"),
        ("LOG_FORMAT", "xml"),
        ("LLM_STREAM", "maybe"),
        ("BREAKER_FAILURE_RATE", "1.5"),
        ("LLM_DEADLINE_SECS", "0"),
        ("AI_RATE_LIMIT_PER_MINUTE", "0"),
        ("LLM_MAX_ATTEMPTS", "11"),
        ("ADMIN_IDS", "12, abc"),
        ("ALLOWED_USER_IDS", "-5"),
        ("INJECTION_FLAG_SCORE", "0.9"),
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
fn resilience_settings_are_read() {
    let config = Config::load(&env(&[
        ("LLM_FALLBACK_MODELS", " llama-3.3-70b-versatile, ,gemma2-9b-it "),
        ("BREAKER_OPEN_SECS", "2.5"),
        ("LLM_TIMEOUT_SECS", "4"),
    ]))
    .unwrap();
    let resilience = config.resilience;
    assert_eq!(resilience.fallback_models, ["llama-3.3-70b-versatile", "gemma2-9b-it"]);
    assert_eq!(resilience.breaker.open_wait, Duration::from_millis(2500));
    assert_eq!(resilience.attempt_timeout, Duration::from_secs(4));
    assert_eq!(resilience.retry.max_attempts, 3);
}

#[test]
fn admins_and_the_allowlist_are_read() {
    let config = Config::load(&env(&[("ADMIN_IDS", "12, 34"), ("ALLOWED_USER_IDS", "")])).unwrap();
    assert_eq!(config.security.admins, [12, 34]);
    assert_eq!(config.security.allowed, None, "empty means everyone");
    let config = Config::load(&env(&[("ALLOWED_USER_IDS", "5,6")])).unwrap();
    assert_eq!(config.security.allowed, Some(vec![5, 6]));
}

#[test]
fn health_addr_defaults_to_8080_and_empty_disables_it() {
    assert_eq!(Config::load(&env(&[])).unwrap().health_addr, Some("127.0.0.1:8080".parse().unwrap()));
    assert_eq!(Config::load(&env(&[("HEALTH_ADDR", "")])).unwrap().health_addr, None);
    assert!(Config::load(&env(&[("HEALTH_ADDR", "localhost")])).unwrap_err().to_string().starts_with("HEALTH_ADDR: "));
}
