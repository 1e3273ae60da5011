//! The quote filter for dosing: a sentence that gives a dose or says how to take a medicine is
//! never quoted, in any reply (an answer from a server's FAQ included). Pure and cheap: one pass
//! over the sentence's words. Library text is only ever quoted, so a dosing sentence is left out
//! rather than reworded.

use crate::text;

/// Units that make a number a dose.
const UNITS: [&str; 16] = [
    "mg",
    "mgs",
    "mcg",
    "µg",
    "ug",
    "ml",
    "milligram",
    "milligrams",
    "microgram",
    "micrograms",
    "gram",
    "grams",
    "g",
    "units",
    "iu",
    "cc",
];

/// Words that, after "take", "use" or a dose, say how often or how much.
const SCHEDULE: [&str; 14] = [
    "daily", "twice", "once", "hourly", "nightly", "bedtime", "weekly", "tablets", "tablet",
    "capsules", "capsule", "puffs", "drops", "sprays",
];

/// Phrases that only dosing instructions use (compared on folded words).
const PHRASES: [&[&str]; 20] = [
    &["maximum", "dose"],
    &["max", "dose"],
    &["maximum", "daily"],
    &["starting", "dose"],
    &["usual", "dose"],
    &["recommended", "dose"],
    &["initial", "dose"],
    &["daily", "dose"],
    &["single", "dose"],
    &["dose", "of"],
    &["doses", "of"],
    &["dosage", "of"],
    &["dosage", "is"],
    &["do", "not", "take", "more", "than"],
    &["don't", "take", "more", "than"],
    &["no", "more", "than"],
    &["times", "a", "day"],
    &["times", "per", "day"],
    &["increase", "the", "dose"],
    &["reduce", "the", "dose"],
];

/// Stems that name titration and tapering schedules.
const STEMS: [&str; 4] = ["titrat", "taper", "dosag", "posolog"];

/// Whether a sentence gives a dose or says how to take a medicine.
pub fn is_dosing(sentence: &str) -> bool {
    let words: Vec<String> = text::words(sentence)
        .map(|w| text::fold_word(w.raw).into_owned())
        .collect();
    let is_number = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    };
    for (i, w) in words.iter().enumerate() {
        // "8mg", "0.5mg", "8 mg", "1-2 tablets".
        let digits = w.trim_end_matches(|c: char| c.is_alphabetic() || c == 'µ');
        let unit = &w[digits.len()..];
        if !digits.is_empty() && is_number(digits) && UNITS.contains(&unit) {
            return true;
        }
        if is_number(w)
            && let Some(next) = words.get(i + 1)
            && (UNITS.contains(&next.as_str()) || SCHEDULE.contains(&next.as_str()))
        {
            return true;
        }
        if STEMS.iter().any(|s| w.starts_with(s)) {
            return true;
        }
        // "take ... twice daily", "use one spray every ...".
        if matches!(w.as_str(), "take" | "taken" | "use" | "give" | "administer")
            && words[i + 1..]
                .iter()
                .take(6)
                .any(|n| SCHEDULE.contains(&n.as_str()) || n == "every")
        {
            return true;
        }
    }
    let phrase = PHRASES.iter().any(|p| {
        words
            .windows(p.len())
            .any(|win| win.iter().zip(p.iter()).all(|(a, b)| a == b))
    });
    // "every 6 hours", "per kg".
    phrase
        || words
            .windows(3)
            .any(|w| w[0] == "every" && is_number(&w[1]) && w[2].starts_with("hour"))
        || words.windows(2).any(|w| w[0] == "per" && w[1] == "kg")
}

#[cfg(test)]
mod tests {
    use super::is_dosing;

    #[test]
    fn dosing_sentences_are_recognised() {
        let dosing = [
            "The usual starting dose is 2 mg to 4 mg.",
            "Take 8mg once daily.",
            "Adults may take 1 tablet every 6 hours.",
            "Do not take more than 4 grams in 24 hours.",
            "The maximum dose is 24 mg per day.",
            "Doses are titrated slowly over two weeks.",
            "Tapering should be done gradually.",
            "Give one spray in each nostril every 2 to 3 minutes.",
            "Methadone is usually given at a dose of 30 mg.",
        ];
        for s in dosing {
            assert!(is_dosing(s), "{s}");
        }
        let not_dosing = [
            "Opioids create a dissociative state where emotional responses are altered.",
            "Naloxone is a medication used to treat the symptoms of an opioid overdose.",
            "In 2019, 50,000 people died of an overdose.",
            "Take care of yourself and reach out to people you trust.",
            "Veterans are twice as likely to develop PTSD.",
            "MAT uses FDA-approved medications along with counseling.",
        ];
        for s in not_dosing {
            assert!(!is_dosing(s), "{s}");
        }
    }
}
