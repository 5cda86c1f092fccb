#![no_main]
//! The sanitizer never panics, is idempotent, leaves no hidden characters,
//! and validated text is within the limit.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let clean = muse_security::sanitize(data);
    assert_eq!(muse_security::sanitize(&clean), clean);
    assert!(!clean.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    if let Ok(valid) = muse_security::validate(data, 1000) {
        assert!(valid.chars().count() <= 1000);
    }
});
