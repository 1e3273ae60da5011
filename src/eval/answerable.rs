//! `lantern eval --beir DIR --answerability`: how well the relevance gate separates questions the
//! library answers from questions it does not. Every judged query is asked twice, through the
//! safety screen and the same retrieval `ask` uses: once over the whole corpus (it should answer,
//! with a judged-relevant document first) and once with its relevant documents taken out (it
//! should say the library has no answer). For each gate signal the report gives the curve of
//! answered-right against answered-wrong over the threshold, and the operating point: the
//! threshold with the most right answers while at most a quarter of all answers are wrong.

use std::collections::HashSet;

use crate::retrieval::{self, Evidence, Retrieval};
use crate::safety::{SafetyRules, Screened};

use super::beir::{self, BeirOptions};

/// Thresholds the curve is read at.
const STEPS: usize = 20;
/// Largest share of answers that may be wrong at the operating point.
pub const MAX_WRONG_SHARE: f64 = 0.25;

/// A gate signal: how sure retrieval is that its best passage answers the question.
#[derive(Debug, Clone, Copy)]
pub struct Signal {
    /// Its name in the report.
    pub name: &'static str,
    /// Its value for the evidence of a retrieval.
    pub value: fn(&Evidence) -> f32,
}

/// The signals compared: each piece of evidence alone, and the decision that weighs them.
pub const SIGNALS: [Signal; 7] = [
    Signal {
        name: "answerability (the decision: the evidence weighed together)",
        value: retrieval::answerability,
    },
    Signal {
        name: "coverage (every topic word, by rarity and focus)",
        value: |e| e.coverage,
    },
    Signal {
        name: "key coverage (the key concepts in the best passage)",
        value: |e| e.key_coverage,
    },
    Signal {
        name: "quote coverage (the key concepts in the quoted sentences)",
        value: |e| e.quote_coverage,
    },
    Signal {
        name: "strength (score over the most a passage could score)",
        value: |e| e.strength.min(1.0),
    },
    Signal {
        name: "margin (ahead of the next document)",
        value: |e| e.margin,
    },
    Signal {
        name: "agreement (key concepts in the other passages found)",
        value: |e| e.agreement,
    },
];

/// One question asked both ways.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    /// The evidence over the whole corpus (all 0 when nothing was found).
    pub present: Evidence,
    /// Whether the reply over the whole corpus quotes a relevant document.
    pub right: bool,
    /// The evidence with the relevant documents taken out.
    pub removed: Evidence,
}

/// One point of a curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The gate threshold.
    pub threshold: f32,
    /// Answers quoting a relevant document.
    pub right: usize,
    /// Answers over the whole corpus quoting another document.
    pub wrong_present: usize,
    /// Answers given although the relevant documents were taken out.
    pub wrong_removed: usize,
}

impl Point {
    /// Share of answers that are right (1 when nothing is answered).
    pub fn precision(&self) -> f64 {
        let all = self.right + self.wrong_present + self.wrong_removed;
        if all == 0 {
            1.0
        } else {
            self.right as f64 / all as f64
        }
    }
}

/// The curve of signal `s` over `trials`, from threshold 0 to 1.
pub fn curve(trials: &[Trial], s: usize) -> Vec<Point> {
    let value = SIGNALS[s].value;
    (0..=STEPS)
        .map(|i| {
            let threshold = i as f32 / STEPS as f32;
            let answers = |v: f32| v > 0.0 && v >= threshold;
            Point {
                threshold,
                right: trials
                    .iter()
                    .filter(|t| t.right && answers(value(&t.present)))
                    .count(),
                wrong_present: trials
                    .iter()
                    .filter(|t| !t.right && answers(value(&t.present)))
                    .count(),
                wrong_removed: trials.iter().filter(|t| answers(value(&t.removed))).count(),
            }
        })
        .collect()
}

/// The point with the most right answers among those with at most [`MAX_WRONG_SHARE`] wrong,
/// the fewest wrong and then the lowest threshold breaking ties (the highest threshold when
/// none qualifies).
pub fn operating_point(curve: &[Point]) -> Point {
    let key = |p: &Point| {
        (
            p.right,
            std::cmp::Reverse(p.wrong_present + p.wrong_removed),
        )
    };
    let mut best: Option<Point> = None;
    for p in curve
        .iter()
        .filter(|p| p.precision() >= 1.0 - MAX_WRONG_SHARE)
    {
        if best.is_none_or(|b| key(p) > key(&b)) {
            best = Some(*p);
        }
    }
    best.or(curve.last().copied()).expect("a curve has points")
}

/// What the evaluation saw.
#[derive(Debug, Clone)]
pub struct Answerability {
    /// Judged queries asked.
    pub trials: Vec<Trial>,
    /// Judged queries the screen did not pass as ordinary questions (not asked).
    pub screened_out: usize,
}

/// Asks every judged query of a BEIR folder both ways.
pub fn evaluate(
    options: &BeirOptions,
    retrieval: &Retrieval,
    safety: &SafetyRules,
) -> anyhow::Result<Answerability> {
    let corpus = beir::open(options, retrieval)?;
    let by_id: std::collections::HashMap<&str, usize> = corpus
        .library
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut trials = Vec::new();
    let mut screened_out = 0;
    for (qid, text) in &corpus.queries {
        let Some(judged) = corpus.qrels.get(qid) else {
            continue;
        };
        let relevant: HashSet<usize> = judged
            .iter()
            .filter(|(_, g)| **g > 0)
            .filter_map(|(d, _)| by_id.get(d.as_str()).copied())
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let Screened::Ordinary(question) = safety.screen(text) else {
            screened_out += 1;
            continue;
        };
        let (index, library) = (&corpus.index, &corpus.library);
        let limit = retrieval.results.max(1);
        let present = retrieval.search(index, library, &question, limit);
        let removed = retrieval.search_where(index, library, &question, limit, &|d| {
            !relevant.contains(&d)
        });
        trials.push(Trial {
            present: Evidence::of(&present, library),
            // Right when the reply would quote a relevant document (any of the passages ask
            // quotes, as a member reads the reply).
            right: retrieval
                .quotable(&present, 0)
                .any(|h| relevant.contains(&library.passages[h.passage].doc)),
            removed: Evidence::of(&removed, library),
        });
    }
    Ok(Answerability {
        trials,
        screened_out,
    })
}

/// The report `lantern eval --answerability` prints.
pub fn to_text(a: &Answerability, gate: f32) -> String {
    let mut out = format!(
        "answerability: {} judged questions asked twice (with and without their relevant \
         documents); {} not asked (the safety screen did not pass them as ordinary questions)\n",
        a.trials.len(),
        a.screened_out
    );
    for (s, signal) in SIGNALS.iter().enumerate() {
        let points = curve(&a.trials, s);
        out.push_str(&format!(
            "\nsignal: {}\n  threshold  right  wrong(with)  wrong(without)  precision\n",
            signal.name
        ));
        for p in &points {
            out.push_str(&format!(
                "  {:>9.2}  {:>5}  {:>11}  {:>14}  {:>9.3}\n",
                p.threshold,
                p.right,
                p.wrong_present,
                p.wrong_removed,
                p.precision()
            ));
        }
        let op = operating_point(&points);
        out.push_str(&format!(
            "  operating point: {:.2} ({} right, {} wrong, precision {:.3}; at most {:.0}% wrong)\n",
            op.threshold,
            op.right,
            op.wrong_present + op.wrong_removed,
            op.precision(),
            MAX_WRONG_SHARE * 100.0
        ));
    }
    out.push_str(&format!(
        "\nthe configured gate: min_answerability = {gate:.2}\n"
    ));
    out
}

/// One trial as a JSON line: whether the reply quotes a right answer, the evidence with the
/// answers present, and (for a BEIR trial) with them removed.
pub fn trial_json(right: bool, present: &Evidence, removed: Option<&Evidence>) -> String {
    let evidence = |e: &Evidence| {
        serde_json::json!({
            "coverage": e.coverage,
            "key_coverage": e.key_coverage,
            "quote_coverage": e.quote_coverage,
            "strength": e.strength,
            "margin": e.margin,
            "agreement": e.agreement,
        })
    };
    serde_json::json!({
        "right": right,
        "present": evidence(present),
        "removed": removed.map(evidence),
    })
    .to_string()
}

/// The trials as JSON lines, for fitting the decision's weights outside the program
/// (`eval/fit-answerability.py`).
pub fn to_json_lines(a: &Answerability) -> String {
    a.trials
        .iter()
        .map(|t| trial_json(t.right, &t.present, Some(&t.removed)) + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(coverage: f32) -> Evidence {
        Evidence {
            coverage,
            ..Evidence::default()
        }
    }

    fn trial(present: f32, right: bool, removed: f32) -> Trial {
        Trial {
            present: evidence(present),
            right,
            removed: evidence(removed),
        }
    }

    #[test]
    fn the_curve_counts_each_way_of_being_wrong_and_falls_with_the_threshold() {
        let trials = [
            trial(0.9, true, 0.2),
            trial(0.6, true, 0.6),
            trial(0.4, false, 0.1),
            trial(0.0, false, 0.0),
        ];
        let points = curve(&trials, 1);
        assert_eq!(points.len(), STEPS + 1);
        let at = |t: f32| {
            *points
                .iter()
                .find(|p| (p.threshold - t).abs() < 1e-6)
                .unwrap()
        };
        let p = at(0.0);
        assert_eq!((p.right, p.wrong_present, p.wrong_removed), (2, 1, 3));
        let p = at(0.5);
        assert_eq!((p.right, p.wrong_present, p.wrong_removed), (2, 0, 1));
        let p = at(0.7);
        assert_eq!((p.right, p.wrong_present, p.wrong_removed), (1, 0, 0));
        for w in points.windows(2) {
            assert!(w[1].right <= w[0].right);
            assert!(
                w[1].wrong_present + w[1].wrong_removed <= w[0].wrong_present + w[0].wrong_removed
            );
        }
        // Up to 0.6 a removed answer still passes (two right, one wrong: 0.67 < 0.75); from
        // 0.65 one right and none wrong.
        let op = operating_point(&points);
        assert!(op.precision() >= 0.75, "{op:?}");
        assert_eq!(op.right, 1, "{op:?}");
        assert!((op.threshold - 0.65).abs() < 1e-6, "{op:?}");
    }
}
