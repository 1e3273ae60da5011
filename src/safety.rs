//! The safety screen, run before anything else: is the message a crisis (suicidal intent,
//! self-harm, an overdose, someone not breathing), a request for medical advice (doses, tapering,
//! starting, stopping or mixing medications or substances, getting drugs without a
//! prescription), or an ordinary question? Phrase lists live in `config/safety.toml`.
//!
//! Only this module can make a [`Question`], so no code path can search the library, or compose
//! an answer, for text that was not screened.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::problem::Problem;
use crate::text;

/// Longest question text kept for retrieval and display (the whole message is still screened).
pub const MAX_QUESTION_CHARS: usize = 1000;

/// A message that passed the screen as something to look up. Only [`SafetyRules::screen`] makes
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    text: String,
}

impl Question {
    /// The question as the member wrote it (invisible characters removed, at most
    /// [`MAX_QUESTION_CHARS`]).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Why a message is a crisis; decides which lines come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crisis {
    /// Suicidal intent or self-harm.
    SelfHarm,
    /// An overdose or someone not breathing: a medical emergency.
    Emergency,
}

/// The screen's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screened {
    /// Someone may be in danger: crisis lines first, no library quotes.
    Crisis(Crisis),
    /// A request for medical advice: decline plainly, general information may follow.
    MedicalAdvice(Question),
    /// An ordinary question for the library.
    Ordinary(Question),
    /// Nothing to answer (no words at all).
    Empty,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    crisis: PhraseList,
    emergency: PhraseList,
    medical_advice: MedicalSpec,
    mention: MentionSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseList {
    phrases: Vec<toml::Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MedicalSpec {
    phrases: Vec<toml::Spanned<String>>,
    requests: Vec<toml::Spanned<String>>,
    substances: Vec<toml::Spanned<String>>,
    units: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MentionSpec {
    cues: Vec<String>,
}

/// Phrases as word sequences; `None` is a `*` gap of up to three words.
#[derive(Debug, Clone, Default)]
struct Phrases {
    by_first: HashMap<String, Vec<Vec<Option<String>>>>,
}

const GAP: usize = 3;

impl Phrases {
    fn compile(
        list: &[toml::Spanned<String>],
        source: &str,
        file: &Path,
        problems: &mut Vec<Problem>,
    ) -> Phrases {
        let mut p = Phrases::default();
        for spanned in list {
            let words: Vec<Option<String>> = spanned
                .get_ref()
                .split_whitespace()
                .map(|w| {
                    if w == "*" {
                        None
                    } else {
                        Some(text::normalize(w))
                    }
                })
                .collect();
            let bad_word = words.iter().flatten().any(|w| {
                let parts: Vec<_> = text::words(w).collect();
                parts.len() != 1 || parts[0].raw != w
            });
            if words.first().is_none_or(Option::is_none) || bad_word {
                problems.push(Problem::at_span(
                    file,
                    source,
                    1,
                    spanned.span(),
                    "a phrase must start with a word and contain only words and `*`",
                ));
                continue;
            }
            let first = words[0].clone().expect("checked above");
            p.by_first.entry(first).or_default().push(words);
        }
        p
    }

    /// Whether any phrase occurs in `words`.
    fn any_in(&self, words: &[&str]) -> bool {
        (0..words.len()).any(|i| {
            self.by_first
                .get(words[i])
                .is_some_and(|list| list.iter().any(|p| matches_at(p, &words[i..])))
        })
    }
}

fn matches_at(phrase: &[Option<String>], words: &[&str]) -> bool {
    match phrase.split_first() {
        None => true,
        Some((None, rest)) => {
            (0..=GAP.min(words.len())).any(|skip| matches_at(rest, &words[skip..]))
        }
        Some((Some(w), rest)) => {
            words.first().is_some_and(|first| first == w) && matches_at(rest, &words[1..])
        }
    }
}

/// The compiled screen.
#[derive(Debug, Clone, Default)]
pub struct SafetyRules {
    crisis: Phrases,
    emergency: Phrases,
    medical: Phrases,
    requests: Phrases,
    substances: Phrases,
    units: Vec<String>,
    cues: Vec<String>,
}

impl SafetyRules {
    /// Parses `safety.toml`; `file` names it in errors.
    pub fn parse(source: &str, file: &Path) -> Result<SafetyRules, Vec<Problem>> {
        let f: File =
            toml::from_str(source).map_err(|e| vec![Problem::from_toml(file, source, 1, &e)])?;
        let mut problems = Vec::new();
        let rules = SafetyRules {
            crisis: Phrases::compile(&f.crisis.phrases, source, file, &mut problems),
            emergency: Phrases::compile(&f.emergency.phrases, source, file, &mut problems),
            medical: Phrases::compile(&f.medical_advice.phrases, source, file, &mut problems),
            requests: Phrases::compile(&f.medical_advice.requests, source, file, &mut problems),
            substances: Phrases::compile(&f.medical_advice.substances, source, file, &mut problems),
            units: f
                .medical_advice
                .units
                .iter()
                .map(|u| text::normalize(u))
                .collect(),
            cues: f.mention.cues.iter().map(|c| text::normalize(c)).collect(),
        };
        if f.crisis.phrases.is_empty() || f.emergency.phrases.is_empty() {
            problems.push(Problem::new(
                file,
                None,
                "the crisis and emergency phrase lists must not be empty",
            ));
        }
        if problems.is_empty() {
            Ok(rules)
        } else {
            Err(problems)
        }
    }

    /// Screens a message. Total: any text gets a verdict, nothing panics.
    pub fn screen(&self, message: &str) -> Screened {
        let normalized = text::normalize(message);
        let screened_text = if self.is_about_language(&normalized) {
            without_quoted(&normalized)
        } else {
            normalized.clone()
        };
        let words: Vec<&str> = text::words(&screened_text).map(|w| w.raw).collect();
        if self.emergency.any_in(&words) {
            return Screened::Crisis(Crisis::Emergency);
        }
        if self.crisis.any_in(&words) {
            return Screened::Crisis(Crisis::SelfHarm);
        }
        let all_words = text::words(&normalized).count();
        if all_words == 0 {
            return Screened::Empty;
        }
        let question = Question {
            text: truncate_chars(text::visible(message).trim(), MAX_QUESTION_CHARS),
        };
        let dose_unit = words.windows(2).any(|w| self.is_dose(w[0], Some(w[1])))
            || words.iter().any(|w| self.is_dose(w, None));
        let asks_about_substance = self.requests.any_in(&words) && self.substances.any_in(&words);
        if dose_unit || self.medical.any_in(&words) || asks_about_substance {
            Screened::MedicalAdvice(question)
        } else {
            Screened::Ordinary(question)
        }
    }

    /// "8mg", "8 mg", "0.5mg": a number with a dose unit.
    fn is_dose(&self, word: &str, next: Option<&str>) -> bool {
        let unit_after_number = |w: &str| {
            let digits = w.trim_end_matches(|c: char| c.is_alphabetic());
            !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && self.units.iter().any(|u| &w[digits.len()..] == u)
        };
        match next {
            Some(unit) => {
                word.chars().all(|c| c.is_ascii_digit()) && self.units.iter().any(|u| u == unit)
            }
            None => unit_after_number(word),
        }
    }

    /// A question about what words mean ("what does 'kill the pain' mean?") with quoted text.
    fn is_about_language(&self, normalized: &str) -> bool {
        let outside = without_quoted(normalized);
        outside.len() < normalized.len()
            && text::words(&outside).any(|w| self.cues.iter().any(|c| c == w.raw))
    }
}

/// The text with quoted spans ("..." and '...') removed.
fn without_quoted(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = match c {
            '"' => true,
            '\'' => i == 0 || !chars[i - 1].is_alphanumeric(),
            _ => false,
        };
        if opens {
            let close = (i + 1..chars.len()).find(|&j| {
                chars[j] == c && (c == '"' || chars.get(j + 1).is_none_or(|n| !n.is_alphanumeric()))
            });
            if let Some(j) = close {
                out.push(' ');
                i = j + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
[crisis]
phrases = ["kill myself", "end my life", "want to die", "kms", "hurt myself", "suicidal", "going to * end it"]
[emergency]
phrases = ["overdosed", "not breathing", "took too many"]
[medical_advice]
phrases = ["dose", "taper", "without a prescription"]
requests = ["can i", "should i", "how much", "is it safe"]
substances = ["methadone", "suboxone", "naltrexone", "alcohol"]
units = ["mg", "ml"]
[mention]
cues = ["mean", "meaning"]
"#;

    fn rules() -> SafetyRules {
        SafetyRules::parse(RULES, Path::new("safety.toml")).unwrap()
    }

    fn label(text: &str) -> &'static str {
        match rules().screen(text) {
            Screened::Crisis(Crisis::SelfHarm) => "crisis",
            Screened::Crisis(Crisis::Emergency) => "emergency",
            Screened::MedicalAdvice(_) => "medical",
            Screened::Ordinary(_) => "ordinary",
            Screened::Empty => "empty",
        }
    }

    #[test]
    fn screen_labels() {
        let cases = [
            ("I'm going to end my life", "crisis"),
            ("i want to die", "crisis"),
            ("KMS", "crisis"),
            ("I’m going to just end it", "crisis"),
            ("i think i overdosed", "emergency"),
            ("my friend is NOT breathing!!", "emergency"),
            ("how much methadone is a safe starting dose?", "medical"),
            ("can I drink alcohol while on naltrexone", "medical"),
            ("should i lower my suboxone dose myself", "medical"),
            ("is 8mg a lot", "medical"),
            ("is 8 mg a lot", "medical"),
            ("where to get suboxone without a prescription", "medical"),
            ("what is methadone", "ordinary"),
            ("what does 'kill the pain' mean?", "ordinary"),
            ("what does \"end my life\" mean", "ordinary"),
            ("what does 'taper' mean", "ordinary"),
            ("my friend said 'i want to die'", "crisis"),
            ("don't want to kill myself", "crisis"),
            ("", "empty"),
            ("🙂 🙂", "empty"),
            ("\u{200B}\u{202E}", "empty"),
        ];
        for (text, expected) in cases {
            assert_eq!(label(text), expected, "{text:?}");
        }
    }

    #[test]
    fn meaning_cue_only_unscreens_quoted_words() {
        // The phrase is in quotes, but no cue asks what it means: screened as written.
        assert_eq!(label("he said \"i want to die\""), "crisis");
        // A cue, and the phrase is outside the quotes: still a crisis.
        assert_eq!(label("what does 'numb' mean, i want to die"), "crisis");
    }

    #[test]
    fn questions_keep_visible_text_and_are_capped() {
        let long = "why ".repeat(MAX_QUESTION_CHARS);
        let Screened::Ordinary(q) = rules().screen(&format!("a\u{200B}b {long}")) else {
            panic!("ordinary expected");
        };
        assert!(q.text().starts_with("ab why"));
        assert_eq!(q.text().chars().count(), MAX_QUESTION_CHARS);
    }

    #[test]
    fn bad_phrases_name_their_line() {
        let src = RULES.replace("\"kms\"", "\"* kms\"");
        let ps = SafetyRules::parse(&src, Path::new("safety.toml")).unwrap_err();
        assert_eq!(ps[0].line, Some(3), "{ps:?}");
    }
}
