//! The library: documents read from `data/` (Markdown with TOML front matter, or JSONL
//! collections) and the passages they are split into, with stable ids, heading paths and byte
//! offsets into each document's text. Knows nothing of search or Discord.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::problem::{Problem, Problems, read_utf8};
use crate::{sentence, text};

/// Where a document came from and what its text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Stable id from the front matter (or `_id` of a JSONL line); citations and `/source` use it.
    pub id: String,
    /// Title as the article states it; `None` when it states none (never invented).
    pub title: Option<String>,
    /// Author, when the article names one.
    pub author: Option<String>,
    /// Publisher or organisation, when the article names one.
    pub publisher: Option<String>,
    /// Publication date (ISO), when the article states one.
    pub date: Option<String>,
    /// The raw seed file the curated text came from, for provenance.
    pub source: Option<String>,
    /// The library file this document was read from.
    pub file: PathBuf,
    /// The article text (Markdown subset for curated documents). Quotes are substrings of it.
    pub body: String,
    /// Structure of `body`, in order.
    pub blocks: Vec<Block>,
}

impl Document {
    /// The name shown in citations: the title, or an honest description when there is none.
    pub fn display_title(&self) -> String {
        match (&self.title, &self.publisher, &self.author) {
            (Some(t), _, _) if !t.trim().is_empty() => t.clone(),
            (_, Some(p), _) => format!("Untitled article ({p})"),
            (_, _, Some(a)) => format!("Untitled article by {a}"),
            _ => format!("Untitled document {}", self.id),
        }
    }
}

/// What a block of a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A heading of the given level (`##` is 2).
    Heading(u8),
    /// A paragraph of prose.
    Paragraph,
    /// One list item.
    ListItem,
    /// A block quote paragraph (speech quoted by the article).
    Quote,
    /// A table: indexed, never quoted (its cells are not sentences).
    Table,
}

impl BlockKind {
    /// Whether sentences of this block may be quoted.
    pub fn quotable(self) -> bool {
        matches!(
            self,
            BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Quote
        )
    }
}

/// A block of a document: its kind and the byte range of its content (markers excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Heading, paragraph, list item, quote or table.
    pub kind: BlockKind,
    /// Content range in the document body (without `## `, `- `, `> `).
    pub range: Range<usize>,
}

/// A retrievable piece of a document: a few paragraphs under one heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Stable id: `document-id#section-slug` plus `-n` for later passages of a section.
    pub id: String,
    /// Index of the document in [`Library::documents`].
    pub doc: usize,
    /// Headings above the passage, outermost first.
    pub headings: Vec<String>,
    /// Byte range of the passage in the document body.
    pub range: Range<usize>,
    /// Quotable units (paragraph, list item or quote content) inside `range`.
    pub units: Vec<Unit>,
    /// Number of words.
    pub words: usize,
}

/// A quotable block of a passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Byte range in the document body.
    pub range: Range<usize>,
    /// Paragraph, list item or quote (speech the article quotes).
    pub kind: BlockKind,
}

/// How documents are cut into passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// A passage grows until it has at least this many words (unless its section ends).
    pub min_words: usize,
    /// A passage never grows past this many words (long paragraphs split at sentences).
    pub max_words: usize,
}

impl Default for Chunking {
    fn default() -> Self {
        Chunking {
            min_words: 40,
            max_words: 150,
        }
    }
}

/// All documents and their passages.
#[derive(Debug, Clone, Default)]
pub struct Library {
    /// Documents in load order (files sorted by name, then line order in JSONL).
    pub documents: Vec<Document>,
    /// Passages of all documents, document by document, in text order.
    pub passages: Vec<Passage>,
    /// Sentences and words of each passage, computed on first use (passages never change).
    analyses: Vec<OnceLock<Analysis>>,
    /// Each passage's folded words, hashed to 32 bits, computed on first use: all that exact
    /// phrase matching needs, at a sixth of an analysis's memory (ranking touches many passages
    /// of a large library; quoting only a few).
    surfaces: Vec<OnceLock<Box<[u32]>>>,
}

/// A word of a passage, hashed: cheap to compare with a question's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordToken {
    /// Hash of the index term (stem).
    pub term: u64,
    /// Hash of the folded word as written.
    pub surface: u64,
    /// Byte range in the document body.
    pub start: u32,
    /// End of the byte range.
    pub end: u32,
}

/// A sentence of a passage's quotable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentenceSpan {
    /// Byte range in the document body.
    pub range: Range<usize>,
    /// Which of the passage's units (paragraph, list item, quote) it belongs to.
    pub unit: usize,
    /// Whether it is speech the article quotes (a `>` block: an interviewee, a testimony)
    /// rather than the article's own voice.
    pub quoted_speech: bool,
    /// Its words, as a range of [`Analysis::words`].
    pub words: Range<usize>,
    /// It gives a dose or says how to take a medicine ([`crate::safety::dosing`]): never quoted.
    pub dosing: bool,
}

/// The sentences and words of a passage's quotable units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Sentences in text order.
    pub sentences: Vec<SentenceSpan>,
    /// Words in text order.
    pub words: Vec<WordToken>,
}

/// A folded word's hash as [`Library::surfaces`] keeps it.
pub fn surface_hash(folded: &str) -> u32 {
    hash_str(folded) as u32
}

/// FNV-1a hash of a string (stable).
pub fn hash_str(s: &str) -> u64 {
    let mut h = Fnv::default();
    h.write(s.as_bytes());
    h.finish()
}

fn analyse(doc: &Document, passage: &Passage) -> Analysis {
    let stemmer = text::Stemmer::default();
    let mut a = Analysis::default();
    for (unit, Unit { range, kind }) in passage.units.iter().enumerate() {
        let unit_text = &doc.body[range.clone()];
        for s in sentence::split(unit_text) {
            let start_word = a.words.len();
            let abs = range.start + s.start..range.start + s.end;
            for w in text::words(&doc.body[abs.clone()]) {
                if w.raw.len() > text::MAX_WORD_BYTES {
                    continue;
                }
                a.words.push(WordToken {
                    term: hash_str(&stemmer.term(w.raw)),
                    surface: hash_str(&text::fold_word(w.raw)),
                    start: (abs.start + w.span.start) as u32,
                    end: (abs.start + w.span.end) as u32,
                });
            }
            let dosing = crate::safety::dosing::is_dosing(&doc.body[abs.clone()]);
            a.sentences.push(SentenceSpan {
                range: abs,
                unit,
                quoted_speech: *kind == BlockKind::Quote,
                words: start_word..a.words.len(),
                dosing,
            });
        }
    }
    a
}

impl Library {
    /// Whether passage `p` is all of its document (so the document's title is its own).
    pub fn is_whole_document(&self, p: usize) -> bool {
        let doc = self.passages[p].doc;
        (p == 0 || self.passages[p - 1].doc != doc)
            && self.passages.get(p + 1).is_none_or(|next| next.doc != doc)
    }

    /// Builds the passages of `documents`.
    pub fn new(documents: Vec<Document>, chunking: Chunking) -> Library {
        let mut passages = Vec::new();
        for (i, doc) in documents.iter().enumerate() {
            split_document(i, doc, chunking, &mut passages);
        }
        let analyses = (0..passages.len()).map(|_| OnceLock::new()).collect();
        let surfaces = (0..passages.len()).map(|_| OnceLock::new()).collect();
        Library {
            documents,
            passages,
            analyses,
            surfaces,
        }
    }

    /// Sentences and words of passage `i` (computed once, then kept).
    pub fn analysis(&self, i: usize) -> &Analysis {
        self.analyses[i].get_or_init(|| {
            let p = &self.passages[i];
            analyse(&self.documents[p.doc], p)
        })
    }

    /// The folded words of passage `i`'s quotable text as 32-bit hashes ([`surface_hash`]), in
    /// text order (computed once, then kept).
    pub fn surfaces(&self, i: usize) -> &[u32] {
        self.surfaces[i].get_or_init(|| {
            let p = &self.passages[i];
            let body = &self.documents[p.doc].body;
            p.units
                .iter()
                .flat_map(|u| text::words(&body[u.range.clone()]))
                .filter(|w| w.raw.len() <= text::MAX_WORD_BYTES)
                .map(|w| surface_hash(&text::fold_word(w.raw)))
                .collect()
        })
    }

    /// Analyses every passage now (so the first questions are as fast as later ones).
    pub fn warm(&self) {
        for i in 0..self.passages.len() {
            self.analysis(i);
            self.surfaces(i);
        }
    }

    /// Loads a library from a folder (every `.md` and `.jsonl` in it, recursively, sorted) or a
    /// single file. Every problem in every file is reported; nothing is returned if any exists.
    pub fn load(path: &Path, chunking: Chunking) -> Result<Library, Problems> {
        let files = library_files(path).map_err(|p| Problems(vec![p]))?;
        let mut documents = Vec::new();
        let mut problems = Vec::new();
        for file in &files {
            match read_file(file) {
                Ok(docs) => documents.extend(docs),
                Err(mut ps) => problems.append(&mut ps),
            }
        }
        check_unique_ids(&documents, &mut problems);
        if documents.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                path,
                None,
                "the library has no documents (.md or .jsonl files)",
            ));
        }
        if problems.is_empty() {
            Ok(Library::new(documents, chunking))
        } else {
            Err(Problems(problems))
        }
    }

    /// The text of a passage.
    pub fn passage_text(&self, passage: &Passage) -> &str {
        &self.documents[passage.doc].body[passage.range.clone()]
    }

    /// The document a passage belongs to.
    pub fn document_of(&self, passage: &Passage) -> &Document {
        &self.documents[passage.doc]
    }

    /// Finds a passage by its id.
    pub fn passage_by_id(&self, id: &str) -> Option<(usize, &Passage)> {
        self.passages.iter().enumerate().find(|(_, p)| p.id == id)
    }

    /// A stable 64-bit fingerprint of every document's identity and text (FNV-1a), used to tell
    /// whether a stored index still matches the library.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Fnv::default();
        for d in &self.documents {
            for field in [
                Some(d.id.as_str()),
                d.title.as_deref(),
                d.body.as_str().into(),
            ] {
                h.write(field.unwrap_or("\u{0}").as_bytes());
                h.write(&[0xff]);
            }
        }
        for p in &self.passages {
            h.write(p.id.as_bytes());
            h.write(&(p.range.start as u64).to_le_bytes());
            h.write(&(p.range.end as u64).to_le_bytes());
        }
        h.finish()
    }
}

/// FNV-1a, stable across Rust versions (unlike `DefaultHasher`).
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Adds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }
    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

fn library_files(path: &Path) -> Result<Vec<PathBuf>, Problem> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Problem::new(path, None, format!("cannot open the library: {e}")))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Problem::new(&dir, None, format!("cannot list the folder: {e}")))?;
        for entry in entries.flatten() {
            let p = entry.path();
            let hidden = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "jsonl")) {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn read_file(file: &Path) -> Result<Vec<Document>, Vec<Problem>> {
    let content = read_utf8(file).map_err(|p| vec![p])?;
    if file.extension().and_then(|e| e.to_str()) == Some("jsonl") {
        parse_jsonl(file, &content)
    } else {
        parse_markdown(file, &content).map(|d| vec![d])
    }
}

pub(crate) fn check_unique_ids(documents: &[Document], problems: &mut Vec<Problem>) {
    let mut seen: std::collections::HashMap<&str, &Path> = std::collections::HashMap::new();
    for d in documents {
        if let Some(first) = seen.insert(&d.id, &d.file) {
            problems.push(Problem::new(
                &d.file,
                None,
                format!(
                    "document id {:?} is already used by {}",
                    d.id,
                    first.display()
                ),
            ));
        }
    }
}

/// Front matter of a curated Markdown document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: toml::Spanned<String>,
    title: Option<String>,
    author: Option<String>,
    publisher: Option<String>,
    date: Option<toml::Spanned<String>>,
    source: Option<String>,
}

pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 80
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

pub(crate) fn valid_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Parses one curated Markdown document: `+++` TOML front matter, then the body.
pub fn parse_markdown(file: &Path, content: &str) -> Result<Document, Vec<Problem>> {
    let content = content.strip_prefix('\u{FEFF}').unwrap_or(content);
    if content.trim().is_empty() {
        return Err(vec![Problem::new(file, Some(1), "the file is empty")]);
    }
    let Some(rest) = content
        .strip_prefix("+++\n")
        .or_else(|| content.strip_prefix("+++\r\n"))
    else {
        return Err(vec![Problem::new(
            file,
            Some(1),
            "missing front matter: the file must start with a `+++` line, then TOML (id, title, ...), then `+++`",
        )]);
    };
    let Some(close) = find_closing_fence(rest) else {
        return Err(vec![Problem::new(
            file,
            Some(1),
            "front matter is not closed: add a `+++` line after it",
        )]);
    };
    let toml_src = &rest[..close.start];
    let body = rest[close.end..].to_string();
    let mut problems = Vec::new();
    let front: FrontMatter = match toml::from_str(toml_src) {
        Ok(f) => f,
        Err(e) => return Err(vec![Problem::from_toml(file, toml_src, 2, &e)]),
    };
    if !valid_id(front.id.get_ref()) {
        problems.push(Problem::at_span(
            file,
            toml_src,
            2,
            front.id.span(),
            "id must be lowercase letters, digits, `-` or `_` (at most 80)",
        ));
    }
    if let Some(date) = &front.date
        && !valid_date(date.get_ref())
    {
        problems.push(Problem::at_span(
            file,
            toml_src,
            2,
            date.span(),
            "date must be YYYY-MM-DD",
        ));
    }
    let body_line = 2 + text_lines(toml_src) + 1;
    let blocks = parse_blocks(&body);
    if !blocks
        .iter()
        .any(|b| b.kind != BlockKind::Table && !matches!(b.kind, BlockKind::Heading(_)))
    {
        problems.push(Problem::new(
            file,
            Some(body_line),
            "the document has no text after its front matter",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Document {
        id: front.id.into_inner(),
        title: front.title.filter(|t| !t.trim().is_empty()),
        author: front.author,
        publisher: front.publisher,
        date: front.date.map(toml::Spanned::into_inner),
        source: front.source,
        file: file.to_path_buf(),
        body,
        blocks,
    })
}

fn text_lines(s: &str) -> usize {
    s.lines().count()
}

/// Finds the `+++` line closing the front matter; returns the range of that line.
fn find_closing_fence(rest: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some(offset..offset + line.len());
        }
        offset += line.len();
    }
    None
}

/// Splits a Markdown-subset body into blocks: headings, paragraphs (consecutive plain lines),
/// list items, quote paragraphs, tables.
pub fn parse_blocks(body: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut offset = 0;
    // Whether the previous line was a paragraph or table line that the next line may continue.
    let mut open: Option<BlockKind> = None;
    for line in body.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end();
        let trimmed = content.trim_start();
        let lead = content.len() - trimmed.len();
        let end = start + content.len();
        if trimmed.is_empty() {
            open = None;
            continue;
        }
        let (kind, marker) = classify(trimmed);
        let range = start + lead + marker..end;
        match (open, kind) {
            (Some(BlockKind::Paragraph), BlockKind::Paragraph)
            | (Some(BlockKind::Table), BlockKind::Table) => {
                if let Some(last) = blocks.last_mut() {
                    last.range.end = end;
                }
            }
            _ => blocks.push(Block { kind, range }),
        }
        open = matches!(kind, BlockKind::Paragraph | BlockKind::Table).then_some(kind);
    }
    blocks
}

fn classify(line: &str) -> (BlockKind, usize) {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        return (BlockKind::Heading(hashes as u8), hashes + 1);
    }
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return (BlockKind::ListItem, line.len() - rest.len());
    }
    if let Some(rest) = line.strip_prefix("> ") {
        return (BlockKind::Quote, line.len() - rest.len());
    }
    if line == ">" {
        return (BlockKind::Quote, 1);
    }
    if line.starts_with('|') {
        return (BlockKind::Table, 0);
    }
    (BlockKind::Paragraph, 0)
}

/// One line of a JSONL collection (BEIR layout: `_id`, `title`, `text`, and optionally `author`,
/// `publisher` and `date` as a server's export writes them; other keys ignored).
#[derive(Debug, Deserialize)]
struct JsonlDoc {
    #[serde(rename = "_id")]
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    publisher: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

/// Parses a JSONL collection: one document per non-empty line.
pub fn parse_jsonl(file: &Path, content: &str) -> Result<Vec<Document>, Vec<Problem>> {
    let mut docs = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in content.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: JsonlDoc = match serde_json::from_str(line) {
            Ok(d) => d,
            Err(e) => {
                problems.push(Problem::new(
                    file,
                    Some(line_no),
                    format!("not a JSON object with \"_id\", \"title\", \"text\": {e}"),
                ));
                continue;
            }
        };
        let id = match parsed.id {
            serde_json::Value::String(s) if !s.trim().is_empty() => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                problems.push(Problem::new(
                    file,
                    Some(line_no),
                    "\"_id\" must be a non-empty string or a number",
                ));
                continue;
            }
        };
        let body = parsed.text;
        let title = Some(parsed.title).filter(|t| !t.trim().is_empty());
        if body.trim().is_empty() && title.is_none() {
            problems.push(Problem::new(
                file,
                Some(line_no),
                "the document has neither title nor text",
            ));
            continue;
        }
        if let Some(date) = &parsed.date
            && !valid_date(date)
        {
            problems.push(Problem::new(
                file,
                Some(line_no),
                "\"date\" must be YYYY-MM-DD",
            ));
            continue;
        }
        let blocks = parse_plain_blocks(&body);
        let named = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        docs.push(Document {
            id,
            title,
            author: named(parsed.author),
            publisher: named(parsed.publisher),
            date: parsed.date,
            source: None,
            file: file.to_path_buf(),
            body,
            blocks,
        });
    }
    if problems.is_empty() {
        Ok(docs)
    } else {
        Err(problems)
    }
}

/// Plain text (JSONL): every non-empty line is a paragraph.
pub(crate) fn parse_plain_blocks(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        blocks.push(Block {
            kind: BlockKind::Paragraph,
            range: start + lead..start + lead + trimmed.len(),
        });
    }
    blocks
}

/// A slug for passage ids: lowercase ASCII words joined by `-`, at most 48 bytes.
fn slug(heading: &str) -> String {
    let mut out = String::new();
    for w in text::words(heading) {
        let w: String = w
            .raw
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if w.is_empty() {
            continue;
        }
        if out.len() + w.len() + 1 > 48 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w);
    }
    if out.is_empty() {
        out.push_str("section");
    }
    out
}

/// A piece of a section on its way to becoming a passage.
struct Piece {
    range: Range<usize>,
    unit: Option<Unit>,
    words: usize,
}

fn split_document(doc_index: usize, doc: &Document, chunking: Chunking, out: &mut Vec<Passage>) {
    let mut headings: Vec<(u8, String)> = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut used_slugs: Vec<String> = Vec::new();
    let flush = |headings: &[(u8, String)],
                 pieces: &mut Vec<Piece>,
                 used: &mut Vec<String>,
                 out: &mut Vec<Passage>| {
        if pieces.is_empty() {
            return;
        }
        let path: Vec<String> = headings.iter().map(|(_, h)| h.clone()).collect();
        let mut base = path.last().map_or_else(|| "intro".to_string(), |h| slug(h));
        if used.contains(&base) {
            let mut n = 2;
            while used.contains(&format!("{base}-s{n}")) {
                n += 1;
            }
            base = format!("{base}-s{n}");
        }
        used.push(base.clone());
        for (n, group) in group_pieces(pieces, chunking).into_iter().enumerate() {
            let id = if n == 0 {
                format!("{}#{}", doc.id, base)
            } else {
                format!("{}#{}-{}", doc.id, base, n + 1)
            };
            out.push(Passage {
                id,
                doc: doc_index,
                headings: path.clone(),
                range: group.0,
                units: group.1,
                words: group.2,
            });
        }
        pieces.clear();
    };
    for block in &doc.blocks {
        match block.kind {
            BlockKind::Heading(level) => {
                flush(&headings, &mut pieces, &mut used_slugs, out);
                headings.retain(|(l, _)| *l < level);
                headings.push((level, doc.body[block.range.clone()].trim().to_string()));
            }
            kind => {
                let content = &doc.body[block.range.clone()];
                let words = text::word_count(content);
                if words > chunking.max_words && kind.quotable() {
                    for group in sentence_groups(content, chunking.max_words) {
                        let r = block.range.start + group.start..block.range.start + group.end;
                        let words = text::word_count(&doc.body[r.clone()]);
                        pieces.push(Piece {
                            unit: Some(Unit {
                                range: r.clone(),
                                kind,
                            }),
                            range: r,
                            words,
                        });
                    }
                } else {
                    pieces.push(Piece {
                        range: block.range.clone(),
                        unit: kind.quotable().then(|| Unit {
                            range: block.range.clone(),
                            kind,
                        }),
                        words,
                    });
                }
            }
        }
    }
    flush(&headings, &mut pieces, &mut used_slugs, out);
}

/// Consecutive sentences grouped into runs of at most `max_words` words (a single longer sentence
/// stands alone).
fn sentence_groups(content: &str, max_words: usize) -> Vec<Range<usize>> {
    let mut groups: Vec<(Range<usize>, usize)> = Vec::new();
    for s in sentence::split(content) {
        let words = text::word_count(&content[s.clone()]);
        match groups.last_mut() {
            Some((r, w)) if *w + words <= max_words => {
                r.end = s.end;
                *w += words;
            }
            _ => groups.push((s, words)),
        }
    }
    // Avoid a tiny tail: fold it into the previous group when that stays near the limit.
    if groups.len() >= 2 {
        let n = groups.len();
        let (last_range, last_words) = groups[n - 1].clone();
        let prev = &mut groups[n - 2];
        if last_words < max_words / 4 && prev.1 + last_words <= max_words + max_words / 4 {
            prev.0.end = last_range.end;
            prev.1 += last_words;
            groups.pop();
        }
    }
    groups.into_iter().map(|(r, _)| r).collect()
}

/// Greedy grouping of a section's pieces into passages of `min_words..=max_words` words where
/// the text allows; a short tail joins the previous passage.
fn group_pieces(pieces: &[Piece], chunking: Chunking) -> Vec<(Range<usize>, Vec<Unit>, usize)> {
    let mut groups: Vec<(Range<usize>, Vec<Unit>, usize)> = Vec::new();
    for piece in pieces {
        let units: Vec<Unit> = piece.unit.iter().cloned().collect();
        match groups.last_mut() {
            Some((range, us, words))
                if *words < chunking.min_words || *words + piece.words <= chunking.max_words =>
            {
                range.end = piece.range.end;
                us.extend(units);
                *words += piece.words;
            }
            _ => groups.push((piece.range.clone(), units, piece.words)),
        }
    }
    if groups.len() >= 2 {
        let last = groups.len() - 1;
        if groups[last].2 < chunking.min_words
            && groups[last - 1].2 + groups[last].2 <= chunking.max_words + chunking.min_words
        {
            let (range, units, words) = groups.pop().expect("len >= 2");
            let prev = groups.last_mut().expect("len >= 1");
            prev.0.end = range.end;
            prev.1.extend(units);
            prev.2 += words;
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "+++\nid = \"doc-a\"\ntitle = \"A title\"\nsource = \"000.txt\"\n+++\n\nIntro paragraph one here.\n\n## First section\n\nText of the first section.\n\n- item one\n- item two\n\n### Sub\n\n> A quoted line.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";

    fn doc() -> Document {
        parse_markdown(Path::new("doc-a.md"), DOC).unwrap()
    }

    #[test]
    fn front_matter_fields_are_read() {
        let d = doc();
        assert_eq!(d.id, "doc-a");
        assert_eq!(d.title.as_deref(), Some("A title"));
        assert_eq!(d.source.as_deref(), Some("000.txt"));
        assert_eq!(d.author, None);
        assert!(d.body.starts_with("\nIntro"));
    }

    #[test]
    fn blocks_follow_the_markdown_subset() {
        let d = doc();
        let kinds: Vec<(BlockKind, &str)> = d
            .blocks
            .iter()
            .map(|b| (b.kind, &d.body[b.range.clone()]))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (BlockKind::Paragraph, "Intro paragraph one here."),
                (BlockKind::Heading(2), "First section"),
                (BlockKind::Paragraph, "Text of the first section."),
                (BlockKind::ListItem, "item one"),
                (BlockKind::ListItem, "item two"),
                (BlockKind::Heading(3), "Sub"),
                (BlockKind::Quote, "A quoted line."),
                (BlockKind::Table, "| a | b |\n|---|---|\n| 1 | 2 |"),
            ]
        );
    }

    #[test]
    fn passages_carry_heading_paths_and_stable_ids() {
        let lib = Library::new(vec![doc()], Chunking::default());
        let ids: Vec<&str> = lib.passages.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["doc-a#intro", "doc-a#first-section", "doc-a#sub"]);
        assert_eq!(lib.passages[2].headings, ["First section", "Sub"]);
        // Tables are indexed as part of the passage but never quotable.
        let sub = &lib.passages[2];
        assert!(lib.passage_text(sub).contains("| 1 | 2 |"));
        assert_eq!(sub.units.len(), 1);
    }

    #[test]
    fn long_paragraphs_split_at_sentences_within_limits() {
        let sentence = "This sentence has exactly eight words in it. ";
        let body = sentence.repeat(60);
        let content = format!("+++\nid = \"long\"\n+++\n\n{body}\n");
        let d = parse_markdown(Path::new("long.md"), &content).unwrap();
        let lib = Library::new(vec![d], Chunking::default());
        assert!(lib.passages.len() >= 3);
        for p in &lib.passages {
            assert!(p.words <= 150 + 37, "{} words", p.words);
            assert!(p.words >= 40, "{} words", p.words);
            let t = lib.passage_text(p);
            assert!(t.starts_with("This") && t.ends_with('.'), "{t:?}");
        }
    }

    #[test]
    fn small_paragraphs_gather_up_to_the_minimum() {
        let para = "Five words in this paragraph.\n\n";
        let content = format!("+++\nid = \"small\"\n+++\n\n{}", para.repeat(30));
        let d = parse_markdown(Path::new("s.md"), &content).unwrap();
        let lib = Library::new(vec![d], Chunking::default());
        for p in &lib.passages {
            assert!((40..=150).contains(&p.words), "{} words", p.words);
        }
        let total: usize = lib.passages.iter().map(|p| p.words).sum();
        assert_eq!(total, 150);
    }

    fn problems_of(content: &str) -> Vec<Problem> {
        parse_markdown(Path::new("bad.md"), content).unwrap_err()
    }

    #[test]
    fn broken_documents_name_file_and_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty"),
            ("no front matter\n", 1, "front matter"),
            ("+++\nid = \"x\"\n\nbody\n", 1, "not closed"),
            ("+++\nid = \"x\"\ntitle = \n+++\n\nbody\n", 3, ""),
            (
                "+++\nid = \"x\"\ncolour = \"red\"\n+++\n\nbody\n",
                3,
                "unknown field",
            ),
            ("+++\nid = \"Bad Id\"\n+++\n\nbody\n", 2, "id must be"),
            (
                "+++\nid = \"x\"\ndate = \"9 March\"\n+++\n\nbody\n",
                3,
                "YYYY-MM-DD",
            ),
            ("+++\nid = \"x\"\n+++\n\n## Only a heading\n", 4, "no text"),
            ("+++\ntitle = \"t\"\n+++\n\nbody\n", 2, "missing field `id`"),
        ];
        for (content, line, needle) in cases {
            let ps = problems_of(content);
            assert_eq!(ps[0].line, Some(*line), "{content:?}: {ps:?}");
            assert!(ps[0].message.contains(needle), "{content:?}: {ps:?}");
        }
    }

    #[test]
    fn jsonl_lines_become_documents_and_errors_name_lines() {
        let ok = "{\"_id\": \"1\", \"title\": \"T\", \"text\": \"Some text.\"}\n\n{\"_id\": 2, \"text\": \"More.\", \"metadata\": {}}\n";
        let docs = parse_jsonl(Path::new("c.jsonl"), ok).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].id, "2");
        assert_eq!(docs[1].title, None);
        let bad = "{\"_id\": \"1\", \"text\": \"x\"}\nnot json\n{\"_id\": \"\", \"text\": \"y\"}\n{\"_id\": \"4\"}\n";
        let ps = parse_jsonl(Path::new("c.jsonl"), bad).unwrap_err();
        let lines: Vec<_> = ps.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4)]);
    }

    #[test]
    fn loading_reports_every_broken_file_and_duplicate_ids() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), DOC).unwrap();
        std::fs::write(dir.path().join("b.md"), DOC).unwrap();
        std::fs::write(dir.path().join("c.md"), "").unwrap();
        std::fs::write(dir.path().join("d.jsonl"), "oops\n").unwrap();
        std::fs::write(dir.path().join("e.md"), b"+++\nid = \"e\"\n+++\n\n\xff\n").unwrap();
        let Problems(ps) = Library::load(dir.path(), Chunking::default()).unwrap_err();
        let text: Vec<String> = ps.iter().map(ToString::to_string).collect();
        assert_eq!(ps.len(), 4, "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.contains("c.md:1:") && t.contains("empty"))
        );
        assert!(text.iter().any(|t| t.contains("d.jsonl:1:")));
        assert!(
            text.iter()
                .any(|t| t.contains("e.md:5:") && t.contains("UTF-8"))
        );
        assert!(
            text.iter()
                .any(|t| t.contains("b.md") && t.contains("already used"))
        );
    }

    #[test]
    fn display_title_never_invents_a_title() {
        let mut d = doc();
        d.title = None;
        d.publisher = Some("Agape Behavioral Healthcare".into());
        assert_eq!(
            d.display_title(),
            "Untitled article (Agape Behavioral Healthcare)"
        );
    }
}
