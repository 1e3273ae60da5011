//! Servers' own libraries at scale: `cargo bench --bench libraries`.
//!
//! 1,000 servers, each with 20 documents of its own (MedQuAD answers, taken in turn from
//! `../shared/data/medquad-qa`; skipped with a message when absent) beside the shipped articles.
//! For each server in turn, as its first question arrives: the time to build its library
//! (compose and index, what `Data::shelf` does after reading the store) and to answer that first
//! question; then the `ask` median over five more questions on the built library. Built libraries
//! are kept in a [`Shelves`] of the configured size (least recently used dropped), as in the bot;
//! the process's peak memory is read at the end. Targets: build ≤ 50 ms.

#[path = "common/mod.rs"]
mod common;

use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lantern::libraries::{self, Added, Meta, Shelves};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SERVERS: usize = 1_000;
const DOCUMENTS: usize = 20;
const ASKS: usize = 5;

fn lines(path: &std::path::Path, n: usize) -> Vec<String> {
    let file = std::fs::File::open(path).expect("readable");
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The process's peak resident memory (VmHWM), in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let Some(dir) = common::medquad_dir("the per-server library bench") else {
        return;
    };
    let corpus = lines(&dir.join("corpus.jsonl"), SERVERS * DOCUMENTS);
    let queries: Vec<String> = lines(&dir.join("queries.jsonl"), 5_000)
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let engine = Arc::new(common::shipped_engine());
    engine.warm();
    let kept = engine.settings.libraries.kept_in_memory;
    let shelves = Shelves::new(kept);
    let chunking = engine.retrieval.chunking;
    let ctx = engine.default_context();
    let started_rss = peak_mb();
    let (mut builds, mut firsts, mut asks) = (Vec::new(), Vec::new(), Vec::new());
    let started = Instant::now();
    for server in 0..SERVERS {
        let file: String = (0..DOCUMENTS)
            .map(|d| format!("{}\n", corpus[(server * DOCUMENTS + d) % corpus.len()]))
            .collect();
        let added = Added { by: 1, at: 0 };
        let own = libraries::read_upload(
            "faq.jsonl",
            file.as_bytes(),
            &Meta::default(),
            usize::MAX,
            added,
            chunking,
        )
        .expect("MedQuAD lines read as a FAQ");
        let question = &queries[server % queries.len()];
        let t = Instant::now();
        let shelf = libraries::server_shelf(&engine, &own, 1, true).expect("builds");
        let built = t.elapsed();
        std::hint::black_box(engine.ask_in(&shelf, question, &ctx));
        firsts.push(t.elapsed());
        builds.push(built);
        for k in 1..=ASKS {
            let q = &queries[(server * 7 + k * 131) % queries.len()];
            let t = Instant::now();
            std::hint::black_box(engine.ask_in(&shelf, q, &ctx));
            asks.push(t.elapsed());
        }
        let ticket = shelves.ticket(server as u64);
        shelves.put(server as u64, shelf, ticket);
    }
    let total = started.elapsed();
    for v in [&mut builds, &mut firsts, &mut asks] {
        v.sort();
    }
    println!(
        "{SERVERS} servers x {DOCUMENTS} documents (+ {} shipped), {kept} libraries kept in memory",
        engine.shelf.library.documents.len()
    );
    println!(
        "build on first question: median {}, p95 {}, max {} (target <= 50 ms)",
        common::millis(percentile(&builds, 0.5)),
        common::millis(percentile(&builds, 0.95)),
        common::millis(*builds.last().unwrap())
    );
    println!(
        "first question, build and answer: median {}, p95 {}",
        common::millis(percentile(&firsts, 0.5)),
        common::millis(percentile(&firsts, 0.95))
    );
    println!(
        "ask on a built library: median {}, p95 {} ({} asks)",
        common::millis(percentile(&asks, 0.5)),
        common::millis(percentile(&asks, 0.95)),
        asks.len()
    );
    println!(
        "peak memory: {:.0} MB (after loading the shipped engine: {started_rss:.0} MB); libraries in memory at the end: {}; all servers in {}",
        peak_mb(),
        shelves.len(),
        common::secs(total)
    );
}
