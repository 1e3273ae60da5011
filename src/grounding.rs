//! Grounding and breathing exercises (`config/grounding.toml`) for `/ground`: the project's own
//! fixed text, each exercise naming its source, shown one step at a time. Pure: parsed text in,
//! step replies out (the Discord layer adds the "Next" button).

use std::path::Path;

use serde::Deserialize;

use crate::problem::Problem;
use crate::reply::{Block, Disclaimer, Kind, Reply};

/// One exercise.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// What `/ground exercise:` takes.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it helps with.
    pub helps: String,
    /// The technique it follows and where that is described.
    pub source: String,
    /// One message each.
    pub steps: Vec<String>,
    /// Words (or phrases) in a message that make a concern or crisis reply offer this exercise;
    /// a word ending in `*` matches every word that starts with it ("dissociat*" matches
    /// "dissociating").
    #[serde(default)]
    pub offered_for: Vec<String>,
}

/// Every exercise, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grounding {
    /// The exercises.
    pub exercises: Vec<Exercise>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    exercise: Vec<Exercise>,
}

/// Longest step, in characters (a step is one short message).
const STEP_CHARS: usize = 600;

impl Grounding {
    /// Parses `grounding.toml`; `file` names it in problems.
    pub fn parse(source: &str, file: &Path) -> Result<Grounding, Vec<Problem>> {
        let parsed: File =
            toml::from_str(source).map_err(|e| vec![Problem::from_toml(file, source, 1, &e)])?;
        let mut problems = Vec::new();
        let line_of = |needle: &str| {
            source
                .lines()
                .position(|l| l.contains(needle))
                .map(|i| i + 1)
        };
        let mut seen = std::collections::HashSet::new();
        for e in &parsed.exercise {
            let line = line_of(&format!("\"{}\"", e.id));
            if e.id.is_empty() || !e.id.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                problems.push(Problem::new(
                    file,
                    line,
                    "an exercise id is lowercase letters and `-`",
                ));
            }
            if !seen.insert(e.id.as_str()) {
                problems.push(Problem::new(
                    file,
                    line,
                    format!("exercise {:?} twice", e.id),
                ));
            }
            if e.steps.is_empty() || e.source.trim().is_empty() {
                problems.push(Problem::new(
                    file,
                    line,
                    format!("exercise {:?} needs steps and its source", e.id),
                ));
            }
            if e.steps.iter().any(|s| s.chars().count() > STEP_CHARS) {
                problems.push(Problem::new(
                    file,
                    line,
                    format!(
                        "exercise {:?} has a step over {STEP_CHARS} characters",
                        e.id
                    ),
                ));
            }
        }
        if parsed.exercise.is_empty() {
            problems.push(Problem::new(file, None, "no [[exercise]]"));
        }
        if problems.is_empty() {
            Ok(Grounding {
                exercises: parsed.exercise,
            })
        } else {
            Err(problems)
        }
    }

    /// The exercises Lantern ships (`config/grounding.toml` as built), for a configuration
    /// folder without the file.
    pub fn shipped() -> Grounding {
        let source = include_str!("../config/grounding.toml");
        // A test parses the same file, so this cannot fail in a build that passed its tests.
        Grounding::parse(source, Path::new("config/grounding.toml")).unwrap_or_default()
    }

    /// An exercise by id (or the first one).
    pub fn find(&self, id: Option<&str>) -> Option<usize> {
        match id.map(str::trim).filter(|s| !s.is_empty()) {
            None => (!self.exercises.is_empty()).then_some(0),
            Some(id) => self
                .exercises
                .iter()
                .position(|e| e.id == id.to_lowercase() || e.name.eq_ignore_ascii_case(id)),
        }
    }

    /// The exercise a concern or crisis reply may offer for `message`: the first whose
    /// `offered_for` words it uses (feeling unreal or far away, panic), or `None`.
    pub fn offer(&self, message: &str) -> Option<usize> {
        let fold = |text: &str| -> Vec<String> {
            crate::text::words(text)
                .map(|w| crate::text::fold_word(w.raw).replace('\'', ""))
                .collect()
        };
        let words = fold(message);
        let matches = |word: &str, pattern: &str| match pattern.strip_suffix('*') {
            Some(prefix) => word.starts_with(prefix),
            None => word == pattern,
        };
        self.exercises.iter().position(|e| {
            e.offered_for.iter().any(|phrase| {
                // `words` drops the `*`: the phrase's own words, each marked if it had one.
                let mut patterns = fold(phrase);
                for (pattern, raw) in patterns.iter_mut().zip(phrase.split_whitespace()) {
                    if raw.ends_with('*') {
                        pattern.push('*');
                    }
                }
                !patterns.is_empty()
                    && words
                        .windows(patterns.len())
                        .any(|window| window.iter().zip(&patterns).all(|(w, p)| matches(w, p)))
            })
        })
    }

    /// Step `step` of exercise `exercise` as a reply, and whether a next step follows; `None`
    /// when there is no such step. The first step names the exercise, the last its source.
    pub fn step(
        &self,
        exercise: usize,
        step: usize,
        disclaimer: Disclaimer,
    ) -> Option<(Reply, bool)> {
        let e = self.exercises.get(exercise)?;
        let text = e.steps.get(step)?;
        let last = step + 1 == e.steps.len();
        let mut body = String::new();
        if step == 0 {
            body.push_str(&format!("**{}**\n", e.name));
        }
        body.push_str(&format!("*Step {} of {}.* {text}", step + 1, e.steps.len()));
        if last {
            body.push_str(&format!(
                "\n\nFrom: {} If you are in danger or thinking of hurting yourself, the lines below are there right now.",
                e.source
            ));
        }
        let reply = Reply::new(
            Kind::Grounding,
            vec![Block::Text { text: body }],
            disclaimer,
        );
        Some((reply, !last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disclaimer() -> Disclaimer {
        let source = include_str!("../config/resources.toml");
        crate::resources::Resources::parse(source, Path::new("resources.toml"))
            .expect("shipped resources")
            .disclaimer("US")
    }

    fn text_of(reply: &Reply) -> String {
        reply
            .blocks()
            .iter()
            .map(|b| match b {
                Block::Text { text } => text.clone(),
                _ => String::new(),
            })
            .collect()
    }

    fn shipped() -> Grounding {
        let source = include_str!("../config/grounding.toml");
        Grounding::parse(source, Path::new("config/grounding.toml")).expect("shipped file")
    }

    #[test]
    fn the_built_in_exercises_are_the_shipped_file() {
        assert_eq!(Grounding::shipped(), shipped());
    }

    #[test]
    fn the_shipped_exercises_each_name_a_source_and_step_to_the_end() {
        let g = shipped();
        assert!(g.exercises.len() >= 3);
        for (i, e) in g.exercises.iter().enumerate() {
            assert_eq!(g.find(Some(&e.id)), Some(i));
            for s in 0..e.steps.len() {
                let (reply, more) = g.step(i, s, disclaimer()).unwrap();
                assert_eq!(more, s + 1 < e.steps.len());
                let text = text_of(&reply);
                assert!(text.contains(&format!("Step {} of", s + 1)), "{text}");
                if !more {
                    assert!(text.contains(&e.source), "the last step names the source");
                }
            }
            assert!(g.step(i, e.steps.len(), disclaimer()).is_none());
        }
        assert_eq!(g.find(None), Some(0));
        assert_eq!(g.find(Some("nope")), None);
    }

    #[test]
    fn danger_replies_offer_an_exercise_for_unreality_and_panic_only() {
        let g = shipped();
        let senses = g.find(Some("senses"));
        let box_ = g.find(Some("box"));
        for (message, offered) in [
            (
                "i keep dissociating and nothing feels real, i cant cope",
                senses,
            ),
            (
                "everything feels unreal and far away, like im floating outside my body",
                senses,
            ),
            ("having a PANIC attack and i want it all to stop", box_),
            (
                "my heart is racing and i can't calm down, i want to disappear",
                box_,
            ),
            ("i want to die", None),
            ("nobody would miss me if i was gone", None),
        ] {
            assert_eq!(g.offer(message), offered, "{message}");
        }
    }

    #[test]
    fn broken_files_are_refused_with_a_line() {
        let e = Grounding::parse(
            "[[exercise]]\nid = \"Bad Id\"\nname = \"x\"\nhelps = \"x\"\nsource = \"\"\nsteps = []\n",
            Path::new("g.toml"),
        )
        .unwrap_err();
        let text: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("g.toml:2")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("needs steps")), "{text:?}");
    }
}
