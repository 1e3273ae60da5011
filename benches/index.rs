//! Times MedQuAD's index build and library load (and the shipped build): `cargo bench --bench index`.
//!
//! `medquad_build` is `SearchIndex::build` (in memory) over the MedQuAD library
//! (`../shared/data/medquad-qa/corpus.jsonl` loaded as a JSONL library with the configured
//! chunking, 16,407 documents), loaded once per process; `medquad_load` is `Library::load` of the
//! same file (read, parse the JSONL, cut passages), reported separately. `shipped_build` is the
//! same build over `data/`, for scale. Without `../shared/data` the MedQuAD benchmarks are skipped
//! with a message.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::LazyLock;

use divan::{Bencher, Divan};
use lantern::corpus::Library;
use lantern::engine::Config;
use lantern::index::SearchIndex;

static CONFIG: LazyLock<Config> = LazyLock::new(common::config);

/// The MedQuAD folder and its library, loaded once.
static MEDQUAD: LazyLock<Option<(PathBuf, Library)>> = LazyLock::new(|| {
    let dir = common::medquad_dir("the MedQuAD index benchmarks")?;
    let (library, load_time) = common::load_medquad(&dir, &CONFIG);
    println!(
        "medquad: {} documents, {} passages (first load {})",
        library.documents.len(),
        library.passages.len(),
        common::secs(load_time),
    );
    Some((dir, library))
});

static SHIPPED: LazyLock<Library> = LazyLock::new(|| {
    Library::load(&common::root().join("data"), common::chunking(&CONFIG))
        .expect("the shipped library loads")
});

fn main() {
    let mut divan = Divan::from_args();
    if MEDQUAD.is_none() {
        // Every benchmark that needs MedQuAD has "medquad" in its name.
        divan = divan.skip_regex("medquad");
    }
    divan.main();
}

/// `SearchIndex::build` over the loaded MedQuAD library (under a second on a 2-core machine).
#[divan::bench(sample_count = 20, sample_size = 1)]
fn medquad_build(bencher: Bencher) {
    let Some((_, library)) = MEDQUAD.as_ref() else {
        return;
    };
    bencher.bench(|| SearchIndex::build(library).expect("the MedQuAD index builds"));
}

/// `Library::load` of MedQuAD's `corpus.jsonl`: read, parse, cut into passages.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn medquad_load(bencher: Bencher) {
    let Some((dir, _)) = MEDQUAD.as_ref() else {
        return;
    };
    let path = dir.join("corpus.jsonl");
    let chunking = common::chunking(&CONFIG);
    bencher.bench(|| Library::load(&path, chunking).expect("MedQuAD loads"));
}

/// `SearchIndex::build` over the shipped library (`data/`).
#[divan::bench(sample_count = 100)]
fn shipped_build(bencher: Bencher) {
    let library = &*SHIPPED;
    bencher.bench(|| SearchIndex::build(library).expect("the shipped index builds"));
}
