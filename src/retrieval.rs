//! Retrieval as the engine uses it: a screened question becomes a query, the index ranks
//! passages, and a relevance gate decides whether the best of them answers the question at all.

use crate::answer::Focus;
use crate::config::SearchSettings;
use crate::corpus::{Chunking, Library};
use crate::focus;
use crate::index::{Hit, Scoring, SearchIndex};
use crate::query::{Concept, Expansion, Query, is_common_word};
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

/// How much a concept made only of common English words ("first", "place", "part", "gave")
/// counts towards coverage and among the key concepts, against a topic word of the same
/// rarity. In a small library even common words are rare, and a question's "first place" could
/// outweigh its "dissociate". From `eval --beir DIR --answerability` and the library sets: at
/// 0.2 SciFact nDCG@10 0.6719 → 0.6765, MedQuAD domain 0.6450 → 0.6559, and members' questions
/// about the shipped library answered 0.785 → 0.815 with more of the unanswerable refused.
const COMMON_WORD_WEIGHT: f32 = 0.2;

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
    /// The answerability decision's threshold (see [`answerability`]).
    pub min_answerability: f32,
    /// Each passage quoted after the first must hold this share of the key concepts.
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
            min_answerability: search.min_answerability,
            min_coverage: search.min_coverage,
        }
    }

    /// The query for a screened question: built from its focus ([`crate::focus`]), each term's
    /// rarity and each concept's weight set from the library, and at most [`MAX_CONCEPTS`]
    /// concepts, the ones that matter most (not the first ones: a long story before the
    /// question does not crowd the question out).
    pub fn query(&self, index: &SearchIndex, question: &Question) -> Query {
        let text = question.text();
        let mut q = Query::build_focused(
            text,
            &focus::find(text),
            &self.synonyms,
            index,
            self.expansion,
        );
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
            if c.label.split_whitespace().all(is_common_word) {
                c.weight *= COMMON_WORD_WEIGHT;
            }
        }
        q.keep_most_important(MAX_CONCEPTS);
        q
    }

    /// Ranks passages for a screened question; `limit` best, ungated.
    ///
    /// The index ranks by BM25F, its best candidates are reordered for quoting (see
    /// [`Retrieval::rank_documents`] for the same order over documents), and the answer draws
    /// on different documents first: three articles say more than three paragraphs of one.
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
        let ranked = self.ranked(index, library, &query, &focus, limit * 4, keep);
        // The best passage of another document, from the ranking itself (not from the passages
        // kept for quoting, which depend on how many were asked for).
        let runner_up = ranked.first().map_or(0.0, |best| {
            let doc = library.passages[best.passage].doc;
            ranked
                .iter()
                .find(|h| library.passages[h.passage].doc != doc)
                .map_or(0.0, |h| h.score)
        });
        let hits = diversify(ranked, library, limit);
        Retrieved {
            query,
            hits,
            focus,
            runner_up,
        }
    }

    /// Documents for a screened question, best first, at most `limit`, each scored by its best
    /// passage in the order [`Retrieval::search`] ranks passages (`eval --beir` reads this, so
    /// its figures describe what members get).
    pub fn rank_documents(
        &self,
        index: &SearchIndex,
        library: &Library,
        question: &Question,
        limit: usize,
    ) -> Vec<(usize, f32)> {
        let query = self.query(index, question);
        let focus = Focus::new(&query, |t| t.rarity * t.weight);
        // Whole documents are one passage each; otherwise a document may have several among
        // the first hits.
        let depth = limit * (library.passages.len() / library.documents.len().max(1)).max(1);
        let hits = self.ranked(index, library, &query, &focus, depth, None);
        let mut seen = vec![false; library.documents.len()];
        let mut docs = Vec::with_capacity(limit);
        for h in hits {
            let doc = library.passages[h.passage].doc;
            if !std::mem::replace(&mut seen[doc], true) {
                docs.push((doc, h.score));
                if docs.len() == limit {
                    break;
                }
            }
        }
        docs
    }

    /// The index's best `depth` passages (at least [`RERANK_DEPTH`]; those `keep` allows), best
    /// first: the first [`RERANK_DEPTH`] reordered for quoting, and the rest after them in the index's order, their
    /// scores scaled to stay below (so a score order is the rank order).
    ///
    /// Reordering for quoting: a passage whose own text (heading or body, not the shared
    /// document title) contains more of the question's topic words moves up, as does one
    /// containing the member's words exactly as typed, side by side ("endogenous opioids").
    fn ranked(
        &self,
        index: &SearchIndex,
        library: &Library,
        query: &Query,
        focus: &Focus,
        depth: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<Hit> {
        let allowed = keep.map(|keep| move |p: usize| keep(library.passages[p].doc));
        let allowed = allowed.as_ref().map(|f| f as &dyn Fn(usize) -> bool);
        let depth = depth.max(RERANK_DEPTH);
        let mut hits = match index.score_best(query, &self.scoring, depth, allowed) {
            Some(scored) => scored.top(depth),
            None => return Vec::new(),
        };
        // A passage that is all of its document owns the document's title: coverage counts
        // the title's words (a passage of a longer document shares its title with the others).
        for h in &mut hits {
            if library.is_whole_document(h.passage) {
                h.matched |= h.titled;
            }
        }
        let head = RERANK_DEPTH.min(hits.len());
        let tail_top = hits.get(head).map(|h| h.score);
        for h in &mut hits[..head] {
            let own = COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage(query, h);
            let phrase = 1.0 + PHRASE_BONUS * focus.phrase_share(library.surfaces(h.passage));
            h.score *= own * phrase;
        }
        let order = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.passage.cmp(&b.passage));
        hits[..head].sort_by(order);
        if let (Some(top), Some(floor)) = (tail_top, hits[..head].last().map(|h| h.score)) {
            let scale = 0.999 * floor / top.max(f32::MIN_POSITIVE);
            for h in &mut hits[head..] {
                h.score *= scale.min(1.0);
            }
        }
        hits
    }

    /// The one answerability decision: whether the best passage answers the question well
    /// enough to quote ([`answerability`] of its [`Evidence`] at least `min_answerability`).
    pub fn is_relevant(&self, retrieved: &Retrieved, library: &Library) -> bool {
        !retrieved.hits.is_empty()
            && answerability(&Evidence::of(retrieved, library)) >= self.min_answerability
    }

    /// The passages that may be quoted for a question the decision found answerable, after the
    /// first `skip` ranked ones (already shown): the best one, and each further one that holds
    /// at least `min_coverage` of the key concepts (a passage that only shares the question's
    /// common words is not quoted beside the answer).
    pub fn quotable<'r>(
        &self,
        retrieved: &'r Retrieved,
        skip: usize,
    ) -> impl Iterator<Item = &'r Hit> + 'r {
        let keys = key_concepts(&retrieved.query);
        let min = self.min_coverage;
        retrieved
            .hits
            .iter()
            .enumerate()
            .skip(skip)
            .filter(move |(i, h)| *i == 0 || share(keys.iter().copied(), h) >= min)
            .map(|(_, h)| h)
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
    /// Score of the best passage from a document other than the best passage's (0 if none).
    pub runner_up: f32,
}

/// Share of `query`'s concepts found in a hit's heading or body, each weighted by
/// [`Concept::weight`](crate::query::Concept::weight) and by its confidence when found.
pub fn coverage(query: &Query, hit: &Hit) -> f32 {
    share(query.concepts.iter().filter(|c| c.counts), hit)
}

/// The weighted share of `concepts` that `hit`'s heading or body holds (0 when they weigh
/// nothing).
fn share<'a>(concepts: impl Iterator<Item = &'a Concept> + Clone, hit: &Hit) -> f32 {
    share_where(concepts, |t| t < 64 && hit.matched & (1 << t) != 0)
}

/// The share of `concepts`, each weighted by rarity, importance and (when found) confidence,
/// that have an alternative whose every term `has` (0 when they weigh nothing).
fn share_where<'a>(
    concepts: impl Iterator<Item = &'a Concept> + Clone,
    has: impl Fn(usize) -> bool,
) -> f32 {
    let total: f32 = concepts.clone().map(|c| c.weight * c.importance).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f32 = concepts
        .filter(|c| c.alternatives.iter().any(|a| a.iter().all(|&t| has(t))))
        .map(|c| c.confidence * c.weight * c.importance)
        .sum();
    found / total
}

/// What retrieval can say about whether its best passage answers the question: the signals the
/// answerability decision weighs (see `lantern eval --beir DIR --answerability`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Share of the question's concepts (weighted by rarity and focus) in the best passage.
    pub coverage: f32,
    /// Share of the question's key concepts (the [`KEY_CONCEPTS`] that matter most) in the best
    /// passage.
    pub key_coverage: f32,
    /// Share of the key concepts in the sentences that would be quoted from the best passage.
    pub quote_coverage: f32,
    /// The best passage's score over the most a passage could score for this question.
    pub strength: f32,
    /// How far the best passage's score is ahead of the next document's (0 to 1).
    pub margin: f32,
    /// Share of the key concepts the other passages found also hold (mean over them).
    pub agreement: f32,
}

/// Concepts that decide answerability: the question's most important (rarest, in its question
/// sentence).
pub const KEY_CONCEPTS: usize = 3;

/// The key concepts of a query: counted, by importance times rarity, at most [`KEY_CONCEPTS`].
fn key_concepts(query: &Query) -> Vec<&Concept> {
    let mut counted: Vec<&Concept> = query.concepts.iter().filter(|c| c.counts).collect();
    counted.sort_by(|a, b| (b.weight * b.importance).total_cmp(&(a.weight * a.importance)));
    counted.truncate(KEY_CONCEPTS);
    counted
}

impl Evidence {
    /// The evidence for a retrieval's best passage (all 0 when nothing was found).
    pub fn of(retrieved: &Retrieved, library: &Library) -> Evidence {
        let Some(best) = retrieved.hits.first() else {
            return Evidence::default();
        };
        let query = &retrieved.query;
        let keys = key_concepts(query);
        let key_share = |h: &Hit| share(keys.iter().copied(), h);
        let ideal: f32 = query.concepts.iter().map(|c| c.weight * c.weight).sum();
        let next = retrieved.runner_up;
        let others: Vec<f32> = retrieved.hits.iter().skip(1).map(key_share).collect();
        let quote_coverage = quote_share(library, best, &retrieved.focus, &keys, query);
        Evidence {
            coverage: coverage(query, best),
            key_coverage: key_share(best),
            quote_coverage,
            strength: if ideal > 0.0 {
                (best.score / ideal).min(1.5)
            } else {
                0.0
            },
            margin: if best.score > 0.0 {
                ((best.score - next) / best.score).clamp(0.0, 1.0)
            } else {
                0.0
            },
            agreement: if others.is_empty() {
                0.0
            } else {
                others.iter().sum::<f32>() / others.len() as f32
            },
        }
    }
}

/// The weighted share of `keys` whose terms occur in the sentences quoted from `hit`.
fn quote_share(
    library: &Library,
    hit: &Hit,
    focus: &Focus,
    keys: &[&Concept],
    query: &Query,
) -> f32 {
    let analysis = library.analysis(hit.passage);
    let Some(window) = crate::answer::best_window(analysis, focus, crate::answer::Voice::Any)
    else {
        return 0.0;
    };
    let words: std::collections::HashSet<u64> = analysis
        .words
        .iter()
        .filter(|w| w.start as usize >= window.range.start && w.end as usize <= window.range.end)
        .map(|w| w.term)
        .collect();
    share_where(keys.iter().copied(), |t| {
        words.contains(&crate::corpus::hash_str(&query.terms[t].term))
    })
}

/// The answerability decision's score for a retrieval's evidence, 0 to 1: how likely the best
/// passage answers the question. The weights were fitted by logistic regression on the
/// answerability trials (`lantern eval --beir DIR --answerability --trials FILE`); see
/// ARCHITECTURE.md.
pub fn answerability(e: &Evidence) -> f32 {
    if e.coverage <= 0.0 {
        return 0.0;
    }
    let z = ANSWERABILITY_BIAS
        + ANSWERABILITY_WEIGHTS[0] * e.coverage
        + ANSWERABILITY_WEIGHTS[1] * e.key_coverage
        + ANSWERABILITY_WEIGHTS[2] * e.quote_coverage
        + ANSWERABILITY_WEIGHTS[3] * e.strength.min(1.5)
        + ANSWERABILITY_WEIGHTS[4] * e.margin
        + ANSWERABILITY_WEIGHTS[5] * e.agreement;
    1.0 / (1.0 + (-z).exp())
}

/// Bias of the answerability decision.
const ANSWERABILITY_BIAS: f32 = -1.42;
/// Weights of coverage, key coverage, quote coverage, strength, margin and agreement, fitted by
/// `eval/fit-answerability.py` on the trials of SciFact, MedQuAD's domain questions,
/// `eval/answers-medquad-dev.jsonl`, `eval/library-dev.toml` and the development questions
/// (the last two counted twenty times: the server's own library is what members ask most).
/// Strength and agreement came out near zero or below and are left out.
const ANSWERABILITY_WEIGHTS: [f32; 6] = [1.25, 0.96, 0.69, 0.0, 1.51, 0.0];
