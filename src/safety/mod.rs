//! The safety screen, run before anything else on every message. It reads the message the way a
//! careful moderator would: through disguises ([`normalize`]), by concepts rather than fixed
//! strings ([`lexicon`] word classes, [`rules`] over them), with negation, time and who is at
//! risk. Its verdict, most serious first:
//!
//! - a danger, by tier: an *emergency* (overdose, not breathing), a *crisis* (active ideation, a
//!   plan, self-harm now), a *concern* (passive ideation, hopelessness, burden, farewells), or
//!   *someone else* at risk; also in Spanish, French, German, Portuguese and Italian;
//! - a *topic* question about suicide, self-harm or overdose (answered with the lines first);
//! - *harm reduction* (how to use or get naloxone);
//! - a request for *medical advice* (doses, mixing, how to take, stopping, getting drugs) or a
//!   *diagnosis*;
//! - an ordinary question.
//!
//! The word classes and rules live in `config/safety.toml`, readable and extendable by a
//! moderator. Only this module can make a [`Question`], so no code path can search the library,
//! or compose an answer, for text that was not screened. [`dosing`] is the quote filter that
//! keeps dosing sentences out of every reply.

pub mod dosing;
pub mod learn;
mod learned;
pub mod lexicon;
pub mod model;
pub mod normalize;
pub mod rules;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use crate::problem::Problem;
use crate::text;
use learned::{LearnedSpec, Quiet};
use lexicon::{Lexicon, Mark};
use model::DangerModel;
use normalize::{Normalized, Normalizer};
use rules::{Outcome, Rule, Special, Who};

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

/// How serious a danger is; decides what the reply says first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// An overdose or someone not breathing now, or means at hand with a time.
    Emergency,
    /// Active ideation, a plan, or self-harm now.
    Crisis,
    /// Passive ideation, hopelessness, burden, farewell-like words without a plan.
    Concern,
    /// Another person is at risk; the reply speaks to the helper.
    SomeoneElse,
}

impl Level {
    /// The name used in `--json`, evaluation and logs.
    pub fn name(self) -> &'static str {
        match self {
            Level::Emergency => "emergency",
            Level::Crisis => "crisis",
            Level::Concern => "concern",
            Level::SomeoneElse => "someone_else",
        }
    }
}

/// Someone may be in danger: lines first, no library quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crisis {
    /// The tier.
    pub level: Level,
    /// The message's language when it was not English (`"es"`, `"fr"`, ...), for the reply.
    pub language: Option<String>,
    /// Read by the learned model ([`model`]) where the rules found nothing.
    pub learned: bool,
}

/// What kind of medical advice was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Doses, mixing, how to take, stopping, getting drugs.
    Medication,
    /// "Do I have ...?": a diagnosis.
    Diagnosis,
}

/// The screen's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screened {
    /// Someone may be in danger: lines first, no library quotes.
    Crisis(Crisis),
    /// A question about suicide, self-harm or overdose as a subject: answered from the library
    /// with the crisis lines first.
    Topic(Question),
    /// How to use or get naloxone: the emergency number, the product's instructions, a
    /// pharmacist; no "can't advise" wording.
    HarmReduction(Question),
    /// A request for medical advice or a diagnosis: declined plainly.
    MedicalAdvice(Question, Advice),
    /// An ordinary question for the library.
    Ordinary(Question),
    /// Nothing to answer (no words at all).
    Empty,
}

impl Screened {
    /// The searchable question, whatever the verdict allows to be searched (none for a danger
    /// or an empty message).
    pub fn question(&self) -> Option<&Question> {
        match self {
            Screened::Topic(q)
            | Screened::HarmReduction(q)
            | Screened::MedicalAdvice(q, _)
            | Screened::Ordinary(q) => Some(q),
            Screened::Crisis(_) | Screened::Empty => None,
        }
    }
}

/// A crisis reply in another language (the project's own words, in `safety.toml`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LanguageReply {
    /// The language's name, in English.
    pub name: String,
    /// First line of an emergency reply; `{emergency}` is the region's number.
    pub emergency: String,
    /// First line of a crisis reply; `{emergency}` is the region's number.
    pub crisis: String,
    /// Where to find a line in any country.
    pub directory: String,
    /// The closing line: an article bot, not a helpline.
    pub last: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    normalise: NormaliseSpec,
    classes: BTreeMap<String, Vec<toml::Spanned<String>>>,
    rule: Vec<toml::Spanned<RuleSpec>>,
    #[serde(default)]
    language: BTreeMap<String, LanguageSpec>,
    #[serde(default)]
    learned: LearnedSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormaliseSpec {
    emoji: BTreeMap<String, String>,
    expansions: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    outcome: String,
    all: Vec<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    unless_together: Vec<String>,
    window: Option<usize>,
    #[serde(default)]
    speaker: bool,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    topic_if_asked: bool,
    #[serde(default)]
    asker: bool,
    #[serde(default)]
    told: bool,
    overrule: Option<f32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageSpec {
    reply: LanguageReply,
    emergency: Vec<toml::Spanned<String>>,
    crisis: Vec<toml::Spanned<String>>,
}

/// Classes the evaluator reads, which `safety.toml` must define.
const SPECIAL: [&str; 11] = [
    "member",
    "mine",
    "other",
    "general",
    "negator",
    "contrast",
    "past",
    "present",
    "mention_cue",
    "slang",
    "hypothetical",
];

/// The compiled screen.
#[derive(Debug, Clone)]
pub struct SafetyRules {
    normalizer: Normalizer,
    lexicon: Lexicon,
    rules: Vec<Rule>,
    special: Special,
    /// Classes that carry danger on their own ([`rules::signals`]).
    signals: rules::ClassSet,
    languages: HashMap<String, LanguageReply>,
    /// The learned reading beside the rules (`screen-model.tsv`), when loaded.
    model: Option<DangerModel>,
    /// The class names the learned reading sees: every class, then each class negated
    /// (`not_death_wish`), so "i don't want to die" and "i want to die" are different features.
    model_classes: Vec<String>,
    /// `[learned]`: messages the learned reading leaves to the rules.
    quiet: Quiet,
}

impl SafetyRules {
    /// Parses `safety.toml`; `file` names it in errors. Every problem is reported, with its line.
    pub fn parse(source: &str, file: &Path) -> Result<SafetyRules, Vec<Problem>> {
        let f: File =
            toml::from_str(source).map_err(|e| vec![Problem::from_toml(file, source, 1, &e)])?;
        let mut problems = Vec::new();
        let mut normalizer = Normalizer::default();
        for (k, v) in &f.normalise.emoji {
            let mut chars = k.chars().filter(|c| !matches!(c, '\u{FE00}'..='\u{FE0F}'));
            match (chars.next(), chars.next()) {
                (Some(c), None) => {
                    normalizer.emoji.insert(c, v.to_lowercase());
                }
                _ => problems.push(Problem::new(
                    file,
                    None,
                    format!("[normalise] emoji: {k:?} must be one emoji"),
                )),
            }
        }
        for (k, v) in &f.normalise.expansions {
            normalizer.add_expansion(
                &k.to_lowercase(),
                v.split_whitespace().map(str::to_lowercase).collect(),
            );
        }
        let mut lexicon = Lexicon::default();
        let mut add = |lexicon: &mut Lexicon, class: &str, list: &[toml::Spanned<String>]| {
            let id = lexicon.class(class);
            for phrase in list {
                if let Err(e) = lexicon.add(id, phrase.get_ref(), &normalizer) {
                    problems.push(Problem::at_span(file, source, 1, phrase.span(), e.0));
                }
            }
        };
        for (class, list) in &f.classes {
            add(&mut lexicon, class, list);
        }
        let mut rules = Vec::new();
        let mut languages = HashMap::new();
        // A language's phrases stop where an everyday phrase holds the sentence ("mi ammazzo dal
        // ridere", dying of laughter); the `everyday` class holds those of every language.
        let everyday: Vec<_> = lexicon.find_class("everyday").into_iter().collect();
        for (code, spec) in &f.language {
            for (tier, list, outcome) in [
                ("emergency", &spec.emergency, Outcome::Emergency),
                ("crisis", &spec.crisis, Outcome::Crisis),
            ] {
                let class = format!("{code}_{tier}");
                add(&mut lexicon, &class, list);
                let id = lexicon.class(&class);
                rules.push(Rule {
                    all: vec![id],
                    unless: everyday.clone(),
                    unless_together: Vec::new(),
                    window: None,
                    outcome,
                    language: Some(code.clone()),
                    speaker: true,
                    message: false,
                    topic_if_asked: false,
                    asker: false,
                    told: false,
                    overrule: None,
                    line: 0,
                });
            }
            languages.insert(code.clone(), spec.reply.clone());
        }
        lexicon.finish();
        if lexicon.classes.len() > rules::MAX_CLASSES {
            problems.push(Problem::new(
                file,
                None,
                format!(
                    "{} word classes; at most {} are allowed",
                    lexicon.classes.len(),
                    rules::MAX_CLASSES
                ),
            ));
        }
        let newlines: Vec<usize> = source.match_indices('\n').map(|(at, _)| at).collect();
        for spanned in &f.rule {
            let r = spanned.get_ref();
            let mut class = |name: &String| {
                let id = lexicon.find_class(name);
                if id.is_none() {
                    problems.push(Problem::at_span(
                        file,
                        source,
                        1,
                        spanned.span(),
                        format!("rule names the class `{name}`, which [classes] does not define"),
                    ));
                }
                id
            };
            let all: Vec<_> = r.all.iter().filter_map(&mut class).collect();
            let unless: Vec<_> = r.unless.iter().filter_map(&mut class).collect();
            let unless_together: Vec<_> = r.unless_together.iter().filter_map(&mut class).collect();
            let Some(outcome) = Outcome::parse(&r.outcome) else {
                problems.push(Problem::at_span(
                    file,
                    source,
                    1,
                    spanned.span(),
                    format!(
                        "unknown outcome `{}` (emergency, crisis, concern, harm_reduction, medical_advice, diagnosis, topic)",
                        r.outcome
                    ),
                ));
                continue;
            };
            if r.all.is_empty() {
                problems.push(Problem::at_span(
                    file,
                    source,
                    1,
                    spanned.span(),
                    "a rule needs at least one class in `all`",
                ));
            }
            let message = match r.scope.as_deref() {
                None | Some("sentence") => false,
                Some("message") => true,
                Some(other) => {
                    problems.push(Problem::at_span(
                        file,
                        source,
                        1,
                        spanned.span(),
                        format!("unknown scope `{other}` (sentence or message)"),
                    ));
                    false
                }
            };
            if let Some(bar) = r.overrule
                && !(0.0..=1.0).contains(&bar)
            {
                problems.push(Problem::at_span(
                    file,
                    source,
                    1,
                    spanned.span(),
                    format!("overrule {bar} is not a probability (0 to 1)"),
                ));
            }
            rules.push(Rule {
                all,
                unless,
                unless_together,
                window: r.window,
                outcome,
                language: None,
                speaker: r.speaker,
                message,
                topic_if_asked: r.topic_if_asked,
                asker: r.asker,
                told: r.told,
                overrule: r.overrule,
                line: newlines.partition_point(|&at| at < spanned.span().start) + 1,
            });
        }
        let quiet = Quiet::parse(&f.learned, &lexicon, file, source, &mut problems);
        let special = |name: &str| lexicon.find_class(name);
        let ids: Vec<_> = SPECIAL.iter().map(|n| special(n)).collect();
        for (name, id) in SPECIAL.iter().zip(&ids) {
            if id.is_none() {
                problems.push(Problem::new(
                    file,
                    None,
                    format!("[classes] must define `{name}` (the screen reads it)"),
                ));
            }
        }
        if !rules
            .iter()
            .any(|r| r.outcome == Outcome::Crisis && r.language.is_none())
        {
            problems.push(Problem::new(file, None, "no crisis rule for English"));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let id = |i: usize| ids[i].expect("checked above");
        let mut special = Special {
            member: id(0),
            mine: id(1),
            other: id(2),
            general: id(3),
            negator: id(4),
            contrast: id(5),
            past: id(6),
            present: id(7),
            cue: id(8),
            slang: id(9),
            hypothetical: id(10),
            context_only: [
                "use_context",
                "bleeding_on",
                "wound",
                "talks_about",
                "medication",
            ]
            .iter()
            .filter_map(|c| lexicon.find_class(c))
            .collect(),
            defining: ["info_question", "definition_question"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
            claims: ["idiom", "everyday", "milestone", "content_warning"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
            claimable: rules::ClassSet::default(),
            terms: ["term"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
            timing: ["plan"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
            news: ["settled"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
            asks: ["question_ask"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
            medicines: ["medication"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
            audience: ["audience", "owner"]
                .iter()
                .filter_map(|c| lexicon.find_class(c))
                .collect(),
        };
        let signals = rules::signals(&rules, &special);
        special.claimable = rules::claimable(&rules, &special);
        let model_classes = lexicon
            .classes
            .iter()
            .cloned()
            .chain(lexicon.classes.iter().map(|c| format!("not_{c}")))
            .collect();
        Ok(SafetyRules {
            normalizer,
            lexicon,
            rules,
            special,
            signals,
            languages,
            model: None,
            model_classes,
            quiet,
        })
    }

    /// Whether each mark is negated ("i'm not suicidal"), as the rules and the learned reading
    /// both read it.
    fn negated(&self, n: &Normalized, marks: &[Mark]) -> Vec<bool> {
        rules::negation(&self.special, n, marks)
    }

    /// The classes found as the learned reading sees them: a negated mark is its class's
    /// negated twin in [`SafetyRules::model_classes`]; a danger word an everyday phrase holds
    /// ([`rules::claimed`]) is left out, as the rules leave it out.
    fn model_marks(&self, marks: &[Mark], negated: &[bool]) -> Vec<Mark> {
        let offset = self.lexicon.classes.len() as lexicon::ClassId;
        let claimed = rules::claimed(&self.special, &self.signals, marks);
        marks
            .iter()
            .zip(negated)
            .zip(claimed)
            .filter(|(_, claimed)| !claimed)
            .map(|((m, &negated), _)| Mark {
                class: if negated { m.class + offset } else { m.class },
                ..*m
            })
            .collect()
    }

    /// The message as the screen reads it: its normalised words and the classes found.
    fn read(&self, message: &str) -> (Normalized, Vec<Mark>) {
        let normalized = self.normalizer.normalize(message);
        let ids = self.lexicon.resolve(&normalized);
        let marks = self.lexicon.marks(&normalized, &ids);
        (normalized, marks)
    }

    /// The crisis reply texts for a language other than English.
    pub fn language(&self, code: &str) -> Option<&LanguageReply> {
        self.languages.get(code)
    }

    /// Screens a message. Total: any text gets a verdict, nothing panics; linear in its length.
    pub fn screen(&self, message: &str) -> Screened {
        let (normalized, marks) = self.read(message);
        let negated = self.negated(&normalized, &marks);
        let finding = rules::evaluate(
            &self.rules,
            &self.special,
            &self.signals,
            &normalized,
            &marks,
            &negated,
        );
        if let Some(f) = &finding {
            let level = match (f.outcome, f.who) {
                (Outcome::Emergency, _) => Some(Level::Emergency),
                (Outcome::Crisis | Outcome::Concern, Who::Other) => Some(Level::SomeoneElse),
                (Outcome::Crisis, _) => Some(Level::Crisis),
                (Outcome::Concern, _) => Some(Level::Concern),
                _ => None,
            };
            if let Some(level) = level {
                let sharpened = self.sharpened(level, &normalized, &marks, &negated);
                return Screened::Crisis(Crisis {
                    level: sharpened,
                    language: f.language.clone(),
                    learned: sharpened != level,
                });
            }
        }
        if let Some(level) = self.learned(&normalized, &marks, &negated, finding.as_ref()) {
            return Screened::Crisis(Crisis {
                level,
                language: None,
                learned: true,
            });
        }
        let text = question_text(message);
        // Invisible and control characters are never letters, so a message has words exactly
        // when its visible text does (the prefix is enough unless it has none).
        if finding.is_none()
            && text::words(&text).next().is_none()
            && text::words(message).next().is_none()
        {
            return Screened::Empty;
        }
        let question = Question { text };
        match finding.map(|f| f.outcome) {
            Some(Outcome::Topic) => Screened::Topic(question),
            Some(Outcome::HarmReduction) => Screened::HarmReduction(question),
            Some(Outcome::MedicalAdvice) => Screened::MedicalAdvice(question, Advice::Medication),
            Some(Outcome::Diagnosis) => Screened::MedicalAdvice(question, Advice::Diagnosis),
            _ => Screened::Ordinary(question),
        }
    }

    /// The rule that decided a message, for `lantern screen`: its outcome and its line in
    /// `safety.toml` (0 for a language's phrase list); `None` when no rule fired.
    pub fn fired(&self, message: &str) -> Option<(&'static str, usize)> {
        let (n, marks) = self.read(message);
        let negated = self.negated(&n, &marks);
        rules::evaluate(
            &self.rules,
            &self.special,
            &self.signals,
            &n,
            &marks,
            &negated,
        )
        .map(|f| (f.outcome.name(), f.line))
    }

    /// The classes found in a message, for `lantern screen --explain` and tests: each class
    /// name with the words it covered.
    pub fn explain(&self, message: &str) -> Vec<(String, String)> {
        let (n, marks) = self.read(message);
        marks
            .into_iter()
            .map(|m| {
                let words: Vec<&str> = n.tokens[m.start..m.end].iter().map(|t| n.form(t)).collect();
                (
                    self.lexicon.classes[m.class as usize].clone(),
                    words.join(" "),
                )
            })
            .collect()
    }
}

/// A verdict's name, as `lantern screen` and the evaluation print it.
pub fn verdict_name(s: &Screened) -> String {
    match s {
        Screened::Crisis(c) => match (&c.language, c.learned) {
            (Some(l), _) => format!("{} ({l})", c.level.name()),
            (None, true) => format!("{} (learned)", c.level.name()),
            (None, false) => c.level.name().to_string(),
        },
        Screened::Topic(_) => "topic".into(),
        Screened::HarmReduction(_) => "harm_reduction".into(),
        Screened::MedicalAdvice(_, Advice::Medication) => "medical_advice".into(),
        Screened::MedicalAdvice(_, Advice::Diagnosis) => "diagnosis".into(),
        Screened::Ordinary(_) => "ordinary".into(),
        Screened::Empty => "empty".into(),
    }
}

/// The question a message asks: its visible text (`text::visible`), trimmed, at most
/// `MAX_QUESTION_CHARS` characters. Reads only as far as the limit, so a long vent costs no more
/// than a short one here.
fn question_text(message: &str) -> String {
    let mut chars = text::visible_chars(message).skip_while(|c| c.is_whitespace());
    let mut out: String = chars.by_ref().take(MAX_QUESTION_CHARS).collect();
    if chars.all(char::is_whitespace) {
        out.truncate(out.trim_end().len());
    }
    out
}

#[cfg(test)]
mod tests;
