//! Ranking metrics as trec_eval computes them: nDCG@k with linear gain, Recall@k and reciprocal
//! rank cut at k. Runs are ordered the way trec_eval orders them (score descending, then document
//! id descending) before anything is measured.

use std::collections::HashMap;

/// Relevance judgements: query id → document id → grade (0 = judged not relevant).
pub type Qrels = HashMap<String, HashMap<String, u32>>;

/// One retrieved document.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Document id.
    pub doc: String,
    /// Retrieval score.
    pub score: f32,
}

/// Sorts a query's results as trec_eval does: score descending, ties by document id descending.
pub fn trec_order(results: &mut [Ranked]) {
    results.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| b.doc.cmp(&a.doc)));
}

/// nDCG@k with linear gain (`ndcg_cut_k` of trec_eval). `None` when nothing is relevant.
pub fn ndcg_at(results: &[Ranked], judged: &HashMap<String, u32>, k: usize) -> Option<f64> {
    let mut ideal: Vec<u32> = judged.values().copied().filter(|&g| g > 0).collect();
    if ideal.is_empty() {
        return None;
    }
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = results
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, r)| f64::from(judged.get(&r.doc).copied().unwrap_or(0)) * discount(i))
        .sum();
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| f64::from(g) * discount(i))
        .sum();
    Some(dcg / idcg)
}

/// Recall@k: share of the relevant documents found in the top k. `None` when nothing is relevant.
pub fn recall_at(results: &[Ranked], judged: &HashMap<String, u32>, k: usize) -> Option<f64> {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return None;
    }
    let found = results
        .iter()
        .take(k)
        .filter(|r| judged.get(&r.doc).is_some_and(|&g| g > 0))
        .count();
    Some(found as f64 / relevant as f64)
}

/// Reciprocal rank of the first relevant document within the top k, 0 if none.
/// `None` when nothing is relevant.
pub fn reciprocal_rank_at(
    results: &[Ranked],
    judged: &HashMap<String, u32>,
    k: usize,
) -> Option<f64> {
    if !judged.values().any(|&g| g > 0) {
        return None;
    }
    Some(
        results
            .iter()
            .take(k)
            .position(|r| judged.get(&r.doc).is_some_and(|&g| g > 0))
            .map_or(0.0, |i| 1.0 / (i + 1) as f64),
    )
}

/// Mean of the defined values (queries without relevant documents are skipped).
pub fn mean(values: impl IntoIterator<Item = Option<f64>>) -> f64 {
    let (sum, n) = values
        .into_iter()
        .flatten()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(ids: &[&str]) -> Vec<Ranked> {
        ids.iter()
            .enumerate()
            .map(|(i, d)| Ranked {
                doc: d.to_string(),
                score: 10.0 - i as f32,
            })
            .collect()
    }

    fn judged(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    #[test]
    fn ndcg_matches_hand_computation() {
        let j = judged(&[("a", 1), ("b", 1), ("z", 0)]);
        // Relevant at ranks 2 and 3: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3).
        let got = ndcg_at(&ranked(&["x", "a", "b"]), &j, 10).unwrap();
        let expected = (1.0 / 3f64.log2() + 0.5) / (1.0 + 1.0 / 3f64.log2());
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
        assert_eq!(ndcg_at(&ranked(&["a", "b"]), &j, 10), Some(1.0));
        assert_eq!(ndcg_at(&ranked(&["x"]), &judged(&[("z", 0)]), 10), None);
    }

    #[test]
    fn graded_gain_is_linear() {
        let j = judged(&[("a", 2), ("b", 1)]);
        let got = ndcg_at(&ranked(&["b", "a"]), &j, 10).unwrap();
        let expected = (1.0 + 2.0 / 3f64.log2()) / (2.0 + 1.0 / 3f64.log2());
        assert!((got - expected).abs() < 1e-12);
    }

    #[test]
    fn recall_and_rr_respect_the_cut() {
        let j = judged(&[("a", 1), ("b", 1)]);
        let r = ranked(&["x", "y", "a", "b"]);
        assert_eq!(recall_at(&r, &j, 3), Some(0.5));
        assert_eq!(recall_at(&r, &j, 100), Some(1.0));
        assert_eq!(reciprocal_rank_at(&r, &j, 10), Some(1.0 / 3.0));
        assert_eq!(reciprocal_rank_at(&r, &j, 2), Some(0.0));
    }

    #[test]
    fn ties_order_by_document_id_descending() {
        let mut r = vec![
            Ranked {
                doc: "a".into(),
                score: 1.0,
            },
            Ranked {
                doc: "c".into(),
                score: 1.0,
            },
            Ranked {
                doc: "b".into(),
                score: 2.0,
            },
        ];
        trec_order(&mut r);
        let ids: Vec<&str> = r.iter().map(|x| x.doc.as_str()).collect();
        assert_eq!(ids, ["b", "c", "a"]);
    }

    #[test]
    fn mean_skips_undefined() {
        assert_eq!(mean([Some(1.0), None, Some(0.0)]), 0.5);
        assert_eq!(mean([None]), 0.0);
    }
}
