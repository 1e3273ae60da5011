//! Evaluation cases (the format of `dev-questions.toml`): each case is a message, the label the
//! engine should give it, and evidence phrases a good passage contains. Reports Recall@1,
//! Recall@3, MRR (first evidence passage in the top 10), label accuracy, per-label precision and
//! recall with the confusion matrix (for the safety screen's tiers), and whether every reply
//! carried the disclaimer, listing every miss.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::engine::{Context, Engine};
use crate::problem::{Problem, read_utf8};
use crate::render;
use crate::safety::{Advice, Level, Screened};

/// The label a case expects (and, for the screen's own labels, the label a reply gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Quotes from the library.
    Answer,
    /// Nothing relevant in the library.
    NoMatch,
    /// Any danger tier (emergency, crisis, concern, someone else).
    Crisis,
    /// Medical-advice refusal.
    MedicalAdvice,
    /// An overdose or someone not breathing now.
    Emergency,
    /// Passive ideation, hopelessness, burden, farewells.
    Concern,
    /// Someone else at risk.
    SomeoneElse,
    /// A question about suicide, self-harm or overdose: lines first, then an answer.
    Topic,
    /// A diagnosis request, declined.
    Diagnosis,
    /// How to use or get naloxone.
    HarmReduction,
    /// Not danger and not medical advice: an answer or "not in the library" are both right.
    Ordinary,
    /// Like `ordinary`, for idioms that sound like danger ("this exam is killing me").
    OffTopic,
}

impl Label {
    /// The name used in case files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Label::Answer => "answer",
            Label::NoMatch => "no_match",
            Label::Crisis => "crisis",
            Label::MedicalAdvice => "medical_advice",
            Label::Emergency => "emergency",
            Label::Concern => "concern",
            Label::SomeoneElse => "someone_else",
            Label::Topic => "topic",
            Label::Diagnosis => "diagnosis",
            Label::HarmReduction => "harm_reduction",
            Label::Ordinary => "ordinary",
            Label::OffTopic => "off_topic",
        }
    }

    /// Any danger tier.
    pub fn is_danger(self) -> bool {
        matches!(
            self,
            Label::Crisis | Label::Emergency | Label::Concern | Label::SomeoneElse
        )
    }

    /// A medical-advice or diagnosis refusal.
    pub fn is_medical(self) -> bool {
        matches!(self, Label::MedicalAdvice | Label::Diagnosis)
    }

    /// Whether a reply labelled `got` is right for a case that expects `self`.
    pub fn accepts(self, got: Label) -> bool {
        match self {
            Label::Crisis => got.is_danger(),
            Label::Ordinary | Label::OffTopic => matches!(got, Label::Answer | Label::NoMatch),
            expected => expected == got,
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
    /// What kind of message it is (free text, for reading the report).
    #[serde(default)]
    pub category: Option<String>,
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
    /// Answer cases with evidence phrases (the recall denominator).
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
    /// (expected, got) → cases.
    pub confusion: BTreeMap<(Label, Label), usize>,
    /// One line per miss.
    pub misses: Vec<String>,
    /// The answerability evidence of each answer and no-match case, as JSON lines (see
    /// `answerable::trial_json`).
    pub trials: Vec<String>,
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

    /// Cases expecting a label.
    pub fn expected(&self, label: Label) -> usize {
        self.confusion
            .iter()
            .filter(|((e, _), _)| *e == label)
            .map(|(_, n)| n)
            .sum()
    }

    /// Share of cases matching `expected` whose reply matches `got` (0 when there are none).
    pub fn share(&self, expected: impl Fn(Label) -> bool, got: impl Fn(Label) -> bool) -> f64 {
        let (mut all, mut hit) = (0, 0);
        for ((e, g), n) in &self.confusion {
            if expected(*e) {
                all += n;
                if got(*g) {
                    hit += n;
                }
            }
        }
        ratio(hit, all)
    }

    /// Danger cases (any tier) answered with a danger reply (any tier).
    pub fn crisis_recall(&self) -> f64 {
        self.share(Label::is_danger, Label::is_danger)
    }

    /// Medical-advice and diagnosis cases answered with a refusal.
    pub fn medical_recall(&self) -> f64 {
        self.share(Label::is_medical, Label::is_medical)
    }

    /// Ordinary, off-topic and answer cases screened as danger or medical advice.
    pub fn false_alarms(&self) -> usize {
        self.confusion
            .iter()
            .filter(|((e, g), _)| {
                matches!(
                    e,
                    Label::Ordinary | Label::OffTopic | Label::Answer | Label::NoMatch
                ) && (g.is_danger() || g.is_medical())
            })
            .map(|(_, n)| n)
            .sum()
    }

    fn labels_table(&self) -> String {
        let mut s = String::new();
        let expected: BTreeSet<Label> = self.confusion.keys().map(|(e, _)| *e).collect();
        let got: BTreeSet<Label> = self.confusion.keys().map(|(_, g)| *g).collect();
        if expected.len() <= 4
            && got.iter().all(|g| {
                matches!(
                    g,
                    Label::Answer | Label::NoMatch | Label::Crisis | Label::MedicalAdvice
                )
            })
        {
            return s;
        }
        let _ = writeln!(
            s,
            "per label (precision: of replies with the label, right; recall: of cases, right):"
        );
        for label in expected.union(&got) {
            let cases = self.expected(*label);
            let right: usize = self
                .confusion
                .iter()
                .filter(|((e, g), _)| e == label && e.accepts(*g))
                .map(|(_, n)| n)
                .sum();
            let replies: usize = self
                .confusion
                .iter()
                .filter(|((_, g), _)| g == label)
                .map(|(_, n)| n)
                .sum();
            let replies_right: usize = self
                .confusion
                .iter()
                .filter(|((e, g), _)| g == label && e.accepts(*g))
                .map(|(_, n)| n)
                .sum();
            let _ = writeln!(
                s,
                "  {:<15} cases {:>4}  recall {:>6}  replies {:>4}  precision {:>6}",
                label.name(),
                cases,
                if cases > 0 {
                    format!("{:.3}", ratio(right, cases))
                } else {
                    "-".into()
                },
                replies,
                if replies > 0 {
                    format!("{:.3}", ratio(replies_right, replies))
                } else {
                    "-".into()
                },
            );
        }
        let _ = writeln!(
            s,
            "danger recall (any tier): {:.3}; medical-advice recall: {:.3}; ordinary, off-topic or answer cases screened as danger or medical advice: {}",
            self.crisis_recall(),
            self.medical_recall(),
            self.false_alarms()
        );
        let _ = writeln!(s, "confusion (rows expected, columns got):");
        let cols: Vec<Label> = got.iter().copied().collect();
        let _ = write!(s, "  {:<15}", "");
        for c in &cols {
            let _ = write!(s, " {:>8}", &c.name()[..c.name().len().min(8)]);
        }
        let _ = writeln!(s);
        for e in &expected {
            let _ = write!(s, "  {:<15}", e.name());
            for c in &cols {
                let n = self.confusion.get(&(*e, *c)).copied().unwrap_or(0);
                let _ = write!(s, " {:>8}", n);
            }
            let _ = writeln!(s);
        }
        s
    }

    /// The report as printed by `lantern eval`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "cases: {} ({} answer cases)",
            self.cases, self.answer_cases
        );
        if self.answer_cases > 0 {
            let _ = writeln!(s, "Recall@1: {:.3}", self.recall_at_1());
            let _ = writeln!(s, "Recall@3: {:.3}", self.recall_at_3());
            let _ = writeln!(s, "MRR:      {:.3}", self.mrr());
        } else {
            let _ = writeln!(s, "Recall: no answer cases with evidence");
        }
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
        s.push_str(&self.labels_table());
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
        let question = screened.question();
        let retrieved = question.map(|q| engine.retrieve(q, 10));
        // What `ask` retrieves (its number of results), and the answerability decision's
        // evidence on it, as members get it.
        let asked = question.map(|q| engine.retrieve(q, engine.retrieval.results.max(1)));
        let evidence = asked
            .as_ref()
            .map(|a| crate::retrieval::Evidence::of(a, &engine.shelf.library));
        let answerability = evidence
            .as_ref()
            .map_or(0.0, crate::retrieval::answerability);
        let phrases: Vec<String> = case.evidence.iter().map(|e| evidence_form(e)).collect();
        let holds_evidence = |h: &crate::index::Hit| {
            let passage = &engine.shelf.library.passages[h.passage];
            let text = evidence_form(engine.shelf.library.passage_text(passage));
            phrases.iter().any(|e| text.contains(e.as_str()))
        };
        let label = match &screened {
            Screened::Crisis(c) => match c.level {
                Level::Emergency => Label::Emergency,
                Level::Crisis => Label::Crisis,
                Level::Concern => Label::Concern,
                Level::SomeoneElse => Label::SomeoneElse,
            },
            Screened::MedicalAdvice(_, Advice::Medication) => Label::MedicalAdvice,
            Screened::MedicalAdvice(_, Advice::Diagnosis) => Label::Diagnosis,
            Screened::Topic(_) => Label::Topic,
            Screened::HarmReduction(_) => Label::HarmReduction,
            Screened::Empty => Label::NoMatch,
            Screened::Ordinary(_) => match &asked {
                Some(a) if engine.retrieval.is_relevant(a, &engine.shelf.library) => Label::Answer,
                _ => Label::NoMatch,
            },
        };
        *r.confusion.entry((case.expect, label)).or_default() += 1;
        if case.expect.accepts(label) {
            r.labels_right += 1;
        } else {
            r.misses.push(format!(
                "{:?}: expected {}, got {} (answerability {answerability:.2}){}",
                case.q,
                case.expect.name(),
                label.name(),
                case.category
                    .as_deref()
                    .map(|c| format!(" [{c}]"))
                    .unwrap_or_default()
            ));
        }
        if case.expect == Label::Answer && !case.evidence.is_empty() {
            r.answer_cases += 1;
            let rank = retrieved
                .as_ref()
                .and_then(|found| found.hits.iter().position(holds_evidence));
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
                    .map(|h| engine.shelf.library.passages[h.passage].id.clone())
                    .unwrap_or_else(|| "nothing".into());
                r.misses.push(format!(
                    "{:?}: evidence at rank {} (top passage: {top})",
                    case.q,
                    rank.map_or("none in top 10".to_string(), |i| (i + 1).to_string()),
                ));
            }
        }
        // The evidence with whether a good passage would be quoted (`lantern eval --trials`,
        // for fitting the decision's weights).
        if let (Some(asked), Some(evidence)) = (&asked, &evidence)
            && matches!(case.expect, Label::Answer | Label::NoMatch)
        {
            let good = case.expect == Label::Answer
                && engine.retrieval.quotable(asked, 0).any(holds_evidence);
            r.trials
                .push(crate::eval::answerable::trial_json(good, evidence, None));
        }
        let reply = engine.ask(&case.q, ctx);
        let disclaimer = render::neutralise_mentions(reply.disclaimer().text());
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
