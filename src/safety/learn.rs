//! Training the learned danger reading ([`super::model`]) from labelled messages: plain
//! stochastic gradient descent on four logistic regressions, deterministic (a fixed shuffle
//! seed), so the same cases and configuration always give the same table. Pure: cases in, table
//! text out; `lantern train-screen` does the file work.

use super::SafetyRules;
use super::lexicon::FastMap;
use super::model::{HEADS, Weights, features, sigmoid};

/// Passes over the cases.
const EPOCHS: usize = 30;
/// Step size.
const RATE: f32 = 0.2;
/// Weight decay per step.
const DECAY: f32 = 1e-4;
/// Weights smaller than this on every head are left out of the table.
const KEEP: f32 = 0.01;

/// A labelled message: its text and, per head, whether it is a positive case.
#[derive(Debug, Clone)]
pub struct Example {
    /// The message.
    pub text: String,
    /// Danger, emergency, crisis, someone else.
    pub target: [bool; 4],
}

impl Example {
    /// An example from an evaluation label (`emergency`, `crisis`, `concern`, `someone_else`
    /// are dangers; every other label is not).
    pub fn from_label(text: &str, label: &str) -> Example {
        let target = match label {
            "emergency" => [true, true, false, false],
            "crisis" => [true, false, true, false],
            "concern" => [true, false, false, false],
            "someone_else" => [true, false, false, true],
            _ => [false; 4],
        };
        Example {
            text: text.to_string(),
            target,
        }
    }
}

/// A small deterministic generator for the shuffle (xorshift64*).
struct Shuffle(u64);

impl Shuffle {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// Trains on `examples` through the screen's own reading of each message, and returns the table
/// text (`config/screen-model.tsv`), headed by `header` comment lines.
pub fn train(rules: &SafetyRules, examples: &[Example], threshold: f32, header: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut ids: FastMap<String, u32> = FastMap::default();
    let rows: Vec<Vec<u32>> = examples
        .iter()
        .map(|e| {
            let (n, marks) = rules.read(&e.text);
            let marks = rules.model_marks(&marks, &rules.negated(&n, &marks));
            let mut row: Vec<u32> = Vec::new();
            features(
                &n,
                0..n.tokens.len(),
                &marks,
                &rules.model_classes,
                &mut |f| {
                    let id = *ids.entry(f.to_string()).or_insert_with(|| {
                        names.push(f.to_string());
                        (names.len() - 1) as u32
                    });
                    row.push(id);
                },
            );
            row
        })
        .collect();
    let mut w: Vec<Weights> = vec![[0.0; 4]; names.len()];
    let mut bias: Weights = [0.0; 4];
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut shuffle = Shuffle(0x9E37_79B9_7F4A_7C15);
    for _ in 0..EPOCHS {
        for i in (1..order.len()).rev() {
            order.swap(i, shuffle.below(i + 1));
        }
        for &i in &order {
            let row = &rows[i];
            let scale = RATE / (row.len().max(1) as f32).sqrt();
            for h in 0..HEADS.len() {
                let z = bias[h] + row.iter().map(|&f| w[f as usize][h]).sum::<f32>();
                let g = sigmoid(z) - f32::from(u8::from(examples[i].target[h]));
                for &f in row {
                    let wf = &mut w[f as usize][h];
                    *wf = *wf * (1.0 - RATE * DECAY) - scale * g;
                }
                bias[h] -= RATE * 0.1 * g;
            }
        }
    }
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!("# columns: feature\t{}\n", HEADS.join("\t")));
    out.push_str(&format!("threshold\t{threshold}\n"));
    push_row(&mut out, "bias", &bias);
    let mut kept: Vec<usize> = (0..names.len())
        .filter(|&i| w[i].iter().any(|x| x.abs() >= KEEP))
        .collect();
    kept.sort_by(|&a, &b| names[a].cmp(&names[b]));
    for i in kept {
        push_row(&mut out, &names[i], &w[i]);
    }
    out
}

fn push_row(out: &mut String, name: &str, w: &Weights) {
    out.push_str(name);
    for x in w {
        out.push_str(&format!("\t{x:.4}"));
    }
    out.push('\n');
}
