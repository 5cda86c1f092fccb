//! Measures the screen on a labelled-attack file it was never built from,
//! printing only totals (never the texts, so measuring cannot turn into
//! tuning): `cargo run --release -p muse-security --example heldout -- FILE.jsonl`.
//! Each line is `{"text": ...}`; every line is an attack. `--block 0.8`
//! measures at another block threshold than the default.

use muse_security::{Thresholds, Verdict, screen};

fn main() -> std::io::Result<()> {
    let mut thresholds = Thresholds::default();
    let mut args = std::env::args().skip(1);
    let mut paths = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--block" {
            let value = args.next().and_then(|v| v.parse().ok());
            thresholds.block = value.ok_or_else(|| std::io::Error::other("--block needs a number"))?;
        } else {
            paths.push(arg);
        }
    }
    for path in paths {
        let (mut total, mut flagged, mut blocked, mut short, mut short_blocked) = (0, 0, 0, 0, 0);
        for line in std::fs::read_to_string(&path)?.lines().filter(|l| !l.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line).map_err(std::io::Error::other)?;
            let text = value["text"].as_str().unwrap_or_default();
            let verdict = thresholds.verdict(screen(text).score);
            total += 1;
            flagged += usize::from(verdict != Verdict::Allow);
            blocked += usize::from(verdict == Verdict::Block);
            if text.chars().count() <= 1000 {
                short += 1;
                short_blocked += usize::from(verdict == Verdict::Block);
            }
        }
        let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        println!(
            "{path}: {total} attacks; blocked {:.3}, at least flagged {:.3}; of the {short} within 1000 characters, blocked {:.3}",
            share(blocked, total),
            share(flagged, total),
            share(short_blocked, short)
        );
    }
    Ok(())
}
