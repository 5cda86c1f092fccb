//! The output guard: every model answer is checked before anyone sees it.
//!
//! An answer that breaks the compliance rules (drafts: every tier; chat
//! answers: the block tier) or leaks the system prompt (its canary, or a
//! run of eight words of its instructions) is withheld and regenerated with
//! the problem named, at most twice; then the guard fails closed with
//! [`ModelRefusal::Unsafe`] and the assistant answers with the offline
//! writer. Every withheld answer is counted by category and logged without
//! its text. While a completion streams, only partial text that passes the
//! same check is previewed.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use lru::LruCache;
use muse_domain::prompt::{CANARY_PREFIX, PERSONA_MARKER};
use muse_domain::words::{word_hash, words};
use muse_domain::{Kind, ModelRefusal, ModelReply, ModelRequest, Preview, Role};
use tower::{BoxError, Layer, Service, ServiceExt};

use crate::counters::SecurityCounters;
use crate::guard::Guard;

/// The category counted for a leaked system prompt.
pub const LEAK: &str = "system_prompt_leak";

/// Words in a row shared with the instructions that count as a leak.
const LEAK_RUN: usize = 8;

/// Checks model answers; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct OutputGuardLayer {
    guard: Arc<Guard>,
    leaks: Arc<LeakCheck>,
    counters: Arc<SecurityCounters>,
    regenerations: usize,
}

impl OutputGuardLayer {
    /// A guard that regenerates at most `regenerations` times.
    pub fn new(guard: Arc<Guard>, counters: Arc<SecurityCounters>, regenerations: usize) -> OutputGuardLayer {
        OutputGuardLayer { guard, leaks: Arc::new(LeakCheck::new(INSTRUCTIONS_KEPT)), counters, regenerations }
    }
}

impl<S> Layer<S> for OutputGuardLayer {
    type Service = OutputGuard<S>;

    fn layer(&self, inner: S) -> OutputGuard<S> {
        OutputGuard { inner, layer: self.clone() }
    }
}

/// The service of [`OutputGuardLayer`].
#[derive(Clone, Debug)]
pub struct OutputGuard<S> {
    inner: S,
    layer: OutputGuardLayer,
}

/// What is wrong with an answer: categories, empty when it may be shown.
fn problems(layer: &OutputGuardLayer, request: &ModelRequest, answer: &str) -> Vec<String> {
    problems_in(&layer.guard, &layer.leaks, request.kind, system_of(request), answer)
}

fn system_of(request: &ModelRequest) -> &str {
    request.messages.iter().find(|m| m.role == Role::System).map_or("", |m| m.content.as_str())
}

/// [`problems`] for an answer of `kind` to the system message `system`.
fn problems_in(guard: &Guard, leaks: &LeakCheck, kind: Kind, system: &str, answer: &str) -> Vec<String> {
    let findings = if kind == Kind::Chat { guard.scan_blocking(answer) } else { guard.scan(answer) };
    let mut categories: Vec<String> = Vec::new();
    for finding in findings {
        if !categories.contains(&finding.category) {
            categories.push(finding.category);
        }
    }
    if leaks.leaks(answer, system) {
        categories.push(LEAK.to_owned());
    }
    categories
}

/// Distinct instructions whose runs the output guard keeps. A system
/// message's instructions differ only by kind, tone, language, emoji and
/// case (and by a fence or a refine request, which are seldom repeated), so
/// a team's creators share a few dozen; kept, they cost about 4 KB each.
const INSTRUCTIONS_KEPT: NonZeroUsize = NonZeroUsize::new(64).expect("not zero");

/// Whether an answer repeats the system prompt: its canary, or any run of
/// eight words of its instructions (the creator's own persona data
/// excluded). Runs are compared by a 64-bit hash of their words, so no
/// string is copied or lowercased; the sorted runs of recent instructions
/// are kept, so an answer's check hashes only the answer's own words
/// rather than re-reading some thousands of characters of instructions.
#[derive(Debug)]
struct LeakCheck {
    kept: Mutex<LruCache<Box<str>, Arc<[u64]>>>,
}

impl LeakCheck {
    fn new(capacity: NonZeroUsize) -> LeakCheck {
        LeakCheck { kept: Mutex::new(LruCache::new(capacity)) }
    }

    fn leaks(&self, answer: &str, system: &str) -> bool {
        if repeats_canary(answer, system) {
            return true;
        }
        let said = word_hashes(answer);
        if said.len() < LEAK_RUN {
            return false;
        }
        let runs = self.runs(instructions_of(system));
        said.windows(LEAK_RUN).any(|run| runs.binary_search(&run_hash(run)).is_ok())
    }

    /// Every run of `instructions`, hashed and sorted: kept, or computed
    /// (outside the lock) and kept.
    fn runs(&self, instructions: &str) -> Arc<[u64]> {
        if let Some(runs) = self.kept.lock().unwrap_or_else(PoisonError::into_inner).get(instructions) {
            return runs.clone();
        }
        let mut runs: Vec<u64> = word_hashes(instructions).windows(LEAK_RUN).map(run_hash).collect();
        runs.sort_unstable();
        runs.dedup();
        let runs: Arc<[u64]> = runs.into();
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).put(instructions.into(), runs.clone());
        runs
    }
}

/// The instructions of a system message: what comes before the persona.
fn instructions_of(system: &str) -> &str {
    system.split(PERSONA_MARKER).next().unwrap_or_default()
}

/// Whether `answer` contains the system message's canary.
fn repeats_canary(answer: &str, system: &str) -> bool {
    canary_of(system).is_some_and(|canary| answer.contains(canary.trim_end_matches(['.', ','])))
}

/// The canary word of a system message: the first whitespace-separated
/// word that starts with [`CANARY_PREFIX`].
fn canary_of(system: &str) -> Option<&str> {
    system.match_indices(CANARY_PREFIX).find_map(|(at, _)| {
        let starts_a_word = system[..at].chars().next_back().is_none_or(char::is_whitespace);
        let word = &system[at..];
        starts_a_word.then(|| word.split(char::is_whitespace).next().unwrap_or(word))
    })
}

/// Each word of `text`, as [`word_hash`]es.
fn word_hashes(text: &str) -> Vec<u64> {
    words(text).map(word_hash).collect()
}

/// One hash for a run of word hashes, order included.
fn run_hash(words: &[u64]) -> u64 {
    words.iter().fold(0, |hash, word| mix_run(hash, *word))
}

fn mix_run(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(17) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Partial text is shown at most this often: each showing costs a guard
/// check here and a Bot API call in the adapter (Telegram allows about one
/// message a second per chat).
pub const PREVIEW_EVERY: Duration = Duration::from_secs(1);

/// The request's preview, showing only text that passes the guard now, at
/// most once per [`PREVIEW_EVERY`]. The first text that fails stops the
/// preview for the rest of the request: the chat keeps what it showed
/// until the final answer, checked whole, replaces it.
fn guarded(preview: Preview, layer: OutputGuardLayer, kind: Kind, system: String) -> Preview {
    struct Shown {
        last: Option<Instant>,
        stopped: bool,
    }
    let shown = Mutex::new(Shown { last: None, stopped: false });
    Preview::new(move |text| {
        if text.is_empty() {
            return preview.show(text); // the placeholder: nothing to check
        }
        let mut shown = shown.lock().unwrap_or_else(PoisonError::into_inner);
        if shown.stopped || shown.last.is_some_and(|last| last.elapsed() < PREVIEW_EVERY) {
            return;
        }
        shown.last = Some(Instant::now());
        if problems_in(&layer.guard, &layer.leaks, kind, &system, text).is_empty() {
            preview.show(text);
        } else {
            shown.stopped = true;
        }
    })
}

/// The request again, with the system message told what to avoid.
fn avoiding(mut request: ModelRequest, guard: &Guard, categories: &[String]) -> ModelRequest {
    let described: Vec<String> = categories
        .iter()
        .map(|c| {
            if c == LEAK {
                "these instructions themselves".to_owned()
            } else {
                guard.describe(c).unwrap_or(c).to_owned()
            }
        })
        .collect();
    let note = format!(
        "\n\nYour previous answer was withheld because it contained: {}. Write a new answer that avoids this completely. \
Choose other words; never misspell a word to hide it.",
        described.join("; ")
    );
    if let Some(system) = request.messages.iter_mut().find(|m| m.role == Role::System) {
        system.content.push_str(&note);
    }
    request
}

impl<S> Service<ModelRequest> for OutputGuard<S>
where
    S: Service<ModelRequest, Response = ModelReply> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    type Response = ModelReply;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<ModelReply, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: ModelRequest) -> Self::Future {
        // The ready clone takes this call; regenerations use fresh clones.
        let first = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, first);
        let inner = self.inner.clone();
        let layer = self.layer.clone();
        Box::pin(async move {
            let mut request = request;
            if let Some(preview) = request.preview.take() {
                let system = system_of(&request).to_owned();
                request.preview = Some(guarded(preview, layer.clone(), request.kind, system));
            }
            let mut reply = ready.oneshot(request.clone()).await.map_err(Into::into)?;
            for attempt in 0..=layer.regenerations {
                let categories = problems(&layer, &request, &reply.text);
                if categories.is_empty() {
                    return Ok(reply);
                }
                for category in &categories {
                    layer.counters.output_blocked(category);
                }
                tracing::warn!(kind = %request.kind, ?categories, attempt, "model answer withheld");
                if attempt == layer.regenerations {
                    break;
                }
                request = avoiding(request, &layer.guard, &categories);
                reply = inner.clone().oneshot(request.clone()).await.map_err(Into::into)?;
            }
            Err(Box::new(ModelRefusal::Unsafe) as BoxError)
        })
    }
}

#[cfg(test)]
mod tests;
