//! Word classes: named lists of words and phrases (`safety.toml`), compiled into one table of
//! words with their regular inflections, and matched against a normalised message to find where
//! each class occurs ("marks"). Phrases are words separated by spaces; `a|b` accepts either word;
//! `*` skips up to four words; `#num` is any number, `#big` one of ten or more, `#year` a year;
//! `=word` takes the word exactly, without inflections or typos; an entry `-pril` is any word of six letters
//! or more ending so (generic medicine names follow such stems). Matching is linear: each word starts at most the phrases that begin with it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::AhoCorasick;

use super::normalize::{JOINED, NUMBER, Normalized, Normalizer, WILDCARD};

/// Most words a `*` skips.
const GAP: usize = 4;
/// Id of the `#num` pseudo-word.
const NUM: u32 = u32::MAX;
/// Id of the `#year` pseudo-word (a number from 1900 to 2099).
const YEAR: u32 = u32::MAX - 1;
/// Id of the `#big` pseudo-word (a number of ten or more: "took 30", "sixty tablets").
const BIG: u32 = u32::MAX - 2;

/// A fast hash for the screen's short words (the multiply-rotate hash of rustc's FxHasher, eight
/// bytes at a time, finished with rustc-hash 2's rotation). The maps are built from the configuration and never grow from member text,
/// so chosen collisions cannot make a look-up slow.
#[derive(Debug, Clone, Copy, Default)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("eight bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    /// The multiply leaves the low bits depending only on the input's low bytes (a word's first
    /// letters), and hash tables pick buckets by the low bits; rotating brings the well-mixed
    /// high bits down, as rustc-hash 2 does.
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// Runs of censoring characters a censored word may have (`s**c*de` has two).
const MAX_CENSORED_RUNS: usize = 3;

/// The forms a message's censored words may read: a base, and so many per word of the message.
const WILDCARD_BUDGET_BASE: usize = 4_000;
const WILDCARD_BUDGET_PER_WORD: usize = 2;

/// A hash map with [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Each token's word ids, in one flat list.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    ids: Vec<u32>,
    ranges: Vec<(u32, u32)>,
}

impl Resolved {
    /// The word ids of token `i`.
    pub fn get(&self, i: usize) -> &[u32] {
        let (s, e) = self.ranges[i];
        &self.ids[s as usize..e as usize]
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// A class of words, by index in [`Lexicon::classes`].
pub type ClassId = u16;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    /// Any of these words.
    Words(Vec<u32>),
    /// Up to [`GAP`] words.
    Gap,
}

#[derive(Debug, Clone)]
struct Phrase {
    class: ClassId,
    slots: Vec<Slot>,
}

/// Where a class occurs in a message: token range `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The class.
    pub class: ClassId,
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
}

/// The compiled classes.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Class names, by id.
    pub classes: Vec<String>,
    /// Every inflected form → base word ids.
    forms: FastMap<Box<str>, Vec<u32>>,
    /// Base words by id (for wildcard and typo matching).
    words: Vec<Box<str>>,
    /// Base word → id.
    word_ids: FastMap<Box<str>, u32>,
    /// Ids of the words listed exactly (`=word`): no inflection and no typo reaches them.
    exact: Vec<u32>,
    /// Word endings that name a class (`-pril`, `-statin`: generic medicine names), by their last
    /// two letters, with the pseudo-word id that stands for them.
    suffixes: FastMap<[u8; 2], Vec<(Box<str>, u32)>>,
    /// Base words long enough for typo tolerance, by their first two letters and length: a word
    /// reads the three lengths one edit can reach, not every word that starts like it.
    fuzzy: FastMap<([u8; 2], usize), Vec<u32>>,
    /// Every form by its length in bytes, for censored words (`s*icide`): a pattern's length
    /// bounds the lengths it can match, so a lookup reads a few buckets, not every form.
    by_length: Vec<Vec<Box<str>>>,
    phrases: Vec<Phrase>,
    /// Phrase indices by first word id.
    by_first: FastMap<u32, Vec<usize>>,
    /// Phrases whose first two slots are words, by those two word ids (most phrases: a word
    /// starts only the phrases its next word continues).
    by_pair: FastMap<(u32, u32), Vec<usize>>,
    /// Per word id (below [`BIG`]), which of `by_first` ([`STARTS_ALONE`]) and `by_pair`
    /// ([`STARTS_PAIR`]) it begins a phrase in, built by [`Lexicon::finish`]: most words of a
    /// message begin none, and a flag read is cheaper than the two hash look-ups it saves.
    starts: Vec<u8>,
    /// Phrases with their spaces removed ("killmyself"), for words spelled out letter by letter
    /// and joined, where the spaces between words are lost too.
    squashed: Vec<(Box<str>, ClassId)>,
    /// One automaton over `squashed`, built by [`Lexicon::finish`]: a joined word is read once,
    /// however long it is and however many phrases there are.
    squashed_search: Option<AhoCorasick>,
}

/// [`Lexicon::starts`]: the word begins a phrase indexed by its first word.
const STARTS_ALONE: u8 = 1;
/// [`Lexicon::starts`]: the word begins a phrase indexed by its first two words.
const STARTS_PAIR: u8 = 2;

/// Shortest squashed phrase looked for inside a spelled-out word.
const SQUASHED_MIN: usize = 4;

/// Words at least this long are matched with one typo (same first two letters).
const FUZZY_MIN: usize = 6;

/// A phrase that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPhrase(pub String);

impl Lexicon {
    /// The id of a class, adding it if new.
    pub fn class(&mut self, name: &str) -> ClassId {
        if let Some(i) = self.classes.iter().position(|c| c == name) {
            return i as ClassId;
        }
        self.classes.push(name.to_string());
        (self.classes.len() - 1) as ClassId
    }

    /// The id of a class, if it exists.
    pub fn find_class(&self, name: &str) -> Option<ClassId> {
        self.classes
            .iter()
            .position(|c| c == name)
            .map(|i| i as ClassId)
    }

    /// A word listed exactly (`=help`) has its own id, apart from the same word listed with
    /// its inflections ("help me" elsewhere), so "helping" never reaches the exact entry.
    fn word_id(&mut self, word: &str, exact: bool) -> u32 {
        let key = if exact {
            format!("={word}")
        } else {
            word.to_string()
        };
        let id = match self.word_ids.get(key.as_str()) {
            Some(&i) => i,
            None => {
                let i = self.words.len() as u32;
                self.words.push(word.into());
                self.word_ids.insert(key.into(), i);
                i
            }
        };
        let forms = if exact {
            if !self.exact.contains(&id) {
                self.exact.push(id);
            }
            vec![word.to_string()]
        } else {
            inflections(word)
        };
        for f in forms {
            let ids = self.forms.entry(f.into_boxed_str()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        id
    }

    /// Adds a phrase to a class; the normaliser reads its words as it reads messages.
    pub fn add(
        &mut self,
        class: ClassId,
        phrase: &str,
        normalizer: &Normalizer,
    ) -> Result<(), BadPhrase> {
        let mut slots = Vec::new();
        if let Some(suffix) = phrase.trim().strip_prefix('-')
            && suffix.len() >= 2
            && suffix.bytes().all(|b| b.is_ascii_lowercase())
        {
            // A word ending: its own pseudo-word ("-pril"), which no real word can equal.
            let id = self.word_id(phrase.trim(), true);
            let b = suffix.as_bytes();
            let key = [b[b.len() - 2], b[b.len() - 1]];
            self.suffixes
                .entry(key)
                .or_default()
                .push((suffix.into(), id));
            slots.push(Slot::Words(vec![id]));
            self.index_phrase(class, slots);
            return Ok(());
        }
        for part in phrase.split_whitespace() {
            if part == "*" {
                slots.push(Slot::Gap);
                continue;
            }
            let pseudo = match part {
                "#num" => Some(NUM),
                "#year" => Some(YEAR),
                "#big" => Some(BIG),
                _ => None,
            };
            if let Some(id) = pseudo {
                slots.push(Slot::Words(vec![id]));
                continue;
            }
            let (exact, part) = match part.strip_prefix('=') {
                Some(p) => (true, p),
                None => (false, part),
            };
            let alternatives: Vec<&str> = part.split('|').collect();
            if alternatives.len() > 1 {
                let mut ids = Vec::new();
                for a in alternatives {
                    let n = normalizer.normalize(a);
                    if n.tokens.len() != 1 {
                        return Err(BadPhrase(format!(
                            "`{a}` in `{phrase}`: an alternative must be one word"
                        )));
                    }
                    // A number in a message only ever reads as `#num`: as an alternative it
                    // could never match ("call 911|999").
                    if n.tokens[0].flags & NUMBER != 0 {
                        return Err(BadPhrase(format!(
                            "`{a}` in `{phrase}`: a number cannot be an alternative (write #num)"
                        )));
                    }
                    let word = n.form(&n.tokens[0]).to_string();
                    ids.push(self.word_id(&word, exact));
                }
                slots.push(Slot::Words(ids));
                continue;
            }
            let n = normalizer.normalize(part);
            if n.tokens.is_empty() {
                return Err(BadPhrase(format!("`{part}` in `{phrase}` has no word")));
            }
            for t in &n.tokens {
                if t.flags & NUMBER != 0 {
                    slots.push(Slot::Words(vec![NUM]));
                    continue;
                }
                let w = n.form(t).to_string();
                slots.push(Slot::Words(vec![self.word_id(&w, exact)]));
            }
        }
        if !matches!(slots.first(), Some(Slot::Words(_))) || matches!(slots.last(), Some(Slot::Gap))
        {
            return Err(BadPhrase(format!(
                "`{phrase}`: a phrase starts and ends with a word"
            )));
        }
        let squashed: Option<String> = slots
            .iter()
            .map(|slot| match slot {
                Slot::Words(ids) if ids[0] < BIG => Some(&*self.words[ids[0] as usize]),
                _ => None,
            })
            .collect();
        if let Some(sq) = squashed
            && sq.len() >= SQUASHED_MIN
        {
            self.squashed.push((sq.into_boxed_str(), class));
        }
        self.index_phrase(class, slots);
        Ok(())
    }

    fn index_phrase(&mut self, class: ClassId, slots: Vec<Slot>) {
        let index = self.phrases.len();
        match (slots.first(), slots.get(1)) {
            (Some(Slot::Words(first)), Some(Slot::Words(second))) => {
                for a in first {
                    for b in second {
                        self.by_pair.entry((*a, *b)).or_default().push(index);
                    }
                }
            }
            (Some(Slot::Words(first)), _) => {
                for id in first {
                    self.by_first.entry(*id).or_default().push(index);
                }
            }
            _ => {}
        }
        self.phrases.push(Phrase { class, slots });
    }

    /// Builds the typo-tolerance table; call once all phrases are added.
    pub fn finish(&mut self) {
        self.squashed_search = AhoCorasick::new(self.squashed.iter().map(|(sq, _)| &**sq)).ok();
        self.by_length.clear();
        let mut forms: Vec<&Box<str>> = self.forms.keys().collect();
        forms.sort();
        for f in forms {
            if self.by_length.len() <= f.len() {
                self.by_length.resize(f.len() + 1, Vec::new());
            }
            self.by_length[f.len()].push(f.clone());
        }
        self.starts = vec![0; self.words.len()];
        for (&id, flag) in self
            .by_first
            .keys()
            .map(|id| (id, STARTS_ALONE))
            .chain(self.by_pair.keys().map(|(id, _)| (id, STARTS_PAIR)))
        {
            if let Some(s) = self.starts.get_mut(id as usize) {
                *s |= flag;
            }
        }
        self.fuzzy.clear();
        for (i, w) in self.words.iter().enumerate() {
            let b = w.as_bytes();
            if b.len() >= FUZZY_MIN
                && b.iter().all(u8::is_ascii_lowercase)
                && !self.exact.contains(&(i as u32))
            {
                self.fuzzy
                    .entry(([b[0], b[1]], b.len()))
                    .or_default()
                    .push(i as u32);
            }
        }
    }

    /// Each token's word ids: its form, else its other reading, else a wildcard or one-typo
    /// match against the lexicon's words.
    pub fn resolve(&self, n: &Normalized) -> Resolved {
        let mut r = Resolved {
            ids: Vec::with_capacity(n.tokens.len()),
            ranges: Vec::with_capacity(n.tokens.len()),
        };
        // A long message repeats its words: each distinct (form, other reading, flags) is looked
        // up once, and later tokens copy its ids.
        let mut seen: FastMap<(&str, Option<&str>, u8), (u32, u32)> = FastMap::default();
        // Censored words are matched against the forms of their length: a budget proportional to
        // the message keeps a message of thousands of different censored words linear.
        let mut budget = WILDCARD_BUDGET_BASE + WILDCARD_BUDGET_PER_WORD * n.tokens.len();
        for t in &n.tokens {
            let start = r.ids.len() as u32;
            let form = n.form(t);
            let key = (form, n.alt(t), t.flags & (NUMBER | WILDCARD));
            if let Some(&(s, e)) = seen.get(&key) {
                r.ids.extend_from_within(s as usize..e as usize);
                r.ranges.push((start, r.ids.len() as u32));
                continue;
            }
            if t.flags & NUMBER != 0 {
                let value = form.replace(',', "").parse::<f64>().unwrap_or(0.0);
                r.ids.push(NUM);
                if value >= 10.0 {
                    r.ids.push(BIG);
                }
                if form.len() == 4 && (1900.0..2100.0).contains(&value) {
                    r.ids.push(YEAR);
                }
            } else if let Some(ids) = self.forms.get(form) {
                r.ids.extend_from_slice(ids);
            } else if let Some(ids) = n.alt(t).and_then(|a| self.forms.get(a)) {
                r.ids.extend_from_slice(ids);
            } else if t.flags & WILDCARD != 0 {
                r.ids.extend(self.wildcard(form, &mut budget));
            } else if let Some(id) = self.suffix(form) {
                r.ids.push(id);
            } else {
                if !self.one_typo(form, &mut r.ids)
                    && let Some(a) = n.alt(t)
                {
                    self.one_typo(a, &mut r.ids);
                }
            }
            r.ranges.push((start, r.ids.len() as u32));
            seen.insert(key, (start, r.ids.len() as u32));
        }
        r
    }

    /// The forms a censored word can stand for (`s*icide`, `k!ll`): each run of censoring
    /// characters stands for one to two more letters than it has. At most four ids; a pattern
    /// with fewer than two letters, more than [`MAX_CENSORED_RUNS`] runs or longer than any form
    /// is not a censored word. Each form read costs one from `budget`; when it runs out the
    /// pattern matches nothing.
    fn wildcard(&self, pattern: &str, budget: &mut usize) -> Vec<u32> {
        let p = pattern.as_bytes();
        let letters = p.iter().filter(|&&b| b != b'?').count();
        let runs: Vec<usize> = p
            .split(|&b| b != b'?')
            .filter(|r| !r.is_empty())
            .map(<[u8]>::len)
            .collect();
        if letters < 2 || runs.len() > MAX_CENSORED_RUNS {
            return Vec::new();
        }
        let shortest = letters + runs.len();
        let longest = letters + runs.iter().map(|r| r + 2).sum::<usize>();
        let last = p[p.len() - 1];
        let mut out = Vec::new();
        for bucket in self
            .by_length
            .get(shortest..)
            .unwrap_or(&[])
            .iter()
            .take(longest + 1 - shortest)
        {
            // Each bucket is sorted: a pattern that starts with a letter reads only the forms
            // that start with it.
            let bucket = match p[0] {
                b'?' => &bucket[..],
                first => {
                    let from = bucket.partition_point(|f| f.as_bytes()[0] < first);
                    let to = bucket.partition_point(|f| f.as_bytes()[0] <= first);
                    &bucket[from..to]
                }
            };
            for f in bucket {
                let Some(left) = budget.checked_sub(1) else {
                    return out;
                };
                *budget = left;
                // The last letter, when the pattern ends with one, rules most forms out at once.
                if last != b'?' && f.as_bytes().last() != Some(&last) {
                    continue;
                }
                if censored_matches(p, f.as_bytes()) {
                    out.extend(self.forms[f].iter().copied());
                    if out.len() >= 4 {
                        out.truncate(4);
                        return out;
                    }
                }
            }
        }
        out
    }

    /// The pseudo-word of a listed ending that `word` has (with at least three letters before it).
    fn suffix(&self, word: &str) -> Option<u32> {
        let b = word.as_bytes();
        if b.len() < 6 {
            return None;
        }
        let list = self.suffixes.get(&[b[b.len() - 2], b[b.len() - 1]])?;
        list.iter()
            .find(|(s, _)| word.len() >= s.len() + 3 && word.ends_with(&**s))
            .map(|(_, id)| *id)
    }

    /// Adds the lexicon words one edit away from `word` (same first two letters); whether any.
    fn one_typo(&self, word: &str, out: &mut Vec<u32>) -> bool {
        let b = word.as_bytes();
        if b.len() < FUZZY_MIN || !b.iter().all(u8::is_ascii_lowercase) {
            return false;
        }
        let before = out.len();
        for len in b.len() - 1..=b.len() + 1 {
            if let Some(candidates) = self.fuzzy.get(&([b[0], b[1]], len)) {
                out.extend(
                    candidates
                        .iter()
                        .filter(|&&id| within_one_edit(b, self.words[id as usize].as_bytes())),
                );
            }
        }
        out.len() > before
    }

    /// Every occurrence of every class in the message.
    pub fn marks(&self, n: &Normalized, ids: &Resolved) -> Vec<Mark> {
        let mut marks = Vec::new();
        for (i, t) in n.tokens.iter().enumerate() {
            if t.flags & JOINED == 0 {
                continue;
            }
            let Some(search) = &self.squashed_search else {
                break;
            };
            let from_here = marks.len();
            for found in search.find_overlapping_iter(n.form(t)) {
                let m = Mark {
                    class: self.squashed[found.pattern().as_usize()].1,
                    start: i,
                    end: i + 1,
                };
                if !marks[from_here..].contains(&m) {
                    marks.push(m);
                }
            }
        }
        for i in 0..ids.len() {
            let from_here = marks.len();
            let sentence = n.tokens[i].sentence;
            let next: &[u32] = match n.tokens.get(i + 1) {
                Some(t) if t.sentence == sentence => ids.get(i + 1),
                _ => &[],
            };
            let try_phrases = |list: &[usize], skip: usize, marks: &mut Vec<Mark>| {
                for &p in list {
                    let phrase = &self.phrases[p];
                    let rest = &phrase.slots[skip..];
                    if let Some(end) = match_slots(rest, ids, n, i + skip, sentence) {
                        let m = Mark {
                            class: phrase.class,
                            start: i,
                            end,
                        };
                        if !marks[from_here..].contains(&m) {
                            marks.push(m);
                        }
                    }
                }
            };
            for &id in ids.get(i) {
                // Pseudo-words (numbers) have no flag and are always looked up.
                let starts = self.starts.get(id as usize).copied().unwrap_or(u8::MAX);
                if starts & STARTS_ALONE != 0
                    && let Some(list) = self.by_first.get(&id)
                {
                    try_phrases(list, 1, &mut marks);
                }
                if starts & STARTS_PAIR == 0 {
                    continue;
                }
                for &second in next {
                    if let Some(list) = self.by_pair.get(&(id, second)) {
                        try_phrases(list, 2, &mut marks);
                    }
                }
            }
        }
        marks.sort_by_key(|m| (m.start, m.end));
        marks
    }
}

/// Where the phrase's remaining slots end when they match from token `at`, within one sentence.
fn match_slots(
    slots: &[Slot],
    ids: &Resolved,
    n: &Normalized,
    at: usize,
    sentence: u32,
) -> Option<usize> {
    let Some((slot, rest)) = slots.split_first() else {
        return Some(at);
    };
    match slot {
        Slot::Gap => (0..=GAP).find_map(|skip| {
            let next = at + skip;
            if next > ids.len() || (skip > 0 && n.tokens[next - 1].sentence != sentence) {
                return None;
            }
            match_slots(rest, ids, n, next, sentence)
        }),
        Slot::Words(want) => {
            let token = n.tokens.get(at)?;
            if token.sentence != sentence || !ids.get(at).iter().any(|id| want.contains(id)) {
                return None;
            }
            match_slots(rest, ids, n, at + 1, sentence)
        }
    }
}

/// Whether a censored word (`?` for each hidden letter; a run of `?` may hide one letter or
/// several: "sui***dal") can be `word`.
fn censored_matches(pattern: &[u8], word: &[u8]) -> bool {
    match pattern.split_first() {
        None => word.is_empty(),
        Some((b'?', _)) => {
            let run = pattern.iter().take_while(|&&b| b == b'?').count();
            let rest = &pattern[run..];
            (1..=(run + 2).min(word.len())).any(|n| censored_matches(rest, &word[n..]))
        }
        Some((c, rest)) => word.first() == Some(c) && censored_matches(rest, &word[1..]),
    }
}

/// Whether two words are at most one edit apart (insertion, deletion, substitution or an
/// adjacent transposition).
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (0, _) | (_, 0) => a.len() + b.len() <= 1,
        (x, y) if x == y => {
            a[1..] == b[1..] || (x >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..])
        }
        (x, y) if x > y => a[1..] == *b,
        _ => b[1..] == *a,
    }
}

/// A word's regular English inflections (and g-dropping: "killin"), the word itself first.
/// Irregular forms ("dying", "took") are listed in the configuration as words of their own.
pub fn inflections(w: &str) -> Vec<String> {
    let mut out = vec![w.to_string()];
    if w.len() < 2 || !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return out;
    }
    let b = w.as_bytes();
    let last = b[b.len() - 1];
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u');
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    if last == b'e' {
        let stem = &w[..w.len() - 1];
        push(format!("{w}s"));
        push(format!("{w}d"));
        if let Some(root) = w.strip_suffix("ie") {
            push(format!("{root}ying"));
        } else {
            push(format!("{stem}ing"));
            push(format!("{stem}in"));
        }
    } else if last == b'y' && b.len() > 2 && !vowel(b[b.len() - 2]) {
        let stem = &w[..w.len() - 1];
        push(format!("{stem}ies"));
        push(format!("{stem}ied"));
        push(format!("{w}ing"));
    } else {
        let es = matches!(last, b's' | b'x' | b'z') || w.ends_with("ch") || w.ends_with("sh");
        push(if es {
            format!("{w}es")
        } else {
            format!("{w}s")
        });
        push(format!("{w}ed"));
        push(format!("{w}ing"));
        push(format!("{w}in"));
        let short = b.len() >= 3
            && !vowel(last)
            && !matches!(last, b'w' | b'x' | b'y')
            && vowel(b[b.len() - 2])
            && !vowel(b[b.len() - 3]);
        if short {
            let c = last as char;
            push(format!("{w}{c}ing"));
            push(format!("{w}{c}in"));
            push(format!("{w}{c}ed"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(entries: &[(&str, &str)]) -> (Lexicon, Normalizer) {
        let n = Normalizer::default();
        let mut l = Lexicon::default();
        for (class, phrase) in entries {
            let c = l.class(class);
            l.add(c, phrase, &n).unwrap();
        }
        l.finish();
        (l, n)
    }

    fn found(entries: &[(&str, &str)], text: &str) -> Vec<(String, usize, usize)> {
        let (l, n) = lexicon(entries);
        let norm = n.normalize(text);
        let ids = l.resolve(&norm);
        l.marks(&norm, &ids)
            .into_iter()
            .map(|m| (l.classes[m.class as usize].clone(), m.start, m.end))
            .collect()
    }

    #[test]
    fn phrases_match_inflections_gaps_and_alternatives() {
        let e = [
            ("act", "kill|hurt myself"),
            ("death", "sleep * forever"),
            ("dose", "#num mg"),
            ("exact", "=cut"),
        ];
        type Found<'a> = &'a [(&'a str, usize, usize)];
        let cases: &[(&str, Found)] = &[
            ("killing myself", &[("act", 0, 2)]),
            ("killin myself", &[("act", 0, 2)]),
            ("hurt myself", &[("act", 0, 2)]),
            ("i wanna sleep and then never ever wake forever", &[]),
            ("sleep for ever and forever", &[("death", 0, 5)]),
            ("sleep forever", &[("death", 0, 2)]),
            ("is 8mg a lot", &[("dose", 1, 3)]),
            ("cutting", &[]),
            ("cut", &[("exact", 0, 1)]),
            ("kill. myself", &[]),
            ("suicidal", &[]),
        ];
        for (text, expected) in cases {
            let want: Vec<(String, usize, usize)> = expected
                .iter()
                .map(|(c, s, e)| (c.to_string(), *s, *e))
                .collect();
            assert_eq!(found(&e, text), want, "{text:?}");
        }
    }

    #[test]
    fn an_alternative_that_could_never_match_is_refused() {
        let n = Normalizer::default();
        let mut l = Lexicon::default();
        let c = l.class("c");
        for bad in ["call 911|999", "make it to|past 18|21"] {
            let err = l.add(c, bad, &n).unwrap_err();
            assert!(err.0.contains(bad), "{err:?}");
        }
        assert!(l.add(c, "call #num", &n).is_ok());
    }

    #[test]
    fn typos_and_wildcards_reach_long_words() {
        let e = [("s", "suicidal"), ("m", "methadone"), ("k", "kill")];
        assert_eq!(found(&e, "sucidal").len(), 1);
        assert_eq!(found(&e, "suicidel").len(), 1);
        assert_eq!(found(&e, "methadon").len(), 1);
        assert_eq!(found(&e, "s*icidal").len(), 1);
        assert_eq!(found(&e, "k*ll").len(), 1);
        assert_eq!(found(&e, "sui***dal").len(), 1);
        assert_eq!(found(&e, "s**cidal").len(), 1);
        assert_eq!(found(&e, "kil").len(), 0, "short words need an exact match");
        assert_eq!(found(&e, "mythical").len(), 0);
    }

    #[test]
    fn one_edit() {
        let cases = [
            ("suicide", "suicide", true),
            ("sucide", "suicide", true),
            ("suicdie", "suicide", true),
            ("suicida", "suicide", true),
            ("suicideal", "suicide", false),
            ("sicidx", "suicide", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(
                within_one_edit(a.as_bytes(), b.as_bytes()),
                expected,
                "{a} {b}"
            );
        }
    }

    #[test]
    fn inflections_cover_regular_forms() {
        let i = inflections("cut");
        assert!(i.contains(&"cutting".to_string()) && i.contains(&"cuts".to_string()));
        assert!(inflections("die").contains(&"dying".to_string()));
        assert!(inflections("hope").contains(&"hoping".to_string()));
        assert!(inflections("bury").contains(&"buried".to_string()));
        assert!(inflections("plan").contains(&"planned".to_string()));
    }
}
