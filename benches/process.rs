//! Times `lantern ask` from spawn to exit and reports its peak RSS: `cargo bench --bench process`.
//!
//! Every run spawns the built binary (`CARGO_BIN_EXE_lantern`) as
//! `lantern ask "why do people with PTSD use opioids?"` in a fresh temporary working directory
//! whose `config` and `data` are links to this checkout's, so the stored index
//! (`.lantern/index`, relative to the working directory) starts empty and `.lantern/` here is
//! never touched. The first run is therefore cold (it builds and stores the index) and is
//! reported on its own; every later run, and the timed benchmark, is warm (it reuses the stored
//! index). Peak RSS is each child's `ru_maxrss` from `wait4(2)`, printed as
//! "peak RSS: N MB over M runs" before divan's timings. With `../shared/data`, the same is
//! reported for `lantern ask --library ../shared/data/medquad-qa/corpus.jsonl`.

#[path = "common/mod.rs"]
mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use divan::{Bencher, Divan};

const LANTERN: &str = env!("CARGO_BIN_EXE_lantern");
const QUESTION: &str = "why do people with PTSD use opioids?";
/// Warm runs measured for peak RSS on the shipped library.
const RSS_RUNS: usize = 30;
/// Warm runs measured for peak RSS on MedQuAD (each loads a 26 MB JSONL file).
const MEDQUAD_RSS_RUNS: usize = 5;

/// A working directory like a checkout's (links to `config/` and `data/`), with no stored index.
struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    fn new() -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix("lantern-bench-")
            .tempdir()
            .expect("a temporary folder");
        for name in ["config", "data"] {
            link(&common::root().join(name), &dir.path().join(name));
        }
        Workdir { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) {
    std::os::unix::fs::symlink(target, at).expect("a symbolic link in the temporary folder");
}

#[cfg(windows)]
fn link(target: &Path, at: &Path) {
    std::os::windows::fs::symlink_dir(target, at).expect("a link in the temporary folder");
}

/// The shipped library's working directory, created (and its index stored) by `main`. Statics
/// are never dropped, so `main` removes the folders when done.
static SHIPPED: LazyLock<Workdir> = LazyLock::new(Workdir::new);

/// MedQuAD's corpus and a working directory for it, when `../shared/data` is present.
static MEDQUAD: LazyLock<Option<(PathBuf, Workdir)>> = LazyLock::new(|| {
    let dir = common::medquad_dir("the MedQuAD process figures")?;
    let corpus = std::fs::canonicalize(dir.join("corpus.jsonl")).expect("an absolute path");
    Some((corpus, Workdir::new()))
});

/// One finished `lantern` process.
struct Run {
    /// Spawn to exit, as the parent saw it.
    wall: Duration,
    /// Peak resident set size in KiB (`None` where `wait4` is unavailable).
    max_rss_kib: Option<u64>,
}

/// Spawns `lantern ask [args] QUESTION` in `cwd`, reads its answer, and waits for it to exit.
/// Panics when it fails or prints nothing: a broken binary must not produce figures.
fn ask(cwd: &Path, args: &[&str]) -> Run {
    let started = Instant::now();
    let mut child = Command::new(LANTERN)
        .arg("ask")
        .args(args)
        .arg(QUESTION)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("lantern starts");
    let mut answer = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut answer)
        .expect("lantern's answer is UTF-8");
    let (ok, max_rss_kib) = reap(child);
    let wall = started.elapsed();
    assert!(ok, "lantern ask {args:?} failed");
    assert!(
        !answer.trim().is_empty(),
        "lantern ask {args:?} printed nothing"
    );
    Run { wall, max_rss_kib }
}

/// Waits for the child with `wait4`, which also returns its resource usage.
#[cfg(unix)]
fn reap(child: std::process::Child) -> (bool, Option<u64>) {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, for which all zero bytes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals; `pid` is our own unreaped child (std's `Child`
    // never waited for it, and is not used again after this call).
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    // Linux reports ru_maxrss in KiB, macOS in bytes.
    let kib = if cfg!(target_os = "macos") {
        usage.ru_maxrss as u64 / 1024
    } else {
        usage.ru_maxrss as u64
    };
    (ok, Some(kib))
}

#[cfg(not(unix))]
fn reap(mut child: std::process::Child) -> (bool, Option<u64>) {
    let status = child.wait().expect("lantern exits");
    (status.success(), None)
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Prints the cold run, then peak RSS and wall times over `runs` warm runs.
fn report(name: &str, cwd: &Path, args: &[&str], runs: usize) {
    let cold = ask(cwd, args);
    let cold_rss = cold.max_rss_kib.map(mb).unwrap_or_else(|| "unknown".into());
    println!(
        "{name}: cold run (builds and stores .lantern/index) {}, peak RSS {cold_rss}",
        common::millis(cold.wall)
    );
    let warm: Vec<Run> = (0..runs).map(|_| ask(cwd, args)).collect();
    let wall = median(warm.iter().map(|r| r.wall).collect());
    let (fastest, slowest) = (
        warm.iter().map(|r| r.wall).min().expect("runs"),
        warm.iter().map(|r| r.wall).max().expect("runs"),
    );
    println!(
        "{name}: warm runs (stored index reused): median {} (min {}, max {})",
        common::millis(wall),
        common::millis(fastest),
        common::millis(slowest),
    );
    let rss: Vec<u64> = warm.iter().filter_map(|r| r.max_rss_kib).collect();
    if rss.is_empty() {
        println!("{name}: peak RSS unknown on this platform (needs wait4)");
    } else {
        println!(
            "{name}: peak RSS: {} over {runs} runs (median {}, min {})",
            mb(*rss.iter().max().expect("runs")),
            mb(median(rss.clone())),
            mb(*rss.iter().min().expect("runs")),
        );
    }
}

fn main() {
    println!("question: {QUESTION:?}; MB = 2^20 bytes");
    report("shipped", SHIPPED.path(), &[], RSS_RUNS);
    let mut divan = Divan::from_args();
    match MEDQUAD.as_ref() {
        Some((corpus, workdir)) => {
            let corpus = corpus.to_str().expect("a UTF-8 path");
            report(
                "medquad",
                workdir.path(),
                &["--library", corpus],
                MEDQUAD_RSS_RUNS,
            );
        }
        // Every benchmark that needs MedQuAD has "medquad" in its name.
        None => divan = divan.skip_regex("medquad"),
    }
    divan.main();
    // Statics are never dropped: remove the temporary folders (and their stored indexes) here.
    let _ = std::fs::remove_dir_all(SHIPPED.path());
    if let Some((_, workdir)) = MEDQUAD.as_ref() {
        let _ = std::fs::remove_dir_all(workdir.path());
    }
}

/// `lantern ask` on the shipped library, spawn to exit, stored index warm.
#[divan::bench(sample_count = 100, sample_size = 1)]
fn start_to_answer(bencher: Bencher) {
    let cwd = SHIPPED.path();
    bencher.bench(|| ask(cwd, &[]));
}

/// `lantern ask --library .../medquad-qa/corpus.jsonl`, spawn to exit, stored index warm (the
/// JSONL library is still read and cut into passages on every start).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn start_to_answer_medquad(bencher: Bencher) {
    let Some((corpus, workdir)) = MEDQUAD.as_ref() else {
        return;
    };
    let corpus = corpus.to_str().expect("a UTF-8 path");
    bencher.bench(|| ask(workdir.path(), &["--library", corpus]));
}
