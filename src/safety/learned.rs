//! How the screen consults its learned reading ([`super::model`]): where it may speak, which
//! tier its heads choose, and the view `lantern screen` prints.

use std::path::Path;

use serde::Deserialize;

use super::lexicon::{Lexicon, Mark};
use super::model::{self, DangerModel};
use super::normalize::Normalized;
use super::rules::{ClassSet, Outcome};
use super::{Level, SafetyRules};
use crate::problem::Problem;

impl SafetyRules {
    /// The screen with a learned model beside the rules.
    pub fn with_model(mut self, model: DangerModel) -> SafetyRules {
        self.model = Some(model);
        self
    }

    /// The learned model, if one is loaded.
    pub fn model(&self) -> Option<&DangerModel> {
        self.model.as_ref()
    }

    /// The learned model's reading of a message where the rules found `outcome`: a danger tier
    /// when the model is loaded, may speak (the rules found no danger, topic or naloxone
    /// reading) and reaches its threshold.
    pub(super) fn learned(
        &self,
        n: &Normalized,
        marks: &[Mark],
        negated: &[bool],
        outcome: Option<Outcome>,
    ) -> Option<Level> {
        let model = self.model.as_ref()?;
        if matches!(outcome, Some(Outcome::Topic | Outcome::HarmReduction))
            || n.tokens.is_empty()
            || self.quiet.applies(marks, negated)
        {
            return None;
        }
        let r = model.read(n, &self.model_marks(marks, negated), &self.model_classes);
        if !r.is_danger(model.threshold) {
            return None;
        }
        Some(if r.emergency >= 0.5 {
            Level::Emergency
        } else if r.someone_else >= 0.5 {
            Level::SomeoneElse
        } else if r.crisis >= 0.5 {
            Level::Crisis
        } else {
            Level::Concern
        })
    }

    /// The learned model's reading of a message, with the weights on the danger head of the
    /// features it knows, strongest first (for `lantern screen`); `None` without a model.
    pub fn learned_reading(&self, message: &str) -> Option<(model::Reading, Vec<(String, f32)>)> {
        let model = self.model.as_ref()?;
        let (n, marks) = self.read(message);
        let marks = self.model_marks(&marks, &self.negated(&n, &marks));
        let classes = &self.model_classes;
        Some((
            model.read(&n, &marks, classes),
            model.contributions(&n, &marks, classes),
        ))
    }
}

/// `[learned]` in `safety.toml`: where the learned reading keeps quiet.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LearnedSpec {
    /// A message with one of these classes ...
    #[serde(default)]
    quiet_with: Vec<toml::Spanned<String>>,
    /// ... and none of these is left to the rules alone.
    #[serde(default)]
    quiet_unless: Vec<toml::Spanned<String>>,
}

/// Messages the learned reading leaves to the rules: those with a class of `with` and none of
/// `unless` ("anyone want to body double in vc tonight?" is an invitation, not a plan).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Quiet {
    with: ClassSet,
    unless: ClassSet,
}

impl Quiet {
    /// Reads `[learned]`; a class the lexicon does not define is a problem at its line.
    pub(super) fn parse(
        spec: &LearnedSpec,
        lexicon: &Lexicon,
        file: &Path,
        source: &str,
        problems: &mut Vec<Problem>,
    ) -> Quiet {
        let mut set = |key: &str, names: &[toml::Spanned<String>]| {
            let mut set = ClassSet::default();
            for name in names {
                match lexicon.find_class(name.get_ref()) {
                    Some(id) => set.insert(id),
                    None => problems.push(Problem::at_span(
                        file,
                        source,
                        1,
                        name.span(),
                        format!(
                            "[learned] {key} names the class `{}`, which [classes] does not define",
                            name.get_ref()
                        ),
                    )),
                }
            }
            set
        };
        Quiet {
            with: set("quiet_with", &spec.quiet_with),
            unless: set("quiet_unless", &spec.quiet_unless),
        }
    }

    pub(super) fn applies(&self, marks: &[Mark], negated: &[bool]) -> bool {
        let live = || {
            marks
                .iter()
                .zip(negated)
                .filter(|(_, n)| !**n)
                .map(|(m, _)| m.class)
        };
        live().any(|c| self.with.contains(c)) && !live().any(|c| self.unless.contains(c))
    }
}
