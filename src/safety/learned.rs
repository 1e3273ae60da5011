//! How the screen consults its learned reading ([`super::model`]): where it may speak, which
//! tier its heads choose, and the view `lantern screen` prints.

use std::path::Path;

use serde::Deserialize;

use super::lexicon::{Lexicon, Mark};
use super::model::{self, DangerModel};
use super::normalize::Normalized;
use super::rules::{ClassSet, Finding, Outcome};
use super::{Level, SafetyRules};
use crate::problem::Problem;

/// How sure the learned reading must be to overrule a topic reading of the rules. A long message
/// can hold a topic sentence ("i was 2 years free from cutting") and, further on, danger no rule
/// spells out ("did it again this morning ... planning on more tonight"). Measured over every
/// safety set: at 0.97 six danger messages read as topics became danger and three recovery
/// stories already misread as topics became concerns; at 0.9 an off-topic idiom ("career suicide
/// speedrun") and old grief became concerns too.
const OVER_TOPIC: f32 = 0.97;

/// How sure the learned emergency head must be to raise a crisis or concern the rules found to an
/// emergency ("gun's loaded and in my lap. i said 11pm. it's 10:52": means at hand with a time no
/// rule spells out). Measured over every safety set: at 0.7, 39 of 64 emergency cases the rules
/// read as crisis or concern became emergencies and no other case did; at 0.5 two did.
const RAISE_TO_EMERGENCY: f32 = 0.7;

/// How sure the learned reading must be to call a question that names a medicine, and holds no
/// word of danger, a danger. Its training holds few medicine questions in other languages, and
/// it read most of them ("la quetiapina me la tomo en la noche o en la mañana?") as concerns.
/// Measured over every set: at 0.9, 26 such misreadings became the rules' reading (mostly in the
/// held-out medicine sets in five languages) and no danger case was lost; at 0.97, four were.
const MEDICINE_QUESTION: f32 = 0.9;

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

    /// The learned model's reading of a message where the rules found `finding`: a danger tier
    /// when the model is loaded, may speak (the rules found no danger or naloxone reading) and
    /// reaches its threshold ([`OVER_TOPIC`] over a topic reading, the rule's own
    /// [`Rule::overrule`](super::rules::Rule::overrule) where it has one).
    pub(super) fn learned(
        &self,
        n: &Normalized,
        marks: &[Mark],
        negated: &[bool],
        finding: Option<&Finding>,
    ) -> Option<Level> {
        let model = self.model.as_ref()?;
        let outcome = finding.map(|f| f.outcome);
        if matches!(outcome, Some(Outcome::HarmReduction))
            || n.tokens.is_empty()
            || self.quiet.applies(marks, negated)
        {
            return None;
        }
        let r = model.read(n, &self.model_marks(marks, negated), &self.model_classes);
        // A question that names a medicine and holds no word of danger is the rules' to read
        // unless the learned reading is near sure.
        let medicine_question = !n.questions.is_empty()
            && marks
                .iter()
                .any(|m| self.special.medicines.contains(&m.class))
            && !marks
                .iter()
                .zip(negated)
                .any(|(m, &neg)| !neg && self.signals.contains(m.class));
        if medicine_question && r.danger < MEDICINE_QUESTION {
            return None;
        }
        if !r.is_danger(model.threshold)
            || (outcome == Some(Outcome::Topic) && r.danger < OVER_TOPIC)
            || finding
                .and_then(|f| f.overrule)
                .is_some_and(|bar| r.danger < bar)
        {
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

    /// The rules' tier, raised to an emergency where the learned emergency head is near sure
    /// ([`RAISE_TO_EMERGENCY`]); other tiers, and every tier without a model, as they are.
    pub(super) fn sharpened(
        &self,
        level: Level,
        n: &Normalized,
        marks: &[Mark],
        negated: &[bool],
    ) -> Level {
        let Some(model) = self.model.as_ref() else {
            return level;
        };
        if !matches!(level, Level::Crisis | Level::Concern) {
            return level;
        }
        let r = model.read(n, &self.model_marks(marks, negated), &self.model_classes);
        if r.is_danger(model.threshold) && r.emergency >= RAISE_TO_EMERGENCY {
            Level::Emergency
        } else {
            level
        }
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

    /// Whether the learned reading keeps quiet: a live (not negated) mark of `with`, and no live
    /// mark of `unless` outside every `with` mark ("cliff jumping at the quarry": the jump is
    /// part of the everyday phrase).
    pub(super) fn applies(&self, marks: &[Mark], negated: &[bool]) -> bool {
        let live = || {
            marks
                .iter()
                .zip(negated)
                .filter(|(_, n)| !**n)
                .map(|(m, _)| m)
        };
        let quiet: Vec<&Mark> = live().filter(|m| self.with.contains(m.class)).collect();
        if quiet.is_empty() {
            return false;
        }
        // Marks come sorted by start, so one sweep finds each `unless` mark's cover: linear.
        let (mut next, mut covered_to) = (0, 0);
        !live().any(|m| {
            while next < quiet.len() && quiet[next].start <= m.start {
                covered_to = covered_to.max(quiet[next].end);
                next += 1;
            }
            self.unless.contains(m.class) && covered_to < m.end
        })
    }
}
