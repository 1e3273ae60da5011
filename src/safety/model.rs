//! The learned reading beside the rules: four small logistic regressions over what the screen
//! already sees (the normalised words, word pairs, letter fours inside words, and the word
//! classes found), trained on the project's labelled member messages (`lantern train-screen`)
//! and shipped as a readable table, `config/screen-model.tsv`.
//!
//! The rules stay the floor: the model is only asked when they found no danger and no topic or
//! naloxone reading, and it can only add a danger verdict, never take one away. Its heads are
//! *danger* (the decision, against a threshold kept in the table), and *emergency*, *crisis* and
//! *someone else* (which tier to answer with; a danger that is none of them is a concern).
//!
//! Long messages (over [`WHOLE`] words) are read in overlapping windows of up to [`WINDOW`] words
//! of whole sentences (and each sentence of [`MIN_SENTENCE`] words or more alone), each needing
//! [`WINDOW_THRESHOLD`]; the most worrying window counts, so a danger in the middle of a long vent
//! is not averaged away. Reading is linear in the message: each distinct word is looked up once,
//! and each window is a difference of running sums.

use std::hash::Hasher;
use std::ops::Range;
use std::path::Path;

use super::lexicon::{FastMap, FxHasher, Mark};
use super::normalize::{NUMBER, Normalized};
use crate::problem::Problem;

/// Messages up to this many words are read whole, as the model was trained (nearly every
/// training message is shorter).
pub const WHOLE: usize = 150;
/// Words in one window of a longer message: about one message's worth, so that one worrying
/// sentence is not averaged away by a long vent around it.
pub const WINDOW: usize = 30;
/// The least danger probability at which a window of a long message speaks: a window is read
/// without the rest of the message, so it must be surer than a whole message. A long post is
/// read in ten or more windows, and the most worrying one counts: at 0.85 calm weekly updates
/// and recovery stories of 150-200 words spoke 31 times in `eval/safety-blind41.toml`; at 0.98,
/// about 20, and no danger case of any set was lost (the long vents it alone catches read 0.995
/// or more).
pub const WINDOW_THRESHOLD: f32 = 0.98;
/// Fewest words for a sentence of a long message to be read alone ("can't sleep again" is too
/// little to judge without what surrounds it).
pub const MIN_SENTENCE: usize = 6;

/// The model's heads, in the table's column order.
pub const HEADS: [&str; 4] = ["danger", "emergency", "crisis", "someone_else"];

/// One feature's weights, a head each.
pub type Weights = [f32; 4];

/// The learned danger reading.
#[derive(Debug, Clone, Default)]
pub struct DangerModel {
    weights: FastMap<u64, Weights>,
    bias: Weights,
    /// The danger probability at or above which the model reports a danger.
    pub threshold: f32,
}

/// What the model read: each head's probability, for the most worrying window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reading {
    /// Probability that the message shows a present danger.
    pub danger: f32,
    /// That it is an emergency (an overdose or someone not breathing now, means at hand).
    pub emergency: f32,
    /// That it is an active crisis (intent, a plan, self-harm now).
    pub crisis: f32,
    /// That the person at risk is someone else.
    pub someone_else: f32,
    /// Read in windows (a long message), not whole.
    pub windowed: bool,
}

impl Reading {
    /// The danger probability this reading must reach under a model `threshold`: at least
    /// [`WINDOW_THRESHOLD`] when it was read in windows.
    pub fn threshold(&self, threshold: f32) -> f32 {
        if self.windowed {
            threshold.max(WINDOW_THRESHOLD)
        } else {
            threshold
        }
    }

    /// Whether the danger head reaches the threshold.
    pub fn is_danger(&self, threshold: f32) -> bool {
        self.danger >= self.threshold(threshold)
    }
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// A word pair's key, from the two words' hashes, so reading never builds the pair's name.
fn pair_key(first: u64, second: u64) -> u64 {
    (first.rotate_left(23) ^ second ^ 0x9E37_79B9_7F4A_7C15)
        .wrapping_mul(0xD6E8_FEB8_6659_FD93)
        .rotate_left(29)
}

/// A feature's key in the weight table: a pair (`b:first_second`) from its two words' hashes, any other
/// feature by the hash of its name.
pub fn key(feature: &str) -> u64 {
    match feature.strip_prefix("b:").and_then(|p| p.split_once('_')) {
        Some((first, second)) => pair_key(hash(first.as_bytes()), hash(second.as_bytes())),
        None => hash(feature.as_bytes()),
    }
}

/// The logistic function, clamped so that no input overflows.
pub(super) fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp())
}

/// The windows a message is read in: the whole of it up to [`WHOLE`] words; else, from each
/// sentence's start, that sentence alone, it with the next, and as many whole sentences as fit in
/// [`WINDOW`] words
/// (a sentence longer than that is also read in windows starting every half window). Windows follow sentences so that a
/// window never starts halfway through one and loses the words that set its sense ("years ago",
/// "not").
pub fn windows(n: &Normalized) -> Vec<Range<usize>> {
    let len = n.tokens.len();
    if len <= WHOLE {
        return std::iter::once(0..len).collect();
    }
    // Where each sentence ends (one past its last word), in order.
    let mut ends: Vec<usize> = Vec::new();
    for (i, pair) in n.tokens.windows(2).enumerate() {
        if pair[0].sentence != pair[1].sentence {
            ends.push(i + 1);
        }
    }
    ends.push(len);
    let mut out = Vec::new();
    let mut start = 0;
    let mut next_end = 0; // index into `ends` of the first end after `start`
    while start < len {
        while ends[next_end] <= start {
            next_end += 1;
        }
        let limit = start + WINDOW;
        let mut end_at = next_end;
        while end_at + 1 < ends.len() && ends[end_at + 1] <= limit {
            end_at += 1;
        }
        let end = if ends[end_at] <= limit {
            ends[end_at]
        } else {
            limit.min(len)
        };
        // The sentence alone too, when the window holds more and it is a sentence, not a
        // fragment: a worrying sentence stands out most by itself.
        let first = ends[next_end].min(limit).min(len);
        if first < end && first - start >= MIN_SENTENCE {
            out.push(start..first);
        }
        // And with the sentence after it, when the window holds more: a thought often runs over
        // two short sentences ("i've stopped eating on purpose. it'll be quicker that way").
        if let Some(&second) = ends.get(next_end + 1)
            && second < end
            && second - start >= MIN_SENTENCE
        {
            out.push(start..second);
        }
        out.push(start..end);
        // The next start: the next sentence, or half a window on inside a long one.
        start = ends[next_end].min(start + WINDOW / 2);
    }
    out
}

/// The word a token stands for in features: numbers are all `#`.
fn form_of<'a>(n: &'a Normalized, t: &super::normalize::Token) -> &'a str {
    if t.flags & NUMBER != 0 {
        "#"
    } else {
        n.form(t)
    }
}

/// A word's own features: `w:` the word, and `c:` each four letters inside it, marked with `<`
/// and `>` at its ends.
fn word_features(form: &str, buf: &mut String, emit: &mut dyn FnMut(&str)) {
    buf.clear();
    buf.push_str("w:");
    buf.push_str(form);
    emit(buf);
    if form.is_ascii() {
        // Most words: the four letters are four bytes, read in place.
        let b = form.as_bytes();
        let at = |i: usize| match i {
            0 => b'<',
            i if i > b.len() => b'>',
            i => b[i - 1],
        };
        for start in 0..(b.len() + 2).saturating_sub(3) {
            buf.clear();
            buf.push_str("c:");
            for i in start..start + 4 {
                buf.push(char::from(at(i)));
            }
            emit(buf);
        }
        return;
    }
    let letters: Vec<char> = std::iter::once('<')
        .chain(form.chars())
        .chain(std::iter::once('>'))
        .collect();
    for four in letters.windows(4) {
        buf.clear();
        buf.push_str("c:");
        buf.extend(four.iter());
        emit(buf);
    }
}

/// `b:` a pair of neighbouring words.
fn pair_feature<'b>(prev: &str, form: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    buf.push_str("b:");
    buf.push_str(prev);
    buf.push('_');
    buf.push_str(form);
    buf
}

/// `k:` a word class.
fn class_feature<'b>(class: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    buf.push_str("k:");
    buf.push_str(class);
    buf
}

/// Calls `emit` with every feature of the words in `range`, each time it occurs: `w:` each word,
/// `c:` its four-letter pieces, `b:` each pair of neighbouring words, and `k:` each word class
/// found starting inside the range.
pub fn features(
    n: &Normalized,
    range: Range<usize>,
    marks: &[Mark],
    classes: &[String],
    emit: &mut dyn FnMut(&str),
) {
    let mut buf = String::with_capacity(64);
    let mut prev: Option<&str> = None;
    for t in &n.tokens[range.clone()] {
        let form = form_of(n, t);
        word_features(form, &mut buf, emit);
        if let Some(p) = prev {
            emit(pair_feature(p, form, &mut buf));
        }
        prev = Some(form);
    }
    for m in marks {
        if range.contains(&m.start) {
            emit(class_feature(&classes[m.class as usize], &mut buf));
        }
    }
}

fn add(to: &mut Weights, w: &Weights) {
    for (a, b) in to.iter_mut().zip(w) {
        *a += b;
    }
}

impl DangerModel {
    fn weight(&self, feature: &str) -> Option<&Weights> {
        self.weights.get(&key(feature))
    }

    /// Reads a message: every window's heads, keeping the window with the highest danger. Each
    /// word's weights are looked up once per distinct word, then summed over the windows.
    pub fn read(&self, n: &Normalized, marks: &[Mark], classes: &[String]) -> Reading {
        let mut buf = String::with_capacity(64);
        let mut words: FastMap<u64, Weights> = FastMap::default();
        words.reserve(n.tokens.len().min(4096));
        let mut pairs: FastMap<u64, Option<Weights>> = FastMap::default();
        pairs.reserve(n.tokens.len().min(4096));
        let mut unit: Vec<Weights> = Vec::with_capacity(n.tokens.len());
        let mut prev: Option<u64> = None;
        for t in &n.tokens {
            let form = form_of(n, t);
            let h = hash(form.as_bytes());
            let mut u = *words.entry(h).or_insert_with(|| {
                let mut sum = [0.0; 4];
                word_features(form, &mut buf, &mut |f| {
                    if let Some(w) = self.weight(f) {
                        add(&mut sum, w);
                    }
                });
                sum
            });
            if let Some(p) = prev {
                // Pairs repeat in a long message too; a small map of the ones seen stays in cache
                // where the whole table would not.
                let k = pair_key(p, h);
                let w = *pairs
                    .entry(k)
                    .or_insert_with(|| self.weights.get(&k).copied());
                if let Some(w) = w {
                    add(&mut u, &w);
                }
            }
            prev = Some(h);
            unit.push(u);
        }
        // A class's weights are looked up once per message, not once per mark.
        let mut class_weights: Vec<Option<Option<Weights>>> = vec![None; classes.len()];
        for m in marks {
            let c = m.class as usize;
            let w = *class_weights[c]
                .get_or_insert_with(|| self.weight(class_feature(&classes[c], &mut buf)).copied());
            if let Some(w) = w
                && let Some(u) = unit.get_mut(m.start)
            {
                add(u, &w);
            }
        }
        let mut prefix: Vec<Weights> = Vec::with_capacity(unit.len() + 1);
        let mut running = [0.0f32; 4];
        prefix.push(running);
        for u in &unit {
            add(&mut running, u);
            prefix.push(running);
        }
        let windows = windows(n);
        let windowed = windows.len() > 1;
        windows
            .into_iter()
            .map(|range| {
                let mut z = self.bias;
                for h in 0..HEADS.len() {
                    z[h] += prefix[range.end][h] - prefix[range.start][h];
                }
                Reading {
                    danger: sigmoid(z[0]),
                    emergency: sigmoid(z[1]),
                    crisis: sigmoid(z[2]),
                    someone_else: sigmoid(z[3]),
                    windowed,
                }
            })
            .max_by(|a, b| a.danger.total_cmp(&b.danger))
            .unwrap_or_default()
    }

    /// The weights on the danger head of the features of a message that the table knows, each
    /// once, strongest first (for `lantern screen`).
    pub fn contributions(
        &self,
        n: &Normalized,
        marks: &[Mark],
        classes: &[String],
    ) -> Vec<(String, f32)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        features(n, 0..n.tokens.len(), marks, classes, &mut |f| {
            if let Some(w) = self.weight(f)
                && seen.insert(f.to_string())
            {
                out.push((f.to_string(), w[0]));
            }
        });
        out.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        out
    }

    /// Parses the table: `#` comments, a `threshold` line, a `bias` line and one line per
    /// feature, each a name and four weights separated by tabs. Every problem is reported, with
    /// its line.
    pub fn parse(source: &str, file: &Path) -> Result<DangerModel, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut model = DangerModel {
            threshold: f32::NAN,
            ..DangerModel::default()
        };
        let mut has_bias = false;
        for (i, line) in source.lines().enumerate() {
            let at = Some(i + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let name = cols.next().unwrap_or_default();
            let nums: Result<Vec<f32>, _> = cols.map(str::parse::<f32>).collect();
            let nums = match nums {
                Ok(v) if v.iter().all(|x| x.is_finite()) => v,
                _ => {
                    problems.push(Problem::new(
                        file,
                        at,
                        format!("{name}: weights must be numbers"),
                    ));
                    continue;
                }
            };
            match (name, nums.as_slice()) {
                ("threshold", [t]) if (0.0..=1.0).contains(t) => model.threshold = *t,
                ("threshold", _) => problems.push(Problem::new(
                    file,
                    at,
                    "threshold must be one number from 0 to 1".to_string(),
                )),
                (name, &[a, b, c, d]) => {
                    if name == "bias" {
                        model.bias = [a, b, c, d];
                        has_bias = true;
                    } else {
                        model.weights.insert(key(name), [a, b, c, d]);
                    }
                }
                (name, _) => problems.push(Problem::new(
                    file,
                    at,
                    format!("{name}: a feature takes {} weights", HEADS.len()),
                )),
            }
        }
        if model.threshold.is_nan() {
            problems.push(Problem::new(file, None, "no threshold line".to_string()));
        }
        if !has_bias {
            problems.push(Problem::new(file, None, "no bias line".to_string()));
        }
        if problems.is_empty() {
            Ok(model)
        } else {
            Err(problems)
        }
    }

    /// Features the table knows.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_words_letter_fours_are_its_four_characters_in_a_row() {
        for form in ["", "a", "ab", "abc", "kill", "overdose", "ñoño", "d3ad"] {
            let mut got = Vec::new();
            word_features(form, &mut String::new(), &mut |f| got.push(f.to_string()));
            let letters: Vec<char> = format!("<{form}>").chars().collect();
            let mut want = vec![format!("w:{form}")];
            want.extend(
                letters
                    .windows(4)
                    .map(|four| format!("c:{}", four.iter().collect::<String>())),
            );
            assert_eq!(got, want, "{form:?}");
        }
    }

    #[test]
    fn windows_cover_every_word_and_start_only_at_sentences_or_in_long_ones() {
        let source = include_str!("../../config/safety.toml");
        let rules = crate::safety::SafetyRules::parse(source, Path::new("safety.toml")).unwrap();
        let sentence = "one two three four five six seven. ";
        let endless = "word ".repeat(400);
        for text in [
            String::new(),
            "a short one".to_string(),
            sentence.repeat(21),
            sentence.repeat(22),
            sentence.repeat(300),
            endless.clone(),
            format!("{}{endless}{}", sentence.repeat(30), sentence.repeat(30)),
        ] {
            let (n, _) = rules.read(&text);
            let ws = windows(&n);
            let mut covered = vec![false; n.tokens.len()];
            for w in &ws {
                assert!(w.start < w.end || n.tokens.is_empty(), "{w:?}");
                assert!(w.end - w.start <= WHOLE, "{w:?}");
                covered[w.clone()].iter_mut().for_each(|c| *c = true);
            }
            assert!(
                covered.iter().all(|&c| c),
                "every word read: {}",
                text.len()
            );
            assert!(
                ws.len() <= 3 * n.tokens.len().max(1),
                "at most three windows a word"
            );
        }
        let (n, _) = rules.read(&sentence.repeat(300));
        let boundary = |i: usize| {
            i == 0 || i == n.tokens.len() || n.tokens[i - 1].sentence != n.tokens[i].sentence
        };
        for w in windows(&n) {
            assert!(boundary(w.start) && boundary(w.end), "{w:?}");
            assert!(w.end - w.start <= WINDOW, "{w:?}");
        }
    }

    #[test]
    fn a_broken_table_names_each_bad_line() {
        let src = "# a comment\nthreshold\t2\nbias\t0\t0\t0\t0\nw:a\t1\tx\t0\t0\nw:b\t1\t0\nw:c\tNaN\t0\t0\t0\n";
        let problems = DangerModel::parse(src, Path::new("screen-model.tsv")).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        for expected in [
            "screen-model.tsv:2: threshold",
            "screen-model.tsv:4: w:a",
            "screen-model.tsv:5: w:b",
            "screen-model.tsv:6: w:c",
        ] {
            assert!(
                text.iter().any(|t| t.contains(expected)),
                "{expected} in {text:?}"
            );
        }
        let missing = DangerModel::parse("w:a\t1\t0\t0\t0\n", Path::new("m.tsv")).unwrap_err();
        assert_eq!(missing.len(), 2, "no threshold, no bias: {missing:?}");
    }

    #[test]
    fn a_table_reads_as_its_weights_say() {
        let src =
            "threshold\t0.5\nbias\t-1\t-1\t-1\t-1\nw:rope\t3\t0\t2\t0\nb:quiet_day\t1.5\t0\t0\t0\n";
        let model = DangerModel::parse(src, Path::new("m.tsv")).unwrap();
        assert_eq!(model.len(), 2);
        let source = include_str!("../../config/safety.toml");
        let rules = crate::safety::SafetyRules::parse(source, Path::new("safety.toml")).unwrap();
        let (n, _) = rules.read("rope");
        let r = model.read(&n, &[], &[]);
        assert!((r.danger - sigmoid(2.0)).abs() < 1e-6, "{r:?}");
        assert!((r.crisis - sigmoid(1.0)).abs() < 1e-6, "{r:?}");
        // A pair is found by the read's own key, without building its name.
        let (n, _) = rules.read("a quiet day");
        assert!((model.read(&n, &[], &[]).danger - sigmoid(0.5)).abs() < 1e-6);
        let (n, _) = rules.read("a day quiet");
        assert!((model.read(&n, &[], &[]).danger - sigmoid(-1.0)).abs() < 1e-6);
    }
}
