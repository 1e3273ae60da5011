//! Retrieval as the engine uses it: a screened question becomes a query, the index ranks
//! passages, and a relevance gate decides whether the best of them answers the question at all.

use crate::answer::Focus;
use crate::config::SearchSettings;
use crate::corpus::{Chunking, Library};
use crate::index::{Hit, Scoring, SearchIndex};
use crate::query::{Concept, Expansion, Query};
use crate::safety::Question;
use crate::synonyms::Synonyms;

/// Candidates from the index considered for reranking by coverage.
const RERANK_DEPTH: usize = 20;
/// A passage whose own text covers none of the question keeps this share of its score.
const COVERAGE_FLOOR: f32 = 0.3;
/// Each further passage of an already quoted document counts this much less (per passage).
const REPEAT_DECAY: f32 = 0.75;
/// A passage with every consecutive pair of the member's words, as typed, gains this share.
const PHRASE_BONUS: f32 = 0.5;

/// Concepts past this many are ignored (a 100,000-character message is not 20,000 searches).
pub const MAX_CONCEPTS: usize = 32;

/// How retrieval is configured.
#[derive(Debug, Clone)]
pub struct Retrieval {
    /// Synonym and acronym groups.
    pub synonyms: Synonyms,
    /// BM25F parameters.
    pub scoring: Scoring,
    /// Weights of synonyms and typo corrections.
    pub expansion: Expansion,
    /// How documents are cut into passages.
    pub chunking: Chunking,
    /// Passages quoted in an answer.
    pub results: usize,
    /// The relevance gate (see [`Retrieved::coverage`]).
    pub min_coverage: f32,
}

impl Retrieval {
    /// From `lantern.toml`'s `[search]` and the synonyms file.
    pub fn new(search: &SearchSettings, synonyms: Synonyms) -> Retrieval {
        Retrieval {
            synonyms,
            scoring: Scoring {
                k1: search.k1,
                b: search.b,
                title_weight: search.title_weight,
                heading_weight: search.heading_weight,
            },
            expansion: Expansion {
                synonym: search.synonym_weight,
                correction: search.correction_weight,
            },
            chunking: Chunking {
                min_words: search.passage_min_words,
                max_words: search.passage_max_words,
            },
            results: search.results,
            min_coverage: search.min_coverage,
        }
    }

    /// The query for a screened question (at most [`MAX_CONCEPTS`] concepts).
    pub fn query(&self, index: &SearchIndex, question: &Question) -> Query {
        let mut q = Query::build(question.text(), &self.synonyms, index, self.expansion);
        q.concepts.truncate(MAX_CONCEPTS);
        // Terms are added concept by concept, so the kept concepts use a prefix of them.
        let used = q
            .concepts
            .iter()
            .flat_map(|c| c.terms.iter())
            .max()
            .map_or(0, |&t| t + 1);
        q.terms.truncate(used);
        for t in &mut q.terms {
            t.rarity = index.idf(index.body_doc_freq(&t.term));
        }
        // A concept counts by the rarity of its rarest term (an unknown word counts as the
        // rarest there is), damped by a square root: "PTSD" counts more than "use", but a
        // common topic word still counts.
        for c in &mut q.concepts {
            let rarest = c
                .terms
                .iter()
                .map(|&t| q.terms[t].rarity)
                .fold(0.0, f32::max);
            c.weight = rarest.sqrt();
        }
        q
    }

    /// Ranks passages for a screened question; `limit` best, ungated.
    ///
    /// The index ranks by BM25F. Its best candidates are then reordered for quoting: a passage
    /// whose own text (heading or body, not the shared document title) contains more of the
    /// question's topic words moves up, as does one containing the member's words exactly as
    /// typed, side by side ("endogenous opioids"). Finally the answer draws on different
    /// documents first: three articles say more than three paragraphs of one.
    pub fn search(
        &self,
        index: &SearchIndex,
        library: &Library,
        question: &Question,
        limit: usize,
    ) -> Retrieved {
        self.rank(index, library, question, limit, None)
    }

    /// As [`Retrieval::search`], over the library without the documents `keep` turns down (by
    /// index into [`Library::documents`]): the answerability evaluation asks each question
    /// again with its answers taken out. Term statistics stay those of the whole library.
    pub fn search_where(
        &self,
        index: &SearchIndex,
        library: &Library,
        question: &Question,
        limit: usize,
        keep: &dyn Fn(usize) -> bool,
    ) -> Retrieved {
        self.rank(index, library, question, limit, Some(keep))
    }

    fn rank(
        &self,
        index: &SearchIndex,
        library: &Library,
        question: &Question,
        limit: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Retrieved {
        let query = self.query(index, question);
        let focus = Focus::new(&query, |t| t.rarity * t.weight);
        let depth = (limit * 4).max(RERANK_DEPTH);
        let mut hits = match index.score_all(&query, &self.scoring) {
            Some(mut scored) => {
                if let Some(keep) = keep {
                    scored
                        .hits
                        .retain(|h| keep(library.passages[h.passage].doc));
                }
                scored.top(depth)
            }
            None => Vec::new(),
        };
        for h in &mut hits {
            let own = COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage(&query, h);
            let phrase = 1.0 + PHRASE_BONUS * focus.phrase_share(library.analysis(h.passage));
            h.score *= own * phrase;
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.passage.cmp(&b.passage)));
        let hits = diversify(hits, library, limit);
        let coverage = hits.first().map_or(0.0, |h| coverage(&query, h));
        Retrieved {
            query,
            hits,
            coverage,
            focus,
        }
    }

    /// Whether the best passage is relevant enough to quote.
    pub fn is_relevant(&self, retrieved: &Retrieved) -> bool {
        !retrieved.hits.is_empty() && retrieved.coverage >= self.min_coverage
    }
}

/// Greedy selection that prefers variety: each further passage from a document already chosen
/// counts for [`REPEAT_DECAY`] times less, so another article's passage wins unless the same
/// article's next passage is clearly better. Returns the first `limit`, in selection order.
fn diversify(mut hits: Vec<Hit>, library: &Library, limit: usize) -> Vec<Hit> {
    let mut chosen: Vec<Hit> = Vec::with_capacity(limit.min(hits.len()));
    let mut per_doc: std::collections::HashMap<usize, i32> = Default::default();
    while chosen.len() < limit && !hits.is_empty() {
        let effective = |h: &Hit| {
            let n = per_doc
                .get(&library.passages[h.passage].doc)
                .copied()
                .unwrap_or(0);
            if n > 0 {
                h.score * REPEAT_DECAY
            } else {
                h.score
            }
        };
        let best = (0..hits.len())
            .max_by(|&a, &b| {
                effective(&hits[a])
                    .total_cmp(&effective(&hits[b]))
                    .then(hits[b].passage.cmp(&hits[a].passage))
            })
            .expect("hits is not empty");
        let h = hits.swap_remove(best);
        *per_doc.entry(library.passages[h.passage].doc).or_default() += 1;
        chosen.push(h);
    }
    chosen
}

/// Passages found for a question.
#[derive(Debug, Clone)]
pub struct Retrieved {
    /// The query that was run.
    pub query: Query,
    /// The question's terms and phrases, for choosing quotes.
    pub focus: Focus,
    /// Best first.
    pub hits: Vec<Hit>,
    /// Share of the question's concepts (its topic words or phrases, weighted by rarity) that the
    /// best passage contains, a corrected typo counting for less. 0 when nothing was found.
    pub coverage: f32,
}

/// Share of `query`'s concepts found in a hit's heading or body, each weighted by
/// [`Concept::weight`](crate::query::Concept::weight) and by its confidence when found.
pub fn coverage(query: &Query, hit: &Hit) -> f32 {
    share(query.concepts.iter().filter(|c| c.counts), hit)
}

/// As [`coverage`], over only the `k` rarest of the question's concepts: a stray common word
/// in a long question does not sink a passage that holds what the question is about.
pub fn rare_coverage(query: &Query, hit: &Hit, k: usize) -> f32 {
    let mut counted: Vec<&Concept> = query.concepts.iter().filter(|c| c.counts).collect();
    counted.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    counted.truncate(k);
    share(counted.into_iter(), hit)
}

/// The weighted share of `concepts` that `hit` contains (0 when they weigh nothing).
fn share<'a>(concepts: impl Iterator<Item = &'a Concept> + Clone, hit: &Hit) -> f32 {
    let total: f32 = concepts.clone().map(|c| c.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let has = |t: &usize| *t < 64 && hit.matched & (1 << *t) != 0;
    let found: f32 = concepts
        .filter(|c| c.alternatives.iter().any(|a| a.iter().all(has)))
        .map(|c| c.confidence * c.weight)
        .sum();
    found / total
}
