//! Synonyms and acronyms from `config/synonyms.toml`: groups of words and phrases that mean the
//! same thing to a member ("PTSD" and "post-traumatic stress disorder", "vets" and "veterans").
//! A question that uses one member of a group also searches for the others.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::problem::Problem;
use crate::text::{self, Stemmer};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    group: Vec<toml::Spanned<GroupSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    /// Words and phrases that mean the same: each searches for all the others.
    terms: Vec<String>,
    /// Broader words that `terms` also search for, but that do not search for `terms`
    /// ("painkillers" means "opioids"; a question about opioids is not about painkillers).
    #[serde(default)]
    means: Vec<String>,
}

/// A group: mutual synonyms, and one-way broader terms.
#[derive(Debug, Clone, Default)]
struct Group {
    terms: Vec<Phrase>,
    means: Vec<Phrase>,
}

/// A phrase of a group, as index terms.
pub type Phrase = Vec<String>;

/// Parsed synonym groups, ready for matching against a question's terms.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Group>,
    /// First term of a phrase → (group, phrase) pairs starting with it.
    by_first: HashMap<String, Vec<(usize, usize)>>,
}

/// A group matched at a position of the question.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'a> {
    /// How many question terms the matched phrase covers.
    pub len: usize,
    /// The phrase that matched.
    pub matched: &'a Phrase,
    /// The other phrases of the group.
    pub others: Vec<&'a Phrase>,
}

impl Synonyms {
    /// Parses the synonyms file. `file` names it in errors.
    pub fn parse(source: &str, file: &Path) -> Result<Synonyms, Vec<Problem>> {
        let parsed: File =
            toml::from_str(source).map_err(|e| vec![Problem::from_toml(file, source, 1, &e)])?;
        let stemmer = Stemmer::default();
        let mut problems = Vec::new();
        let mut groups = Vec::new();
        let analyse = |list: &[String]| -> Vec<Phrase> {
            list.iter()
                .map(|t| {
                    text::tokens(&stemmer, t)
                        .map(|tok| tok.term)
                        .collect::<Phrase>()
                })
                .collect()
        };
        for spanned in &parsed.group {
            let spec = spanned.get_ref();
            let group = Group {
                terms: analyse(&spec.terms),
                means: analyse(&spec.means),
            };
            let size = group.terms.len() + group.means.len();
            let empty = group.terms.iter().chain(&group.means).any(Vec::is_empty);
            if group.terms.is_empty() || size < 2 || empty {
                problems.push(Problem::at_span(
                    file,
                    source,
                    1,
                    spanned.span(),
                    "a synonym group needs at least two non-empty terms (in terms, or terms and means)",
                ));
                continue;
            }
            groups.push(group);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Synonyms::from_groups(groups))
    }

    fn from_groups(groups: Vec<Group>) -> Synonyms {
        let mut by_first: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (g, group) in groups.iter().enumerate() {
            for (p, phrase) in group.terms.iter().enumerate() {
                by_first.entry(phrase[0].clone()).or_default().push((g, p));
            }
        }
        Synonyms { groups, by_first }
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The longest phrase of any group that starts at `terms[0]`, with everything it also
    /// searches for (from every group it belongs to).
    pub fn longest_match(&self, terms: &[&str]) -> Option<Match<'_>> {
        let first = terms.first()?;
        let candidates = self.by_first.get(*first)?;
        let fits = |&(g, p): &(usize, usize)| {
            let phrase: &Phrase = &self.groups[g].terms[p];
            phrase.len() <= terms.len() && phrase.iter().zip(terms).all(|(a, b)| a == b)
        };
        let len = candidates
            .iter()
            .filter(|c| fits(c))
            .map(|&(g, p)| self.groups[g].terms[p].len())
            .max()?;
        let mut matched: Option<&Phrase> = None;
        let mut others: Vec<&Phrase> = Vec::new();
        for &(g, p) in candidates.iter().filter(|c| fits(c)) {
            let phrase = &self.groups[g].terms[p];
            if phrase.len() != len {
                continue;
            }
            matched.get_or_insert(phrase);
            let group = &self.groups[g];
            for other in group.terms.iter().chain(&group.means) {
                if other != phrase && !others.contains(&other) {
                    others.push(other);
                }
            }
        }
        Some(Match {
            len,
            matched: matched?,
            others,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synonyms() -> Synonyms {
        Synonyms::parse(
            r#"
[[group]]
terms = ["PTSD", "post-traumatic stress disorder"]

[[group]]
terms = ["vets", "veterans"]

[[group]]
terms = ["painkillers", "pain pills"]
means = ["opioids"]

[[group]]
terms = ["opiates"]
means = ["opioids"]
"#,
            Path::new("synonyms.toml"),
        )
        .unwrap()
    }

    #[test]
    fn longest_phrase_wins_and_others_are_offered() {
        let s = synonyms();
        let m = s
            .longest_match(&["post", "traumat", "stress", "disord", "and"])
            .unwrap();
        assert_eq!(m.len, 4);
        assert_eq!(m.others, vec![&vec!["ptsd".to_string()]]);
        let m = s.longest_match(&["vet"]).unwrap();
        assert_eq!(m.others, vec![&vec!["veteran".to_string()]]);
        assert!(s.longest_match(&["post", "office"]).is_none());
        // One way: painkillers search for opioids, opioids do not search for painkillers.
        let m = s.longest_match(&["painkil"]).unwrap();
        assert!(m.others.contains(&&vec!["opioid".to_string()]));
        assert!(s.longest_match(&["opioid"]).is_none());
        assert!(s.longest_match(&[]).is_none());
    }

    #[test]
    fn the_shipped_groups_keep_distinct_medicines_apart() {
        let source = include_str!("../config/synonyms.toml");
        let s = Synonyms::parse(source, Path::new("config/synonyms.toml")).unwrap();
        let stemmer = Stemmer::default();
        let stem = |w: &str| text::tokens(&stemmer, w).next().unwrap().term;
        let medicines = [
            "oxycodone",
            "fentanyl",
            "morphine",
            "codeine",
            "hydrocodone",
            "heroin",
            "methadone",
            "buprenorphine",
            "naltrexone",
        ];
        let mut checked = 0;
        for m in medicines {
            let Some(found) = s.longest_match(&[stem(m).as_str()]) else {
                continue;
            };
            checked += 1;
            for other in medicines.iter().filter(|o| **o != m) {
                assert!(
                    !found.others.contains(&&vec![stem(other)]),
                    "{m} also searches {other}"
                );
            }
        }
        assert!(checked >= 5, "{checked} medicines have groups");
    }

    #[test]
    fn bad_groups_name_their_line() {
        let src = "[[group]]\nterms = [\"a\", \"b\"]\n\n[[group]]\nterms = [\"only\"]\n";
        let ps = Synonyms::parse(src, Path::new("s.toml")).unwrap_err();
        assert_eq!(ps[0].line, Some(4), "{ps:?}");
        let ps = Synonyms::parse("[[group]]\nterm = []\n", Path::new("s.toml")).unwrap_err();
        assert_eq!(ps[0].line, Some(2), "{ps:?}");
    }
}
