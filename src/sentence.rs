//! Sentence boundaries in article prose, so quotes start and end where the author's sentences do.

use std::ops::Range;

/// Words that end with a full stop without ending a sentence (compared lowercase, without the
/// final stop).
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "st", "no", "fig", "al", "approx", "m.a",
    "ph.d", "u.s", "u.k", "inc", "jr", "sr", "prof", "dept", "ca", "cf", "ed", "eds", "vol",
];

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '\u{201D}' | '\u{2019}' | ')' | ']')
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '\u{2026}')
}

fn starts_sentence(c: char) -> bool {
    c.is_uppercase()
        || c.is_ascii_digit()
        || matches!(
            c,
            '"' | '\'' | '\u{201C}' | '\u{2018}' | '(' | '[' | '\u{2026}'
        )
}

/// True when the full stop at byte `dot` closes an abbreviation or an initial ("G.").
fn is_abbreviation(text: &str, dot: usize) -> bool {
    let before = &text[..dot];
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '.'))
        .map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
    let word = &before[start..];
    if word.chars().count() == 1 && word.chars().all(char::is_uppercase) {
        return true;
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// Byte ranges of the sentences of `text`, trimmed, in order, covering every non-space character.
pub fn split(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary_end = if c == '\n' {
            Some(i)
        } else if is_terminator(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if is_closer(d) || is_terminator(d) {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let rest = &text[end..];
            let after_space = rest.trim_start();
            let spaced = after_space.len() < rest.len();
            let next_ok = after_space.chars().next().is_none_or(starts_sentence);
            let abbreviation = c == '.' && is_abbreviation(text, i);
            ((spaced || rest.is_empty()) && next_ok && !abbreviation).then_some(end)
        } else {
            None
        };
        if let Some(end) = boundary_end {
            push_trimmed(text, start..end, &mut out);
            start = end;
        }
    }
    push_trimmed(text, start..text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let slice = &text[range.clone()];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    if lead + trail < slice.len() {
        out.push(range.start + lead..range.end - trail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &[&str]) {
        let got: Vec<&str> = split(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(got, expected, "{text:?}");
    }

    #[test]
    fn splits_at_sentence_ends() {
        check("One. Two! Three? Four", &["One.", "Two!", "Three?", "Four"]);
        check(
            "It said “spontaneous dissociation.” Moreover, people turn.",
            &[
                "It said “spontaneous dissociation.”",
                "Moreover, people turn.",
            ],
        );
        check(
            "Reprocessing (EDMR.) It is now used.",
            &["Reprocessing (EDMR.)", "It is now used."],
        );
    }

    #[test]
    fn keeps_abbreviations_initials_and_inner_ellipses() {
        check(
            "See G. Nathalee Serrels, M.A. Psychology. Next.",
            &["See G. Nathalee Serrels, M.A. Psychology.", "Next."],
        );
        check(
            "Mental illness develops (e.g., anxiety). Then more.",
            &["Mental illness develops (e.g., anxiety).", "Then more."],
        );
        check(
            "the troubles…the horrible memories…without heroin. Done.",
            &[
                "the troubles…the horrible memories…without heroin.",
                "Done.",
            ],
        );
        check("up to 1.8 microm2. Next", &["up to 1.8 microm2.", "Next"]);
    }

    #[test]
    fn lowercase_after_stop_does_not_split() {
        check(
            "Violence’.she says endogenous. Next",
            &["Violence’.she says endogenous.", "Next"],
        );
    }

    #[test]
    fn empty_and_blank() {
        check("", &[]);
        check("   ", &[]);
    }
}
