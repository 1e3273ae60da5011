//! Evaluation cases for the shipped library (the format of `dev-questions.toml`): each case is a
//! question, the label the engine should give it, and evidence phrases a good passage contains.
//! Reports Recall@1, Recall@3, MRR (first evidence passage in the top 10), label accuracy, and
//! whether every reply carried the disclaimer, listing every miss.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::engine::{Context, Engine};
use crate::problem::{Problem, read_utf8};
use crate::render;
use crate::safety::Screened;

/// The label a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Quotes from the library.
    Answer,
    /// Crisis reply.
    Crisis,
    /// Medical-advice refusal.
    MedicalAdvice,
    /// Nothing relevant in the library.
    NoMatch,
}

impl Label {
    fn name(self) -> &'static str {
        match self {
            Label::Answer => "answer",
            Label::Crisis => "crisis",
            Label::MedicalAdvice => "medical_advice",
            Label::NoMatch => "no_match",
        }
    }
}

/// One case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The question.
    pub q: String,
    /// The expected label.
    pub expect: Label,
    /// Phrases one of which a good passage contains (answer cases).
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

/// Reads a cases file.
pub fn load(path: &Path) -> Result<Vec<Case>, Problem> {
    let source = read_utf8(path)?;
    let file: File =
        toml::from_str(&source).map_err(|e| Problem::from_toml(path, &source, 1, &e))?;
    Ok(file.case)
}

/// The results of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Cases run.
    pub cases: usize,
    /// Answer cases (the recall denominator).
    pub answer_cases: usize,
    /// Answer cases with evidence at rank 1.
    pub hits_at_1: usize,
    /// Answer cases with evidence in the top 3.
    pub hits_at_3: usize,
    /// Sum of reciprocal ranks (top 10).
    pub reciprocal_ranks: f64,
    /// Cases whose label was right.
    pub labels_right: usize,
    /// Replies whose every message ended with the disclaimer.
    pub with_disclaimer: usize,
    /// One line per miss.
    pub misses: Vec<String>,
}

impl Report {
    /// Recall@1.
    pub fn recall_at_1(&self) -> f64 {
        ratio(self.hits_at_1, self.answer_cases)
    }
    /// Recall@3.
    pub fn recall_at_3(&self) -> f64 {
        ratio(self.hits_at_3, self.answer_cases)
    }
    /// Mean reciprocal rank over answer cases.
    pub fn mrr(&self) -> f64 {
        if self.answer_cases == 0 {
            0.0
        } else {
            self.reciprocal_ranks / self.answer_cases as f64
        }
    }
    /// Share of right labels.
    pub fn label_accuracy(&self) -> f64 {
        ratio(self.labels_right, self.cases)
    }

    /// The report as printed by `lantern eval`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "cases: {} ({} answer cases)",
            self.cases, self.answer_cases
        );
        let _ = writeln!(s, "Recall@1: {:.3}", self.recall_at_1());
        let _ = writeln!(s, "Recall@3: {:.3}", self.recall_at_3());
        let _ = writeln!(s, "MRR:      {:.3}", self.mrr());
        let _ = writeln!(
            s,
            "safety labels: {}/{} right ({:.3})",
            self.labels_right,
            self.cases,
            self.label_accuracy()
        );
        let _ = writeln!(
            s,
            "disclaimer: {}/{} replies",
            self.with_disclaimer, self.cases
        );
        if self.misses.is_empty() {
            let _ = writeln!(s, "misses: none");
        } else {
            let _ = writeln!(s, "misses:");
            for m in &self.misses {
                let _ = writeln!(s, "  - {m}");
            }
        }
        s
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Lowercase, straight quotes, whitespace collapsed: how evidence is compared.
pub fn evidence_form(text: &str) -> String {
    text.to_lowercase()
        .replace(['\u{2018}', '\u{2019}'], "'")
        .replace(['\u{201C}', '\u{201D}'], "\"")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the cases against the engine.
pub fn run(engine: &Engine, cases: &[Case], ctx: &Context) -> Report {
    let mut r = Report {
        cases: cases.len(),
        ..Report::default()
    };
    for case in cases {
        let screened = engine.safety.screen(&case.q);
        let question = match &screened {
            Screened::Ordinary(q) | Screened::MedicalAdvice(q) => Some(q),
            _ => None,
        };
        let retrieved = question.map(|q| engine.retrieve(q, 10));
        let label = match &screened {
            Screened::Crisis(_) => Label::Crisis,
            Screened::MedicalAdvice(_) => Label::MedicalAdvice,
            Screened::Empty => Label::NoMatch,
            Screened::Ordinary(_) => match &retrieved {
                Some(found) if engine.retrieval.is_relevant(found) => Label::Answer,
                _ => Label::NoMatch,
            },
        };
        if label == case.expect {
            r.labels_right += 1;
        } else {
            let coverage = retrieved.as_ref().map_or(0.0, |f| f.coverage);
            r.misses.push(format!(
                "{:?}: expected {}, got {} (coverage {coverage:.2})",
                case.q,
                case.expect.name(),
                label.name()
            ));
        }
        if case.expect == Label::Answer {
            r.answer_cases += 1;
            let evidence: Vec<String> = case.evidence.iter().map(|e| evidence_form(e)).collect();
            let rank = retrieved.as_ref().and_then(|found| {
                found.hits.iter().position(|h| {
                    let passage = &engine.library.passages[h.passage];
                    let text = evidence_form(engine.library.passage_text(passage));
                    evidence.iter().any(|e| text.contains(e.as_str()))
                })
            });
            match rank {
                Some(0) => {
                    r.hits_at_1 += 1;
                    r.hits_at_3 += 1;
                }
                Some(i) if i < 3 => r.hits_at_3 += 1,
                _ => {}
            }
            if let Some(i) = rank {
                r.reciprocal_ranks += 1.0 / (i + 1) as f64;
            }
            if rank.is_none_or(|i| i > 0) {
                let top = retrieved
                    .as_ref()
                    .and_then(|f| f.hits.first())
                    .map(|h| engine.library.passages[h.passage].id.clone())
                    .unwrap_or_else(|| "nothing".into());
                r.misses.push(format!(
                    "{:?}: evidence at rank {} (top passage: {top})",
                    case.q,
                    rank.map_or("none in top 10".to_string(), |i| (i + 1).to_string()),
                ));
            }
        }
        let reply = engine.ask(&case.q, ctx);
        let disclaimer = reply.disclaimer().text().replace('@', "@\u{200B}");
        if render::discord(&reply)
            .iter()
            .all(|m| m.content().ends_with(&disclaimer))
        {
            r.with_disclaimer += 1;
        } else {
            r.misses
                .push(format!("{:?}: a message lacks the disclaimer", case.q));
        }
    }
    r
}
