//! What the honest measurement says: recall and false positives per
//! threshold over held-out scores, per source, and the thresholds chosen
//! from them.

use std::collections::BTreeMap;

use super::corpus::Example;

/// The most benign messages a block may catch: 1 in 100.
pub const BLOCK_FALSE_POSITIVES: f64 = 0.01;
/// The most benign messages the grey zone may flag: 1 in 20.
pub const FLAG_FALSE_POSITIVES: f64 = 0.05;

/// Share of attacks and of benign messages at or above `threshold`.
pub fn rates(examples: &[Example], scores: &[f32], threshold: f32) -> (f64, f64) {
    let (mut hit, mut attacks, mut false_hits, mut benign) = (0usize, 0usize, 0usize, 0usize);
    for (example, score) in examples.iter().zip(scores) {
        let above = usize::from(*score >= threshold);
        if example.attack {
            attacks += 1;
            hit += above;
        } else {
            benign += 1;
            false_hits += above;
        }
    }
    (hit as f64 / attacks.max(1) as f64, false_hits as f64 / benign.max(1) as f64)
}

/// The lowest threshold, in steps of 0.01, whose false-positive rate is at
/// most `most`.
pub fn threshold_for(examples: &[Example], scores: &[f32], most: f64) -> f32 {
    (1..100).map(|step| step as f32 / 100.0).find(|t| rates(examples, scores, *t).1 <= most).unwrap_or(0.99)
}

/// Recall at `threshold` per (source, language) of the attacks.
pub fn recall_by_source(
    examples: &[Example],
    scores: &[f32],
    threshold: f32,
) -> BTreeMap<(String, String), (usize, usize)> {
    let mut table: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for (example, score) in examples.iter().zip(scores).filter(|(e, _)| e.attack) {
        let cell = table.entry((example.source.clone(), example.lang.clone())).or_default();
        cell.0 += usize::from(*score >= threshold);
        cell.1 += 1;
    }
    table
}
