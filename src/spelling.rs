//! Typo tolerance: maps a term the library does not contain ("opiod", "dissasoci") to the closest
//! term it does contain, by Damerau–Levenshtein distance over index terms, found through a
//! deletion index (SymSpell-style) so a look-up costs a few hash probes, not a scan.

use std::collections::HashMap;

/// The library's terms with their document frequencies, indexed for correction.
#[derive(Debug, Default)]
pub struct Vocabulary {
    terms: Vec<(String, u32)>,
    /// Each term and each of its one-character deletions → term ids.
    deletes: HashMap<Box<str>, Vec<u32>>,
}

/// A correction: the library term and how far it is from what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The library term.
    pub term: String,
    /// Edit distance (1 or 2).
    pub distance: usize,
}

/// Only words at least this long are corrected at all; distance 2 needs `LONG`.
const SHORT: usize = 5;
const LONG: usize = 8;

impl Vocabulary {
    /// Builds the deletion index over `(term, document frequency)` pairs. Terms with digits or
    /// shorter than the correction minimum are kept out: they are never corrected to.
    pub fn new(terms: impl IntoIterator<Item = (String, u32)>) -> Vocabulary {
        let mut v = Vocabulary::default();
        for (term, df) in terms {
            let chars = term.chars().count();
            if chars + 1 < SHORT || term.chars().any(|c| !c.is_alphabetic()) {
                continue;
            }
            let id = v.terms.len() as u32;
            for key in std::iter::once(term.clone()).chain(deletions(&term)) {
                let ids = v.deletes.entry(key.into_boxed_str()).or_default();
                if ids.last() != Some(&id) {
                    ids.push(id);
                }
            }
            v.terms.push((term, df));
        }
        v
    }

    /// Number of terms that can be corrected to.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term can be corrected to.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The closest library term to `word` (the folded word as typed, or its stem), if any is
    /// within reach: distance 1 for words of 5+ characters, 2 for 8+. Ties go to the more
    /// frequent term. The first letter must agree (typos rarely change it).
    pub fn correct(&self, word: &str) -> Option<Correction> {
        let len = word.chars().count();
        if len < SHORT || word.chars().any(|c| !c.is_alphabetic()) {
            return None;
        }
        let max = if len >= LONG { 2 } else { 1 };
        let mut keys = vec![word.to_string()];
        let first = deletions(word);
        if max == 2 {
            for d in &first {
                keys.extend(deletions(d));
            }
        }
        keys.extend(first);
        let mut best: Option<(usize, u32, u32)> = None;
        for key in &keys {
            let Some(ids) = self.deletes.get(key.as_str()) else {
                continue;
            };
            for &id in ids {
                let (term, df) = &self.terms[id as usize];
                if term.chars().next() != word.chars().next() {
                    continue;
                }
                let d = damerau_levenshtein(word, term);
                if d == 0 || d > max {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((bd, bdf, _)) => d < bd || (d == bd && *df > bdf),
                };
                if better {
                    best = Some((d, *df, id));
                }
            }
        }
        best.map(|(distance, _, id)| Correction {
            term: self.terms[id as usize].0.clone(),
            distance,
        })
    }
}

/// All strings made by deleting one character of `word`.
fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Optimal-string-alignment Damerau–Levenshtein distance (adjacent transpositions count 1).
pub fn damerau_levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary::new(
            [
                ("opioid", 40),
                ("dissoci", 20),
                ("naloxon", 2),
                ("trauma", 50),
                ("break", 3),
                ("breath", 1),
                ("ptsd", 30),
                ("2018", 1),
            ]
            .map(|(t, d)| (t.to_string(), d)),
        )
    }

    #[test]
    fn corrects_common_typos_of_library_words() {
        let v = vocab();
        let cases = [
            ("opiod", Some(("opioid", 1))),
            ("dissasoci", Some(("dissoci", 2))),
            ("nalaxon", Some(("naloxon", 1))),
            ("truama", Some(("trauma", 1))),
            ("breat", Some(("break", 1))),
            // Too short, digits, exact, far away or a different first letter: left alone.
            ("ptds", None),
            ("2019", None),
            ("opioid", None),
            ("sourdough", None),
            ("ppioid", None),
        ];
        for (word, expected) in cases {
            let got = v.correct(word).map(|c| (c.term, c.distance));
            let expected = expected.map(|(t, d)| (t.to_string(), d));
            assert_eq!(got, expected, "{word}");
        }
    }

    #[test]
    fn damerau_counts_transpositions_once() {
        assert_eq!(damerau_levenshtein("teh", "the"), 1);
        assert_eq!(damerau_levenshtein("", "abc"), 3);
        assert_eq!(damerau_levenshtein("kitten", "sitting"), 3);
    }
}
