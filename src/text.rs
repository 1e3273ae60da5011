//! Text analysis shared by indexing, querying, screening and highlighting: one definition of
//! what a word is, how it is normalised and how it is stemmed, so the index and the reply agree.

use std::borrow::Cow;
use std::ops::Range;

/// A word of the text: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    /// Byte range of the word in the analysed text (so highlights can be cut verbatim).
    pub span: Range<usize>,
    /// The word as written.
    pub raw: &'a str,
}

/// True for characters that only steer rendering: zero-width spaces and joiners, bidirectional
/// controls, the byte-order mark, soft hyphen. They are dropped before anything looks at text.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Folds a character to the form the screen and the query builder see: lowercase, straight quotes,
/// spaces for controls. Returns `None` for invisible characters.
fn fold(c: char) -> Option<char> {
    if is_invisible(c) {
        return None;
    }
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' => '"',
        '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
        c if c.is_control() || c.is_whitespace() => ' ',
        c => c,
    })
}

/// Normalises user text: invisible characters removed, controls and whitespace runs collapsed to
/// one space, curly quotes straightened, lowercase, trimmed. Total: never fails, never panics.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().filter_map(fold) {
        if c == ' ' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Display-safe text: invisible characters removed and controls turned into spaces, otherwise as
/// written. Used before echoing anything a member typed.
pub fn visible(text: &str) -> String {
    visible_chars(text).collect()
}

/// The characters of [`visible`], one at a time (to read only as far as needed).
pub fn visible_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// The words of `text`: runs of letters and digits, joined across a single inner apostrophe
/// ("don't", "PTSD’s"). Everything else (punctuation, `*`, `~`, `:`, quotes, emoji) separates.
pub fn words(text: &str) -> impl Iterator<Item = Word<'_>> {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (start, c) = chars.next()?;
            if !c.is_alphanumeric() {
                continue;
            }
            let mut end = start + c.len_utf8();
            while let Some(&(i, c)) = chars.peek() {
                if c.is_alphanumeric() {
                    end = i + c.len_utf8();
                    chars.next();
                } else if is_apostrophe(c) {
                    let mut ahead = chars.clone();
                    ahead.next();
                    match ahead.peek() {
                        Some(&(_, next)) if next.is_alphanumeric() => {
                            chars.next();
                        }
                        _ => break,
                    }
                } else {
                    break;
                }
            }
            return Some(Word {
                span: start..end,
                raw: &text[start..end],
            });
        }
    })
}

/// Lowercases a word and straightens its apostrophes.
pub fn fold_word(raw: &str) -> Cow<'_, str> {
    if raw
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '\'')
    {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if is_apostrophe(c) {
            out.push('\'');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    Cow::Owned(out)
}

/// Words longer than this are not indexed or searched (base64 blobs, URLs glued together).
pub const MAX_WORD_BYTES: usize = 40;

/// English stemmer (Snowball "english", i.e. Porter2). Cheap to create; hold one per loop.
#[derive(Clone, Copy)]
pub struct Stemmer(frostem::Stemmer);

impl Default for Stemmer {
    fn default() -> Self {
        Stemmer(frostem::Stemmer::new(frostem::Algorithm::English))
    }
}

impl Stemmer {
    /// The index term for a word as written: folded, possessive dropped, stemmed.
    pub fn term(&self, raw: &str) -> String {
        let folded = fold_word(raw);
        let base = folded
            .strip_suffix("'s")
            .or_else(|| folded.strip_suffix('\''))
            .unwrap_or(&folded);
        let stemmed = self.0.stem(base);
        stemmed.replace('\'', "")
    }
}

/// A word with its index term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range in the analysed text.
    pub span: Range<usize>,
    /// The stemmed, folded term as stored in the index.
    pub term: String,
}

/// Tokens of `text` as the index sees them. Over-long words are skipped.
pub fn tokens<'a>(stemmer: &'a Stemmer, text: &'a str) -> impl Iterator<Item = Token> + 'a {
    words(text)
        .filter(|w| w.raw.len() <= MAX_WORD_BYTES)
        .map(move |w| Token {
            term: stemmer.term(w.raw),
            span: w.span,
        })
}

/// Number of words in `text`.
pub fn word_count(text: &str) -> usize {
    words(text).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_words(text: &str) -> Vec<&str> {
        words(text).map(|w| w.raw).collect()
    }

    #[test]
    fn words_split_on_syntax_and_keep_inner_apostrophes() {
        let cases: &[(&str, &[&str])] = &[
            ("don't PTSD’s", &["don't", "PTSD’s"]),
            (
                "a AND b OR \"c\" field:d [e TO f] g* h~2",
                &[
                    "a", "AND", "b", "OR", "c", "field", "d", "e", "TO", "f", "g", "h", "2",
                ],
            ),
            ("'kill the pain'", &["kill", "the", "pain"]),
            ("", &[]),
            ("🙂🙂", &[]),
            ("post-traumatic", &["post", "traumatic"]),
            ("10mg", &["10mg"]),
        ];
        for (text, expected) in cases {
            assert_eq!(&raw_words(text), expected, "{text:?}");
        }
    }

    #[test]
    fn normalize_straightens_and_collapses() {
        let cases = [
            (
                "  I’m\u{200B} GOING\n\tto “end” it ",
                "i'm going to \"end\" it",
            ),
            ("\u{202E}abc\u{0000}def", "abc def"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(normalize(text), expected, "{text:?}");
        }
    }

    #[test]
    fn stemming_matches_inflections() {
        let s = Stemmer::default();
        let cases = [
            ("Opioids", "opioid"),
            ("opioid", "opioid"),
            ("dissociation", "dissoci"),
            ("dissociating", "dissoci"),
            ("PTSD’s", "ptsd"),
            ("veterans", "veteran"),
            ("don't", "dont"),
        ];
        for (word, term) in cases {
            assert_eq!(s.term(word), term, "{word}");
        }
    }

    #[test]
    fn tokens_keep_spans_into_the_original_text() {
        let s = Stemmer::default();
        let text = "Numbing, the “pain”";
        let toks: Vec<_> = tokens(&s, text).collect();
        assert_eq!(toks.len(), 3);
        assert_eq!(&text[toks[2].span.clone()], "pain");
        assert_eq!(toks[0].term, "numb");
    }
}
