//! CPU cost of the security work done for every message:
//! `cargo run --release -p muse-security --example cost`.
//!
//! Averages over a typical fan message and a model answer (the output
//! guard as the bot runs it, against a system message built by Muse's own
//! prompt code), then the distribution of the
//! injection screen's time per message over every corpus message a user
//! could send (up to the 1,000-character input limit), with the model
//! loaded once before timing starts, as the bot does.

use std::sync::Arc;
use std::time::Instant;

use muse_domain::persona::{Lang, Persona, Tone};
use muse_domain::prompt::{Voice, system_message};
use muse_domain::{ChatMessage, Kind, ModelReply, ModelRequest, Role};
use muse_security::injection::corpus;
use muse_security::{Guard, OutputGuardLayer, SecurityCounters, sanitize, screen};
use tower::{BoxError, Layer, ServiceExt, service_fn};

fn per_call(label: &str, runs: u32, mut f: impl FnMut()) {
    let started = Instant::now();
    for _ in 0..runs {
        f();
    }
    println!("{label}: {:.1} µs per call", started.elapsed().as_secs_f64() * 1e6 / f64::from(runs));
}

fn main() {
    let load = muse_security::injection::load();
    println!("load the injection model: {:.1} ms, once", load.as_secs_f64() * 1e3);
    let fan = "hey gorgeous, what are you up to tonight? I can't stop thinking about your last post 😍";
    let drafts: &'static str = "1. just got home and you're the first one I thought of 😏\n2. depends… what did you have in mind?\n3. trouble, as usual. want to find out?";
    let guard = Guard::builtin();
    let runs = 20_000;
    per_call("sanitize a fan message", runs, || drop(std::hint::black_box(sanitize(fan))));
    per_call("screen a fan message for injection", runs, || drop(std::hint::black_box(screen(fan))));
    per_call("scan three drafts for compliance", runs, || drop(std::hint::black_box(guard.scan(drafts))));
    let answer = move |_| async move {
        Ok::<_, BoxError>(ModelReply { text: drafts.to_owned(), model: "m".into(), usage: None, fallback: false })
    };
    let checked =
        OutputGuardLayer::new(Arc::new(guard), Arc::new(SecurityCounters::default()), 2).layer(service_fn(answer));
    let request = model_request(fan);
    per_call("check a model answer of three drafts (output guard, leak check included)", runs, || {
        let reply = futures::executor::block_on(checked.clone().oneshot(request.clone()));
        drop(std::hint::black_box(reply));
    });

    let corpus = corpus::builtin();
    let fits = |text: &String| text.chars().count() <= 1000;
    let benign: Vec<String> = corpus.iter().filter(|e| !e.attack).map(|e| e.text.clone()).filter(fits).collect();
    let all: Vec<String> = corpus.iter().map(|e| e.text.clone()).filter(fits).collect();
    distribution("benign creator and fan messages", &benign);
    distribution("every corpus message, attacks included", &all);
    for lang in ["en", "ru"] {
        let longest = at_the_limit(corpus.iter().filter(|e| !e.attack && e.lang == lang).map(|e| e.text.as_str()));
        distribution(&format!("benign {lang} messages joined to 1000 characters"), &longest);
    }
}

/// A `/reply` request as the assistant builds it, persona included.
fn model_request(fan: &str) -> ModelRequest {
    let persona = Persona {
        name: "Mia".into(),
        voice: "playful, teasing, a little shy".into(),
        facts: "lives in Miami, has a cat called Mochi, loves the beach at sunset".into(),
        ..Persona::default()
    };
    let voice = Voice {
        persona: &persona,
        tone: Tone::default(),
        lang: &Lang::english(),
        canary: "muse-canary-0123456789abcdef",
        fence: None,
        examples: &[],
        fan: None,
        price: None,
        refine: None,
    };
    ModelRequest {
        kind: Kind::Reply,
        model: "llama-3.1-8b-instant".into(),
        messages: vec![
            ChatMessage::new(Role::System, system_message(Kind::Reply, voice)),
            ChatMessage::new(Role::User, fan),
        ],
        temperature: 0.9,
        max_tokens: 300,
        user: 1,
        preview: None,
    }
}

/// Messages joined, in corpus order, into texts of 900 to 1000 characters:
/// the longest a user may send.
fn at_the_limit<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut joined = vec![String::new()];
    for text in texts {
        let last = joined.last_mut().expect("one open text");
        if last.chars().count() + text.chars().count() < 1000 {
            last.push_str(text);
            last.push(' ');
        } else if last.chars().count() >= 900 {
            joined.push(String::new());
        }
    }
    joined.retain(|t| t.chars().count() >= 900);
    joined
}

/// p50, p99 and the maximum of single `screen` calls over `texts`, each
/// screened 20 times.
fn distribution(label: &str, texts: &[String]) {
    let rounds = 20;
    let mut times: Vec<f64> = Vec::with_capacity(texts.len() * rounds);
    for _ in 0..rounds {
        for text in texts {
            let started = Instant::now();
            std::hint::black_box(screen(std::hint::black_box(text)));
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "screen {label} ({} of up to 1000 characters, × {rounds}): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        texts.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}
