//! Trains the injection model on `corpus/` and writes `model/injection.bin`,
//! after measuring it honestly: every attack source scored by a model
//! trained without it, benign messages in five folds. Rerun after changing
//! the corpus:
//!
//! ```sh
//! cargo run --release -p muse-security --example train            # measure, then write the model
//! cargo run --release -p muse-security --example train -- --check # measure only
//! cargo run --release -p muse-security --example train -- --check --misses # and list the attacks not blocked
//! ```

use muse_security::injection::corpus::{self, Example};
use muse_security::injection::measure::{self, BLOCK_FALSE_POSITIVES, FLAG_FALSE_POSITIVES};
use muse_security::injection::model::Training;

fn main() -> std::io::Result<()> {
    let check = std::env::args().any(|arg| arg == "--check");
    let examples = corpus::builtin();
    let training = Training::default();
    let started = std::time::Instant::now();
    let scores = corpus::held_out_scores(&examples, training);
    let attacks = examples.iter().filter(|e| e.attack).count();
    println!(
        "held out: {} attacks by source, {} benign messages in {} folds ({:.1} s)",
        attacks,
        examples.len() - attacks,
        corpus::BENIGN_FOLDS,
        started.elapsed().as_secs_f64()
    );
    report(&examples, &scores);
    if !check {
        let model = corpus::train(&examples, training);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/model/injection.bin");
        std::fs::write(path, model.to_bytes())?;
        println!("wrote {path}");
    }
    Ok(())
}

fn report(examples: &[Example], scores: &[f32]) {
    println!("\n| threshold | held-out recall (attacks at or above) | false positives (benign at or above) |");
    println!("|---|---|---|");
    for step in (20..=95).step_by(5) {
        let t = step as f32 / 100.0;
        let (recall, fpr) = measure::rates(examples, scores, t);
        println!("| {t:.2} | {recall:.3} | {fpr:.4} |");
    }
    let block = measure::threshold_for(examples, scores, BLOCK_FALSE_POSITIVES);
    let flag = measure::threshold_for(examples, scores, FLAG_FALSE_POSITIVES);
    let (block_recall, block_fpr) = measure::rates(examples, scores, block);
    let (flag_recall, flag_fpr) = measure::rates(examples, scores, flag);
    println!("\nblock at {block:.2}: recall {block_recall:.3}, false positives {block_fpr:.4}");
    println!("flag at {flag:.2}: recall {flag_recall:.3}, false positives {flag_fpr:.4}");
    let trigger: Vec<usize> = (0..examples.len())
        .filter(|&i| {
            !examples[i].attack && (examples[i].source.contains("trigger") || examples[i].source.contains("patterns"))
        })
        .collect();
    let trigger_blocked = trigger.iter().filter(|&&i| scores[i] >= block).count();
    println!("trigger-word benign messages blocked: {trigger_blocked}/{}", trigger.len());
    for lang in ["en", "ru"] {
        let (hit, total) = measure::recall_by_source(examples, scores, block)
            .into_iter()
            .filter(|((_, l), _)| l == lang)
            .fold((0, 0), |(h, t), (_, (hit, total))| (h + hit, t + total));
        println!("{lang} attacks blocked: {:.3} ({hit}/{total})", hit as f64 / total as f64);
    }
    println!("\n| source | language | attacks | blocked at {block:.2} | flagged at {flag:.2} |");
    println!("|---|---|---|---|---|");
    let flagged = measure::recall_by_source(examples, scores, flag);
    for ((source, lang), (hit, total)) in measure::recall_by_source(examples, scores, block) {
        let (flag_hit, _) = flagged[&(source.clone(), lang.clone())];
        println!(
            "| {source} | {lang} | {total} | {:.3} | {:.3} |",
            hit as f64 / total as f64,
            flag_hit as f64 / total as f64
        );
    }
    println!("\n| benign source | messages | flagged at {flag:.2} | blocked at {block:.2} |");
    println!("|---|---|---|---|");
    let mut benign: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    for (example, score) in examples.iter().zip(scores).filter(|(e, _)| !e.attack) {
        let cell = benign.entry(example.source.as_str()).or_default();
        cell.0 += 1;
        cell.1 += usize::from(*score >= flag);
        cell.2 += usize::from(*score >= block);
    }
    for (source, (total, flagged, blocked)) in benign {
        println!(
            "| {source} | {total} | {:.3} | {:.3} |",
            flagged as f64 / total as f64,
            blocked as f64 / total as f64
        );
    }
    let short = |text: &str| text.chars().take(100).collect::<String>().replace('\n', " ");
    let mut alarms: Vec<(&Example, f32)> =
        examples.iter().zip(scores).filter(|(e, s)| !e.attack && **s >= block).map(|(e, s)| (e, *s)).collect();
    alarms.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (example, score) in alarms {
        println!("blocked benign {score:.2} [{}] {}", example.source, short(&example.text));
    }
    if std::env::args().any(|arg| arg == "--misses") {
        for (example, score) in examples.iter().zip(scores).filter(|(e, s)| e.attack && **s < block) {
            println!("missed {score:.2} [{}] {}", example.source, short(&example.text));
        }
    }
}
