//! The only user of tantivy: the schema, building an index of the library's passages (in memory,
//! or stored and reused while library and analyzer are unchanged), and ranked retrieval.
//!
//! Scoring is BM25F computed over tantivy's postings and field norms: each passage has a title,
//! heading and body field; a term's frequencies are combined across fields (titles and headings
//! weigh more) before BM25 saturation, with tunable `k1` and `b` (tantivy's own BM25 fixes them).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{DocId, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::corpus::Library;
use crate::query::{Lexicon, Query};
use crate::spelling::{Correction, Vocabulary};
use crate::text::{self, Stemmer};

/// Changes whenever the schema or the analyzer changes, so stored indexes are rebuilt.
const FORMAT: &str = "lantern-index-v1:porter2:maxword40";
const TOKENIZER: &str = "lantern";

/// Errors building or opening an index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index folder could not be prepared.
    #[error("search index folder {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// BM25F parameters. Documented defaults were tuned on the evaluation sets (see README).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scoring {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation of the body field.
    pub b: f32,
    /// Weight of a title occurrence relative to a body occurrence.
    pub title_weight: f32,
    /// Weight of a heading occurrence relative to a body occurrence.
    pub heading_weight: f32,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            k1: 1.2,
            b: 0.75,
            title_weight: 2.0,
            heading_weight: 1.5,
        }
    }
}

/// A passage found for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index into [`Library::passages`].
    pub passage: usize,
    /// BM25F score.
    pub score: f32,
    /// Bit `i` is set when query term `i` occurs in the passage's heading or body (terms past 64
    /// are not tracked).
    pub matched: u64,
    /// Bit `i` is set when query term `i` occurs in the passage's document title.
    pub titled: u64,
}

/// How an index came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Built in memory for this process.
    BuiltInMemory,
    /// Built now and stored for reuse.
    BuiltAndStored,
    /// Reused from a stored build of the same library.
    Reused,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    title: Field,
    heading: Field,
    body: Field,
}

impl Fields {
    fn all(&self) -> [Field; 3] {
        [self.title, self.heading, self.body]
    }
}

/// A searchable index of a library's passages.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Passage ordinal of each document, per segment (read once from the fast field).
    ords: Vec<Vec<u32>>,
    /// Average field length (tokens per passage) of title, heading, body.
    avg_len: [f32; 3],
    passages: u32,
    vocabulary: OnceLock<Vocabulary>,
    /// How this index came to be.
    pub provenance: Provenance,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("passages", &self.passages)
            .field("provenance", &self.provenance)
            .finish_non_exhaustive()
    }
}

/// tantivy tokenizer running [`text::tokens`], so index and queries analyse text identically.
#[derive(Clone, Default)]
struct LanternTokenizer;

struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for LanternTokenizer {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let stemmer = Stemmer::default();
        let tokens = text::tokens(&stemmer, text)
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.span.start,
                offset_to: t.span.end,
                position,
                text: t.term,
                position_length: 1,
            })
            .collect();
        Tokens { tokens, next: 0 }
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let title = b.add_text_field("title", text.clone());
    let heading = b.add_text_field("heading", text.clone());
    let body = b.add_text_field("body", text);
    b.add_u64_field("ord", FAST);
    (
        b.build(),
        Fields {
            title,
            heading,
            body,
        },
    )
}

/// The key of a stored index for this library: changes with any document, passage or format
/// change.
pub fn fingerprint(library: &Library) -> String {
    let mut h = crate::corpus::Fnv::default();
    h.write(FORMAT.as_bytes());
    h.write(&library.fingerprint().to_le_bytes());
    format!("{:016x}", h.finish())
}

impl SearchIndex {
    /// Builds the index in memory.
    pub fn build(library: &Library) -> Result<SearchIndex, IndexError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        fill(&index, fields, library)?;
        SearchIndex::open(index, fields, Provenance::BuiltInMemory)
    }

    /// Reuses the index stored under `cache` for this library, or builds and stores it there.
    /// Falls back to memory when the folder cannot be written.
    ///
    /// Builds are kept per library location (the set of files it was read from), so evaluating
    /// another collection does not evict the served library's index; within one location only
    /// the newest build is kept.
    pub fn open_or_build(library: &Library, cache: &Path) -> Result<SearchIndex, IndexError> {
        let key = fingerprint(library);
        let mut files: Vec<&Path> = library.documents.iter().map(|d| d.file.as_path()).collect();
        files.sort();
        files.dedup();
        // Absolute paths, so the listing means the same from any working directory.
        let listing: String = files
            .iter()
            .map(|f| {
                let abs = std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
                format!("{}\n", abs.display())
            })
            .collect();
        let mut location = crate::corpus::Fnv::default();
        location.write(listing.as_bytes());
        let root = cache;
        let cache = root.join(format!("{:016x}", location.finish()));
        let cache = cache.as_path();
        let dir = cache.join(&key);
        if dir.join("meta.json").exists()
            && let Ok(index) = Index::open_in_dir(&dir)
        {
            let (_, fields) = schema();
            if let Ok(found) = SearchIndex::open(index, fields, Provenance::Reused)
                && found.passages as usize == library.passages.len()
            {
                return Ok(found);
            }
        }
        match build_stored(library, cache, &dir) {
            Ok(found) => {
                let _ = std::fs::write(cache.join(LISTING), &listing);
                forget_vanished_libraries(root, cache);
                Ok(found)
            }
            Err(e) => {
                tracing::warn!("cannot store the search index ({e}); building it in memory");
                SearchIndex::build(library)
            }
        }
    }

    fn open(
        index: Index,
        fields: Fields,
        provenance: Provenance,
    ) -> Result<SearchIndex, IndexError> {
        index.tokenizers().register(TOKENIZER, LanternTokenizer);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let mut ords = Vec::new();
        let mut totals = [0u64; 3];
        let mut passages = 0u32;
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("ord")?;
            let seg_ords: Vec<u32> = (0..segment.max_doc())
                .map(|d| column.first(d).unwrap_or(0) as u32)
                .collect();
            passages += segment.num_docs();
            ords.push(seg_ords);
            for (i, field) in fields.all().into_iter().enumerate() {
                totals[i] += segment.inverted_index(field)?.total_num_tokens();
            }
        }
        let n = passages.max(1) as f32;
        let avg_len = totals.map(|t| (t as f32 / n).max(1.0));
        Ok(SearchIndex {
            index,
            reader,
            fields,
            ords,
            avg_len,
            passages,
            vocabulary: OnceLock::new(),
            provenance,
        })
    }

    /// Number of passages indexed.
    pub fn len(&self) -> usize {
        self.passages as usize
    }

    /// Whether the index has no passages.
    pub fn is_empty(&self) -> bool {
        self.passages == 0
    }

    /// Number of passages containing `term` in any field (summed over fields: an upper bound).
    pub fn doc_freq(&self, term: &str) -> u32 {
        let searcher = self.reader.searcher();
        let mut df = 0;
        for segment in searcher.segment_readers() {
            for field in self.fields.all() {
                if let Ok(inv) = segment.inverted_index(field) {
                    df += inv
                        .doc_freq(&Term::from_field_text(field, term))
                        .unwrap_or(0);
                }
            }
        }
        df
    }

    /// Number of passages whose body contains `term`.
    pub fn body_doc_freq(&self, term: &str) -> u32 {
        let searcher = self.reader.searcher();
        let field = self.fields.body;
        searcher
            .segment_readers()
            .iter()
            .filter_map(|s| s.inverted_index(field).ok())
            .map(|inv| {
                inv.doc_freq(&Term::from_field_text(field, term))
                    .unwrap_or(0)
            })
            .sum()
    }

    /// Inverse document frequency of a term with document frequency `df`.
    pub fn idf(&self, df: u32) -> f32 {
        let n = self.passages as f32;
        let df = (df as f32).min(n);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The `limit` best passages for `query`, best first. Passages matching nothing are never
    /// returned. Deterministic: ties go to the earlier passage.
    pub fn search(&self, query: &Query, scoring: &Scoring, limit: usize) -> Vec<Hit> {
        self.score_all(query, scoring)
            .map(|scored| scored.top(limit))
            .unwrap_or_default()
    }

    /// Scores every passage matching `query`; `None` when nothing matches.
    ///
    /// Each concept of the query (a word with its synonyms and corrections) is scored as one
    /// pseudo-term: its terms' weighted frequencies are summed across fields before saturation,
    /// and its IDF comes from the passages whose body contains any of its terms (titles are
    /// shared by every passage of a document, so they would make document words look common).
    pub fn score_all(&self, query: &Query, scoring: &Scoring) -> Option<Scored> {
        self.score_best(query, scoring, usize::MAX, None)
    }

    /// As [`SearchIndex::score_all`], but only the `limit` best passages (by score, then passage
    /// order) that `keep` allows (by passage index), chosen before any [`Hit`] is made: a common
    /// word's thousands of matches cost a comparison each, not an allocation.
    pub fn score_best(
        &self,
        query: &Query,
        scoring: &Scoring,
        limit: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Option<Scored> {
        if query.concepts.is_empty() || self.passages == 0 || limit == 0 {
            return None;
        }
        let searcher = self.reader.searcher();
        let segments = searcher.segment_readers();
        let mut bases = Vec::with_capacity(segments.len());
        let mut total = 0usize;
        for s in segments {
            bases.push(total);
            total += s.max_doc() as usize;
        }
        SCRATCH.with_borrow_mut(|scratch| {
            self.score_into(
                query, scoring, segments, &bases, total, scratch, limit, keep,
            )
        })
    }

    /// [`SearchIndex::score_all`] over per-thread scratch arrays that are sized once and left
    /// zeroed after each query (only the entries a query touched are reset), so a query
    /// allocates nothing in proportion to the library.
    #[allow(clippy::too_many_arguments)]
    fn score_into(
        &self,
        query: &Query,
        scoring: &Scoring,
        segments: &[tantivy::SegmentReader],
        bases: &[usize],
        total: usize,
        scratch: &mut Scratch,
        limit: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Option<Scored> {
        scratch.fit(total);
        // A query that did not finish (a panic caught by the runtime) left entries set: clear
        // everything once rather than carry them into this query.
        if std::mem::replace(&mut scratch.dirty, true) {
            scratch.clear();
        }
        let Scratch {
            scores,
            matched,
            titled,
            tf,
            state,
            seen,
            touched,
            any,
            ..
        } = scratch;
        touched.clear();
        any.clear();
        let weights = [scoring.title_weight, scoring.heading_weight, 1.0];
        let bs = [0.0, 0.0, scoring.b];
        // Per field, the BM25 length-normalisation divisor for each of tantivy's 256 norm codes.
        let norms: Vec<[f32; 256]> = (0..3)
            .map(|f| {
                std::array::from_fn(|id| {
                    let len = tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm(id as u8) as f32;
                    1.0 - bs[f] + bs[f] * len / self.avg_len[f]
                })
            })
            .collect();
        for concept in &query.concepts {
            touched.clear();
            for &ti in &concept.terms {
                let qt = &query.terms[ti];
                for (f, field) in self.fields.all().into_iter().enumerate() {
                    let term = Term::from_field_text(field, &qt.term);
                    for (s, segment) in segments.iter().enumerate() {
                        let Ok(inv) = segment.inverted_index(field) else {
                            continue;
                        };
                        let Ok(Some(mut postings)) =
                            inv.read_postings(&term, IndexRecordOption::WithFreqs)
                        else {
                            continue;
                        };
                        let Ok(fieldnorms) = segment.get_fieldnorms_reader(field) else {
                            continue;
                        };
                        use tantivy::DocSet;
                        use tantivy::postings::Postings;
                        let mut doc: DocId = postings.doc();
                        while doc != tantivy::TERMINATED {
                            let g = bases[s] + doc as usize;
                            if state[g] == 0 {
                                touched.push(g as u32);
                                state[g] = 1;
                            }
                            if f != 0 {
                                // Heading or body: the passage itself is about this concept.
                                state[g] |= 2;
                                if ti < 64 {
                                    matched[g] |= 1 << ti;
                                }
                            } else if ti < 64 {
                                titled[g] |= 1 << ti;
                            }
                            let norm = norms[f][fieldnorms.fieldnorm_id(doc) as usize];
                            tf[g] += qt.weight * weights[f] * postings.term_freq() as f32 / norm;
                            doc = postings.advance();
                        }
                    }
                }
            }
            if touched.is_empty() {
                continue;
            }
            let in_passages = touched
                .iter()
                .filter(|&&g| state[g as usize] & 2 != 0)
                .count();
            let df = if in_passages > 0 {
                in_passages
            } else {
                touched.len()
            };
            let idf = self.idf(df as u32);
            for &g in touched.iter() {
                let g = g as usize;
                let t = tf[g];
                if !seen[g] {
                    seen[g] = true;
                    any.push(g as u32);
                }
                scores[g] += idf * t / (scoring.k1 + t);
                tf[g] = 0.0;
                state[g] = 0;
            }
        }
        let passage = |g: usize| {
            let s = bases.partition_point(|&b| b <= g) - 1;
            self.ords[s][g - bases[s]] as usize
        };
        // The candidates: matched, scoring, allowed; then only the best `limit` become hits.
        let mut best: Vec<(f32, u32)> = any
            .iter()
            .map(|&g| (scores[g as usize], g))
            .filter(|&(score, g)| score > 0.0 && keep.is_none_or(|k| k(passage(g as usize))))
            .collect();
        let order = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if best.len() > limit {
            best.select_nth_unstable_by(limit - 1, order);
            best.truncate(limit);
        }
        let hits: Vec<Hit> = best
            .into_iter()
            .map(|(score, g)| Hit {
                passage: passage(g as usize),
                score,
                matched: matched[g as usize],
                titled: titled[g as usize],
            })
            .collect();
        for &g in any.iter() {
            let g = g as usize;
            scores[g] = 0.0;
            matched[g] = 0;
            titled[g] = 0;
            seen[g] = false;
        }
        scratch.dirty = false;
        if hits.is_empty() {
            return None;
        }
        Some(Scored { hits })
    }

    /// Builds the typo-correction vocabulary now rather than on the first unknown word (about
    /// 60 ms for 16,000 documents).
    pub fn warm(&self) {
        self.vocabulary();
    }

    fn vocabulary(&self) -> &Vocabulary {
        self.vocabulary.get_or_init(|| {
            let searcher = self.reader.searcher();
            let mut terms: std::collections::HashMap<String, u32> = Default::default();
            for segment in searcher.segment_readers() {
                for field in self.fields.all() {
                    let Ok(inv) = segment.inverted_index(field) else {
                        continue;
                    };
                    let Ok(mut stream) = inv.terms().stream() else {
                        continue;
                    };
                    while stream.advance() {
                        if let Ok(term) = std::str::from_utf8(stream.key()) {
                            *terms.entry(term.to_string()).or_default() += stream.value().doc_freq;
                        }
                    }
                }
            }
            let mut terms: Vec<(String, u32)> = terms.into_iter().collect();
            terms.sort();
            Vocabulary::new(terms)
        })
    }

    /// The underlying tantivy index (for space and segment reports).
    pub fn tantivy(&self) -> &Index {
        &self.index
    }
}

/// Per-thread arrays for scoring, one entry per passage; zero between queries.
#[derive(Default)]
struct Scratch {
    scores: Vec<f32>,
    matched: Vec<u64>,
    titled: Vec<u64>,
    tf: Vec<f32>,
    /// 1: touched by the current concept; 2: its body contains the concept.
    state: Vec<u8>,
    seen: Vec<bool>,
    touched: Vec<u32>,
    any: Vec<u32>,
    /// Set while a query runs; still set on entry means the last one did not finish.
    dirty: bool,
}

impl Scratch {
    /// Every entry back to zero.
    fn clear(&mut self) {
        self.scores.fill(0.0);
        self.matched.fill(0);
        self.titled.fill(0);
        self.tf.fill(0.0);
        self.state.fill(0);
        self.seen.fill(false);
    }

    /// At least `n` entries each (new entries zero).
    fn fit(&mut self, n: usize) {
        if self.scores.len() < n {
            self.scores.resize(n, 0.0);
            self.matched.resize(n, 0);
            self.titled.resize(n, 0);
            self.tf.resize(n, 0.0);
            self.state.resize(n, 0);
            self.seen.resize(n, false);
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Every matching passage with its score, in no particular order.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The hits.
    pub hits: Vec<Hit>,
}

impl Scored {
    /// The `limit` best, best first; ties broken by passage order.
    pub fn top(mut self, limit: usize) -> Vec<Hit> {
        let order = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.passage.cmp(&b.passage));
        if self.hits.len() > limit && limit > 0 {
            self.hits.select_nth_unstable_by(limit - 1, order);
            self.hits.truncate(limit);
        }
        self.hits.sort_by(order);
        self.hits.truncate(limit);
        self.hits
    }
}

impl Lexicon for SearchIndex {
    fn contains(&self, term: &str) -> bool {
        self.doc_freq(term) > 0
    }

    fn correct(&self, term: &str) -> Option<Correction> {
        self.vocabulary().correct(term)
    }
}

fn fill(index: &Index, fields: Fields, library: &Library) -> Result<(), IndexError> {
    index.tokenizers().register(TOKENIZER, LanternTokenizer);
    let threads = if library.passages.len() > 20_000 {
        2
    } else {
        1
    };
    let budget = if library.passages.len() > 20_000 {
        60_000_000
    } else {
        15_000_000
    };
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(threads, budget * threads)?;
    let ord = index.schema().get_field("ord")?;
    for (i, passage) in library.passages.iter().enumerate() {
        let document = library.document_of(passage);
        let mut doc = TantivyDocument::default();
        if let Some(title) = &document.title {
            doc.add_text(fields.title, title);
        }
        if !passage.headings.is_empty() {
            doc.add_text(fields.heading, passage.headings.join("\n"));
        }
        doc.add_text(fields.body, library.passage_text(passage));
        doc.add_u64(ord, i as u64);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    // One segment: each query term is then looked up once per field, not once per segment.
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    Ok(())
}

/// Each location folder names the library files it indexes in this file.
const LISTING: &str = "library-files.txt";

/// Removes stored indexes of libraries whose files are all gone (temporary folders, renamed
/// libraries), so the cache does not grow without bound.
fn forget_vanished_libraries(root: &Path, current: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten().filter(|e| e.path() != current) {
        let Ok(listing) = std::fs::read_to_string(entry.path().join(LISTING)) else {
            continue;
        };
        if !listing.lines().any(|f| Path::new(f).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn build_stored(library: &Library, cache: &Path, dir: &Path) -> Result<SearchIndex, IndexError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IndexError::Io { path, source }
    };
    std::fs::create_dir_all(cache).map_err(io(cache))?;
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = cache.join(format!(".building-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let (schema, fields) = schema();
    let index = Index::create_in_dir(&tmp, schema)?;
    fill(&index, fields, library)?;
    drop(index);
    if std::fs::rename(&tmp, dir).is_err() {
        // Another process stored the same library first: use theirs.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    // Older builds of other libraries are no longer needed.
    if let Ok(entries) = std::fs::read_dir(cache) {
        for entry in entries.flatten() {
            let p = entry.path();
            let name = entry.file_name();
            let stale = p != dir && !name.to_string_lossy().starts_with('.');
            if stale && p.join("meta.json").exists() {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
    }
    let index = Index::open_in_dir(dir)?;
    SearchIndex::open(index, fields, Provenance::BuiltAndStored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Chunking, parse_markdown};
    use crate::query::Expansion;
    use crate::synonyms::Synonyms;

    fn library() -> Library {
        let docs = [
            (
                "a",
                "Opioids and pain",
                "Opioids numb pain. Endorphins are endogenous opioids.",
            ),
            (
                "b",
                "Dissociation",
                "Dissociation protects the mind from distressing events.",
            ),
            (
                "c",
                "Recovery",
                "Support groups help people in recovery from addiction.",
            ),
        ]
        .map(|(id, title, body)| {
            parse_markdown(
                Path::new("t.md"),
                &format!("+++\nid = \"{id}\"\ntitle = \"{title}\"\n+++\n\n{body}\n"),
            )
            .unwrap()
        });
        Library::new(docs.to_vec(), Chunking::default())
    }

    fn query(index: &SearchIndex, text: &str) -> Query {
        Query::build(text, &Synonyms::default(), index, Expansion::default())
    }

    #[test]
    fn finds_the_passage_about_the_question() {
        let lib = library();
        let index = SearchIndex::build(&lib).unwrap();
        assert_eq!(index.len(), 3);
        let hits = index.search(
            &query(&index, "what is dissociation?"),
            &Scoring::default(),
            3,
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(lib.passages[hits[0].passage].id, "b#intro");
        assert_eq!(hits[0].matched, 1);
        let hits = index.search(&query(&index, "opioid pain"), &Scoring::default(), 3);
        assert_eq!(lib.passages[hits[0].passage].id, "a#intro");
    }

    #[test]
    fn nothing_matching_gives_no_hits() {
        let lib = library();
        let index = SearchIndex::build(&lib).unwrap();
        for text in ["sourdough bread", "", "AND OR", "🙂"] {
            assert!(
                index
                    .search(&query(&index, text), &Scoring::default(), 3)
                    .is_empty(),
                "{text}"
            );
        }
    }

    #[test]
    fn typos_of_library_words_still_match() {
        let lib = library();
        let index = SearchIndex::build(&lib).unwrap();
        let hits = index.search(&query(&index, "dissasociation"), &Scoring::default(), 3);
        assert_eq!(lib.passages[hits[0].passage].id, "b#intro");
    }

    #[test]
    fn titles_weigh_more_than_body_text() {
        let lib = library();
        let index = SearchIndex::build(&lib).unwrap();
        let q = query(&index, "recovery");
        let hits = index.search(&q, &Scoring::default(), 1);
        let flat = Scoring {
            title_weight: 0.0,
            ..Scoring::default()
        };
        let flat_hits = index.search(&q, &flat, 1);
        assert!(hits[0].score > flat_hits[0].score);
    }

    #[test]
    fn a_stored_index_is_reused_until_the_library_changes() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library();
        let first = SearchIndex::open_or_build(&lib, dir.path()).unwrap();
        assert_eq!(first.provenance, Provenance::BuiltAndStored);
        let again = SearchIndex::open_or_build(&lib, dir.path()).unwrap();
        assert_eq!(again.provenance, Provenance::Reused);
        let q = query(&again, "dissociation");
        assert_eq!(
            first.search(&q, &Scoring::default(), 3),
            again.search(&q, &Scoring::default(), 3)
        );
        let mut changed = lib.clone();
        changed.documents[0].body.push_str("\nMore text.\n");
        let changed = Library::new(changed.documents, Chunking::default());
        let rebuilt = SearchIndex::open_or_build(&changed, dir.path()).unwrap();
        assert_eq!(rebuilt.provenance, Provenance::BuiltAndStored);
    }
}
