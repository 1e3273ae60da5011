//! Rules over word classes: a rule fires when all its classes occur in one sentence (within a
//! window of words, when it sets one) and none of its `unless` classes does. Danger rules also
//! read negation ("i'm not suicidal"), time ("years ago" is not now) and who is at risk (the
//! member, someone they name, or people in general). The verdict is the most serious outcome
//! that fired. Linear in the message: each sentence is looked at once per rule.

use super::lexicon::{ClassId, Mark};
use super::normalize::Normalized;

/// What a rule concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// An overdose or someone not breathing now, or means at hand with a time.
    Emergency,
    /// Active ideation, a plan, self-harm now.
    Crisis,
    /// Passive ideation, hopelessness, burden, farewell-like words.
    Concern,
    /// How to use or get naloxone, with no emergency.
    HarmReduction,
    /// Doses, mixing, how to take, stopping, getting drugs.
    MedicalAdvice,
    /// "Do I have ...?"
    Diagnosis,
    /// A question about suicide, self-harm or overdose as a subject.
    Topic,
}

impl Outcome {
    const ALL: [(&'static str, Outcome); 7] = [
        ("emergency", Outcome::Emergency),
        ("crisis", Outcome::Crisis),
        ("concern", Outcome::Concern),
        ("harm_reduction", Outcome::HarmReduction),
        ("medical_advice", Outcome::MedicalAdvice),
        ("diagnosis", Outcome::Diagnosis),
        ("topic", Outcome::Topic),
    ];

    /// Parses a rule's `outcome`.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.iter().find(|(n, _)| *n == s).map(|(_, o)| *o)
    }

    /// The outcome's name, as a rule writes it.
    pub fn name(self) -> &'static str {
        Outcome::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("", |(n, _)| n)
    }

    fn is_danger(self) -> bool {
        matches!(
            self,
            Outcome::Emergency | Outcome::Crisis | Outcome::Concern
        )
    }
}

/// Who a danger is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The member.
    Member,
    /// Someone they name (a friend, "she").
    Other,
    /// People in general ("veterans", "someone who").
    General,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Classes that must all occur (a class named twice must occur twice).
    pub all: Vec<ClassId>,
    /// Classes that stop the rule.
    pub unless: Vec<ClassId>,
    /// Classes that stop the rule when they all occur ("lol" with "this song": a joke).
    pub unless_together: Vec<ClassId>,
    /// Most words from the first to the last mark, when set.
    pub window: Option<usize>,
    /// The conclusion.
    pub outcome: Outcome,
    /// The language of the rule's phrases (`None`: English).
    pub language: Option<String>,
    /// The speaker is the one at risk, whoever else the sentence names ("everyone would be
    /// better off without me").
    pub speaker: bool,
    /// Its classes may be spread over the whole message, not one sentence.
    pub message: bool,
    /// A question (or a hypothetical) that names no person reads as a topic ("can dissociation
    /// make self harm worse?").
    pub topic_if_asked: bool,
    /// People in general in a question are the asker ("how much of it kills you", "if you
    /// wanted it to be the last dose you ever take": method-seeking, not a topic).
    pub asker: bool,
    /// Holds only where it is told, not asked: a question in the rule's sentence stops it ("i mix
    /// my methadone with benzos" is a risky use; "can i mix my methadone with benzos?" is a
    /// question for a pharmacist).
    pub told: bool,
    /// How sure the learned reading must be to overrule this rule's outcome with a danger
    /// (`None`: its own threshold).
    pub overrule: Option<f32>,
    /// Where the rule is written in `safety.toml` (its line; 0 for a language's phrase list).
    pub line: usize,
}

/// Classes the evaluator itself reads.
#[derive(Debug, Clone)]
pub struct Special {
    /// The member: i, me, myself.
    pub member: ClassId,
    /// The member's own: my, mine (never the subject of a sentence).
    pub mine: ClassId,
    /// Someone named: my friend, she, him.
    pub other: ClassId,
    /// People in general.
    pub general: ClassId,
    /// not, never, no.
    pub negator: ClassId,
    /// Words that end negation's reach ("but", "just").
    pub contrast: ClassId,
    /// years ago, when i was, used to.
    pub past: ClassId,
    /// now, again, still, tonight.
    pub present: ClassId,
    /// "what does ... mean": a question about words.
    pub cue: ClassId,
    /// Slang that a question about words may mention without using.
    pub slang: ClassId,
    /// if, what to do, signs of: talk about a situation, not the situation.
    pub hypothetical: ClassId,
    /// Classes that only give context (drug names for overdose signs): they do not make a
    /// question about words carry danger.
    pub context_only: Vec<ClassId>,
    /// Openings that ask what something is ("what is", "what does ... mean"): right before a
    /// danger word, with nobody named, they ask about it ("what is self-harm?").
    pub defining: Vec<ClassId>,
    /// Everyday phrases and milestones ("cutting carbs", "ready to go to bed", "clean from sh"):
    /// a danger word inside one of two or more words is the phrase's, not a danger.
    pub claims: Vec<ClassId>,
    /// Times a danger is set for ("tonight", "after everyone's asleep"): a danger's subject is
    /// the person before its act, not before its time.
    pub timing: Vec<ClassId>,
    /// News of a change a clinician decided ("my doctor told me to stop it"): read only in a
    /// message that asks nothing, neither a question mark nor one of [`Special::asks`].
    pub news: Vec<ClassId>,
    /// A question in the member's own words ("can i", "is that too high").
    pub asks: Vec<ClassId>,
    /// Medicines by name ("sertraline", "l'efexor", "pastillas").
    pub medicines: Vec<ClassId>,
    /// The classes such a phrase takes over: those of danger and topic rules ([`signals`]).
    pub claimable: ClassSet,
    /// Names of things that hold a danger word ("safety plan", "suicide risk"): they take the
    /// word from the danger rules only ([`signals`]), so a question about one is still a topic.
    pub terms: Vec<ClassId>,
    /// Openings that speak to the channel ("does anyone know", "anyone else ... they") and
    /// owners of means ("my dad's gun"): a people word inside one is the audience or the owner,
    /// not the subject, so the member is.
    pub audience: Vec<ClassId>,
}

/// What fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The outcome.
    pub outcome: Outcome,
    /// For danger: who is at risk.
    pub who: Who,
    /// The rule's language.
    pub language: Option<String>,
    /// The line in `safety.toml` of the rule that fired (for `lantern screen`).
    pub line: usize,
    /// The rule's [`Rule::overrule`].
    pub overrule: Option<f32>,
}

/// How far negation reaches (words between the negator and the word it negates).
const NEGATION_REACH: usize = 3;
/// How far back the subject of a danger is looked for.
const SUBJECT_REACH: usize = 10;

/// Evaluates the rules; the most serious finding first (`None`: nothing fired).
pub fn evaluate(
    rules: &[Rule],
    special: &Special,
    signals: &ClassSet,
    n: &Normalized,
    marks: &[Mark],
    negated: &[bool],
) -> Option<Finding> {
    let mut dropped = mentioned(special, n, marks, signals);
    for (d, c) in dropped.iter_mut().zip(claimed(special, signals, marks)) {
        *d |= c;
    }
    if !n.questions.is_empty() || marks.iter().any(|m| special.asks.contains(&m.class)) {
        for (d, m) in dropped.iter_mut().zip(marks) {
            *d |= special.news.contains(&m.class);
        }
    }
    // The marks still in play, in order (they are sorted by start, so by sentence), and the
    // stretch of them each sentence holds: no list per sentence to allocate.
    let all: Vec<usize> = (0..marks.len()).filter(|&i| !dropped[i]).collect();
    let mut stretches: Vec<std::ops::Range<usize>> = Vec::new();
    for (k, &i) in all.iter().enumerate() {
        let sentence = n.tokens[marks[i].start].sentence;
        match stretches.last_mut() {
            Some(r) if n.tokens[marks[all[r.start]].start].sentence == sentence => r.end = k + 1,
            _ => stretches.push(k..k + 1),
        }
    }
    // Which classes each group holds (negated marks included): a rule is only looked at closely
    // in a group that holds every class it needs, so a long message costs a bit test per rule
    // and sentence.
    let present = |group: &[usize]| {
        let mut set = ClassSet::default();
        for &i in group {
            set.insert(marks[i].class);
        }
        set
    };
    let sentence_sets: Vec<ClassSet> = stretches.iter().map(|r| present(&all[r.clone()])).collect();
    let whole_stretch = vec![std::ops::Range {
        start: 0,
        end: all.len(),
    }];
    let whole_sets = [present(&all)];
    // Sentences holding a word that carries danger on its own: a question about what a danger
    // word is stays a question only when no other sentence carries one.
    let mut signal_sentences: Vec<u32> = marks
        .iter()
        .filter(|m| signals.contains(m.class))
        .map(|m| n.tokens[m.start].sentence)
        .collect();
    signal_sentences.dedup();
    let mut best: Option<(u8, Finding)> = None;
    for rule in rules {
        let (groups, sets): (&[std::ops::Range<usize>], &[ClassSet]) = if rule.message {
            (&whole_stretch, &whole_sets)
        } else {
            (&stretches, &sentence_sets)
        };
        for (range, set) in groups.iter().zip(sets) {
            if !rule.all.iter().all(|&c| set.contains(c)) {
                continue;
            }
            let in_group = &all[range.clone()];
            let usable = |i: &&usize| !(rule.reads_negation() && negated[**i]);
            let candidates: Vec<usize> = in_group.iter().filter(usable).copied().collect();
            let Some(span) = fires(rule, marks, &candidates) else {
                continue;
            };
            if rule.told && n.questions.contains(&n.tokens[span.0].sentence) {
                continue;
            }
            let present_class = |c: &ClassId| candidates.iter().any(|&i| marks[i].class == *c);
            // A joke and its subject may sit in different sentences of one message.
            let in_message = |c: &ClassId| marks.iter().any(|m| m.class == *c);
            if rule.unless.iter().any(present_class)
                || (!rule.unless_together.is_empty() && rule.unless_together.iter().all(in_message))
            {
                continue;
            }
            let Some(finding) = judge(
                rule,
                special,
                n,
                marks,
                &candidates,
                span,
                &signal_sentences,
            ) else {
                continue;
            };
            let rank = rank(&finding);
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                best = Some((
                    rank,
                    Finding {
                        line: rule.line,
                        ..finding
                    },
                ));
            }
        }
    }
    best.map(|(_, f)| f)
}

/// The classes that carry danger on their own (those of the danger rules, every language's
/// phrase lists among them, less the person, time, negation and context words): one of them
/// outside a question about words means the words are used, not mentioned. Computed once, when
/// the rules are read.
pub fn signals(rules: &[Rule], special: &Special) -> ClassSet {
    signal_classes(rules, special, |o| o.is_danger())
}

/// The classes an everyday phrase or a term takes over ([`Special::claims`]): those of the danger
/// and topic rules (every language's phrase lists too: "tasas de suicidio" takes "suicidio"),
/// less the person, time, negation and context words.
pub fn claimable(rules: &[Rule], special: &Special) -> ClassSet {
    signal_classes(rules, special, |o| o.is_danger() || o == Outcome::Topic)
}

fn signal_classes(rules: &[Rule], special: &Special, outcome: fn(Outcome) -> bool) -> ClassSet {
    let mut signals = ClassSet::default();
    for c in rules
        .iter()
        .filter(|r| outcome(r.outcome))
        .flat_map(|r| r.all.iter().copied())
        .filter(|c| {
            ![
                special.member,
                special.mine,
                special.other,
                special.general,
                special.past,
                special.present,
                special.negator,
                special.contrast,
                special.hypothetical,
                special.cue,
                special.slang,
            ]
            .contains(c)
                && !special.context_only.contains(c)
        })
    {
        signals.insert(c);
    }
    signals
}

/// A set of classes (at most [`MAX_CLASSES`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ClassSet([u64; MAX_CLASSES / 64]);

/// Most word classes a configuration may define.
pub const MAX_CLASSES: usize = 512;

impl ClassSet {
    pub fn insert(&mut self, c: ClassId) {
        let c = c as usize;
        if c < MAX_CLASSES {
            self.0[c / 64] |= 1 << (c % 64);
        }
    }

    pub fn contains(&self, c: ClassId) -> bool {
        let c = c as usize;
        c < MAX_CLASSES && self.0[c / 64] & (1 << (c % 64)) != 0
    }
}

impl Rule {
    /// Danger and topic rules read negation ("i'm not suicidal"); requests for advice do not
    /// ("should i not take my subs?" still asks).
    fn reads_negation(&self) -> bool {
        self.language.is_none() && (self.outcome.is_danger() || self.outcome == Outcome::Topic)
    }
}

fn rank(f: &Finding) -> u8 {
    match (f.outcome, f.who) {
        (Outcome::Emergency, _) => 0,
        (Outcome::Crisis, Who::Member) => 1,
        (Outcome::Concern, Who::Member) => 2,
        (Outcome::Crisis | Outcome::Concern, _) => 3,
        (Outcome::HarmReduction, _) => 4,
        (Outcome::MedicalAdvice, _) => 5,
        (Outcome::Diagnosis, _) => 6,
        (Outcome::Topic, _) => 7,
    }
}

/// A danger finding with who and when; other outcomes as they are. `None` when the danger is
/// over (past, and nothing says now).
fn judge(
    rule: &Rule,
    special: &Special,
    n: &Normalized,
    marks: &[Mark],
    candidates: &[usize],
    span: (usize, usize),
    signal_sentences: &[u32],
) -> Option<Finding> {
    let has = |class: ClassId| candidates.iter().any(|&i| marks[i].class == class);
    let mut finding = Finding {
        outcome: rule.outcome,
        who: Who::Member,
        language: rule.language.clone(),
        line: rule.line,
        overrule: rule.overrule,
    };
    if !rule.outcome.is_danger() {
        return Some(finding);
    }
    // "Three years ago tonight": a present word inside a past phrase is part of the past.
    // Only a present word in the danger's own clauses counts ("i used to wish i'd die, but i'm
    // glad i'm still here" is over).
    let clauses = n.tokens[span.0].clause..=n.tokens[span.1.max(span.0 + 1) - 1].clause;
    let now = candidates.iter().any(|&i| {
        marks[i].class == special.present
            && clauses.contains(&n.tokens[marks[i].start].clause)
            && !covered_by_longer(marks, &marks[i], |m| m.class == special.past)
    });
    // A past word in the danger's clauses or the one before ("years ago, i tried to...") makes it
    // an event that is over; one further away describes something else ("she got out of the
    // ward last month and now says...").
    let first_clause = n.tokens[span.0].clause.saturating_sub(1);
    let past = candidates.iter().any(|&i| {
        marks[i].class == special.past
            && (first_clause..=*clauses.end()).contains(&n.tokens[marks[i].start].clause)
    });
    if past && !now {
        return Some(Finding {
            outcome: Outcome::Topic,
            ..finding
        });
    }
    let core = core(special, marks, candidates, span);
    let named = match reported_by(special, n, marks, &core) {
        Some(w) => Some(w),
        None if rule.speaker => Some(Who::Member),
        None => who(special, n, marks, candidates, &core, span),
    };
    finding.who = named.unwrap_or(Who::Member);
    let sentence = n.tokens[span.0].sentence;
    let hypothetical = has(special.hypothetical);
    let asked = n.questions.contains(&sentence) || hypothetical;
    // People in general are at risk only in a question or a hypothetical ("why do people...");
    // otherwise "everyone" in "bye everyone" names the audience, and the speaker is at risk.
    if finding.who == Who::General {
        finding.who = Who::Member;
        if asked && !rule.asker {
            finding.outcome = Outcome::Topic;
        }
    }
    // "what is self-harm?", "what does cutting mean": the question opens by naming the danger
    // word itself (at most two words between), so it asks what it is. "what is the best way
    // to…" leaves too much between.
    // Only for a question (not an emergency's signs: "what is happening, he stopped breathing"
    // stays an emergency), and only where no other sentence carries danger.
    let calm_elsewhere = signal_sentences.iter().all(|&s| s == sentence);
    let defining = rule.outcome != Outcome::Emergency
        && n.questions.contains(&sentence)
        && calm_elsewhere
        && candidates.iter().any(|&i| {
            let m = &marks[i];
            special.defining.contains(&m.class)
                && n.tokens[m.start].sentence == sentence
                && ((m.start <= span.0 && span.1 <= m.end)
                    || (m.end <= span.0 && span.0 - m.end <= 2))
        });
    // "what's the link between trauma and self-harm?": a question word of `defining`, and no one
    // named anywhere in the message, not even the member, asks about the subject.
    let about_subject = || {
        rule.outcome != Outcome::Emergency
            && n.questions.contains(&sentence)
            && candidates.iter().any(|&i| {
                special.defining.contains(&marks[i].class)
                    && n.tokens[marks[i].start].sentence == sentence
            })
            && !marks
                .iter()
                .any(|m| [special.member, special.mine].contains(&m.class))
    };
    if named.is_none() && rule.topic_if_asked && (hypothetical || defining || about_subject()) {
        finding.outcome = Outcome::Topic;
    }
    Some(finding)
}

/// The subject of the marks in `span`: a person word inside the span, else the nearest one
/// before it in the sentence, else after it; the member when none is named. `core` is the danger
/// itself (the span's marks that are not person words).
fn who(
    special: &Special,
    n: &Normalized,
    marks: &[Mark],
    candidates: &[usize],
    core: &[&Mark],
    span: (usize, usize),
) -> Option<Who> {
    let person = |m: &Mark| person(special, m.class);
    let people: Vec<(&Mark, Who)> = candidates
        .iter()
        .filter_map(|&i| person(&marks[i]).map(|w| (&marks[i], w)))
        .filter(|(m, w)| {
            *w == Who::Member
                || !covered_by_longer(marks, m, |a| special.audience.contains(&a.class))
        })
        .collect();
    // Its subject is looked for before its first word that is not a time or context ("tonight
    // he's been thinking about his rifle": the danger starts at "thinking", and "he" is its
    // subject; "methadone ... she's going to use it all and not come back" starts at "she").
    let core_start = core
        .iter()
        .filter(|m| {
            m.class != special.present
                && !special.timing.contains(&m.class)
                && !special.context_only.contains(&m.class)
        })
        .map(|m| m.start)
        .min()
        .or_else(|| core.iter().map(|m| m.start).min())
        .unwrap_or(span.0);
    // Reflexives and objects inside a danger phrase ("kill myself", "better off without him").
    // ("everyone" inside "everyone would be better off" is part of the phrase, not a subject.)
    let inside: Vec<Who> = people
        .iter()
        .filter(|(p, w)| {
            *w != Who::General && core.iter().any(|c| p.start >= c.start && p.end <= c.end)
        })
        .map(|(_, w)| *w)
        .collect();
    if let Some(w) = inside.first() {
        if inside.contains(&Who::Member) {
            return Some(Who::Member);
        }
        return Some(*w);
    }
    // Otherwise the subject: the nearest person word before the danger. A lone "me" is an
    // object ("she asked me where the key is"), never a subject.
    let object = |m: &Mark| m.end - m.start == 1 && n.form(&n.tokens[m.start]) == "me";
    let before = people
        .iter()
        .filter(|(m, _)| !object(m))
        .filter(|(m, _)| m.end <= core_start && core_start - m.end <= SUBJECT_REACH)
        .max_by_key(|(m, _)| (m.end, m.end - m.start));
    if let Some((_, w)) = before {
        return Some(*w);
    }
    people
        .iter()
        .filter(|(m, w)| m.start >= span.1 && *w != Who::General)
        .min_by_key(|(m, _)| m.start)
        .map(|(_, w)| *w)
}

/// Who said a danger that is all inside quotes: the nearest person word before the quote opens
/// ("he said \"you'd all be better off without me\"", "forwarding what my friend sent me: ...").
/// `None` when the danger is not quoted or no one is named just before it.
fn reported_by(special: &Special, n: &Normalized, marks: &[Mark], core: &[&Mark]) -> Option<Who> {
    let first = core.iter().map(|m| m.start).min()?;
    if !core
        .iter()
        .all(|m| (m.start..m.end).all(|t| n.tokens[t].quoted))
    {
        return None;
    }
    let mut opens = first;
    while opens > 0 && n.tokens[opens - 1].quoted {
        opens -= 1;
    }
    let object = |m: &Mark| m.end - m.start == 1 && n.form(&n.tokens[m.start]) == "me";
    marks
        .iter()
        .filter(|m| person(special, m.class).is_some() && !object(m))
        .filter(|m| m.end <= opens && opens - m.end <= REPORTER_REACH)
        .max_by_key(|m| (m.end, m.end - m.start))
        .and_then(|m| person(special, m.class).filter(|w| *w != Who::General))
}

/// The person a class names, if it is a person class.
fn person(special: &Special, class: ClassId) -> Option<Who> {
    if class == special.member {
        Some(Who::Member)
    } else if class == special.other {
        Some(Who::Other)
    } else if class == special.general {
        Some(Who::General)
    } else {
        None
    }
}

/// The danger itself: the marks in the span that are not person words.
fn core<'m>(
    special: &Special,
    marks: &'m [Mark],
    candidates: &[usize],
    span: (usize, usize),
) -> Vec<&'m Mark> {
    candidates
        .iter()
        .map(|&i| &marks[i])
        .filter(|m| person(special, m.class).is_none() && m.start >= span.0 && m.end <= span.1)
        .collect()
}

/// How far before a quote its speaker is looked for ("my friend just sent me: ...").
const REPORTER_REACH: usize = 8;

/// Whether each mark is negated: a negator shortly before it in the same clause, with no
/// contrast word between, and the negator not itself part of a phrase ("not wake up").
pub(super) fn negation(special: &Special, n: &Normalized, marks: &[Mark]) -> Vec<bool> {
    let negators: Vec<(usize, usize)> = marks
        .iter()
        .filter(|m| m.class == special.negator)
        .filter(|neg| !covered_by_longer(marks, neg, |m| m.class != special.negator))
        .map(|m| (m.start, m.end))
        .collect();
    let mut contrasts: Vec<usize> = marks
        .iter()
        .filter(|m| m.class == special.contrast)
        .map(|m| m.start)
        .collect();
    contrasts.sort_unstable();
    // "or" and "nor" carry negation on through a list ("not in a dark place or thinking about
    // hurting myself").
    let or_words: Vec<usize> = (0..n.tokens.len())
        .filter(|&i| matches!(n.form(&n.tokens[i]), "or" | "nor"))
        .collect();
    let mut by_end = negators;
    by_end.sort_by_key(|&(_, end)| end);
    // The last element of a sorted list that is below `limit`.
    fn last_below(sorted: &[usize], limit: usize) -> Option<usize> {
        let i = sorted.partition_point(|&x| x < limit);
        i.checked_sub(1).map(|i| sorted[i])
    }
    let ends: Vec<usize> = by_end.iter().map(|&(_, e)| e).collect();
    marks
        .iter()
        .map(|m| {
            // Negators ending at or before the mark, nearest first, while within reach.
            let mut i = ends.partition_point(|&e| e <= m.start);
            while i > 0 {
                i -= 1;
                let (start, end) = by_end[i];
                let from = last_below(&or_words, m.start)
                    .filter(|&o| o >= end)
                    .map_or(end, |o| o + 1);
                if m.start - from > NEGATION_REACH
                    || n.tokens[start].clause != n.tokens[m.start].clause
                {
                    break;
                }
                if last_below(&contrasts, m.start).is_none_or(|c| c < end) {
                    return true;
                }
            }
            false
        })
        .collect()
}

/// Longest phrase, in words, that [`covered_by_longer`] looks back over.
const LONGEST_PHRASE: usize = 24;

/// Whether a longer mark accepted by `which` covers `inner` (marks are sorted by start).
fn covered_by_longer(marks: &[Mark], inner: &Mark, which: impl Fn(&Mark) -> bool) -> bool {
    let from = marks.partition_point(|m| m.start + LONGEST_PHRASE < inner.start);
    let to = marks.partition_point(|m| m.start <= inner.start);
    marks[from..to].iter().any(|m| {
        which(m)
            && m.start <= inner.start
            && m.end >= inner.end
            && m.end - m.start > inner.end - inner.start
    })
}

/// Quoted words this many or more in a row, with no slang among them, are someone's words
/// reported ("she texted me 'you won't have to deal with me much longer'"), not words asked
/// about ('kms', "catch the bus", "im literally going to kms").
const REPORTED_SPEECH: usize = 4;

/// Each token's run of quoted tokens within its sentence (an index into the runs), and each run's
/// length and whether slang is in it. One pass.
fn quoted_runs(n: &Normalized, slang: &[(usize, usize)]) -> (Vec<usize>, Vec<(usize, bool)>) {
    let mut run_of = vec![usize::MAX; n.tokens.len()];
    let mut runs: Vec<(usize, bool)> = Vec::new();
    for (i, t) in n.tokens.iter().enumerate() {
        if !t.quoted {
            continue;
        }
        let continues =
            i > 0 && run_of[i - 1] != usize::MAX && n.tokens[i - 1].sentence == t.sentence;
        if !continues {
            runs.push((0, false));
        }
        run_of[i] = runs.len() - 1;
        runs[run_of[i]].0 += 1;
    }
    for &(s, e) in slang {
        for &r in run_of.get(s..e).unwrap_or(&[]) {
            if let Some(run) = runs.get_mut(r) {
                run.1 = true;
            }
        }
    }
    (run_of, runs)
}

/// The danger words an everyday phrase of two or more words holds ("thinking about cutting
/// carbs"): a danger or topic mark that shares a word with such a phrase is the phrase's. A
/// [`Special::terms`] name ("suicide risk") takes only marks of `signals`, the danger classes:
/// its topic stays. Linear: each phrase marks the words it covers, each danger mark reads its
/// own words.
pub fn claimed(special: &Special, signals: &ClassSet, marks: &[Mark]) -> Vec<bool> {
    // Per word: 1 when an everyday phrase covers it, 2 when a term does.
    let mut covered: Vec<u8> = Vec::new();
    for m in marks {
        let by = if special.claims.contains(&m.class) {
            1
        } else if special.terms.contains(&m.class) {
            2
        } else {
            continue;
        };
        if m.end - m.start >= 2 {
            if covered.len() < m.end {
                covered.resize(m.end, 0);
            }
            for c in &mut covered[m.start..m.end] {
                *c |= by;
            }
        }
    }
    marks
        .iter()
        .map(|m| {
            let by = covered
                .get(m.start..m.end.min(covered.len()))
                .map_or(0, |c| c.iter().fold(0, |a, b| a | b));
            (by & 1 != 0 && special.claimable.contains(m.class))
                || (by & 2 != 0 && signals.contains(m.class))
        })
        .collect()
}

/// Marks that are mentioned, not used: in a sentence that asks what words mean, slang and
/// quoted words (not someone's words reported, [`REPORTED_SPEECH`]).
fn mentioned(special: &Special, n: &Normalized, marks: &[Mark], signals: &ClassSet) -> Vec<bool> {
    let cue_sentences: Vec<u32> = marks
        .iter()
        .filter(|m| m.class == special.cue)
        .map(|m| n.tokens[m.start].sentence)
        .collect();
    if cue_sentences.is_empty() {
        return vec![false; marks.len()];
    }
    let slang: Vec<(usize, usize)> = marks
        .iter()
        .filter(|m| m.class == special.slang)
        .map(|m| (m.start, m.end))
        .collect();
    let (run_of, runs) = quoted_runs(n, &slang);
    let is_mention = |m: &Mark| {
        let sentence = n.tokens[m.start].sentence;
        if !cue_sentences.contains(&sentence) || m.class == special.cue {
            return false;
        }
        let quoted = (m.start..m.end).all(|t| n.tokens[t].quoted)
            && runs
                .get(run_of[m.start])
                .is_some_and(|&(len, slang)| len < REPORTED_SPEECH || slang);
        let is_slang = slang.iter().any(|&(s, e)| s <= m.start && e >= m.end);
        quoted || is_slang
    };
    let mentioned: Vec<bool> = marks.iter().map(is_mention).collect();
    // The rule for mentions holds only for a plain question about words: when the rest of the
    // message carries any danger signal, everything counts.
    let mentioned_marks: Vec<Mark> = marks
        .iter()
        .zip(&mentioned)
        .filter(|(_, men)| **men)
        .map(|(m, _)| *m)
        .collect();
    let covered = |m: &Mark| {
        let from = mentioned_marks.partition_point(|o| o.start + LONGEST_PHRASE < m.start);
        mentioned_marks[from..]
            .iter()
            .take_while(|o| o.start <= m.start)
            .any(|o| o.end >= m.end)
    };
    let rest_signals = marks
        .iter()
        .zip(&mentioned)
        .any(|(m, &men)| !men && signals.contains(m.class) && !covered(m));
    if rest_signals {
        vec![false; marks.len()]
    } else {
        mentioned
    }
}

/// Words a rule's marks may spread over when it sets no window.
pub const DEFAULT_WINDOW: usize = 12;

/// The token span of marks covering every required class (a class named twice needs two marks)
/// that start within the rule's window; `None` when the rule does not fire. Two pointers over the
/// sentence's marks (in order of start): linear in their number.
fn fires(rule: &Rule, marks: &[Mark], candidates: &[usize]) -> Option<(usize, usize)> {
    let window = rule.window.unwrap_or(DEFAULT_WINDOW);
    let need = |class: ClassId| rule.all.iter().filter(|&&c| c == class).count();
    let mut counts: Vec<(ClassId, usize)> = Vec::with_capacity(rule.all.len());
    let mut missing = rule.all.len();
    let mut left = 0;
    for right in 0..candidates.len() {
        let m = &marks[candidates[right]];
        let wanted = need(m.class);
        if wanted > 0 {
            let slot = match counts.iter().position(|(c, _)| *c == m.class) {
                Some(p) => p,
                None => {
                    counts.push((m.class, 0));
                    counts.len() - 1
                }
            };
            counts[slot].1 += 1;
            if counts[slot].1 <= wanted {
                missing -= 1;
            }
        }
        while marks[candidates[left]].start + window < m.start {
            let l = &marks[candidates[left]];
            let wanted = need(l.class);
            if wanted > 0
                && let Some(slot) = counts.iter().position(|(c, _)| *c == l.class)
            {
                if counts[slot].1 <= wanted {
                    missing += 1;
                }
                counts[slot].1 -= 1;
            }
            left += 1;
        }
        if missing == 0 {
            let inside = &candidates[left..=right];
            let start = inside
                .iter()
                .filter(|&&i| need(marks[i].class) > 0)
                .map(|&i| marks[i].start)
                .min()?;
            let end = inside
                .iter()
                .filter(|&&i| need(marks[i].class) > 0)
                .map(|&i| marks[i].end)
                .max()?;
            return Some((start, end));
        }
    }
    None
}
