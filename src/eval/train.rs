//! `lantern train-screen`: trains the learned danger reading ([`crate::safety::model`]) on
//! labelled cases files and writes its table. The table's header names the files it was trained
//! on, so a test can retrain from them and check that the shipped table is current.

use std::path::{Path, PathBuf};

use crate::problem::{Problem, read_utf8};
use crate::safety::SafetyRules;
use crate::safety::learn::Example;

use super::cases;

/// The header line that lists the training files.
pub const TRAINED_ON: &str = "trained on:";

/// Threshold written into a new table unless another is given: the danger probability at which
/// the model speaks (0.5, the even odds; on the blind sets 0.3 to 0.6 gave the same false alarms).
pub const THRESHOLD: f32 = 0.5;

/// Trains on `files` (relative ones read from `base`) with the screen in `safety_toml`; returns
/// the table text, whose header names the files as given.
pub fn table(
    safety_toml: &Path,
    base: &Path,
    files: &[PathBuf],
    threshold: f32,
) -> Result<String, Vec<Problem>> {
    let source = read_utf8(safety_toml).map_err(|p| vec![p])?;
    let rules = SafetyRules::parse(&source, safety_toml)?;
    let mut examples = Vec::new();
    for f in files {
        for c in cases::load(&base.join(f)).map_err(|p| vec![p])? {
            examples.push(Example::from_label(&c.q, c.expect.name()));
        }
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let header = format!(
        "Lantern's learned danger reading (src/safety/model.rs), made by `lantern train-screen`.\n\
         Do not edit by hand: add labelled cases and train again.\n\
         {TRAINED_ON} {}\n\
         cases: {}",
        names.join(" "),
        examples.len()
    );
    Ok(crate::safety::learn::train(
        &rules, &examples, threshold, &header,
    ))
}

/// `lantern train-screen`: trains with the screen in `config_dir` on `files` (relative to the
/// working directory, as given) and writes the table to `out`; returns its feature count.
pub fn write(
    config_dir: &Path,
    out: &Path,
    threshold: f32,
    files: &[PathBuf],
) -> anyhow::Result<usize> {
    use anyhow::Context as _;
    if !(0.0..=1.0).contains(&threshold) {
        anyhow::bail!("--threshold must be from 0 to 1");
    }
    let table = table(
        &config_dir.join("safety.toml"),
        Path::new("."),
        files,
        threshold,
    )
    .map_err(|p| anyhow::anyhow!("{}", crate::problem::Problems(p)))?;
    std::fs::write(out, &table).with_context(|| format!("writing {}", out.display()))?;
    Ok(table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count()
        .saturating_sub(2))
}

/// The training files a table names in its header.
pub fn trained_on(table: &str) -> Vec<PathBuf> {
    table
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.trim_start_matches('#').trim().strip_prefix(TRAINED_ON))
        .flat_map(|rest| rest.split_whitespace().map(PathBuf::from))
        .collect()
}
