//! Question focus: which parts of a member's message ask the question. Messages arrive with
//! subject lines ("Customer Service Request", "Re: my mom"), greetings and sign-offs, and often a
//! long story before or after the question; searching all of it evenly lets one stray word of the
//! story decide the answer. The focus drops the boilerplate and weighs the question sentences
//! above the narrative (which still counts: "my mother has glaucoma. what can be done?" asks about
//! glaucoma). Pure and linear in the message.

use std::ops::Range;

use crate::text;

/// Weight of a narrative sentence when the message also has a question sentence.
pub const NARRATIVE_WEIGHT: f32 = 0.4;
/// A message of at most this many words is read whole, evenly.
const SHORT_MESSAGE: usize = 14;

/// One part of a message and how much it counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Byte range in the message.
    pub range: Range<usize>,
    /// 1 for a question sentence (or an even reading), [`NARRATIVE_WEIGHT`] for narrative.
    pub weight: f32,
}

/// The parts of a message worth searching, in message order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Focus {
    /// Parts kept, in message order.
    pub parts: Vec<Part>,
}

impl Focus {
    /// The whole text, evenly (for callers that have no message, such as evaluation queries
    /// that are already a bare question).
    pub fn whole(text: &str) -> Focus {
        Focus {
            parts: vec![Part {
                range: 0..text.len(),
                weight: 1.0,
            }],
        }
    }
}

/// Labels that open a subject line or a forwarded message ("Subject:", "Re:").
const LABELS: &[&str] = &[
    "fw",
    "fwd",
    "inquiry",
    "q",
    "query",
    "question",
    "re",
    "regarding",
    "subj",
    "subject",
    "topic",
];

/// Words of greetings, sign-offs, subject-line boilerplate and filler: a sentence made only of
/// these asks nothing ("Hello doctor,", "Customer Service Request", "Thank you so much!").
const BOILERPLATE: &[&str] = &[
    "a",
    "advance",
    "afternoon",
    "again",
    "all",
    "am",
    "and",
    "anyone",
    "appreciate",
    "appreciated",
    "best",
    "bless",
    "cheers",
    "concern",
    "covered",
    "customer",
    "dear",
    "doc",
    "doctor",
    "doctors",
    "dr",
    "evening",
    "everybody",
    "everyone",
    "folks",
    "for",
    "from",
    "general",
    "god",
    "good",
    "greetings",
    "guys",
    "hello",
    "help",
    "hey",
    "hi",
    "hii",
    "i",
    "in",
    "info",
    "information",
    "inquiry",
    "is",
    "kind",
    "kindly",
    "madam",
    "many",
    "me",
    "morning",
    "much",
    "my",
    "need",
    "not",
    "of",
    "please",
    "pls",
    "plz",
    "query",
    "question",
    "questions",
    "re",
    "regards",
    "request",
    "respectfully",
    "service",
    "sincerely",
    "sir",
    "so",
    "subject",
    "team",
    "thank",
    "thanks",
    "thankyou",
    "thanx",
    "thx",
    "to",
    "topic",
    "ty",
    "urgent",
    "very",
    "warm",
    "wishes",
    "with",
    "you",
    "your",
    "yours",
];

/// Words that open a sign-off ("Thanks, Mary", "Regards, J. Smith", "God bless").
const SIGN_OFFS: &[&str] = &[
    "best",
    "bless",
    "blessings",
    "cheers",
    "god",
    "regards",
    "respectfully",
    "sincerely",
    "thank",
    "thanks",
    "thankyou",
    "thanx",
    "thx",
    "ty",
    "warmly",
    "yours",
];

/// Words that open a question ("what", "can", "is") after any leading filler.
const INTERROGATIVES: &[&str] = &[
    "am", "are", "can", "could", "did", "do", "does", "has", "have", "how", "is", "may", "should",
    "was", "were", "what", "whats", "when", "where", "whether", "which", "who", "why", "will",
    "would",
];

/// Filler that may come before a question's first word ("so what is", "and why").
const LEAD_FILLER: &[&str] = &[
    "also",
    "and",
    "anyway",
    "basically",
    "but",
    "hello",
    "hey",
    "hi",
    "honestly",
    "lastly",
    "my",
    "now",
    "ok",
    "okay",
    "or",
    "please",
    "question",
    "so",
    "then",
    "well",
];

/// Phrases that make a sentence a request for information though it has no question mark
/// ("i would like to know", "looking for information on", "please explain").
const REQUESTS: &[&[&str]] = &[
    &["any", "advice"],
    &["any", "info"],
    &["any", "information"],
    &["any", "suggestions"],
    &["can", "you", "tell"],
    &["could", "you", "tell"],
    &["explain"],
    &["i", "wonder"],
    &["i'm", "wondering"],
    &["im", "wondering"],
    &["info", "about"],
    &["info", "on"],
    &["information", "about"],
    &["information", "on"],
    &["information", "regarding"],
    &["like", "to", "know"],
    &["looking", "for"],
    &["need", "to", "know"],
    &["tell", "me"],
    &["want", "to", "know"],
    &["wanted", "to", "know"],
    &["was", "wondering"],
    &["wondering"],
];

fn listed(list: &[&str], word: &str) -> bool {
    list.binary_search(&word).is_ok()
}

/// The sentences of a message: split at line breaks and after `.`, `?`, `!` or `;` followed by
/// a space. Ranges are trimmed and never empty.
fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let push = |s: usize, e: usize, out: &mut Vec<Range<usize>>| {
        let piece = &text[s..e];
        let lead = piece.len() - piece.trim_start().len();
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            out.push(s + lead..s + lead + trimmed.len());
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        let end_here = match b {
            b'\n' => Some(i),
            b'.' | b'?' | b'!' | b';' => bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_whitespace())
                .then_some(i + 1),
            _ => None,
        };
        if let Some(e) = end_here {
            push(start, e, &mut out);
            start = e;
        }
    }
    push(start, text.len(), &mut out);
    out
}

/// What a sentence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Greeting, sign-off, subject-line boilerplate: dropped.
    Boilerplate,
    /// Asks something.
    Question,
    /// Tells something.
    Narrative,
}

/// What a sentence is, and how many bytes of label open it.
fn kind(sentence: &str) -> (Kind, usize) {
    let mut skip = 0;
    // "Subject: …", "My question: …": a short opening that ends in a colon and says nothing.
    if let Some(colon) = sentence.find(':') {
        let label: Vec<String> = text::words(&sentence[..colon])
            .map(|w| text::fold_word(w.raw).into_owned())
            .collect();
        if (1..=3).contains(&label.len())
            && label.iter().any(|w| listed(LABELS, w))
            && label
                .iter()
                .all(|w| listed(LABELS, w) || listed(BOILERPLATE, w))
        {
            skip = colon + 1;
        }
    }
    let body = &sentence[skip..];
    let words: Vec<String> = text::words(body)
        .map(|w| text::fold_word(w.raw).into_owned())
        .collect();
    if words.is_empty() || words.iter().all(|w| listed(BOILERPLATE, w)) {
        return (Kind::Boilerplate, skip);
    }
    let marked = body.trim_end().ends_with('?');
    let requests = REQUESTS.iter().any(|phrase| {
        words
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase.iter()).all(|(a, b)| a == b))
    });
    let asks = marked || requests || words.iter().any(|w| listed(INTERROGATIVES, w));
    // "Thanks, Mary", "Best regards": a short line that opens with a sign-off and asks nothing.
    if listed(SIGN_OFFS, &words[0]) && words.len() <= 5 && !asks {
        return (Kind::Boilerplate, skip);
    }
    // A labelled subject line names the topic; a question mark, an opening question word
    // (after filler) or a request makes a question.
    let opens_asking = words
        .iter()
        .find(|w| !listed(LEAD_FILLER, w))
        .is_some_and(|w| listed(INTERROGATIVES, w));
    if skip > 0 || marked || opens_asking || requests {
        (Kind::Question, skip)
    } else {
        (Kind::Narrative, skip)
    }
}

/// Whether sentence `s` of `text` looks like a subject line: at most five words, ending at a
/// line break without closing punctuation.
fn is_subject_line(text: &str, s: &Range<usize>) -> bool {
    let line = &text[s.clone()];
    text[s.end..]
        .trim_start_matches([' ', '\t', '\r'])
        .starts_with('\n')
        && !line.ends_with(['.', '?', '!', ',', ';', ':'])
        && text::words(line).count() <= 5
}

/// The focus of a message: boilerplate sentences dropped; when the message is longer than a
/// short question and has question sentences, they count fully and the rest at
/// [`NARRATIVE_WEIGHT`]; otherwise every kept sentence counts fully. A message that is all
/// boilerplate keeps its whole text (a bare "help" is still searched).
pub fn find(text: &str) -> Focus {
    let mut kept: Vec<(Range<usize>, Kind)> = Vec::new();
    for s in sentences(text) {
        let (mut k, skip) = kind(&text[s.clone()]);
        // A first line of a few words with no closing punctuation is a subject line: it names
        // the topic ("Glaucoma drops", "methadone and pregnancy").
        if k == Kind::Narrative && kept.is_empty() && is_subject_line(text, &s) {
            k = Kind::Question;
        }
        if k != Kind::Boilerplate {
            kept.push((s.start + skip..s.end, k));
        }
    }
    if kept.is_empty() {
        return Focus::whole(text);
    }
    let words = text::words(text).count();
    let questions = kept.iter().any(|(_, k)| *k == Kind::Question);
    let even = words <= SHORT_MESSAGE || !questions;
    Focus {
        parts: kept
            .into_iter()
            .map(|(range, k)| Part {
                range,
                weight: if even || k == Kind::Question {
                    1.0
                } else {
                    NARRATIVE_WEIGHT
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<(&str, f32)> {
        find(text)
            .parts
            .into_iter()
            .map(|p| (&text[p.range], p.weight))
            .collect()
    }

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for list in [LABELS, BOILERPLATE, SIGN_OFFS, INTERROGATIVES, LEAD_FILLER] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn a_short_question_is_read_whole() {
        assert_eq!(
            parts("what is dissociation"),
            vec![("what is dissociation", 1.0)]
        );
    }

    #[test]
    fn greetings_subject_lines_and_sign_offs_are_dropped() {
        let p = parts(
            "Customer Service Request\nHello doctor, \nmy father was told he has glaucoma in both eyes last spring and the drops sting. What treatments are there besides the drops?\nThank you so much,\nMary",
        );
        let texts: Vec<&str> = p.iter().map(|(t, _)| *t).collect();
        assert!(!texts.iter().any(|t| t.contains("Customer")), "{p:?}");
        assert!(!texts.iter().any(|t| t.contains("Hello")), "{p:?}");
        assert!(!texts.iter().any(|t| t.contains("Thank")), "{p:?}");
        assert!(
            p.contains(&("What treatments are there besides the drops?", 1.0)),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|(t, w)| t.contains("glaucoma") && *w == NARRATIVE_WEIGHT),
            "{p:?}"
        );
    }

    #[test]
    fn a_subject_label_goes_and_its_topic_stays() {
        let p = parts(
            "Subject: shingles vaccine\nhi, is the vaccine safe for someone who already had it?",
        );
        assert!(
            p.iter().any(|(t, _)| t.trim() == "shingles vaccine"),
            "{p:?}"
        );
        assert!(!p.iter().any(|(t, _)| t.contains("Subject")), "{p:?}");
    }

    #[test]
    fn a_request_without_a_question_mark_is_a_question() {
        let p = parts(
            "My sister has been using for years and we finally got her into a program last month. I would like to know more about how methadone programs work for families",
        );
        assert_eq!(p.last().map(|(_, w)| *w), Some(1.0), "{p:?}");
        assert_eq!(p.first().map(|(_, w)| *w), Some(NARRATIVE_WEIGHT), "{p:?}");
    }

    #[test]
    fn a_story_without_any_question_counts_evenly() {
        let p = parts(
            "i zone out a lot at work. it gets worse when i'm stressed. my therapist calls it dissociation.",
        );
        assert!(p.iter().all(|(_, w)| *w == 1.0), "{p:?}");
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn a_short_question_after_a_sign_off_word_is_kept() {
        let p = parts(
            "My husband came back from deployment and won't talk about it.\nThanks, what is PTSD",
        );
        assert!(
            p.iter().any(|(t, w)| t.contains("PTSD") && *w == 1.0),
            "{p:?}"
        );
        let p = parts("Best drops for glaucoma?");
        assert_eq!(p, vec![("Best drops for glaucoma?", 1.0)]);
    }

    #[test]
    fn a_subject_line_may_end_in_spaces_or_a_carriage_return() {
        let p = parts(
            "Glaucoma drops \r\nmy father has used them for years and they sting a lot lately. what else can he do?",
        );
        assert_eq!(p.first(), Some(&("Glaucoma drops", 1.0)), "{p:?}");
    }

    #[test]
    fn boilerplate_alone_is_still_searched() {
        assert_eq!(parts("help please"), vec![("help please", 1.0)]);
        assert_eq!(find("").parts.len(), 1);
    }
}
