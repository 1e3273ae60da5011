//! Turns question text into a weighted bag of index terms. The text is only ever split into
//! words: `AND`, quotes, colons, brackets, `*` and `~` are plain characters, so no question can
//! be a syntax error. Question words are dropped, synonyms and acronyms expand, and words the
//! library lacks are corrected to the closest word it has.

use crate::focus::Focus;
use crate::spelling::Correction;
use crate::synonyms::Synonyms;
use crate::text::{self, Stemmer};

mod words;

use words::{RELATION_WEIGHT, is_stopword};
pub use words::{RELATION_WORDS, STOPWORDS, is_common_word};

/// What the query builder needs to know about the library's terms.
pub trait Lexicon {
    /// Whether the library contains the term (in any field).
    fn contains(&self, term: &str) -> bool;
    /// The closest library term to an unknown one, if any is close enough.
    fn correct(&self, term: &str) -> Option<Correction>;
}

/// Where a query term came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Typed by the member.
    Typed,
    /// From a synonym group of something typed.
    Synonym,
    /// A correction of a word the library does not contain.
    Corrected,
}

/// One term to search for.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// The index term (stemmed).
    pub term: String,
    /// Multiplier on its BM25 contribution.
    pub weight: f32,
    /// Where it came from.
    pub origin: Origin,
    /// Inverse document frequency of the term in passage bodies (how rare it is in the
    /// library); set by retrieval, 0 until then.
    pub rarity: f32,
}

/// One thing the member asked about: a word, or a phrase matched by a synonym group, with every
/// term that stands for it. Relevance is judged by how many concepts a passage covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// Indices into [`Query::terms`]: every term that scores for the concept.
    pub terms: Vec<usize>,
    /// The ways a passage can contain the concept: each is a set of terms that must all occur
    /// (one term for a word, all the words of a multi-word synonym like "eye movement
    /// desensitization and reprocessing").
    pub alternatives: Vec<Vec<usize>>,
    /// How much a match counts towards coverage (a corrected word counts less).
    pub confidence: f32,
    /// Whether it counts towards coverage at all (relation words do not).
    pub counts: bool,
    /// How much it counts towards coverage relative to other concepts (rarer words count more;
    /// set by retrieval from the library's statistics, 1 until then).
    pub weight: f32,
    /// How much the part of the message it came from asks the question (see
    /// [`crate::focus`]): 1 for a question sentence, less for narrative.
    pub importance: f32,
    /// The words as typed (folded), for showing the focus.
    pub label: String,
}

/// A question as weighted index terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Distinct terms, each with its largest weight.
    pub terms: Vec<QueryTerm>,
    /// The concepts, in question order.
    pub concepts: Vec<Concept>,
    /// Consecutive topic words as typed (folded), for exact-phrase matching.
    pub pairs: Vec<(String, String)>,
}

/// Weights for terms that were not typed as such.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expansion {
    /// Weight of a one-word synonym (a multi-word synonym's words get 60% of it).
    pub synonym: f32,
    /// Weight of a typo correction at distance 1 (distance 2 gets 80% of it); 0 disables.
    pub correction: f32,
}

impl Default for Expansion {
    fn default() -> Self {
        Expansion {
            synonym: 0.8,
            correction: 0.8,
        }
    }
}

impl Query {
    /// Builds the query for `text`, read whole and evenly. Never fails: text without topic
    /// words gives an empty query.
    pub fn build(
        text: &str,
        synonyms: &Synonyms,
        lexicon: &dyn Lexicon,
        expansion: Expansion,
    ) -> Query {
        Query::build_focused(text, &Focus::whole(text), synonyms, lexicon, expansion)
    }

    /// Builds the query for the parts of `text` that `focus` keeps: each part's words weigh as
    /// much as the part does (a term or concept found in several parts keeps its largest
    /// weight).
    pub fn build_focused(
        text: &str,
        focus: &Focus,
        synonyms: &Synonyms,
        lexicon: &dyn Lexicon,
        expansion: Expansion,
    ) -> Query {
        let stemmer = Stemmer::default();
        let mut q = Query::default();
        for part in &focus.parts {
            let words: Vec<(String, String)> = text::words(&text[part.range.clone()])
                .filter(|w| w.raw.len() <= text::MAX_WORD_BYTES)
                .map(|w| (text::fold_word(w.raw).into_owned(), stemmer.term(w.raw)))
                .collect();
            q.add_part(&words, part.weight, synonyms, lexicon, expansion);
        }
        q
    }

    fn add_part(
        &mut self,
        words: &[(String, String)],
        importance: f32,
        synonyms: &Synonyms,
        lexicon: &dyn Lexicon,
        expansion: Expansion,
    ) {
        let q = self;
        let terms_only: Vec<&str> = words.iter().map(|(_, t)| t.as_str()).collect();
        let topic: Vec<&str> = words
            .iter()
            .map(|(f, _)| f.as_str())
            .filter(|f| !is_stopword(f))
            .collect();
        for w in topic.windows(2) {
            let pair = (w[0].to_string(), w[1].to_string());
            if !q.pairs.contains(&pair) {
                q.pairs.push(pair);
            }
        }
        let add = |q: &mut Query, term: &str, weight: f32, origin: Origin| {
            q.add(term, weight * importance, origin)
        };
        let mut i = 0;
        while i < words.len() {
            if let Some(m) = synonyms.longest_match(&terms_only[i..]) {
                let mut alternatives = Vec::new();
                let typed: Vec<usize> = m
                    .matched
                    .iter()
                    .filter(|t| !(m.len > 1 && is_stopword(t)))
                    .map(|t| add(q, t, 1.0, Origin::Typed))
                    .collect();
                alternatives.push(typed);
                for other in &m.others {
                    let w = if other.len() == 1 {
                        expansion.synonym
                    } else {
                        expansion.synonym * 0.6
                    };
                    let words: Vec<usize> = other
                        .iter()
                        .filter(|t| !is_stopword(t))
                        .map(|t| add(q, t, w, Origin::Synonym))
                        .collect();
                    alternatives.push(words);
                }
                let label = words[i..i + m.len]
                    .iter()
                    .map(|(f, _)| f.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                q.push_concept(alternatives, 1.0, importance, label);
                i += m.len;
                continue;
            }
            let (folded, term) = &words[i];
            i += 1;
            if is_stopword(folded) || term.is_empty() {
                continue;
            }
            if RELATION_WORDS.binary_search(&folded.as_str()).is_ok() {
                let id = add(q, term, RELATION_WEIGHT, Origin::Typed);
                q.push_concept(vec![vec![id]], 0.0, importance, folded.clone());
                if let Some(c) = q.concepts.iter_mut().find(|c| c.terms == [id]) {
                    c.counts = false;
                }
                continue;
            }
            if lexicon.contains(term) || expansion.correction <= 0.0 {
                let id = add(q, term, 1.0, Origin::Typed);
                q.push_concept(vec![vec![id]], 1.0, importance, folded.clone());
                continue;
            }
            let correction = lexicon.correct(term).or_else(|| lexicon.correct(folded));
            match correction {
                Some(c) => {
                    let w = if c.distance == 1 {
                        expansion.correction
                    } else {
                        expansion.correction * 0.8
                    };
                    let typed = add(q, term, 1.0, Origin::Typed);
                    let fixed = add(q, &c.term, w, Origin::Corrected);
                    q.push_concept(
                        vec![vec![typed], vec![fixed]],
                        w,
                        importance,
                        folded.clone(),
                    );
                }
                None => {
                    let id = add(q, term, 1.0, Origin::Typed);
                    q.push_concept(vec![vec![id]], 1.0, importance, folded.clone());
                }
            }
        }
    }

    /// Keeps the `n` concepts that matter most (importance times weight; the earlier first on a
    /// tie), in question order, and only the terms they use, numbered from the most important
    /// concept's: a passage records which of the first 64 terms it holds
    /// ([`crate::index::Hit::matched`]), so those must be the ones that decide.
    pub fn keep_most_important(&mut self, n: usize) {
        let mut order: Vec<usize> = (0..self.concepts.len()).collect();
        order.sort_by(|&a, &b| {
            let (ca, cb) = (&self.concepts[a], &self.concepts[b]);
            (cb.importance * cb.weight)
                .total_cmp(&(ca.importance * ca.weight))
                .then(a.cmp(&b))
        });
        order.truncate(n);
        let mut new_index = vec![usize::MAX; self.terms.len()];
        let mut terms = Vec::new();
        for &c in &order {
            let concept = &self.concepts[c];
            for &t in concept
                .terms
                .iter()
                .chain(concept.alternatives.iter().flatten())
            {
                if new_index[t] == usize::MAX {
                    new_index[t] = terms.len();
                    terms.push(self.terms[t].clone());
                }
            }
        }
        let mut keep = vec![false; self.concepts.len()];
        for &c in &order {
            keep[c] = true;
        }
        let mut kept = keep.iter();
        self.concepts
            .retain(|_| *kept.next().expect("one flag per concept"));
        for c in &mut self.concepts {
            for t in c
                .terms
                .iter_mut()
                .chain(c.alternatives.iter_mut().flatten())
            {
                *t = new_index[*t];
            }
            c.terms.sort_unstable();
        }
        self.terms = terms;
    }

    /// The focus as a member would read it: each concept's words, what matters most first.
    pub fn focus_words(&self) -> Vec<String> {
        let mut order: Vec<&Concept> = self.concepts.iter().filter(|c| c.counts).collect();
        order.sort_by(|a, b| (b.importance * b.weight).total_cmp(&(a.importance * a.weight)));
        order.into_iter().map(|c| c.label.clone()).collect()
    }

    /// Whether nothing in the question can be searched for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn add(&mut self, term: &str, weight: f32, origin: Origin) -> usize {
        if let Some(i) = self.terms.iter().position(|t| t.term == term) {
            let existing = &mut self.terms[i];
            if weight > existing.weight {
                existing.weight = weight;
                existing.origin = origin;
            }
            return i;
        }
        self.terms.push(QueryTerm {
            term: term.to_string(),
            weight,
            origin,
            rarity: 0.0,
        });
        self.terms.len() - 1
    }

    fn push_concept(
        &mut self,
        mut alternatives: Vec<Vec<usize>>,
        confidence: f32,
        importance: f32,
        label: String,
    ) {
        alternatives.retain(|a| !a.is_empty());
        let mut terms: Vec<usize> = alternatives.iter().flatten().copied().collect();
        terms.sort_unstable();
        terms.dedup();
        if terms.is_empty() {
            return;
        }
        if let Some(existing) = self.concepts.iter_mut().find(|c| c.terms == terms) {
            existing.confidence = existing.confidence.max(confidence);
            existing.importance = existing.importance.max(importance);
            return;
        }
        self.concepts.push(Concept {
            terms,
            alternatives,
            confidence,
            counts: true,
            weight: 1.0,
            importance,
            label,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spelling::Vocabulary;
    use std::collections::HashSet;

    struct Fake(HashSet<String>, Vocabulary);

    impl Lexicon for Fake {
        fn contains(&self, term: &str) -> bool {
            self.0.contains(term)
        }
        fn correct(&self, term: &str) -> Option<Correction> {
            self.1.correct(term)
        }
    }

    fn lexicon() -> Fake {
        let terms = [
            "opioid", "dissoci", "ptsd", "veteran", "post", "traumat", "stress", "disord",
        ];
        Fake(
            terms.iter().map(|t| t.to_string()).collect(),
            Vocabulary::new(terms.iter().map(|t| (t.to_string(), 1))),
        )
    }

    fn synonyms() -> Synonyms {
        Synonyms::parse(
            "[[group]]\nterms = [\"PTSD\", \"post-traumatic stress disorder\"]\n[[group]]\nterms = [\"vets\", \"veterans\"]\n",
            std::path::Path::new("s.toml"),
        )
        .unwrap()
    }

    fn terms(q: &Query) -> Vec<(&str, f32, Origin)> {
        q.terms
            .iter()
            .map(|t| (t.term.as_str(), t.weight, t.origin))
            .collect()
    }

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(RELATION_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn relation_words_are_searched_softly_and_do_not_gate() {
        let q = Query::build(
            "how are ptsd and opioids connected",
            &synonyms(),
            &lexicon(),
            Expansion::default(),
        );
        let connect = q.terms.iter().position(|t| t.term == "connect").unwrap();
        assert!(q.terms[connect].weight < 0.5);
        let concept = q.concepts.iter().find(|c| c.terms == [connect]).unwrap();
        assert!(!concept.counts);
    }

    #[test]
    fn question_words_drop_and_synonyms_expand() {
        let q = Query::build(
            "why do vets get hooked on opioids?",
            &synonyms(),
            &lexicon(),
            Expansion::default(),
        );
        let t = terms(&q);
        assert!(t.contains(&("vet", 1.0, Origin::Typed)), "{t:?}");
        assert!(t.contains(&("veteran", 0.8, Origin::Synonym)), "{t:?}");
        assert!(t.contains(&("opioid", 1.0, Origin::Typed)), "{t:?}");
        assert!(!t.iter().any(|(term, ..)| *term == "why" || *term == "do"));
        // vets/veterans is one concept; hooked and opioids are one each.
        assert_eq!(q.concepts.len(), 3, "{:?}", q.concepts);
    }

    #[test]
    fn acronyms_expand_to_phrases_at_lower_weight() {
        let q = Query::build("ptsd", &synonyms(), &lexicon(), Expansion::default());
        let t = terms(&q);
        assert_eq!(t[0], ("ptsd", 1.0, Origin::Typed));
        assert!(
            t.iter()
                .skip(1)
                .all(|(_, w, o)| (*w - 0.48).abs() < 1e-6 && *o == Origin::Synonym)
        );
        assert_eq!(q.concepts.len(), 1);
    }

    #[test]
    fn typos_are_corrected_with_less_confidence() {
        let q = Query::build(
            "dissasociation and opiods",
            &synonyms(),
            &lexicon(),
            Expansion::default(),
        );
        let t = terms(&q);
        let weight_of = |term: &str| t.iter().find(|x| x.0 == term).map(|x| (x.1, x.2));
        let (w, o) = weight_of("dissoci").unwrap();
        assert!((w - 0.64).abs() < 1e-6 && o == Origin::Corrected, "{t:?}");
        assert_eq!(weight_of("opioid"), Some((0.8, Origin::Corrected)), "{t:?}");
        assert_eq!(q.concepts.len(), 2);
        assert!(q.concepts.iter().all(|c| c.confidence < 1.0));
    }

    #[test]
    fn a_long_story_keeps_the_question_s_concepts_not_the_first_ones() {
        let text = "my veteran uncle post stress traumatic disorder veteran. post traumatic stress. why opioids?";
        let focus = crate::focus::Focus {
            parts: vec![
                crate::focus::Part {
                    range: 0..text.find("why").unwrap(),
                    weight: 0.4,
                },
                crate::focus::Part {
                    range: text.find("why").unwrap()..text.len(),
                    weight: 1.0,
                },
            ],
        };
        let mut q = Query::build_focused(
            text,
            &focus,
            &Synonyms::default(),
            &lexicon(),
            Expansion::default(),
        );
        let opioid = q.concepts.iter().find(|c| c.label == "opioids").unwrap();
        assert_eq!(opioid.importance, 1.0);
        let story = q.concepts.iter().find(|c| c.label == "veteran").unwrap();
        assert_eq!(story.importance, 0.4);
        assert!(terms(&q).contains(&("veteran", 0.4, Origin::Typed)));
        q.keep_most_important(1);
        assert_eq!(q.concepts.len(), 1);
        assert_eq!(q.concepts[0].label, "opioids");
        assert_eq!(terms(&q), vec![("opioid", 1.0, Origin::Typed)]);
        assert_eq!(q.concepts[0].terms, vec![0]);
        assert_eq!(q.focus_words(), vec!["opioids".to_string()]);
    }

    #[test]
    fn the_most_important_concept_s_terms_are_numbered_first() {
        // Hit::matched records only the first 64 terms: a question after a long story must not
        // land past them.
        let story: String = (0..80).map(|i| format!("word{i} ")).collect();
        let text = format!("{story}. why opioids?");
        let at = text.find("why").unwrap();
        let focus = crate::focus::Focus {
            parts: vec![
                crate::focus::Part {
                    range: 0..at,
                    weight: 0.4,
                },
                crate::focus::Part {
                    range: at..text.len(),
                    weight: 1.0,
                },
            ],
        };
        let mut q = Query::build_focused(
            &text,
            &focus,
            &Synonyms::default(),
            &lexicon(),
            Expansion::default(),
        );
        assert!(q.concepts.len() > 64);
        q.keep_most_important(32);
        assert_eq!(q.concepts.len(), 32);
        let opioid = q.concepts.iter().find(|c| c.label == "opioids").unwrap();
        assert_eq!(opioid.terms, vec![0], "{:?}", q.terms);
        assert_eq!(q.terms[0].term, "opioid");
    }

    #[test]
    fn query_syntax_is_plain_text() {
        for text in [
            "AND OR NOT",
            "\"\"\"",
            "title:opioids",
            "[a TO z]",
            "opioid* ~2",
            "",
        ] {
            let q = Query::build(text, &synonyms(), &lexicon(), Expansion::default());
            assert!(
                q.terms
                    .iter()
                    .all(|t| t.term.chars().all(char::is_alphanumeric)),
                "{text}"
            );
        }
        let q = Query::build(
            "title:opioids*",
            &synonyms(),
            &lexicon(),
            Expansion::default(),
        );
        assert!(terms(&q).contains(&("opioid", 1.0, Origin::Typed)));
    }
}
