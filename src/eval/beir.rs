//! Retrieval evaluation on a BEIR-format folder (`corpus.jsonl`, `queries.jsonl`,
//! `qrels/test.tsv`): the library is the corpus, documents are ranked by their best passage, and
//! the figures are those trec_eval reports. Optionally writes a standard TREC run file.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

use super::metrics::{self, Qrels, Ranked};
use crate::corpus::{Chunking, Library, parse_jsonl};
use crate::index::SearchIndex;
use crate::retrieval::Retrieval;
use crate::safety::SafetyRules;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct BeirOptions {
    /// The BEIR folder.
    pub dir: PathBuf,
    /// Queries file (default `queries.jsonl` in `dir`).
    pub queries: Option<PathBuf>,
    /// Judgements file (default `qrels/test.tsv` in `dir`).
    pub qrels: Option<PathBuf>,
    /// Where to write a TREC run file (100 results per query).
    pub run: Option<PathBuf>,
    /// Index whole documents instead of passages.
    pub whole_documents: bool,
}

/// The figures of one evaluation.
#[derive(Debug, Clone)]
pub struct BeirReport {
    /// Documents in the corpus.
    pub documents: usize,
    /// Passages indexed.
    pub passages: usize,
    /// Queries evaluated (those with at least one relevant document).
    pub queries: usize,
    /// Judged queries the safety screen did not let be searched (they rank nothing).
    pub not_searched: usize,
    /// nDCG@10 (a query the screen does not let be searched counts 0).
    pub ndcg10: f64,
    /// nDCG@10 over the queries the screen let be searched.
    pub ndcg10_searched: f64,
    /// Recall@100.
    pub recall100: f64,
    /// MRR@10.
    pub mrr10: f64,
    /// Time to load the corpus and build the index.
    pub index_time: Duration,
    /// Time to run every query.
    pub search_time: Duration,
}

#[derive(Debug, Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: serde_json::Value,
    text: String,
}

fn id_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads `queries.jsonl`-style lines.
pub fn read_queries(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: QueryLine = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a query line", path.display(), i + 1))?;
        out.push((id_string(&q.id), q.text));
    }
    Ok(out)
}

/// Reads a BEIR qrels TSV (`query-id corpus-id score`, header line optional).
pub fn read_qrels(path: &Path) -> anyhow::Result<Qrels> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut qrels: Qrels = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            if line.trim().is_empty() {
                continue;
            }
            bail!(
                "{}:{}: expected three tab-separated columns",
                path.display(),
                i + 1
            );
        }
        let Ok(grade) = cols[2].trim().parse::<i64>() else {
            if i == 0 {
                continue; // header
            }
            bail!("{}:{}: score is not a number", path.display(), i + 1);
        };
        qrels
            .entry(cols[0].to_string())
            .or_default()
            .insert(cols[1].to_string(), grade.max(0) as u32);
    }
    Ok(qrels)
}

/// A BEIR folder opened: its corpus as a library with its index, its queries and judgements.
pub struct Corpus {
    /// The corpus, one library document per BEIR document.
    pub library: Library,
    /// Its index, built in memory.
    pub index: SearchIndex,
    /// `(id, text)` of every query.
    pub queries: Vec<(String, String)>,
    /// The judgements.
    pub qrels: Qrels,
    /// Time to read the corpus and build the index.
    pub index_time: Duration,
}

/// Reads a BEIR folder and indexes its corpus (whole documents, or passages as `retrieval`
/// cuts them).
pub fn open(options: &BeirOptions, retrieval: &Retrieval) -> anyhow::Result<Corpus> {
    let corpus_path = options.dir.join("corpus.jsonl");
    if !corpus_path.exists() {
        bail!(
            "{} has no corpus.jsonl (is it a BEIR folder?)",
            options.dir.display()
        );
    }
    let queries_path = options
        .queries
        .clone()
        .unwrap_or_else(|| options.dir.join("queries.jsonl"));
    let qrels_path = options
        .qrels
        .clone()
        .unwrap_or_else(|| options.dir.join("qrels").join("test.tsv"));
    let qrels = read_qrels(&qrels_path)?;
    let queries = read_queries(&queries_path)?;

    let started = Instant::now();
    let text = std::fs::read_to_string(&corpus_path)
        .with_context(|| format!("reading {}", corpus_path.display()))?;
    let documents = parse_jsonl(&corpus_path, &text).map_err(|ps| {
        anyhow::anyhow!(crate::problem::Problems(ps.into_iter().take(10).collect()))
    })?;
    drop(text);
    let chunking = if options.whole_documents {
        Chunking {
            min_words: usize::MAX / 4,
            max_words: usize::MAX / 4,
        }
    } else {
        retrieval.chunking
    };
    let library = Library::new(documents, chunking);
    // Built in memory every time: the build is part of what is measured.
    let index = SearchIndex::build(&library)?;
    Ok(Corpus {
        library,
        index,
        queries,
        qrels,
        index_time: started.elapsed(),
    })
}

/// Runs the evaluation.
pub fn evaluate(
    options: &BeirOptions,
    retrieval: &Retrieval,
    safety: &SafetyRules,
) -> anyhow::Result<BeirReport> {
    let Corpus {
        library,
        index,
        queries,
        qrels,
        index_time,
    } = open(options, retrieval)?;

    let mut run_file = match &options.run {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let started = Instant::now();
    let (mut ndcg, mut recall, mut rr) = (Vec::new(), Vec::new(), Vec::new());
    let mut evaluated = 0;
    let mut not_searched = 0;
    let mut ndcg_searched = Vec::new();
    for (qid, text) in &queries {
        let Some(judged) = qrels.get(qid) else {
            continue;
        };
        // Through the screen, as a member's question goes: what it does not let be searched
        // (a crisis reading) ranks nothing.
        let screened = safety.screen(text);
        let searched = screened.question().is_some();
        let mut results: Vec<Ranked> = match screened.question() {
            Some(question) => retrieval
                .rank_documents(&index, &library, question, 100)
                .into_iter()
                .map(|(doc, score)| Ranked {
                    doc: library.documents[doc].id.clone(),
                    score,
                })
                .collect(),
            None => {
                not_searched += 1;
                Vec::new()
            }
        };
        metrics::trec_order(&mut results);
        if let Some(w) = run_file.as_mut() {
            for (rank, r) in results.iter().enumerate() {
                writeln!(w, "{qid} Q0 {} {} {:.6} lantern", r.doc, rank + 1, r.score)?;
            }
        }
        let n = metrics::ndcg_at(&results, judged, 10);
        if searched {
            ndcg_searched.push(n);
        }
        ndcg.push(n);
        recall.push(metrics::recall_at(&results, judged, 100));
        rr.push(metrics::reciprocal_rank_at(&results, judged, 10));
        evaluated += usize::from(judged.values().any(|&g| g > 0));
    }
    if let Some(mut w) = run_file {
        w.flush()?;
    }
    Ok(BeirReport {
        documents: library.documents.len(),
        passages: library.passages.len(),
        queries: evaluated,
        not_searched,
        ndcg10: metrics::mean(ndcg),
        ndcg10_searched: metrics::mean(ndcg_searched),
        recall100: metrics::mean(recall),
        mrr10: metrics::mean(rr),
        index_time,
        search_time: started.elapsed(),
    })
}
