//! Times the whole `ask` path on the shipped library and on MedQuAD: `cargo bench --bench ask`.
//!
//! "Whole" means safety screen, retrieval, reply composition and `render::discord`. Engines are
//! built once per process with the index in memory (`index_cache` empty). The shipped library is
//! measured per reply kind; MedQuAD (`../shared/data/medquad-qa/corpus.jsonl` loaded as a JSONL
//! library with the configured chunking, what `lantern ask --library` serves) cycles through the
//! first 20 questions of `queries_domain.jsonl`. Before timing, report lines give MedQuAD's load
//! and build times, the cost of the first pass over those questions (passage analyses are
//! computed lazily, so first questions cost more) and of the first question with a word the
//! library lacks (it builds the spelling vocabulary); the timed figures are the steady state
//! after that. Without `../shared/data` the MedQuAD benchmark is skipped with a message.

#[path = "common/mod.rs"]
mod common;

use std::cell::Cell;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use divan::{Bencher, Divan, black_box};
use lantern::engine::Engine;
use lantern::eval::beir::read_queries;
use lantern::render;

/// Questions for the shipped library, one per path through `ask`: an answer, an answer that needs
/// a typo corrected, a medical-advice refusal with general quotes, a crisis reply (no retrieval),
/// and an honest no-match. The first is the README's example and the headline figure.
const SHIPPED_QUESTIONS: &[&str] = &[
    "why do people with PTSD use opioids?",
    "what is disociation",
    "how much methadone should I take?",
    "I want to hurt myself",
    "how do I bake sourdough bread?",
];

/// MedQuAD questions cycled by the benchmark: the first this many of `queries_domain.jsonl`.
const MEDQUAD_QUESTIONS: usize = 20;

/// A MedQuAD question with a typo, asked once after the first passes to show what the first
/// correction costs (the cycled questions need none).
const UNKNOWN_WORD_QUESTION: &str = "what are the symptoms of alcohol abuze";

static SHIPPED: LazyLock<Engine> = LazyLock::new(common::shipped_engine);

struct MedQuad {
    engine: Engine,
    questions: Vec<String>,
}

static MEDQUAD: LazyLock<Option<MedQuad>> = LazyLock::new(|| {
    let dir = common::medquad_dir("the MedQuAD ask benchmark")?;
    let config = common::config();
    let (library, load_time) = common::load_medquad(&dir, &config);
    let (documents, passages) = (library.documents.len(), library.passages.len());
    let started = Instant::now();
    let engine =
        Engine::new(config, library, dir.join("corpus.jsonl")).expect("the MedQuAD index builds");
    let build_time = started.elapsed();
    let questions: Vec<String> = read_queries(&dir.join("queries_domain.jsonl"))
        .expect("queries_domain.jsonl reads")
        .into_iter()
        .take(MEDQUAD_QUESTIONS)
        .map(|(_, text)| text)
        .collect();
    assert!(!questions.is_empty(), "queries_domain.jsonl has questions");
    println!(
        "medquad: {documents} documents, {passages} passages; load {}, engine build {}",
        common::secs(load_time),
        common::secs(build_time),
    );

    // The first questions pay for lazily computed state; report it, then time the steady state.
    let ctx = engine.default_context();
    let ask = |q: &str| {
        let started = Instant::now();
        black_box(render::discord(&engine.ask(q, &ctx)));
        started.elapsed()
    };
    let first = ask(&questions[0]);
    let rest: Duration = questions[1..].iter().map(|q| ask(q)).sum();
    let second: Duration = questions.iter().map(|q| ask(q)).sum();
    let n = questions.len() as u32;
    println!(
        "medquad: first question {}; first pass over {n} questions {} (mean {}), second pass {} (mean {})",
        common::millis(first),
        common::millis(first + rest),
        common::millis((first + rest) / n),
        common::millis(second),
        common::millis(second / n),
    );
    // A word the library lacks (a typo, or just a word MedQuAD never uses) is corrected against
    // a deletion index of the library's terms, built on first need.
    let first = ask(UNKNOWN_WORD_QUESTION);
    let again = ask(UNKNOWN_WORD_QUESTION);
    println!(
        "medquad: first question with a word the library lacks ({UNKNOWN_WORD_QUESTION:?}) {} (builds the spelling vocabulary), asked again {}",
        common::millis(first),
        common::millis(again),
    );
    Some(MedQuad { engine, questions })
});

fn main() {
    LazyLock::force(&SHIPPED);
    let mut divan = Divan::from_args();
    if MEDQUAD.is_none() {
        // Every benchmark that needs MedQuAD has "medquad" in its name.
        divan = divan.skip_regex("medquad");
    }
    divan.main();
}

/// One reply on the shipped library (`data/`, `config/`), rendered for Discord.
#[divan::bench(args = SHIPPED_QUESTIONS, sample_count = 1000)]
fn shipped(bencher: Bencher, question: &str) {
    let engine = &*SHIPPED;
    let ctx = engine.default_context();
    bencher.bench_local(|| render::discord(&engine.ask(black_box(question), &ctx)));
}

/// One reply on MedQuAD, rendered for Discord; each iteration takes the next of the questions
/// (100 rounds of the 20 questions when each sample is one iteration).
#[divan::bench(sample_count = 2000)]
fn medquad(bencher: Bencher) {
    let Some(m) = MEDQUAD.as_ref() else {
        return;
    };
    let ctx = m.engine.default_context();
    let next = Cell::new(0usize);
    bencher.bench_local(|| {
        let i = next.get();
        next.set(i + 1);
        let question = &m.questions[i % m.questions.len()];
        render::discord(&m.engine.ask(black_box(question), &ctx))
    });
}
