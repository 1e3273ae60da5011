//! Composing library replies: choosing the best sentences of each passage as a verbatim quote,
//! citing it, and wrapping quotes into an answer, a "no match" or a medical-advice refusal.
//! Pure: values in, a [`Reply`] out.

use std::collections::HashMap;
use std::ops::Range;

use crate::corpus::{Analysis, Library, Passage, SentenceSpan, hash_str, surface_hash};
use crate::index::Hit;
use crate::query::{Query, QueryTerm};
use crate::reply::{Block, Citation, Disclaimer, Excerpt, Kind, LineEntry, Reply};
use crate::safety::Advice;

/// Longest quote, in bytes, before further sentences are left out.
pub const MAX_QUOTE: usize = 420;
/// At most this many sentences per quote.
pub const MAX_SENTENCES: usize = 3;

/// The citation for a passage.
pub fn citation(library: &Library, passage: &Passage) -> Citation {
    let doc = library.document_of(passage);
    Citation {
        title: doc.display_title(),
        author: doc.author.clone(),
        publisher: doc.publisher.clone(),
        date: doc.date.clone(),
        section: (!passage.headings.is_empty()).then(|| passage.headings.join(" \u{203A} ")),
    }
}

/// What matters about a question when choosing and ranking quotes: its terms (by hash) with
/// their weight, whether they are shown in bold and which concept they stand for, and its
/// consecutive topic words for exact-phrase matching.
#[derive(Debug, Clone, Default)]
pub struct Focus {
    terms: HashMap<u64, FocusTerm>,
    pairs: Vec<(u32, u32)>,
}

/// One question term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocusTerm {
    /// Weight when scoring sentences (rarer terms count more).
    pub weight: f32,
    /// Shown in bold (words the member typed, not the words of expanded phrases).
    pub highlight: bool,
}

impl Focus {
    /// From a query and each term's weight (IDF times the query weight).
    pub fn new(query: &Query, term_weight: impl Fn(&QueryTerm) -> f32) -> Focus {
        let terms = query
            .terms
            .iter()
            .map(|t| {
                let term = FocusTerm {
                    weight: term_weight(t),
                    // Typed words and corrections; not the words of expanded phrases (a
                    // narrative's words weigh less, but were typed all the same).
                    highlight: t.origin != crate::query::Origin::Synonym || t.weight >= 0.6,
                };
                (hash_str(&t.term), term)
            })
            .collect();
        let pairs = query
            .pairs
            .iter()
            .map(|(a, b)| (surface_hash(a), surface_hash(b)))
            .collect();
        Focus { terms, pairs }
    }

    /// Share of the question's consecutive topic words that appear together (adjacent, or one
    /// word apart) in a passage's words ([`Library::surfaces`]), exactly as typed. 0 for
    /// one-word questions.
    pub fn phrase_share(&self, words: &[u32]) -> f32 {
        if self.pairs.is_empty() {
            return 0.0;
        }
        let found = self
            .pairs
            .iter()
            .filter(|&&(a, b)| {
                words
                    .iter()
                    .enumerate()
                    .any(|(i, &w)| w == a && words[i + 1..].iter().take(2).any(|&n| n == b))
            })
            .count();
        found as f32 / self.pairs.len() as f32
    }
}

/// The best quote of a passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Byte range in the document body.
    pub range: Range<usize>,
}

/// Score of consecutive sentences: the weight of each distinct question term once, a little for
/// repeats, minus a penalty for each sentence that contains no question term.
fn window_score(analysis: &Analysis, sentences: &[SentenceSpan], focus: &Focus) -> f32 {
    let mut seen: Vec<u64> = Vec::new();
    let mut score = 0.0;
    for s in sentences {
        let mut any = false;
        for w in &analysis.words[s.words.clone()] {
            let Some(t) = focus.terms.get(&w.term) else {
                continue;
            };
            any = true;
            if seen.contains(&w.term) {
                score += t.weight * 0.1;
            } else {
                seen.push(w.term);
                score += t.weight;
            }
        }
        if !any {
            score -= 0.5;
        }
    }
    score
}

/// The best run of up to three consecutive sentences of one unit, at most [`MAX_QUOTE`] bytes
/// (a single longer sentence is allowed; it is cut later). A very short best quote is given the
/// next sentence for context. `None` for a passage with no quotable text.
pub fn best_window(analysis: &Analysis, focus: &Focus, voice: Voice) -> Option<Window> {
    let sentences = &analysis.sentences;
    let mut best: Option<(f32, usize, usize)> = None;
    for start in 0..sentences.len() {
        for end in start + 1..=(start + MAX_SENTENCES).min(sentences.len()) {
            if sentences[end - 1].unit != sentences[start].unit {
                break;
            }
            if voice == Voice::ArticleOnly && sentences[end - 1].quoted_speech {
                break;
            }
            // A dosing sentence is never quoted, in any reply.
            if sentences[end - 1].dosing {
                break;
            }
            let len = sentences[end - 1].range.end - sentences[start].range.start;
            if len > MAX_QUOTE && end > start + 1 {
                break;
            }
            let score = window_score(analysis, &sentences[start..end], focus);
            let better = match best {
                None => true,
                Some((b, bs, be)) => {
                    let blen = sentences[be - 1].range.end - sentences[bs].range.start;
                    score > b + 1e-6 || ((score - b).abs() <= 1e-6 && len < blen)
                }
            };
            if better {
                best = Some((score, start, end));
            }
        }
    }
    let (_, start, mut end) = best?;
    let first = &sentences[start];
    if sentences[end - 1].range.end - first.range.start < 100
        && end - start < MAX_SENTENCES
        && let Some(next) = sentences.get(end)
        && next.unit == first.unit
        && !next.dosing
        && !(voice == Voice::ArticleOnly && next.quoted_speech)
        && next.range.end - first.range.start <= MAX_QUOTE
    {
        end += 1;
    }
    Some(Window {
        range: first.range.start..sentences[end - 1].range.end,
    })
}

/// Whose words may be quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// Anything the article contains, speech it quotes included.
    Any,
    /// Only the article's own voice: not the testimonies it quotes (used for general
    /// information after a medical-advice refusal, where a quoted user's praise of a drug would
    /// be the wrong thing to show).
    ArticleOnly,
}

/// The excerpt for a hit: its best window (see [`best_window`]), verbatim, question words
/// marked; `None` when the passage has nothing quotable in that voice.
pub fn excerpt(library: &Library, hit: &Hit, focus: &Focus, voice: Voice) -> Option<Excerpt> {
    let passage = &library.passages[hit.passage];
    let doc = library.document_of(passage);
    let analysis = library.analysis(hit.passage);
    let range = match best_window(analysis, focus, voice) {
        Some(w) => w.range,
        // A passage with no quotable unit (only a table) is quoted from its own start.
        None if voice == Voice::Any
            && passage.units.is_empty()
            && !crate::safety::dosing::is_dosing(library.passage_text(passage)) =>
        {
            passage.range.clone()
        }
        None => return None,
    };
    let (range, cut) = cap(&doc.body, range);
    let quote = doc.body[range.clone()].to_string();
    let highlights = analysis
        .words
        .iter()
        .filter(|w| w.start as usize >= range.start && w.end as usize <= range.end)
        .filter(|w| focus.terms.get(&w.term).is_some_and(|t| t.highlight))
        .map(|w| w.start as usize - range.start..w.end as usize - range.start)
        .collect();
    Some(Excerpt {
        passage_id: passage.id.clone(),
        doc_id: doc.id.clone(),
        quote,
        offset: range.start,
        cut,
        highlights,
        citation: citation(library, passage),
        score: hit.score,
        passage_text: library.passage_text(passage).to_string(),
        content_note: None,
    })
}

/// Keeps a single over-long sentence within [`MAX_QUOTE`] by cutting at a word boundary.
fn cap(body: &str, range: Range<usize>) -> (Range<usize>, bool) {
    if range.len() <= MAX_QUOTE {
        return (range, false);
    }
    let slice = &body[range.clone()];
    let mut end = MAX_QUOTE;
    while !slice.is_char_boundary(end) {
        end -= 1;
    }
    let cut_at = slice[..end].rfind(char::is_whitespace).unwrap_or(end);
    let trimmed = slice[..cut_at].trim_end_matches(|c: char| c.is_whitespace() || c == ',');
    (range.start..range.start + trimmed.len(), true)
}

/// The answer: quotes of the hits, best first.
pub fn answer(excerpts: Vec<Excerpt>, disclaimer: Disclaimer) -> Reply {
    Reply::new(
        Kind::Answer,
        vec![Block::Excerpts {
            label: None,
            excerpts,
        }],
        disclaimer,
    )
}

/// The honest "not in the library" reply.
pub fn no_match(disclaimer: Disclaimer) -> Reply {
    Reply::text(
        Kind::NoMatch,
        "I couldn't find anything in this server's library that answers that. Try other words, or ask the moderators: they can see questions the library can't answer yet.",
        disclaimer,
    )
}

/// The medical-advice refusal (or, for a diagnosis, the plain "only a clinician can say"),
/// optionally followed by general information from the library.
pub fn medical_advice(general: Vec<Excerpt>, advice: Advice, disclaimer: Disclaimer) -> Reply {
    let refusal = match advice {
        Advice::Medication => {
            "Lantern can't advise on doses, tapering, or starting, stopping or mixing medications or other substances, or on getting them. A doctor or pharmacist can answer this safely for your situation, and the support lines below can help you find one."
        }
        Advice::Diagnosis => {
            "Lantern can't tell you whether you have a condition: only a clinician who can talk with you (a doctor, psychiatrist or psychologist) can diagnose that. The support lines below can help you find one."
        }
    };
    let mut blocks = vec![Block::Text {
        text: refusal.to_string(),
    }];
    if !general.is_empty() {
        blocks.push(Block::Excerpts {
            label: Some(
                "General information from the library (not advice for your situation):".to_string(),
            ),
            excerpts: general,
        });
    }
    Reply::new(Kind::MedicalAdvice, blocks, disclaimer)
}

/// An answer about suicide, self-harm or overdose as a subject: the crisis lines first, then the
/// quotes (or, when the library has none, an honest word that it has none, never a bare "nothing
/// found").
pub fn topic(
    excerpts: Vec<Excerpt>,
    lines: Vec<LineEntry>,
    emergency: &str,
    disclaimer: Disclaimer,
) -> Reply {
    let mut blocks = vec![
        Block::Text {
            text: format!(
                "If this is about you or someone close to you right now, please reach out: call {emergency} in an emergency, or one of these lines any time."
            ),
        },
        Block::Lines { lines },
    ];
    let kind = if excerpts.is_empty() {
        blocks.push(Block::Text {
            text:
                "The library has no passage that answers this; the lines above can talk it through."
                    .to_string(),
        });
        Kind::NoMatch
    } else {
        blocks.push(Block::Excerpts {
            label: Some("From the library:".to_string()),
            excerpts,
        });
        Kind::Answer
    };
    Reply::new(kind, blocks, disclaimer)
}

/// How to use or get naloxone, with no emergency: the emergency number first, the project's own
/// sourced guidance (the product's instructions, a pharmacist), the overdose lines, then general
/// information from the library.
pub fn harm_reduction(
    excerpts: Vec<Excerpt>,
    lines: Vec<LineEntry>,
    guidance: Option<String>,
    emergency: &str,
    disclaimer: Disclaimer,
) -> Reply {
    let mut blocks = vec![Block::Text {
        text: format!(
            "If someone may be overdosing right now, call {emergency} first and stay with them."
        ),
    }];
    if let Some(g) = guidance {
        blocks.push(Block::Text { text: g });
    }
    blocks.push(Block::Lines { lines });
    if !excerpts.is_empty() {
        blocks.push(Block::Excerpts {
            label: Some("From the library:".to_string()),
            excerpts,
        });
    }
    Reply::new(Kind::Answer, blocks, disclaimer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Chunking, parse_markdown};
    use crate::sentence;
    use std::path::Path;

    fn library(body: &str) -> Library {
        let doc = parse_markdown(
            Path::new("d.md"),
            &format!("+++\nid = \"d\"\ntitle = \"T\"\n+++\n\n## Section\n\n{body}\n"),
        )
        .unwrap();
        Library::new(vec![doc], Chunking::default())
    }

    fn weights(terms: &[&str]) -> Focus {
        let query = Query {
            terms: terms
                .iter()
                .map(|t| QueryTerm {
                    rarity: 1.0,
                    term: t.to_string(),
                    weight: 1.0,
                    origin: crate::query::Origin::Typed,
                })
                .collect(),
            concepts: (0..terms.len())
                .map(|i| crate::query::Concept {
                    terms: vec![i],
                    alternatives: vec![vec![i]],
                    confidence: 1.0,
                    counts: true,
                    weight: 1.0,
                    importance: 1.0,
                    label: terms[i].to_string(),
                })
                .collect(),
            pairs: Vec::new(),
        };
        Focus::new(&query, |_| 1.0)
    }

    fn hit() -> Hit {
        Hit {
            passage: 0,
            score: 1.0,
            matched: 1,
            titled: 0,
        }
    }

    #[test]
    fn picks_the_matching_sentences_verbatim() {
        let lib = library(
            "Nothing here at all. Still nothing to see in this one. Naloxone reverses an opioid overdose. It is sold as Narcan. Unrelated closing words.",
        );
        let e = excerpt(&lib, &hit(), &weights(&["naloxon"]), Voice::Any).unwrap();
        assert!(e.quote.starts_with("Naloxone reverses"), "{}", e.quote);
        assert!(lib.documents[0].body[e.offset..].starts_with(&e.quote));
        assert_eq!(&e.quote[e.highlights[0].clone()], "Naloxone");
        assert_eq!(e.citation.section.as_deref(), Some("Section"));
        assert!(!e.cut);
    }

    #[test]
    fn quotes_stay_within_one_paragraph_and_three_sentences() {
        let lib = library(
            "Opioid one. Opioid two. Opioid three. Opioid four. Opioid five.\n\nOpioid in another paragraph.",
        );
        let e = excerpt(&lib, &hit(), &weights(&["opioid"]), Voice::Any).unwrap();
        assert_eq!(sentence::split(&e.quote).len(), 3, "{}", e.quote);
        assert!(!e.quote.contains('\n'));
    }

    #[test]
    fn article_voice_leaves_out_quoted_speech() {
        let lib = library(
            "> Heroin helped me forget everything.\n\nThe article says heroin is dangerous.",
        );
        let e = excerpt(&lib, &hit(), &weights(&["heroin"]), Voice::ArticleOnly).unwrap();
        assert_eq!(e.quote, "The article says heroin is dangerous.");
        let e = excerpt(&lib, &hit(), &weights(&["heroin", "forget"]), Voice::Any).unwrap();
        assert!(e.quote.starts_with("Heroin helped"), "{}", e.quote);
        let only_speech = library("> Heroin helped me forget everything.");
        assert!(
            excerpt(
                &only_speech,
                &hit(),
                &weights(&["heroin"]),
                Voice::ArticleOnly
            )
            .is_none()
        );
    }

    #[test]
    fn an_overlong_sentence_is_cut_at_a_word() {
        let long = format!("Opioid {} end.", "word ".repeat(200));
        let lib = library(&long);
        let e = excerpt(&lib, &hit(), &weights(&["opioid"]), Voice::Any).unwrap();
        assert!(e.cut);
        assert!(e.quote.len() <= MAX_QUOTE);
        assert!(e.quote.ends_with("word"));
        assert!(lib.documents[0].body.contains(&e.quote));
    }
}

/// The topics of `topics` (name → words and phrases) that `text` discusses, joined for a
/// content note; `None` when it discusses none. Whole words, lower case; a listed word also
/// matches with an `s` or `es` ending.
pub fn content_note(
    topics: &std::collections::BTreeMap<String, Vec<String>>,
    text: &str,
) -> Option<String> {
    let words: Vec<String> = crate::text::words(text)
        .map(|w| w.raw.to_lowercase())
        .collect();
    let same = |listed: &str, word: &str| {
        word == listed
            || word
                .strip_prefix(listed)
                .is_some_and(|rest| rest == "s" || rest == "es")
    };
    let found: Vec<&str> = topics
        .iter()
        .filter(|(_, terms)| {
            terms.iter().any(|term| {
                let term: Vec<String> = crate::text::words(term)
                    .map(|w| w.raw.to_lowercase())
                    .collect();
                !term.is_empty()
                    && words
                        .windows(term.len())
                        .any(|w| w.iter().zip(&term).all(|(a, b)| same(b, a)))
            })
        })
        .map(|(name, _)| name.as_str())
        .collect();
    (!found.is_empty()).then(|| found.join(", "))
}

#[cfg(test)]
mod content_note_tests {
    use super::content_note;

    #[test]
    fn topics_are_found_by_whole_words_and_phrases() {
        let mut topics = std::collections::BTreeMap::new();
        topics.insert(
            "suicide".to_string(),
            vec!["suicide".to_string(), "kill themselves".to_string()],
        );
        topics.insert("self-harm".to_string(), vec!["self-harm".to_string()]);
        assert_eq!(
            content_note(&topics, "Rates of suicides rose."),
            Some("suicide".into())
        );
        assert_eq!(
            content_note(
                &topics,
                "Some tried to kill themselves; others used self-harm."
            ),
            Some("self-harm, suicide".into())
        );
        assert_eq!(
            content_note(&topics, "Suicidology is a field."),
            None,
            "whole words"
        );
        assert_eq!(content_note(&topics, "Recovery takes time."), None);
    }
}
