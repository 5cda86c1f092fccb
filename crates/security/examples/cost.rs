//! CPU cost of the security work done for every message:
//! `cargo run --release -p muse-security --example cost`.

use std::time::Instant;

use muse_security::{Guard, sanitize, screen};

fn per_call(label: &str, runs: u32, mut f: impl FnMut()) {
    let started = Instant::now();
    for _ in 0..runs {
        f();
    }
    println!("{label}: {:.1} µs per call", started.elapsed().as_secs_f64() * 1e6 / f64::from(runs));
}

fn main() {
    let fan = "hey gorgeous, what are you up to tonight? I can't stop thinking about your last post 😍";
    let drafts = "1. just got home and you're the first one I thought of 😏\n2. depends… what did you have in mind?\n3. trouble, as usual. want to find out?";
    let guard = Guard::builtin();
    let runs = 20_000;
    per_call("sanitize a fan message", runs, || drop(std::hint::black_box(sanitize(fan))));
    per_call("screen a fan message for injection", runs, || drop(std::hint::black_box(screen(fan))));
    per_call("scan three drafts for compliance", runs, || drop(std::hint::black_box(guard.scan(drafts))));
}
