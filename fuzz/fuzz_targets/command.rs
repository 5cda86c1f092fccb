#![no_main]
//! The command parser never panics and keeps drafting text verbatim.

use libfuzzer_sys::fuzz_target;
use muse_domain::Command;

fuzz_target!(|data: &str| {
    if let Command::Draft(_, text) = Command::parse(data) {
        assert!(data.contains(text.as_str()));
    }
    let _ = Command::parse(data).label();
});
