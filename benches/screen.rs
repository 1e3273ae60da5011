//! Times the safety screen alone: `cargo bench --bench screen`.
//!
//! The screen runs on every message before anything else, so it must stay cheap and linear in the
//! message: one-line messages of each kind (ordinary, crisis, disguised, another language,
//! medical advice), and long messages of 1,000, 10,000 and 100,000 characters (a realistic vent
//! repeated, with one dangerous sentence in the middle, and without it, when the learned model
//! reads the whole message too), and hostile messages of 100,000 characters (quotes that never
//! close, thousands of different censored words). Targets: a one-line message at most
//! 20 µs median, 100,000 characters at most 2 ms. It runs with jemalloc, as the binary does.

#[path = "common/mod.rs"]
mod common;

use std::sync::LazyLock;

// The allocator the `lantern` binary ships with (src/main.rs), so the figures are the product's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use divan::{Bencher, black_box};
use lantern::safety::SafetyRules;

static RULES: LazyLock<SafetyRules> = LazyLock::new(|| common::config().safety);

/// One-line messages, one per path through the screen.
const ONE_LINE: &[&str] = &[
    "why do people with PTSD use opioids?",
    "honestly i just want to sleep forever",
    "k i l l mys3lf t0night, the p!lls are counted out",
    "no quiero seguir viviendo",
    "klonopin and methadone together ok?",
    "this exam is killing me lol",
];

const VENT: &str = "Rough week again. My manager moved my shift without telling me, the bus was late twice, and my sponsor is away until Friday. I went to group on Tuesday and mostly just listened. Sleep has been bad since the anniversary, and the flashbacks come at night when the house is quiet. ";
const DANGER: &str = "Honestly i have the pills lined up and i am doing it tonight. ";

fn long_message(chars: usize) -> String {
    let mut s = String::with_capacity(chars + VENT.len());
    while s.len() < chars / 2 {
        s.push_str(VENT);
    }
    s.push_str(DANGER);
    while s.len() < chars {
        s.push_str(VENT);
    }
    s.truncate(chars);
    s
}

#[divan::bench(args = ONE_LINE)]
fn one_line(b: Bencher, message: &str) {
    let rules = &*RULES;
    b.bench(|| black_box(rules.screen(black_box(message))));
}

#[divan::bench(args = [1_000, 10_000, 100_000])]
fn long(b: Bencher, chars: usize) {
    let rules = &*RULES;
    let message = long_message(chars);
    assert!(
        matches!(rules.screen(&message), lantern::safety::Screened::Crisis(_)),
        "the danger in the middle is found"
    );
    b.bench(|| black_box(rules.screen(black_box(&message))));
}

/// A long message with no danger: the rules find nothing, so the learned model reads every
/// window too (the slowest path).
#[divan::bench(args = [1_000, 10_000, 100_000])]
fn long_calm(b: Bencher, chars: usize) {
    let rules = &*RULES;
    let mut message = VENT.repeat(chars / VENT.len() + 1);
    message.truncate(chars);
    // End on a whole sentence, as a member's message does (a cut-off "Sleep has been bad s" is
    // a message of its own).
    if let Some(end) = message.rfind(". ") {
        message.truncate(end + 1);
    }
    assert!(
        !matches!(rules.screen(&message), lantern::safety::Screened::Crisis(_)),
        "a calm vent is not a danger"
    );
    b.bench(|| black_box(rules.screen(black_box(&message))));
}

/// The shipped library's articles run together and cut at 100,000 characters: long prose with
/// thousands of different words, the opposite of a repeated vent.
#[divan::bench]
fn long_library(b: Bencher) {
    let rules = &*RULES;
    let mut message = String::new();
    let mut paths: Vec<_> = std::fs::read_dir("data/corpus")
        .expect("the shipped library")
        .map(|e| e.expect("a library file").path())
        .collect();
    paths.sort();
    while message.len() < 100_000 {
        for p in &paths {
            message.push_str(&std::fs::read_to_string(p).expect("a library article"));
        }
    }
    let mut end = 100_000;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    b.bench(|| black_box(rules.screen(black_box(&message))));
}

/// Hostile messages of 100,000 characters, built to find work that grows faster than the
/// message: quotes that open and never close, thousands of quoted words, thousands of different
/// censored words.
const HOSTILE: &[&str] = &["unclosed quotes", "quoted words", "censored words"];

fn hostile_message(kind: &str) -> String {
    let mut s = String::new();
    let mut i = 0usize;
    while s.len() < 100_000 {
        match kind {
            "unclosed quotes" => s.push_str(" 'a"),
            "quoted words" => s.push_str("'a' "),
            _ => {
                let a = (b'a' + (i % 26) as u8) as char;
                let b = (b'a' + (i / 26 % 26) as u8) as char;
                s.push_str(&format!("s*{a}{b}{} ", i % 10));
            }
        }
        i += 1;
    }
    s.truncate(100_000);
    s
}

#[divan::bench(args = HOSTILE)]
fn hostile(b: Bencher, kind: &str) {
    let rules = &*RULES;
    let message = hostile_message(kind);
    b.bench(|| black_box(rules.screen(black_box(&message))));
}

fn main() {
    divan::main();
}
