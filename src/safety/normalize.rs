//! What the screen reads: member text folded to plain lower-case words, whatever disguise it came
//! in. Styled, fullwidth and look-alike letters are folded by `decancer` (a crate made for
//! moderation); accents are stripped; leetspeak inside words is decoded (`d3ad`, `k!ll`);
//! censoring characters inside words become wildcards (`s*icide`); letters spaced out or dotted
//! (`k i l l`, `s.u.i.c.i.d.e`) are joined; elongations (`dieeee`) are kept with a collapsed
//! variant; Discord spoilers and markdown are separators; emoji that stand for means or acts
//! become words. Contractions are expanded (`don't` → `do not`), so rules see one form.
//!
//! Linear in the input: one pass over the characters, one over the words. Quotes and citations
//! never use this text; it is only for screening.

use std::ops::Range;

use super::lexicon::FastMap;

/// Token flags.
pub const NUMBER: u8 = 1;
/// The word had censoring characters, now `?` wildcards.
pub const WILDCARD: u8 = 2;
/// The word came from an emoji.
pub const EMOJI: u8 = 4;
/// The word was spelled out letter by letter (`k i l l`) and joined.
pub const JOINED: u8 = 8;

/// One word as the screen sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word (see [`Normalized::form`]): decoded, lower case.
    pub form: Range<u32>,
    /// Another reading to try when the first is not a known word: the word before leetspeak
    /// decoding ("m30"), or with elongations collapsed to one letter ("dieeee" → "die").
    pub alt: Option<Range<u32>>,
    /// Sentence number (sentences end at `.` followed by a space, `!`, `?`, line breaks).
    pub sentence: u32,
    /// Clause number (clauses also end at commas, colons, semicolons, brackets and dashes).
    pub clause: u32,
    /// Inside a quoted span ("...", '...').
    pub quoted: bool,
    /// [`NUMBER`], [`WILDCARD`], [`EMOJI`].
    pub flags: u8,
}

/// A message's words, normalised.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    text: String,
    /// The words in order.
    pub tokens: Vec<Token>,
    /// Sentences that end with a question mark, by number.
    pub questions: Vec<u32>,
}

impl Normalized {
    /// The token's word.
    pub fn form(&self, t: &Token) -> &str {
        &self.text[t.form.start as usize..t.form.end as usize]
    }

    /// The token's other reading, if any.
    pub fn alt(&self, t: &Token) -> Option<&str> {
        t.alt
            .as_ref()
            .map(|r| &self.text[r.start as usize..r.end as usize])
    }

    /// The words joined by spaces (for tests and debugging).
    pub fn words(&self) -> String {
        self.tokens
            .iter()
            .map(|t| self.form(t))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The normaliser's tables (from `safety.toml`).
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    /// Emoji → the word it stands for.
    pub emoji: FastMap<char, String>,
    /// Whole words spelled without apostrophes or run together → their expansion ("im" → "i
    /// am", "wanna" → "want to").
    expansions: FastMap<String, Vec<String>>,
    /// Expansion keys by shape (first byte, last byte, length), as bits: most words are ruled
    /// out without hashing them.
    expansion_shapes: Vec<u64>,
}

impl Normalizer {
    /// Adds a whole-word expansion ("im" → "i am").
    pub fn add_expansion(&mut self, word: &str, expansion: Vec<String>) {
        if self.expansion_shapes.is_empty() {
            self.expansion_shapes = vec![0; SHAPES / 64];
        }
        if let Some(i) = shape(word) {
            self.expansion_shapes[i / 64] |= 1 << (i % 64);
        }
        self.expansions.insert(word.to_string(), expansion);
    }

    fn expansion(&self, word: &str) -> Option<&Vec<String>> {
        let i = shape(word)?;
        if self.expansion_shapes.get(i / 64)? & (1 << (i % 64)) == 0 {
            return None;
        }
        self.expansions.get(word)
    }
}

/// Buckets of [`shape`].
const SHAPES: usize = 1 << 14;

/// A word's shape: its first and last bytes and its length, folded into [`SHAPES`] buckets.
fn shape(word: &str) -> Option<usize> {
    let b = word.as_bytes();
    let (first, last) = (*b.first()?, *b.last()?);
    let h = (usize::from(first) * 31 + usize::from(last)) * 64 + b.len().min(63);
    Some(h % SHAPES)
}

/// Characters that only steer rendering or join emoji: dropped without separating words, so
/// `k\u{200B}i\u{200B}l\u{200B}l` reads as one word.
fn is_ignorable(c: char) -> bool {
    crate::text::is_invisible(c)
        || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{20E3}')
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Characters that stand for letters or hide them inside a word.
fn is_inner_symbol(c: char) -> bool {
    matches!(c, '$' | '@' | '!' | '*' | '#' | '%')
}

fn leet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '*' | '#' | '%' => '?',
        c => c,
    }
}

/// How the characters between two words separated them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Gap {
    /// Only spaces, dots, underscores or hyphens (letters spelled out can be joined across).
    joinable: bool,
    /// Contained a space (joining needs three letters then, not two).
    spaced: bool,
}

struct Builder<'n> {
    n: &'n Normalizer,
    out: Normalized,
    sentence: u32,
    clause: u32,
    /// Single letters seen in a row, joinable: token indices.
    word: String,
    word_start: usize,
    gap: Gap,
    letters_run: Vec<usize>,
    letters_spaced: bool,
    quoted: Vec<Range<usize>>,
    /// The first span in `quoted` that may still hold a token.
    quoted_at: usize,
    /// First token of the current line.
    line_start: usize,
    /// Reused by [`Builder::word_tokens`].
    scratch: [String; 3],
}

impl Normalizer {
    /// Normalises `text`. Total: never fails, never panics.
    pub fn normalize(&self, text: &str) -> Normalized {
        let mut b = Builder {
            n: self,
            out: Normalized {
                text: String::with_capacity(text.len() + 16),
                tokens: Vec::with_capacity(text.len() / 5 + 1),
                questions: Vec::new(),
            },
            sentence: 0,
            clause: 0,
            word: String::new(),
            word_start: 0,
            gap: Gap::default(),
            letters_run: Vec::new(),
            letters_spaced: false,
            quoted: quoted_spans(text),
            quoted_at: 0,
            line_start: 0,
            scratch: Default::default(),
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let byte = bytes[i];
            // Fast path: a run of ASCII letters and digits is one stretch of a word.
            if byte.is_ascii_alphanumeric() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                b.extend_word(&text[start..i], start);
                continue;
            }
            // Fast path: a space ends the word in progress.
            if byte == b' ' {
                b.flush();
                b.gap.spaced = true;
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().expect("a char at a char boundary");
            let at = i;
            i += c.len_utf8();
            if !c.is_ascii() && is_ignorable(c) {
                continue;
            }
            if let Some(word) = (!c.is_ascii()).then(|| self.emoji.get(&c)).flatten() {
                b.flush();
                b.push_word(word, at, EMOJI);
                b.gap = Gap::default();
                continue;
            }
            let next = text[i..].chars().next();
            if c.is_ascii() {
                b.feed(c, at, next);
            } else {
                match fold_quote(c) {
                    Some(q) => b.feed(q, at, next),
                    None => cure(c, |t| b.feed(t, at, next)),
                }
            }
        }
        b.flush();
        b.end_letters();
        b.out
    }
}

fn fold_quote(c: char) -> Option<char> {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' => Some('\''),
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' => Some('"'),
        '\u{2013}' | '\u{2014}' | '\u{2212}' => Some('-'),
        '\u{FF01}'..='\u{FF5E}' => None,
        c if c.is_whitespace() => Some(' '),
        _ => None,
    }
}

/// Folds one non-ASCII character through decancer: styled and fullwidth letters, look-alikes
/// from other scripts, accents. Characters it does not know stay as they are (lower case).
fn cure(c: char, mut feed: impl FnMut(char)) {
    match decancer::cure_char(c, decancer::Options::default()) {
        decancer::Translation::Character(t) => {
            for l in t.to_lowercase() {
                feed(l);
            }
        }
        decancer::Translation::String(s) => {
            for t in s.chars() {
                for l in t.to_lowercase() {
                    feed(l);
                }
            }
        }
        decancer::Translation::None => feed(' '),
    }
}

impl Builder<'_> {
    /// Adds ASCII letters and digits to the current word, lower-cased.
    fn extend_word(&mut self, run: &str, at: usize) {
        if self.word.is_empty() {
            self.word_start = at;
        }
        let from = self.word.len();
        self.word.push_str(run);
        self.word[from..].make_ascii_lowercase();
    }

    fn feed(&mut self, c: char, at: usize, next: Option<char>) {
        if c.is_alphanumeric() {
            if self.word.is_empty() {
                self.word_start = at;
            }
            self.word.push(c);
            return;
        }
        if (c == '\'' || is_inner_symbol(c))
            && (!self.word.is_empty() || next.is_some_and(char::is_alphanumeric) || c != '\'')
        {
            if self.word.is_empty() {
                self.word_start = at;
            }
            self.word.push(c);
            return;
        }
        self.flush();
        match c {
            '.' => {
                if next.is_none_or(|n| n.is_whitespace()) {
                    self.end_sentence();
                } else {
                    self.gap.joinable &= true;
                }
            }
            '?' => {
                if self.out.questions.last() != Some(&self.sentence) {
                    self.out.questions.push(self.sentence);
                }
                self.end_sentence();
            }
            // A line of one or two words ("pills\nall\nof\nthem") continues the sentence.
            '\n' | '\r' => {
                let on_line = self.out.tokens.len().saturating_sub(self.line_start);
                self.line_start = self.out.tokens.len();
                if on_line >= 3 {
                    self.end_sentence();
                } else {
                    self.gap.spaced = true;
                }
            }
            ' ' | '\t' => self.gap.spaced = true,
            '_' | '-' => {}
            // "s/h": a slash between single letters joins them like a dot.
            '/' if self.letters_run.len() == 1 && next.is_some_and(|n| n.is_ascii_alphabetic()) => {
            }
            ',' | ';' | ':' | '(' | ')' | '[' | ']' | '|' | '/' | '"' | '~' | '`' | '>' | '<'
            | '=' | '{' | '}' => self.end_clause(),
            '+' | '&' => {
                self.end_clause();
                self.push_word(if c == '+' { "plus" } else { "and" }, at, 0);
            }
            _ => self.end_clause(),
        }
    }

    fn end_clause(&mut self) {
        self.clause += 1;
        self.gap.joinable = false;
        self.end_letters();
    }

    fn end_sentence(&mut self) {
        self.sentence += 1;
        self.end_clause();
    }

    fn flush(&mut self) {
        if self.word.is_empty() {
            return;
        }
        let word = std::mem::take(&mut self.word);
        let start = self.word_start;
        let trimmed_end = word.trim_end_matches(|c: char| c == '\'' || is_inner_symbol(c));
        let exclaimed = word[trimmed_end.len()..].contains('!');
        let w = trimmed_end.trim_start_matches(['\'', '!', '*', '#', '%']);
        if w.chars().any(char::is_alphanumeric) {
            self.word_tokens(w, start);
        }
        self.word = word;
        self.word.clear();
        if exclaimed {
            self.end_sentence();
        } else {
            self.gap = Gap {
                joinable: true,
                spaced: false,
            };
        }
    }

    /// Splits a raw word into tokens: contractions, numbers with units, leetspeak, wildcards,
    /// elongations, expansions.
    fn word_tokens(&mut self, w: &str, at: usize) {
        // Fast path: a plain lower-case word with no letter tripled (most words).
        let b = w.as_bytes();
        if b.iter().all(u8::is_ascii_lowercase)
            && !b.windows(3).any(|t| t[0] == t[1] && t[1] == t[2])
        {
            let n = self.n;
            match n.expansion(w) {
                Some(expansion) => self.push_expansion(expansion, at),
                None => self.push_token(w, None, at, 0),
            }
            return;
        }
        if let Some((base, rest)) = split_contraction(w) {
            self.word_tokens(base, at);
            if !rest.is_empty() {
                self.push_word(rest, at, 0);
            }
            return;
        }
        // French and Italian elision ("l'efexor", "d'espoir", "dell'alcol"): the word after the
        // apostrophe is the other reading, tried when the joined word is not known.
        let elided = w
            .split_once('\'')
            .filter(|(before, after)| {
                ELISIONS.contains(before)
                    && after.len() >= 3
                    && after.chars().all(char::is_alphabetic)
            })
            .map(|(_, after)| after);
        let w_noapos: String;
        let w = if w.contains('\'') {
            w_noapos = w.replace('\'', "");
            &w_noapos
        } else {
            w
        };
        let digits = w
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(w.len());
        if digits == w.len() {
            self.push_word(w, at, NUMBER);
            return;
        }
        let letters_after = &w[digits..];
        if digits > 0 && is_unit(letters_after) {
            // "8mg", "30mg", "2am": a number and its unit.
            self.push_word(&w[..digits], at, NUMBER);
            self.push_word(letters_after, at, 0);
            return;
        }
        // Scratch strings reused from word to word: a message of thousands of disguised words
        // allocates nothing per word.
        let [mut decoded, mut form, mut one] = std::mem::take(&mut self.scratch);
        decoded.clear();
        if w.chars().any(char::is_alphabetic) {
            decoded.extend(w.chars().map(leet));
        } else {
            decoded.extend(w.chars().filter(|c| c.is_alphanumeric() || *c == '?'));
        }
        let flags = if decoded.contains('?') { WILDCARD } else { 0 };
        collapse(&decoded, &mut form, &mut one);
        let alt = if one != form {
            Some(one.as_str())
        } else if decoded != w && w.chars().all(char::is_alphanumeric) {
            Some(w)
        } else {
            elided
        };
        let n = self.n;
        match alt.is_none().then(|| n.expansion(&form)).flatten() {
            Some(expansion) => self.push_expansion(expansion, at),
            None => self.push_token(&form, alt, at, flags),
        }
        self.scratch = [decoded, form, one];
    }

    fn push_expansion(&mut self, expansion: &[String], at: usize) {
        for e in expansion {
            let number = e.bytes().all(|b| b.is_ascii_digit());
            self.push_word(e, at, if number { NUMBER } else { 0 });
        }
    }

    fn push_word(&mut self, w: &str, at: usize, flags: u8) {
        self.push_token(w, None, at, flags);
    }

    fn push_token(&mut self, form: &str, alt: Option<&str>, at: usize, flags: u8) {
        let text = &mut self.out.text;
        let start = text.len() as u32;
        text.push_str(form);
        let form_range = start..text.len() as u32;
        let alt = alt.map(|a| {
            let s = text.len() as u32;
            text.push_str(a);
            s..text.len() as u32
        });
        let single_letter = form.len() == 1 && form.as_bytes()[0].is_ascii_lowercase();
        let gap = std::mem::take(&mut self.gap);
        if single_letter && flags & EMOJI == 0 {
            if !self.letters_run.is_empty() && !gap.joinable {
                self.end_letters();
            }
            if self.letters_run.is_empty() {
                self.letters_spaced = false;
            }
            self.letters_spaced |= gap.spaced && !self.letters_run.is_empty();
            self.letters_run.push(self.out.tokens.len());
        } else {
            self.end_letters();
        }
        // Tokens come in order and the spans are sorted and disjoint: a cursor, not a search.
        while self.quoted.get(self.quoted_at).is_some_and(|q| q.end <= at) {
            self.quoted_at += 1;
        }
        let quoted = self
            .quoted
            .get(self.quoted_at)
            .is_some_and(|q| q.contains(&at));
        self.out.tokens.push(Token {
            form: form_range,
            alt,
            sentence: self.sentence,
            clause: self.clause,
            quoted,
            flags,
        });
    }

    /// Joins a run of single letters ("k i l l", "s.u.i.c.i.d.e") into one word: three or more
    /// letters spaced out, or two or more joined by dots, underscores or hyphens.
    fn end_letters(&mut self) {
        let run = std::mem::take(&mut self.letters_run);
        let needed = if self.letters_spaced { 3 } else { 2 };
        if run.len() < needed {
            return;
        }
        let first = run[0];
        let joined: String = run
            .iter()
            .map(|&i| {
                let t = &self.out.tokens[i];
                &self.out.text[t.form.start as usize..t.form.end as usize]
            })
            .collect();
        let text = &mut self.out.text;
        let start = text.len() as u32;
        text.push_str(&joined);
        let t = &mut self.out.tokens[first];
        t.form = start..text.len() as u32;
        t.flags |= JOINED;
        self.out.tokens.truncate(first + 1);
        self.letters_spaced = false;
    }
}

/// Units and suffixes that follow a number ("8mg", "3am", "20mins", "2nd"); anything else after
/// digits is read as leetspeak ("4ll" → "all").
fn is_unit(s: &str) -> bool {
    matches!(
        s,
        "mg" | "mgs"
            | "mcg"
            | "ug"
            | "ml"
            | "g"
            | "gr"
            | "kg"
            | "lb"
            | "lbs"
            | "am"
            | "pm"
            | "min"
            | "mins"
            | "hr"
            | "hrs"
            | "h"
            | "x"
            | "k"
            | "th"
            | "st"
            | "nd"
            | "rd"
            | "s"
            | "yo"
            | "yr"
            | "yrs"
            | "m"
            | "mo"
            | "d"
            | "w"
            | "iu"
            | "cc"
            | "mgl"
            | "ish"
    )
}

/// Words French and Italian shorten before a vowel, with an apostrophe ("l'", "qu'", "dell'").
const ELISIONS: &[&str] = &[
    "l", "d", "j", "qu", "c", "s", "m", "t", "n", "all", "dell", "dall", "nell", "sull", "un",
];

/// `word'suffix` contractions: the base and the word the suffix stands for.
fn split_contraction(w: &str) -> Option<(&str, &'static str)> {
    let lower_pronoun = |b: &str| {
        matches!(
            b,
            "he" | "she" | "it" | "that" | "what" | "there" | "who" | "where" | "how" | "this"
        )
    };
    let (base, suffix) = w.rsplit_once('\'')?;
    if base.is_empty() {
        return None;
    }
    Some(match suffix {
        "t" if base.ends_with('n') => {
            let stem = &base[..base.len() - 1];
            match stem {
                "wo" => ("will", "not"),
                "ca" => ("can", "not"),
                "ai" => ("is", "not"),
                "sha" => ("shall", "not"),
                _ => (stem, "not"),
            }
        }
        "m" => (base, "am"),
        "re" => (base, "are"),
        "ve" => (base, "have"),
        "ll" => (base, "will"),
        // "OD'd", "DM'd", "narcan'd": after an acronym or a verb made from a name, a past
        // tense, read as the word itself; otherwise ("i'd", "everyone'd") would (or had).
        "d" if (base.len() <= 3
            && !matches!(
                base,
                "i" | "u" | "ya" | "you" | "he" | "she" | "it" | "we" | "who" | "how" | "why"
            ))
            || base == "narcan" =>
        {
            (base, "")
        }
        "d" => (base, "would"),
        "s" if lower_pronoun(base) => (base, "is"),
        "s" => (base, ""),
        _ => return None,
    })
}

/// Runs of three or more of one letter collapsed to two ("sleeeep" → "sleep") in `two`, and to
/// one ("dieeee" → "die") in `one`; both cleared first.
fn collapse(w: &str, two: &mut String, one: &mut String) {
    two.clear();
    one.clear();
    let mut chars = w.chars().peekable();
    while let Some(c) = chars.next() {
        let mut run = 1;
        while chars.next_if_eq(&c).is_some() {
            run += 1;
        }
        if run >= 3 && c.is_alphabetic() {
            two.extend([c, c]);
            one.push(c);
        } else {
            for _ in 0..run {
                two.push(c);
                one.push(c);
            }
        }
    }
}

/// Byte ranges of quoted spans: "..." and '...' (an apostrophe inside a word does not open one).
pub fn quoted_spans(s: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    // Quotes are rare: one pass over the bytes decides (curly quotes and « » are not ASCII).
    let has_quote = s.bytes().any(|b| b == b'"' || b == b'\'' || b >= 0x80);
    if !has_quote {
        return spans;
    }
    // Only the quotes matter: each with where it is, whether a letter or digit comes right
    // before it and right after it.
    struct Quote {
        at: usize,
        double: bool,
        after_word: bool,
        before_word: bool,
    }
    let mut quotes: Vec<Quote> = Vec::new();
    // Only a quote byte or the first byte of a non-ASCII character can be a quote: the rest of
    // the text is skipped a byte at a time, and each quote's neighbours are read where it is.
    let bytes = s.as_bytes();
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    for (i, &b) in bytes.iter().enumerate() {
        let folded = match b {
            b'"' | b'\'' => Some(b as char),
            0xC0.. => s[i..].chars().next().and_then(fold_quote),
            _ => continue,
        };
        if !matches!(folded, Some('"' | '\'')) {
            continue;
        }
        let width = if b < 0x80 {
            1
        } else {
            s[i..].chars().next().map_or(1, char::len_utf8)
        };
        quotes.push(Quote {
            at: i,
            double: folded == Some('"'),
            after_word: is_word(s[..i].chars().next_back()),
            before_word: is_word(s[i + width..].chars().next()),
        });
    }
    // Where each quote closes, found from the right in one pass, so a message full of quotes
    // that never close stays linear: a `"` closes at the next `"`, a `'` at the next `'` not
    // followed by a letter or digit.
    let mut next_close: Vec<Option<usize>> = vec![None; quotes.len()];
    let (mut double, mut single) = (None, None);
    for j in (0..quotes.len()).rev() {
        let q = &quotes[j];
        next_close[j] = if q.double { double } else { single };
        if q.double {
            double = Some(j);
        } else if !q.before_word {
            single = Some(j);
        }
    }
    let mut i = 0;
    while i < quotes.len() {
        let q = &quotes[i];
        if (q.double || !q.after_word)
            && let Some(j) = next_close[i]
        {
            spans.push(q.at..quotes[j].at + 1);
            i = j + 1;
            continue;
        }
        i += 1;
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalizer() -> Normalizer {
        let mut n = Normalizer {
            emoji: [('💊', "pills"), ('🔪', "knife")]
                .into_iter()
                .map(|(c, w)| (c, w.to_string()))
                .collect(),
            ..Normalizer::default()
        };
        for (k, v) in [("im", "i am"), ("wanna", "want to"), ("kms", "kms")] {
            n.add_expansion(k, v.split(' ').map(str::to_string).collect());
        }
        n
    }

    fn words(text: &str) -> String {
        normalizer().normalize(text).words()
    }

    #[test]
    fn disguises_fold_to_plain_words() {
        let cases = [
            ("I want to DIE", "i want to die"),
            ("i'd rather be d3ad", "i would rather be dead"),
            ("k!ll myself", "kill myself"),
            ("s*icide", "s?icide"),
            ("k i l l myself", "kill myself"),
            ("s.u.i.c.i.d.e", "suicide"),
            ("k_i_l_l me", "kill me"),
            ("k\u{200B}i\u{200B}l\u{200B}l", "kill"),
            ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", "i want to die"),
            ("𝓲 𝔀𝓪𝓷𝓽 𝓽𝓸 𝓭𝓲𝓮", "i want to die"),
            ("dеаd", "dead"),
            ("||i took all my pills||", "i took all my pills"),
            ("**die**", "die"),
            ("took all my 💊💊", "took all my pills pills"),
            ("🔪", "knife"),
            (
                "no quiero seguir viviendo, está bien",
                "no quiero seguir viviendo esta bien",
            ),
            ("don't", "do not"),
            (
                "can't won't I'm she's mom's",
                "can not will not i am she is mom",
            ),
            ("i OD'd on loot, she'd know", "i od on loot she would know"),
            ("everyone'd be better off", "everyone would be better off"),
            ("im gonna", "i am gonna"),
            ("wanna die", "want to die"),
            ("8mg of subs", "8 mg of subs"),
            ("klonopin + methadone ok?", "klonopin plus methadone ok"),
            ("$uicide", "suicide"),
            ("i a m", "iam"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(words(text), expected, "{text:?}");
        }
    }

    #[test]
    fn elongations_keep_a_collapsed_reading() {
        let n = normalizer().normalize("dieeee sleeeep");
        assert_eq!(n.form(&n.tokens[0]), "diee");
        assert_eq!(n.alt(&n.tokens[0]), Some("die"));
        assert_eq!(n.form(&n.tokens[1]), "sleep");
    }

    #[test]
    fn sentences_and_clauses_are_numbered() {
        let n = normalizer().normalize("i'm fine, really. s.u.i is a word! ok? yes\nno");
        let s: Vec<u32> = n.tokens.iter().map(|t| t.sentence).collect();
        assert_eq!(n.words(), "i am fine really sui is a word ok yes no");
        assert_eq!(s, [0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 4]);
        assert!(n.tokens[3].clause > n.tokens[2].clause);
    }

    #[test]
    fn quoted_words_are_marked() {
        let n = normalizer().normalize("what does 'kms' mean, and \"end it\"");
        let quoted: Vec<bool> = n.tokens.iter().map(|t| t.quoted).collect();
        assert_eq!(quoted, [false, false, true, false, false, true, true]);
    }

    fn opens_quote(chars: &[(usize, char)], i: usize) -> bool {
        match chars[i].1 {
            '"' => true,
            '\'' => i == 0 || !chars[i - 1].1.is_alphanumeric(),
            _ => false,
        }
    }

    #[test]
    fn curly_quotes_quote_too() {
        let n =
            normalizer().normalize("what does \u{2018}kms\u{2019} mean, or \u{201C}end it\u{201D}");
        let quoted: Vec<bool> = n.tokens.iter().map(|t| t.quoted).collect();
        assert_eq!(quoted, [false, false, true, false, false, true, true]);
    }

    /// The quoted spans as first defined: each opening quote searches forward for its close
    /// (quadratic on a message of quotes that never close, which is why it is not the code).
    fn quoted_spans_by_search(s: &str) -> Vec<Range<usize>> {
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let mut spans = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let (at, c) = chars[i];
            let opens = opens_quote(&chars, i);
            let close = (i + 1..chars.len()).find(|&j| {
                chars[j].1 == c
                    && (c == '"' || chars.get(j + 1).is_none_or(|n| !n.1.is_alphanumeric()))
            });
            if opens && let Some(j) = close {
                spans.push(at..chars[j].0 + 1);
                i = j + 1;
                continue;
            }
            i += 1;
        }
        spans
    }

    #[test]
    fn quoted_spans_match_the_search_and_tokens_their_spans() {
        // Every string of up to seven characters over quotes, letters and spaces.
        let alphabet = ['\'', '"', 'a', ' ', 'b'];
        let mut checked = 0;
        for len in 0..=7u32 {
            for code in 0..alphabet.len().pow(len) {
                let mut k = code;
                let s: String = (0..len)
                    .map(|_| {
                        let c = alphabet[k % alphabet.len()];
                        k /= alphabet.len();
                        c
                    })
                    .collect();
                let spans = quoted_spans(&s);
                assert_eq!(spans, quoted_spans_by_search(&s), "{s:?}");
                checked += 1;
                // A quote between letters is inside a word ("a'b"): there, words and letters differ.
                let b = s.as_bytes();
                if b.windows(2).any(|w| w[0] == b'\'' || w[1] == b'\'')
                    && b.windows(3)
                        .any(|w| w[1] == b'\'' && w[0] != b' ' && w[0] != b'"')
                {
                    continue;
                }
                let n = normalizer().normalize(&s);
                let starts: Vec<usize> = s
                    .char_indices()
                    .filter(|&(i, c)| {
                        c.is_alphanumeric()
                            && s[..i].chars().last().is_none_or(|p| !p.is_alphanumeric())
                    })
                    .map(|(i, _)| i)
                    .collect();
                for (t, at) in n.tokens.iter().zip(&starts) {
                    assert_eq!(t.quoted, spans.iter().any(|q| q.contains(at)), "{s:?}");
                }
            }
        }
        assert!(checked > 90_000);
    }

    #[test]
    fn any_text_is_total() {
        for s in [
            "\u{202E}", "'''", "$$$", "@", "1.2.3", "a'", "'s", "!!!", "\u{FE0F}",
        ] {
            let _ = normalizer().normalize(s);
        }
    }
}
