//! The learned stage: logistic regression over hashed n-grams and the rule
//! families that fired, trained in this repository
//! (`cargo run --release -p muse-security --example train`) and shipped as
//! `model/injection.bin`, read once at start.
//!
//! File: `MUSEINJ1`, the number of weights (u32), the scale (f32), the bias
//! (f32), the weights as i16 times the scale, a CRC-32 of all before it; all
//! little-endian.

use std::sync::LazyLock;

use super::corpus::LENGTHS;
use super::features::DIM;
use super::rules::{FAMILIES, MAX_SIGNALS};

const MAGIC: &[u8; 8] = b"MUSEINJ1";

/// Weights: the hashed buckets, one per rule signal, one per rule family,
/// one for the rules' score, one per length bucket.
pub const WEIGHTS: usize = DIM + MAX_SIGNALS + FAMILIES.len() + 1 + LENGTHS.len() + 1;

/// A trained model.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    weights: Vec<f32>,
    bias: f32,
}

/// The model shipped with Muse.
pub static BUILTIN: LazyLock<Model> = LazyLock::new(|| {
    Model::from_bytes(include_bytes!("../../model/injection.bin")).expect("the shipped model file is valid")
});

/// One training example: its features and whether it is an attack.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Sparse features (index, value).
    pub features: Vec<(u32, f32)>,
    /// An attack (true) or a benign message.
    pub attack: bool,
    /// How much it counts in training.
    pub weight: f32,
}

/// How the model is trained.
#[derive(Clone, Copy, Debug)]
pub struct Training {
    /// Passes over the data.
    pub epochs: usize,
    /// AdaGrad's learning rate.
    pub rate: f32,
    /// L2 penalty per update.
    pub l2: f32,
    /// Seed of the shuffle, so a run can be repeated exactly.
    pub seed: u64,
    /// Variants of each example, with concept words swapped, trained on too.
    pub variants: usize,
}

impl Default for Training {
    fn default() -> Self {
        Training { epochs: 12, rate: 0.4, l2: 1e-6, seed: 7, variants: 8 }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    /// The probability that `features` are an attack.
    pub fn score(&self, features: &[(u32, f32)]) -> f32 {
        let sum: f32 = features.iter().map(|(i, v)| self.weights.get(*i as usize).map_or(0.0, |w| w * v)).sum();
        sigmoid(sum + self.bias)
    }

    /// The highest probability among several inputs of one text (the text
    /// and what it hides); 0 for none.
    pub fn score_all(&self, inputs: &[Vec<(u32, f32)>]) -> f32 {
        inputs.iter().map(|features| self.score(features)).fold(0.0, f32::max)
    }

    /// Trains on `samples` with AdaGrad, deterministically for a seed.
    pub fn train(samples: &[Sample], training: Training) -> Model {
        let mut weights = vec![0.0f32; WEIGHTS];
        let mut squares = vec![1e-8f32; WEIGHTS];
        let (mut bias, mut bias_square) = (0.0f32, 1e-8f32);
        let mut order: Vec<usize> = (0..samples.len()).collect();
        let mut state = training.seed.max(1);
        for _ in 0..training.epochs {
            for i in (1..order.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            for &k in &order {
                let sample = &samples[k];
                let sum: f32 = sample.features.iter().map(|(i, v)| weights[*i as usize] * v).sum::<f32>() + bias;
                let error = (sigmoid(sum) - if sample.attack { 1.0 } else { 0.0 }) * sample.weight;
                for (i, v) in &sample.features {
                    let i = *i as usize;
                    let gradient = error * v + training.l2 * weights[i];
                    squares[i] += gradient * gradient;
                    weights[i] -= training.rate * gradient / squares[i].sqrt();
                }
                bias_square += error * error;
                bias -= training.rate * error / bias_square.sqrt();
            }
        }
        Model { weights, bias }.quantized()
    }

    /// The model as it is after a round trip through its file: what is
    /// measured is what ships.
    fn quantized(self) -> Model {
        Model::from_bytes(&self.to_bytes()).expect("a model reads back its own file")
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let largest = self.weights.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        let scale = if largest > 0.0 { largest / f32::from(i16::MAX) } else { 1.0 };
        let mut bytes = Vec::with_capacity(24 + self.weights.len() * 2);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(self.weights.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&scale.to_le_bytes());
        bytes.extend_from_slice(&self.bias.to_le_bytes());
        for w in &self.weights {
            bytes.extend_from_slice(&((w / scale).round() as i16).to_le_bytes());
        }
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// A model from its file, or why the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, String> {
        let body = bytes.len().checked_sub(4).map(|n| &bytes[..n]).ok_or("too short")?;
        let crc = u32::from_le_bytes(bytes[body.len()..].try_into().map_err(|_| "too short")?);
        if crc32fast::hash(body) != crc {
            return Err("checksum mismatch".to_owned());
        }
        if body.len() < 20 || &body[..8] != MAGIC {
            return Err("not a Muse injection model".to_owned());
        }
        let word = |at: usize| -> [u8; 4] { body[at..at + 4].try_into().unwrap_or_default() };
        let count = u32::from_le_bytes(word(8)) as usize;
        if count != WEIGHTS || body.len() != 20 + count * 2 {
            return Err(format!("{count} weights; this build expects {WEIGHTS}"));
        }
        let (scale, bias) = (f32::from_le_bytes(word(12)), f32::from_le_bytes(word(16)));
        let weights =
            body[20..].chunks_exact(2).map(|pair| f32::from(i16::from_le_bytes([pair[0], pair[1]])) * scale).collect();
        Ok(Model { weights, bias })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_toy_set_and_survives_its_file() {
        let sample = |i: u32, attack| Sample { features: vec![(i, 1.0)], attack, weight: 1.0 };
        let samples: Vec<Sample> = (0..20).map(|k| sample(k % 2, k % 2 == 0)).collect();
        let model = Model::train(&samples, Training::default());
        assert!(model.score(&[(0, 1.0)]) > 0.9 && model.score(&[(1, 1.0)]) < 0.1);
        assert_eq!(Model::from_bytes(&model.to_bytes()).unwrap(), model);
        let mut bytes = model.to_bytes();
        bytes[30] ^= 1;
        assert!(Model::from_bytes(&bytes).is_err(), "a flipped bit is caught");
    }

    #[test]
    fn the_shipped_model_loads() {
        assert!(BUILTIN.score(&[]) < 0.5, "no evidence is no attack");
    }
}
