#![no_main]
//! The guard's normalizer never panics, its spans point into the text, and
//! scanning and screening any text terminate.

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use muse_security::Guard;

static GUARD: LazyLock<Guard> = LazyLock::new(Guard::builtin);

fuzz_target!(|data: &str| {
    let tokens = muse_security::normalize::tokens(data);
    for token in tokens.words.iter().chain(&tokens.joined) {
        assert!(data.get(token.span.clone()).is_some());
        assert!(!token.forms.is_empty());
    }
    for finding in GUARD.scan(data) {
        assert_eq!(&data[finding.span.clone()], finding.matched);
    }
    let score = muse_security::screen(data).score;
    assert!((0.0..=1.0).contains(&score));
});
