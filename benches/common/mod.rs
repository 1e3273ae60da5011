//! Shared by the benches: paths, the shipped configuration with the index in memory, and the
//! MedQuAD evaluation data in `../shared/data` (optional: benches that need it skip without it).

// Each bench target compiles this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lantern::corpus::{Chunking, Library};
use lantern::engine::{Config, Engine};

/// The crate root (cargo runs benches there, but say so explicitly).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `config/`, with `index_cache` empty: engines built here keep their index in memory and
/// neither read nor write `.lantern/`.
pub fn config() -> Config {
    let mut c = Config::load(&root().join("config")).expect("the shipped config is valid");
    c.settings.index_cache = PathBuf::new();
    c
}

/// Passage chunking as `lantern.toml` configures it (what `Engine::load` uses).
pub fn chunking(config: &Config) -> Chunking {
    Chunking {
        min_words: config.settings.search.passage_min_words,
        max_words: config.settings.search.passage_max_words,
    }
}

/// The engine over the shipped library (`data/`).
pub fn shipped_engine() -> Engine {
    let config = config();
    let data = root().join("data");
    let library = Library::load(&data, chunking(&config)).expect("the shipped library loads");
    Engine::new(config, library, data).expect("the shipped index builds")
}

/// `../shared/data/medquad-qa`, or `None` (with a message saying what is skipped) when absent.
pub fn medquad_dir(skipping: &str) -> Option<PathBuf> {
    let dir = root().join("../shared/data/medquad-qa");
    if dir.join("corpus.jsonl").is_file() {
        Some(dir)
    } else {
        println!(
            "skipping {skipping}: {} not found (the evaluation data lives beside the checkout)",
            dir.join("corpus.jsonl").display()
        );
        None
    }
}

/// Loads `corpus.jsonl` as `lantern ask --library .../corpus.jsonl` does (JSONL library,
/// configured chunking), and how long that took.
pub fn load_medquad(dir: &Path, config: &Config) -> (Library, Duration) {
    let started = Instant::now();
    let library = Library::load(&dir.join("corpus.jsonl"), chunking(config))
        .expect("MedQuAD's corpus.jsonl loads as a library");
    (library, started.elapsed())
}

/// Seconds with millisecond precision, for printed reports.
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Milliseconds with microsecond precision, for printed reports.
pub fn millis(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}
